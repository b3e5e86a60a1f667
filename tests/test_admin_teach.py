"""An admin turns a group of misses into examples, and the running bot retrains without a pause.

Edits happen on copies of the shipped lists in tmp_path.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.admin.misses import Miss, MissGroup
from bot.admin.teach import Lesson, lesson_for, teach
from bot.admin.yamledit import Refused, add_example
from bot.brain import BrainHolder
from bot.config import Settings
from bot.reload import FAILED, READY, TRAINING, WAITING, Reloader
from intents import LISTS_DIR
from intents.catalog import load_intents
from replies.answers import REPLIES_DIR

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def lists(tmp_path) -> Path:
    """The shipped lists without their language folders: the tests create those."""
    return Path(shutil.copytree(LISTS_DIR, tmp_path / "lists", ignore=lambda folder, names: [
        name for name in names if (Path(folder) / name).is_dir()]))


def miss(text: str, language: str = "en", pivot: str | None = None) -> Miss:
    return Miss(text, pivot, language, AT)


def native(lists: Path, intent: str, language: str) -> list[str]:
    return [e.text for e in load_intents(lists).intents[intent].examples if e.language == language]


def test_a_group_teaches_its_words_in_their_language_folder_and_its_english_translation(lists):
    group = MissGroup([
        miss("У вас есть программа лояльности?", "ru", pivot="Do you have a loyalty program?"),
        miss("У вас есть программа лояльности?", "ru", pivot="Do you have a loyalty program?"),
        miss("а программа лояльности есть?", "ru", pivot="is there a loyalty program?"),  # another wording
    ], language="ru")
    lesson = lesson_for(group)
    assert lesson == Lesson("Do you have a loyalty program?", (("ru", "У вас есть программа лояльности?"),))

    presale = (lists / "presale.yaml").read_text(encoding="utf-8")
    outcomes = teach(lists, "discount_request", lesson)
    assert [(o.language, o.refused) for o in outcomes] == [("en", None), ("ru", None)]
    english = outcomes[0].added
    assert english.path == lists / "presale.yaml"
    after = english.path.read_text(encoding="utf-8").splitlines()
    assert after[english.line - 1] == "    - Do you have a loyalty program?"
    assert after[:english.line - 1] + after[english.line:] == presale.splitlines()  # one line added, nothing else
    russian = lists / "ru" / "presale.yaml"  # named like the file that defines the intent
    assert outcomes[1].added.path == russian
    assert russian.read_text(encoding="utf-8").splitlines()[-3:] == [
        "- id: discount_request", "  examples:", "    - У вас есть программа лояльности?"]
    assert native(lists, "discount_request", "ru") == ["У вас есть программа лояльности?"]


def test_an_english_group_teaches_its_most_frequent_wording(lists):
    group = MissGroup([miss("do you have a loyalty program?"), miss("Do you have a loyalty program?"),
                       miss("is there a loyalty program")])
    assert lesson_for(group) == Lesson("do you have a loyalty program?", ())


def test_the_next_example_in_that_language_joins_the_entry_already_there(lists):
    add_example(lists, "discount_request", "У вас есть программа лояльности?", language="ru")
    added = add_example(lists, "discount_request", "есть ли скидки для постоянных покупателей", language="ru")
    text = (lists / "ru" / "presale.yaml").read_text(encoding="utf-8")
    assert text.count("- id: discount_request") == 1
    assert text.splitlines()[added.line - 1] == "    - есть ли скидки для постоянных покупателей"
    add_example(lists, "shipping_cost", "сколько стоит доставка в Казань", language="ru")
    assert native(lists, "shipping_cost", "ru") == ["сколько стоит доставка в Казань"]
    assert native(lists, "discount_request", "ru") == ["У вас есть программа лояльности?", "есть ли скидки для постоянных покупателей"]


def test_a_known_wording_is_refused_with_its_place_and_does_not_stop_the_others(lists):
    lesson = Lesson("do u accept paypal?", (("pt", "vocês aceitam paypal?"),))
    english, portuguese = teach(lists, "payment_methods", lesson)
    assert english.added is None and "is already an example of 'payment_methods'" in english.refused
    assert english.refused.startswith(str(lists / "presale.yaml") + ":")
    assert portuguese.refused is None and native(lists, "payment_methods", "pt") == ["vocês aceitam paypal?"]


def test_an_untranslated_miss_teaches_only_its_language(lists):
    group = MissGroup([miss("Czy macie program lojalnościowy?", "pl", pivot="Czy macie program lojalnościowy?")], language="pl")
    assert lesson_for(group) == Lesson(None, (("pl", "Czy macie program lojalnościowy?"),))


def test_an_unusable_language_or_intent_changes_no_file(lists):
    before = sorted(p.relative_to(lists) for p in lists.rglob("*"))
    with pytest.raises(Refused, match="'../x' is not a language folder name"):
        add_example(lists, "thanks", "merci beaucoup", language="../x")
    (outcome,) = teach(lists, "thanks_a_lot", Lesson(None, (("fr", "merci beaucoup"),)))
    assert "unknown intent 'thanks_a_lot'" in outcome.refused
    assert sorted(p.relative_to(lists) for p in lists.rglob("*")) == before


async def test_the_old_model_answers_while_the_new_one_trains_and_the_progress_shows(lists, brain):
    settings = Settings(translator="none", intents_dir=lists, replies_dir=REPLIES_DIR)
    holder = BrainHolder(settings, brain)
    reloader = Reloader(holder)
    question = "do you have a loyalty program for regular buyers"
    assert holder.brain.matcher.match(question).intent != "discount_request"
    assert reloader.status.phase == READY and reloader.status.intents == len(brain.intents.ids)

    before = len(load_intents(lists).examples())
    teach(lists, "discount_request", Lesson(question))
    reloader.request()
    assert reloader.status.phase == WAITING and reloader.status.busy
    phases, iterations = [], set()
    for _ in range(1200):
        phases.append(reloader.status.phase)
        iterations.add((reloader.status.iteration, reloader.status.iterations))
        if reloader.status.phase == TRAINING:
            assert holder.brain is brain  # answering meanwhile with the old model
        if not reloader.status.busy:
            break
        await asyncio.sleep(0.05)
    assert TRAINING in phases and reloader.status.phase == READY, phases[-5:]
    assert any(0 < done <= most for done, most in iterations), iterations  # the trainer's progress reached this process
    assert holder.brain.matcher.match(question).intent == "discount_request"
    assert reloader.status.examples == before + 1
    assert reloader.status.seconds(AT) > 0

    (lists / "smalltalk.yaml").write_text("- id: thanks\n  examples\n", encoding="utf-8")  # broken
    reloader.request()
    while reloader.status.busy:
        await asyncio.sleep(0.05)
    assert reloader.status.phase == FAILED and "smalltalk.yaml:2" in reloader.status.error
    assert holder.brain.matcher.match(question).intent == "discount_request"  # the last good lists go on
