"""What start-up costs the event loop: the language model's load, and retraining the intents.

    python bench/startup.py [--examples-per-line N]

Prints how long building and loading the language model takes and the longest stretch the event
loop could not run meanwhile (its "stall"), then the cost of one detection, then the same stall
figure while an edit of the intent files retrains the matcher. The machine's load average is printed too: on a busy machine every figure grows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TICK = 0.005
SAMPLES = [
    "Bonjour, où est ma commande s'il vous plaît?", "Dove si trova il mio ordine, per favore?",
    "Здравствуйте, где мой заказ?", "Wanneer wordt mijn bestelling verzonden?", "Kiedy wyślecie moje zamówienie?",
]


async def stall_while(work: Callable[[], Awaitable[object]]) -> tuple[float, float, object]:
    """(seconds the work took, the longest the loop could not tick meanwhile, the work's result)."""
    started = time.perf_counter()
    task = asyncio.ensure_future(work())
    worst = 0.0
    while not task.done():
        before = time.perf_counter()
        await asyncio.sleep(TICK)
        worst = max(worst, time.perf_counter() - before - TICK)
    return time.perf_counter() - started, worst, task.result()


def line(what: str, seconds: float, stall: float) -> None:
    print(f"{what:<58} {seconds:6.2f} s   loop stalled at most {stall * 1000:7.0f} ms")


async def models(settings) -> None:  # type: ignore[no-untyped-def]
    from bot.app import make_detector
    from bot.brain import load_brain
    from intents.modelstore import cache_dir

    brain = load_brain(settings)
    cold = make_detector(settings, intents=brain.intents)
    cache = cache_dir()  # a fresh one of this run (KEFU_CACHE_DIR)
    for stale in cache.glob("languages-*.npz"):
        stale.unlink()
    seconds, stall, _ = await stall_while(lambda: asyncio.to_thread(cold.preload))
    line("language model built (lists changed: no cache yet), in a thread", seconds, stall)
    warm = make_detector(settings, intents=brain.intents)
    seconds, stall, _ = await stall_while(lambda: asyncio.to_thread(warm.preload))
    line("language model loaded from the cache (what kefu run does)", seconds, stall)
    costs = []
    for _ in range(40):
        for text in SAMPLES:
            started = time.perf_counter()
            await warm.detect_async(text)
            costs.append(time.perf_counter() - started)
    print(f"one detection: p50 {statistics.median(costs) * 1000:.3f} ms, p99 {sorted(costs)[int(len(costs) * 0.99)] * 1000:.3f} ms")


async def retrain(settings, per_line: int) -> None:  # type: ignore[no-untyped-def]
    from bot.reload import watch_brains
    from bot.brain import BrainHolder
    from bot.config import Settings
    from intents import LISTS_DIR
    from tests.intent_sets import enlarge

    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-"))
    try:
        shutil.copytree(LISTS_DIR, folder / "lists")
        edited = Settings(translator="none", intents_dir=folder / "lists", replies_dir=settings.replies_dir)
        holder = BrainHolder(edited)
        examples = enlarge(folder / "lists" / "presale.yaml", per_line)
        before = holder.brain
        watcher = asyncio.create_task(watch_brains(holder, every=0.05))

        async def reloaded() -> None:
            while holder.brain is before:
                await asyncio.sleep(0.01)

        seconds, stall, _ = await stall_while(reloaded)
        watcher.cancel()
        line(f"retraining {examples} examples after an edit (watch_brains)", seconds, stall)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples-per-line", type=int, default=2, help="generated variants of each presale example")
    parser.add_argument("--retrain-only", action="store_true", help="skip the language model")
    args = parser.parse_args()
    os.environ.setdefault("KEFU_CACHE_DIR", tempfile.mkdtemp(prefix="kefu-cache-"))
    from bot.config import Settings

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    settings = Settings(translator="none")
    if not args.retrain_only:
        await models(settings)
    await retrain(settings, args.examples_per_line)


if __name__ == "__main__":
    asyncio.run(main())
