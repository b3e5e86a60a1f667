"""Languages: detection on short buyer messages, and intents through the English pivot.

    python bench/languages.py [--set bench/data/multilingual.tsv] [--table bench/data/multilingual_table.tsv]

The set's rows are `lang<TAB>intent<TAB>text<TAB>english`. Prints kefu's
detector accuracy and cost beside langdetect alone (same run), then intent
top-1 accuracy and out-of-scope rejection through the pivot, with the given
translation table as the translator, beside the same figures on the English
originals of the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=ROOT / "bench" / "data" / "multilingual.tsv")
    parser.add_argument("--table", type=Path, default=ROOT / "bench" / "data" / "multilingual_table.tsv")
    args = parser.parse_args()

    from langdetect import DetectorFactory, LangDetectException, detect

    from bot.app import make_detector
    from bot.brain import load_brain
    from bot.config import Settings
    from bot.language.translate import NoTranslator, TableTranslator
    from bot.conversation.understand import understand
    from intents.catalog import OUT_OF_SCOPE

    rows = [line.rstrip("\n").split("\t") for line in args.set.open(encoding="utf-8") if line.strip()]
    settings = Settings(translator="none")
    brain = load_brain(settings)
    detector = make_detector(settings, intents=brain.intents)
    detector.preload()
    DetectorFactory.seed = 0

    costs, wrong = [], Counter()
    for lang, _, text, _ in rows:
        start = time.perf_counter()
        found = detector.detect(text).language
        costs.append((time.perf_counter() - start) * 1e6)
        if found != lang:
            wrong[(lang, found)] += 1
    base_costs, base_right = [], 0
    for lang, _, text, _ in rows:
        start = time.perf_counter()
        try:
            found = detect(text)
        except LangDetectException:
            found = None
        base_costs.append((time.perf_counter() - start) * 1e6)
        base_right += found == lang
    languages = len({lang for lang, *_ in rows})
    print(f"messages: {len(rows)} in {languages} languages")
    print(f"kefu detector:   {1 - sum(wrong.values()) / len(rows):.1%} correct, median {statistics.median(costs):.0f} µs")
    print(f"langdetect alone: {base_right / len(rows):.1%} correct, median {statistics.median(base_costs):.0f} µs")
    if wrong:
        print("  kefu's misses: " + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in wrong.most_common()))

    table = TableTranslator(args.table)
    none = NoTranslator()

    async def classify(texts: list[str], translator) -> list[str]:
        out = []
        for text in texts:
            understood = await understand(text, detector=detector, translator=translator, matcher=brain.matcher)
            out.append(understood.match.intent or OUT_OF_SCOPE)
        return out

    def rates(labels: list[str], predicted: list[str]) -> tuple[float, float]:
        ins = [(e, p) for e, p in zip(labels, predicted) if e != OUT_OF_SCOPE]
        oos = [p for e, p in zip(labels, predicted) if e == OUT_OF_SCOPE]
        return sum(e == p for e, p in ins) / len(ins), (sum(p == OUT_OF_SCOPE for p in oos) / len(oos) if oos else 0.0)

    labels = [intent for _, intent, _, _ in rows]
    pivoted = asyncio.run(classify([text for _, _, text, _ in rows], table))
    english = asyncio.run(classify([en for _, _, _, en in rows], none))
    pivot_acc, pivot_oos = rates(labels, pivoted)
    en_acc, en_oos = rates(labels, english)
    print(f"intent top-1 through the pivot ({args.table.name}): {pivot_acc:.1%}, out-of-scope rejected {pivot_oos:.1%}")
    print(f"intent top-1 on the English originals:            {en_acc:.1%}, out-of-scope rejected {en_oos:.1%}")
    print(f"difference: {100 * (en_acc - pivot_acc):+.1f} points")


if __name__ == "__main__":
    main()
