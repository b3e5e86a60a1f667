"""The one message model every channel speaks.

Adapters turn whatever arrives (a Telegram update, a Slack event, an e-mail)
into a `Message`, and turn the core's `Reply` back into the channel's form.
The core never imports an adapter; they meet only here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Kind(str, enum.Enum):
    """What the buyer sent. Anything but TEXT is something the bot cannot read."""

    TEXT = "text"
    PHOTO = "photo"
    STICKER = "sticker"
    VOICE = "voice"
    FILE = "file"
    OTHER = "other"


class Style(str, enum.Enum):
    """How an answer is shaped: a short chat message or a full letter."""

    CHAT = "chat"
    LETTER = "letter"


LETTER_CHANNELS = frozenset({"email"})  # channels whose answers are full letters


def style_for(channel: str) -> Style:
    return Style.LETTER if channel in LETTER_CHANNELS else Style.CHAT


@dataclass(frozen=True)
class Message:
    """A buyer's message, normalised.

    `conversation` is the channel's own id for the chat or mail thread; with
    `channel` it identifies the conversation. `received_at` is always aware.
    `raw` keeps the channel payload so nothing is lost to normalisation.
    """

    channel: str
    conversation: str
    sender: str
    text: str
    received_at: datetime
    kind: Kind = Kind.TEXT
    sender_name: str | None = None
    language_hint: str | None = None
    external_id: str | None = None  # the channel's message id, for de-duplication
    subject: str | None = None  # e-mail subject, when there is one
    timezone: str | None = None  # the buyer's zone when the channel tells: IANA name or "+03:00"
    country: str | None = None  # the buyer's country (ISO 3166 alpha-2) when the channel tells
    raw: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("Message.received_at must be timezone-aware")


@dataclass(frozen=True)
class Reply:
    """What the bot says back, already in the buyer's language and shaped for the channel.

    `text` is None when the bot stays silent (a human holds the chat, or the
    message was a duplicate).
    """

    text: str | None
    intent: str | None = None
    score: float = 0.0
    language: str = "en"
    handoff: bool = False
    handoff_reason: str | None = None
    out_of_hours: bool = False
    style: Style = Style.CHAT
    conversation: str = ""
    notes: tuple[str, ...] = ()  # for agents: e.g. "translation unavailable"
    outbox: tuple[int, ...] = ()  # the outbox rows that carry `text` to the buyer
    duplicate: bool = False  # a redelivery: this is the answer written the first time

    @property
    def silent(self) -> bool:
        return self.text is None
