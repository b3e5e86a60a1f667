"""Database tables (SQLAlchemy 2). The schema itself is created by Alembic."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, text, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


_PENDING = text("delivery IN ('pending', 'sending')")
_RECEIVED = text("status = 'received'")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_conversation_channel"),
        Index("ix_conversations_desk_ref", "desk_ref"),
        Index("ix_conversations_state", "state"),
        Index("ix_conversations_updated", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    buyer: Mapped[str] = mapped_column(String(255))
    buyer_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name, or "+03:00" from a mail's Date
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16), default="bot")  # bot | waiting | held
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    handoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agent: Mapped[str | None] = mapped_column(String(255))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=0)  # consecutive messages with no intent
    away_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # last out-of-hours auto-reply
    desk_ref: Mapped[str | None] = mapped_column(String(255))  # where the agent desk shows it
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every transition (conversation/states.py)
    agent_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the agent's last action: idle release
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the channel cannot reach the buyer
    destination: Mapped[str | None] = mapped_column(String(2))  # where the buyer's parcel goes (customs answers)
    destination_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the bot asked it (once)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StoredMessage(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_message_channel_external"),
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index("ix_messages_created", "created_at"),
        UniqueConstraint("reply_to", name="uq_messages_reply_to"),
        Index("ix_messages_outbox", "due_at", sqlite_where=_PENDING, postgresql_where=_PENDING),
        Index("ix_messages_inbox", "conversation_id", "id", sqlite_where=_RECEIVED, postgresql_where=_RECEIVED),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(8))  # in | out (bot) | agent
    kind: Mapped[str] = mapped_column(String(16), default="text")
    sender: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(16))
    pivot: Mapped[str | None] = mapped_column(Text)  # the English text matched / the agent-language text
    intent: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    handoff: Mapped[bool] = mapped_column(Boolean, default=False)
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    out_of_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received | processed | failed
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An outgoing row is its own outbox entry (bot/serve/outbox.py delivers it).
    reply_to: Mapped[int | None] = mapped_column(Integer)  # the incoming message this answers: one answer each
    delivery: Mapped[str | None] = mapped_column(String(16))  # pending | sending | sent | failed (None: incoming)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)  # parts of a split message already delivered
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # not before (back-off, Retry-After)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())  # a sender is on it until then
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery_error: Mapped[str | None] = mapped_column(Text)


class TranslationMemory(Base):
    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("source_lang", "target_lang", "digest", name="uq_translation"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    translation: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Order(Base):
    """A shop order, imported by an admin (`kefu orders import`), so the bot can answer with facts."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    buyer: Mapped[str] = mapped_column(String(255), index=True)  # the buyer's id or address on a channel
    items: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    currency: Mapped[str] = mapped_column(String(8), default="USD")
    status: Mapped[str] = mapped_column(String(32), default="placed")  # placed | paid | shipped | delivered | cancelled
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    ship_country: Mapped[str | None] = mapped_column(String(2))  # the shipping address's country (ISO 3166)
    parcel: Mapped[str | None] = mapped_column(String(16))  # not_found | in_transit | pickup | delivered | expired | alert
    notified: Mapped[str | None] = mapped_column(String(32))  # the last proactive notice sent for this order
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Rejected(Base):
    """A payload a channel could not turn into a message (malformed update, event that failed)."""

    __tablename__ = "rejected"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PrivacyAudit(Base):
    """One erasure (`kefu forget`, a retention run): counts and a salted hash, never the buyer's id."""

    __tablename__ = "privacy_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # forget | retention
    ran_by: Mapped[str] = mapped_column(String(255))
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject_hash: Mapped[str | None] = mapped_column(String(64))  # HMAC-SHA256 of the buyer id (forget only)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PrivacySalt(Base):
    __tablename__ = "privacy_salt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))


class Account(Base):
    """Someone who signs in to the web workspace (`kefu agents add`)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("name", name="uq_account_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))  # agent | admin
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    language: Mapped[str] = mapped_column(String(16), default="en")  # the interface and the buyers' words: en | zh
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)  # bumped: every earlier session ends
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebKey(Base):
    """The key that signs the workspace's session cookies (one row; KEFU_WEB_SECRET overrides it)."""

    __tablename__ = "web_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))


class ChannelHealth(Base):
    """How a running channel is doing, reported by every `kefu run` process that serves it (bot/serve/health.py)."""

    __tablename__ = "channel_health"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the last report: running while this is recent
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last buyer message it took in
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the last outbox row it delivered
    last_error: Mapped[str | None] = mapped_column(Text)  # the last failure: a lost connection, a refused send
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
