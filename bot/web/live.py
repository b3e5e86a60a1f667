"""Live updates: open pages hear of every change (server-sent events) and fetch their live part again.

One watcher per process reads the store's change marker (the latest message id, the latest
conversation change) every `every` seconds while a page listens, so changes made by any
process on the same database show: a `kefu chat` in another terminal, another worker, the
bot itself. `poke()` checks at once (this process's pipeline and actions call it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, AsyncIterator

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0


class Live:
    def __init__(self, store: Any, every: float = 0.25) -> None:
        self.store, self.every = store, every
        self.version = 0  # bumped on every change seen
        self._listeners: set[asyncio.Event] = set()
        self._poked = asyncio.Event()
        self._watcher: asyncio.Task | None = None
        self._closed = False

    def poke(self, *_: Any) -> None:
        self._poked.set()

    async def _watch(self) -> None:
        last = None
        while self._listeners:
            try:
                marker = await self.store.change_marker()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the updates
                log.exception("live updates: reading the change marker failed")
                marker = last
            if last is not None and marker != last:
                self.version += 1
                for listener in self._listeners:
                    listener.set()
            last = marker
            self._poked.clear()
            try:
                await asyncio.wait_for(self._poked.wait(), self.every)
            except asyncio.TimeoutError:
                pass
        self._watcher = None

    async def changes(self) -> AsyncIterator[int | None]:
        """Yields the change number on each change, None every KEEPALIVE_SECONDS without one."""
        changed = asyncio.Event()
        self._listeners.add(changed)
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name="kefu-web-live")
        try:
            while not self._closed:
                try:
                    await asyncio.wait_for(changed.wait(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    yield None
                    continue
                changed.clear()
                yield self.version
        finally:
            self._listeners.discard(changed)

    async def close(self) -> None:
        self._closed = True
        for listener in self._listeners:
            listener.set()
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
