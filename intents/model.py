"""A small linear model over character and word n-grams.

Trained by intents.training when the intent files change and stored as numpy
arrays (see intents.modelstore). Scoring a message needs only numpy and a dict
lookup per word: a text's n-gram row is the sum of its words' rows (raw
counts × idf), so what each word adds to the class scores is worked out once
and remembered, and the hot path sums a few remembered vectors. An English reading also adds
its static word vector (intents.wordvectors): the last rows of the weights,
named `v:0`, `v:1`… in the vocabulary, are that vector's.
"""

from __future__ import annotations

import io
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from intents.wordvectors import WordVectors, shared_vectors

CHAR_NGRAMS = (2, 5)
FORMAT_VERSION = 4  # 4: n-gram rows as the sum of their words' (raw counts, norm as if the words shared no n-gram)
TOKEN_ROWS = 16_000  # words and word pairs whose part is kept; buyers reuse the same few thousand


def char_features(word: str) -> list[str]:
    """Character 2–5-grams of one word, padded with spaces so starts and ends count."""
    padded = f" {word} "
    size = len(padded)
    low, high = CHAR_NGRAMS
    return [padded[i : i + n] for n in range(low, min(high, size) + 1) for i in range(size - n + 1)]


def word_features(word: str) -> list[str]:
    """The n-grams one word contributes wherever it stands: its character 2–5-grams and itself."""
    return char_features(word) + ["w:" + word]


def pair_features(words: list[str]) -> list[str]:
    """The word bigrams of a text's words. With `word_features`, the whole feature set of a text:
    scoring (LinearModel._part) builds on these two, and training finds the same n-grams with numpy
    (intents.training.counts; a test compares them)."""
    return [f"w:{a} {b}" for a, b in zip(words, words[1:])]


def vector_features(dimension: int) -> list[str]:
    """The names of a word vector's dimensions in the vocabulary (no n-gram has a colon after `v`)."""
    return [f"v:{i}" for i in range(dimension)]


class _Kept:
    """One generation of TokenParts: token → row (-1: it adds nothing), and the rows."""

    def __init__(self, width: int) -> None:
        self.rows: dict[str, int] = {}
        self.table = np.zeros((0, width), np.float32)
        self.used = 0


