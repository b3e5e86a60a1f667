"""The console channel: talk to the bot as a buyer, in a terminal, with no network.

It goes through the same pipeline as every other channel; `kefu chat` runs it. The
terminal shows the bot's answer to each line itself; anything else owed to this buyer
(an agent's reply from a desk, "a colleague joined", a notice) arrives through the
outbox and `ConsoleChannel.send_text`, while you type.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from datetime import datetime, timezone
from typing import Awaitable, Callable, TextIO

from adapters.base import Channel, Handler
from bot.hours import utc_offset
from bot.message import Message, Reply, Style
from bot.text import NotUTF8, utf8

CHANNEL = "console"
log = logging.getLogger(__name__)


def make_message(text: str, conversation: str, sender: str, name: str | None, language: str | None) -> Message:
    return Message(
        channel=CHANNEL, conversation=conversation, sender=sender, text=text, sender_name=name,
        received_at=datetime.now(timezone.utc), language_hint=language, external_id=uuid.uuid4().hex,
        timezone=utc_offset(datetime.now().astimezone()),  # the buyer at the console is on this machine
        raw={"text": text},
    )


class ConsoleChannel(Channel):
    """The terminal as a channel: what the outbox owes the console buyer is printed."""

    name = CHANNEL
    style = Style.CHAT

    def __init__(self, handle: Handler, show_text: Callable[[str, bool], None]) -> None:
        super().__init__(handle)
        self.show_text = show_text

    async def serve(self) -> None:  # the terminal loop (run_console) reads; nothing to listen to
        await asyncio.Future()

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        self.show_text(text, by_person)


class Unreadable(ValueError):
    """A line the console cannot read (not UTF-8); the message says which byte."""


async def _read_line(stream: TextIO) -> str | None:
    """The next line, None at end of input. Bytes are decoded here, one line at a time, so a line
    that is not UTF-8 is `Unreadable` and the next one is read as usual."""
    source = getattr(stream, "buffer", stream)
    line = await asyncio.to_thread(source.readline)
    if isinstance(line, str):
        return None if line == "" else line.rstrip("\r\n")
    if line == b"":
        return None
    try:
        return utf8(line).rstrip("\r\n")
    except NotUTF8 as exc:
        raise Unreadable(f"that line is {exc}; nothing was sent") from None


async def run_console(
    handle: Callable[[Message, Style], "asyncio.Future[Reply]"],
    show: Callable[[Reply], Awaitable[None]],
    *,
    sender: str = "buyer",
    name: str | None = None,
    language: str | None = None,
    style: Style = Style.CHAT,
    stream: TextIO | None = None,
    prompt: Callable[[], None] = lambda: None,
    complain: Callable[[str], None] = lambda problem: None,
) -> None:
    """Read buyer lines until end of input or /quit; show each reply, or `complain` about a line and go on."""
    conversation = f"{CHANNEL}-{sender}"
    stream = stream or sys.stdin  # looked up now: tests and pipes replace sys.stdin
    while True:
        prompt()
        try:
            line = await _read_line(stream)
        except Unreadable as exc:
            complain(str(exc))
            continue
        if line is None or line.strip() in ("/quit", "/exit"):
            return
        try:
            reply = await handle(make_message(line, conversation, sender, name, language), style)
        except Exception as exc:  # noqa: BLE001 - one message that breaks something must not end the chat
            log.exception("the console could not answer a line")
            complain(f"the bot could not answer that line ({type(exc).__name__}: {exc})")
            continue
        await show(reply)
