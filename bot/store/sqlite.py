"""SQLite for the store: one connection, run on the event loop's own thread.

aiosqlite sends every call (execute, fetch, commit…) to a worker thread and
waits for the answer: about forty thread hand-offs per transaction, which made
storage, not understanding, the cost of a message (bench/throughput.py). An
SQLite statement on a local file takes microseconds, so kefu runs them inline:
`InlineConnection` keeps aiosqlite's API (what SQLAlchemy's aiosqlite dialect
drives) and runs each call at once on the calling thread.

Nothing may wait on the loop's thread, though: a transaction that waited there
for another connection's lock would stop the very loop that must finish the
other transaction. So every transaction starts with `BEGIN IMMEDIATE` (in WAL
mode: it takes the write lock up front, so nothing later in it waits for a
lock) without SQLite's busy wait; while the database is locked, by another
process (`kefu chat` beside `kefu run`) or another store in this one, the
coroutine sleeps and tries again, for up to `BUSY_SECONDS`. Each store has one
connection: SQLite has one writer anyway, and a second transaction of the same
store waits for it in SQLAlchemy's async pool, without blocking the loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Callable

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only as await_

PRAGMAS = ("busy_timeout=5000", "journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=0")
BUSY_SECONDS = 30.0


class _RunNow:
    """aiosqlite's request queue, answered on the spot."""

    @staticmethod
    def put_nowait(item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection without its thread: every call runs when it is made."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    def __await__(self):  # type: ignore[no-untyped-def]
        return self._connect().__await__()  # the worker thread is never started


def open_engine(url: str) -> AsyncEngine:
    """An async engine on an SQLite file (or `:memory:`) with one inline connection."""
    path = make_url(url).database or ":memory:"

    async def connect() -> InlineConnection:
        return await InlineConnection(lambda: sqlite3.connect(path, check_same_thread=False, isolation_level=None))

    engine = create_async_engine(url, async_creator=connect, pool_size=1, max_overflow=0, pool_timeout=60)

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver's own BEGIN off: ours below
        cursor = dbapi_connection.cursor()
        for pragma in PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        begin_immediate(connection.connection.driver_connection._conn)

    return engine


def begin_immediate(connection: sqlite3.Connection) -> None:
    """Take the write lock, sleeping (not blocking the loop) while someone else has it."""
    deadline = time.monotonic() + BUSY_SECONDS
    delay = 0.001
    while True:
        try:
            connection.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await_(asyncio.sleep(delay))
        delay = min(delay * 2, 0.05)
