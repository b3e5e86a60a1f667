"""What fitting a message to the store costs, per message (it runs on every incoming one).

    python bench/fit.py

Prints the median and p99 time of `sanitize.fit_message` for a typical chat
message, a typical e-mail (raw headers and a body), and a message where
everything needs fixing (NUL, surrogates, over-long fields, a deep raw payload).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.message import Message  # noqa: E402
from bot.store.sanitize import fit_message  # noqa: E402

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
CHAT = Message(channel="telegram", conversation="42", sender="42", text="Где мой заказ? Уже две недели жду",
               received_at=AT, sender_name="Анна", language_hint="ru", external_id="tg:42:1001",
               raw={"update_id": 1001, "message": {"text": "Где мой заказ?", "from": {"id": 42, "first_name": "Анна"}}})
MAIL = dataclasses.replace(
    CHAT, channel="email", text="How long does delivery to Spain take?\n" * 20, subject="Delivery", timezone="+01:00",
    raw={"message_id": "<m1@example.es>", "references": [f"<r{i}@example.es>" for i in range(20)],
         "from": "Ana López <ana@example.es>", "subject": "Delivery", "body": "How long does delivery take?\n" * 200},
)
deep: list = []
for _ in range(100):
    deep = [deep]
BROKEN = dataclasses.replace(
    CHAT, text="hi \ud800 \x00" * 500, sender="tg\x00" + "x" * 400, sender_name="N" * 1000, language_hint="x" * 40,
    conversation="c" * 600, external_id="e" * 600, timezone="T" * 100, country="Germany",
    raw={"nan": float("nan"), "deep": deep, "text": "hi \ud800" * 100},
)


def timed(message: Message, rounds: int = 2000) -> tuple[float, float]:
    costs = []
    for _ in range(rounds):
        start = time.perf_counter()
        fit_message(message)
        costs.append(time.perf_counter() - start)
    costs.sort()
    return statistics.median(costs) * 1e6, costs[int(0.99 * len(costs))] * 1e6


def main() -> None:
    for name, message in (("chat message", CHAT), ("e-mail", MAIL), ("everything to fix", BROKEN)):
        median, p99 = timed(message)
        print(f"fit_message, {name:18}: median {median:7.1f} µs   p99 {p99:7.1f} µs")


if __name__ == "__main__":
    main()
