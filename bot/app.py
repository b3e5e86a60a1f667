"""Wiring: settings → store, brains, detector, translator → pipeline. Used by the CLI and channels."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.brain import BrainHolder
from bot.config import Settings
from intents.catalog import IntentSet
from bot.language.detect import LanguageDetector
from bot.language.safeguard import load_glossary
from bot.language.translate import MemoryTranslator, ProviderTranslator, Translator, make_translator

if TYPE_CHECKING:  # `kefu classify` starts without the database layer (see bench/startup.py)
    from bot.conversation.pipeline import Pipeline
    from bot.reload import Reloader
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
            from bot.reload import Reloader

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
    from bot.conversation.pipeline import Pipeline
    from bot.reload import Reloader
    from bot.store.database import Store

    store = await Store.open(database_url or settings.database_url)
    brains = BrainHolder(settings)
    memory = MemoryTranslator(configured_translator(settings, translator), store, clock=_now)
    detector = make_detector(settings, warm=warm, intents=brains.brain.intents)
    pipeline = Pipeline(store, brains, detector, memory, settings)
    reloader = Reloader(brains)
    watcher = asyncio.create_task(reloader.watch(), name="kefu-reload") if watch else None
    return App(settings, store, brains, pipeline, watcher, reloader)


def _now():
    from bot.conversation.pipeline import utcnow

    return utcnow()
