"""Channel health: what each `kefu run` process saw of its channels, reported to the store.

The settings page reads it (in any process: `kefu web` may run apart from the
channels): a channel is running while its row is fresh, with the last message it
received, the last outbox row it delivered and the last failure (a lost connection,
a refused send). Moments are kept in memory and written every few seconds, so
receiving and sending never wait for this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from adapters.base import Handler
from bot.message import Message, Reply, Style
from bot.store.database import Store
from bot.store.health import Seen

log = logging.getLogger(__name__)

REPORT_SECONDS = 15.0
RUNNING_WITHIN = timedelta(seconds=3 * REPORT_SECONDS)  # a row older than this: the channel is not running


class HealthReporter:
    def __init__(self, store: Store, channels: Iterable[str], clock: Callable[[], datetime]) -> None:
        self.store, self.channels, self.clock = store, list(channels), clock
        self.received: dict[str, datetime] = {}
        self.errors: dict[str, tuple[datetime, str]] = {}
        self.sent: dict[str, datetime] = {}  # the sender's own record (OutboxSender.last_sent) once attached

    def watching(self, handle: Handler) -> Handler:
        """The handler, noting each message it took in (stored: received for good)."""
        return _Watched(handle, self)

    def trouble(self, channel: str, error: str) -> None:
        self.errors[channel] = (self.clock(), error)

    async def report(self) -> None:
        now = self.clock()
        await self.store.report_health([
            Seen(name, now, self.received.get(name), self.sent.get(name), self.errors.get(name)) for name in self.channels
        ])

    async def run(self, every: float = REPORT_SECONDS) -> None:
        while True:
            try:
                await self.report()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup costs one report, never a channel
                log.exception("could not report the channels' health")
            await asyncio.sleep(every)


class _Watched:
    """A channel's handler that tells the reporter what came in; `handle` is the one it wraps."""

    def __init__(self, handle: Handler, reporter: HealthReporter) -> None:
        self.handle, self.reporter = handle, reporter

    async def __call__(self, message: Message, style: Style | None = None, **options: object) -> Reply:
        reply = await self.handle(message, style, **options)  # type: ignore[call-arg]
        self.reporter.received[message.channel] = self.reporter.clock()
        return reply
