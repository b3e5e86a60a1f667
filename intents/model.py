"""A small linear model over character and word n-grams.

Trained with scikit-learn when the intent files change, then exported to plain
numpy arrays and cached by the files' hash. Scoring a message needs only numpy
and a dict lookup per n-gram, so start-up never pays for importing sklearn
(about 1.5 s) once the cache is warm.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHAR_NGRAMS = (2, 5)
FORMAT_VERSION = 1


def features(text: str) -> list[str]:
    """N-grams of a normalised text: char 2–5 within word boundaries, word 1–2."""
    out: list[str] = []
    words = text.split()
    low, high = CHAR_NGRAMS
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            out.extend(padded[i : i + n] for i in range(size - n + 1))
    out.extend("w:" + w for w in words)
    out.extend(f"w:{a} {b}" for a, b in zip(words, words[1:]))
    return out


@dataclass
class LinearModel:
    classes: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (features,)
    coef: np.ndarray  # (features, classes): columns gathered per message
    intercept: np.ndarray  # (classes,)

    def probabilities(self, normalized: str) -> np.ndarray:
        """Class probabilities (softmax) for one normalised text."""
        get = self.vocabulary.get
        ids = [i for i in map(get, features(normalized)) if i is not None]
        if not ids:
            scores = self.intercept
        else:
            index, counts = np.unique(np.array(ids, dtype=np.int64), return_counts=True)
            weights = (1.0 + np.log(counts)) * self.idf[index]  # sublinear tf × idf, as in training
            weights /= np.linalg.norm(weights)
            scores = weights @ self.coef[index] + self.intercept
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        vocab = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez(
            tmp, version=FORMAT_VERSION, classes=np.array(self.classes), vocabulary=np.array(vocab),
            idf=self.idf, coef=self.coef, intercept=self.intercept,
        )
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != FORMAT_VERSION:
                raise ValueError("model cache from another version")
            vocab = data["vocabulary"].tolist()
            return cls(
                classes=data["classes"].tolist(),
                vocabulary={f: i for i, f in enumerate(vocab)},
                idf=data["idf"],
                coef=data["coef"],
                intercept=data["intercept"],
            )


def train(texts: list[str], labels: list[str], c: float = 20.0) -> LinearModel:
    """Fit TF-IDF + multinomial logistic regression on normalised texts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, dtype=np.float64)
    matrix = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=c, max_iter=2000)
    classifier.fit(matrix, labels)
    coef = classifier.coef_
    intercept = classifier.intercept_
    if coef.shape[0] == 1:  # binary case: sklearn keeps one row; make it two-class softmax
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    return LinearModel(
        classes=[str(c) for c in classifier.classes_],
        vocabulary={f: int(i) for f, i in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_.astype(np.float64),
        coef=np.ascontiguousarray(coef.T, dtype=np.float32),
        intercept=intercept.astype(np.float64),
    )


def cache_dir() -> Path:
    env = os.environ.get("KEFU_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kefu"


def load_or_train(key: str, texts: list[str], labels: list[str], c: float = 20.0) -> LinearModel:
    """The cached model for this set of intent files, training it if needed."""
    path = cache_dir() / f"intents-{key}-v{FORMAT_VERSION}.npz"
    try:
        return LinearModel.load(path)
    except (OSError, ValueError, KeyError):
        pass
    model = train(texts, labels, c=c)
    try:
        model.save(path)
    except OSError:  # a read-only home still works, it just trains each start
        pass
    return model
