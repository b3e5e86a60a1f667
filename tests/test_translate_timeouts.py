"""A translation service that accepts and never answers: the call ends at the timeout, and the
translator keeps working — hung calls cannot use up its threads (a real server on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.language.translate import ProviderTranslator, _provider_factory
from tests.fakes.libre_api import FakeLibre

TIMEOUT = 0.5


@pytest.fixture
def libre():
    with FakeLibre({"¿dónde está mi pedido?": "where is my order?"}) as fake:
        yield fake


@pytest.fixture
def translator(libre):
    translator = ProviderTranslator(
        "libre", _provider_factory("libre", {"KEFU_LIBRE_URL": libre.url}), timeout=TIMEOUT, retries=0, cooldown=0
    )
    yield translator
    translator.close()


async def timed(call) -> tuple[object, float]:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = await call
    return result, time.monotonic() - started


async def closed(libre: FakeLibre, count: int) -> None:
    """Until the server saw `count` hung connections closed by the client (it notices a moment later)."""
    deadline = time.monotonic() + TIMEOUT + 2
    while len(libre.closed_by_client) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert len(libre.closed_by_client) >= count, "HTTP calls are still open after the timeout"


async def test_a_server_that_never_answers_is_given_up_at_the_timeout_and_the_connection_closed(libre, translator):
    started = time.monotonic()
    result, elapsed = await timed(translator.translate("hang on, where is it?", "en", "es"))
    assert result is None
    assert TIMEOUT * 0.8 < elapsed < TIMEOUT + 1.0
    await closed(libre, 1)
    assert libre.closed_by_client[0] - started < TIMEOUT + 1.0


async def test_more_hung_calls_than_threads_leave_the_next_buyer_translated(libre, translator):
    hung = [timed(translator.translate(f"hang {n}", "en", "es")) for n in range(translator.threads + 1)]
    results = await asyncio.gather(*hung)
    assert [result for result, _ in results] == [None] * (translator.threads + 1)
    assert max(elapsed for _, elapsed in results) < TIMEOUT + 1.0  # the one that waited for a thread too

    # Every thread is free again: the next message is translated at once.
    result, elapsed = await timed(translator.translate("¿dónde está mi pedido?", "es", "en"))
    assert result == "where is my order?"
    assert elapsed < TIMEOUT
    await closed(libre, translator.threads)  # the calls ended, not just abandoned
