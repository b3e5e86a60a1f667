"""The sender: delivers outbox rows through the running channels, and keeps at it.

One loop per process, for the channels this process runs. It claims due rows (a lease,
so several workers never take the same one), sends each part through the channel, marks
the row as it goes (parts already delivered are never sent again), and on failure:

- `RetryLater` (Telegram 429 `retry_after`, Slack `ratelimited` + Retry-After): waits
  exactly what the service asked, then tries again;
- `Unreachable` (blocked bot, chat gone): gives up at once;
- anything else: retries with exponential back-off and jitter;
- after `give_up_after`, or when unreachable, the row is marked failed and the
  conversation goes to people (`delivery_failed`), so the failure is visible to agents.

Rows written by another process are found by polling; rows written here wake it at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Mapping

from adapters.base import Channel, RetryLater, Unreachable
from bot.store.database import Store
from bot.store.outbox import Delivery

log = logging.getLogger(__name__)

SEND_FAILED = "send_failed"  # the handoff reason when what kefu owed could not be delivered
UNREACHABLE = "unreachable"


class OutboxSender:
    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        clock: Callable[[], datetime],
        *,
        lease: timedelta = timedelta(seconds=120),
        give_up_after: timedelta = timedelta(hours=1),
        poll_seconds: float = 1.0,
        max_backoff: float = 300.0,
        inline_wait: float = 30.0,
    ) -> None:
        self.store, self.channels, self.clock = store, channels, clock
        self.lease, self.give_up_after, self.inline_wait = lease, give_up_after, inline_wait
        self.poll_seconds, self.max_backoff = poll_seconds, max_backoff
        self._wake = asyncio.Event()
        self.last_sent: dict[str, datetime] = {}  # health: the last successful send per channel
        self.trouble: Callable[[str, str], None] | None = None  # health: told of each failed attempt (channel, error)
        self.on_failure: Callable[[Delivery, str], Awaitable[None]] | None = None  # `kefu run` tells the desks

    def wake(self) -> None:
        """Rows were written: look now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                busy = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a database hiccup must not stop delivery for good
                log.exception("outbox: a round of sending failed")
                busy = False
            if not busy:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()

    async def send_due(self) -> bool:
        """One round: deliver what is due now, conversations side by side, each in order. True if
        anything was claimed."""
        self._wake.clear()
        claimed = await self.store.claim_deliveries(list(self.channels), self.clock(), self.lease)
        if claimed:
            await asyncio.gather(*(self.deliver(row) for row in claimed))
        return bool(claimed)

    async def deliver(self, row: Delivery) -> None:
        channel = self.channels[row.channel]
        try:
            parts = channel.split(row.text) or [row.text]
            for index in range(row.parts_sent, len(parts)):
                await self._send_part(channel, row, parts[index])
                if index + 1 < len(parts):
                    await self.store.part_delivered(row.id, index + 1)
        except RetryLater as exc:
            await self._later(row, f"rate limited: {exc.reason}", exc.retry_after)
        except Unreachable as exc:
            await self._fail(row, f"unreachable: {exc.reason}", UNREACHABLE, unreachable=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - any other failure is worth another try
            delay = min(self.max_backoff, 2.0 ** max(row.attempts - 1, 0)) * (0.75 + random.random() / 2)
            await self._later(row, f"{type(exc).__name__}: {exc}", delay)
        else:
            now = self.clock()
            await self.store.delivered([row.id], now)
            self.last_sent[row.channel] = now

    async def _send_part(self, channel: Channel, row: Delivery, part: str) -> None:
        """Send one part; a short `retry_after` is waited out right here, holding the row's lease."""
        waited = 0.0
        while True:
            try:
                await channel.send_text(row.conversation, part, by_person=row.by_person, language=row.language)
                return
            except RetryLater as exc:
                if waited + exc.retry_after > self.inline_wait:
                    raise
                log.info("outbox: %s asks to wait %.1f s before row %d", row.channel, exc.retry_after, row.id)
                await asyncio.sleep(exc.retry_after)
                waited += exc.retry_after

    async def _later(self, row: Delivery, error: str, delay: float) -> None:
        now = self.clock()
        self._troubled(row, error)
        if now - row.created_at >= self.give_up_after:
            await self._fail(row, f"{error}; gave up after {self.give_up_after}", SEND_FAILED)
            return
        log.warning("outbox: row %d to %s %s failed (%s); again in %.1f s", row.id, row.channel, row.conversation, error, delay)
        await self.store.retry_delivery(row.id, now + timedelta(seconds=delay), error)
        self._schedule(delay)

    async def _fail(self, row: Delivery, error: str, reason: str, *, unreachable: bool = False) -> None:
        log.error("outbox: giving up on row %d to %s %s: %s", row.id, row.channel, row.conversation, error)
        self._troubled(row, error)
        await self.store.fail_delivery(row.id, error, self.clock(), reason, unreachable=unreachable)
        if self.on_failure is not None:
            try:
                await self.on_failure(row, error)
            except Exception:  # noqa: BLE001 - telling the desks is best effort; the row and the queue show it
                log.exception("outbox: could not tell the desks about row %d", row.id)

    def _troubled(self, row: Delivery, error: str) -> None:
        if self.trouble is not None:
            self.trouble(row.channel, f"sending: {error}")

    def _schedule(self, delay: float) -> None:
        """Wake up when a retry falls due, even if that is sooner than the next poll."""
        if delay < self.poll_seconds:
            asyncio.get_running_loop().call_later(max(delay, 0.0), self._wake.set)
