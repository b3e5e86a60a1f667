"""The console channel: talk to the bot as a buyer, in a terminal, with no network.

It goes through the same pipeline as every other channel; `kefu chat` runs it.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import datetime, timezone
from typing import Callable, TextIO

from bot.hours import utc_offset
from bot.message import Message, Reply, Style

CHANNEL = "console"


def make_message(text: str, conversation: str, sender: str, name: str | None, language: str | None) -> Message:
    return Message(
        channel=CHANNEL, conversation=conversation, sender=sender, text=text, sender_name=name,
        received_at=datetime.now(timezone.utc), language_hint=language, external_id=uuid.uuid4().hex,
        timezone=utc_offset(datetime.now().astimezone()),  # the buyer at the console is on this machine
        raw={"text": text},
    )


async def _read_line(stream: TextIO) -> str | None:
    line = await asyncio.to_thread(stream.readline)
    return None if line == "" else line.rstrip("\n")


async def run_console(
    handle: Callable[[Message, Style], "asyncio.Future[Reply]"],
    show: Callable[[Reply], None],
    *,
    sender: str = "buyer",
    name: str | None = None,
    language: str | None = None,
    style: Style = Style.CHAT,
    stream: TextIO | None = None,
    prompt: Callable[[], None] = lambda: None,
) -> None:
    """Read buyer lines until end of input or /quit; show each reply."""
    conversation = f"{CHANNEL}-{sender}"
    stream = stream or sys.stdin  # looked up now: tests and pipes replace sys.stdin
    while True:
        prompt()
        line = await _read_line(stream)
        if line is None or line.strip() in ("/quit", "/exit"):
            return
        reply = await handle(make_message(line, conversation, sender, name, language), style)
        show(reply)
