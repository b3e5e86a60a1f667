"""Reloading what the bot knows while it answers: the watcher of `kefu run`, and the admin pages' "retrain now".

Retraining the matcher takes seconds of scikit-learn, parts of which hold the GIL for
half a second and more: a thread would still stall the channels. So the new set is
trained in a process of its own, which leaves the model in the cache, and the reload
(in a thread) only reads it. The old brain answers until the new one is in place; a
broken file keeps the old brain (BrainHolder logs why). One reload runs at a time, and
its phase is kept for whoever shows progress (the admin pages).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from bot.brain import BrainHolder, load_brain
from bot.config import Settings
from bot.processes import process_pool, terminate

log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 2.0

# Phases of a reload, in order; READY and FAILED are where one ends.
WAITING, TRAINING, LOADING, READY, FAILED = "waiting", "training", "loading", "ready", "failed"
# intents/training.py's progress lines: "… iteration 20 (at most 150)", "… done after 34 iterations"
_ITERATION = re.compile(r"iteration (\d+) \(at most (\d+)\)|done after (\d+) iterations")


@dataclass(frozen=True)
class ReloadStatus:
    phase: str = READY
    started_at: datetime | None = None  # the current (or last) reload
    finished_at: datetime | None = None
    error: str | None = None  # FAILED: the file and line the lists broke at
    intents: int = 0  # of the brain answering now
    examples: int = 0
    iteration: int = 0  # TRAINING: how far the training is (of at most `iterations`)
    iterations: int = 0

    @property
    def busy(self) -> bool:
        return self.phase in (WAITING, TRAINING, LOADING)

    def seconds(self, now: datetime) -> float | None:
        """How long the current reload has run, or the last one took."""
        if self.started_at is None:
            return None
        return ((self.finished_at if not self.busy and self.finished_at else now) - self.started_at).total_seconds()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Reloader:
    """Reloads `brains` when their files changed: every few seconds, and at once when asked."""

    def __init__(self, brains: BrainHolder, clock: Callable[[], datetime] = _utcnow) -> None:
        self.brains, self.clock = brains, clock
        self._lock = asyncio.Lock()
        self._asked = asyncio.Event()
        self._watching = False
        self._task: asyncio.Task | None = None
        self.status = self._counted(ReloadStatus())

    def _counted(self, status: ReloadStatus) -> ReloadStatus:
        intents = self.brains.brain.intents
        return replace(status, intents=len(intents.ids), examples=len(intents.examples()))

    def request(self) -> None:
        """The files were just edited (an admin added an example): reload now rather than at the next check."""
        if not self.status.busy:
            self.status = replace(self.status, phase=WAITING, started_at=self.clock(), finished_at=None, error=None)
        if self._watching:
            self._asked.set()
        elif self._task is None or self._task.done():  # no watcher in this process: one reload of its own
            self._task = asyncio.get_running_loop().create_task(self.reload(), name="kefu-reload-now")

    async def reload(self) -> bool:
        """Train (elsewhere) and load the files if they changed; True when a new brain is in place."""
        async with self._lock:
            started = self.status.started_at if self.status.phase == WAITING else self.clock()
            while True:
                stamp = self.brains.stamp()  # the files trained and loaded: a later edit goes round again
                if self.brains.changed(stamp):
                    self.status = replace(self.status, phase=TRAINING, started_at=started, finished_at=None,
                                          error=None, iteration=0, iterations=0)
                    await train_elsewhere(self.brains.settings, self._trained)
                    self.status = replace(self.status, phase=LOADING)
                reloaded = await asyncio.to_thread(self.brains.refresh, stamp)
                if reloaded or not self.brains.changed():
                    break  # else edited while this reload ran: never trained in this process
            if reloaded or self.status.busy:
                error = self.brains.last_error
                self.status = self._counted(ReloadStatus(
                    FAILED if error and not reloaded else READY, started, self.clock(),
                    str(error) if error and not reloaded else None,
                ))
            return reloaded

    def _trained(self, line: str) -> None:
        """A progress line of the trainer ("… iteration 20 (at most 150)"): how far it is."""
        found = _ITERATION.search(line)
        if found and self.status.phase == TRAINING:
            done = found.group(3)
            iteration, most = (int(done), int(done)) if done else (int(found.group(1)), int(found.group(2)))
            self.status = replace(self.status, iteration=iteration, iterations=most)

    async def watch(self, every: float = RELOAD_CHECK_SECONDS) -> None:
        """Check every `every` seconds (or when asked) until cancelled."""
        self._watching = True
        try:
            while True:
                try:
                    await asyncio.wait_for(self._asked.wait(), timeout=every)
                except asyncio.TimeoutError:
                    pass
                self._asked.clear()
                try:
                    await self.reload()
                except Exception:  # noqa: BLE001 - the watcher must outlive any surprise
                    log.exception("reloading the intent and answer files failed")
        finally:
            self._watching = False


async def watch_brains(brains: BrainHolder, every: float = RELOAD_CHECK_SECONDS) -> None:
    """Reload intents, answers and facts when their files change; the old brain answers meanwhile."""
    await Reloader(brains).watch(every)


async def train_elsewhere(settings: Settings, progress: Callable[[str], None] | None = None) -> None:
    """Load (and so train and cache) the brain for `settings` in a child process at background priority;
    `progress` gets the trainer's progress lines as they come.

    Failures are only logged: the reload that follows trains in a thread instead.
    """
    lines = multiprocessing.get_context("spawn").Queue() if progress is not None else None
    pool = process_pool(_report_to, (lines,), background=True)
    try:
        training = asyncio.wrap_future(pool.submit(_train, settings))
        while not training.done():
            await asyncio.wait({training}, timeout=0.25)
            _relay(lines, progress)
        training.result()
    except asyncio.CancelledError:
        terminate(pool)  # kefu is stopping: do not wait for the training
        raise
    except Exception as exc:  # noqa: BLE001 - a crashed trainer only costs the stall it was meant to avoid
        log.warning("training the new intents in a separate process failed (%s); training in this one", exc)
    finally:
        if lines is not None:
            lines.close()
    await asyncio.to_thread(pool.shutdown)  # joins the child (a second or so): not on the loop


def _relay(lines: Any, progress: Callable[[str], None] | None) -> None:
    while lines is not None and progress is not None:
        try:
            progress(lines.get_nowait())
        except queue.Empty:
            return


def _report_to(lines: Any) -> None:
    """In the trainer: its progress lines (written to stderr) also go to the parent."""
    if lines is not None:
        sys.stderr = _Tee(sys.stderr, lines)


class _Tee:
    def __init__(self, stream: Any, lines: Any) -> None:
        self.stream, self.lines, self.partial = stream, lines, ""

    def write(self, text: str) -> int:
        self.partial += text
        *done, self.partial = self.partial.split("\n")
        for line in done:
            self.lines.put(line)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:  # encoding, isatty(), fileno()…: the real stream's
        return getattr(self.stream, name)


def _train(settings: Settings) -> None:
    from bot.datafiles import DataError

    from bot.app import make_detector

    try:
        brain = load_brain(settings)
    except DataError:
        return  # the reload reports it, with file and line
    make_detector(settings, warm=True, intents=brain.intents)  # the language model of the new phrasings, into the cache
