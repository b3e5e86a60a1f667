"""Channel health: what `kefu run` reports of each channel, as the admins' settings page reads it."""

from __future__ import annotations

from datetime import timedelta

from bot.admin.configuration import channel_states
from bot.serve.health import HealthReporter
from bot.serve.runner import Runner
from bot.store.health import Seen
from tests.channel_fixtures import fake_telegram, running, warm_detector  # noqa: F401
from tests.desk_fixtures import desk_table, kefu_app, until  # noqa: F401
from tests.factories import buyer_message
from tests.fakes import DEFAULT_TOKEN
from tests.fakes import telegram_factories as tf

FAST = {"KEFU_TELEGRAM_PACE_PRIVATE": "1/0.02", "KEFU_TELEGRAM_PACE_GROUP": "20/0.5"}


async def test_a_running_channel_reports_what_it_received_delivered_and_what_failed(kefu_app, fake_telegram, clock):  # noqa: F811
    environ = {"KEFU_TELEGRAM_TOKEN": DEFAULT_TOKEN, "KEFU_TELEGRAM_API_URL": f"{fake_telegram.url}/bot", **FAST}
    runner = Runner(kefu_app, ["telegram"], environ)
    fake_telegram.fail_next("sendMessage", 500, "Internal Server Error: test failure")
    received = clock()
    async with running(runner.channels["telegram"], runner.sender):
        fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=7001))
        await until(lambda: runner.health.errors.get("telegram"), what="the refused send noted")
        clock.now += timedelta(seconds=5)  # the retry falls due
        runner.sender.wake()
        await until(lambda: runner.sender.last_sent.get("telegram"), what="the answer delivered on the second try")
        await runner.health.report()

    (telegram,) = await channel_states(kefu_app.store, clock())
    assert (telegram.name, telegram.running, telegram.pending) == ("telegram", True, 0)
    assert telegram.last_received_at == received and telegram.last_sent_at == clock()
    assert telegram.last_error.startswith("sending: ") and "test failure" in telegram.last_error
    clock.now += timedelta(minutes=1)  # no report since: the process is gone
    assert (await channel_states(kefu_app.store, clock()))[0].running is False


async def test_workers_reports_merge_and_rows_waiting_for_a_stopped_channel_show(kefu, clock):
    early, late = clock(), clock() + timedelta(seconds=30)
    first = HealthReporter(kefu.store, ["slack"], lambda: late)
    first.received["slack"] = late
    first.trouble("slack", "ConnectionError: socket closed")
    await first.report()
    await kefu.store.report_health([Seen("slack", early, received=early, sent=early)])  # a slower worker's older view
    await kefu.pipeline.handle(buyer_message("how can I pay?", channel="email", conversation="mail-1"))  # nobody sends mail

    slack, email = await channel_states(kefu.store, late)
    assert (slack.name, slack.running, slack.seen_at, slack.last_received_at, slack.last_sent_at) == ("slack", True, late, late, early)
    assert (slack.last_error, slack.last_error_at) == ("ConnectionError: socket closed", late)
    assert (email.name, email.running, email.seen_at, email.pending) == ("email", False, None, 1)