class TokenParts:
    """Each word's (and word pair's) part of a text's scores, worked out once and kept as a row of one table:
    [n-gram part (classes) | its squared length | its word-vector sum (dimension)]. A message's parts are
    then summed by one gather instead of an n-gram lookup per word.

    Thread-safe without a lock on the hot path: rows are added under a lock and written before they are
    published; a table that grows is copied, and a reader keeps the table it has. Past `TOKEN_ROWS` tokens
    a new generation starts empty (a 416-float row is 1.7 KB: 27 MB at most), while a reader finishes
    with the one it began with."""

    def __init__(self, width: int, make: Callable[[str], np.ndarray | None]) -> None:
        self.width, self._make = width, make
        self._kept = _Kept(width)
        self._lock = threading.Lock()

    def total(self, tokens: Iterable[str]) -> np.ndarray:
        """The sum of the tokens' rows (each occurrence counted)."""
        kept = self._kept
        get = kept.rows.get
        rows = []
        for token in tokens:
            row = get(token)
            if row is None:
                row = self._add(kept, token)
            if row >= 0:
                rows.append(row)
        return kept.table.take(rows, axis=0).sum(axis=0) if rows else np.zeros(self.width, np.float32)

    def _add(self, kept: _Kept, token: str) -> int:
        with self._lock:
            row = kept.rows.get(token)
            if row is not None:
                return row
            if len(kept.rows) >= TOKEN_ROWS and kept is self._kept:
                self._kept = _Kept(self.width)  # the next message starts the new generation
            part = self._make(token)
            row = -1
            if part is not None:
                row, kept.used = kept.used, kept.used + 1
                if row >= len(kept.table):  # grow by half: a copy, so a reader keeps the rows it has
                    table = np.zeros((max(64, len(kept.table) * 3 // 2), self.width), np.float32)
                    table[: len(kept.table)] = kept.table
                    table[row] = part
                    kept.table = table
                else:
                    kept.table[row] = part
            kept.rows[token] = row
            return row


@dataclass
class LinearModel:
    classes: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,) float32
    coef: np.ndarray  # (features, classes) float32: rows gathered per message
    intercept: np.ndarray  # (classes,) float32
    vectors: WordVectors | None = None  # the word vectors its last `vectors.dimension` features are

    def __post_init__(self) -> None:
        k, dimension = len(self.classes), self.vectors.dimension if self.vectors is not None else 0
        self._parts = TokenParts(k + 1 + dimension, self._part)
        # A summed row, each part scaled to unit length, times this is its scores: the n-gram part is already
        # the weights' sum (identity), the squared length adds nothing, the word vector meets its weights.
        self._read = np.zeros((k + 1 + dimension, k), np.float32)
        self._read[:k] = np.eye(k, dtype=np.float32)
        self._read[k + 1 :] = self.coef[len(self.coef) - dimension :]
        self._intercept = self.intercept.astype(np.float64)

    def _part(self, token: str) -> np.ndarray | None:
        """What one word (or one word pair, "w:a b") adds to a text: the sum of its n-grams' count × idf ×
        weights, their squared length, and (a word) its word-vector sum; None when it adds nothing."""
        k = len(self.classes)
        part = np.zeros(self._parts.width, np.float32)
        pair = token.startswith("w:")
        counts = Counter(i for i in map(self.vocabulary.get, [token] if pair else word_features(token)) if i is not None)
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = self.idf[index] * np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            part[:k] = weights @ self.coef[index]
            part[k] = weights @ weights
        if self.vectors is not None and not pair:
            vector = self.vectors.word_sum(token)
            if vector is not None:
                part[k + 1 :] = vector
        return part if part.any() else None

    def scores(self, normalized: str, english: bool = True) -> np.ndarray:
        """Raw class scores (before softmax) for one normalised text; `english`: read it with the word
        vectors too (a text read against its own language's phrasings is not).

        The n-gram part is the sum of the words' and word pairs' parts, divided by the root of their summed
        squared lengths: the text's TF-IDF row, unit length as if its words shared no n-gram (what
        intents.training.tfidf_rows trains on; it is what lets a word's part be remembered). The word-vector
        part is the words' vector sum, unit length, times its weights."""
        words = normalized.split()
        total = self._parts.total(chain(words, pair_features(words)))
        k = len(self.classes)
        square = float(total[k])
        if square > 0:
            total[:k] *= 1 / math.sqrt(square)
        vector = total[k + 1 :]
        norm = math.sqrt(float(vector @ vector)) if english and len(vector) else 0.0
        if norm > 0:
            vector *= 1 / norm
        else:
            vector[:] = 0  # a native reading, or no word with a vector
        return self._intercept + total @ self._read

    def probabilities(self, normalized: str, english: bool = True) -> np.ndarray:
        """Class probabilities (softmax) for one normalised text (`english`: as `scores`)."""
        scores = self.scores(normalized, english)
        scores -= scores.max()
        np.exp(scores, out=scores)
        scores /= scores.sum()
        return scores

    def to_bytes(self) -> bytes:
        """A compact file: float16 weights, compressed; a shipped model stays small."""
        vocab = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, version=FORMAT_VERSION, classes=np.array(self.classes),
            vocabulary=np.frombuffer("\n".join(vocab).encode(), dtype=np.uint8),
            idf=self.idf.astype(np.float16), coef=self.coef.astype(np.float16), intercept=self.intercept.astype(np.float32),
            vectors=self.vectors.source if self.vectors is not None else "",
        )
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != FORMAT_VERSION:
                raise ValueError("model file from another version")
            vocab = data["vocabulary"].tobytes().decode().split("\n")
            vectors = None
            if str(data["vectors"]):
                vectors = shared_vectors()
                if vectors.source != str(data["vectors"]):
                    raise ValueError("model trained with other word vectors")
            return cls(
                classes=data["classes"].tolist(),
                vocabulary={f: i for i, f in enumerate(vocab)},
                idf=data["idf"].astype(np.float32),
                coef=np.ascontiguousarray(data["coef"], dtype=np.float32),
                intercept=data["intercept"].astype(np.float32),
                vectors=vectors,
            )
