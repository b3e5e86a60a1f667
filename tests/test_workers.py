"""Several `kefu run` workers on one PostgreSQL: one leader at a time, taken over when it dies."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.serve.leader import Leadership
from bot.store.database import Store


async def test_one_leader_at_a_time_and_another_takes_over(postgres_url):
    stores = [await Store.open(postgres_url) for _ in range(3)]
    races = [Leadership(store, retry_seconds=0.05) for store in stores]
    tasks = [asyncio.create_task(race.campaign()) for race in races]
    try:
        await asyncio.wait_for(asyncio.wait([asyncio.create_task(r.elected.wait()) for r in races], return_when=asyncio.FIRST_COMPLETED), 5)
        await asyncio.sleep(0.3)
        leaders = [n for n, race in enumerate(races) if race.elected.is_set()]
        assert len(leaders) == 1
        tasks[leaders[0]].cancel()  # the leader dies: its session, and so its lock, ends
        await asyncio.gather(tasks[leaders[0]], return_exceptions=True)
        others = [race for n, race in enumerate(races) if n != leaders[0]]
        await asyncio.wait_for(asyncio.wait([asyncio.create_task(r.elected.wait()) for r in others], return_when=asyncio.FIRST_COMPLETED), 5)
        await asyncio.sleep(0.3)
        assert sum(race.elected.is_set() for race in others) == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for store in stores:
            await store.close()


async def test_on_sqlite_the_only_process_leads(tmp_path):
    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    race = Leadership(store)
    task = asyncio.create_task(race.campaign())
    try:
        await asyncio.wait_for(race.elected.wait(), 2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.close()


def test_several_workers_need_postgresql(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_TELEGRAM_TOKEN", "123:abc")
    result = CliRunner().invoke(app, ["run", "--workers", "2", "--db", f"sqlite:///{tmp_path / 'k.db'}"])
    assert result.exit_code == 2
    assert "--workers 2 needs PostgreSQL" in result.output
