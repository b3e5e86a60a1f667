"""kefu killed with SIGKILL at random points of a message stream, restarted, the stream completed
(bench/crash.py, smaller): no answer lost, none doubled, for every channel kind, on both stores."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "crash.py"


def _crash():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("kefu_bench_crash", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_kill_minus_nine_loses_and_doubles_no_answer(db_url):
    crash = _crash()
    outcome = crash.run_crash(db_url, messages=int(os.environ.get("KEFU_CRASH_MESSAGES", 120)), kills=3, seed=11)
    assert outcome.runs == 4 and outcome.printed >= outcome.messages  # it really died and came back
    assert {line["channel"] for line in crash.stream(outcome.messages, 11)} == {"telegram", "slack", "email", "console"}
    assert outcome.lost == [] and outcome.doubled == []
    assert outcome.undelivered == 0 and outcome.reprinted_differently == []
