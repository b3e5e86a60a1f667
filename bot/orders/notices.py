"""Proactive notices about orders: a payment reminder, "dispatched" with the tracking
number, and "delivered" with a request for a five-star review (../shared/domain.md).

Each order remembers the last notice written for it (`Order.notified`). Writing a notice
claims it in the same transaction that puts it in the outbox, so with several workers
running housekeeping each notice goes once; the outbox then delivers it (and retries).
A notice goes to the buyer's most recent conversation, on its channel, in its language;
a buyer who never wrote to the shop is not reached.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.brain import BrainHolder
from bot.language.translate import Translator, localize
from bot.orders.records import order_context
from bot.store.database import Store
from bot.store.views import Order
from bot.store.writes import Outgoing
from replies.render import message_body

log = logging.getLogger(__name__)

REMIND_AFTER = timedelta(days=1)  # an unpaid order gets its reminder a day after it was placed


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


async def write_notices(store: Store, brains: BrainHolder, translator: Translator, now: datetime) -> int:
    """Put every notice that is due in the outbox; returns how many this call wrote."""
    written = 0
    for order in await store.notice_candidates():
        due = notice_for(order, now)
        if due is None:
            continue
        conversation = await store.latest_conversation(order.buyer)
        if conversation is None:
            continue
        language = conversation.language or "en"
        rendered = message_body(brains.brain.answers, f"notice_{due}", language, context=order_context(order))
        text = await localize(translator, rendered.text, rendered.language, language) or rendered.text
        if await store.commit_notice(order, due, conversation, Outgoing(text, now, language=language)) is not None:
            written += 1
    return written
