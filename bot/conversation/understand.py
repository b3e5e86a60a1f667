"""Language → native and pivot matches → intent: what a message says, without storing anything.

Shared by the pipeline and `kefu classify`, so both make the same decision.

A message not in English is matched twice when it can be: as written, against
the native example phrasings of its language (no translation service needed),
and through its English translation (the pivot) when a translator gives one.
`combine` turns the two readings into one decision: agreeing, the intent is
surer (its score rises); disagreeing — two intents, or one intent against a
reading that leans to another about as strongly — the better-supported reading
wins when it leads clearly, else no intent is forced and a person takes the
message. (Measured in bench/languages.py: on 1,753 rows, the pivot alone 88.9 %
top-1 with 4.1 % wrong answers; combined 92.7 % with 3.4 %.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.language.detect import Detection, LanguageDetector
from bot.language.translate import Translator, base
from intents.matcher import Match, Matcher

PIVOT = "en"
TRANSLATION_FAILED = "translation_failed"
# Providers cap a request (Google at 5,000 characters) and matching reads only the start.
MAX_PIVOT_CHARS = 2000
# Chosen on the validation half of bench/data/native/*.tsv (bench/splits.py): the most answered right
# for the share answered wrong (5 / 10: 94.7 % right, 3.5 % wrong; 10 / 15 before: 94.3 %, 3.5 %).
AGREEMENT_BONUS = 5.0  # both readings name the same intent: its score rises by this much
CONFLICT_MARGIN = 10.0  # both name an intent, different ones: the better one must lead by this much, else a person


@dataclass
class Understanding:
    language: str  # what the buyer writes in ("en" when nothing can be said)
    detection: Detection
    pivot: str  # the English text matched (the original when it could not be translated)
    match: Match
    flags: list[str] = field(default_factory=list)
    reading: str = "text"  # text (English, or no translation) | native | pivot | both (agreeing) | conflict


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
    if base(language) == PIVOT:
        return Understanding(language, detection, text, matcher.match(text, PIVOT), flags)
    native = matcher.match(text, language)
    translated = await translator.translate(text[:MAX_PIVOT_CHARS], language, PIVOT)
    if translated is None:
        flags.append(TRANSLATION_FAILED)
        return Understanding(language, detection, text, native, flags, reading="native")
    match, reading = combine(matcher, native, matcher.match(translated, PIVOT))
    return Understanding(language, detection, translated, match, flags, reading)


def combine(matcher: Matcher, native: Match, pivot: Match) -> tuple[Match, str]:
    """One decision from the native reading and the pivot reading of a message, and which one it is."""
    if native.best is None or pivot.best is None:
        return (pivot, "pivot") if native.best is None else (native, "native")
    better, other = (native, pivot) if native.best.score >= pivot.best.score else (pivot, native)
    which = "native" if better is native else "pivot"
    if native.best.intent == pivot.best.intent:
        score = min(100.0, better.best.score + AGREEMENT_BONUS)
        surer = replace(better, score=score, candidates=(replace(better.best, score=score), *better.candidates[1:]),
                        out_of_scope=min(native.out_of_scope, pivot.out_of_scope),
                        near_exact=native.near_exact or pivot.near_exact)
        intent = surer.decided(surer.threshold, surer.oos_probability)
        handoff = matcher.intents.intents[intent].handoff if intent else True
        return replace(surer, intent=intent, handoff=handoff), "both"
    if native.intent and pivot.intent:
        if better.best.score - other.best.score >= CONFLICT_MARGIN:
            return better, which
        return replace(better, intent=None, handoff=True, conflict=True), "conflict"
    if native.intent or pivot.intent:
        # one reading found an intent; the other leans to another one about as strongly: a disagreement too
        found, unsure = (native, pivot) if native.intent else (pivot, native)
        leaning = unsure.best.score >= found.best.score - CONFLICT_MARGIN and not unsure.out_of_scope_at_its_limit
        if leaning:
            return replace(found, intent=None, handoff=True, conflict=True), "conflict"
        return found, "native" if found is native else "pivot"
    return better, which
