"""Measuring the matcher on a labelled file: `kefu eval` and bench/ share this.

Rows are `intent<TAB>text`; `out_of_scope` marks messages the bot must not
answer. The matcher's candidates are kept per row, so a threshold sweep (and
tuning both rejection limits) needs no second pass over the messages.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

from bot.datafiles import DataError
from intents.catalog import OUT_OF_SCOPE
from intents.matcher import Match, Matcher
from intents.modelstore import Calibration

THRESHOLDS = [float(t) for t in range(20, 81, 5)]  # the sweep shown to the admin
TUNE_THRESHOLDS = [float(t) for t in range(10, 91)]
TUNE_OOS = [round(p / 100, 2) for p in range(5, 101, 5)]


class Row(NamedTuple):
    label: str
    text: str
    language: str | None  # from a 4-column file (lang, intent, text, english); None from intent<TAB>text


def read_rows(path: Path) -> list[Row]:
    """`intent<TAB>text` rows, or `lang<TAB>intent<TAB>text<TAB>english` (bench/data/native/*.tsv);
    blank lines and # comments are skipped."""
    try:
        return parse_rows(path.read_bytes(), path)
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None


def parse_rows(data: bytes, path: Path) -> list[Row]:
    """The rows of a TSV's bytes (a file, an upload); errors name `path` and the line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(path, None, "not UTF-8 text") from None
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        for row in reader:
            if not row or not "".join(row).strip() or row[0].startswith("#"):
                continue
            if len(row) == 4 and all(field.strip() for field in row[:3]):
                rows.append(Row(row[1].strip(), row[2].strip(), row[0].strip().lower()))
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise DataError(path, reader.line_num, f"expected 'intent<TAB>text' (or 'lang<TAB>intent<TAB>text<TAB>english'), "
                                                       f"got {len(row)} field(s)")
            rows.append(Row(row[0].strip(), row[1].strip(), None))
    except csv.Error as exc:  # a NUL byte, for one
        raise DataError(path, reader.line_num, f"not a TSV of text: {exc}") from None
    if not rows:
        raise DataError(path, None, "no rows to evaluate")
    return rows


def read_tsv(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of each row of `read_rows`."""
    return [(row.label, row.text) for row in read_rows(path)]


@dataclass
class LanguageScore:
    language: str
    rows: int
    accuracy: float  # top-1 on its in-scope rows
    oos_rejection: float  # its out_of_scope rows left to a person
    wrong: float  # share of its rows answered with a wrong intent (an in-scope one mistaken, an out_of_scope one answered)


@dataclass
class IntentScore:
    intent: str
    precision: float
    recall: float
    support: int


@dataclass
class Report:
    accuracy: float  # top-1, in-scope rows
    oos_rejection: float  # out-of-scope rows left unmatched
    in_scope: int
    out_of_scope: int
    per_intent: list[IntentScore] = field(default_factory=list)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)  # expected, predicted, count
    sweep: list[tuple[float, float, float]] = field(default_factory=list)  # threshold, accuracy, rejection
    recommended: float = 0.0
    threshold: float = 0.0
    oos_probability: float = 0.0
    native_threshold: float = 0.0  # the limits of rows read natively (in a language with phrasings of its own)
    native_oos_probability: float = 0.0
    unknown_labels: list[str] = field(default_factory=list)
    tuned: Calibration | None = None  # both limits chosen on these rows (kefu eval --tune)
    wrong: float = 0.0  # share of all rows answered with a wrong intent
    per_language: list[LanguageScore] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accuracy": round(self.accuracy, 4), "oos_rejection": round(self.oos_rejection, 4),
            "in_scope": self.in_scope, "out_of_scope": self.out_of_scope, "threshold": self.threshold,
            "oos_probability": self.oos_probability, "native_threshold": self.native_threshold,
            "native_oos_probability": self.native_oos_probability, "recommended_threshold": self.recommended,
            "tuned": vars(self.tuned) if self.tuned else None,
            "per_intent": [vars(s) for s in self.per_intent],
            "confusions": [{"expected": e, "predicted": p, "count": c} for e, p, c in self.confusions],
            "sweep": [{"threshold": t, "accuracy": round(a, 4), "oos_rejection": round(r, 4)} for t, a, r in self.sweep],
            "unknown_labels": self.unknown_labels, "wrong": round(self.wrong, 4),
            "per_language": [vars(s) for s in self.per_language],
        }


def _rates(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    ins = [(e, p) for e, p in pairs if e != OUT_OF_SCOPE]
    oos = [p for e, p in pairs if e == OUT_OF_SCOPE]
    accuracy = sum(e == p for e, p in ins) / len(ins) if ins else 0.0
    rejection = sum(p == OUT_OF_SCOPE for p in oos) / len(oos) if oos else 0.0
    return accuracy, rejection


def evaluate(matcher: Matcher, rows: list[tuple[str, str]]) -> Report:
    """Match each text as written (no language detection, no pivot) and measure."""
    return evaluate_matches(matcher, [(label, matcher.match(text)) for label, text in rows])


def _wrong(pairs: list[tuple[str, str]]) -> float:
    return sum(p != OUT_OF_SCOPE and p != e for e, p in pairs) / len(pairs) if pairs else 0.0


def evaluate_matches(matcher: Matcher, matches: list[tuple[str, Match]], languages: list[str] | None = None) -> Report:
    """Measure matches made elsewhere (e.g. through language detection and the pivot); with each row's
    language, per language too."""
    known = set(matcher.intents.intents)
    unknown = sorted({label for label, _ in matches if label not in known and label != OUT_OF_SCOPE})
    # the matcher's limits now (after --tune too), each row's by how it was read
    pairs = [(label, match.decided(*matcher.limits(match.native)) or OUT_OF_SCOPE) for label, match in matches]
    accuracy, rejection = _rates(pairs)
    report = Report(
        accuracy=accuracy, oos_rejection=rejection, threshold=matcher.threshold, oos_probability=matcher.oos_probability,
        native_threshold=matcher.native_threshold, native_oos_probability=matcher.native_oos_probability,
        unknown_labels=unknown,
        in_scope=sum(label != OUT_OF_SCOPE for label, _ in matches),
        out_of_scope=sum(label == OUT_OF_SCOPE for label, _ in matches),
    )
    labels = sorted({label for label, _ in pairs} | {p for _, p in pairs})
    for intent in labels:
        if intent == OUT_OF_SCOPE:
            continue
        predicted = sum(p == intent for _, p in pairs)
        actual = sum(e == intent for e, _ in pairs)
        hits = sum(e == p == intent for e, p in pairs)
        report.per_intent.append(IntentScore(intent, hits / predicted if predicted else 0.0, hits / actual if actual else 0.0, actual))
    report.wrong = _wrong(pairs)
    if languages is not None:
        for language in sorted(set(languages)):
            theirs = [pair for pair, lang in zip(pairs, languages) if lang == language]
            acc, rej = _rates(theirs)
            report.per_language.append(LanguageScore(language, len(theirs), acc, rej, _wrong(theirs)))
    report.confusions = [(e, p, n) for (e, p), n in Counter((e, p) for e, p in pairs if e != p).most_common(15)]
    for threshold in sorted(set(THRESHOLDS) | {matcher.threshold}):
        acc, rej = _rates(_decided(matches, threshold, matcher.oos_probability))
        report.sweep.append((threshold, acc, rej))
    # In-scope accuracy and out-of-scope rejection weigh the same; among equals,
    # the one nearest the current threshold, so a flat sweep recommends no change.
    best_balance = max(acc + rej for _, acc, rej in report.sweep)
    report.recommended = min(
        (t for t, acc, rej in report.sweep if acc + rej >= best_balance - 1e-9), key=lambda t: (abs(t - matcher.threshold), t)
    )
    return report


def _decided(matches: list[tuple[str, Match]], threshold: float, oos_probability: float) -> list[tuple[str, str]]:
    return [(label, match.decided(threshold, oos_probability) or OUT_OF_SCOPE) for label, match in matches]


def tune_readings(
    matcher: Matcher, matches: list[tuple[str, Match]], source: str = "", min_rejection: float | None = None,
    max_wrong: float | None = None,
) -> Calibration:
    """The limits of both readings, each chosen on its own rows: the rows read in English (or in a
    language without phrasings of its own) and the rows read natively. A kind of row the file does not
    have (or has no out_of_scope row of) keeps the matcher's limits for it."""
    english = [(label, m) for label, m in matches if not m.native]
    native = [(label, m) for label, m in matches if m.native]
    has_oos = lambda rows: any(label == OUT_OF_SCOPE for label, _ in rows)  # noqa: E731
    if not has_oos(english) and not has_oos(native):
        raise ValueError("tuning needs out_of_scope rows: without them nothing tells a threshold that rejects too little")
    old = matcher.calibration or Calibration(matcher.threshold, matcher.oos_probability)
    first = (tune(english, source, min_rejection, max_wrong) if has_oos(english) else
             replace(old, threshold=matcher.threshold, oos_probability=matcher.oos_probability))
    if not has_oos(native):
        return replace(first, **{name: getattr(old, name) for name in NATIVE_FIELDS})
    return replace(first, **tune_native(native, source, min_rejection, max_wrong))


NATIVE_FIELDS = ("native_threshold", "native_oos_probability", "native_source", "native_accuracy", "native_wrong")


def tune_native(
    matches: list[tuple[str, Match]], source: str = "", min_rejection: float | None = None, max_wrong: float | None = None,
) -> dict[str, float | str]:
    """The native_* fields of a Calibration, tuned (as `tune`) on rows read natively."""
    tuned = tune(matches, source, min_rejection, max_wrong)
    wrong = _wrong(_decided(matches, tuned.threshold, tuned.oos_probability))
    return dict(zip(NATIVE_FIELDS, (tuned.threshold, tuned.oos_probability, source, tuned.accuracy, wrong)))


def tune(
    matches: list[tuple[str, Match]], source: str = "", min_rejection: float | None = None, max_wrong: float | None = None,
) -> Calibration:
    """Both rejection limits, chosen on labelled matches.

    The best in-scope accuracy + out-of-scope rejection (equal weights); with
    `min_rejection`, the best in-scope accuracy among the pairs that reject at
    least that share of the out-of-scope rows (the best rejection when none does);
    with `max_wrong`, among the pairs that answer at most that share of all rows
    with a wrong intent (the fewest wrong answers when none does).
    A difference of one in-scope row is noise: among the pairs that close to the
    best, the strictest (highest threshold, then lowest out-of-scope limit) —
    a handoff costs less than a wrong answer.
    """
    import numpy as np

    oos_rows = np.array([label == OUT_OF_SCOPE for label, _ in matches])
    if not oos_rows.any():
        raise ValueError("tuning needs out_of_scope rows: without them nothing tells a threshold that rejects too little")
    # Match.decided, for every pair of limits at once
    has_best = np.array([m.best is not None and not m.conflict for _, m in matches])
    right = np.array([m.best is not None and m.best.intent == label for label, m in matches])
    near_exact = np.array([m.near_exact for _, m in matches])
    score = np.array([m.best.score if m.best else 0.0 for _, m in matches])[:, None]
    oos = np.array([m.out_of_scope for _, m in matches])
    tried = []  # (feasible, goal, threshold, limit, accuracy, rejection)
    for limit in TUNE_OOS:
        accepted = has_best[:, None] & (near_exact[:, None] | ((oos < limit)[:, None] & (score >= np.array(TUNE_THRESHOLDS))))
        accuracy = (accepted & right[:, None])[~oos_rows].mean(axis=0) if (~oos_rows).any() else np.zeros(len(TUNE_THRESHOLDS))
        rejection = (~accepted)[oos_rows].mean(axis=0)
        wrong = (accepted & ~right[:, None]).mean(axis=0)  # answered, with another intent than the label
        for threshold, acc, rej, bad in zip(TUNE_THRESHOLDS, accuracy.tolist(), rejection.tolist(), wrong.tolist()):
            feasible = ((min_rejection is None or rej >= min_rejection - 1e-9)
                        and (max_wrong is None or bad <= max_wrong + 1e-9))
            if min_rejection is None and max_wrong is None:
                tried.append((True, acc + rej, threshold, limit, acc, rej))
            else:
                fallback = rej if min_rejection is not None else -bad
                tried.append((feasible, acc if feasible else fallback, threshold, limit, acc, rej))
    best = max(tried, key=lambda t: (t[0], t[1]))
    noise = 1.0 / max(1, int((~oos_rows).sum())) + 1e-9
    near = [t for t in tried if t[0] == best[0] and t[1] >= best[1] - noise]
    _, _, threshold, limit, acc, rej = max(near, key=lambda t: (t[2], -t[3]))
    return Calibration(threshold=threshold, oos_probability=limit, source=source, accuracy=acc, oos_rejection=rej)
