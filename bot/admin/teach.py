"""Turning a group of misses into examples: what the admin pages' "add as an example of intent …" does.

The bot matches the English pivot, so the group's English wording goes to the file
that defines the intent, exactly as `kefu intents add-example` would put it; the
buyers' own words, when they wrote in another language, go to that language's
folder as native phrasings (`kefu intents add-example --language es`). Each text is
added or refused on its own, with the reason: a wording the lists already know does
not stop the others.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.admin.misses import Miss, MissGroup
from bot.admin.yamledit import Added, Refused, add_example
from bot.datafiles import DataError
from intents.normalize import normalize

ENGLISH = "en"


@dataclass(frozen=True)
class Lesson:
    """What one action adds: an English wording (None when nobody's words were in or translated into
    English) and the originals in other languages, one per language."""

    english: str | None
    originals: tuple[tuple[str, str], ...] = ()  # (language, text)


@dataclass(frozen=True)
class Outcome:
    language: str
    text: str
    added: Added | None = None
    refused: str | None = None  # why it was not added


def _english(miss: Miss) -> bool:
    return (miss.language or ENGLISH) == ENGLISH


def lesson_for(group: MissGroup) -> Lesson:
    """The representative wording, and the originals of the other-language misses that say it."""
    wording = normalize(group.representative)
    same = [miss for miss in group.misses if normalize(miss.english) == wording]
    # A message that could not be translated keeps its own words as the "pivot": not English.
    translated = any(_english(miss) or (miss.pivot and miss.pivot != miss.text) for miss in same)
    per_language: dict[str, Counter[str]] = {}
    for miss in same:
        if not _english(miss):
            per_language.setdefault(miss.language or "", Counter())[" ".join(miss.text.split())] += 1
    originals = tuple((language, texts.most_common(1)[0][0]) for language, texts in per_language.items())
    return Lesson(group.representative if translated else None, originals)


def teach(intents_dir: Path, intent: str, lesson: Lesson) -> list[Outcome]:
    """Add the lesson's texts as examples of `intent`; the files change only where an addition succeeds."""
    wanted = ([(ENGLISH, lesson.english)] if lesson.english else []) + list(lesson.originals)
    outcomes = []
    for language, text in wanted:
        try:
            added = add_example(intents_dir, intent, text, language=None if language == ENGLISH else language)
        except (Refused, DataError) as exc:
            outcomes.append(Outcome(language, text, refused=str(exc)))
        else:
            outcomes.append(Outcome(language, added.text, added=added))
    return outcomes
