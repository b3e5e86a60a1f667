"""A character n-gram language model: naive Bayes over 1–3-grams, scored with one numpy sum.

Two sources are mixed per language:
- langdetect's profiles (n-gram frequencies from Wikipedia, 55 languages), shipped
  inside the langdetect package: the general shape of each language;
- the native example phrasings of the intent lists (`intents/lists/<lang>/`, and
  the English lists for `en`): how buyers of this shop really type, unaccented
  Vietnamese, Slovak and Czech chat, informal Portuguese and Spanish included.
The native share weighs more: it is the register we must recognise.

Built in one to a few seconds, cached in ~/.cache/kefu keyed by what it was
built from, loaded in tens of milliseconds; scoring a chat message costs tens
of µs. The model takes about 20 MB (a float32 table of ~60k n-grams × 55
languages), against ~750 MB for lingua's high-accuracy models of the expected
languages (bench/languages.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

import numpy as np

from intents.kept import KeptRows

T = TypeVar("T")

FORMAT = 2
ORDERS = (1, 2, 3)
WORDS_KEPT = 20_000  # words whose row is kept (56 floats each: at most 4.5 MB)
NATIVE_SHARE = 0.7  # of the probability mass, for languages with native phrasings
FLOOR = 1e-6  # probability of an n-gram a language has never shown (smoothing)
_FOLD = str.maketrans("șțȘȚ", "şţşţ")  # Romanian comma-below letters, as in langdetect's profiles
_NOT_LETTERS = re.compile(r"[\W\d_]+")


def _profiles_dir() -> Path:
    import langdetect

    return Path(langdetect.__file__).parent / "profiles"


def _wiki_language(name: str) -> str:
    return name.lower()


def profile_languages() -> frozenset[str]:
    """The languages langdetect's profiles describe (the model knows these, native phrasings or not)."""
    return frozenset(_wiki_language(path.name) for path in _profiles_dir().iterdir())


def letters_only(text: str) -> str:
    """Lower case, letters kept, everything else a space (the form n-grams are taken from)."""
    return " ".join(_NOT_LETTERS.sub(" ", text.casefold().translate(_FOLD)).split())


