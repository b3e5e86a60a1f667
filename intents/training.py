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

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from intents.model import LinearModel, pair_features, word_features

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


def counts(texts: list[str]):
    """Every n-gram of the texts (`word_features` once per distinct word, then `pair_features`): the
    n-grams in order of first appearance, and the term counts as a CSR matrix (texts × n-grams)."""
    from scipy.sparse import csr_matrix

    ids: dict[str, int] = {}
    intern = ids.setdefault
    by_word: dict[str, list[int]] = {}
    columns: list[int] = []
    lengths = np.zeros(len(texts), np.int64)
    for row, text in enumerate(texts):
        words = text.split()
        before = len(columns)
        for word in words:
            known = by_word.get(word)
            if known is None:
                known = by_word[word] = [intern(f, len(ids)) for f in word_features(word)]
            columns.extend(known)
        columns.extend(intern(f, len(ids)) for f in pair_features(words))
        lengths[row] = len(columns) - before
    rows = np.repeat(np.arange(len(texts)), lengths)
    matrix = csr_matrix((np.ones(len(columns), np.float32), (rows, np.array(columns, np.int64))),
                        shape=(len(texts), len(ids)))
    matrix.sum_duplicates()
    return list(ids), matrix


def vocabulary(names: list[str], df: np.ndarray, n_docs: int, min_df: int, max_features: int) -> np.ndarray:
    """Columns of the n-grams kept: in at least `min_df` examples, the `max_features` most frequent
    (ties by name), in the order of their names (a stable vocabulary)."""
    if n_docs < 2 * min_df:  # a tiny list keeps everything it has
        min_df = 1
    kept = np.flatnonzero(df >= min_df)
    if len(kept) > max_features:
        order = sorted(kept.tolist(), key=lambda i: (-df[i], names[i]))
        kept = np.array(order[:max_features], np.int64)
    return np.array(sorted(kept.tolist(), key=names.__getitem__), np.int64)


def tfidf_rows(matrix, columns: np.ndarray):
    """The kept `columns` of a term-count matrix as sublinear tf × idf rows, L2-normalised (what
    LinearModel.scores computes per message), and the idf (smooth, as scikit-learn's)."""
    n = matrix.shape[0]
    kept = matrix[:, columns].tocsr()
    df = np.bincount(kept.indices, minlength=len(columns))
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    kept.data = (1.0 + np.log(kept.data)) * idf[kept.indices]
    row_of = np.repeat(np.arange(n), np.diff(kept.indptr))
    norms = np.sqrt(np.bincount(row_of, weights=kept.data.astype(np.float64) ** 2, minlength=n))
    kept.data /= norms[row_of].astype(np.float32)  # an example with no kept n-gram stays a row of zeros
    return kept.astype(np.float32), idf


def train(
    texts: list[str], labels: list[str], params: TrainingParams = TrainingParams(),
    previous: LinearModel | None = None, progress: Progress | None = None,
) -> LinearModel:
    """Fit the model on normalised texts; `previous` (any earlier model) seeds the weights."""
    say = progress or (lambda _: None)
    names, term_counts = counts(texts)
    df = np.bincount(term_counts.indices, minlength=len(names))
    columns = vocabulary(names, df, len(texts), params.min_df, params.max_features)
    vocab = {names[c]: i for i, c in enumerate(columns.tolist())}
    matrix, idf = tfidf_rows(term_counts, columns)
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
    from concurrent.futures import ThreadPoolExecutor

    n, f = matrix.shape
    blocks = [_Block(part, target[lo:hi], k) for part, lo, hi in _halves(matrix)]
    x = np.zeros(f * k + k, np.float32) if start is None else start
    converged = _converged(target, f, k, tolerance)
    if len(blocks) == 1:  # small: one thread
        x, iterations = lbfgs(_objective(blocks, None, f, k, 1.0 / (c * n)), x, max_iter, converged, callback)
    else:  # the two halves on both cores (see intents/__init__.py for BLAS's own threads)
        with ThreadPoolExecutor(len(blocks), thread_name_prefix="kefu-train") as pool:
            x, iterations = lbfgs(_objective(blocks, pool, f, k, 1.0 / (c * n)), x, max_iter, converged, callback)
    return np.ascontiguousarray(x[: f * k].reshape(f, k)), x[f * k :].copy(), iterations


def _converged(target: np.ndarray, f: int, k: int, tolerance: float) -> Callable[[np.ndarray], bool]:
    """Done when every intent's share of the gradient, per example of that intent, is within `tolerance`.

    The gradient is a mean over all examples, so an intent with few of them (one an admin just added,
    5 phrasings among 31,000) weighs almost nothing in it: an absolute tolerance stopped a warm start
    after a few iterations with the new intent still unlearnt. Scaled per intent, it is learnt."""
    n = len(target)
    scale = (n / np.maximum(np.bincount(target, minlength=k), 1)).astype(np.float32)

    def converged(grad: np.ndarray) -> bool:
        per_intent = np.abs(grad[: f * k].reshape(f, k)).max(axis=0, initial=0.0)
        return bool((np.maximum(per_intent, np.abs(grad[f * k :])) * scale).max() <= tolerance)

    return converged


PLATEAU = 3e-5  # stop when ten iterations lowered the loss by less than this share (float32 runs out near 1e-6)


