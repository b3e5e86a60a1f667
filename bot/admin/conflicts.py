"""Conflicts between intent examples: the same sentence under two intents, or an
example that looks more like another intent's examples than its own (among the
examples of its language; the exact same text is found across languages too).

Both checks read the examples as the matcher does (normalised, compared with
rapidfuzz) and never train the model, so they take well under a second for a
few thousand examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.admin.findings import ERROR, WARNING, Finding, shown_path
from intents.catalog import Example, IntentSet

SAME = 95  # ratio of two normalised examples: the same sentence, typos aside
NEAR = 80  # an example of another intent this similar (tokens sorted, as the matcher compares)…
MARGIN = 10  # …and this much more similar than the nearest example of its own intent


@dataclass(frozen=True)
class _Entry:
    intent: str
    example: Example
    normalized: str
    sorted_tokens: str

    def at(self) -> str:
        return f"{shown_path(self.example.path)}:{self.example.line}"


def find_conflicts(intents: IntentSet) -> list[Finding]:
    """Duplicates across intents (exact: error; near-identical: warning) and misplaced examples (warning)."""
    entries = [
        _Entry(intent, ex, text, " ".join(sorted(text.split())))
        for intent, ex in sorted(intents.examples(), key=lambda pair: pair[0])
        if (text := intents.normalizer(ex.text))
    ]
    if len(entries) < 2:
        return []
    findings = []
    by_language: dict[str, list[_Entry]] = {}
    for entry in entries:  # an example is compared with those of its own language (the cost grows with the square)
        by_language.setdefault(entry.example.language, []).append(entry)
    for group in by_language.values():
        if len(group) < 2:
            continue
        found, paired = _duplicates(group)
        findings += found + _misplaced(group, paired)
    findings += _across_languages(entries)
    return sorted(findings, key=lambda f: (str(f.path), f.line or 0))


def _across_languages(entries: list[_Entry]) -> list[Finding]:
    """The same text under two intents in two languages' lists ("ciao": Italian hello, German goodbye)."""
    first: dict[str, _Entry] = {}
    findings = []
    for entry in entries:
        seen = first.setdefault(entry.normalized, entry)
        if seen.intent != entry.intent and seen.example.language != entry.example.language:
            problem = (f"{entry.example.text!r} is an example of both {entry.intent!r} and {seen.intent!r} "
                       f"({seen.at()}, {seen.example.language}): the matcher cannot tell them apart; keep it under one intent")
            findings.append(Finding(ERROR, entry.example.path, entry.example.line, problem))
    return findings


def _duplicates(entries: list[_Entry]) -> tuple[list[Finding], set[frozenset[int]]]:
    texts = [e.normalized for e in entries]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, dtype=np.uint8, workers=-1, score_cutoff=SAME)
    labels = np.array([e.intent for e in entries])
    rows, cols = np.nonzero(np.triu(scores, 1))
    findings, paired = [], set()
    for i, j in zip(rows.tolist(), cols.tolist()):
        if labels[i] == labels[j]:
            continue
        first, second = entries[i], entries[j]
        paired.add(frozenset((i, j)))
        if first.normalized == second.normalized:
            problem = (f"{second.example.text!r} is an example of both {second.intent!r} and {first.intent!r} "
                       f"({first.at()}): the matcher cannot tell them apart; keep it under one intent")
            findings.append(Finding(ERROR, second.example.path, second.example.line, problem))
        else:
            problem = (f"{second.example.text!r} ({second.intent}) is nearly the same as {first.example.text!r} "
                       f"({first.intent}, {first.at()}), similarity {scores[i, j]}")
            findings.append(Finding(WARNING, second.example.path, second.example.line, problem))
    return findings, paired


def _misplaced(entries: list[_Entry], paired: set[frozenset[int]]) -> list[Finding]:
    """Examples whose nearest neighbour (themselves excluded) belongs to another intent, by a clear margin."""
    texts = [e.sorted_tokens for e in entries]
    scores = process.cdist(texts, texts, scorer=fuzz.ratio, dtype=np.uint8, workers=-1)
    np.fill_diagonal(scores, 0)
    labels = [e.intent for e in entries]
    classes = sorted(set(labels))
    starts = np.array([labels.index(c) for c in classes], dtype=np.int64)  # entries are sorted by intent
    best = np.maximum.reduceat(scores, starts, axis=1)  # (examples, intents): nearest example of each intent
    own = np.array([classes.index(label) for label in labels])
    rows = np.arange(len(entries))
    own_best = best[rows, own].astype(int)
    best[rows, own] = 0
    other = best.argmax(axis=1)
    other_best = best[rows, other].astype(int)
    flagged = np.nonzero((other_best >= NEAR) & (other_best >= own_best + MARGIN))[0]
    findings = []
    for i in flagged.tolist():
        other_intent = classes[other[i]]
        start = starts[other[i]]
        j = int(start + np.argmax(scores[i, start: start + labels.count(other_intent)]))
        if frozenset((i, j)) in paired:
            continue
        paired.add(frozenset((i, j)))  # a pair of look-alikes is told once
        entry, near = entries[i], entries[j]
        problem = (f"{entry.example.text!r} ({entry.intent}) is closer to {near.example.text!r} "
                   f"({near.intent}, {near.at()}, similarity {other_best[i]}) than to any {entry.intent} example "
                   f"({own_best[i]}): reword it, or move it")
        findings.append(Finding(WARNING, entry.example.path, entry.example.line, problem))
    return findings
