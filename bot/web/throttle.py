"""Repeated failed sign-ins are slowed down: per account name and per address.

After `free` failures in a row, each further attempt must wait twice as long as the one
before (1 s, 2 s, 4 s … at most `longest`), whatever the password; a success clears the
name's count. Kept in memory: a restart forgets it, and with several workers each counts its own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

MAX_KEYS = 10_000


@dataclass
class _Failures:
    count: int
    until: float


class Throttle:
    def __init__(self, free: int = 3, longest: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.longest, self.clock = free, longest, clock
        self._seen: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, *keys: str) -> float:
        """Seconds before any of `keys` may try again (0: now)."""
        now = self.clock()
        return max([0.0, *(found.until - now for key in keys if (found := self._seen.get(key)))])

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            found = self._seen.pop(key, None) or _Failures(0, now)
            found.count += 1
            if found.count >= self.free:
                found.until = now + min(self.longest, 2.0 ** (found.count - self.free))
            self._seen[key] = found
        while len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)

    def succeeded(self, key: str) -> None:
        self._seen.pop(key, None)