def ngrams(text: str) -> list[str]:
    """The 1–3-grams of a letters-only text, words padded with a space (as langdetect counts them)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        grams.extend(word)
        grams.extend(padded[i : i + 2] for i in range(len(padded) - 1))
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def _is_cjk(gram: str) -> bool:  # Han, Kana, Hangul, Thai: the script settles those (langdetect maps CJK to classes)
    return any(0x3040 <= ord(ch) < 0xA000 or 0xAC00 <= ord(ch) < 0xD7B0 or 0xF900 <= ord(ch) < 0xFB00
               or 0xE00 <= ord(ch) < 0xE80 for ch in gram)


class NgramModel:
    """log P(n-gram | language) for every n-gram either source knows; `loglik` sums a message's.

    N-grams do not cross words, so a text's sum is its words' sums: each word's is worked out once and
    kept (up to `WORDS_KEPT` words, then afresh), and a message costs a lookup per word and one sum."""

    def __init__(self, languages: tuple[str, ...], vocabulary: list[str], table: np.ndarray) -> None:
        self.languages = languages
        self.index = {gram: i for i, gram in enumerate(vocabulary)}
        self.table = table  # [n-grams, languages] float32
        self._words = KeptRows((len(languages) + 1,), self._word, tokens=WORDS_KEPT)

    def _word(self, word: str) -> tuple[np.ndarray | None]:
        """One word's row: [its known n-grams' log-likelihood per language | how many there were]."""
        rows = [i for i in map(self.index.get, ngrams(word)) if i is not None]
        if not rows:
            return (None,)
        row = np.empty(len(self.languages) + 1, np.float32)
        row[:-1] = self.table[rows].sum(axis=0)
        row[-1] = len(rows)
        return (row,)

    def loglik(self, words: list[str]) -> tuple[np.ndarray, int]:
        """Per language, the log-likelihood of a text's known n-grams, and how many there were; `words`:
        the words of its `letters_only` form."""
        (total,) = self._words.total(words)
        if total is None:
            return np.zeros(len(self.languages), dtype=np.float32), 0
        return total[:-1], int(total[-1])

    # -- building and storing ------------------------------------------------------------------

    @classmethod
    def build(cls, native: Mapping[str, Iterable[str]]) -> NgramModel:
        """From langdetect's profiles and `native` phrasings per language (code → texts)."""
        wiki: dict[str, dict[str, float]] = {}
        for path in sorted(_profiles_dir().iterdir()):
            data = json.loads(path.read_text(encoding="utf-8"))
            totals = data["n_words"]
            freq: Counter[str] = Counter()
            for gram, count in data["freq"].items():
                gram = gram.casefold().translate(_FOLD)
                if len(gram) in ORDERS and not _is_cjk(gram):
                    freq[gram] += count
            wiki[_wiki_language(data["name"])] = {g: c / max(1, totals[len(g) - 1]) for g, c in freq.items()}
        counted: dict[str, dict[str, float]] = {}
        for language, texts in native.items():
            grams = Counter(g for text in texts for g in ngrams(letters_only(text)) if not _is_cjk(g))
            totals = Counter()
            for gram, count in grams.items():
                totals[len(gram)] += count
            counted[language] = {g: c / totals[len(g)] for g, c in grams.items()}
        languages = tuple(sorted(set(wiki) | set(counted)))
        vocabulary = sorted({g for probs in (*wiki.values(), *counted.values()) for g in probs})
        position = {g: i for i, g in enumerate(vocabulary)}
        table = np.zeros((len(vocabulary), len(languages)), dtype=np.float64)
        for column, language in enumerate(languages):
            from_wiki, from_native = wiki.get(language, {}), counted.get(language, {})
            share = NATIVE_SHARE if from_native and from_wiki else (1.0 if from_native else 0.0)
            for source, weight in ((from_wiki, 1 - share), (from_native, share)):
                if weight:
                    rows = [position[g] for g in source]
                    table[rows, column] += weight * np.fromiter(source.values(), dtype=np.float64, count=len(rows))
        return cls(languages, vocabulary, np.log(table + FLOOR).astype(np.float32))

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(out, table=self.table, languages=np.array("\n".join(self.languages)),
                 vocabulary=np.array("\n".join(self.index)), format=np.array(FORMAT))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> NgramModel:
        with np.load(io.BytesIO(data)) as npz:
            if int(npz["format"]) != FORMAT:
                raise ValueError("another format")
            return cls(tuple(str(npz["languages"]).split("\n")), str(npz["vocabulary"]).split("\n"), npz["table"])


def native_digest(native: Mapping[str, Iterable[str]]) -> str:
    digest = hashlib.sha256(f"ngrams-v{FORMAT}-{NATIVE_SHARE}-{FLOOR}".encode())
    for language in sorted(native):
        digest.update(language.encode() + b"\0" + "\n".join(native[language]).encode() + b"\1")
    return digest.hexdigest()[:16]


def load_or_build(native: Mapping[str, list[str]], digest: str) -> NgramModel:
    """The model for these phrasings (`digest`: their `native_digest`), from the cache or built (and cached) now."""
    return cached(f"languages-{digest}.npz", lambda: NgramModel.build(native),
                  NgramModel.to_bytes, NgramModel.from_bytes)


def cached(name: str, build: Callable[[], T], dump: Callable[[T], bytes], load: Callable[[bytes], T]) -> T:
    """What `build` makes, read from the cache file `name` when an earlier start wrote it (keyed by the
    caller with a digest of what it is built from), else built now and written there."""
    from intents.modelstore import cache_dir, write_atomically

    path = cache_dir() / name
    try:
        return load(path.read_bytes())
    except (OSError, ValueError, KeyError):
        pass
    value = build()
    try:
        write_atomically(path, dump(value))
    except OSError:  # a read-only home still works: it builds at each start
        pass
    return value
