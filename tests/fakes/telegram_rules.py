"""What the Bot API refuses, checked the way the real server checks it (see tests/fakes/README.md).

Each check raises ``ApiError`` with the status and description Telegram answers. Kept apart from
``telegram_api`` so the server reads as routing and state, and the rules as the rules.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from ._server import ApiError

MAX_TEXT = 4096  # sendMessage text, UTF-16 code units after entity parsing
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
MAX_COMMANDS = 100
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code",
              "pre", "blockquote", "tg-emoji"}


def utf16_len(text: str) -> int:
    return sum(2 if ord(char) > 0xFFFF else 1 for char in text)


def _entities_error(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def plain_text(text: str, parse_mode: str | None) -> str:
    """The text a reader sees once the markup is parsed; refuses what Telegram cannot parse."""
    if parse_mode in (None, ""):
        return text
    mode = str(parse_mode).lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise ApiError(400, "Bad Request: unsupported parse_mode")


def _parse_html(text: str) -> str:
    out: list[str] = []
    open_tags: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            end = text.find(">", index)
            if end == -1:
                raise _entities_error(f"Unclosed start tag at byte offset {len(text[:index].encode())}")
            tag = text[index + 1:end].strip()
            name = tag.lstrip("/").split()[0].lower() if tag.lstrip("/") else ""
            offset = len(text[:index].encode())
            if tag.startswith("/"):
                if not open_tags or open_tags[-1] != name:
                    raise _entities_error(f'Unmatched end tag at byte offset {offset}, expected "</{open_tags[-1]}>", '
                                          f'found "</{name}>"' if open_tags else
                                          f'Unexpected end tag at byte offset {offset}')
                open_tags.pop()
            elif name not in _HTML_TAGS:
                raise _entities_error(f'Unsupported start tag "{name}" at byte offset {offset}')
            else:
                open_tags.append(name)
            index = end + 1
            continue
        out.append(char)
        index += 1
    if open_tags:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return html.unescape("".join(out))


_V2_MARKERS = {"*": "Bold", "_": "Italic", "~": "Strikethrough", "||": "Spoiler", "__": "Underline"}


def _parse_markdown_v2(text: str) -> str:
    out: list[str] = []
    open_marks: list[tuple[str, int]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            out.append(text[index + 1])
            index += 2
            continue
        if char == "`":
            end = text.find("`", index + 1)
            if end == -1:
                raise _entities_error(f"Can't find end of Code entity at byte offset {len(text[:index].encode())}")
            out.append(text[index + 1:end])
            index = end + 1
            continue
        if char == "[":
            close = text.find("](", index)
            end = text.find(")", close + 2) if close != -1 else -1
            if close == -1 or end == -1:
                raise _entities_error(f"Can't find end of TextUrl entity at byte offset {len(text[:index].encode())}")
            out.append(_parse_markdown_v2(text[index + 1:close]))
            index = end + 1
            continue
        mark = text[index:index + 2] if text[index:index + 2] in ("||", "__") else char
        if mark in _V2_MARKERS:
            if open_marks and open_marks[-1][0] == mark:
                open_marks.pop()
            else:
                open_marks.append((mark, len(text[:index].encode())))
            index += len(mark)
            continue
        if char in _MARKDOWN_V2_RESERVED:
            raise _entities_error(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        out.append(char)
        index += 1
    if open_marks:
        mark, offset = open_marks[-1]
        raise _entities_error(f"Can't find end of {_V2_MARKERS[mark]} entity at byte offset {offset}")
    return "".join(out)


def _parse_markdown(text: str) -> str:
    """Legacy Markdown: *bold*, _italic_, `code`, [text](url); an unclosed marker is refused."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char in "*_`":
            end = text.find(char, index + 1)
            if end == -1:
                raise _entities_error(f"Can't find end of the entity starting at byte offset {len(text[:index].encode())}")
            out.append(text[index + 1:end])
            index = end + 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def check_text(params: dict[str, Any], key: str = "text") -> str:
    """sendMessage/editMessageText text: present, parseable, at most 4096 units once parsed."""
    shown = plain_text(params.get(key) or "", params.get("parse_mode"))
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(shown) > MAX_TEXT:
        raise ApiError(400, "Bad Request: message is too long")
    return shown


def check_caption(params: dict[str, Any]) -> None:
    caption = params.get("caption")
    if caption and utf16_len(plain_text(caption, params.get("parse_mode"))) > MAX_CAPTION:
        raise ApiError(400, "Bad Request: message caption is too long")


def check_markup(params: dict[str, Any]) -> None:
    """Inline keyboards: every callback_data 1–64 bytes."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def check_commands(commands: Any) -> None:
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list)
                       else "Bad Request: can't parse commands JSON object")
    for command in commands:
        if not _COMMAND.fullmatch(str(command.get("command", "")).lstrip("/")):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        description = str(command.get("description") or "").strip()
        if not description:
            raise ApiError(400, "Bad Request: command description must be non-empty")
        if len(description) > 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's documented pacing: ~1 message/s in a private chat, 20/min in a group, 30/s overall.

    `window` scales the group minute, so tests can run the same rule in a fraction of the time.
    """

    private_interval: float = 1.0
    group_per_window: int = 20
    window: float = 60.0
    per_second: int = 30


class Flood:
    """Counts sends per chat; answers 429 with `retry_after` as Telegram does when one is over its limit."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._last: dict[int, float] = {}
        self._group: dict[int, deque[float]] = {}
        self._all: deque[float] = deque()

    def check(self, chat_id: int) -> None:
        now, limits = time.monotonic(), self.limits
        with self._lock:
            while self._all and now - self._all[0] >= 1.0:
                self._all.popleft()
            if len(self._all) >= limits.per_second:
                self._refuse(1.0 - (now - self._all[0]))
            if chat_id > 0:
                last = self._last.get(chat_id)
                if last is not None and now - last < limits.private_interval:
                    self._refuse(limits.private_interval - (now - last))
                self._last[chat_id] = now
            else:
                sent = self._group.setdefault(chat_id, deque())
                while sent and now - sent[0] >= limits.window:
                    sent.popleft()
                if len(sent) >= limits.group_per_window:
                    self._refuse(limits.window - (now - sent[0]))
                sent.append(now)
            self._all.append(now)

    @staticmethod
    def _refuse(wait: float) -> None:
        retry_after = max(1, math.ceil(wait))
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", parameters={"retry_after": retry_after})
