"""Slack buyers, through the real Bolt AsyncApp behind uvicorn and the real pipeline, against the fake Web API."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx
import pytest
import yaml
from slack_sdk.errors import SlackApiError

from adapters.base import RetryLater, Unreachable
from adapters.env import CredentialsRejected, SettingsError
from adapters.pacing import Rate
from adapters.slack_send import DESK_SCOPES, MANIFEST, NEEDED_SCOPES
from adapters.slack import EVENTS_PATH, SlackChannel, SlackSettings, strip_mentions
from bot.message import Kind
from tests.channel_fixtures import (  # noqa: F401
    kefu_bot, fake_slack, running, stored, translation_table, warm_detector,
)
from tests.fakes import FakeSlack
from tests.fakes import slack_factories as sf
from tests.fakes.socket_mode import FakeSocketMode
from tests.fakes.slack_api import BOT_USER_ID, DEFAULT_USER_ID

SECRET = "slack-signing-secret-for-tests"


FAST = Rate(1, 0.02)  # Slack's pace per channel, 50 times faster: tests stay quick


def http_settings(fake: FakeSlack) -> SlackSettings:
    return SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, port=0, api_url=f"{fake.url}/api/", pace=FAST)


async def deliver(client: httpx.AsyncClient, channel: SlackChannel, envelope: dict, *, secret: str = SECRET,
                  timestamp: int | None = None, retry: int | None = None) -> httpx.Response:
    """POST an event the way Slack does: signed, JSON, maybe marked as a retry."""
    body = sf.json_body(envelope)
    headers = sf.signed_request_headers(body, secret, timestamp=timestamp)
    if retry is not None:
        headers.update({"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"})
    return await client.post(f"http://127.0.0.1:{channel.server.port}{EVENTS_PATH}", content=body, headers=headers)


async def test_a_signed_dm_is_answered_in_the_dm(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.message_event("how can I pay?")
    async with running(channel), httpx.AsyncClient() as client:
        response = await deliver(client, channel, envelope)
        posts = await fake_slack.wait_for_async("chat.postMessage")
    assert response.status_code == 200
    event = envelope["event"]
    assert posts[0]["channel"] == sf.DEFAULT_DM_CHANNEL and "thread_ts" not in posts[0]  # a DM is one conversation
    assert "Western Union" in posts[0]["text"]
    message = kefu_bot.handle.messages[0]
    assert (message.channel, message.conversation, message.sender, message.kind) == (
        "slack", sf.DEFAULT_DM_CHANNEL, DEFAULT_USER_ID, Kind.TEXT)
    assert message.external_id == event["client_msg_id"] and message.raw["event_id"] == envelope["event_id"]
    assert message.sender_name == "Test Customer"


@pytest.mark.parametrize("forgery", ["stale timestamp", "bad signature"])
async def test_forged_or_replayed_requests_are_refused(kefu_bot, fake_slack, caplog, forgery) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.message_event("how can I pay?")
    async with running(channel), httpx.AsyncClient() as client:
        if forgery == "stale timestamp":  # a captured request replayed ten minutes later
            response = await deliver(client, channel, envelope, timestamp=int(time.time()) - 600)
        else:
            response = await deliver(client, channel, envelope, secret="not-the-secret")
        answered = await deliver(client, channel, sf.message_event("how can I pay?"))  # the server lives on
        await fake_slack.wait_for_async("chat.postMessage")
    assert (response.status_code, answered.status_code) == (401, 200)
    assert len(kefu_bot.handle.messages) == 1
    fake_slack.assert_received_request_count("chat.postMessage", 1)
    assert "bad or stale signature" in caplog.text


async def test_a_retried_event_gets_one_answer(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.message_event("how can I pay?")
    async with running(channel), httpx.AsyncClient() as client:
        first = await deliver(client, channel, envelope)
        started = time.monotonic()
        retry = await deliver(client, channel, envelope, retry=1)
        acked_in = time.monotonic() - started
        replies = await kefu_bot.handle.wait(2)
        await fake_slack.wait_for_async("chat.postMessage")
        await asyncio.sleep(0.3)  # time for a second answer, if there were one
    assert (first.status_code, retry.status_code) == (200, 200) and acked_in < 0.5
    assert replies[1].duplicate and replies[1].outbox == replies[0].outbox  # the first answer, not a new one
    fake_slack.assert_received_request_count("chat.postMessage", 1)
    assert len([m for m in await stored(kefu_bot.store, "slack") if m.direction == "in"]) == 1


async def test_a_mention_in_a_shared_channel_is_answered_in_its_thread(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.app_mention_event("how can I pay?")
    async with running(channel), httpx.AsyncClient() as client:
        await deliver(client, channel, envelope)
        posts = await fake_slack.wait_for_async("chat.postMessage")
    ts = envelope["event"]["ts"]
    assert (posts[0]["channel"], posts[0]["thread_ts"]) == (sf.DEFAULT_CHANNEL, ts)
    assert "Western Union" in posts[0]["text"]
    message = kefu_bot.handle.messages[0]
    assert message.text == "how can I pay?"  # the <@BOT> mention is gone
    assert message.conversation == f"{sf.DEFAULT_CHANNEL}:{ts}"


async def test_a_mention_inside_a_thread_stays_in_that_thread(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.app_mention_event("how can I pay?", thread_ts="1700000000.000001")
    async with running(channel), httpx.AsyncClient() as client:
        await deliver(client, channel, envelope)
        posts = await fake_slack.wait_for_async("chat.postMessage")
    assert posts[0]["thread_ts"] == "1700000000.000001"
    assert kefu_bot.handle.messages[0].conversation == f"{sf.DEFAULT_CHANNEL}:1700000000.000001"


async def test_the_buyers_slack_locale_sets_the_language(kefu_bot, fake_slack) -> None:
    fake_slack.add_user("U0LUCIA", real_name="Lucía García", locale="es-ES", tz="Europe/Madrid")
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    async with running(channel), httpx.AsyncClient() as client:
        await deliver(client, channel, sf.message_event("hola", user="U0LUCIA", channel="D0LUCIA"))
        await fake_slack.wait_for_async("chat.postMessage")
        await deliver(client, channel, sf.message_event("how can I pay?", user="U0LUCIA", channel="D0LUCIA"))
        posts = await fake_slack.wait_for_async("chat.postMessage", 2)
    assert kefu_bot.handle.replies[0].language == "es" and "¿" in posts[0]["text"]  # reviewed or machine-translated
    first = kefu_bot.handle.messages[0]
    assert (first.language_hint, first.sender_name, first.timezone) == ("es", "Lucía García", "Europe/Madrid")
    assert first.country == "ES"  # the locale's region: a hint for customs answers
    assert len(fake_slack.calls("users.info")) == 1  # asked once, then remembered


async def test_bots_edits_and_channel_chatter_are_not_answered(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    edited = sf.message_event("how can I pay?")
    edited["event"].update(subtype="message_changed")
    from_a_bot = sf.message_event("how can I pay?")
    from_a_bot["event"].update(bot_id="B0OTHER")
    chatter = sf.message_event("how can I pay?", channel=sf.DEFAULT_CHANNEL, channel_type="channel")
    async with running(channel), httpx.AsyncClient() as client:
        statuses = [(await deliver(client, channel, e)).status_code for e in (edited, from_a_bot, chatter)]
        await deliver(client, channel, sf.message_event("thank you"))
        await kefu_bot.handle.wait(1)
    assert statuses == [200, 200, 200]  # acked, so Slack does not retry them
    assert [m.text for m in kefu_bot.handle.messages] == ["thank you"]


async def test_a_photo_in_a_dm_is_handed_to_a_person(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    envelope = sf.message_event("it came broken")
    envelope["event"].update(subtype="file_share", files=[{"id": "F1", "mimetype": "image/jpeg", "name": "box.jpg"}])
    async with running(channel), httpx.AsyncClient() as client:
        await deliver(client, channel, envelope)
        posts = await fake_slack.wait_for_async("chat.postMessage")
    assert "photo" in posts[0]["text"]
    assert (kefu_bot.handle.messages[0].kind, kefu_bot.handle.replies[0].handoff) == (Kind.PHOTO, True)


async def test_an_agent_reply_goes_into_the_buyers_thread(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    await channel.send_text(f"{sf.DEFAULT_CHANNEL}:1700000000.000500", "Your parcel left today <3 & more")
    await channel.send_text(sf.DEFAULT_DM_CHANNEL, "Hello again")
    posts = fake_slack.calls("chat.postMessage")
    assert (posts[0]["channel"], posts[0]["thread_ts"]) == (sf.DEFAULT_CHANNEL, "1700000000.000500")
    assert posts[0]["text"] == "Your parcel left today &lt;3 &amp; more"
    assert posts[1]["channel"] == sf.DEFAULT_DM_CHANNEL and "thread_ts" not in posts[1]


async def test_socket_mode_answers_events_acks_envelopes_and_reconnects_when_asked(kefu_bot, fake_slack) -> None:
    """Bolt's AsyncSocketModeHandler against a local endpoint speaking Slack's envelope protocol."""
    socket_mode = await FakeSocketMode().start()
    fake_slack.socket_mode_url = socket_mode.url
    settings = SlackSettings(bot_token="xoxb-test", app_token="xapp-test", mode="socket", api_url=f"{fake_slack.url}/api/", pace=FAST)
    channel = SlackChannel(kefu_bot.handle, settings)
    try:
        async with running(channel):
            await socket_mode.connected()
            first = await socket_mode.send_event(sf.message_event("how can I pay?"))
            await socket_mode.acked(first)
            answer = await fake_slack.wait_for_async("chat.postMessage")
            await socket_mode.ask_to_reconnect()
            await socket_mode.connected(count=2)
            second = await socket_mode.send_event(sf.message_event("hello"))
            await socket_mode.acked(second)
            answers = await fake_slack.wait_for_async("chat.postMessage", 2)
    finally:
        await socket_mode.stop()
    assert "Western Union" in answer[0]["text"] and answer[0]["channel"] == sf.DEFAULT_DM_CHANNEL
    assert [m.text for m in kefu_bot.handle.messages] == ["how can I pay?", "hello"]
    assert kefu_bot.handle.replies[1].intent == "greeting" and answers[1]["text"] == kefu_bot.handle.replies[1].text
    opened = [c for c in fake_slack.requests if c.method == "apps.connections.open"]
    assert len(opened) == 2 and opened[0].headers.get("Authorization") == "Bearer xapp-test"  # the app-level token


def test_mentions_are_stripped_but_other_people_are_kept() -> None:
    text = f"<@{BOT_USER_ID}> can <@U0BOSS|boss> get 10% off?"
    assert strip_mentions(text, BOT_USER_ID) == "can <@U0BOSS|boss> get 10% off?"


def test_settings_from_the_environment() -> None:
    env = {"KEFU_SLACK_BOT_TOKEN": "xoxb-1", "KEFU_SLACK_SIGNING_SECRET": "sig", "KEFU_SLACK_PORT": "3100",
           "KEFU_SLACK_LISTEN": "0.0.0.0", "KEFU_SLACK_API_URL": "http://localhost:9/api/"}
    settings = SlackSettings.from_env(env)
    assert (settings.mode, settings.port, settings.listen, settings.api_url) == ("http", 3100, "0.0.0.0", "http://localhost:9/api/")
    assert "xoxb-1" not in repr(settings) and "sig" not in repr(settings)
    socket = SlackSettings.from_env({"KEFU_SLACK_BOT_TOKEN": "xoxb-1", "KEFU_SLACK_MODE": "socket", "KEFU_SLACK_APP_TOKEN": "xapp-1"})
    assert socket.mode == "socket" and socket.signing_secret is None
    with pytest.raises(SettingsError, match="KEFU_SLACK_SIGNING_SECRET"):
        SlackSettings.from_env({"KEFU_SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(SettingsError, match="KEFU_SLACK_APP_TOKEN"):
        SlackSettings.from_env({"KEFU_SLACK_BOT_TOKEN": "xoxb-1", "KEFU_SLACK_MODE": "socket"})
    with pytest.raises(SettingsError, match="KEFU_SLACK_BOT_TOKEN"):
        SlackSettings.from_env({"KEFU_SLACK_BOT_TOKEN": "xapp-wrong-kind", "KEFU_SLACK_SIGNING_SECRET": "sig"})


# ---- pacing, refusals and the start-up check -----------------------------------------------


async def test_a_three_part_answer_into_a_rate_limited_channel_arrives_whole(kefu_bot) -> None:
    """Slack refuses a second post within about a second in one channel: parts wait their turn."""
    with FakeSlack(rate_limit=0.3) as fake:
        settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, port=0, api_url=f"{fake.url}/api/", pace=Rate(1, 0.35))
        channel = SlackChannel(kefu_bot.handle, settings)
        parts = channel.split("\n\n".join(f"Part {n}: " + "duties are paid on arrival. " * 140 for n in range(1, 4)))
        for part in parts:
            await channel.send_text(sf.DEFAULT_DM_CHANNEL, part)
        posts = fake.calls("chat.postMessage")
    assert len(parts) == 3 and [p["text"] for p in posts] == parts  # three requests, none refused


async def test_refusals_are_raised_as_what_they_mean_for_the_outbox(kefu_bot, fake_slack) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    fake_slack.fail_next("chat.postMessage", retry_after=3)
    with pytest.raises(RetryLater) as limited:
        await channel.send_text(sf.DEFAULT_DM_CHANNEL, "hello")
    for error in ("account_inactive", "is_archived", "user_not_found"):
        fake_slack.fail_next("chat.postMessage", error)
        with pytest.raises(Unreachable, match=error):
            await channel.send_text(sf.DEFAULT_DM_CHANNEL, "hello")
    with pytest.raises(Unreachable, match="channel_not_found"):
        await channel.send_text("D0GONE", "a DM that no longer exists")
    fake_slack.fail_next("chat.postMessage", "internal_error")
    with pytest.raises(SlackApiError):  # transient: the outbox retries it with back-off
        await channel.send_text(sf.DEFAULT_DM_CHANNEL, "hello")
    assert limited.value.retry_after == 3


async def test_a_wrong_token_stops_the_channel_before_it_reports_ready(kefu_bot) -> None:
    with FakeSlack(tokens=["xoxb-the-right-one"]) as fake:
        channel = SlackChannel(kefu_bot.handle, http_settings(fake))  # xoxb-test
        with pytest.raises(CredentialsRejected, match="Slack refused KEFU_SLACK_BOT_TOKEN \\(invalid_auth\\)"):
            await asyncio.wait_for(channel.serve_forever(), 5)  # not retried: a setting to fix
    assert not channel.ready.is_set() and channel.server is None


async def test_missing_scopes_are_named_against_the_manifest(kefu_bot) -> None:
    with FakeSlack(scopes={"chat:write", "im:history"}) as fake:
        channel = SlackChannel(kefu_bot.handle, http_settings(fake))
        with pytest.raises(CredentialsRejected) as refused:
            await channel.serve()
    assert "lacks the scopes app_mentions:read, users:read" in str(refused.value)
    assert "docs/slack-manifest.yaml" in str(refused.value) and channel.server is None


def test_the_scopes_checked_at_start_up_are_the_manifests() -> None:
    manifest = yaml.safe_load((Path(__file__).parents[1] / MANIFEST).read_text())
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(NEEDED_SCOPES + DESK_SCOPES)


async def test_a_refused_answer_is_logged_not_kept_as_an_unreadable_event(kefu_bot, fake_slack, caplog) -> None:
    channel = SlackChannel(kefu_bot.handle, http_settings(fake_slack))
    channel.reject = kefu_bot.pipeline.reject
    fake_slack.fail_next("chat.postMessage", "account_inactive")
    async with running(channel), httpx.AsyncClient() as client:
        response = await deliver(client, channel, sf.message_event("how can I pay?"))
        await kefu_bot.handle.wait(1)
        await fake_slack.wait_for_async("chat.postMessage")
        await asyncio.sleep(0.1)
    assert response.status_code == 200 and "account_inactive" in caplog.text
    assert await kefu_bot.store.rejected() == []
