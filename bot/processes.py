"""Child processes for work that would stall the event loop even in a thread (it holds the GIL)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any


BACKGROUND_NICENESS = 10  # background work yields the CPU to the process answering buyers


def process_pool(
    initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = (), *, background: bool = False
) -> ProcessPoolExecutor:
    """One worker process, started fresh ("spawn": nothing of this process's threads or loop is
    copied); `background` work runs at a lower priority than the process answering buyers."""
    return ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("spawn"),
        initializer=_start, initargs=(background, initializer, initargs),
    )


def _start(background: bool, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    if background and hasattr(os, "nice"):
        os.nice(BACKGROUND_NICENESS)
    if initializer is not None:
        initializer(*initargs)


def terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's process now, even mid-task (`shutdown` alone waits for the task to end)."""
    # ProcessPoolExecutor has no public way to stop a busy worker before Python 3.14 (terminate_workers).
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
