"""Spacing sends so a service's flood limits are never met.

Telegram refuses more than about one message a second in a private chat, 20 a
minute in a group and 30 a second in all; Slack about one a second per channel.
A refused send is the outbox's to retry later, but a long answer in three parts
or a burst of desk posts should simply not be refused: each send takes its
slot here (`async with pacer.slot(chat)`). Slots are reserved in call order,
so one chat's parts keep their order, and a chat waiting for its slot never
delays another chat. A slot counts from when its send *finished*: the
service counts from when the request reached it, which is never later, so
network delays can only make the gap wider, never too short.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from dataclasses import dataclass
from typing import AsyncIterator, Callable, Hashable


@dataclass(frozen=True)
class Rate:
    """At most `count` sends in any `window` seconds."""

    count: int
    window: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.window < 0:
            raise ValueError("a rate needs count >= 1 and window >= 0")


class _Window:
    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self.slots: deque[float] = deque()

    def reserve(self, now: float) -> float:
        """The earliest time from `now` a send fits, after every slot already reserved; reserves it."""
        while self.slots and self.slots[0] <= now - self.rate.window:
            self.slots.popleft()
        at = max(now, self.slots[-1]) if self.slots else now
        if len(self.slots) >= self.rate.count:
            at = max(at, self.slots[-self.rate.count] + self.rate.window)
        self.slots.append(at)
        return at

    def finish(self, at: float, now: float) -> None:
        """The send reserved for `at` is done at `now`: its slot counts from then."""
        with contextlib.suppress(ValueError):
            self.slots[self.slots.index(at)] = max(at, now)
            self.slots = deque(sorted(self.slots))


class Pacer:
    """`async with pacer.slot(chat):` around each send: per-chat rate (chosen by `rate_for`) and an overall one."""

    def __init__(self, rate_for: Callable[[Hashable], Rate], overall: Rate | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_for = rate_for
        self.clock = clock
        self._chats: dict[Hashable, _Window] = {}
        self._overall = _Window(overall) if overall else None

    @contextlib.asynccontextmanager
    async def slot(self, chat: Hashable) -> AsyncIterator[None]:
        """Wait for this chat's turn (and the overall one), send inside the block."""
        window = self._chats.get(chat)
        if window is None:
            window = self._chats[chat] = _Window(self.rate_for(chat))
        at = window.reserve(self.clock())
        overall = None
        try:
            await self._sleep_until(at)
            if self._overall is not None:
                overall = self._overall.reserve(self.clock())
                await self._sleep_until(overall)
            yield
        finally:
            window.finish(at, self.clock())
            if overall is not None and self._overall is not None:
                self._overall.finish(overall, self.clock())
            self._forget_idle()

    async def _sleep_until(self, at: float) -> None:
        delay = at - self.clock()
        if delay > 0:
            await asyncio.sleep(delay)

    def _forget_idle(self) -> None:
        """Chats with no slot inside their window need no memory (keeps a busy bot's map small)."""
        if len(self._chats) < 1024:
            return
        now = self.clock()
        for chat in [c for c, w in self._chats.items() if not w.slots or w.slots[-1] <= now - w.rate.window]:
            del self._chats[chat]
