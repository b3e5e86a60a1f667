"""Wiring: settings → store, brains, detector, translator → pipeline. Used by the CLI and channels."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.brain import BrainHolder, load_brain
from bot.config import Settings
from intents.catalog import IntentSet
from bot.language.detect import LanguageDetector
from bot.processes import process_pool, terminate
from bot.language.safeguard import load_glossary
from bot.language.translate import MemoryTranslator, ProviderTranslator, Translator, make_translator

if TYPE_CHECKING:
    from bot.conversation.pipeline import Pipeline
    from bot.store.database import Store


def make_detector(settings: Settings, warm: bool = False, intents: IntentSet | None = None) -> LanguageDetector:
    """The language detector, learning from the intent lists' phrasings; `warm` for a server: its n-gram
    model is loaded now (from the cache: milliseconds) rather than at the first message."""
    detector = LanguageDetector(settings.languages, primary=settings.primary_languages)
    if intents is not None:
        detector.learn_intents(intents)
    if warm:
        detector.preload()
    return detector


def configured_translator(settings: Settings, spec: str | None = None) -> Translator:
    translator = make_translator(spec or settings.translator)
    glossary = load_glossary(settings.replies_dir, settings.glossary)
    for part in getattr(translator, "translators", [translator]):
        if isinstance(part, ProviderTranslator):
            part.timeout, part.glossary = settings.translator_timeout, glossary
    return translator


log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 2.0


async def watch_brains(brains: BrainHolder, every: float = RELOAD_CHECK_SECONDS) -> None:
    """Reload intents, answers and facts when their files change; the old brain answers meanwhile.

    Retraining the matcher takes seconds of scikit-learn, parts of which hold the GIL for
    half a second and more: a thread would still stall the channels. So the new set is
    trained in a process of its own, which leaves the model in the cache, and the reload
    (in a thread) only reads it. A broken file keeps the old brain (BrainHolder logs why).
    """
    while True:
        await asyncio.sleep(every)
        try:
            if brains.changed():
                await train_elsewhere(brains.settings)
            await asyncio.to_thread(brains.refresh)
        except Exception:  # noqa: BLE001 - the watcher must outlive any surprise
            log.exception("reloading the intent and answer files failed")


async def train_elsewhere(settings: Settings) -> None:
    """Load (and so train and cache) the brain for `settings` in a child process.

    Failures are only logged: the reload that follows trains in a thread instead.
    """
    pool = process_pool(background=True)
    try:
        await asyncio.wrap_future(pool.submit(_train, settings))
    except asyncio.CancelledError:
        terminate(pool)  # kefu is stopping: do not wait for the training
        raise
    except Exception as exc:  # noqa: BLE001 - a crashed trainer only costs the stall it was meant to avoid
        log.warning("training the new intents in a separate process failed (%s); training in this one", exc)
    await asyncio.to_thread(pool.shutdown)  # joins the child (a second or so): not on the loop


def _train(settings: Settings) -> None:
    from bot.datafiles import DataError

    try:
        brain = load_brain(settings)
    except DataError:
        return  # the reload reports it, with file and line
    make_detector(settings, warm=True, intents=brain.intents)  # the language model of the new phrasings, into the cache


@dataclass
class App:
    settings: Settings
    store: Store
    brains: BrainHolder
    pipeline: Pipeline
    watcher: asyncio.Task | None = field(default=None, repr=False)

    async def close(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            await asyncio.gather(self.watcher, return_exceptions=True)
        self.pipeline.detector.close()
        await self.store.close()


async def build_app(
    settings: Settings, translator: str | None = None, database_url: str | None = None, warm: bool = True, watch: bool = True
) -> App:
    from bot.conversation.pipeline import Pipeline
    from bot.store.database import Store

    store = await Store.open(database_url or settings.database_url)
    brains = BrainHolder(settings)
    memory = MemoryTranslator(configured_translator(settings, translator), store, clock=_now)
    detector = make_detector(settings, warm=warm, intents=brains.brain.intents)
    pipeline = Pipeline(store, brains, detector, memory, settings)
    watcher = asyncio.create_task(watch_brains(brains), name="kefu-reload") if watch else None
    return App(settings, store, brains, pipeline, watcher)


def _now():
    from bot.conversation.pipeline import utcnow

    return utcnow()
