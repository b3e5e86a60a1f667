"""Lines of mail text: tidied, unflowed, and read without the invisible marks mail programs add.

Shared by the HTML conversion, the quote finder and the signature cutter; the
patterns of mail-parser-reply (reply headers and disclaimers of many mail
programs, all its languages) are built once here.
"""

from __future__ import annotations

import re

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage as LibraryMessage

LIBRARY = LibraryMessage(text="", languages=list(MAIL_LANGUAGES))  # its HEADER_REGEX and DISCLAIMERS_REGEX


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    out: list[str] = []
    for line in text.split("\n"):
        joined = out[-1] if out else None
        if joined is not None and joined.endswith(" ") and joined != "-- " and not line.startswith(">"):
            out[-1] = (joined[:-1] if delsp else joined) + line
        else:
            out.append(line[1:] if line.startswith(" ") else line)  # space-stuffing
    return "\n".join(out)



# Right-to-left and other invisible marks mail programs put around names and dates (Gmail in Arabic).
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")


def plain(line: str) -> str:
    return INVISIBLE.sub("", line).strip()


