"""Writing a decision: the conversation's transition, the incoming message's analysis and
what kefu now owes the buyer (outbox rows), in one transaction.

A transition is a conditional UPDATE (bot/conversation/states.py): the state must be one
of its sources, a held conversation must be held by the acting agent, and when the caller
read a version it must still be that version. Otherwise nothing is written and `LostRace`
says what the conversation is now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.conversation.states import Change, LostRace, State


class AlreadyDecided(Exception):
    """The incoming message was decided meanwhile (a redelivery racing the first delivery)."""
from bot.store.models import Conversation, StoredMessage
from bot.store.views import snapshot
from bot.store.limits import clip

MESSAGES = StoredMessage.__table__

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNDELIVERED = (PENDING, SENDING)


@dataclass(frozen=True)
class Outgoing:
    """A message kefu owes the buyer; written as a pending outbox row."""

    text: str
    at: datetime
    direction: str = "out"  # out (the bot) | agent (a person wrote it)
    reply_to: int | None = None  # the incoming message this answers (at most one answer each)
    language: str | None = None
    intent: str | None = None
    handoff: bool = False
    handoff_reason: str | None = None
    out_of_hours: bool = False
    flags: list[str] = field(default_factory=list)
    sender: str | None = None
    pivot: str | None = None  # an agent's text before translation
    delivered: bool = False  # already delivered by the caller (a terminal prints it itself)


async def apply_change(session: AsyncSession | AsyncConnection, conversation_id: int, change: Change, version: int | None) -> None:
    """Run one transition inside `session`'s transaction, or raise `LostRace`."""
    query = update(Conversation).where(
        Conversation.id == conversation_id, Conversation.state.in_([s.value for s in change.sources])
    )
    if change.agent is not None:
        query = query.where(or_(Conversation.state != State.HELD.value, Conversation.agent == change.agent))
    if version is not None:
        query = query.where(Conversation.version == version)
    result = await session.execute(
        query.values(**change.values, version=Conversation.version + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        now = (await session.execute(
            select(Conversation.state, Conversation.agent).where(Conversation.id == conversation_id)
        )).first()
        raise LostRace(change.name, conversation_id, now[0] if now else None, now[1] if now else None)


def outbox_row(conversation: Conversation, item: Outgoing) -> dict[str, Any]:
    """The columns of the outbox row for `item`."""
    return dict(
        conversation_id=conversation.id, channel=conversation.channel, direction=item.direction, kind="text",
        text=clip(item.text), status="processed", flags=list(item.flags), raw={}, created_at=item.at,
        reply_to=item.reply_to, language=item.language, intent=item.intent, handoff=item.handoff,
        handoff_reason=item.handoff_reason, out_of_hours=item.out_of_hours, sender=item.sender, pivot=item.pivot,
        delivery=SENT if item.delivered else PENDING, attempts=0, parts_sent=0, due_at=item.at,
        sent_at=item.at if item.delivered else None,
    )


_DECIDED = (
    update(MESSAGES).where(MESSAGES.c.id == bindparam("message_id"), MESSAGES.c.status == "received")
)  # built once: it runs for every message
_OUTBOX_ROW = insert(MESSAGES).returning(MESSAGES.c.id)


async def write_outbox(
    connection: AsyncSession | AsyncConnection, conversation: Conversation, outgoing: list[Outgoing] | tuple[Outgoing, ...]
) -> list[int]:
    """Write outbox rows inside the caller's transaction; their ids, in order."""
    return [
        (await connection.execute(_OUTBOX_ROW, outbox_row(conversation, item))).scalar_one()
        for item in outgoing
    ]


class Writes:
    """Mixed into `Store`: every write that changes a conversation goes through `commit`."""

    session: Any
    engine: Any

    async def commit(
        self,
        conversation: Conversation,
        change: Change | None = None,
        *,
        version: int | None = None,
        finish: tuple[int, dict[str, Any]] | None = None,
        outgoing: list[Outgoing] | tuple[Outgoing, ...] = (),
    ) -> list[int]:
        """One transaction: the transition, the incoming message's analysis (`finish`: id and
        columns), the outbox rows. Returns the outbox rows' ids. Raises `LostRace`."""
        async with self.engine.begin() as connection:  # Core statements: this runs for every message
            if change is not None:
                await apply_change(connection, conversation.id, change, version)
            if finish is not None:
                message_id, values = finish
                decided = await connection.execute(_DECIDED.values(**_clipped(values)), {"message_id": message_id})
                if decided.rowcount != 1:
                    raise AlreadyDecided(message_id)
            return await write_outbox(connection, conversation, outgoing)

    async def transition(self, conversation_id: int, change: Change, *, version: int | None = None) -> Conversation:
        """Apply one transition; returns the conversation as it is afterwards."""
        async with self.session() as session:
            async with session.begin():
                await apply_change(session, conversation_id, change, version)
            return snapshot(await session.get(Conversation, conversation_id, populate_existing=True))


def _clipped(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    values.setdefault("status", "processed")
    for key in ("pivot", "error"):
        if isinstance(values.get(key), str):
            values[key] = clip(values[key])
    return values
