"""The outbox in the store: what kefu owes buyers, claimed by senders, marked as it goes.

An outgoing message row is its own outbox entry (`delivery`: pending → sending → sent,
or failed). Senders claim rows with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so
several workers never take the same row); a row whose sender died is claimed again when
its lease runs out. Within one conversation rows go out in order: a row waits while an
earlier one of its conversation is undelivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from bot.conversation.states import LostRace, delivery_failed
from bot.store.models import Conversation, StoredMessage
from bot.store.views import snapshot
from bot.store.writes import FAILED, PENDING, SENDING, SENT, UNDELIVERED, apply_change


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row, as a sender needs it."""

    id: int
    conversation_id: int
    channel: str
    conversation: str  # the channel's id of the chat or thread
    text: str
    by_person: bool
    parts_sent: int
    attempts: int
    created_at: datetime
    language: str | None = None


def _due(now: datetime) -> Any:
    later = aliased(StoredMessage)
    earlier_undelivered = exists().where(
        later.conversation_id == StoredMessage.conversation_id,
        later.delivery.in_(UNDELIVERED),
        later.id < StoredMessage.id,
    )
    return and_(
        StoredMessage.delivery.in_(UNDELIVERED),
        or_(StoredMessage.due_at.is_(None), StoredMessage.due_at <= now),
        or_(StoredMessage.delivery == PENDING, StoredMessage.lease_until < now),
        ~earlier_undelivered,
    )


class OutboxStore:
    """Mixed into `Store`."""

    session: Any

    async def claim_deliveries(self, channels: Sequence[str], now: datetime, lease: timedelta, limit: int = 50) -> list[Delivery]:
        """Take up to `limit` due rows for these channels; each is this caller's until `now + lease`."""
        if not channels:
            return []
        async with self.session() as session:
            async with session.begin():
                candidates = (await session.scalars(
                    select(StoredMessage.id).where(StoredMessage.channel.in_(list(channels)), _due(now))
                    .order_by(StoredMessage.id).limit(limit).with_for_update(skip_locked=True)
                )).all()
                if not candidates:
                    return []
                # Guarded again: on SQLite two processes could both have read the same candidates.
                taken = (await session.scalars(
                    update(StoredMessage)
                    .where(StoredMessage.id.in_(candidates), _due(now))
                    .values(delivery=SENDING, lease_until=now + lease, attempts=StoredMessage.attempts + 1)
                    .returning(StoredMessage.id)
                    .execution_options(synchronize_session=False)
                )).all()
                if not taken:
                    return []
                rows = (await session.execute(
                    select(StoredMessage, Conversation.external_id)
                    .join(Conversation, Conversation.id == StoredMessage.conversation_id)
                    .where(StoredMessage.id.in_(list(taken))).order_by(StoredMessage.id)
                )).all()
        return [
            Delivery(
                m.id, m.conversation_id, m.channel, external, m.text, m.direction == "agent", m.parts_sent, m.attempts,
                m.created_at, m.language,
            )
            for m, external in rows
        ]

    async def deliver_here(self, delivery_ids: Sequence[int], at: datetime, *, sole: bool = False) -> list[int]:
        """Rows a caller delivers itself (a terminal printing its answers), marked sent in one step
        before it prints them; returns the ones it got. A sender may have been faster, and then it
        delivers them. `sole`: the caller is the only one delivering them (`kefu reply`), so a row
        a killed run had taken is taken back at once."""
        if not delivery_ids:
            return []
        takeable = StoredMessage.delivery.in_(UNDELIVERED) if sole else StoredMessage.delivery == PENDING
        async with self.session() as session:
            async with session.begin():
                return list((await session.scalars(
                    update(StoredMessage)
                    .where(StoredMessage.id.in_(list(delivery_ids)), takeable)
                    .values(delivery=SENT, sent_at=at, lease_until=None, attempts=StoredMessage.attempts + 1)
                    .returning(StoredMessage.id)
                    .execution_options(synchronize_session=False)
                )).all())

    async def part_delivered(self, delivery_id: int, parts_sent: int) -> None:
        await self._set(delivery_id, parts_sent=parts_sent)

    async def delivered(self, delivery_ids: Sequence[int], at: datetime) -> None:
        """Mark rows sent (a sender after the service accepted them; a terminal after printing)."""
        if not delivery_ids:
            return
        async with self.session() as session:
            await session.execute(
                update(StoredMessage).where(StoredMessage.id.in_(list(delivery_ids)))
                .values(delivery=SENT, sent_at=at, lease_until=None, delivery_error=None)
            )
            await session.commit()

    async def retry_delivery(self, delivery_id: int, due_at: datetime, error: str) -> None:
        await self._set(delivery_id, delivery=PENDING, due_at=due_at, lease_until=None, delivery_error=error[:2000])

    async def fail_delivery(self, delivery_id: int, error: str, at: datetime, reason: str, *, unreachable: bool = False) -> bool:
        """Give up on a row, visibly: it is marked failed, and a conversation the bot had goes to
        people with `reason` (and, `unreachable`, is marked so), in one transaction. True when that
        handed the conversation off."""
        async with self.session() as session:
            async with session.begin():
                row = await session.get(StoredMessage, delivery_id)
                if row is None:
                    return False
                row.delivery, row.delivery_error, row.lease_until = FAILED, error[:2000], None
                if unreachable:
                    await session.execute(
                        update(Conversation).where(Conversation.id == row.conversation_id).values(unreachable_at=at)
                    )
                try:  # a refused transition writes nothing, so the transaction goes on either way
                    await apply_change(session, row.conversation_id, delivery_failed(reason, at), None)
                    return True
                except LostRace:  # people have it already; they see the failed row
                    return False

    async def undelivered(self) -> dict[str, int]:
        """Pending outbox rows per channel (health)."""
        async with self.session() as session:
            rows = (await session.execute(
                select(StoredMessage.channel, func.count()).where(StoredMessage.delivery.in_(UNDELIVERED))
                .group_by(StoredMessage.channel)
            )).all()
        return {channel: count for channel, count in rows}

    async def answer_to(self, message_id: int) -> StoredMessage | None:
        """The answer already written for an incoming message, if any."""
        async with self.session() as session:
            return snapshot(await session.scalar(select(StoredMessage).where(StoredMessage.reply_to == message_id)))

    async def _set(self, delivery_id: int, **values: Any) -> None:
        async with self.session() as session:
            await session.execute(update(StoredMessage).where(StoredMessage.id == delivery_id).values(**values))
            await session.commit()
