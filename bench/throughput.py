"""Messages per second through the whole pipeline with storage, and where the time goes.

    python bench/throughput.py                     # SQLite, one worker
    python bench/throughput.py --postgres          # PostgreSQL with 1, 2 and 4 worker processes
    python bench/throughput.py --messages 3000 --postgres-url postgresql://127.0.0.1/test

Each message is what a channel hands in: stored (inbox), understood (language, intent),
decided, its answer composed and written with the decision (outbox), then delivered and
marked sent — the path of `kefu reply`, translator `none`. Workers are separate processes
on one database, each with its own conversations, as webhooks spread over `kefu run
--workers N` would be.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEXTS = (
    "how can I pay?", "how long is delivery to Spain?", "where is my order?", "hello", "can I cancel my order?",
    "do you ship to Chile?", "I want a refund", "thanks!", "Is there customs duty to pay?", "¿Cuánto cuesta el envío?",
    "Где мой заказ?", "what are your payment options", "my parcel has not arrived", "write me a poem about the sea",
)
START = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def messages(count: int, worker: int, conversations: int = 200):
    from bot.message import Message

    for number in range(count):
        yield Message(
            channel="telegram", conversation=f"w{worker}-c{number % conversations}", sender=f"w{worker}-b{number % conversations}",
            text=TEXTS[number % len(TEXTS)], received_at=START + timedelta(seconds=number),
            external_id=f"w{worker}:{number}",
        )


class Stages:
    """Wall time per stage, measured by wrapping the collaborators of one pipeline instance."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu = 0.0  # the process's CPU time over the timed messages

    def wrap(self, owner: object, name: str, stage: str) -> None:
        original = getattr(owner, name)

        async def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        setattr(owner, name, timed)

    def wrap_sync(self, owner: object, name: str, stage: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - started

        setattr(owner, name, timed)


async def _worker(url: str, count: int, worker: int, stages: Stages | None, barrier=None) -> tuple[list[float], float, float]:  # type: ignore[no-untyped-def]
    from bot.app import build_app
    from bot.config import load_settings

    kefu = await build_app(load_settings(), translator="none", database_url=url, warm=False, watch=False)
    pipeline, store = kefu.pipeline, kefu.store
    pipeline.detector.preload()
    for warm in messages(20, worker + 1000):  # models and connections warm, not timed
        await pipeline.handle(warm)
    if stages is not None:
        stages.wrap(store, "receive", "store: inbox (receive)")
        stages.wrap(store, "conversation", "store: read conversation")
        stages.wrap(store, "unprocessed", "store: undecided in order")
        stages.wrap(store, "commit", "store: decision + outbox (one transaction)")
        stages.wrap_sync(pipeline.detector, "detect", "language detection")
        stages.wrap_sync(pipeline.brains.brain.matcher, "match", "intent matcher")
        stages.wrap(pipeline, "_compose", "answer: render + localize")
    if barrier is not None:
        barrier.wait()
    latencies = []
    cpu = time.process_time()
    started = time.perf_counter()
    for message in messages(count, worker):
        t0 = time.perf_counter()
        await pipeline.handle(message, delivered_here=True)  # the path of `kefu reply`
        latencies.append(time.perf_counter() - t0)
    ended = time.perf_counter()
    if stages is not None:
        stages.cpu = time.process_time() - cpu
    await kefu.close()
    return latencies, started, ended


def _process(url: str, count: int, worker: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    latencies, started, ended = asyncio.run(_worker(url, count, worker, None, barrier))
    results.put((latencies, time.time() - (time.perf_counter() - started), time.time() - (time.perf_counter() - ended)))


def report(label: str, latencies: list[float], seconds: float) -> float:
    ordered = sorted(latencies)
    rate = len(latencies) / seconds
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{label:<34} {rate:8.0f} msg/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   ({len(latencies)} messages)")
    return rate


def sqlite(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stages = Stages()
        latencies, started, ended = asyncio.run(_worker(f"sqlite:///{folder}/bench.db", count, 0, stages))
        report("SQLite, 1 worker", latencies, ended - started)
        per_message = stages.cpu / len(latencies)
        print(f"CPU {per_message * 1000:.2f} ms/msg: {1 / per_message:.0f} msg/s on one free core (the figure a busy machine cannot spoil)")
        total = sum(latencies)
        print("where the time goes (share of all message time):")
        for stage, seconds in sorted(stages.seconds.items(), key=lambda item: -item[1]):
            print(f"  {stage:<44} {seconds / len(latencies) * 1e6:8.0f} µs/msg  {100 * seconds / total:5.1f} %")
        rest = total - sum(stages.seconds.values())
        print(f"  {'the rest (decide, locks, Python glue)':<44} {rest / len(latencies) * 1e6:8.0f} µs/msg  {100 * rest / total:5.1f} %")


def postgres(url: str, count: int, workers_list: list[int]) -> None:
    import asyncpg

    async def fresh(name: str) -> str:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()
        return url.rsplit("/", 1)[0] + "/" + name

    rates = {}
    for workers in workers_list:
        target = asyncio.run(fresh(f"kefu_bench_{workers}"))
        asyncio.run(_migrate(target))
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(workers), context.Queue()
        processes = [context.Process(target=_process, args=(target, count // workers, w, barrier, results)) for w in range(workers)]
        for process in processes:
            process.start()
        outcomes = [results.get() for _ in processes]
        for process in processes:
            process.join()
        latencies = [latency for outcome in outcomes for latency in outcome[0]]
        seconds = max(o[2] for o in outcomes) - min(o[1] for o in outcomes)
        rates[workers] = report(f"PostgreSQL, {workers} worker(s)", latencies, seconds)
    if 1 in rates:
        print("scaling: " + ", ".join(f"{w} workers {rates[w] / rates[1]:.2f}×" for w in sorted(rates) if w != 1))


async def _migrate(url: str) -> None:
    from bot.store.database import Store

    store = await Store.open(url)
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true", help="also measure PostgreSQL with 1, 2 and 4 workers")
    parser.add_argument("--postgres-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    sqlite(args.messages)
    if args.postgres:
        postgres(args.postgres_url, args.messages, [int(w) for w in args.workers.split(",")])


if __name__ == "__main__":
    main()
