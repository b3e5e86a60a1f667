"""Text normalisation shared by training and matching.

Training examples and incoming messages go through the same Normalizer, so a
buyer's "pls tell me wen u ship" meets "please tell me when you ship". The
engine only lower-cases, strips accents and punctuation and folds digits; the
words a particular list expands or ignores (shorthand such as `cc`, courtesy
words such as "hi … thanks") come from that list's `normalization.yaml`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.datafiles import DataError, LineDict, expect, load_yaml

CONFIG_FILE = "normalization.yaml"
_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[\W_]+")
_DIGITS = re.compile(r"\d+")

# Matching never needs more than the start of a message; a 100 KB paste must stay cheap.
MAX_CHARS = 600


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _plain_words(text: str) -> list[str]:
    """Lower-case, accents and punctuation removed, digits folded to 0."""
    text = text[: MAX_CHARS * 2]
    if text.isascii():  # already NFKC, no accent
        text = text.lower()
    else:
        text = strip_accents(unicodedata.normalize("NFKC", text).casefold())
    text = _APOSTROPHES.sub("", text)
    return _DIGITS.sub("0", _NON_WORD.sub(" ", text)).split()


@dataclass(frozen=True)
class Normalizer:
    """How one intent list reads text. Called on every message: keep it cheap."""

    shorthand: dict[str, str] = field(default_factory=dict)
    leading: frozenset[str] = frozenset()  # courtesy words dropped from the start…
    trailing: frozenset[str] = frozenset()  # …and from the end,
    trailing_pairs: frozenset[tuple[str, str]] = frozenset()  # also as two-word phrases,
    keep: int = 3  # when at least this many words are left

    def __call__(self, text: str) -> str:
        words = _plain_words(text)
        if not self.shorthand.keys().isdisjoint(words):
            get = self.shorthand.get
            words = " ".join(get(word, word) for word in words).split()
        return " ".join(self._strip_courtesy(words))[:MAX_CHARS]

    def _strip_courtesy(self, words: list[str]) -> list[str]:
        start, end = 0, len(words)
        while start < end and words[start] in self.leading:
            start += 1
        while end > start:
            if words[end - 1] in self.trailing:
                end -= 1
            elif end - start >= 2 and (words[end - 2], words[end - 1]) in self.trailing_pairs:
                end -= 2
            else:
                break
        kept = words[start:end]
        return kept if len(kept) >= self.keep else words


GENERIC = Normalizer()


def load_normalizer(path: Path) -> Normalizer:
    """A list's `normalization.yaml`; errors name the file and line."""
    data = load_yaml(path) or LineDict()
    expect(data, dict, path, 1, "the normalisation file")
    for key in data:
        if key not in ("shorthand", "courtesy"):
            raise DataError(path, data.line_of(key), f"unknown field {key!r} (known: courtesy, shorthand)")
    shorthand = expect(data.get("shorthand") or {}, dict, path, data.line_of("shorthand"), "shorthand")
    for word, expansion in shorthand.items():
        expect(expansion, str, path, shorthand.line_of(word) if isinstance(shorthand, LineDict) else 1, f"shorthand {word!r}")
    courtesy = expect(data.get("courtesy") or LineDict(), dict, path, data.line_of("courtesy"), "courtesy")

    def words(key: str) -> list[str]:
        values = expect(courtesy.get(key) or [], list, path, courtesy.line_of(key), f"courtesy {key}")
        return [" ".join(_plain_words(str(v))) for v in values]

    pairs = set()
    for phrase in words("trailing_pairs"):
        if phrase.count(" ") != 1:
            raise DataError(path, courtesy.line_of("trailing_pairs"), f"courtesy trailing_pairs: {phrase!r} is not two words")
        pairs.add(tuple(phrase.split()))
    keep = courtesy.get("keep", 3)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        raise DataError(path, courtesy.line_of("keep"), f"courtesy keep must be a whole number ≥ 0, got {keep!r}")
    return Normalizer(
        shorthand={str(k): v for k, v in shorthand.items()},
        leading=frozenset(words("leading")), trailing=frozenset(words("trailing")),
        trailing_pairs=frozenset(pairs), keep=keep,
    )


@lru_cache(maxsize=1)
def _shipped() -> Normalizer:
    from intents import LISTS_DIR

    return load_normalizer(LISTS_DIR / CONFIG_FILE)


def normalize(text: str) -> str:
    """The shipped lists' normalisation (what the bot's own tools use on buyer text)."""
    return _shipped()(text)
