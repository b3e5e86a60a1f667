"""Text every layer can hold.

Python strings may carry lone surrogates (JSON's "\\ud800", a truncated emoji
from a UTF-16 client): UTF-8 cannot encode them, so the detector's Rust models,
HTTP clients, the databases and stdout all fail on them. PostgreSQL also cannot
store NUL. These two functions are the one place that repairs both.
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
