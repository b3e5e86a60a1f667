"""What every channel adapter shares.

An adapter only converts: channel event → `Message`, `Reply` → channel send.
It gets a `Handler` (the pipeline's `handle`) and never imports the core's
internals. Reconnecting with back-off is written once, here.
"""

from __future__ import annotations

import asyncio
import logging
import random
from abc import ABC, abstractmethod
from typing import Awaitable, Callable

from bot.message import Message, Reply, Style

log = logging.getLogger(__name__)

Handler = Callable[[Message, Style], Awaitable[Reply]]
Rejecter = Callable[[str, str, str], Awaitable[None]]  # channel, payload, error


async def _log_only(channel: str, payload: str, error: str) -> None:
    log.warning("%s: could not read a payload (%s); nowhere to keep it", channel, error)


class Channel(ABC):
    """A transport the bot serves. Subclasses implement `serve` and `send_text`."""

    name: str = "channel"
    style: Style = Style.CHAT

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.reject: Rejecter = _log_only  # `kefu run` points it at the store

    async def rejected(self, payload: str, error: str) -> None:
        """Keep a payload this channel cannot read; never raise (the channel goes on serving)."""
        try:
            await self.reject(self.name, payload, error)
        except Exception:  # noqa: BLE001 - keeping it is best effort; the log has it either way
            log.exception("%s: could not keep a rejected payload", self.name)

    @abstractmethod
    async def serve(self) -> None:
        """Connect and serve until cancelled; raise on a lost connection."""

    @abstractmethod
    async def send_text(self, conversation: str, text: str, *, by_person: bool = False) -> None:
        """Send text into a conversation (agent replies, the bot's notices, proactive messages).

        `by_person` says an agent wrote it; a channel that marks machine-made
        messages (e-mail's Auto-Submitted) leaves that mark off.
        """

    async def serve_forever(self, max_delay: float = 60.0) -> None:
        """Serve, and reconnect with exponential back-off (and jitter) when the connection drops."""
        delay = 1.0
        while True:
            try:
                await self.serve()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any transport failure means: wait and retry
                log.warning("%s channel stopped (%s); reconnecting in %.0f s", self.name, exc, delay)
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, max_delay)
