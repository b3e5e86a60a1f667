"""Intent matching: accuracy, cost per message, `kefu classify` as a whole process, training, CLINC150.

    python bench/intents.py [--eval bench/data/eval_en.tsv] [--clinc ../shared/data/clinc150/train_val.json]

Prints, in one run:
- top-1 accuracy and out-of-scope rejection on the evaluation file (and rapidfuzz alone, for the record);
- CPU and wall time per message, median and p99, of language detection + matcher (as `kefu classify`
  does, with no translator) beside the naive baseline (langdetect.detect + rapidfuzz extractOne with
  WRatio over the raw examples), on the shipped lists and on a 15,000-example list (CLINC150 when
  given, else the shipped lists grown to 15,000 examples);
- `kefu classify` as a whole process (start-up included) beside the baseline as a whole process;
- cold and warm (after a one-example edit) training time and peak memory, each in a fresh process;
- with --clinc: CLINC150 validation in-scope accuracy and out-of-scope recall, default and tuned limits;
- with the `encoder` extra installed: the same figures with the encoder stage, how often it runs, and
  its cost per message (otherwise one line says it is not installed).
Times are noisy on a shared machine; ratios measured in the same run hold.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.clinc import write_lists  # noqa: E402
from bot.admin.evaluation import evaluate, evaluate_matches, read_tsv, tune  # noqa: E402
from intents import LISTS_DIR  # noqa: E402

BIG = 15_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(function, texts: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU microseconds per call."""
    wall, cpu = [], []
    for _ in range(rounds):
        for text in texts:
            w, c = time.perf_counter(), time.process_time()
            function(text)
            cpu.append((time.process_time() - c) * 1e6)
            wall.append((time.perf_counter() - w) * 1e6)
    return wall, cpu


def show(label: str, wall: list[float], cpu: list[float]) -> float:
    print(f"  {label:<44} CPU median {statistics.median(cpu):7.0f} µs  p99 {percentile(cpu, 0.99):7.0f} µs   "
          f"wall median {statistics.median(wall):7.0f} µs  p99 {percentile(wall, 0.99):7.0f} µs")
    return statistics.median(cpu)


def fuzzy_alone(matcher, rows: list[tuple[str, str]]) -> tuple[float, float, float, int]:
    """rapidfuzz token_sort_ratio, nearest example per intent (out_of_scope examples included), no model:
    top-1 without a threshold, and the best threshold's top-1 and out-of-scope rejection."""
    import numpy as np
    from rapidfuzz import fuzz, process

    from intents.catalog import OUT_OF_SCOPE

    pairs = sorted(matcher.intents.examples(), key=lambda pair: pair[0])
    labels = [intent for intent, _ in pairs]
    classes = sorted(set(labels))
    starts = np.array([labels.index(c) for c in classes])
    oos = classes.index(OUT_OF_SCOPE)
    queries = [matcher.normalizer(text) for _, text in rows]
    scores = process.cdist(queries, [matcher.normalizer(ex.text) for _, ex in pairs], scorer=fuzz.token_sort_ratio, dtype=np.uint8)
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


def grown_list(folder: Path, size: int) -> Path:
    """The shipped lists grown to `size` examples: each example again with one word dropped or two swapped."""
    import shutil

    from intents.catalog import load_intents

    target = folder / "grown"
    shutil.copytree(LISTS_DIR, target)
    intents = load_intents(LISTS_DIR)
    originals = [(intent, ex.text) for intent, ex in intents.examples() if ex.language == "en"]
    rng = random.Random(15)
    extra: dict[str, list[str]] = {}
    for n in range(size - len(intents.examples())):
        intent, text = originals[n % len(originals)]
        words = text.split()
        if len(words) > 2:
            i = rng.randrange(len(words) - 1)
            words = words[:i] + words[i + 1:] if rng.random() < 0.5 else words[:i] + [words[i + 1], words[i]] + words[i + 2:]
        extra.setdefault(intent, []).append(" ".join(words) + f" {n % 97}")
    (target / "en").mkdir(exist_ok=True)
    entries = [{"id": intent, "examples": texts} for intent, texts in extra.items()]
    (target / "en" / "grown.yaml").write_text(json.dumps(entries), encoding="utf-8")
    return target


def per_message(label: str, matcher, texts: list[str], rounds: int) -> tuple[float, float]:
    """Detection + matcher beside the naive baseline on the same examples; CPU medians."""
    import langdetect
    from rapidfuzz import fuzz, process

    from bot.app import make_detector
    from bot.config import Settings

    detector = make_detector(Settings(translator="none"), intents=matcher.intents)
    detector.detect("warm up the language models")
    examples = [ex.text for _, ex in matcher.intents.examples()]

    def ours(text: str) -> None:  # what `kefu classify` does per message without a translator
        matcher.match(text, detector.detect(text).language)

    def baseline(text: str) -> None:
        try:
            langdetect.detect(text)
        except langdetect.LangDetectException:
            pass
        process.extractOne(text, examples, scorer=fuzz.WRatio)

    langdetect.DetectorFactory.seed = 0
    baseline(texts[0])
    print(f"{label} ({len(examples)} examples, {len(matcher.classes)} classes), {len(texts)} messages:")
    kefu = show("kefu (language detection + matcher)", *timed(ours, texts, rounds))
    languages = {text: detector.detect(text).language for text in texts}
    show("  of which the matcher", *timed(lambda text: matcher.match(text, languages[text]), texts, rounds))
    naive = show("naive (langdetect + extractOne WRatio)", *timed(baseline, texts, 1))
    print(f"  speed-up (CPU median): {naive / kefu:.1f}x")
    return kefu, naive


