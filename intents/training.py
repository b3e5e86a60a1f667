"""Training the linear model: TF-IDF over n-grams, multinomial logistic regression.

Written on numpy and scipy alone: importing scikit-learn costs ~1.5 s and its
solver ~10× the time of this one on the shipped lists (measured in
bench/intents.py). The loss is scikit-learn's (softmax cross-entropy plus an
L2 penalty of 1/C); L-BFGS (our own, below) minimises it, and reports each iteration so a
terminal can show progress. A previous model seeds the weights of the
features and intents it shares with the new lists, so a small edit retrains in
a few iterations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from intents.model import LinearModel, features

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainingParams:
    """Chosen with bench/intents.py on the shipped lists and CLINC150 (see docs/matcher.md)."""

    c: float = 10.0  # inverse L2 penalty, as scikit-learn's C
    min_df: int = 2  # an n-gram seen in one example only is noise, and 52 % of the vocabulary
    max_features: int = 60_000  # most frequent n-grams kept: memory and the model file stay bounded
    max_iter: int = 150
    tolerance: float = 1e-4

    @property
    def tag(self) -> str:
        return f"c{self.c:g}-df{self.min_df}-mf{self.max_features}"


def vocabulary(docs: list[list[str]], min_df: int, max_features: int) -> dict[str, int]:
    """N-grams in at least `min_df` examples, the `max_features` most frequent, in a stable order."""
    df = Counter(f for doc in docs for f in set(doc))
    if len(docs) < 2 * min_df:  # a tiny list keeps everything it has
        min_df = 1
    kept = [f for f, n in df.items() if n >= min_df]
    if len(kept) > max_features:
        kept = sorted(kept, key=lambda f: (-df[f], f))[:max_features]
    return {f: i for i, f in enumerate(sorted(kept))}


def tfidf(docs: list[list[str]], vocab: dict[str, int], idf: np.ndarray):
    """Rows of sublinear tf × idf, L2-normalised, as a CSR matrix (what LinearModel.scores computes per message)."""
    from scipy.sparse import csr_matrix

    indptr, indices, values = [0], [], []
    for doc in docs:
        counts = Counter(i for i in map(vocab.get, doc) if i is not None)
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        row = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * idf[ids]
        norm = np.linalg.norm(row)
        indices.append(ids)
        values.append(row / norm if norm else row)
        indptr.append(indptr[-1] + len(ids))
    return csr_matrix(
        (np.concatenate(values) if values else np.zeros(0, np.float32), np.concatenate(indices) if indices else np.zeros(0, np.int64), indptr),
        shape=(len(docs), len(vocab)), dtype=np.float32,
    )


def train(
    texts: list[str], labels: list[str], params: TrainingParams = TrainingParams(),
    previous: LinearModel | None = None, progress: Progress | None = None,
) -> LinearModel:
    """Fit the model on normalised texts; `previous` (any earlier model) seeds the weights."""
    say = progress or (lambda _: None)
    docs = [features(text) for text in texts]
    vocab = vocabulary(docs, params.min_df, params.max_features)
    df = np.zeros(len(vocab), np.float64)
    for doc in docs:
        for i in {vocab[f] for f in doc if f in vocab}:
            df[i] += 1
    idf = (np.log((1 + len(docs)) / (1 + df)) + 1).astype(np.float32)  # smooth idf, as scikit-learn
    matrix = tfidf(docs, vocab, idf)
    classes = sorted(set(labels))
    position = {c: i for i, c in enumerate(classes)}
    target = np.array([position[label] for label in labels])
    n, f, k = len(texts), len(vocab), len(classes)
    say(f"training the intent model: {n} examples, {k} intents, {f} n-grams")
    start = _seed(previous, vocab, classes) if previous is not None else None

    def step(iteration: int) -> None:
        if iteration % 10 == 0:
            say(f"training the intent model: iteration {iteration} (at most {params.max_iter})")

    coef, intercept, iterations = fit_softmax(matrix, target, k, params.c, start, params.max_iter, params.tolerance, step)
    say(f"training the intent model: done after {iterations} iterations")
    return LinearModel(classes=classes, vocabulary=vocab, idf=idf, coef=coef, intercept=intercept)


def fit_softmax(
    matrix, target: np.ndarray, k: int, c: float, start: np.ndarray | None = None, max_iter: int = 150,
    tolerance: float = 1e-4, callback: Callable[[int], None] = lambda _: None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Multinomial logistic regression on rows of `matrix` (sparse or dense): weights (features, k), intercept (k,), iterations."""
    n, f = matrix.shape
    loss_and_grad = _objective(matrix, target, k, 1.0 / (c * n))
    x, iterations = lbfgs(loss_and_grad, np.zeros(f * k + k, np.float32) if start is None else start, max_iter, tolerance, callback)
    return np.ascontiguousarray(x[: f * k].reshape(f, k)), x[f * k :].copy(), iterations