def lbfgs(function, x: np.ndarray, max_iter: int, converged: Callable[[np.ndarray], bool],
          callback: Callable[[int], None], memory: int = 7):
    """Minimise a smooth convex function with limited-memory BFGS and a backtracking (Armijo) line search.

    Own code rather than scipy's L-BFGS-B: with 400k–5M weights its bound-handling
    core took 7× the time of the objective, and its history doubles the memory (float64).
    The vector work is done in place with BLAS (no temporary vectors of millions of weights).
    """
    from scipy.linalg.blas import get_blas_funcs

    x = np.array(x, dtype=np.float32, copy=True)
    axpy, dot, scal = get_blas_funcs(("axpy", "dot", "scal"), (x,))
    loss, grad = function(x)
    losses = [loss]
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1/y·s), newest last
    direction, candidate = np.empty_like(x), np.empty_like(x)
    iteration = 0
    for iteration in range(1, max_iter + 1):
        if converged(grad) or (len(losses) > 10 and losses[-11] - loss <= PLATEAU * abs(loss)):
            break
        np.negative(grad, out=direction)
        alphas = []
        for s, y, rho in reversed(steps):  # two-loop recursion
            alpha = rho * float(dot(s, direction))
            axpy(y, direction, a=-alpha)
            alphas.append(alpha)
        if steps:
            s, y, rho = steps[-1]
            scal(1.0 / (rho * float(dot(y, y))), direction)
            for (s, y, rho), alpha in zip(steps, reversed(alphas)):
                axpy(s, direction, a=alpha - rho * float(dot(y, direction)))
        slope = float(dot(grad, direction))
        if slope >= 0:  # not a descent direction: forget the history
            steps.clear()
            np.negative(grad, out=direction)
            slope = -float(dot(grad, grad))
        size = 1.0 if steps else min(1.0, 1.0 / max(float(np.abs(grad).sum()), 1e-12))
        for _ in range(40):
            np.copyto(candidate, x)
            axpy(direction, candidate, a=size)
            new_loss, new_grad = function(candidate)
            if new_loss <= loss + 1e-4 * size * slope:
                break
            size *= 0.5
        else:
            break  # no progress possible at float32 precision
        # The oldest pair's vectors are reused for the newest: the history allocates nothing after it is full.
        s, y = (steps.pop(0)[:2]) if len(steps) == memory else (np.empty_like(x), np.empty_like(x))
        np.subtract(candidate, x, out=s)
        np.subtract(new_grad, grad, out=y)
        ys = float(dot(y, s))
        if ys > 1e-12:
            steps.append((s, y, 1.0 / ys))
        x, candidate = candidate, x
        loss, grad = new_loss, new_grad
        losses.append(loss)
        callback(iteration)
    return x, iteration


def _objective(blocks: list["_Block"], pool, f: int, k: int, penalty: float):
    """Mean softmax cross-entropy + penalty/2·|W|², and its gradient, in float32 (the arrays are the cost);
    the blocks of rows on the `pool`'s threads (scipy and numpy release the GIL), or here."""
    from scipy.linalg.blas import get_blas_funcs

    n = sum(len(block.target) for block in blocks)
    axpy, dot = get_blas_funcs(("axpy", "dot"), (np.zeros(1, np.float32),))

    def loss_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
        weights, intercept = x[: f * k].reshape(f, k), x[f * k :]
        parts = list(pool.map(lambda block: block(weights, intercept), blocks) if pool else
                     [block(weights, intercept) for block in blocks])
        grad = np.empty(f * k + k, np.float32)
        grad_w = grad[: f * k].reshape(f, k)
        if len(parts) == 1:
            np.multiply(parts[0][1], 1.0 / n, out=grad_w)
        else:
            np.add(parts[0][1], parts[1][1], out=grad_w)
            grad_w *= np.float32(1.0 / n)
        grad[f * k :] = sum(part_b for _, _, part_b in parts) / n
        axpy(x[: f * k], grad[: f * k], a=penalty)  # + penalty·W, in place
        loss = sum(part_loss for part_loss, _, _ in parts) / n + 0.5 * penalty * float(dot(x[: f * k], x[: f * k]))
        return loss, grad

    return loss_and_grad


class _Block:
    """Some rows of the training matrix: their summed loss and gradient (the caller divides by n)."""

    def __init__(self, rows, target: np.ndarray, k: int) -> None:
        self.rows, self.target = rows, target
        self.transposed = rows.T.tocsr() if hasattr(rows, "tocsr") else np.ascontiguousarray(rows.T)
        self.index = np.arange(len(target))

    def __call__(self, weights: np.ndarray, intercept: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        scores = self.rows @ weights
        scores += intercept
        scores -= scores.max(axis=1, keepdims=True)
        picked = scores[self.index, self.target]
        np.exp(scores, out=scores)
        total = scores.sum(axis=1)
        scores /= total[:, None]
        scores[self.index, self.target] -= 1.0  # the residual, softmax − one-hot
        loss = -float((picked - np.log(total)).sum())
        return loss, self.transposed @ scores, scores.sum(axis=0)


PARALLEL_NONZEROS = 200_000  # below this, two threads cost more than they save


def _halves(matrix):
    """The matrix as row blocks: two halves of its non-zeros when it is large, else whole."""
    import os

    n = matrix.shape[0]
    sparse = hasattr(matrix, "nnz")
    if (matrix.nnz if sparse else matrix.size) < PARALLEL_NONZEROS or (os.cpu_count() or 1) < 2:
        return [(matrix, 0, n)]
    middle = int(np.searchsorted(matrix.indptr, matrix.nnz // 2)) if sparse else n // 2
    return [(matrix[:middle], 0, middle), (matrix[middle:], middle, n)]


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
