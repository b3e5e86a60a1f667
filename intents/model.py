"""A small linear model over character and word n-grams.

Trained by intents.training when the intent files change and stored as numpy
arrays (see intents.modelstore). Scoring a message needs only numpy and a dict
lookup per word: the n-gram ids of a word are worked out once and remembered,
so the hot path never rebuilds a word's n-grams. An English reading also adds
its static word vector (intents.wordvectors): the last rows of the weights,
named `v:0`, `v:1`… in the vocabulary, are that vector's.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from intents.wordvectors import WordVectors, shared_vectors

CHAR_NGRAMS = (2, 5)
FORMAT_VERSION = 3
WORD_CACHE = 50_000  # words whose n-gram ids are remembered; buyers reuse the same few thousand


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
    training (intents.training.counts) and scoring (LinearModel.feature_ids) both build on these two."""
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
    _word_ids: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._dense = self.coef[len(self.coef) - self.vectors.dimension :] if self.vectors is not None else None

    def feature_ids(self, normalized: str) -> list[int]:
        """Vocabulary ids of the n-grams of a normalised text (repeats kept: they are the term counts)."""
        get = self.vocabulary.get
        cache = self._word_ids
        words = normalized.split()
        ids: list[int] = []
        for word in words:
            known = cache.get(word)
            if known is None:
                known = [i for i in map(get, word_features(word)) if i is not None]
                if len(cache) >= WORD_CACHE:
                    cache.clear()
                cache[word] = known
            ids.extend(known)
        ids.extend(i for i in map(get, pair_features(words)) if i is not None)
        return ids

    def scores(self, normalized: str, english: bool = True) -> np.ndarray:
        """Raw class scores (before softmax) for one normalised text; `english`: read it with the word
        vectors too (a text read against its own language's phrasings is not)."""
        counts = Counter(self.feature_ids(normalized))
        scores = self.intercept.copy()
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = self.idf[index]
            if len(counts) != counts.total():  # a repeated n-gram: sublinear tf, as in training
                weights = weights * (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))))
            scores += (weights @ self.coef[index]) / np.sqrt(weights @ weights)
        if english and self._dense is not None:
            scores += self.vectors.vector(normalized) @ self._dense
        return scores.astype(np.float64)

    def probabilities(self, normalized: str, english: bool = True) -> np.ndarray:
        """Class probabilities (softmax) for one normalised text (`english`: as `scores`)."""
        scores = self.scores(normalized, english)
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

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
