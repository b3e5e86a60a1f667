"""Small factories for test payloads, instead of literals pasted into each test."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from bot.message import Kind, Message

_ids = itertools.count(1)


def buyer_message(
    text: str,
    *,
    channel: str = "console",
    conversation: str = "chat-1",
    sender: str = "buyer-1",
    name: str | None = None,
    hint: str | None = None,
    kind: Kind = Kind.TEXT,
    at: datetime | None = None,
    external_id: str | None = None,
) -> Message:
    return Message(
        channel=channel, conversation=conversation, sender=sender, text=text, sender_name=name,
        received_at=at or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc), kind=kind, language_hint=hint,
        external_id=external_id or f"m{next(_ids)}", raw={"text": text},
    )


def babel_moment(instant: datetime, zone: str, locale: str) -> str:
    """How Babel itself writes `instant` in `zone` for `locale` ("Mon, Nov 23, 7:00 PM"): tests compare
    with this, never with a hand-typed string that a CLDR update changes."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_skeleton, format_time

    local = instant.astimezone(ZoneInfo(zone))
    return f"{format_skeleton('MMMEd', local, locale=locale)}, {format_time(local, 'short', locale=locale)}"