_BASELINE_PROCESS = """
import json, sys, langdetect
from rapidfuzz import fuzz, process
sys.path.insert(0, {root!r})
from intents.catalog import load_intents
langdetect.DetectorFactory.seed = 0
examples = [ex.text for _, ex in load_intents(__import__("pathlib").Path({lists!r})).examples()]
for line in sys.stdin:
    text = json.loads(line)["text"]
    try:
        language = langdetect.detect(text)
    except langdetect.LangDetectException:
        language = None
    best = process.extractOne(text, examples, scorer=fuzz.WRatio)
    print(json.dumps({{"text": text, "language": language, "example": best[0]}}))
"""


def whole_process(texts: list[str]) -> None:
    """`kefu classify` and the naive script, each a fresh process over the same messages: wall and CPU."""
    import resource

    stdin = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    runs = {
        "kefu classify": [sys.executable, "-c", "from bot.cli import main; main()", "classify", "--translator", "none"],
        "naive script": [sys.executable, "-c", _BASELINE_PROCESS.format(root=str(ROOT), lists=str(LISTS_DIR))],
    }
    costs = {}
    for name, command in runs.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=ROOT, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        assert len(done.stdout.splitlines()) == len(texts)
        costs[name] = (wall, cpu)
        print(f"  {name:<16} {len(texts)} messages: wall {wall:6.2f} s   CPU {cpu:6.2f} s   "
              f"({wall / len(texts) * 1e6:6.0f} µs wall per message, start-up included)")
    (kw, kc), (nw, nc) = costs["kefu classify"], costs["naive script"]
    print(f"  speed-up, whole process: {nw / kw:.1f}x wall, {nc / kc:.1f}x CPU")


_TRAIN_PROCESS = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from intents.catalog import load_intents
from intents.training import TrainingParams, train
intents = load_intents(Path({folder!r}))
pairs = intents.examples()
texts = intents.normalized()
labels = [i for i, _ in pairs]
english = intents.english()
wall, cpu = time.perf_counter(), time.process_time()
model = train(texts, labels, TrainingParams(), english=english)
cold = (time.perf_counter() - wall, time.process_time() - cpu)
wall, cpu = time.perf_counter(), time.process_time()
train(texts + [texts[0] + " please"], labels + [labels[0]], TrainingParams(), previous=model, english=english + english[:1])
warm = (time.perf_counter() - wall, time.process_time() - cpu)
peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]  # this process only:
print(*cold, *warm, int(peak) / 1024)  # ru_maxrss would count the bench that forked it
"""


def training(label: str, folder: Path) -> None:
    """Cold and warm training in a fresh process (imports included in neither): wall, CPU, peak memory."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _TRAIN_PROCESS.format(root=str(ROOT), folder=str(folder))],
                         capture_output=True, text=True, check=True).stdout.split()
    cold_wall, cold_cpu, warm_wall, warm_cpu, peak = map(float, out)
    print(f"  {label:<28} cold {cold_wall:5.1f} s wall ({cold_cpu:5.1f} s CPU)   warm after an edit {warm_wall:5.1f} s wall "
          f"({warm_cpu:5.1f} s CPU)   peak {peak:5.0f} MB   whole process {time.perf_counter() - start:5.1f} s")


def encoder_matcher(intents):
    """The matcher with the encoder stage, or None (and why) when the extra is not installed; times its start."""
    from intents.encoder import EncoderUnavailable, train_head
    from intents.matcher import Matcher

    said: list[str] = []
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        matcher = Matcher(intents, encoder=True, progress=said.append)
    except EncoderUnavailable as exc:
        print(f"  encoder stage: not measured, {exc}")
        return None
    head = "head trained on the examples" if any("encoder head" in line for line in said) else "head from the cache"
    print(f"  encoder stage ready in {time.perf_counter() - wall:.1f} s wall ({time.process_time() - cpu:.1f} s CPU; {head})")
    pairs = [(intent, ex) for intent, ex in intents.examples() if ex.language == "en"]  # what the head learns from
    wall, cpu = time.perf_counter(), time.process_time()
    train_head(matcher.encoder.encoder, [intents.normalizer(ex.text) for _, ex in pairs], [i for i, _ in pairs], matcher.classes)
    print(f"  encoder head, cold training on {len(pairs)} (English) examples: {time.perf_counter() - wall:.1f} s wall "
          f"({time.process_time() - cpu:.1f} s CPU)")
    return matcher


