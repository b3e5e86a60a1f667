"""Kill kefu with SIGKILL at random points of a message stream; count answers lost and doubled.

    python bench/crash.py                                   # SQLite in a temporary folder
    python bench/crash.py --db postgresql://127.0.0.1/test  # PostgreSQL (a database of its own is made)
    python bench/crash.py --messages 2000 --kills 12

A `kefu reply` process reads JSON lines (telegram, slack, email and console buyers, many
conversations). The driver kills it with SIGKILL at a random moment, restarts it, and
delivers again every line whose answer it had not printed — as Telegram, Slack or an IMAP
server redeliver what was not acknowledged. At the end the store is checked: every message
decided, exactly one answer row each (never two), every answer delivered.
tests/test_crash.py runs the same on SQLite and PostgreSQL with fewer messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = ("telegram", "slack", "email", "console")
TEXTS = (
    "how can I pay?", "how long is delivery to Spain?", "where is my order?", "hello", "Где мой заказ?",
    "can I cancel my order?", "do you ship to Chile?", "¿Cuánto cuesta el envío?", "I want a refund", "thanks!",
    "Is there customs duty to pay?", "write me a poem about the sea", "", "😀😀😀",
)
START = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def stream(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    lines = []
    for number in range(count):
        channel = CHANNELS[number % len(CHANNELS)]
        lines.append({
            "channel": channel, "conversation": f"{channel}-{rng.randrange(count // 8 + 1)}", "sender": f"buyer-{number % 97}",
            "text": rng.choice(TEXTS), "at": (START + timedelta(seconds=30 * number)).isoformat(), "id": f"{channel}:{number}",
        })
    return lines


@dataclass
class Outcome:
    messages: int
    kills: int
    runs: int = 0
    printed: int = 0
    seconds: float = 0.0
    lost: list[str] = field(default_factory=list)  # input ids without a decision or an answer
    doubled: list[str] = field(default_factory=list)  # input ids with more than one answer row
    undelivered: int = 0
    reprinted_differently: list[str] = field(default_factory=list)  # a redelivery printed another answer

    def line(self) -> str:
        return (
            f"crash: {self.messages} messages, {self.kills} kills, {self.runs} runs, {self.seconds:.1f} s — "
            f"answers lost {len(self.lost)}, answered twice {len(self.doubled)}, undelivered {self.undelivered}, "
            f"redeliveries answered differently {len(self.reprinted_differently)}"
        )


def _command(db: str) -> list[str]:
    return [sys.executable, "-c", "from bot.cli import main; main()", "reply", "--db", db, "--translator", "none"]


def _run_once(db: str, lines: list[dict], start: int, kill_after: int | None, rng: random.Random) -> list[dict]:
    """Feed lines[start:]; with `kill_after`, SIGKILL once that many answers were printed (plus a random
    few milliseconds, to land in the middle of the next message). Returns the answers printed."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        _command(db), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env,
        text=True, encoding="utf-8",
    )

    def feed() -> None:
        try:
            for item in lines[start:]:
                process.stdin.write(json.dumps(item, ensure_ascii=False) + "\n")
                process.stdin.flush()
            if kill_after is None:
                process.stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass  # killed meanwhile

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    printed: list[dict] = []
    for raw in process.stdout:
        printed.append(json.loads(raw))
        if kill_after is not None and len(printed) >= kill_after:
            time.sleep(rng.random() * 0.02)
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    if kill_after is None and process.returncode != 0:
        raise RuntimeError(f"kefu reply exited with {process.returncode}")
    return printed


async def _check(db: str, lines: list[dict], answered: dict[str, str | None], outcome: Outcome) -> None:
    """Lost: never decided, never printed, or printed with an answer that has no row. (A decision may
    rightly say nothing: a buyer writing again while waiting for a person is not answered twice.)"""
    from sqlalchemy import select

    from bot.store.database import Store
    from bot.store.models import StoredMessage

    store = await Store.open(db)
    try:
        async with store.session() as session:
            incoming = {m.external_id: m for m in (await session.scalars(select(StoredMessage).where(StoredMessage.direction == "in"))).all()}
            answers = (await session.scalars(select(StoredMessage).where(StoredMessage.reply_to.is_not(None)))).all()
    finally:
        await store.close()
    per_message = Counter(a.reply_to for a in answers)
    for item in lines:
        stored = incoming.get(item["id"])
        owed = answered.get(item["id"], "never printed")
        if stored is None or stored.status == "received" or (owed is not None and per_message[stored.id] == 0):
            outcome.lost.append(item["id"])
        elif per_message[stored.id] > 1:
            outcome.doubled.append(item["id"])
    outcome.undelivered = sum(1 for a in answers if a.delivery != "sent")


def run_crash(db: str, messages: int, kills: int, seed: int = 1) -> Outcome:
    rng = random.Random(seed)
    lines = stream(messages, seed)
    outcome = Outcome(messages, kills)
    answered: dict[str, str | None] = {}
    next_line = 0
    started = time.monotonic()
    for run in range(kills + 1):
        last = run == kills or next_line >= len(lines)
        remaining = len(lines) - next_line
        kill_after = None if last else rng.randint(1, max(1, min(remaining, 2 * messages // (kills + 1))))
        printed = _run_once(db, lines, next_line, kill_after, rng)
        outcome.runs += 1
        for item, answer in zip(lines[next_line:], printed):
            previous = answered.get(item["id"], "unset")
            if previous != "unset" and previous != answer.get("reply"):
                outcome.reprinted_differently.append(item["id"])
            answered[item["id"]] = answer.get("reply")
        outcome.printed += len(printed)
        next_line += len(printed)  # the line in flight when it died is delivered again
        if last:
            break
    outcome.seconds = time.monotonic() - started
    asyncio.run(_check(db, lines, answered, outcome))
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or f"sqlite:///{folder}/crash.db"
        outcome = run_crash(db, args.messages, args.kills, args.seed)
    print(outcome.line())
    for name in ("lost", "doubled", "reprinted_differently"):
        if getattr(outcome, name):
            print(f"  {name}: {getattr(outcome, name)[:20]}")
    sys.exit(1 if outcome.lost or outcome.doubled else 0)


if __name__ == "__main__":
    main()
