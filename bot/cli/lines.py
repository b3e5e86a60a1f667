"""JSON lines in and out, for `kefu classify` and `kefu reply`: every input line gets exactly one output line.

Input is read as bytes and decoded line by line, so one line that is not
UTF-8 is that line's error, not the end of the stream. A line that cannot be
used (empty, not UTF-8, not JSON, not an object, a field missing or of the
wrong type) becomes `BadLine`, which the command writes as an error line.
Output is always UTF-8 JSON, whatever the terminal's locale.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import IO, Any, Iterator

from bot.text import NotUTF8, utf8, valid_unicode


class BadLine(ValueError):
    """Why one input line cannot be used, in words the user can act on."""


def numbered_lines(stream: IO[Any] | None = None) -> Iterator[tuple[int, bytes]]:
    """(line number, the line's bytes without its line ending), from stdin by default."""
    source = stream if stream is not None else sys.stdin
    source = getattr(source, "buffer", source)  # text streams: read the bytes underneath
    for number, line in enumerate(source, 1):
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        yield number, line.rstrip(b"\r\n")


def decode(line: bytes) -> str:
    try:
        return utf8(line)
    except NotUTF8 as exc:
        raise BadLine(str(exc)) from None


def parse_object(line: bytes) -> dict[str, Any]:
    """One line as a JSON object."""
    text = decode(line)
    if not text.strip():
        raise BadLine("empty line")
    try:
        item = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(f"not JSON ({exc.msg} at column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, arrays nested thousands deep
        raise BadLine(f"not JSON kefu can read ({str(exc)[:120] or type(exc).__name__})") from None
    if not isinstance(item, dict):
        raise BadLine(f"each line must be a JSON object, not {json_type(item)}")
    return item


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def string(item: dict[str, Any], key: str, *, required: bool = False, number_ok: bool = False) -> str | None:
    """`item[key]` as text; None when absent or null (an error when `required`).

    `number_ok` accepts an integer too, for ids channels send as numbers (Telegram's chat ids).
    """
    value = item.get(key)
    if value is None:
        if required:
            raise BadLine(f'"{key}" is missing')
        return None
    if number_ok and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        wanted = "a string or an integer" if number_ok else "a string"
        raise BadLine(f'"{key}" must be {wanted}, not {json_type(value)}')
    return value


def moment(item: dict[str, Any], key: str) -> datetime:
    """An ISO-8601 time with a UTC offset, that exists in UTC too."""
    value = string(item, key, required=True)
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadLine(f'"{key}" is not an ISO-8601 time: {shown(value)}') from None
    if at.tzinfo is None:
        raise BadLine(f'"{key}" needs a UTC offset: {shown(value)}')
    try:
        at.astimezone(timezone.utc)
    except OverflowError:
        raise BadLine(f'"{key}" is out of range once in UTC: {shown(value)}') from None
    return at


def shown(value: str, limit: int = 60) -> str:
    """A value quoted in an error: short and printable."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


# Line breaks JSON leaves raw in strings but many line readers split on (str.splitlines, older JavaScript):
# escaped, so one output line is one line for every reader.
_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


class Output:
    """Writes one JSON object per line as UTF-8 (stdout by default)."""

    def __init__(self, stream: IO[Any] | None = None) -> None:
        target = stream if stream is not None else sys.stdout
        self.stream = getattr(target, "buffer", target)

    def write(self, obj: dict[str, Any], flush: bool = False) -> None:
        # the last guard: a lone surrogate anywhere (the echo of an input, an error message) becomes U+FFFD
        line = valid_unicode(json.dumps(obj, ensure_ascii=False)).translate(_LINE_BREAKS) + "\n"
        self.stream.write(line.encode("utf-8") if not hasattr(self.stream, "encoding") else line)
        if flush:
            self.flush()

    def error(self, number: int, problem: str, **blanks: Any) -> None:
        self.write({**blanks, "error": f"line {number}: {problem}"}, flush=True)

    def flush(self) -> None:
        self.stream.flush()
