"""Wiring: settings → store, brains, detector, translator → pipeline. Used by the CLI and channels."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from bot.brain import BrainHolder
from bot.config import Settings
from bot.language.detect import LanguageDetector
from bot.conversation.pipeline import Pipeline
from bot.store.database import Store
from bot.language.translate import MemoryTranslator, ProviderTranslator, Translator, make_translator


def make_detector(settings: Settings, warm: bool = False, english_words: set[str] | None = None) -> LanguageDetector:
    detector = LanguageDetector(settings.languages, primary=settings.primary_languages)
    if english_words:
        detector.learn_english(english_words)
    if warm:  # load the language models in the background so the first buyer does not wait
        threading.Thread(target=detector.warm_up, name="kefu-language-warmup", daemon=True).start()
    return detector


def configured_translator(settings: Settings, spec: str | None = None) -> Translator:
    translator = make_translator(spec or settings.translator)
    for part in getattr(translator, "translators", [translator]):
        if isinstance(part, ProviderTranslator):
            part.timeout = settings.translator_timeout
    return translator


log = logging.getLogger(__name__)
RELOAD_CHECK_SECONDS = 2.0


async def watch_brains(brains: BrainHolder, every: float = RELOAD_CHECK_SECONDS) -> None:
    """Reload intents, answers and facts when their files change.

    In a thread: retraining after an edit takes seconds and must not stall the
    channels. A broken file keeps the old brain (BrainHolder logs why).
    """
    while True:
        await asyncio.sleep(every)
        try:
            await asyncio.to_thread(brains.refresh)
        except Exception:  # noqa: BLE001 - the watcher must outlive any surprise
            log.exception("reloading the intent and answer files failed")


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
        await self.store.close()


async def build_app(
    settings: Settings, translator: str | None = None, database_url: str | None = None, warm: bool = True, watch: bool = True
) -> App:
    store = await Store.open(database_url or settings.database_url)
    brains = BrainHolder(settings)
    memory = MemoryTranslator(configured_translator(settings, translator), store, clock=_now)
    detector = make_detector(settings, warm=warm, english_words=brains.brain.matcher.words("en"))
    pipeline = Pipeline(store, brains, detector, memory, settings)
    watcher = asyncio.create_task(watch_brains(brains), name="kefu-reload") if watch else None
    return App(settings, store, brains, pipeline, watcher)


def _now():
    from bot.conversation.pipeline import utcnow

    return utcnow()
