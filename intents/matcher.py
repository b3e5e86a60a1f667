"""Matching a buyer message to an intent.

Two scorers, each doing what it is good at (see ../shared/MEASURED.md):
- a linear model over n-grams decides between intents and knows what
  out-of-scope looks like, because `out_of_scope` is one of its classes;
- rapidfuzz finds the nearest example of the intents the model finds likely
  (its top few, while they could still be chosen, plus any intent one of whose
  examples is the message itself, found by a hash lookup): near-exact matches
  win outright, and the matched example explains the decision to an admin.
With the optional encoder stage (intents/encoder.py), a sentence encoder is
asked too when the linear model is unsure, and the two models' probabilities
are mixed. Keywords add a small bonus. Below the threshold, or when out-of-scope is
likely enough, no intent is forced on the message: `Match.intent` is None.
Both limits are tuned per set of intent files by `kefu eval --tune`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from intents.catalog import OUT_OF_SCOPE, TOP_LEVEL, IntentSet

PIVOT = TOP_LEVEL
from intents.model import LinearModel
from intents.encoder import MODEL_ID, EncoderStage
from intents.modelstore import Calibration, load_calibration, load_or_train, load_or_train_encoder, model_name
from intents.normalize import Normalizer
from intents.training import Progress, TrainingParams

# Used until `kefu eval --tune` stores thresholds for a set of intent files (see docs/matcher.md).
DEFAULT_THRESHOLD = 45.0
OOS_PROBABILITY = 0.3
MODEL_WEIGHT = 0.6  # share of the linear model's probability in the combined score
KEYWORD_BONUS = 6.0
EXACT = 96  # a fuzzy score this high is the same sentence as an example, typos aside
# The encoder stage (chosen on CLINC150 val and eval_en, see docs/matcher.md):
ENCODER_BELOW = 0.8  # it runs when the linear model gives no class (out_of_scope included) this probability
ENCODER_WEIGHT = 0.5  # share of the encoder's probabilities in the mixed ones (CLINC150 likes 0.6-0.7, eval_en 0.4-0.5)
REACH = 100 * (1 - MODEL_WEIGHT)  # the most similarity adds to a score
TOP_K = 3  # intents whose examples the fuzzy stage reads: on eval_en and CLINC150 val, 2 to 10 decide the same (±1 row)


class _Phrasings:
    """One intent's example keys a message is compared with (in its language and English, or in all),
    with their numbers among the intent's examples; and the same sorted by length, for the near-exact check."""

    def __init__(self, keys: list[str], numbers: list[int]) -> None:
        self.keys, self.numbers = keys, numbers
        by_length = sorted(range(len(keys)), key=lambda i: len(keys[i]))
        self.lengths = [len(keys[i]) for i in by_length]
        self.by_length = [keys[i] for i in by_length]
        self.by_length_numbers = [numbers[i] for i in by_length]

    def nearest(self, key: str) -> tuple[float, int] | None:
        """The most similar example: (similarity 0–100, its number)."""
        found = process.extractOne(key, self.keys, scorer=fuzz.ratio, processor=None)
        return (found[1], self.numbers[found[2]]) if found is not None else None

    def near_exact(self, key: str) -> tuple[float, int] | None:
        """The most similar example when it is at least EXACT similar, else None. Only examples of about the
        key's length can be: similarity = 2·common/(a + b) ≤ 2·min(a, b)/(a + b), which is ≥ 0.96 only for a
        length within 12/13 … 13/12 of the key's: a few of the intent's examples instead of all of them."""
        low = bisect_left(self.lengths, len(key) * 12 / 13)
        high = bisect_right(self.lengths, len(key) * 13 / 12)
        if low >= high:
            return None
        found = process.extractOne(key, self.by_length[low:high], scorer=fuzz.ratio, processor=None, score_cutoff=EXACT)
        return (found[1], self.by_length_numbers[low + found[2]]) if found is not None else None


def _key(words: list[str]) -> str:
    """How a text is compared with the examples: its words sorted (their order does not matter)."""
    return " ".join(sorted(words))


@dataclass(frozen=True)
class Candidate:
    intent: str
    score: float  # combined, 0–100
    probability: float  # linear model, 0–1
    # Best example similarity 0–100, and that example. None: not compared, because this intent could not
    # have been chosen whatever its similarity (`Matcher.match(…, explain=True)` compares every one shown).
    fuzzy: float | None
    example: str | None