def lbfgs(function, x: np.ndarray, max_iter: int, tolerance: float, callback: Callable[[int], None], memory: int = 7):
    """Minimise a smooth convex function with limited-memory BFGS and a backtracking (Armijo) line search.

    Own code rather than scipy's L-BFGS-B: with 400k–5M weights its bound-handling
    core took 7× the time of the objective, and its history doubles the memory (float64).
    """
    loss, grad = function(x)
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1/y·s), newest last
    iteration = 0
    for iteration in range(1, max_iter + 1):
        if float(np.abs(grad).max()) <= tolerance:
            break
        direction = -grad
        alphas = []
        for s, y, rho in reversed(steps):  # two-loop recursion
            alpha = rho * float(np.dot(s, direction))
            direction -= alpha * y
            alphas.append(alpha)
        if steps:
            s, y, rho = steps[-1]
            direction *= 1.0 / (rho * float(np.dot(y, y)))
            for (s, y, rho), alpha in zip(steps, reversed(alphas)):
                direction += (alpha - rho * float(np.dot(y, direction))) * s
        slope = float(np.dot(grad, direction))
        if slope >= 0:  # not a descent direction: forget the history
            steps.clear()
            direction, slope = -grad, -float(np.dot(grad, grad))
        size = 1.0 if steps else min(1.0, 1.0 / max(float(np.abs(grad).sum()), 1e-12))
        for _ in range(40):
            candidate = x + size * direction
            new_loss, new_grad = function(candidate)
            if new_loss <= loss + 1e-4 * size * slope:
                break
            size *= 0.5
        else:
            break  # no progress possible at float32 precision
        s, y = candidate - x, new_grad - grad
        ys = float(np.dot(y, s))
        if ys > 1e-12:
            steps.append((s, y, 1.0 / ys))
            del steps[:-memory]
        x, loss, grad = candidate, new_loss, new_grad
        callback(iteration)
    return x, iteration


def _objective(matrix, target: np.ndarray, k: int, penalty: float):
    """Mean softmax cross-entropy + penalty/2·|W|², and its gradient, in float32 (the arrays are the cost)."""
    n, f = matrix.shape
    transposed = matrix.T.tocsr() if hasattr(matrix, "tocsr") else np.ascontiguousarray(matrix.T)
    rows = np.arange(n)
    onehot = np.zeros((n, k), np.float32)
    onehot[rows, target] = 1.0

    def loss_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        weights = x[: f * k].reshape(f, k)
        scores = matrix @ weights + x[f * k :]
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        total = exp.sum(axis=1)
        log_likelihood = scores[rows, target] - np.log(total)
        residual = (exp / total[:, None] - onehot) / n
        grad_w = transposed @ residual + penalty * weights
        loss = -float(log_likelihood.mean()) + 0.5 * penalty * float(np.vdot(weights, weights))
        return loss, np.concatenate([grad_w.ravel(), residual.sum(axis=0)]).astype(np.float32)

    return loss_and_grad


def _seed(previous: LinearModel, vocab: dict[str, int], classes: list[str]) -> np.ndarray:
    """Start from the previous model's weights where features and intents carry over, zero elsewhere."""
    f, k = len(vocab), len(classes)
    weights = np.zeros((f, k), np.float32)
    intercept = np.zeros(k, np.float32)
    old_class = {c: i for i, c in enumerate(previous.classes)}
    pairs = [(j, old_class[c]) for j, c in enumerate(classes) if c in old_class]
    if not pairs:
        return np.zeros(f * k + k, np.float32)
    new_cols, old_cols = map(list, zip(*pairs))
    shared = [(i, previous.vocabulary[g]) for g, i in vocab.items() if g in previous.vocabulary]
    if shared:
        new_rows, old_rows = map(np.array, zip(*shared))
        weights[np.ix_(new_rows, new_cols)] = previous.coef[np.ix_(old_rows, old_cols)]
    intercept[new_cols] = previous.intercept[old_cols]
    return np.concatenate([weights.ravel(), intercept])
