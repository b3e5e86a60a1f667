"""Matching a buyer message to an intent.

Two scorers, each doing what it is good at (see ../shared/MEASURED.md):
- a linear model over n-grams decides between intents and knows what
  out-of-scope looks like, because `out_of_scope` is one of its classes;
- rapidfuzz finds the nearest example of each intent: near-exact matches win
  outright, and the matched example explains the decision to an admin.
Keywords add a small bonus. Below the threshold, or when out-of-scope wins,
no intent is forced on the message: `Match.intent` is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from intents.catalog import OUT_OF_SCOPE, IntentSet
from intents.model import LinearModel, load_or_train
from intents.normalize import normalize

# Calibrated with bench/intents.py (see docs/matcher.md): an in-scope intent wins
# when its combined score reaches the threshold and the model gives out-of-scope
# less than OOS_PROBABILITY.
DEFAULT_THRESHOLD = 45.0
OOS_PROBABILITY = 0.3
MODEL_WEIGHT = 0.6  # share of the linear model's probability in the combined score
MODEL_C = 10.0  # inverse regularisation of the logistic regression
KEYWORD_BONUS = 6.0
EXACT = 96  # a fuzzy score this high is the same sentence as an example, typos aside


_WORD = re.compile(r"[^\W\d_]+")


def _sort_tokens(text: str) -> str:
    return " ".join(sorted(text.split()))


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float  # combined, 0–100
    probability: float  # linear model, 0–1
    fuzzy: float  # best example similarity, 0–100
    example: str  # the nearest example of this intent


@dataclass(frozen=True)
class Match:
    intent: str | None
    score: float
    handoff: bool
    candidates: tuple[Candidate, ...]
    threshold: float
    normalized: str
    out_of_scope: float = 0.0  # the model's probability that no intent fits

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


class Matcher:
    """Built once per set of intent files; `match` is cheap and thread-safe."""

    def __init__(self, intents: IntentSet, threshold: float = DEFAULT_THRESHOLD, model: LinearModel | None = None) -> None:
        self.intents = intents
        self.threshold = threshold
        pairs = sorted(intents.examples(), key=lambda pair: pair[0])
        self._choices = [normalize(ex.text) for _, ex in pairs]
        # token_sort_ratio is ratio over sorted tokens: sort the examples once, not per message
        self._sorted_choices = [_sort_tokens(text) for text in self._choices]
        self._originals = [ex.text for _, ex in pairs]
        labels = [intent for intent, _ in pairs]
        self.languages = frozenset(ex.language for _, ex in pairs)
        self.classes = sorted(set(labels))
        self._starts = np.array([labels.index(c) for c in self.classes], dtype=np.int64)
        self._keywords = {
            intent.id: tuple(normalize(k) for k in intent.keywords if normalize(k)) for intent in intents.intents.values()
        }
        self.model = model or load_or_train(f"{intents.digest}-c{MODEL_C}", self._choices, labels, c=MODEL_C)
        self._model_order = np.array([self.model.classes.index(c) for c in self.classes], dtype=np.int64)
        self._oos = self.classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in self.classes else None

    def match(self, text: str) -> Match:
        normalized = normalize(text)
        if not normalized:
            return Match(None, 0.0, True, (), self.threshold, normalized)
        fuzzy_all = process.cdist([_sort_tokens(normalized)], self._sorted_choices, scorer=fuzz.ratio, dtype=np.uint8, workers=1)[0]
        best_index = np.maximum.reduceat(fuzzy_all, self._starts)
        argbest = self._argmax_per_class(fuzzy_all)
        probabilities = self.model.probabilities(normalized)[self._model_order]
        padded = f" {normalized} "
        bonus = np.array([KEYWORD_BONUS if any(f" {k} " in padded for k in self._keywords.get(c, ())) else 0.0 for c in self.classes])
        combined = 100 * MODEL_WEIGHT * probabilities + (1 - MODEL_WEIGHT) * best_index + bonus
        nearest = int(np.argmax(best_index))
        exact = self.classes[nearest] if best_index[nearest] >= EXACT else None  # an example, typos aside
        if exact is not None:
            combined[self.classes.index(exact)] = 100.0
        combined = np.minimum(combined, 100.0)
        out_of_scope = probabilities[self._oos] if self._oos is not None else 0.0
        if self._oos is not None:
            combined[self._oos] = 100 * out_of_scope  # shown beside the others, never chosen as an intent
        order = [i for i in np.argsort(-combined) if i != self._oos]
        candidates = tuple(
            Candidate(
                intent=self.classes[i], score=round(float(combined[i]), 1), probability=float(probabilities[i]),
                fuzzy=float(best_index[i]), example=self._originals[argbest[i]],
            )
            for i in order[:3]
        )
        top = candidates[0]
        if exact is None and (out_of_scope >= OOS_PROBABILITY or top.score < self.threshold):
            return Match(None, top.score, True, candidates, self.threshold, normalized, float(out_of_scope))
        if exact == OUT_OF_SCOPE:
            return Match(None, top.score, True, candidates, self.threshold, normalized, 1.0)
        handoff = self.intents.intents[top.intent].handoff
        return Match(top.intent, top.score, handoff, candidates, self.threshold, normalized, float(out_of_scope))

    def words(self, language: str = "en") -> set[str]:
        """The words of the examples in one language."""
        return {word for _, ex in self.intents.examples() if ex.language == language for word in _WORD.findall(ex.text.lower())}

    def has_language(self, language: str) -> bool:
        """True when the lists hold native example phrasings in `language`."""
        return language in self.languages or language.split("-")[0] in self.languages

    def _argmax_per_class(self, scores: np.ndarray) -> np.ndarray:
        ends = np.append(self._starts[1:], len(scores))
        return np.array([start + int(np.argmax(scores[start:end])) for start, end in zip(self._starts, ends)])
