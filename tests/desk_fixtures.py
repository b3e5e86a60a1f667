"""Fixtures for the agent-desk tests: the whole bot, wired by the real Runner, with buyers and agents on fake APIs.

Import what a module needs (`from tests.desk_fixtures import kefu_app, until`), plus the
channel fixtures it builds on (warm_detector, fake_slack, fake_telegram, running).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.message import Style
from tests.channel_fixtures import RUSSIAN_ORDER_STATUS
from tests.conftest import write_pins

T = TypeVar("T")

HANDOFF = "Хочу поговорить с человеком"
HANDOFF_EN = "I want to talk to a person"
AGENT_REPLY = "Your parcel left our warehouse yesterday."
AGENT_REPLY_RU = "Ваша посылка вчера покинула наш склад."
LATER = "Спасибо, жду"
LATER_EN = "Thank you, I am waiting"
FRIDAY_13 = "Big sale on Friday the 13th!"
FRIDAY_13_RU = "Большая распродажа в пятницу 13-го!"
ORDER = "Где мой заказ?"

# What a translation provider would say, pinned so the scenarios run offline.
DESK_PINS = [
    ("ru", "en", HANDOFF, HANDOFF_EN),
    ("en", "ru", AGENT_REPLY, AGENT_REPLY_RU),
    ("ru", "en", LATER, LATER_EN),
    ("en", "ru", FRIDAY_13, FRIDAY_13_RU),
    ("ru", "en", ORDER, "Where is my order?"),
]


@pytest.fixture
def desk_table(tmp_path: Path, brain) -> Path:  # type: ignore[no-untyped-def]
    from replies.render import answer_body

    english = answer_body(brain.answers, "order_status", "en", Style.CHAT)
    assert english is not None
    rows = [*DESK_PINS, ("en", "ru", english.text, RUSSIAN_ORDER_STATUS)]
    return write_pins(tmp_path / "desk-pins.tsv", rows)


@pytest.fixture
async def kefu_app(tmp_path: Path, settings, brain, warm_detector, clock, desk_table: Path) -> AsyncIterator[Any]:  # type: ignore
    """What `kefu run` builds: the real pipeline on a fresh SQLite file, with the pinned translations."""
    from bot.app import App
    from bot.brain import BrainHolder
    from bot.conversation.pipeline import Pipeline
    from bot.store.database import Store
    from bot.language.translate import MemoryTranslator, TableTranslator

    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    brains = BrainHolder(settings, brain)
    pipeline = Pipeline(store, brains, warm_detector, MemoryTranslator(TableTranslator(desk_table), store, clock), settings, clock)
    yield App(settings, store, brains, pipeline)
    await store.close()


async def until(check: Callable[[], T], timeout: float = 5.0, what: str = "the expected call") -> T:
    """Poll `check` until it returns something truthy (the services answer in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def desk_ref_of(store: Any, channel: str, conversation: str, timeout: float = 5.0) -> str:
    """Where the desk shows a conversation. It is remembered once the card is out, so agents can act only after."""
    deadline = time.monotonic() + timeout
    while (found := await store.find_conversation(channel, conversation)) is None or found.desk_ref is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"the {channel} conversation {conversation} never got a place on the desk")
        await asyncio.sleep(0.01)
    return found.desk_ref


def with_text(calls: list[dict[str, Any]], *parts: str) -> list[dict[str, Any]]:
    """The calls whose text has every one of `parts`."""
    return [call for call in calls if all(part in str(call.get("text", "")) for part in parts)]


async def rejected_rows(store: Any, count: int, timeout: float = 5.0) -> list[Any]:
    """The store's rejected rows once there are `count` of them (refused desk actions are kept in the background)."""
    deadline = time.monotonic() + timeout
    while len(rows := await store.rejected()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} rejected row(s), got {len(rows)}")
        await asyncio.sleep(0.02)
    return list(rows)
