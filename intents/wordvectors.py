"""Static word vectors: what the sentence encoder knows about English words, without running it.

The encoder (intents/encoder.py) knows that "reschedule" is close to "move"
and "refund" to "money back"; n-grams only know spelling. bench/distill_vectors.py
ran it once on each English word-piece of its vocabulary and stored the
outputs here (intents/vectors/, int8, 11 MB): the linear model adds the mean
of a text's word-piece vectors to its n-grams. Measured on CLINC150 val, the
n-grams alone reach 92.3 % top-1, with these vectors 94.4 % (docs/matcher.md).

Lookups only, numpy alone: a word is split into the vocabulary's pieces as
BERT's WordPiece does (greedy longest match, "##" continuing a word); the model
keeps each word's sum once it has seen the word (intents.kept.KeptRows). The vectors serve English readings; a word outside ASCII, or with
no piece in the vocabulary, adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

VECTORS_FILE = Path(__file__).parent / "vectors" / "minilm-l6-static.npz"
FORMAT_VERSION = 1
MAX_WORD = 100  # as BERT: a longer "word" is not a word


def word_pieces(word: str, vocabulary: dict[str, int]) -> list[int]:
    """The ids of `word`'s pieces by WordPiece's greedy longest match; [] when a part of it has none
    (BERT says [UNK] there; the test suite compares this with the `tokenizers` library)."""
    if len(word) > MAX_WORD or not word.isascii():
        return []
    pieces: list[int] = []
    start = 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = vocabulary.get(word[start:end] if start == 0 else "##" + word[start:end])
            if piece is not None:
                pieces.append(piece)
                start = end
                break
        else:
            return []
    return pieces


@dataclass
class WordVectors:
    source: str  # what they were distilled from: a model trained on other vectors is not read with these
    vocabulary: dict[str, int]
    table: np.ndarray  # (pieces, dimension) int8, as stored: float32 would take 42 MB and 90 ms to make
    scale: np.ndarray  # (pieces,) float32: row i is table[i] * scale[i]

    @property
    def dimension(self) -> int:
        return int(self.table.shape[1])

    def word_sum(self, word: str) -> np.ndarray | None:
        """The sum of one word's piece vectors (float32); None when it has no pieces. Not remembered here:
        the model remembers each word's whole part of a score (intents.kept.KeptRows)."""
        ids = word_pieces(word, self.vocabulary)
        return self.scale[ids] @ self.table[ids].astype(np.float32) if ids else None

    def vector(self, text: str) -> np.ndarray:
        """The mean of the text's piece vectors, L2-normalised; zeros when none of its words has one."""
        sums = [s for s in map(self.word_sum, text.split()) if s is not None]
        if not sums:
            return np.zeros(self.dimension, np.float32)
        total = np.sum(sums, axis=0, dtype=np.float32)
        norm = float(np.sqrt(total @ total))
        return total / norm if norm > 0 else total

    @classmethod
    def load(cls, path: Path = VECTORS_FILE) -> "WordVectors":
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: word vectors of another format")
            pieces = data["pieces"].tobytes().decode().split("\n")
            return cls(str(data["source"]), {p: i for i, p in enumerate(pieces)}, data["table"], data["scale"])


@cache
def shared_vectors() -> WordVectors:
    """The shipped vectors, loaded once per process (about 30 ms, 11 MB)."""
    return WordVectors.load()
