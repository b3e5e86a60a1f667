"""Intent matching: accuracy on the English evaluation set, cost per message, start-up.

    python bench/intents.py [--eval bench/data/eval_en.tsv]

Prints top-1 accuracy on in-scope messages, the share of out-of-scope messages
left unmatched, the cost of classifying one message (language + pivot + intent,
as `kefu classify` does) beside the naive baseline (langdetect.detect +
rapidfuzz extractOne with WRatio over the raw examples), and start-up time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.admin.evaluation import evaluate, read_tsv  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(function, texts: list[str], rounds: int) -> list[float]:
    costs = []
    for _ in range(rounds):
        for text in texts:
            start = time.perf_counter()
            function(text)
            costs.append((time.perf_counter() - start) * 1e6)
    return costs


def fuzzy_alone(brain, rows: list[tuple[str, str]]) -> tuple[float, float, float, int]:
    """rapidfuzz token_sort_ratio, nearest example per intent (out_of_scope examples included), no model:
    top-1 without a threshold, and the best threshold's top-1 and out-of-scope rejection."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from intents.catalog import OUT_OF_SCOPE
    from intents.normalize import normalize

    pairs = sorted(brain.intents.examples(), key=lambda pair: pair[0])
    labels = [intent for intent, _ in pairs]
    classes = sorted(set(labels))
    starts = np.array([labels.index(c) for c in classes])
    oos = classes.index(OUT_OF_SCOPE)
    queries = [normalize(text) for _, text in rows]
    scores = process.cdist(queries, [normalize(ex.text) for _, ex in pairs], scorer=fuzz.token_sort_ratio, dtype=np.uint8)
    per_class = np.maximum.reduceat(scores, starts, axis=1).astype(float)
    expected = np.array([classes.index(label) if label in classes else -1 for label, _ in rows])
    in_scope = expected != oos
    nearest = per_class.argmax(1)
    per_class[:, oos] = -1
    top, top_score = per_class.argmax(1), per_class.max(1)
    plain = float(np.mean((top == expected)[in_scope]))
    best = (0.0, 0.0, 0.0, 0)
    for threshold in range(40, 100, 2):
        rejected = (nearest == oos) | (top_score < threshold)
        accuracy = float(np.mean((top == expected)[in_scope] & ~rejected[in_scope]))
        rejection = float(np.mean(rejected[~in_scope]))
        if accuracy + rejection > best[1] + best[2]:
            best = (plain, accuracy, rejection, threshold)
    return best


def startup_seconds() -> float:
    """A fresh process: load settings, intents (cached model), answers, hours."""
    code = (
        "import time; t=time.perf_counter();"
        "from bot.config import Settings; from bot.brain import load_brain; from bot.app import make_detector;"
        "b=load_brain(Settings()); make_detector(Settings()); print(time.perf_counter()-t)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)  # warm the model cache
    runs = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout) for _ in range(3)]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT / "bench" / "data" / "eval_en.tsv")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import asyncio

    import langdetect
    from rapidfuzz import fuzz, process

    from bot.app import make_detector
    from bot.brain import load_brain
    from bot.language.translate import NoTranslator
    from bot.conversation.understand import understand

    settings = Settings(translator="none")
    brain = load_brain(settings)
    rows = read_tsv(args.eval)
    report = evaluate(brain.matcher, rows)
    examples = [ex.text for _, ex in brain.intents.examples()]
    print(f"intents: {len(brain.intents.ids)}  examples loaded: {len(examples)}  evaluation rows: {len(rows)}")
    print(f"top-1 accuracy (in scope): {report.accuracy:.1%}   out-of-scope rejected: {report.oos_rejection:.1%}")
    plain, accuracy, rejection, threshold = fuzzy_alone(brain, rows)
    print(
        f"rapidfuzz alone (token_sort_ratio, nearest example): top-1 {plain:.1%} with no threshold; "
        f"at its best threshold ({threshold}): top-1 {accuracy:.1%}, out-of-scope rejected {rejection:.1%}"
    )

    detector = make_detector(settings, english_words=brain.matcher.words("en"))
    translator = NoTranslator()
    texts = [text for _, text in rows]
    loop = asyncio.new_event_loop()
    first = time.perf_counter()
    detector.detect("warm up the language models")
    warm = time.perf_counter() - first

    def ours(text: str) -> None:
        loop.run_until_complete(understand(text, detector=detector, translator=translator, matcher=brain.matcher))

    def baseline(text: str) -> None:
        try:
            langdetect.detect(text)
        except langdetect.LangDetectException:
            pass
        process.extractOne(text, examples, scorer=fuzz.WRatio)

    langdetect.DetectorFactory.seed = 0
    baseline(texts[0])
    ours_costs = timed(ours, texts, args.rounds)
    base_costs = timed(baseline, texts, 1)
    ours_median, base_median = statistics.median(ours_costs), statistics.median(base_costs)
    print(f"kefu classify, per message:  median {ours_median:8.0f} µs   p99 {percentile(ours_costs, 0.99):8.0f} µs")
    print(f"baseline (langdetect + extractOne WRatio): median {base_median:8.0f} µs   p99 {percentile(base_costs, 0.99):8.0f} µs")
    print(f"speed-up (median): {base_median / ours_median:.1f}x")
    print(f"start-up (settings, intents with cached model, answers, hours): {startup_seconds():.2f} s")
    print(f"first language detection (loads the language models once): {warm:.2f} s")


if __name__ == "__main__":
    main()
