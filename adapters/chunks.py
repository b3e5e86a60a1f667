"""Cutting a long answer into messages a chat service accepts.

Chat services cap a message (Telegram at 4096 characters); an answer longer
than that is sent as several messages, cut where a reader would pause: between
paragraphs, else between lines, else after a sentence, else between words.
"""

from __future__ import annotations

from typing import Callable

# Where to cut, best first. A cut is only taken in the back three quarters of
# the window, so a long answer never produces a string of tiny messages.
_BOUNDARIES = ("\n\n", "\n", ". ", "! ", "? ", "。", " ")


def utf16_units(char: str) -> int:
    """Telegram counts length in UTF-16 code units: characters beyond the BMP (most emoji) count twice."""
    return 2 if ord(char) > 0xFFFF else 1


def split_text(text: str, limit: int, units: Callable[[str], int] = lambda char: 1) -> list[str]:
    """`text` as pieces of at most `limit` units each (`units` measures one character), no blank pieces."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text.strip()
    while rest:
        window = _window(rest, limit, units)
        if len(window) == len(rest):
            pieces.append(rest)
            break
        cut = _cut(window)
        piece, rest = rest[:cut].strip(), rest[cut:].strip()
        if piece:
            pieces.append(piece)
    return pieces


def _window(text: str, limit: int, units: Callable[[str], int]) -> str:
    """The longest prefix of `text` that fits in `limit` units."""
    used = 0
    for index, char in enumerate(text):
        used += units(char)
        if used > limit:
            return text[:index]
    return text


def _cut(window: str) -> int:
    floor = len(window) // 4
    for boundary in _BOUNDARIES:
        at = window.rfind(boundary)
        if at > floor:
            return at + len(boundary)
    return len(window)
