"""`kefu intents learn`: buyer messages an agent confirmed become native example phrasings.

A message is learnt from when all of these hold (what the store records):
- a buyer's text message in another language than English, decided by the bot with an intent;
- its English pivot came from a translation (the message's pivot differs from its text and the
  translation memory remembers that text → English): the intent was found through the pivot;
- an agent handled the conversation afterwards (an agent wrote in it after the message) and the
  message's intent stands — the agent did not hand it to another intent: the bot's reading was
  good enough for a person to carry the conversation on from it.
The text then goes, as the buyer wrote it, under that intent in the language's file
(`<intents_dir>/<language>/<file>.yaml`, created when needed), unless the lists already have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.store.database import Store
from intents.catalog import LANGUAGE_DIR, OUT_OF_SCOPE, load_intents
from intents.normalize import normalize
from bot.language.detect import language_code


@dataclass(frozen=True)
class Confirmed:
    text: str
    language: str
    intent: str
    pivot: str
    created_at: datetime


async def fetch_confirmed(store: Store, since: datetime | None = None) -> list[Confirmed]:
    """Messages agents confirmed whose pivot came from the translation memory, oldest first."""
    found = []
    for text, language, intent, pivot, created_at in await store.agent_confirmed(since):
        code = language_code(language) or language
        if await store.remembered(code, "en", text) is None and await store.remembered(language, "en", text) is None:
            continue  # the pivot did not come from a translation service (or the memory was cleared)
        found.append(Confirmed(" ".join(text.split()), code, intent, pivot, created_at))
    return found


def to_learn(confirmed: list[Confirmed], intents_dir: Path) -> tuple[list[Confirmed], list[tuple[Confirmed, str]]]:
    """(what to add, what to skip and why): one of each text, not already in the lists, of a known intent."""
    intents = load_intents(intents_dir)
    known = {normalize(example.text) for _, example in intents.examples()}
    learn, skipped = [], []
    for item in confirmed:
        key = normalize(item.text)
        if not key:
            skipped.append((item, "no words to match on"))
        elif item.intent not in intents.intents or item.intent == OUT_OF_SCOPE:
            skipped.append((item, f"intent {item.intent!r} is not in the lists"))
        elif not LANGUAGE_DIR.match(item.language):
            skipped.append((item, f"{item.language!r} is not a language folder name"))
        elif key in known:
            skipped.append((item, "the lists have it already"))
        else:
            known.add(key)
            learn.append(item)
    return learn, skipped
