"""The buyer's data: export it, forget a buyer, let old conversations expire.

`kefu export` pages through conversations (never everything at once); `kefu forget` and the
retention chore (bot/serve/runner.py) erase in one transaction and leave a `privacy_audit`
row that holds counts and a salted hash of the buyer id, never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

from sqlalchemy import String, Text, cast, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import Conversation, Order, PrivacyAudit, PrivacySalt, Rejected, StoredMessage, TranslationMemory
from bot.store.views import snapshots

FORGET = "forget"
RETENTION = "retention"
DELETE = "delete"
ANONYMISE = "anonymise"
ERASED = "erased"  # what an anonymised conversation's buyer becomes
MIN_WORD_ID = 6  # a shorter id is looked for in JSON payloads only
EXPIRE_BATCH = 200  # conversations per retention transaction: short transactions beside live traffic


@dataclass(frozen=True)
class ExportFilter:
    """Which conversations `export_pages` reads; messages outside [since, until) are left out."""

    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    buyer: str | None = None
    conversation: int | None = None


@dataclass(frozen=True)
class Erasure:
    """What was erased: rows of each kind, and attachment files whose removal failed."""

    counts: dict[str, int]
    attachments: list[str]  # the files to remove once the transaction committed
    audit_id: int


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def buyer_hash(salt: str, buyer: str) -> str:
    return hmac.new(salt.encode("ascii"), buyer.encode("utf-8"), hashlib.sha256).hexdigest()


def _attachment_paths(raw: Any) -> list[str]:
    files = raw.get("attachments") if isinstance(raw, dict) else None
    return [f["path"] for f in files or () if isinstance(f, dict) and isinstance(f.get("path"), str)]


def _mentions(payload: str, buyer: str) -> bool:
    """Whether a rejected payload is the buyer's: their id as a JSON value, or as a whole word
    of a payload that is not JSON (a raw mail). A substring of a longer id does not count."""
    try:
        data = json.loads(payload)
    except ValueError:
        if len(buyer) < MIN_WORD_ID and "@" not in buyer:  # "42" in a raw mail is more likely a size than a person
            return False
        return re.search(rf"(?<![\w.@+-]){re.escape(buyer)}(?![\w@-]|\.\w)", payload) is not None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, bool) and isinstance(item, (str, int)) and str(item) == buyer:
            return True
    return False


class Privacy:
    """Mixed into `Store`."""

    session: Any

    # -- export ---------------------------------------------------------------------

    async def export_pages(self, where: ExportFilter, page: int = 100) -> AsyncIterator[list[tuple[Any, list[Any]]]]:
        """Conversations with their messages, `page` conversations at a time, oldest first."""
        after = 0
        while True:
            async with self.session() as session:
                query = select(Conversation).where(Conversation.id > after).order_by(Conversation.id).limit(page)
                for condition in self._conversation_filter(where):
                    query = query.where(condition)
                conversations = snapshots(await session.scalars(query))
                if not conversations:
                    return
                messages = select(StoredMessage).where(StoredMessage.conversation_id.in_([c.id for c in conversations]))
                for condition in self._message_range(where):
                    messages = messages.where(condition)
                by_conversation: dict[int, list[Any]] = {c.id: [] for c in conversations}
                for row in snapshots(await session.scalars(messages.order_by(StoredMessage.conversation_id, StoredMessage.id))):
                    by_conversation[row.conversation_id].append(row)
            after = conversations[-1].id
            yield [(c, by_conversation[c.id]) for c in conversations]

    async def export_count(self, where: ExportFilter) -> int:
        query = select(func.count(Conversation.id))
        for condition in self._conversation_filter(where):
            query = query.where(condition)
        async with self.session() as session:
            return int(await session.scalar(query) or 0)

    def _conversation_filter(self, where: ExportFilter) -> list[Any]:
        conditions = []
        if where.channel is not None:
            conditions.append(Conversation.channel == where.channel)
        if where.buyer is not None:
            conditions.append(Conversation.buyer == where.buyer)
        if where.conversation is not None:
            conditions.append(Conversation.id == where.conversation)
        if where.since is not None or where.until is not None:
            inside = [StoredMessage.conversation_id == Conversation.id, *self._message_range(where)]
            conditions.append(exists().where(*inside))
        return conditions

    @staticmethod
    def _message_range(where: ExportFilter) -> list[Any]:
        conditions = []
        if where.since is not None:
            conditions.append(StoredMessage.created_at >= where.since)
        if where.until is not None:
            conditions.append(StoredMessage.created_at < where.until)
        return conditions

    # -- forget ---------------------------------------------------------------------

    async def forget_buyer(self, buyer: str, *, ran_by: str, at: datetime, channel: str | None = None) -> Erasure:
        """Erase everything kefu holds about one buyer, in one transaction: their conversations
        with every message, their messages elsewhere, their orders, translations made from their
        words, rejected payloads that name them. Running it again erases nothing more."""
        async with self.session() as session:
            async with session.begin():
                mine = select(Conversation.id).where(Conversation.buyer == buyer)
                if channel is not None:
                    mine = mine.where(Conversation.channel == channel)
                conversation_ids = list(await session.scalars(mine))
                sent_by = StoredMessage.sender == buyer
                if channel is not None:
                    sent_by = sent_by & (StoredMessage.channel == channel)
                theirs = or_(StoredMessage.conversation_id.in_(conversation_ids), sent_by)
                counts = await self._erase_messages(session, theirs, delete_rows=True)
                counts["conversations"] = (await session.execute(
                    delete(Conversation).where(Conversation.id.in_(conversation_ids))
                )).rowcount
                orders = delete(Order).where(Order.buyer == buyer)
                counts["orders"] = (await session.execute(orders)).rowcount
                counts["rejected"] = await self._erase_rejected(session, buyer, channel)
                subject = buyer_hash(await self._salt(session), buyer)
                return await self._audit(session, PrivacyAudit(action=FORGET, ran_by=ran_by[:255], ran_at=at, subject_hash=subject), counts)

    async def _erase_messages(self, session: AsyncSession, which: Any, *, delete_rows: bool) -> dict[str, Any]:
        """Delete (or blank) the messages `which` selects and the translations made from their words."""
        rows = (await session.execute(
            select(StoredMessage.id, StoredMessage.direction, StoredMessage.text, StoredMessage.pivot, StoredMessage.raw).where(which)
        )).all()
        # What a translator was given from these messages: the buyer's words, an agent's own text.
        words = {_digest(text) for _, direction, text, pivot, _ in rows if direction == "in" and text}
        words |= {_digest(pivot) for _, direction, _, pivot, _ in rows if direction == "agent" and pivot}
        # What came back from a translator for them: a letter with their name, order and tracking number.
        sent = sorted({text for _, direction, text, _, _ in rows if direction in ("out", "agent") and text})
        translations = 0
        for chunk in _chunks(sorted(words)):
            translations += (await session.execute(delete(TranslationMemory).where(TranslationMemory.digest.in_(chunk)))).rowcount
        for chunk in _chunks(sent, 100):
            translations += (await session.execute(delete(TranslationMemory).where(TranslationMemory.translation.in_(chunk)))).rowcount
        ids = [row[0] for row in rows]
        files = sorted({path for *_, raw in rows for path in _attachment_paths(raw)})
        for chunk in _chunks(ids):
            if delete_rows:
                await session.execute(delete(StoredMessage).where(StoredMessage.id.in_(chunk)))
            else:
                await session.execute(update(StoredMessage).where(StoredMessage.id.in_(chunk)).values(
                    text="", pivot=None, raw={}, sender=None, error=None, delivery_error=None, external_id=None,
                ))
        return {"messages": len(ids), "translations": translations, "files": files}

    async def _erase_rejected(self, session: AsyncSession, buyer: str, channel: str | None) -> int:
        query = select(Rejected.id, Rejected.payload).where(Rejected.payload.contains(buyer, autoescape=True))
        if channel is not None:
            query = query.where(Rejected.channel == channel)
        ids = [row.id for row in (await session.execute(query)).all() if _mentions(row.payload, buyer)]
        for chunk in _chunks(ids):
            await session.execute(delete(Rejected).where(Rejected.id.in_(chunk)))
        return len(ids)

    @staticmethod
    async def _unshared(session: AsyncSession, paths: list[str]) -> list[str]:
        """Attachments are stored by content: a file another buyer also sent stays on disk."""
        raw = cast(StoredMessage.raw, Text)
        kept = []
        for path in paths:
            quoted = json.dumps(path)[1:-1]  # as it appears inside the stored JSON
            if not await session.scalar(select(StoredMessage.id).where(raw.contains(quoted, autoescape=True)).limit(1)):
                kept.append(path)
        return kept

    async def _salt(self, session: AsyncSession) -> str:
        salt = await session.scalar(select(PrivacySalt.salt).order_by(PrivacySalt.id).limit(1))
        if salt is None:
            salt = secrets.token_hex(32)
            session.add(PrivacySalt(id=1, salt=salt))
            await session.flush()
        return salt

    async def forgotten(self, buyer: str) -> bool:
        """Whether `kefu forget` was run for this buyer (the audit answers by hash, not by id)."""
        async with self.session() as session:
            async with session.begin():
                digest = buyer_hash(await self._salt(session), buyer)
                return bool(await session.scalar(select(PrivacyAudit.id).where(PrivacyAudit.subject_hash == digest).limit(1)))

    async def privacy_audit(self) -> Sequence[Any]:
        async with self.session() as session:
            return snapshots(await session.scalars(select(PrivacyAudit).order_by(PrivacyAudit.id)))

    # -- retention ------------------------------------------------------------------

    async def expire(self, before: datetime, *, mode: str, ran_by: str, at: datetime) -> Erasure | None:
        """Conversations with no message since `before` are deleted, or anonymised (what was asked,
        answered and handed off stays for `kefu stats`; who and what they wrote goes). One batch
        per call, oldest first; None when nothing was old enough."""
        if mode not in (DELETE, ANONYMISE):
            raise ValueError(f"retention mode must be {DELETE!r} or {ANONYMISE!r}, not {mode!r}")
        async with self.session() as session:
            async with session.begin():
                recent = exists().where(StoredMessage.conversation_id == Conversation.id, StoredMessage.created_at >= before)
                ids = list(await session.scalars(
                    select(Conversation.id).where(Conversation.created_at < before, ~recent, Conversation.buyer != ERASED)
                    .order_by(Conversation.id).limit(EXPIRE_BATCH)
                ))
                if not ids:
                    return None
                counts = await self._erase_messages(session, StoredMessage.conversation_id.in_(ids), delete_rows=mode == DELETE)
                if mode == DELETE:
                    await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
                else:
                    await session.execute(update(Conversation).where(Conversation.id.in_(ids)).values(
                        buyer=ERASED, buyer_name=None, external_id=ERASED + ":" + cast(Conversation.id, String),
                        timezone=None, country=None, desk_ref=None, agent=None,
                    ))
                counts["conversations"] = len(ids)
                audit = PrivacyAudit(action=RETENTION, ran_by=ran_by[:255], ran_at=at, subject_hash=None)
                return await self._audit(session, audit, {"mode": mode, **counts})

    async def _audit(self, session: AsyncSession, audit: PrivacyAudit, counts: dict[str, Any]) -> Erasure:
        """The audit row: counts of each kind, attachments included (those no other message still shows)."""
        files = await self._unshared(session, counts.pop("files"))
        audit.counts = {**counts, "attachments": len(files)}
        session.add(audit)
        await session.flush()
        return Erasure(dict(audit.counts), files, audit.id)


def remove_files(paths: list[str]) -> list[str]:
    """Remove attachment files after the erasure committed; returns the ones that could not be.
    A file already gone counts as removed (forgetting twice is fine)."""
    failed = []
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
        except OSError:
            failed.append(path)
    return failed


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
