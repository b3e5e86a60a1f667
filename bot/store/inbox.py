"""Reads for the web workspace's inbox: a page of conversations, searched, with what the
cards show (last buyer message, waiting since); and the marker its live updates watch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import func, or_, select

from bot.store.models import Conversation, Order, StoredMessage
from bot.store.views import snapshots

VIEWS = ("queue", "mine", "all")


@dataclass(frozen=True)
class InboxRow:
    conversation: Any  # views.Conversation
    last_in_at: datetime | None  # the buyer's latest message
    last_agent_at: datetime | None  # a person's latest reply
    last_text: str | None  # the buyer's latest words


class InboxReads:
    """Mixed into `Store`."""

    session: Any

    async def inbox(
        self, view: str, agent: str | None = None, search: str | None = None, offset: int = 0, limit: int = 50
    ) -> tuple[list[InboxRow], int]:
        """One page of `view` (queue: waiting, priority first, then the longest wait; mine: held by
        `agent`; all: latest first) matching `search` (buyer, name, order or tracking number, any
        message's text), and how many match in all."""
        if view not in VIEWS:
            raise ValueError(f"unknown inbox view {view!r}")
        where: list[Any] = []
        if view == "queue":
            where.append(Conversation.state == "waiting")
            order = (Conversation.priority.desc(), func.coalesce(Conversation.handoff_at, Conversation.updated_at), Conversation.id)
        else:
            if view == "mine":
                where += [Conversation.state == "held", Conversation.agent == agent]
            order = (Conversation.updated_at.desc(), Conversation.id.desc())
        if search and search.strip():
            words = search.strip()
            where.append(or_(
                Conversation.buyer.icontains(words, autoescape=True),
                Conversation.buyer_name.icontains(words, autoescape=True),
                Conversation.buyer.in_(select(Order.buyer).where(or_(
                    Order.order_id.icontains(words, autoescape=True), Order.tracking_number.icontains(words, autoescape=True),
                ))),
                Conversation.id.in_(select(StoredMessage.conversation_id).where(
                    StoredMessage.text.icontains(words, autoescape=True))),
            ))
        async with self.session() as session:
            total = await session.scalar(select(func.count(Conversation.id)).where(*where))
            page = snapshots(await session.scalars(select(Conversation).where(*where).order_by(*order).offset(offset).limit(limit)))
            ids = [c.id for c in page]
            latest: dict[tuple[int, str], tuple[datetime, int]] = {}
            if ids:
                rows = await session.execute(
                    select(StoredMessage.conversation_id, StoredMessage.direction, func.max(StoredMessage.created_at),
                           func.max(StoredMessage.id))
                    .where(StoredMessage.conversation_id.in_(ids), StoredMessage.direction.in_(("in", "agent")))
                    .group_by(StoredMessage.conversation_id, StoredMessage.direction)
                )
                latest = {(cid, direction): (at, mid) for cid, direction, at, mid in rows}
            last_ids = [found[1] for (cid, direction), found in latest.items() if direction == "in"]
            texts = dict((await session.execute(
                select(StoredMessage.id, StoredMessage.text).where(StoredMessage.id.in_(last_ids))
            )).all()) if last_ids else {}
        result = []
        for c in page:
            last_in, last_agent = latest.get((c.id, "in")), latest.get((c.id, "agent"))
            result.append(InboxRow(
                c, last_in[0] if last_in else None, last_agent[0] if last_agent else None,
                texts.get(last_in[1]) if last_in else None,
            ))
        return result, int(total or 0)

    async def orders_of(self, buyer: str) -> Sequence[Any]:
        """A buyer's orders, latest first."""
        async with self.session() as session:
            return snapshots(await session.scalars(select(Order).where(Order.buyer == buyer).order_by(Order.placed_at.desc())))

    async def recent_messages(self, conversation_id: int, limit: int | None = None) -> tuple[list[Any], int]:
        """The latest `limit` messages of a conversation (all when None), oldest first, and how many it has."""
        query = select(StoredMessage).where(StoredMessage.conversation_id == conversation_id).order_by(StoredMessage.id.desc())
        async with self.session() as session:
            total = await session.scalar(select(func.count(StoredMessage.id)).where(StoredMessage.conversation_id == conversation_id))
            rows = snapshots(await session.scalars(query.limit(limit) if limit else query))
        return rows[::-1], int(total or 0)

    async def change_marker(self) -> tuple:
        """Changes whenever a message is stored or a conversation changes (its state, holder, language…)."""
        async with self.session() as session:
            row = (await session.execute(select(
                select(func.max(StoredMessage.id)).scalar_subquery(),
                select(func.max(Conversation.updated_at)).scalar_subquery(),
                select(func.coalesce(func.sum(Conversation.version), 0)).scalar_subquery(),
            ))).one()
        return tuple(row)

