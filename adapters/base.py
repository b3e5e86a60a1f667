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

from adapters.env import SettingsError
from bot.message import Message, Reply, Style

log = logging.getLogger(__name__)

Handler = Callable[[Message, Style], Awaitable[Reply]]


class SendError(Exception):
    """Sending to the buyer failed in a way the channel understood; the outbox decides what next.

    Any other exception from `send_text` counts as a transient failure: retried with back-off.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(SendError):
    """The service asked us to wait (Telegram 429 `retry_after`, Slack `ratelimited` + Retry-After)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = max(0.0, float(retry_after))


class Unreachable(SendError):
    """The buyer cannot be reached at all (blocked the bot, chat or account gone): retrying is pointless."""


Rejecter = Callable[[str, str, str], Awaitable[None]]  # channel, payload, error
# An incoming message that gets no answer (a machine's mail, a colleague's note): kept with `status` and `flags`.
Keeper = Callable[..., Awaitable[bool]]  # (message, *, direction, status, flags) -> newly kept


async def _keep_in_log(message: Message, *, direction: str, status: str, flags: list[str]) -> bool:
    log.warning("%s: %s message %s not answered (%s); nowhere to keep it", message.channel, status, message.external_id, flags)
    return True


async def log_only(channel: str, payload: str, error: str) -> None:
    log.warning("%s: could not read a payload (%s); nowhere to keep it", channel, error)


class Channel(ABC):
    """A transport the bot serves. Subclasses implement `serve` and `send_text`."""

    name: str = "channel"
    style: Style = Style.CHAT
    # Receiving by polling (Telegram getUpdates, IMAP) runs in one process at a time: the leader.
    leader_only: bool = False

    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.reject: Rejecter = log_only  # `kefu run` points it at the store
        self.keep: Keeper = _keep_in_log  # `kefu run` points it at the store (Store.keep)
        self.trouble: Callable[[str], None] | None = None  # told why the connection dropped (`kefu run`: health)

    async def rejected(self, payload: str, error: str) -> None:
        """Keep a payload this channel cannot read; never raise (the channel goes on serving)."""
        try:
            await self.reject(self.name, payload, error)
        except Exception:  # noqa: BLE001 - keeping it is best effort; the log has it either way
            log.exception("%s: could not keep a rejected payload", self.name)

    @abstractmethod
    async def serve(self) -> None:
        """Connect and serve until cancelled; raise on a lost connection."""

    def split(self, text: str) -> list[str]:
        """The parts the service accepts, in order; the outbox sends them one by one with `send_text`
        and remembers how many went out, so a retry never repeats a part the buyer already has."""
        return [text]

    @abstractmethod
    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        """Send one part into a conversation (answers, agent replies, notices).

        `by_person` says an agent wrote it; a channel that marks machine-made
        messages (e-mail's Auto-Submitted) leaves that mark off; `language` is the
        language the text is written in, when known (e-mail's Content-Language). Raises
        `RetryLater` or `Unreachable` when the service says so; any other
        exception is a transient failure.
        """

    async def serve_forever(self, max_delay: float = 60.0) -> None:
        """Serve, and reconnect with exponential back-off (and jitter) when the connection drops."""
        delay = 1.0
        while True:
            try:
                await self.serve()
                return
            except (asyncio.CancelledError, SettingsError):
                raise  # stopped, or a setting to fix (a refused token): reconnecting cannot help
            except Exception as exc:  # noqa: BLE001 - any transport failure means: wait and retry
                log.warning("%s channel stopped (%s); reconnecting in %.0f s", self.name, exc, delay)
                if self.trouble is not None:
                    self.trouble(f"{type(exc).__name__}: {exc}")
                await asyncio.sleep(delay * (0.5 + random.random() / 2))
                delay = min(delay * 2, max_delay)
