"""Fixtures for the channel tests: the real pipeline on a fresh SQLite file, the fake APIs, a running channel.

Import the fixtures a module needs (`from tests.channel_fixtures import kefu_bot, fake_telegram`);
they build on conftest's session fixtures (settings, brain, detector, clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.message import Message, Reply, Style
from tests.conftest import make_bot, write_pins
from tests.fakes import DEFAULT_TOKEN, FakeSlack, FakeTelegram

# What a translation provider would say, pinned so the scenarios run offline. The answers'
# reviewed translations win when they exist; these rows are the machine-translation fallback,
# keyed on the current English text so rewording an answer keeps them working.
RUSSIAN_ORDER_STATUS = "Рады помочь! Пришлите, пожалуйста, номер заказа, и я его проверю."
SPANISH_GREETING = "¡Hola y bienvenido! ¿En qué puedo ayudarle hoy?"
BUYER_PINS = [("ru", "en", "Где мой заказ?", "Where is my order?"), ("es", "en", "hola", "hello")]


@dataclass
class Recorder:
    """Wraps the pipeline's `handle`: what the channel handed in, and what came back."""

    handle: object
    messages: list[Message] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    async def __call__(self, message: Message, style: Style) -> Reply:
        self.messages.append(message)
        reply = await self.handle(message, style)  # type: ignore[operator]
        self.replies.append(reply)
        return reply

    async def wait(self, count: int, timeout: float = 5.0) -> list[Reply]:
        """Until `count` messages went through the pipeline (answered or not)."""
        deadline = time.monotonic() + timeout
        while len(self.replies) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} handled message(s), got {len(self.replies)}")
            await asyncio.sleep(0.01)
        return self.replies


@pytest.fixture(scope="session")
def warm_detector(detector):  # type: ignore[no-untyped-def]
    """Language models load on first use (seconds): load them once, before any test is timed."""
    for sample in ("hello", "how can I pay?", "hola", "Где мой заказ?"):
        detector.detect(sample)
    return detector


@pytest.fixture
def translation_table(tmp_path: Path, brain) -> Path:
    from replies.render import answer_body

    rows = list(BUYER_PINS)
    for intent, language, text in (("order_status", "ru", RUSSIAN_ORDER_STATUS), ("greeting", "es", SPANISH_GREETING)):
        english = answer_body(brain.answers, intent, "en", Style.CHAT)
        assert english is not None, f"no English chat answer for {intent}"
        rows.append(("en", language, english.text, text))
    return write_pins(tmp_path / "pins.tsv", rows)


@pytest.fixture
async def kefu_bot(tmp_path: Path, settings, brain, warm_detector, clock, translation_table: Path) -> AsyncIterator[SimpleNamespace]:
    """The whole bot (real pipeline, SQLite in tmp_path) and a recorder to hand to a channel."""
    bot = await make_bot(f"sqlite:///{tmp_path / 'kefu.db'}", translation_table, settings, brain, warm_detector, clock)
    bot.handle = Recorder(bot.pipeline.handle)
    yield bot
    await bot.store.close()


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram(tokens=[DEFAULT_TOKEN], max_poll_wait=0.5) as fake:
        yield fake


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@contextlib.asynccontextmanager
async def running(channel, sender=None) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    """`channel.serve()` in a task until the block ends; fails fast if serving fails to start.

    When the channel hands messages to a pipeline, the outbox sender runs beside it, as in
    `kefu run`: the answers the pipeline writes go out through `channel.send_text`. A Runner's own
    `sender` (which also tells its desks when it gives up) runs instead when given."""
    from bot.conversation.pipeline import Pipeline
    from bot.serve.outbox import OutboxSender

    handle = getattr(channel, "handle", None)
    pipeline = getattr(getattr(handle, "handle", handle), "__self__", None)
    delivering = asyncio.create_task(sender.run()) if sender is not None else None
    if sender is None and isinstance(pipeline, Pipeline):
        own = OutboxSender(pipeline.store, {channel.name: channel}, pipeline.clock, poll_seconds=0.2)
        pipeline.written.append(own.wake)
        delivering = asyncio.create_task(own.run())
    task = asyncio.create_task(channel.serve())
    ready = asyncio.create_task(channel.ready.wait())
    await asyncio.wait({task, ready}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # raises what stopped it
        raise AssertionError("serve() returned before the channel was ready")
    assert ready.done(), "the channel did not become ready within 5 s"
    try:
        yield channel
    finally:
        for running_task in (task, delivering):
            if running_task is not None:
                running_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running_task
        if sender is None and isinstance(pipeline, Pipeline):
            pipeline.written.remove(own.wake)


async def stored(store, channel: str) -> list:  # type: ignore[no-untyped-def]
    """Every message stored for `channel`, oldest first."""
    return [m for m in await store.messages() if m.channel == channel]