@dataclass(frozen=True)
class Match:
    intent: str | None
    score: float
    handoff: bool
    candidates: tuple[Candidate, ...]
    threshold: float
    normalized: str
    out_of_scope: float = 0.0  # the model's probability that no intent fits (1.0: the text is an out_of_scope example)
    oos_probability: float = OOS_PROBABILITY  # the limit it was held to
    near_exact: bool = False  # the best candidate has an example that is this text, typos aside
    conflict: bool = False  # two readings of the message (native, pivot) named different intents: a person decides
    encoded: bool = False  # the encoder stage was asked (the linear model was unsure)
    native: bool = False  # read in its own language (not English) against that language's phrasings: native limits

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def out_of_scope_at_its_limit(self) -> bool:
        """The model takes the text for out of scope at the limit this match was held to."""
        return self.out_of_scope >= self.oos_probability

    def decided(self, threshold: float, oos_probability: float) -> str | None:
        """The intent chosen under these limits: the one rule the matcher, `kefu eval` and tuning share."""
        return _decided(self.best, self.conflict, self.near_exact, self.out_of_scope, threshold, oos_probability)


def _decided(best: Candidate | None, conflict: bool, near_exact: bool, out_of_scope: float, threshold: float,
             oos_probability: float) -> str | None:
    """`Match.decided`, on the parts of a match (the matcher decides before it makes the Match)."""
    if best is None or conflict:
        return None
    if near_exact:  # an example, typos aside, wins at any threshold
        return best.intent
    if out_of_scope >= oos_probability or best.score < threshold:
        return None
    return best.intent


