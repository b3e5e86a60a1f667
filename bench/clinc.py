"""CLINC150 as a kefu intent list: the public benchmark, read by the same engine as the shop's lists.

    python bench/clinc.py ../shared/data/clinc150/train_val.json OUT_DIR

writes OUT_DIR/intents/clinc150.yaml (train, with oos_train as `out_of_scope`)
and OUT_DIR/val.tsv (val + oos_val), ready for

    kefu eval OUT_DIR/val.tsv --intents OUT_DIR/intents --tune
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

OOS = "oos"  # CLINC150's out-of-scope label


def label(intent: str) -> str:
    return "out_of_scope" if intent == OOS else intent


def write_lists(source: Path, out: Path) -> tuple[Path, Path]:
    """The intent folder and the validation TSV for a CLINC150 JSON file (train/val splits)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    examples: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"] + data.get("oos_train", []):
        examples[label(intent)].append(text)
    folder = out / "intents"
    folder.mkdir(parents=True, exist_ok=True)
    entries = [{"id": intent, "examples": texts} for intent, texts in sorted(examples.items())]
    (folder / "clinc150.yaml").write_text(json.dumps(entries, ensure_ascii=False, indent=0), encoding="utf-8")  # JSON is YAML
    val = out / "val.tsv"
    rows = [f"{label(intent)}\t{' '.join(text.split())}" for text, intent in data["val"] + data.get("oos_val", [])]
    val.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder, val


if __name__ == "__main__":
    intents, val = write_lists(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"intents: {intents}\nvalidation rows: {val}")
