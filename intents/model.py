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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from intents.kept import KeptRows
from intents.wordvectors import WordVectors, shared_vectors

CHAR_NGRAMS = (2, 5)
FORMAT_VERSION = 4  # 4: n-gram rows as the sum of their words' (raw counts, norm as if the words shared no n-gram)
TOKEN_ROWS = 50_000  # words and word pairs whose part is kept (244 bytes each); buyers reuse a few thousand
VECTOR_ROWS = 10_000  # English words whose vector sum is kept (1.5 KB each)


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
        # Each word's (and word pair's) part of a text's scores, kept once seen: one row of [its n-grams'
        # weights summed (classes) | their squared length | its word-vector sum times the vector's weights
        # (classes)], and an English word's vector sum in another table, for the norm of a text's sum.
        self._parts = KeptRows((2 * k + 1, dimension), self._part, tokens=TOKEN_ROWS, caps=(TOKEN_ROWS, VECTOR_ROWS))
        self._dense = self.coef[len(self.coef) - dimension :]  # the word vector's weights
        self._intercept = self.intercept.astype(np.float64)

    def _part(self, token: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """What one word (or one word pair, "w:a b") adds to a text: the sum of its n-grams' count × idf ×
        weights, their squared length, and its word-vector sum times the vector's weights (None when it has
        neither an n-gram the model knows nor a vector); and the word-vector sum itself (None for a pair, or
        a word with no piece in the vectors' vocabulary)."""
        k = len(self.classes)
        pair = token.startswith("w:")
        counts = Counter(i for i in map(self.vocabulary.get, [token] if pair else word_features(token)) if i is not None)
        vector = self.vectors.word_sum(token) if self.vectors is not None and not pair else None
        if not counts and vector is None:
            return None, None
        part = np.zeros(2 * k + 1, np.float32)
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = self.idf[index] * np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            part[:k] = weights @ self.coef[index]
            part[k] = weights @ weights
        if vector is not None:
            part[k + 1 :] = vector @ self._dense
        return part, vector

    def scores(self, normalized: str | list[str], english: bool = True) -> np.ndarray:
        """Raw class scores (before softmax) for one normalised text (or its words); `english`: read it with
        the word vectors too (a text read against its own language's phrasings is not).

        The n-gram part is the sum of the words' and word pairs' parts, divided by the root of their summed
        squared lengths: the text's TF-IDF row, unit length as if its words shared no n-gram (what
        intents.training.tfidf_rows trains on; it is what lets a word's part be remembered). The word-vector
        part is the words' vector sum, unit length, times its weights: the sum of the words' vectors times the
        weights (kept with their n-gram parts, so the weights are not read per message), over the norm of
        the sum of their vectors."""
        words = normalized.split() if isinstance(normalized, str) else normalized
        parts, vector = self._parts.total([*words, *pair_features(words)])
        if parts is None:
            return self._intercept.copy()
        k = len(self.classes)
        square = float(parts[k])
        scores = self._intercept + parts[:k] * (1 / math.sqrt(square)) if square > 0 else self._intercept.copy()
        if english and vector is not None:
            norm = math.sqrt(float(vector @ vector))
            if norm > 0:
                scores += parts[k + 1 :] * (1 / norm)
        return scores

    def probabilities(self, normalized: str | list[str], english: bool = True) -> np.ndarray:
        """Class probabilities (softmax) for one normalised text or its words (`english`: as `scores`)."""
        scores = self.scores(normalized, english)
        scores -= np.maximum.reduce(scores)
        np.exp(scores, out=scores)
        scores /= np.add.reduce(scores)
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
