"""Proactive notices about orders: a payment reminder, "dispatched" with the tracking
number, and "delivered" with a request for a five-star review (../shared/domain.md).

Each order remembers the last notice sent (`Order.notified`), so a buyer hears
each one once. A notice goes to the buyer's most recent conversation, on its
channel, in its language; a buyer who never wrote to the shop is not reached.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Awaitable, Callable

from sqlalchemy import select

from bot.brain import BrainHolder
from bot.store.models import Conversation, Order
from bot.orders.records import order_context
from bot.store.database import Store
from bot.language.translate import Translator, localize
from replies.render import message_body

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=1)  # an unpaid order gets its reminder a day after it was placed
Outbox = Callable[..., Awaitable[None]]


def notice_for(order: Order, now: datetime) -> str | None:
    """Which notice this order is due, or None."""
    if order.status == "placed" and now - order.placed_at >= REMIND_AFTER:
        due = "payment_reminder"
    elif order.status == "shipped" and order.tracking_number:
        due = "dispatched"
    elif order.status == "delivered" or order.parcel == "delivered":
        due = "delivered"
    else:
        return None
    return None if order.notified == due else due


async def send_notices(store: Store, brains: BrainHolder, translator: Translator, outbox: Outbox, now: datetime) -> int:
    """Send every notice that is due; returns how many went out."""
    async with store.session() as session:
        orders = (await session.scalars(select(Order).where(Order.status.in_(("placed", "shipped", "delivered"))))).all()
    sent = 0
    for order in orders:
        due = notice_for(order, now)
        if due is None:
            continue
        conversation = await _latest_conversation(store, order.buyer)
        if conversation is None:
            continue
        language = conversation.language or "en"
        rendered = message_body(brains.brain.answers, f"notice_{due}", language, context=order_context(order))
        text = await localize(translator, rendered.text, rendered.language, language) or rendered.text
        try:
            await outbox(conversation.channel, conversation.external_id, text)
        except Exception:  # noqa: BLE001 - one unreachable buyer must not stop the others; retried next round
            log.exception("could not send the %s notice of order %s", due, order.order_id)
            continue
        await store.add_outgoing(conversation, text, now, language=language)
        async with store.session() as session:
            stored = await session.get(Order, order.id)
            stored.notified = due
            await session.commit()
        sent += 1
    return sent


async def _latest_conversation(store: Store, buyer: str) -> Conversation | None:
    async with store.session() as session:
        return await session.scalar(
            select(Conversation).where(Conversation.buyer == buyer).order_by(Conversation.updated_at.desc()).limit(1)
        )
