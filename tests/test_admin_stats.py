"""`kefu stats`: an admin reading how the bot did, from what the real pipeline stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from typer.testing import CliRunner

from bot.store.writes import Outgoing
from bot.cli import app
from bot.hours import load_hours
from bot.admin.stats import Durations, compute_stats, fetch_rows, fetch_zones, humanize
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.factories import buyer_message

runner = CliRunner()


async def say(kefu, text, *, at, reply_after, **kw):
    kefu.clock.now = at + timedelta(seconds=reply_after)  # the bot's reply is stamped by the clock
    return await kefu.pipeline.handle(buyer_message(text, at=at, **kw))


async def seed(kefu) -> None:
    """Three buyers: one answered by the bot, one handed to an agent, one at night that nothing matched."""
    await say(kefu, "how can i pay? paypal ok?", at=IN_HOURS, reply_after=3, channel="telegram", conversation="t-1")
    await say(kefu, "thank you!", at=IN_HOURS + timedelta(minutes=1), reply_after=1, channel="telegram", conversation="t-1")
    await say(kefu, "Хочу поговорить с человеком", at=IN_HOURS, reply_after=5, channel="email", conversation="e-1")
    talk = await kefu.store.find_conversation("email", "e-1")
    await kefu.store.commit(talk, outgoing=[Outgoing("Здравствуйте, это Лин.", IN_HOURS + timedelta(minutes=10), direction="agent")])
    await say(kefu, "can you write me a poem about the sea?", at=OUT_OF_HOURS, reply_after=0, channel="console", conversation="c-1")


async def test_the_figures_an_admin_reads(kefu):
    await seed(kefu)
    stats = compute_stats(await fetch_rows(kefu.store), load_hours(kefu.settings.hours_file))
    assert (stats.buyer_messages, stats.bot_messages, stats.agent_messages, stats.conversations) == (4, 4, 1, 3)
    assert stats.by_channel == [("telegram", 2, 1), ("email", 1, 1), ("console", 1, 1)]
    assert stats.by_language == [("en", 3), ("ru", 1)]
    assert (stats.contained, round(stats.containment, 3)) == (1, 0.333)  # only the PayPal buyer needed nobody
    assert stats.handoffs == [("requested", 1, 1), ("no_match", 1, 1)]
    assert stats.bot_first_response.values == (3.0, 5.0, 0.0)  # from each buyer's first message
    assert (stats.bot_first_response.median, stats.bot_first_response.p90) == (3.0, 5.0)
    assert stats.agent_first_response.values == (600.0,)
    assert (stats.out_of_hours, stats.away_notices) == (1, 1)  # 22:00 in Shanghai
    assert stats.out_of_hours_share == 0.25


async def test_the_command_shows_tables_and_draws_a_plot(kefu, db_url, tmp_path):
    await seed(kefu)
    png = tmp_path / "stats.png"
    result = await asyncio.to_thread(runner.invoke, app, ["stats", "--db", db_url, "--plot", str(png)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "all time\nbuyer messages 4 · bot replies 4 · agent replies 1 · conversations 3\n" in out
    assert re.search(r"│ telegram\s+│\s+2 │\s+1 │", out)
    assert re.search(r"│ ru\s+│\s+1 │\s+25\.0% │", out)
    assert re.search(r"containment \(answered without a person\)\s+│\s+33\.3% \(1 of 3\)", out)
    assert re.search(r"│ requested\s+│\s+1 │\s+1 │", out) and re.search(r"│ no_match\s+│\s+1 │\s+1 │", out)
    assert re.search(r"│ bot\s+│\s+3 │\s+3 s │\s+5 s │", out)
    assert re.search(r"│ agents\s+│\s+1 │\s+10 min │\s+10 min │", out)
    assert re.search(r"buyer messages out of hours\s+│\s+25\.0% \(1\)", out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


async def test_since_leaves_out_older_messages_and_no_agents_is_fine(kefu, db_url):
    await seed(kefu)
    result = await asyncio.to_thread(runner.invoke, app, ["stats", "--db", db_url, "--since", "2026-11-23T12:00Z"])
    assert result.exit_code == 0, result.output
    assert "since 2026-11-23 12:00 UTC\nbuyer messages 1 · bot replies 1 · agent replies 0 · conversations 1\n" in result.output
    assert re.search(r"│ agents\s+│\s+0 │\s+— │\s+— │", result.output)
    assert "no agent replies in this period" in result.output


async def test_an_empty_store_gives_empty_tables_and_an_empty_plot(kefu, db_url, tmp_path):
    png = tmp_path / "empty.png"
    result = await asyncio.to_thread(runner.invoke, app, ["stats", "--db", db_url, "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert "buyer messages 0 · bot replies 0 · agent replies 0 · conversations 0" in result.output
    assert re.search(r"containment \(answered without a person\)\s+│\s+— \(0 of 0\)", result.output)
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_usage_errors(tmp_path):
    assert runner.invoke(app, ["stats", "--db", f"sqlite:///{tmp_path / 'x.db'}"]).exit_code == 2
    wrong = runner.invoke(app, ["stats", "--plot", str(tmp_path / "stats.pdf")])
    assert wrong.exit_code == 2
    assert "the file name must end in .png" in wrong.output


def test_durations_read_like_a_person_would_say_them():
    assert [humanize(s) for s in (None, 0.4, 59, 60, 250, 3600 + 5 * 60, 3 * 86400 + 4 * 3600)] == \
        ["—", "0 s", "59 s", "1 min", "4 min 10 s", "1 h 05 min", "3 d 4 h"]
    ten = Durations(tuple(float(s) for s in range(1, 11)))
    assert (ten.median, ten.p90) == (5.5, 9.0)
    assert Durations().median is None and Durations().p90 is None


async def test_when_buyers_write_by_the_hour_of_their_own_day(kefu):
    from dataclasses import replace

    at = IN_HOURS  # 02:00 UTC
    for number, (zone, country) in enumerate([("America/New_York", None), (None, "DE"), ("+03:00", None), (None, None)]):
        message = replace(buyer_message("thank you!", at=at, conversation=f"z-{number}"), timezone=zone, country=country)
        await kefu.pipeline.handle(message)
    since = IN_HOURS - timedelta(hours=1)
    stats = compute_stats(await fetch_rows(kefu.store, since), load_hours(kefu.settings.hours_file), since,
                          await fetch_zones(kefu.store, since))
    hours = {hour: count for hour, count in enumerate(stats.by_hour) if count}
    assert hours == {21: 1, 3: 1, 5: 1}  # New York's evening, Berlin's night, UTC+3's early morning
    assert stats.hour_unknown == 1
    assert await fetch_zones(kefu.store, IN_HOURS + timedelta(hours=1)) == {}  # nobody wrote since
