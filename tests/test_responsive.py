"""Nothing blocks the event loop: a Telegram buyer is answered within a second while kefu
retrains the intents (and the language model of their phrasings) after an admin's edit.

The slow part is real and really slow: the matcher retraining on an intent set enlarged to
several thousand examples. (The language model loads from its cache in milliseconds; it is
built with the new intents, in the same child process.)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
from pathlib import Path
import time

import pytest

from adapters.telegram import TelegramChannel, TelegramSettings
from bot.app import make_detector
from bot.reload import watch_brains
from bot.brain import BrainHolder
from bot.config import Settings
from bot.conversation.pipeline import Pipeline
from bot.language.translate import MemoryTranslator, TableTranslator
from bot.store.database import Store
from intents import LISTS_DIR
from replies.answers import REPLIES_DIR
from tests.channel_fixtures import Recorder, fake_telegram, running, translation_table  # noqa: F401
from tests.fakes import DEFAULT_TOKEN
from tests.fakes import telegram_factories as tf
from tests.intent_sets import enlarge

ANSWERED_WITHIN = 1.0  # seconds, from the update reaching Telegram to the answer reaching Telegram
GENERATED_PER_EXAMPLE = 3  # the presale list grows to several thousand examples: seconds of training


@pytest.fixture
def edited_settings(tmp_path):
    """Settings over a copy of the shipped English intent lists, which the test then edits (the 26
    language folders would make each retraining several times longer than this test needs)."""
    shutil.copytree(LISTS_DIR, tmp_path / "lists", ignore=lambda folder, names: [
        name for name in names if (Path(folder) / name).is_dir()])
    return Settings(translator="none", intents_dir=tmp_path / "lists", replies_dir=REPLIES_DIR)


async def until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.02)


async def test_a_buyer_is_answered_within_a_second_while_the_intents_retrain(
    tmp_path, edited_settings, brain, clock, fake_telegram, translation_table  # noqa: F811
) -> None:
    holder = BrainHolder(edited_settings, brain)  # the shipped lists: the brain the session already trained
    detector = make_detector(edited_settings, warm=True, intents=brain.intents)
    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    pipeline = Pipeline(store, holder, detector, MemoryTranslator(TableTranslator(translation_table), store, clock),
                        edited_settings, clock)
    handle = Recorder(pipeline.handle)
    channel = TelegramChannel(handle, TelegramSettings(token=DEFAULT_TOKEN, base_url=f"{fake_telegram.url}/bot"))
    watcher = asyncio.create_task(watch_brains(holder, every=0.05))
    try:
        async with running(channel):
            fake_telegram.push_update(tf.private_text_update("hi", chat_id=4241))  # the bot is serving already
            await fake_telegram.wait_for_async("sendMessage", timeout=10)
            # An admin adds thousands of phrasings; the watcher starts retraining in a process of its own.
            children = set(multiprocessing.active_children())
            examples = enlarge(edited_settings.intents_dir / "presale.yaml", GENERATED_PER_EXAMPLE)
            await until(lambda: set(multiprocessing.active_children()) - children, 10, "the retraining")
            await asyncio.sleep(1.0)  # past its start-up: the training itself is under way

            pushed = time.time()
            fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=4242))
            await fake_telegram.wait_for_async("sendMessage", count=2, timeout=10)
            answered = [c for c in fake_telegram.requests if c.method == "sendMessage"][1]
            retrained = holder.brain is not brain

        assert "Western Union" in answered.params["text"] and answered.params["chat_id"] == 4242
        # The slow part was still going on when the buyer got the answer…
        assert not retrained, f"retraining {examples} examples finished before the buyer wrote: nothing was shown"
        # …and the answer did not wait for either.
        assert answered.time - pushed <= ANSWERED_WITHIN
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        detector.close()
        await store.close()