def encoder_cost(matcher, texts: list[str]) -> None:
    """How often the encoder stage runs on these messages and what a message costs with it."""
    wall, cpu = timed(matcher.match, texts, 1)
    ran = [matcher.match(text).encoded for text in texts]
    show("matcher with the encoder stage", wall, cpu)
    asked = [c for c, r in zip(cpu, ran) if r]
    if asked:
        print(f"  the encoder ran for {sum(ran) / len(ran):.1%} of the messages; CPU median {statistics.median(asked):.0f} µs "
              f"when it ran, mean over all messages {statistics.mean(cpu):.0f} µs")


def limits(label: str, matcher, rows: list[tuple[str, str]], threshold: float, oos_probability: float):
    """In-scope accuracy and out-of-scope recall at these limits, the top-1 ceiling, and both tunings; the matches."""
    matcher.threshold, matcher.oos_probability = threshold, oos_probability
    matches = [(label, matcher.match(text)) for label, text in rows]
    report = evaluate_matches(matcher, matches)
    top1 = sum(m.best is not None and m.best.intent == label for label, m in matches if label != "out_of_scope") / report.in_scope
    print(f"  {label}: limits ({threshold:g}, {oos_probability:g}) in-scope {report.accuracy:.1%}   "
          f"out-of-scope recall {report.oos_rejection:.1%}   no rejection (top-1 ceiling) {top1:.1%}")
    for goal in (None, 0.7):
        tuned = tune(matches, min_rejection=goal)
        how = "accuracy + rejection" if goal is None else f"best accuracy, rejection ≥ {goal:.0%}"
        print(f"    tuned on these rows ({how}): threshold {tuned.threshold:g}, oos {tuned.oos_probability:g}: "
              f"in-scope {tuned.accuracy:.1%}   out-of-scope recall {tuned.oos_rejection:.1%}")
    return matches


def clinc(path: Path, work: Path, rounds: int) -> None:
    from bot.brain import terminal_progress
    from intents.catalog import load_intents
    from intents.matcher import Matcher

    folder, val = write_lists(path, work / "clinc")
    rows = read_tsv(val)
    training("CLINC150 (15,100 examples)", folder)
    intents = load_intents(folder)
    matcher = Matcher(intents, progress=terminal_progress())
    in_scope = sum(label != "out_of_scope" for label, _ in rows)
    print(f"CLINC150 validation ({in_scope} in-scope, {len(rows) - in_scope} out-of-scope), trained on train + oos_train "
          "(default limits: threshold 45, oos 0.3, whatever an earlier --tune stored):")
    limits("linear model + fuzzy", matcher, rows, 45.0, 0.3)
    with_encoder = encoder_matcher(intents)
    if with_encoder is not None:
        limits("with the encoder stage", with_encoder, rows, 45.0, 0.3)
    texts = [text for _, text in rows[:1000]]
    per_message("CLINC150 per message", matcher, texts, rounds)
    if with_encoder is not None:
        encoder_cost(with_encoder, texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT / "bench" / "data" / "eval_en.tsv")
    parser.add_argument("--clinc", type=Path, help="CLINC150 train_val.json: its train and validation splits")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from bot.brain import load_matcher, terminal_progress
    from bot.config import Settings
    from intents.catalog import load_intents
    from intents.matcher import Matcher

    matcher = load_matcher(Settings(translator="none"))
    rows = read_tsv(args.eval)
    report = evaluate(matcher, rows)
    print(f"shipped lists: {len(matcher.intents.ids)} intents, {len(matcher.intents.examples())} examples; "
          f"{args.eval.name}: {len(rows)} rows")
    print(f"  threshold {matcher.threshold:g}, out-of-scope probability {matcher.oos_probability:g}: "
          f"top-1 accuracy (in scope) {report.accuracy:.1%}   out-of-scope rejected {report.oos_rejection:.1%}")
    plain, accuracy, rejection, threshold = fuzzy_alone(matcher, rows)
    print(f"  rapidfuzz alone (token_sort_ratio, nearest example): top-1 {plain:.1%} with no threshold; "
          f"at its best threshold ({threshold}): top-1 {accuracy:.1%}, out-of-scope rejected {rejection:.1%}")
    with_encoder = encoder_matcher(matcher.intents)
    if with_encoder is not None:
        limits("with the encoder stage", with_encoder, rows, matcher.threshold, matcher.oos_probability)
    texts = [text for _, text in rows]
    per_message("shipped lists per message", matcher, texts, args.rounds)
    if with_encoder is not None:
        encoder_cost(with_encoder, texts)
    print("kefu classify, whole process (start-up, language models and model load included):")
    whole_process(texts * 5)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print("training (a fresh process each; the shipped lists' model ships in the package, so a fresh install trains nothing):")
        training("shipped lists", LISTS_DIR)
        if args.clinc:
            clinc(args.clinc, work, args.rounds)
        else:
            grown = grown_list(work, BIG)
            training(f"shipped lists grown to {BIG:,}", grown)
            big = Matcher(load_intents(grown), progress=terminal_progress())
            per_message(f"shipped lists grown to {BIG:,} per message", big, texts, args.rounds)


if __name__ == "__main__":
    main()
