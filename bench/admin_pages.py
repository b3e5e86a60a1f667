"""The admin pages' server time on a database of a busy shop.

    python bench/admin_pages.py [CONVERSATIONS] [MISSED_WORDINGS]

A fresh SQLite database gets CONVERSATIONS conversations (default 10,000) of a buyer
message and the bot's answer each, spread over 30 days, several channels, languages and
buyers' time zones, a tenth handed to a person; MISSED_WORDINGS distinct unanswered
wordings (default 300) are spread over the rest (written in bulk, not through the pipeline:
only the pages are measured). Then each admin page is requested as a signed-in admin
through the ASGI app (no network), and the median and the slowest of 5 requests are printed
in milliseconds, with the database's size.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.store.models import Conversation, StoredMessage  # noqa: E402
from bot.web.accounts import add  # noqa: E402
from bot.web.app import create_app  # noqa: E402

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
CHANNELS = ("telegram", "email", "slack", "console")
LANGUAGES = ("en", "en", "en", "ru", "es", "pt", "de")
ZONES = (("America/New_York", None), (None, "DE"), ("+03:00", None), (None, None), (None, "BR"))
REASONS = ("requested", "intent", "dispute", "no_match", "angry")
WORDS = "gift card loyalty points warehouse pickup yiwu invoice vat number wholesale price sample dropshipping catalog".split()
PASSWORD = "bench password 123"
REQUESTS = 5


def wording(rng: random.Random) -> str:
    return "do you have " + " ".join(rng.sample(WORDS, 3))


async def fill(store, conversations: int, wordings: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    missed = [wording(rng) for _ in range(wordings)]
    batch = 1000
    for first in range(0, conversations, batch):
        async with store.session() as session:
            talks = []
            for n in range(first, min(first + batch, conversations)):
                at = NOW - timedelta(minutes=rng.randrange(30 * 24 * 60))
                zone, country = rng.choice(ZONES)
                talks.append(Conversation(id=n + 1, channel=rng.choice(CHANNELS), external_id=str(n), buyer=f"buyer-{n}",
                                          timezone=zone, country=country, state="bot", priority=0, misses=0,
                                          created_at=at, updated_at=at))
            session.add_all(talks)
            await session.flush()
            messages = []
            for talk in talks:
                handed = rng.random() < 0.1
                miss = not handed and rng.random() < 0.2
                text = rng.choice(missed) if miss else "where is my order?"
                language = rng.choice(LANGUAGES)
                messages.append(StoredMessage(
                    conversation_id=talk.id, channel=talk.channel, external_id=f"in-{talk.id}", direction="in", text=text,
                    pivot=text, language=language, intent=None if miss else "order_status", score=20.0 if miss else 90.0,
                    handoff=handed, status="processed", flags=[], raw={}, created_at=talk.created_at))
                messages.append(StoredMessage(
                    conversation_id=talk.id, channel=talk.channel, direction="out", text="…", language=language,
                    intent=None if miss else "order_status", handoff=handed, handoff_reason=rng.choice(REASONS) if handed else None,
                    status="processed", flags=[], raw={}, created_at=talk.created_at + timedelta(seconds=rng.randrange(1, 5)),
                    delivery="sent"))
            session.add_all(messages)
            await session.commit()


async def main(conversations: int, wordings: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        kefu = await build_app(Settings(translator="none", database_url=url), warm=False, watch=False)
        try:
            await fill(kefu.store, conversations, wordings)
            await add(kefu.store, "boss", "admin", PASSWORD)
            app = await create_app(kefu, secret="bench", clock=lambda: NOW)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kefu.bench") as client:
                page = await client.get("/signin")
                csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                await client.post("/signin", data={"csrf": csrf, "name": "boss", "password": PASSWORD, "next": "/"})
                print(f"{conversations} conversations, {2 * conversations} messages, {wordings} missed wordings (SQLite)")
                for path in ("/admin/misses?since=30d", "/admin/stats?since=30d", "/admin/stats?since=7d", "/admin/settings",
                             "/admin/eval"):
                    times = []
                    for _ in range(REQUESTS):
                        start = time.perf_counter()
                        response = await client.get(path)
                        times.append((time.perf_counter() - start) * 1000)
                        assert response.status_code == 200, (path, response.status_code)
                    print(f"  GET {path:<24} median {statistics.median(times):7.1f} ms   slowest {max(times):7.1f} ms")
            await app.state.web.live.close()
        finally:
            await kefu.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 300))
