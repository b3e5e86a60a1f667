"""Turning a group of misses into examples: what the admin pages' "add as an example of intent …" does.

Misses are grouped per language (bot/admin/misses.py). An English group's wording goes
to the file that defines the intent, exactly as `kefu intents add-example` would put it;
another language's wording goes to that language's folder as a native phrasing
(`kefu intents add-example --language es`), and the English translation the bot matched,
when there was one, to the English lists. Each text is
added or refused on its own, with the reason: a wording the lists already know does
not stop the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.admin.misses import MissGroup
from bot.admin.yamledit import Added, Refused, add_example
from bot.datafiles import DataError

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


def lesson_for(group: MissGroup) -> Lesson:
    """What a group teaches: its wording in its own language, and, for another language than English,
    the English translation the bot matched when there was one (the English lists learn it too)."""
    if group.language == ENGLISH:
        return Lesson(group.representative, ())
    return Lesson(group.pivot, ((group.language, group.representative),))


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
