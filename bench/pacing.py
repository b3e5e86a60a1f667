"""Pacing against Telegram's flood limits: what arrives, what is refused, how long it takes.

    python bench/pacing.py [--parts 3] [--burst 25]

Runs the real TelegramChannel (PTB) against the strict fake Bot API with Telegram's own
limits switched on (one message a second per private chat, 20 a minute per group), and
prints, for an answer in N parts to one buyer and a burst of M desk posts to one group:
how many requests were sent, how many Telegram refused with 429, and the seconds taken —
once with kefu's pacing off (as before), once with the default pace.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.pacing import Rate  # noqa: E402
from adapters.telegram import TelegramChannel, TelegramSettings  # noqa: E402
from adapters.telegram_send import Pace  # noqa: E402
from bot.message import Reply  # noqa: E402
from tests.fakes import DEFAULT_TOKEN, FakeTelegram  # noqa: E402
from tests.fakes.telegram_rules import FloodLimits  # noqa: E402

BUYER, GROUP = 4242, -1004242
UNPACED = Pace(private=Rate(1000, 1.0), group=Rate(1000, 1.0), total=Rate(1000, 1.0))


async def _never(message, style) -> Reply:  # type: ignore[no-untyped-def]
    raise AssertionError("no buyer writes in this bench")


async def run(pace: Pace, chat: int, count: int) -> tuple[int, int, float]:
    """(requests, refused with 429, seconds) for `count` messages to `chat`."""
    with FakeTelegram(tokens=[DEFAULT_TOKEN], flood=FloodLimits()) as fake:
        fake.add_private_chat(BUYER)
        fake.add_forum(GROUP)
        channel = TelegramChannel(_never, TelegramSettings(token=DEFAULT_TOKEN, base_url=f"{fake.url}/bot", pace=pace))
        refused = 0
        started = time.perf_counter()
        for number in range(count):
            try:
                await channel.send_text(str(chat), f"part {number + 1}")
            except Exception:  # noqa: BLE001 - RetryLater: what the outbox would retry later
                refused += 1
        seconds = time.perf_counter() - started
        await channel.application.bot.shutdown()
        return len(fake.sent()), refused, seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=3)
    parser.add_argument("--burst", type=int, default=25)
    args = parser.parse_args()
    print(f"{'case':<34} {'pacing':<8} {'requests':>8} {'refused':>8} {'seconds':>8}")
    for label, chat, count in ((f"answer in {args.parts} parts, private", BUYER, args.parts),
                               (f"{args.burst} desk posts, one group", GROUP, args.burst)):
        for name, pace in (("off", UNPACED), ("default", Pace())):
            requests, refused, seconds = await run(pace, chat, count)
            print(f"{label:<34} {name:<8} {requests:>8} {refused:>8} {seconds:>8.2f}")


if __name__ == "__main__":
    asyncio.run(main())
