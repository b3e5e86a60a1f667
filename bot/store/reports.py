"""Reads for the admin tools (`kefu stats`, `kefu misses`): the store owns the SQL, the tools
get plain tuples."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from bot.store.models import Conversation, StoredMessage


class Reports:
    """Mixed into `Store`."""

    session: Any

    async def message_columns(self, names: Sequence[str], since: datetime | None = None) -> list[tuple]:
        """These columns of every message (incoming and outgoing), oldest first."""
        query = select(*(getattr(StoredMessage, name) for name in names)).order_by(StoredMessage.created_at, StoredMessage.id)
        if since is not None:
            query = query.where(StoredMessage.created_at >= since)
        async with self.session() as session:
            return [tuple(row) for row in (await session.execute(query)).all()]

    async def unmatched(self, no_match_reason: str, since: datetime | None = None) -> list[tuple]:
        """(text, pivot, language, created_at) of buyer text messages the bot tried to match and could
        not answer, oldest first."""
        query = (
            select(StoredMessage.text, StoredMessage.pivot, StoredMessage.language, StoredMessage.created_at)
            .where(
                StoredMessage.direction == "in",
                StoredMessage.kind == "text",
                StoredMessage.status == "processed",
                StoredMessage.score.is_not(None),  # None: the bot did not try (a person held the chat)
                or_(StoredMessage.intent.is_(None), StoredMessage.handoff_reason == no_match_reason),
            )
            .order_by(StoredMessage.created_at, StoredMessage.id)
        )
        if since is not None:
            query = query.where(StoredMessage.created_at >= since)
        async with self.session() as session:
            return [tuple(row) for row in (await session.execute(query)).all()]

    async def agent_confirmed(self, since: datetime | None = None) -> list[tuple]:
        """(text, language, intent, pivot, created_at) of buyer text messages in another language than
        English, matched to an intent through a translation, that an agent then handled: an agent wrote
        in the conversation after the message. Oldest first (`kefu intents learn`)."""
        agent = aliased(StoredMessage)
        handled = exists().where(
            agent.conversation_id == StoredMessage.conversation_id, agent.direction == "agent",
            agent.created_at >= StoredMessage.created_at,
        )
        query = (
            select(StoredMessage.text, StoredMessage.language, StoredMessage.intent, StoredMessage.pivot,
                   StoredMessage.created_at)
            .where(
                StoredMessage.direction == "in", StoredMessage.kind == "text", StoredMessage.status == "processed",
                StoredMessage.intent.is_not(None), StoredMessage.language.is_not(None), StoredMessage.language != "en",
                StoredMessage.pivot.is_not(None), StoredMessage.pivot != StoredMessage.text, handled,
            )
            .order_by(StoredMessage.created_at, StoredMessage.id)
        )
        if since is not None:
            query = query.where(StoredMessage.created_at >= since)
        async with self.session() as session:
            return [tuple(row) for row in (await session.execute(query)).all()]

    async def buyer_zones(self, since: datetime | None = None) -> dict[int, tuple[str | None, str | None]]:
        """(timezone, country) of the conversations with a message since `since` whose buyer's zone is known."""
        query = select(Conversation.id, Conversation.timezone, Conversation.country).where(
            or_(Conversation.timezone.is_not(None), Conversation.country.is_not(None)))
        if since is not None:
            recent = select(StoredMessage.conversation_id).where(StoredMessage.created_at >= since)
            query = query.where(Conversation.id.in_(recent))
        async with self.session() as session:
            return {row[0]: (row[1], row[2]) for row in (await session.execute(query)).all()}
