"""The web workspace's figures: server time to render the inbox over 10,000 conversations and a
conversation of 500 messages (target ≤ 100 ms each, SQLite), and the live-update latency from a
handoff to the agent's page (target ≤ 1 s).

    python bench/web.py [--conversations 10000] [--messages 500] [--rounds 20]

A fresh SQLite database is filled in bulk (a third of the conversations waiting for a person,
4 messages each; one conversation of MESSAGES messages; translator `none`, so an agent reading
Chinese costs a translation-memory lookup per buyer message). Render times are measured in-process
through the ASGI app (routing, the session check, the queries, the template), signed in as an
agent. The latency is measured over a real socket: an agent's event stream is open (uvicorn),
a buyer's message hands a conversation off through the pipeline, and the clock stops when the
agent's page (all conversations, newest first) has fetched its live part again with the new card
in it — what the browser does.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.store.models import Conversation, StoredMessage  # noqa: E402

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
PASSWORD = "bench password"


async def fill(store, conversations: int, long: int) -> int:  # type: ignore[no-untyped-def]
    batch = 1000
    for first in range(0, conversations, batch):
        async with store.session() as session:
            rows = []
            for n in range(first, min(first + batch, conversations)):
                at = START + timedelta(minutes=n)
                waiting = n % 3 == 0
                rows.append(Conversation(
                    id=n + 1, channel=("telegram", "email", "slack")[n % 3], external_id=str(n), buyer=f"buyer-{n}",
                    buyer_name=f"Buyer {n}", language=("ru", "en", "es", "de")[n % 4], country=None, timezone="Europe/Moscow",
                    state="waiting" if waiting else "bot", handoff_reason="requested" if waiting else None,
                    handoff_at=at if waiting else None, priority=1 if n % 97 == 0 else 0, misses=0, version=1,
                    created_at=at, updated_at=at,
                ))
            session.add_all(rows)
            await session.flush()
            session.add_all([
                StoredMessage(conversation_id=c.id, channel=c.channel, external_id=f"{c.id}-{k}" if k % 2 == 0 else None,
                              direction="in" if k % 2 == 0 else "out", text="Где мой заказ? Я жду уже две недели.",
                              language="ru", pivot="Where is my order? I have been waiting for two weeks.",
                              intent="order_status", score=88.0, status="processed", flags=[], raw={}, created_at=c.created_at,
                              delivery=None if k % 2 == 0 else "sent", reply_to=None)
                for c in rows for k in range(4)
            ])
            await session.commit()
    async with store.session() as session:
        long_id = conversations + 1
        session.add(Conversation(id=long_id, channel="telegram", external_id="long", buyer="long", buyer_name="Long Talker",
                                 language="ru", state="waiting", handoff_reason="dispute", handoff_at=START, priority=2,
                                 misses=0, version=1, created_at=START, updated_at=START))
        await session.flush()
        session.add_all([
            StoredMessage(conversation_id=long_id, channel="telegram", external_id=f"long-{k}" if k % 2 == 0 else None,
                          direction=("in", "out")[k % 2], text=f"Сообщение номер {k}: где мой заказ?", language="ru",
                          pivot=f"Message number {k}: where is my order?", intent="order_status", score=75.0,
                          status="processed", flags=[], raw={}, created_at=START + timedelta(seconds=k),
                          delivery=None if k % 2 == 0 else "sent")
            for k in range(long)
        ])
        await session.commit()
    return long_id


async def signed_in(app, name: str, base: str = "http://bench", transport=None) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    import re

    client = httpx.AsyncClient(transport=transport or httpx.ASGITransport(app=app), base_url=base, timeout=30)
    page = await client.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    signed = await client.post("/signin", data={"csrf": token, "name": name, "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    return client


async def timed(client: httpx.AsyncClient, path: str, rounds: int) -> tuple[float, float, float]:
    """(median wall ms, max wall ms, median CPU ms of the process: the driver's thread included)."""
    await client.get(path)  # warm: templates compiled, caches filled
    times, cpu = [], []
    for _ in range(rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = await client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times), max(times), statistics.median(cpu)


async def latency(kefu, app, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Handoff (a buyer's message through the pipeline) → event on the stream → live part fetched with the card."""
    from adapters.asgi import AsgiServer
    from adapters.console import make_message
    from bot.message import Style

    server = AsgiServer(app, "127.0.0.1", 0, "bench")
    port = server.bind()
    serving = asyncio.create_task(server.serve())
    client = await signed_in(app, "agent-en", base=f"http://127.0.0.1:{port}", transport=httpx.AsyncHTTPTransport())
    results = []
    try:
        async with client.stream("GET", "/events") as stream:
            lines = stream.aiter_lines()
            await anext(lines)  # retry:
            for n in range(rounds):
                buyer = f"latency-{n}"
                start = time.perf_counter()
                await kefu.pipeline.handle(make_message("I want to talk to a person", f"console-{buyer}", buyer, f"Late {n}", "en"),
                                           Style.CHAT)
                while True:
                    line = await anext(lines)
                    if line.startswith("event: change"):
                        break
                while True:
                    fragment = await client.get("/?view=all", headers={"X-Live": "1"})  # newest first
                    if f"Late {n}<" in fragment.text:
                        break
                    async for line in lines:  # not in yet: wait for the next change
                        if line.startswith("event: change"):
                            break
                results.append((time.perf_counter() - start) * 1000)
                await asyncio.sleep(0.3)
    finally:
        await client.aclose()
        await app.state.web.live.close()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
    return results


async def main(conversations: int, messages: int, rounds: int) -> None:
    from bot.app import build_app
    from bot.config import Settings
    from bot.web.accounts import add
    from bot.web.app import create_app

    folder = Path(tempfile.mkdtemp(prefix="kefu-bench-web-"))
    settings = Settings(translator="none", database_url=f"sqlite:///{folder / 'kefu.db'}")
    kefu = await build_app(settings, warm=False, watch=False)
    try:
        started = time.perf_counter()
        long_id = await fill(kefu.store, conversations, messages)
        print(f"filled {conversations} conversations + one of {messages} messages in {time.perf_counter() - started:.1f} s")
        for name, language in (("agent-en", "en"), ("agent-zh", "zh")):
            await add(kefu.store, name, "agent", PASSWORD, language)
        app = await create_app(kefu, secret="bench")
        english, chinese = await signed_in(app, "agent-en"), await signed_in(app, "agent-zh")
        print(f"server time to render, SQLite, over {rounds} requests: wall median / wall max / CPU median")
        for label, client, path in (
            (f"inbox, queue of {conversations // 3 + 2} waiting", english, "/"),
            (f"inbox, all {conversations + 1} conversations, page 1", english, "/?view=all"),
            ("inbox, all, page 100", english, "/?view=all&page=100"),
            ("inbox, search 'Buyer 9999'", english, "/?view=all&q=Buyer%209999"),

            (f"conversation of {messages} messages, the latest 100 (agent reads English)", english, f"/c/{long_id}"),
            (f"conversation of {messages} messages, all of them (agent reads English)", english, f"/c/{long_id}?all=1"),
            (f"conversation of {messages} messages, the latest 100 (agent reads Chinese)", chinese, f"/c/{long_id}"),
            (f"conversation of {messages} messages, all of them (agent reads Chinese)", chinese, f"/c/{long_id}?all=1"),
        ):
            median, worst, cpu = await timed(client, path, rounds)
            print(f"  {label:72s} {median:7.1f} ms {worst:7.1f} ms {cpu:7.1f} ms")
        await english.aclose()
        await chinese.aclose()
        found = await latency(kefu, app, rounds)
        print(f"live update, handoff → card in the agent's page: median {statistics.median(found):.0f} ms, "
              f"max {max(found):.0f} ms over {len(found)} handoffs (watcher every {app.state.web.live.every:.2f} s)")
    finally:
        await kefu.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.conversations, arguments.messages, arguments.rounds))
