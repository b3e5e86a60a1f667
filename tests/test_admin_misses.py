"""`kefu misses`: an admin learning what buyers asked that the bot could not answer.

Buyers talk to the real pipeline (SQLite and PostgreSQL); the command reads the store.
"""

from __future__ import annotations

import asyncio
import shlex
import shutil
from datetime import timedelta

from typer.testing import CliRunner

from bot.conversation import states
from bot.cli import app
from bot.admin.misses import fetch_misses, group_misses, shell_quote
from intents import LISTS_DIR
from intents.catalog import load_intents
from tests.conftest import IN_HOURS
from tests.factories import buyer_message

runner = CliRunner()

UNANSWERED = [
    ("en", "can i get a gift card for my friend?"),
    ("en", "Can I get a gift card for my friend"),
    ("ru", "Можно купить подарочную карту для друга?"),  # pivot: "Can I buy a gift card for a friend?"
    ("en", "is there a gift card i can buy for my friend"),
    ("en", "write me a poem about the sea"),
    ("en", "please write a poem about the sea for me"),
    ("en", "who will win the world cup"),
]
ANSWERED = ["how can i pay? paypal ok?", "thank you!"]


async def seed(kefu) -> None:
    await kefu.store.remember("ru", "en", UNANSWERED[2][1], "Can I buy a gift card for a friend?", "test", IN_HOURS)
    for number, (_, text) in enumerate(UNANSWERED):
        await kefu.pipeline.handle(buyer_message(text, conversation=f"miss-{number}", at=IN_HOURS + timedelta(minutes=number)))
    for number, text in enumerate(ANSWERED):
        await kefu.pipeline.handle(buyer_message(text, conversation=f"ok-{number}"))
    # a chat a person holds: the bot stays quiet, so what the buyer says there is no miss
    await kefu.pipeline.handle(buyer_message("write me a poem about the sea", conversation="held"))
    held = await kefu.store.find_conversation("console", "held")
    await kefu.store.transition(held.id, states.claim("lina", IN_HOURS))
    await kefu.pipeline.handle(buyer_message("what is the meaning of life", conversation="held"))


async def test_misses_are_grouped_by_meaning_most_frequent_first(kefu, brain):
    await seed(kefu)
    misses = await fetch_misses(kefu.store)
    assert len(misses) == len(UNANSWERED) + 1  # the held chat's first message was still the bot's to answer
    assert "what is the meaning of life" not in {m.text for m in misses}
    assert not {m.text for m in misses} & set(ANSWERED)

    groups = group_misses(misses, brain.matcher)
    assert [(g.language, g.count) for g in groups] == [("en", 3), ("en", 3), ("en", 1), ("ru", 1)]
    poem, gift, cup, russian = groups  # a tie: the most recent first
    assert gift.representative == "can i get a gift card for my friend?"  # the first of three wordings that mean the same
    assert dict(gift.languages) == {"en": 3}
    assert gift.variants == ["is there a gift card i can buy for my friend"]
    assert poem.representative == "write me a poem about the sea"
    assert cup.representative == "who will win the world cup"
    # the Russian buyer's words stay Russian: proposed for the Russian list, with the English pivot shown
    assert russian.representative == "Можно купить подарочную карту для друга?" and russian.pivot == "Can I buy a gift card for a friend?"
    assert russian.command().endswith('"Можно купить подарочную карту для друга?" --language ru')
    assert poem.guess == "out_of_scope"  # the model calls it out of scope: teaching it to reject is the fix
    for group in groups:
        assert group.answered is None  # nothing here is answered by the current lists
        assert group.guess in brain.intents.intents
        suffix = "" if group.language == "en" else f" --language {group.language}"
        assert group.command() == f'kefu intents add-example {group.guess} "{group.representative}"{suffix}'


async def test_the_command_lists_groups_with_a_command_that_runs(kefu, db_url, tmp_path):
    await seed(kefu)
    result = await asyncio.to_thread(runner.invoke, app, ["misses", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "8 unanswered buyer messages in 4 groups" in result.output
    assert " 2. 3×  can i get a gift card for my friend?   languages: en 3   best guess " in result.output
    assert "English: Can I buy a gift card for a friend?" in result.output
    assert "also: is there a gift card i can buy for my friend" in result.output
    commands = [line.strip() for line in result.output.splitlines() if line.strip().startswith("kefu intents add-example")]
    assert len(commands) == 4

    lists = shutil.copytree(LISTS_DIR, tmp_path / "lists")
    argv = shlex.split(next(c for c in commands if "gift card for my friend?" in c))[1:]
    added = await asyncio.to_thread(runner.invoke, app, argv, env={"KEFU_INTENTS_DIR": str(lists)})
    assert added.exit_code == 0, added.output
    intent = argv[2]
    english = [e for e in load_intents(lists).intents[intent].examples if e.language == "en"]
    assert english[-1].text == "can i get a gift card for my friend?"
    # the Russian group's command puts the Russian text with the Russian phrasings
    russian = shlex.split(next(c for c in commands if "--language ru" in c))[1:]
    added = await asyncio.to_thread(runner.invoke, app, russian, env={"KEFU_INTENTS_DIR": str(lists)})
    assert added.exit_code == 0, added.output
    assert "/ru/" in added.output
    learnt = [e for e in load_intents(lists).intents[russian[2]].examples if e.language == "ru"][-1]
    assert learnt.text == "Можно купить подарочную карту для друга?" and learnt.path.parent.name == "ru"


async def test_since_and_limit(kefu, db_url):
    await seed(kefu)
    later = (IN_HOURS + timedelta(minutes=4)).isoformat()
    result = await asyncio.to_thread(runner.invoke, app, ["misses", "--db", db_url, "--since", later, "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "3 unanswered buyer messages in 2 groups" in result.output  # the two poems and the world cup
    assert " 1. 2×  write me a poem about the sea" in result.output
    assert "… and 1 smaller group (--limit 2 shows all)" in result.output
    nothing = await asyncio.to_thread(runner.invoke, app, ["misses", "--db", db_url, "--since", "2030-01-01"])
    assert nothing.exit_code == 0
    assert "no unanswered buyer messages since 2030-01-01 00:00 UTC" in nothing.output


def test_usage_errors(tmp_path):
    missing = tmp_path / "none.db"
    result = runner.invoke(app, ["misses", "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 2
    assert f"error: no database at {missing} (give --db or set database_url)" in result.output
    assert not missing.exists()  # a report never creates an empty database
    bad = runner.invoke(app, ["misses", "--db", f"sqlite:///{missing}", "--since", "last tuesday"])
    assert bad.exit_code == 2
    assert "--since 'last tuesday': expected a date like 2026-11-01" in bad.output


def test_command_lines_survive_any_text():
    assert shell_quote("do u ship to chile?") == '"do u ship to chile?"'
    for text in ('he said "cheap"', "it costs $5!", "back`tick", "it's me"):
        assert shlex.split(f"kefu x {shell_quote(text)}")[2] == text
