"""What one stored text may hold."""

from __future__ import annotations

# Text columns are unbounded, but nobody needs more than this of one message.
MAX_STORED_CHARS = 200_000


def clip(text: str) -> str:
    """At most MAX_STORED_CHARS, and no NUL (PostgreSQL cannot store it in text)."""
    return text[:MAX_STORED_CHARS].replace("\x00", "\ufffd")
