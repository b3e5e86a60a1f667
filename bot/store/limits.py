"""What one stored text may hold."""

from __future__ import annotations

from bot.text import storable

# Text columns are unbounded, but nobody needs more than this of one message.
MAX_STORED_CHARS = 200_000


def clip(text: str) -> str:
    """At most MAX_STORED_CHARS of text any database can store (valid Unicode, no NUL)."""
    return storable(text[:MAX_STORED_CHARS])
