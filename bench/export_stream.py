"""How `kefu export` scales: time, and peak memory that must not grow with the database.

    python bench/export_stream.py [CONVERSATIONS ...]

For each size, a fresh SQLite database gets that many conversations of 6 messages each
(written in bulk, not through the pipeline: only the export is measured), then the export
runs as `kefu export` does (the store's pages, the JSON lines writer) into /dev/null.
Prints conversations, messages, seconds, rows per second and the peak of Python memory.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.privacy import Format, Writer  # noqa: E402
from bot.store.database import Store  # noqa: E402
from bot.store.models import Conversation, StoredMessage  # noqa: E402
from bot.store.privacy import ExportFilter  # noqa: E402

MESSAGES_EACH = 6
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def fill(store: Store, conversations: int) -> None:
    batch = 1000
    for first in range(0, conversations, batch):
        async with store.session() as session:
            rows = []
            for n in range(first, min(first + batch, conversations)):
                at = START + timedelta(minutes=n)
                rows.append(Conversation(id=n + 1, channel="telegram", external_id=str(n), buyer=f"buyer-{n}", buyer_name="Ann",
                                         state="bot", priority=0, misses=0, created_at=at, updated_at=at))
            session.add_all(rows)
            await session.flush()
            session.add_all([
                StoredMessage(conversation_id=c.id, channel="telegram", external_id=f"{c.id}-{k}" if k % 2 == 0 else None,
                              direction="in" if k % 2 == 0 else "out", text="Где мой заказ? " * 8, pivot="Where is my order?",
                              intent="order_status", status="processed", flags=[], raw={"text": "x"}, created_at=c.created_at,
                              delivery=None if k % 2 == 0 else "sent")
                for c in rows for k in range(MESSAGES_EACH)
            ])
            await session.commit()


async def measure(conversations: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(f"sqlite:///{folder}/bench.db")
        try:
            await fill(store, conversations)
            with open(os.devnull, "w", encoding="utf-8") as out:
                writer = Writer(out, Format.jsonl)
                tracemalloc.start()
                start, messages = time.perf_counter(), 0
                async for page in store.export_pages(ExportFilter()):
                    for conversation, rows in page:
                        writer.write(conversation, rows)
                        messages += len(rows)
                seconds = time.perf_counter() - start
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
        finally:
            await store.close()
    print(f"{conversations:>8} conversations {messages:>8} messages  {seconds:6.2f} s  "
          f"{messages / seconds:8.0f} messages/s  peak {peak / 2**20:5.1f} MiB")


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [2000, 8000]
    for size in sizes:
        asyncio.run(measure(size))


if __name__ == "__main__":
    main()
