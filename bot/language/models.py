"""lingua's language models: built in this process, or loaded in a process of their own.

lingua is Rust and holds the GIL for as long as it loads a model; loading the
expected languages in a thread stalled the event loop for the whole load
(19 s on a busy 2-core machine, one language alone up to 1.8 s), so no channel
answered meanwhile. A server therefore asks a `ModelProcess`: the models load
there, in parallel with serving, and each question is a round trip of a
fraction of a millisecond. Commands that detect a few lines (`kefu classify`)
build lingua in-process, loading only the models their lines need.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from bot.processes import process_pool, terminate

log = logging.getLogger(__name__)

_LINGUA_ALIASES = {"no": "nb"}  # lingua knows Norwegian as Bokmål
_FROM_LINGUA = {"zh": "zh-cn", "nb": "no"}
TOP = 4  # confidence values worth weighing

Confidences = list[tuple[str, float]]  # (language code as the detector says it, lingua's confidence), best first


def build_lingua(codes: tuple[str, ...], low_accuracy: bool = False, preload: bool = False):  # type: ignore[no-untyped-def]
    """A lingua detector restricted to `codes`; with `preload`, every model is loaded now (seconds)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = []
    for code in codes:
        iso = getattr(IsoCode639_1, _LINGUA_ALIASES.get(code, code.split("-")[0]).upper(), None)
        if iso is not None:
            languages.append(Language.from_iso_code_639_1(iso))
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    if preload:
        builder = builder.with_preloaded_language_models()
    return builder.build()


def confidences(lingua, text: str) -> Confidences:  # type: ignore[no-untyped-def]
    out = []
    for value in lingua.compute_language_confidence_values(text)[:TOP]:
        code = value.language.iso_code_639_1.name.lower()
        out.append((_FROM_LINGUA.get(code, code), value.value))
    return out


# -- the model process's side ------------------------------------------------------------------

_lingua = None
_load_seconds = 0.0


def _load(codes: tuple[str, ...], low_accuracy: bool) -> None:
    global _lingua, _load_seconds
    started = time.perf_counter()
    _lingua = build_lingua(codes, low_accuracy, preload=True)
    _load_seconds = time.perf_counter() - started


def _loaded() -> float:
    return _load_seconds


def _confidences(text: str) -> Confidences:
    return confidences(_lingua, text)


# -- the server's side -------------------------------------------------------------------------


class ModelProcess:
    """lingua's models loading and answering in a child process; starts loading when built."""

    def __init__(self, codes: tuple[str, ...], low_accuracy: bool = False) -> None:
        self.codes, self.low_accuracy = codes, low_accuracy
        self.load_seconds: float | None = None  # how long the child took to load, once it has
        self._start()

    def _start(self) -> None:
        self._pool = process_pool(_load, (self.codes, self.low_accuracy))
        self._ready: Future = self._pool.submit(_loaded)
        self._ready.add_done_callback(self._note_loaded)

    def _note_loaded(self, future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self.load_seconds = future.result()
            log.info("language models loaded in %.1f s", self.load_seconds)

    @property
    def loaded(self) -> bool:
        return self.load_seconds is not None

    async def ready(self) -> float:
        """Seconds the load took, once the models are in (waits without blocking the loop)."""
        return await asyncio.wrap_future(self._ready)

    async def confidences(self, text: str) -> Confidences:
        """lingua's opinion; waits for the models on the first call. Empty when the process died
        (it is started again; meanwhile the detector goes on without lingua)."""
        try:
            return await asyncio.wrap_future(self._pool.submit(_confidences, text))
        except BrokenProcessPool:
            log.error("the language model process died; starting it again")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self.load_seconds = None
            self._start()
            return []

    def close(self) -> None:
        """Stop the child now, even mid-load."""
        terminate(self._pool)
