"""Which of several `kefu run` processes does the once-only work.

Polling (Telegram getUpdates, IMAP) and housekeeping (recovery sweeps, idle release,
order notices) must run in one process at a time; webhooks and outbox senders run in
all. On PostgreSQL the leader is whoever holds a session advisory lock, on a connection
kept open for as long as it leads: when that process dies, PostgreSQL ends its session,
the lock is free, and another process takes over within `retry_seconds`. On SQLite there
is one process, and it leads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.store.database import Store

log = logging.getLogger(__name__)

LEADER_KEY = 0  # advisory lock key; conversation locks use the conversation ids (≥ 1)


class Leadership:
    def __init__(self, store: Store, retry_seconds: float = 5.0) -> None:
        self.store, self.retry_seconds = store, retry_seconds
        self.elected = asyncio.Event()
        self._connection: Any = None

    async def campaign(self) -> None:
        """Until cancelled: become the leader as soon as the lock is free, then keep it."""
        if not self.store.postgres:
            self.elected.set()
            await asyncio.Future()
        try:
            while True:
                if not self.elected.is_set() and await self._try():
                    log.info("this process leads: polling channels and housekeeping run here")
                    self.elected.set()
                elif self.elected.is_set() and not await self._alive():
                    log.error("lost the database session that held leadership; standing for it again")
                    self.elected.clear()
                    await self._drop()
                    raise LeadershipLost()
                await asyncio.sleep(self.retry_seconds)
        finally:
            await self._drop()

    async def _try(self) -> bool:
        self._connection = await self.store.hold_lock(LEADER_KEY)
        return self._connection is not None

    async def _alive(self) -> bool:
        return await self.store.alive(self._connection)

    async def _drop(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.invalidate()  # really closed, not back to the pool: the lock goes with the session
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
                pass


class LeadershipLost(Exception):
    """The leader's database session ended; the process restarts its leader-only work."""
