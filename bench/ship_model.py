"""Train the model of the shipped intent lists and put it in the package, with its calibration.

    python bench/ship_model.py

Run after editing intents/lists/: a fresh install then answers at once, with no
training. The old shipped files are removed (the test suite checks that the
shipped model belongs to the shipped lists). The calibration is tuned on
bench/data/eval_en.tsv as `kefu eval bench/data/eval_en.tsv --tune
--min-rejection 0.96 --max-wrong 0.02` would: the best in-scope accuracy that
still rejects 96 % of its out-of-scope rows and answers at most 2 % of its rows
with a wrong intent. The limits for messages read in their own language are
tuned on the validation half of bench/data/native/*.tsv (bench/splits.py): the
best top-1 that answers at most 2.5 % of the rows with a wrong intent.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.splits import NATIVE_SETS, held_out  # noqa: E402
from bot.admin.evaluation import evaluate_matches, read_rows, read_tsv, tune, tune_native  # noqa: E402
from bot.app import make_detector  # noqa: E402
from bot.config import Settings  # noqa: E402
from intents import LISTS_DIR  # noqa: E402
from intents.catalog import load_intents  # noqa: E402
from intents.matcher import Matcher  # noqa: E402
from intents.modelstore import PACKAGED_DIR, model_name, save_calibration  # noqa: E402
from intents.training import TrainingParams, train  # noqa: E402

EVAL = ROOT / "bench" / "data" / "eval_en.tsv"
# 94 % chose threshold 37 on the 33,092-phrasing lists (95.5 % / 94 %), low enough to answer keyword-only
# messages ("blah blah order thing" → change_order); 96 % kept it in the mid-40s there (49 on the 38,937-
# phrasing lists; 40 and 43 with the word vectors, where "blah blah order thing" still goes to a person).
MIN_REJECTION = 0.96
MAX_WRONG_ENGLISH = 0.02  # a wrong answer costs more than a handoff: at most 2 % of eval_en's rows
MAX_WRONG = 0.025  # read natively: the best top-1 answering at most this share of the rows with a wrong intent


def main() -> None:
    intents = load_intents(LISTS_DIR)
    params = TrainingParams()
    name = model_name(intents.digest, params)
    for old in PACKAGED_DIR.glob("intents-*"):
        old.unlink()
    pairs = intents.examples()
    start = time.perf_counter()
    model = train(intents.normalized(), [i for i, _ in pairs], params, progress=print, english=intents.english())
    PACKAGED_DIR.mkdir(exist_ok=True)
    path = PACKAGED_DIR / f"{name}.npz"
    path.write_bytes(model.to_bytes())
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KB, trained in {time.perf_counter() - start:.1f} s")
    matcher = Matcher(intents)
    matches = [(label, matcher.match(text)) for label, text in read_tsv(EVAL)]
    before = evaluate_matches(matcher, matches)
    tuned = tune(matches, source=str(EVAL.relative_to(ROOT)), min_rejection=MIN_REJECTION, max_wrong=MAX_WRONG_ENGLISH)
    # Messages read in their own language: tuned on the validation half of the native rows, as the
    # bot reads them without a translator (the language detected; a language without phrasings of its
    # own is read against the English lists, with the limits above).
    detector = make_detector(Settings(translator="none"), intents=intents)
    rows = [row for path in sorted(NATIVE_SETS.glob("*.tsv")) for row in read_rows(path) if not held_out(row.text)]
    native = [(row.label, m) for row in rows for m in [matcher.match(row.text, detector.detect(row.text).language)]
              if m.native]
    tuned = replace(tuned, **tune_native(native, f"{NATIVE_SETS.relative_to(ROOT)}/*.tsv, validation half",
                                         max_wrong=MAX_WRONG))
    stored = save_calibration(name, tuned, PACKAGED_DIR)
    print(f"{stored.relative_to(ROOT)}: threshold {tuned.threshold:g}, out-of-scope probability {tuned.oos_probability:g}; "
          f"on {EVAL.name}: accuracy {before.accuracy:.3f} → {tuned.accuracy:.3f}, "
          f"oos_rejection {before.oos_rejection:.3f} → {tuned.oos_rejection:.3f}; read natively: threshold "
          f"{tuned.native_threshold:g}, out-of-scope probability {tuned.native_oos_probability:g} "
          f"(validation half, {len(native)} rows: top-1 {tuned.native_accuracy:.3f}, wrong {tuned.native_wrong:.3f})")


if __name__ == "__main__":
    main()
