"""Wiring: settings → store, brains, detector, translator → pipeline. Used by the CLI and channels."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from bot.brain import BrainHolder
from bot.config import Settings
from bot.language.detect import LanguageDetector
from bot.language.models import ModelProcess
from bot.conversation.pipeline import Pipeline
from bot.reload import Reloader
from bot.store.database import Store
from bot.language.safeguard import load_glossary
from bot.language.translate import MemoryTranslator, ProviderTranslator, Translator, make_translator


def make_detector(settings: Settings, warm: bool = False, english_words: set[str] | None = None) -> LanguageDetector:
    """The language detector; `warm` for a server: its models start loading now, in a process of their own
    (lingua holds the GIL while it loads, see bot.language.models), and langdetect's in a thread."""
    detector = LanguageDetector(settings.languages, primary=settings.primary_languages)
    if english_words:
        detector.learn_english(english_words)
    if warm:
        detector.attach(ModelProcess(detector.expected, detector.low_accuracy))
        threading.Thread(target=detector.warm_fallback, name="kefu-langdetect-warmup", daemon=True).start()
    return detector


def configured_translator(settings: Settings, spec: str | None = None) -> Translator:
    translator = make_translator(spec or settings.translator)
    glossary = load_glossary(settings.replies_dir, settings.glossary)
    for part in getattr(translator, "translators", [translator]):
        if isinstance(part, ProviderTranslator):
            part.timeout, part.glossary = settings.translator_timeout, glossary
    return translator


@dataclass
class App:
    settings: Settings
    store: Store
    brains: BrainHolder
    pipeline: Pipeline
    watcher: asyncio.Task | None = field(default=None, repr=False)
    reloader: Reloader | None = field(default=None, repr=False)  # None: made on first use (see `reloads`)

    @property
    def reloads(self) -> Reloader:
        """What reloads the brains (and tells how far a retraining is), the watcher's when it runs."""
        if self.reloader is None:
            self.reloader = Reloader(self.brains)
        return self.reloader

    async def close(self) -> None:
        if self.watcher is not None:
            self.watcher.cancel()
            await asyncio.gather(self.watcher, return_exceptions=True)
        self.pipeline.detector.close()
        await self.store.close()


async def build_app(
    settings: Settings, translator: str | None = None, database_url: str | None = None, warm: bool = True, watch: bool = True
) -> App:
    store = await Store.open(database_url or settings.database_url)
    brains = BrainHolder(settings)
    memory = MemoryTranslator(configured_translator(settings, translator), store, clock=_now)
    detector = make_detector(settings, warm=warm, english_words=brains.brain.matcher.words("en"))
    pipeline = Pipeline(store, brains, detector, memory, settings)
    reloader = Reloader(brains)
    watcher = asyncio.create_task(reloader.watch(), name="kefu-reload") if watch else None
    return App(settings, store, brains, pipeline, watcher, reloader)


def _now():
    from bot.conversation.pipeline import utcnow

    return utcnow()
