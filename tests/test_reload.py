"""Admins edit intents, answers and facts while the bot runs: good edits take effect, broken ones never do.

Each test works on a copy of the shipped files in tmp_path. Only the first test
changes the intent lists (one model retrain); the others reuse the cached model.
"""

from __future__ import annotations

import shutil

import pytest

from bot.brain import BrainHolder
from bot.config import Settings
from bot.message import Style
from bot.admin.yamledit import add_example
from intents import LISTS_DIR
from replies.answers import REPLIES_DIR
from replies.render import answer_body

NEW_QUESTION = "do you have a loyalty program"


@pytest.fixture
def holder(tmp_path, brain) -> BrainHolder:
    """A running bot's brains, over copies of the shipped files (identical, so the session's brain fits them)."""
    shutil.copytree(LISTS_DIR, tmp_path / "lists")
    shutil.copytree(REPLIES_DIR, tmp_path / "replies", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    settings = Settings(translator="none", intents_dir=tmp_path / "lists", replies_dir=tmp_path / "replies")
    return BrainHolder(settings, brain)


def test_nothing_changed_nothing_reloaded(holder):
    before = holder.brain
    assert holder.refresh() is False
    assert holder.brain is before and holder.last_error is None


def test_a_new_example_is_matched_without_a_restart_and_a_broken_file_keeps_the_old_lists(holder, caplog):
    lists = holder.settings.intents_dir
    assert holder.brain.matcher.match(NEW_QUESTION).intent is None

    added = add_example(lists, "discount_request", NEW_QUESTION)
    assert holder.refresh() is True
    assert holder.brain.matcher.match(NEW_QUESTION).intent == "discount_request"
    assert holder.last_error is None

    working = holder.brain
    text = added.path.read_text(encoding="utf-8")
    broken_line = text.splitlines().index("- id: product_question") + 1
    lines = text.splitlines(keepends=True)
    lines[broken_line] = lines[broken_line].replace("description:", "description")  # a missing colon
    added.path.write_text("".join(lines), encoding="utf-8")

    assert holder.refresh() is False
    assert holder.brain is working  # the bot keeps answering with the last good lists
    assert holder.brain.matcher.match(NEW_QUESTION).intent == "discount_request"
    error = holder.last_error
    assert (error.path, error.line) == (added.path, broken_line + 1)
    assert str(error) == f"{added.path}:{broken_line + 1}: invalid YAML: a line without a colon (expected 'key: value' or '- item')"
    assert f"kept the previous intents and answers: {error}" in caplog.text
    assert holder.refresh() is False  # told once, not on every message

    added.path.write_text(text, encoding="utf-8")  # fixed: the same lists as before, from the model cache
    assert holder.refresh() is True
    assert holder.last_error is None


def test_a_changed_fact_reaches_the_answers_and_a_broken_answer_does_not(holder):
    facts = holder.settings.replies_dir / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    assert "2–4" in text
    facts.write_text(text.replace("2–4", "1–3"), encoding="utf-8")

    assert holder.refresh() is True
    answer = answer_body(holder.brain.answers, "dispatch_time", "en", Style.CHAT)
    assert "1–3" in answer.text and "2–4" not in answer.text

    english = holder.settings.replies_dir / "answers" / "en.yaml"
    lines = english.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "{shop_name}" in line and not line.lstrip().startswith("#"))
    lines[number] = lines[number].replace("{shop_name}", "{shop_nmae}", 1)
    english.write_text("".join(lines), encoding="utf-8")

    working = holder.brain
    assert holder.refresh() is False
    assert holder.brain is working
    assert (holder.last_error.path, holder.last_error.line) == (english, number + 1)
    assert "unknown placeholder {shop_nmae}" in str(holder.last_error)
    assert str(holder.last_error).startswith(f"{english}:{holder.last_error.line}: ")


async def test_a_running_bot_picks_up_an_edited_answer_in_the_background(holder):
    import asyncio

    from bot.reload import watch_brains

    answers = holder.settings.replies_dir / "answers" / "en.yaml"
    text = answers.read_text(encoding="utf-8")
    old = answer_body(holder.brain.answers, "thanks", "en", Style.CHAT).text
    answers.write_text(text.replace(old, "Glad to help, anytime!"), encoding="utf-8")
    watcher = asyncio.create_task(watch_brains(holder, every=0.05))
    try:
        for _ in range(200):
            await asyncio.sleep(0.05)
            if answer_body(holder.brain.answers, "thanks", "en", Style.CHAT).text == "Glad to help, anytime!":
                break
        assert answer_body(holder.brain.answers, "thanks", "en", Style.CHAT).text == "Glad to help, anytime!"
    finally:
        watcher.cancel()


async def test_an_edit_saved_while_a_reload_runs_is_trained_elsewhere_before_it_is_loaded(holder, monkeypatch):
    """The bot's own process only loads what a child process trained: an admin who saves again while
    the first training runs gets a second training, never one in the process answering buyers."""
    import bot.brain
    import bot.reload

    facts = holder.settings.replies_dir / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    trained, loaded = [], []

    async def train_elsewhere(settings, progress=None):  # the child reads the files as they are now…
        trained.append(holder.stamp())
        if len(trained) == 1:  # …and the admin saves once more while it trains
            facts.write_text(text.replace("2–4", "1–3"), encoding="utf-8")

    load_brain = bot.brain.load_brain

    def loading(settings, **options):
        loaded.append(holder.stamp())
        return load_brain(settings, **options)

    monkeypatch.setattr(bot.reload, "train_elsewhere", train_elsewhere)
    monkeypatch.setattr(bot.brain, "load_brain", loading)
    facts.write_text(text.replace("2–4", "2–5"), encoding="utf-8")

    assert await bot.reload.Reloader(holder).reload() is True
    assert len(trained) == 2 and loaded == [trained[1]]  # the second save was trained, then loaded
    assert "1–3" in answer_body(holder.brain.answers, "dispatch_time", "en", Style.CHAT).text
