"""One lock per conversation: different buyers are answered in parallel, one buyer's messages in order."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from weakref import WeakValueDictionary


class KeyedLocks:
    """`locks(key)` is the same `asyncio.Lock` for as long as anyone holds or awaits it.

    Locks live in a weak dictionary, so a conversation nobody is writing in costs nothing.
    """

    def __init__(self) -> None:
        self._locks: WeakValueDictionary[Hashable, asyncio.Lock] = WeakValueDictionary()

    def __call__(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock
