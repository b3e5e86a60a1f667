"""Text every layer can hold.

Python strings may carry lone surrogates (JSON's "\\ud800", a truncated emoji
from a UTF-16 client): UTF-8 cannot encode them, so the detector's Rust models,
HTTP clients, the databases and stdout all fail on them. PostgreSQL also cannot
store NUL. These functions are the one place that repairs both, and that
reads bytes from outside as UTF-8.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def valid_unicode(text: str) -> str:
    """`text` encodable as UTF-8: a surrogate pair becomes its character, a lone one U+FFFD."""
    if not has_surrogates(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def storable(text: str) -> str:
    """`text` any database can store: valid Unicode, and no NUL."""
    return valid_unicode(text).replace("\x00", REPLACEMENT)


class NotUTF8(ValueError):
    """Bytes that are not UTF-8; the message names the first bad byte and where it is."""


def utf8(data: bytes) -> str:
    """`data` decoded as UTF-8, or `NotUTF8` saying which byte is wrong (1-based position)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUTF8(f"not UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start + 1})") from None
