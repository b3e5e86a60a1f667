"""What the Slack Web API refuses, checked the way Slack checks it (see tests/fakes/README.md).

Block Kit errors come back as ``invalid_blocks`` with an ``errors`` list of
"<message> [json-pointer:/blocks/…]" strings, the same lines in
``response_metadata.messages`` prefixed with "[ERROR] ".
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from ._server import ApiError

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_ACTION_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ID = 255
MAX_BLOCK_ID = 255
_TS = re.compile(r"\d{9,10}\.\d{6}")

# The bot scopes each method needs (Slack's method reference pages, "Required scopes").
METHOD_SCOPES = {
    "chat.postMessage": "chat:write", "chat.update": "chat:write", "chat.postEphemeral": "chat:write",
    "users.info": "users:read", "reactions.add": "reactions:write", "conversations.open": "im:write",
    "conversations.info": "channels:read",
}
# What docs/slack-manifest.yaml grants, plus what the fake's other methods need.
ALL_SCOPES = frozenset({
    "app_mentions:read", "chat:write", "im:history", "users:read", "channels:history", "groups:history",
    "reactions:write", "im:write", "channels:read",
})


def invalid_blocks(*problems: str) -> ApiError:
    return ApiError(200, "invalid_blocks", errors=list(problems),
                    response_metadata={"messages": [f"[ERROR] {problem}" for problem in problems]})


def check_blocks(blocks: Any) -> None:
    """The limits of https://api.slack.com/reference/block-kit/blocks that kefu's cards can meet."""
    if blocks in (None, "", []):
        return
    if not isinstance(blocks, list) or not all(isinstance(block, dict) for block in blocks):
        raise ApiError(200, "invalid_blocks_format")
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for number, block in enumerate(blocks):
        where = f"/blocks/{number}"
        if len(str(block.get("block_id", ""))) > MAX_BLOCK_ID:
            problems.append(f"must be less than {MAX_BLOCK_ID + 1} characters [json-pointer:{where}/block_id]")
        if block.get("type") == "section":
            problems += _text_object(block.get("text"), f"{where}/text", MAX_SECTION_TEXT)
        elif block.get("type") == "actions":
            elements = block.get("elements") or []
            if len(elements) > MAX_ACTION_ELEMENTS:
                problems.append(f"no more than {MAX_ACTION_ELEMENTS} items allowed [json-pointer:{where}/elements]")
            for index, element in enumerate(elements):
                problems += _button(element, f"{where}/elements/{index}")
        elif block.get("type") not in ("divider", "context", "header", "rich_text", "image"):
            problems.append(f"failed to match all allowed schemas [json-pointer:{where}]")
    if problems:
        raise invalid_blocks(*problems)


def _text_object(text: Any, where: str, limit: int) -> list[str]:
    if not isinstance(text, dict) or text.get("type") not in ("mrkdwn", "plain_text"):
        return [f"failed to match all allowed schemas [json-pointer:{where}]"]
    body = str(text.get("text") or "")
    if not body:
        return [f"must be more than 0 characters [json-pointer:{where}/text]"]
    if len(body) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


def _button(element: dict[str, Any], where: str) -> list[str]:
    if element.get("type") != "button":
        return []
    problems = []
    text = element.get("text")
    if not isinstance(text, dict) or text.get("type") != "plain_text":
        problems.append(f"failed to match all allowed schemas [json-pointer:{where}/text]")
    elif len(str(text.get("text") or "")) > MAX_BUTTON_TEXT:
        problems.append(f"must be less than {MAX_BUTTON_TEXT + 1} characters [json-pointer:{where}/text/text]")
    if len(str(element.get("action_id", ""))) > MAX_ACTION_ID:
        problems.append(f"must be less than {MAX_ACTION_ID + 1} characters [json-pointer:{where}/action_id]")
    if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
        problems.append(f"must be less than {MAX_BUTTON_VALUE + 1} characters [json-pointer:{where}/value]")
    return problems


def check_thread(thread_ts: Any) -> None:
    """A thread_ts is a message timestamp, "1700000000.000100"; anything else is refused."""
    if thread_ts not in (None, "") and not _TS.fullmatch(str(thread_ts)):
        raise ApiError(200, "invalid_thread_ts")


def check_scope(method: str, scopes: frozenset[str]) -> None:
    needed = METHOD_SCOPES.get(method)
    if needed and needed not in scopes:
        raise ApiError(200, "missing_scope", needed=needed, provided=",".join(sorted(scopes)))


class RateLimit:
    """Slack's "1 message per second per channel" for posting, answered 429 + Retry-After when exceeded."""

    POSTING = ("chat.postMessage", "chat.postEphemeral", "chat.update")

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def check(self, method: str, channel: str) -> None:
        if method not in self.POSTING:
            return
        now = time.monotonic()
        with self._lock:
            last = self._last.get(channel)
            if last is not None and now - last < self.interval:
                wait = self.interval - (now - last)
                raise ApiError(429, "ratelimited", retry_after=max(1, int(wait + 0.999)))
            self._last[channel] = now
