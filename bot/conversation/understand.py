"""Language → pivot → intent: what a message says, without storing anything.

Shared by the pipeline and `kefu classify`, so both make the same decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.language.detect import Detection, LanguageDetector
from bot.language.translate import Translator, base
from intents.matcher import Match, Matcher

PIVOT = "en"
TRANSLATION_FAILED = "translation_failed"
# Providers cap a request (Google at 5,000 characters) and matching reads only the start.
MAX_PIVOT_CHARS = 2000


@dataclass
class Understanding:
    language: str  # what the buyer writes in ("en" when nothing can be said)
    detection: Detection
    pivot: str  # the English text matched (the original when it could not be translated)
    match: Match
    flags: list[str] = field(default_factory=list)


async def understand(
    text: str,
    *,
    detector: LanguageDetector,
    translator: Translator,
    matcher: Matcher,
    hint: str | None = None,
    previous: str | None = None,
) -> Understanding:
    detection = await detector.detect_async(text, hint=hint, previous=previous)
    language = detection.language or previous or PIVOT
    flags: list[str] = []
    pivot = text
    if base(language) != PIVOT:
        translated = await translator.translate(text[:MAX_PIVOT_CHARS], language, PIVOT)
        if translated is None:
            flags.append(TRANSLATION_FAILED)
        else:
            pivot = translated
    match = matcher.match(pivot)
    if pivot is not text and matcher.has_language(language):
        # An admin added native phrasings for this language: the original may match better.
        native = matcher.match(text)
        if native.intent and native.score > match.score:
            match = native
    return Understanding(language, detection, pivot, match, flags)
