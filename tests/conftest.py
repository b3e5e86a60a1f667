"""Shared fixtures: databases (SQLite and PostgreSQL), a fixed clock, the bot wired up.

No test reaches the internet: adapters talk to local fake servers
(tests/fakes/) and translators to recorded responses.
"""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# Property tests: fixed examples under CI (a red build always reproduces), fresh ones on a developer's machine.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Model cache in a temporary folder, so tests never depend on a developer's cache."""
    os.environ["KEFU_CACHE_DIR"] = str(tmp_path_factory.mktemp("kefu-cache"))
    for name in ("KEFU_CONFIG", "KEFU_DATABASE_URL", "KEFU_TRANSLATOR", "KEFU_INTENTS_DIR", "KEFU_REPLIES_DIR"):
        os.environ.pop(name, None)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def skip_or_fail(reason: str, remedy: str) -> None:
    """A developer without the server skips with the reason; CI (CI=true) must not skip."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} — CI must run these tests: {remedy}")
    pytest.skip(f"{reason} ({remedy})")


async def _reset_postgres(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.database import async_url

    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        for table in ("messages", "translations", "orders", "rejected", "conversations", "privacy_audit", "privacy_salt", "accounts", "web_keys", "channel_health", "alembic_version"):
            await conn.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    await engine.dispose()


async def _own_database(server_url: str, name: str, drop: bool = False) -> None:
    """A database of this test run's own, so parallel runs on one server never meet."""
    import asyncpg

    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if not port_open("127.0.0.1", 5432):
        skip_or_fail("PostgreSQL is not running on 127.0.0.1:5432", "start it with .ci/services.sh")
    name = f"kefu_test_{os.getpid()}"
    asyncio.run(_own_database(POSTGRES_URL, name))
    yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_own_database(POSTGRES_URL, name, drop=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on SQLite and on the PostgreSQL of this machine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kefu.db'}"
    url = request.getfixturevalue("postgres_url")
    asyncio.run(_reset_postgres(url))
    return url


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# Monday 23 Nov 2026, 10:00 in Shanghai: the team is in.
IN_HOURS = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
# Monday 23 Nov 2026, 22:00 in Shanghai: the team is out until Tuesday 08:00.
OUT_OF_HOURS = datetime(2026, 11, 23, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(IN_HOURS)


@pytest.fixture(scope="session")
def settings():
    from bot.config import Settings

    return Settings(translator="none")


@pytest.fixture(scope="session")
def brain(settings):
    from bot.brain import load_brain

    return load_brain(settings)


@pytest.fixture(scope="session")
def detector(settings, brain):
    from bot.app import make_detector

    return make_detector(settings, intents=brain.intents)


@pytest.fixture(scope="session")
def table_path() -> Path:
    return REPO / "bench" / "data" / "multilingual_table.tsv"


def write_pins(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A pinned translation table (source_lang, target_lang, source, translation) for a test."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\").writerows(rows)
    return path


async def make_bot(db_url: str, table: Path, settings, brain, detector, clock):
    """The whole bot on a database, with a pinned translation table and a hand clock."""
    from types import SimpleNamespace

    from bot.brain import BrainHolder
    from bot.conversation.pipeline import Pipeline
    from bot.store.database import Store
    from bot.language.translate import MemoryTranslator, TableTranslator

    store = await Store.open(db_url)
    translator = MemoryTranslator(TableTranslator(table), store, clock)
    pipeline = Pipeline(store, BrainHolder(settings, brain), detector, translator, settings, clock)
    return SimpleNamespace(store=store, pipeline=pipeline, clock=clock, settings=settings, brain=brain)


@pytest.fixture
async def kefu(db_url, settings, brain, detector, clock):
    """The whole bot on a fresh database (SQLite and PostgreSQL)."""
    bot = await make_bot(db_url, DATA / "translations.tsv", settings, brain, detector, clock)
    yield bot
    await bot.store.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: while the session's browser is open, Playwright's sync API keeps its event
    loop set as the main thread's running loop, which an asyncio test after it would trip on."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))  # stable: the order otherwise stays


# The browser tests' chromium: defined once here, so every browser test module shares the one
# session browser (a fixture imported into two modules would be two session fixtures: two
# Playwright instances, which the sync API refuses).
from tests.web_fixtures import browser, page  # noqa: E402,F401
