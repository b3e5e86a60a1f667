"""The store: conversations, messages in and out, the outbox, translation memory, orders.

SQLAlchemy 2 (asyncio) over SQLite by default or PostgreSQL by URL. The schema
is Alembic's: `Store.open` brings any database up to the latest revision.
Every incoming message is written by `receive` before the pipeline looks at it
(the inbox); a decision and what it owes the buyer are written together by
`commit` (bot/store/writes.py); senders take the outbox rows (bot/store/outbox.py).
The store owns all SQL: the rest of kefu sees rows it reads, never a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.store.errors import StoreError  # noqa: F401 - raised here, imported from here by callers
from bot.message import Message
from bot.store import sqlite
from bot.store.accounts import Accounts
from bot.store.health import Health
from bot.store.inbox import InboxReads
from bot.store.limits import clip
from bot.store.models import Conversation, Order, Rejected, StoredMessage, TranslationMemory
from bot.store.outbox import OutboxStore
from bot.store.privacy import Privacy
from bot.store.reports import Reports
from bot.store.views import StoredMessage as StoredView, row_view, snapshot, snapshots
from bot.store.sanitize import ERROR_LIMIT, LIMITS, MAX_STORED_CHARS, fit_message, fit_text, original_payload, storable_moment
from bot.store.writes import Writes

MIGRATIONS = Path(__file__).parent / "migrations"
__all__ = ["MAX_STORED_CHARS", "Received", "Store", "StoreError", "async_url"]
LOCK_NAMESPACE = 7301  # pg_advisory_lock(namespace, conversation id): one kefu process per conversation
RECEIVED = "received"
MESSAGES, CONVERSATIONS = StoredMessage.__table__, Conversation.__table__
# The inbox's statements, built once: they run for every message (bench/throughput.py).
_BY_EXTERNAL_ID = select(MESSAGES).where(
    MESSAGES.c.channel == bindparam("channel"), MESSAGES.c.external_id == bindparam("external_id"))
_CONVERSATION = select(CONVERSATIONS).where(
    CONVERSATIONS.c.channel == bindparam("channel"), CONVERSATIONS.c.external_id == bindparam("external_id"))
_NEW_CONVERSATION = insert(CONVERSATIONS).returning(*CONVERSATIONS.c)
_NEW_MESSAGE = insert(MESSAGES).returning(MESSAGES.c.id)
_EARLIER_UNDECIDED = select(MESSAGES.c.id).where(
    MESSAGES.c.conversation_id == bindparam("conversation_id"), MESSAGES.c.status == RECEIVED,
    MESSAGES.c.direction == "in", MESSAGES.c.id < bindparam("message_id"),
).limit(1)


def async_url(url: str) -> str:
    """Accept the URLs people write and pick the async driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    for plain, driver in (("postgresql://", "postgresql+asyncpg://"), ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    return url


@dataclass(frozen=True)
class Received:
    conversation: Conversation
    message: StoredMessage
    duplicate: bool
    earlier_undecided: bool = True  # False: no older message of the conversation waits for a decision


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def _row(connection: Any, table: Any, row_id: int) -> Any:
    return (await connection.execute(select(table).where(table.c.id == row_id))).mappings().one()


async def _by_external_id(connection: Any, message: Message) -> Any:
    """The stored message this channel delivered before under the same id, if any."""
    if not message.external_id:
        return None
    return (await connection.execute(
        _BY_EXTERNAL_ID, {"channel": message.channel, "external_id": message.external_id}
    )).mappings().first()


async def _conversation(connection: Any, message: Message) -> Any:
    """The message's conversation (created on its first message), with what the channel says of
    the buyer's name and whereabouts (newest first) written in."""
    found = (await connection.execute(
        _CONVERSATION, {"channel": message.channel, "external_id": message.conversation}
    )).mappings().first()
    known: dict[str, Any] = {}
    if message.sender_name and not (found and found["buyer_name"]):
        known["buyer_name"] = message.sender_name
    if message.timezone:
        known["timezone"] = message.timezone[:64]
    if message.country:
        known["country"] = message.country.upper()[:2]
    if found is None:
        return (await connection.execute(_NEW_CONVERSATION, dict(
            channel=message.channel, external_id=message.conversation, buyer=message.sender, state="bot",
            priority=0, misses=0, created_at=message.received_at, updated_at=message.received_at, **known,
        ))).mappings().one()
    known = {key: value for key, value in known.items() if found[key] != value}
    if not known:
        return found
    return (await connection.execute(
        update(CONVERSATIONS).where(CONVERSATIONS.c.id == found["id"]).values(**known).returning(*CONVERSATIONS.c)
    )).mappings().one()


class Store(Writes, OutboxStore, Reports, Privacy, Accounts, InboxReads, Health):
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)
        self.postgres = engine.dialect.name == "postgresql"
        self._local_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    async def open(cls, url: str, migrate: bool = True) -> "Store":
        try:
            if async_url(url).startswith("sqlite"):
                engine = sqlite.open_engine(async_url(url))
            else:  # a server connection can drop: pinged before use
                engine = create_async_engine(async_url(url), pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise StoreError(f"cannot open {url.split(':', 1)[0]} databases: {exc} (install kefu[postgres])") from exc
        store = cls(engine)
        if migrate:
            try:
                await store.migrate()
            except Exception as exc:  # noqa: BLE001 - any driver error means the same to a user
                await engine.dispose()
                raise StoreError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: {exc}") from exc
        return store

    async def migrate(self) -> None:
        from alembic import command  # only when opening a database: `kefu classify` never pays for it
        from alembic.config import Config

        def upgrade(connection: Any) -> None:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def close(self) -> None:
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def conversation_lock(self, conversation_id: int) -> AsyncIterator[None]:
        """Messages of one conversation are decided one at a time, in order: within this process
        (an asyncio lock) and, on PostgreSQL, across processes (an advisory lock)."""
        lock = self._local_locks.get(conversation_id)
        if lock is None:
            lock = self._local_locks[conversation_id] = asyncio.Lock()
        async with lock:
            if not self.postgres:
                yield
                return
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT pg_advisory_lock(:ns, :id)"), {"ns": LOCK_NAMESPACE, "id": conversation_id})
                await connection.commit()
                try:
                    yield
                finally:
                    await connection.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), {"ns": LOCK_NAMESPACE, "id": conversation_id})
                    await connection.commit()

    async def hold_lock(self, key: int) -> Any:
        """A session-level advisory lock on its own connection, held until that connection is
        invalidated (PostgreSQL: leader election). Returns the connection, or None if taken."""
        connection = await self.engine.connect()
        try:
            won = (await connection.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": key})).scalar()
            await connection.commit()
        except Exception:
            await connection.close()
            raise
        if won:
            return connection
        await connection.close()
        return None

    @staticmethod
    async def alive(connection: Any) -> bool:
        try:
            await connection.execute(text("SELECT 1"))
            await connection.commit()
            return True
        except Exception:  # noqa: BLE001 - any failure means the session (and its locks) may be gone
            return False

    async def unprocessed(self, limit: int = 1000) -> Sequence[StoredMessage]:
        """Incoming messages stored but not yet decided, oldest first (what recovery picks up)."""
        query = select(StoredMessage).where(StoredMessage.status == RECEIVED, StoredMessage.direction == "in")
        async with self.session() as session:
            return snapshots(await session.scalars(query.order_by(StoredMessage.id).limit(limit)))

    async def conversation_and_undecided(
        self, conversation_id: int, up_to: int
    ) -> tuple[Conversation | None, Sequence[StoredMessage]]:
        """A conversation as it stands and its messages not yet decided, oldest first: one read."""
        async with self.session() as session:
            conversation = await session.get(Conversation, conversation_id)
            pending = (await session.scalars(
                select(StoredMessage).where(
                    StoredMessage.conversation_id == conversation_id, StoredMessage.status == RECEIVED,
                    StoredMessage.direction == "in", StoredMessage.id <= up_to,
                ).order_by(StoredMessage.id)
            )).all()
            return snapshot(conversation), snapshots(pending)

    async def message(self, message_id: int) -> StoredMessage | None:
        async with self.session() as session:
            return snapshot(await session.get(StoredMessage, message_id))

    async def count_attempt(self, message_id: int) -> int:
        """Recovery counts how often a message was picked up again: one that keeps killing the
        process is given to people instead of looping."""
        async with self.session() as session:
            attempts = await session.scalar(
                update(StoredMessage).where(StoredMessage.id == message_id)
                .values(attempts=StoredMessage.attempts + 1).returning(StoredMessage.attempts)
            )
            await session.commit()
            return int(attempts or 0)

    async def receive(self, message: Message) -> Received:
        """Store an incoming message (and its conversation) before anything else happens.

        A message whose channel id was seen before is a duplicate delivery: it is
        not stored twice and `duplicate` is True. A message the schema cannot hold
        as it is is stored fitted, and the original kept in `rejected`.
        Core statements on one connection: this runs for every message (bench/throughput.py).
        """
        original, fitted = message, fit_message(message)
        message, notes = fitted.message, fitted.notes
        try:
            async with self.engine.begin() as connection:
                found = await _by_external_id(connection, message)
                if found is not None:
                    conversation = await _row(connection, CONVERSATIONS, found["conversation_id"])
                    return Received(row_view(Conversation, conversation), row_view(StoredMessage, found), True)
                conversation = await _conversation(connection, message)
                values = dict(
                    conversation_id=conversation["id"], channel=message.channel, external_id=message.external_id,
                    direction="in", kind=message.kind.value, sender=message.sender, text=clip(message.text),
                    language=message.language_hint, status=RECEIVED, flags=[], raw=message.raw,
                    created_at=message.received_at,
                )
                message_id = (await connection.execute(_NEW_MESSAGE, values)).scalar_one()
                earlier = await connection.scalar(
                    _EARLIER_UNDECIDED, {"conversation_id": conversation["id"], "message_id": message_id})
        except IntegrityError:  # the same delivery (or the same new conversation) racing in twice: the other won
            return await self.receive(original)
        if notes:
            changes = "stored with changes: " + "; ".join(notes)
            await self.keep_rejected(message.channel, original_payload(original), changes, message.received_at)
        stored = StoredView(**{column: None for column in StoredView.__dataclass_fields__} | values | {
            "id": message_id, "handoff": False, "out_of_hours": False, "attempts": 0, "parts_sent": 0,
            "created_at": values["created_at"].astimezone(timezone.utc),  # as the column gives it back
        })  # what was just written, without reading it back
        return Received(row_view(Conversation, conversation), stored, False, earlier is not None)

    async def keep(self, message: Message, *, direction: str = "in", status: str, flags: list[str]) -> bool:
        """Keep an incoming message that gets no answer (a machine's mail: status "machine"; a colleague's
        letter: direction "note") in its conversation, without changing what is known about the buyer.
        False when it was kept before (the same delivery again)."""
        message = fit_message(message).message  # what the columns cannot hold is fitted, as in `receive`
        try:
            async with self.engine.begin() as connection:
                if await _by_external_id(connection, message) is not None:
                    return False
                conversation = await _conversation(connection, replace(message, timezone=None, country=None, sender_name=None))
                await connection.execute(insert(MESSAGES).values(
                    conversation_id=conversation["id"], channel=message.channel, external_id=message.external_id,
                    direction=direction, kind=message.kind.value, sender=message.sender, text=clip(message.text),
                    status=status, flags=flags, raw=message.raw, created_at=message.received_at,
                ))
        except IntegrityError:
            return False
        return True

    async def conversation(self, conversation_id: int) -> Conversation | None:
        async with self.session() as session:
            return snapshot(await session.get(Conversation, conversation_id))

    async def find_conversation(self, channel: str, external_id: str) -> Conversation | None:
        async with self.session() as session:
            return snapshot(await session.scalar(
                select(Conversation).where(Conversation.channel == channel, Conversation.external_id == external_id)
            ))

    async def find_by_desk_ref(self, desk_ref: str) -> Conversation | None:
        """The conversation an agent desk shows at `desk_ref` (a Slack thread, a Telegram topic)."""
        async with self.session() as session:
            return snapshot(await session.scalar(select(Conversation).where(Conversation.desk_ref == desk_ref).limit(1)))

    async def messages(
        self, conversation_id: int | None = None, since: datetime | None = None, statuses: Sequence[str] | None = None
    ) -> Sequence[StoredMessage]:
        query = select(StoredMessage).order_by(StoredMessage.id)
        if conversation_id is not None:
            query = query.where(StoredMessage.conversation_id == conversation_id)
        if statuses is not None:
            query = query.where(StoredMessage.status.in_(list(statuses)))
        if since is not None:
            query = query.where(StoredMessage.created_at >= since)
        async with self.session() as session:
            return snapshots(await session.scalars(query))

    async def conversations(self, state: str | None = None) -> Sequence[Conversation]:
        query = select(Conversation).order_by(Conversation.id)
        if state is not None:
            query = query.where(Conversation.state == state)
        async with self.session() as session:
            return snapshots(await session.scalars(query))

    async def keep_rejected(self, channel: str, payload: str, error: str, at: datetime) -> None:
        """Keep what a channel could not read, so nothing that arrived is lost."""
        row = Rejected(  # fitted like a message: this is where unfit input ends up, so it must never fail
            channel=fit_text("channel", channel, LIMITS["channel"], []), payload=clip(payload),
            error=clip(error[:ERROR_LIMIT]), received_at=storable_moment(at),
        )
        async with self.session() as session:
            session.add(row)
            await session.commit()

    async def rejected(self) -> Sequence[Rejected]:
        async with self.session() as session:
            return snapshots(await session.scalars(select(Rejected).order_by(Rejected.id)))

    # -- translation memory ---------------------------------------------------------

    async def remembered(self, source_lang: str, target_lang: str, text: str) -> str | None:
        async with self.session() as session:
            return await session.scalar(
                select(TranslationMemory.translation).where(
                    TranslationMemory.source_lang == source_lang,
                    TranslationMemory.target_lang == target_lang,
                    TranslationMemory.digest == _digest(text),
                )
            )

    async def remember(self, source_lang: str, target_lang: str, text: str, translation: str, provider: str, at: datetime) -> None:
        async with self.session() as session:
            session.add(TranslationMemory(
                source_lang=source_lang, target_lang=target_lang, digest=_digest(text), source=clip(text),
                translation=clip(translation), provider=provider[:255], created_at=at,
            ))
            try:
                await session.commit()
            except IntegrityError:  # remembered concurrently: same text, same answer
                await session.rollback()

    # -- orders ---------------------------------------------------------------------

    async def save_orders(self, orders: list[dict[str, Any]]) -> int:
        """Insert or update orders by their order id; returns how many were written."""
        async with self.session() as session:
            for fields in orders:
                found = await session.scalar(select(Order).where(Order.order_id == fields["order_id"]))
                if found is None:
                    session.add(Order(**fields))
                else:
                    for key, value in fields.items():
                        setattr(found, key, value)
            await session.commit()
        return len(orders)

    async def order(self, order_id: str) -> Order | None:
        async with self.session() as session:
            return snapshot(await session.scalar(select(Order).where(Order.order_id == order_id)))

    async def destinations(self) -> dict[str, int]:
        """The parcels' destinations buyers asked about (customs): country → conversations."""
        async with self.session() as session:
            rows = await session.execute(
                select(Conversation.destination, func.count(Conversation.id))
                .where(Conversation.destination.is_not(None)).group_by(Conversation.destination)
            )
            return {code: count for code, count in rows}

    async def latest_order(self, buyer: str) -> Order | None:
        async with self.session() as session:
            return snapshot(await session.scalar(select(Order).where(Order.buyer == buyer).order_by(Order.placed_at.desc()).limit(1)))

    async def buyer_totals(self, buyer: str) -> tuple[int, float]:
        """How many orders a buyer placed and how much they spent (cancelled ones excluded)."""
        async with self.session() as session:
            row = (await session.execute(
                select(func.count(Order.id), func.coalesce(func.sum(Order.amount), 0.0))
                .where(Order.buyer == buyer, Order.status != "cancelled")
            )).one()
            return int(row[0]), float(row[1])

    async def show_at(self, conversation_id: int, desk_ref: str) -> None:
        """Where an agent desk shows a conversation (not a transition: nothing else writes it)."""
        async with self.session() as session:
            await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(desk_ref=desk_ref[:255]))
            await session.commit()

    async def idle_held(self, before: datetime) -> Sequence[Conversation]:
        """Held conversations whose agent has done nothing since `before`."""
        async with self.session() as session:
            return snapshots(await session.scalars(
                select(Conversation).where(
                    Conversation.state == "held",
                    func.coalesce(Conversation.agent_seen_at, Conversation.updated_at) < before,
                ).order_by(Conversation.id)
            ))

    # -- order notices --------------------------------------------------------------

    async def notice_candidates(self) -> Sequence[Order]:
        """Orders in a state that may owe the buyer a notice."""
        async with self.session() as session:
            return snapshots(await session.scalars(
                select(Order).where(Order.status.in_(("placed", "shipped", "delivered"))).order_by(Order.id)
            ))

    async def latest_conversation(self, buyer: str) -> Conversation | None:
        async with self.session() as session:
            return snapshot(await session.scalar(
                select(Conversation).where(Conversation.buyer == buyer).order_by(Conversation.updated_at.desc()).limit(1)
            ))

    async def commit_notice(self, order: Order, due: str, conversation: Conversation, notice: "Outgoing") -> int | None:
        """Claim the notice and write it to the outbox, in one transaction: the order's `notified`
        moves from what we read to `due` only if nobody moved it meanwhile, so with several
        workers each notice is written once. Returns the outbox row, or None (another won)."""
        from bot.store.writes import write_outbox

        async with self.session() as session:
            async with session.begin():
                claimed = await session.execute(
                    update(Order).where(
                        Order.id == order.id,
                        Order.notified.is_(None) if order.notified is None else Order.notified == order.notified,
                    ).values(notified=due)
                )
                if claimed.rowcount != 1:
                    return None
                return (await write_outbox(session, conversation, [notice]))[0]