class Matcher:
    """Built once per set of intent files; `match` is cheap and thread-safe."""

    def __init__(
        self, intents: IntentSet, threshold: float | None = None, model: LinearModel | None = None, *,
        oos_probability: float | None = None, params: TrainingParams = TrainingParams(),
        previous: LinearModel | None = None, progress: Progress | None = None, encoder: bool = False,
    ) -> None:
        """`encoder`: use the encoder stage (raises EncoderUnavailable when the extra is not installed)."""
        self.intents = intents
        self.normalizer: Normalizer = intents.normalizer
        linear = model_name(intents.digest, params)
        self.name = f"{linear}-{MODEL_ID}" if encoder else linear  # the key of the tuned limits
        pairs = intents.examples()
        texts = intents.normalized()
        labels = [intent for intent, _ in pairs]
        self.languages = frozenset(ex.language for _, ex in pairs)
        # The word vectors and the encoder are English: the linear model reads the English phrasings with
        # their word vectors, the encoder's head learns from them, and both are asked about messages read
        # in English (a native reading has its own language's phrasings instead).
        english = intents.english()
        self.model = model or load_or_train(linear, texts, labels, params, previous=previous, progress=progress,
                                            english=english)
        self.classes = list(self.model.classes)
        self.encoder: EncoderStage | None = (
            load_or_train_encoder(linear, [t for t, e in zip(texts, english) if e],
                                  [label for label, e in zip(labels, english) if e], self.classes, progress)
            if encoder else None)
        position = {c: i for i, c in enumerate(self.classes)}
        self._sorted: list[list[str]] = [[] for _ in self.classes]  # per intent: examples, tokens sorted
        self._originals: list[list[str]] = [[] for _ in self.classes]
        self._written_in: list[list[str]] = [[] for _ in self.classes]  # per intent: each example's language
        self._exact: dict[str, tuple[int, int]] = {}  # sorted tokens → (intent, example): the hash stage
        for (intent, ex), text in zip(pairs, texts):
            c = position[intent]
            key = _key(text.split())
            self._exact.setdefault(key, (c, len(self._sorted[c])))
            self._sorted[c].append(key)
            self._originals[c].append(ex.text)
            self._written_in[c].append(ex.language)
        self._pools: dict[str, list[_Phrasings]] = {}  # the fuzzy stage's examples per language, made when first needed
        self._keywords: dict[str, list[int]] = {}  # keyword → the intents it is a keyword of
        for intent in intents.intents.values():
            for keyword in {self.normalizer(k) for k in intent.keywords} - {""}:
                self._keywords.setdefault(keyword, []).append(position[intent.id])
        # Every keyword's first word, first two words…: a message's words are read while they could still
        # make up a keyword (a one-word prefix is a keyword's first word).
        self._keyword_prefixes = frozenset(
            " ".join(words[:n]) for words in map(str.split, self._keywords) for n in range(1, len(words) + 1))
        self._oos = position.get(OUT_OF_SCOPE)
        self.calibrate(load_calibration(self.name), threshold, oos_probability)

    def calibrate(
        self, tuned: Calibration | None, threshold: float | None = None, oos_probability: float | None = None,
    ) -> None:
        """Take the limits `kefu eval --tune` chose (the defaults without); `threshold` and
        `oos_probability` (kefu.yaml) win over them, for both readings. A message read natively has
        limits of its own when they were tuned, else the English ones."""
        self.calibration = tuned
        self.threshold, self.oos_probability = (
            (tuned.threshold, tuned.oos_probability) if tuned else (DEFAULT_THRESHOLD, OOS_PROBABILITY))
        native = (tuned.native_threshold, tuned.native_oos_probability) if tuned else (None, None)
        self.native_threshold = self.threshold if native[0] is None else native[0]
        self.native_oos_probability = self.oos_probability if native[1] is None else native[1]
        if threshold is not None:
            self.threshold = self.native_threshold = threshold
        if oos_probability is not None:
            self.oos_probability = self.native_oos_probability = oos_probability

    def limits(self, native: bool) -> tuple[float, float]:
        """The threshold and out-of-scope probability a reading is held to: a native one's, or the English one's."""
        return (self.native_threshold, self.native_oos_probability) if native else (self.threshold, self.oos_probability)

    def reads_natively(self, language: str | None) -> bool:
        """Whether a text in `language` is read against native phrasings of its own (not English)."""
        return language is not None and language.split("-")[0] != PIVOT and self.has_language(language)

    def match(self, text: str, language: str | None = None, *, explain: bool = False) -> Match:
        """`language`: what the text is written in, when known; the fuzzy stage then compares it with
        that language's and the English phrasings only (all of them otherwise).

        The fuzzy stage compares the text with the examples of the intents the model finds likeliest, the
        likeliest first; one that could not be chosen even with an identical example (its score without
        similarity trails the best so far by more than similarity can add) is only checked for a near-exact
        example, which would win outright. `explain`: compare every candidate shown too (an admin's view);
        the intent chosen and its score are the same either way."""
        normalized = self.normalizer(text)
        native = self.reads_natively(language)
        threshold, oos_probability = self.limits(native)
        if not normalized:
            return Match(None, 0.0, True, (), threshold, normalized, oos_probability=oos_probability, native=native)
        words = normalized.split()
        probabilities = self.model.probabilities(words, english=not native)
        key = _key(words)
        hit = self._exact.get(key)
        encoded = self.encoder is not None and not native and hit is None and probabilities.max() < ENCODER_BELOW
        if encoded:
            probabilities = (1 - ENCODER_WEIGHT) * probabilities + ENCODER_WEIGHT * self.encoder.probabilities(normalized)
        pool = self._pool(language)
        likely = np.argpartition(probabilities, -TOP_K)[-TOP_K:].tolist() if len(self.classes) > TOP_K else range(len(self.classes))
        chances = probabilities.tolist()
        base = (probabilities * (100 * MODEL_WEIGHT)).tolist()  # the scores before similarity
        for c in self._keyword_hits(words):
            base[c] += KEYWORD_BONUS
        similar: dict[int, tuple[float, int]] = {}  # intent → (similarity, its nearest example), those compared
        best = -1.0
        for c in sorted(likely, key=base.__getitem__, reverse=True):
            if c == self._oos or base[c] + REACH < best:  # only a near-exact example could make a difference
                self._compare(c, key, similar, pool[c].near_exact)
            elif self._compare(c, key, similar, pool[c].nearest):
                best = max(best, base[c] + (1 - MODEL_WEIGHT) * similar[c][0])
        if hit is not None:
            similar[hit[0]] = (100.0, hit[1])
        closest = max(sorted(similar), key=lambda c: similar[c][0], default=None)  # the first intent of the most similar
        exact = closest if closest is not None and similar[closest][0] >= EXACT else None  # an example, typos aside
        out_of_scope = 1.0 if exact is not None and exact == self._oos else chances[self._oos] if self._oos is not None else 0.0
        top, scores = self._top(base, exact, key, similar, pool, explain)
        candidates = tuple(
            Candidate(intent=self.classes[c], score=round(scores[c], 1), probability=chances[c],
                      fuzzy=similar[c][0] if c in similar else None,
                      example=self._originals[c][similar[c][1]] if c in similar else None)
            for c in top
        )
        near_exact = exact is not None and exact != self._oos
        intent = _decided(candidates[0] if candidates else None, False, near_exact, out_of_scope, threshold,
                          oos_probability)
        return Match(intent, candidates[0].score if candidates else 0.0,
                     self.intents.intents[intent].handoff if intent else True, candidates, threshold, normalized,
                     out_of_scope, oos_probability, near_exact=near_exact, encoded=encoded, native=native)

    def _pool(self, language: str | None) -> list[_Phrasings]:
        """Each intent's phrasings a text in `language` is compared with: those in its language and in
        English, or all of them when the lists have none in it (or it is unknown). A message is compared with
        the phrasings it could resemble, not with all the languages'. Made at a language's first message (a
        start-up builds none: 27 languages' took 0.19 s)."""
        code = self._listed(language) or ""
        pool = self._pools.get(code)
        if pool is None:  # two threads may both make it: the same pool either way
            pool = []
            for keys, written_in in zip(self._sorted, self._written_in):
                numbers = [i for i, there in enumerate(written_in) if not code or there == code or there == PIVOT]
                pool.append(_Phrasings([keys[i] for i in numbers], numbers))
            self._pools[code] = pool
        return pool

    @staticmethod
    def _compare(c: int, key: str, similar: dict[int, tuple[float, int]],
                 compare: Callable[[str], tuple[float, int] | None]) -> bool:
        found = compare(key)
        if found is not None:
            similar[c] = found
        return found is not None

    def _top(
        self, base: list[float], exact: int | None, key: str, similar: dict[int, tuple[float, int]],
        pool: list[_Phrasings], explain: bool,
    ) -> tuple[list[int], dict[int, float]]:
        """The best three intents, and the scores of those it looked at: an intent's score before similarity,
        plus its share of the similarity when compared (at most 100; an exact example's intent 100).
        One not compared yet is compared now when it could still be the best (or, `explain`, when it is
        shown), which may reorder them. Ties go to the intent listed first."""
        oos = self._oos
        ranked = sorted(range(len(base)), key=base.__getitem__, reverse=True)  # stable: ties in list order
        while True:
            scores = {c: 100.0 if c == exact else min(100.0, base[c] + (1 - MODEL_WEIGHT) * similarity)
                      for c, (similarity, _) in similar.items() if c != oos}
            # The uncompared intents keep their order by score before similarity: the best three of them can
            # be shown, no other.
            for c in [c for c in ranked if c not in similar and c != oos][:3]:
                scores[c] = min(100.0, base[c])
            order = sorted(scores, key=lambda c: (-scores[c], c))[:3]
            missing = [c for c in order if c not in similar and (explain or base[c] + REACH >= scores[order[0]])]
            if not missing:
                return order, scores
            for c in missing:
                if not self._compare(c, key, similar, pool[c].nearest):
                    similar[c] = (0.0, 0)  # no phrasing of it in this language or English

    def _keyword_hits(self, words: list[str]) -> set[int]:
        """The intents one of whose keywords the message's words contain."""
        prefixes, keywords = self._keyword_prefixes, self._keywords
        if prefixes.isdisjoint(words):
            return set()
        found: set[int] = set()
        for i, word in enumerate(words):
            if word not in prefixes:
                continue
            phrase, end = word, i + 1
            while True:
                found.update(keywords.get(phrase, ()))
                if end == len(words):
                    break
                phrase, end = f"{phrase} {words[end]}", end + 1
                if phrase not in prefixes:
                    break
        return found

    def words(self, language: str = "en") -> set[str]:
        """The words of the examples in one language."""
        return self.intents.words(language)

    def has_language(self, language: str) -> bool:
        """True when the lists hold native example phrasings in `language`."""
        return self._listed(language) is not None

    def _listed(self, language: str | None) -> str | None:
        """The language of the lists' phrasings a text in `language` is read against ("pt-br": "pt" when the
        lists have no "pt-br"); None when they have none in it."""
        if not language or language in self.languages:
            return language or None
        base = language.split("-")[0]
        return base if base in self.languages else None
