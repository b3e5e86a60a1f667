"""Prove the fakes speak the real APIs: drive them with the production client libraries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from tests.fakes import DEFAULT_TOKEN, FakeSlack, FakeTelegram, UploadedFile
from tests.fakes import slack_factories as sf
from tests.fakes import telegram_factories as tf
from tests.fakes.slack_api import BOT_USER_ID, DEFAULT_USER_ID

SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram(tokens=[DEFAULT_TOKEN]) as fake:
        yield fake


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def make_bot(tg: FakeTelegram, token: str = DEFAULT_TOKEN) -> Bot:
    return Bot(token, base_url=f"{tg.url}/bot", base_file_url=f"{tg.url}/file/bot")


# ---- Telegram ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_bot_get_me_and_send_message(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        me = await bot.get_me()
        msg = await bot.send_message(chat_id=42, text="Hi there")
    assert (me.id, me.username, me.is_bot) == (123456, "kefu_test_bot", True)
    assert msg.text == "Hi there" and msg.chat_id == 42 and msg.message_id > 0
    assert tg.sent() == [{"chat_id": 42, "text": "Hi there"}]


@pytest.mark.asyncio
async def test_application_polling_text_command_and_callback(tg: FakeTelegram) -> None:
    app = Application.builder().token(DEFAULT_TOKEN).base_url(f"{tg.url}/bot").build()

    async def echo(update: Update, context: object) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    async def start(update: Update, context: object) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        await update.message.reply_text("Welcome!", reply_markup=keyboard)

    async def on_button(update: Update, context: object) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(f"You chose {update.callback_query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.05, timeout=1)
    try:
        tg.push_update(tf.private_text_update("hello", chat_id=7))
        tg.push_update(tf.private_text_update("/start", chat_id=7))
        sent = await tg.wait_for_async("sendMessage", count=2)
        tg.push_update(tf.callback_query_update("yes", chat_id=7))
        edited = await tg.wait_for_async("editMessageText")
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert [(s["chat_id"], s["text"]) for s in sent] == [(7, "echo: hello"), (7, "Welcome!")]
    assert sent[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert edited[0]["text"] == "You chose yes"
    assert len(tg.sent("answerCallbackQuery")) == 1


@pytest.mark.asyncio
async def test_get_updates_offset_semantics_and_webhook_conflict(tg: FakeTelegram) -> None:
    first = tg.push_update(tf.private_text_update("one"))
    tg.push_update(tf.private_text_update("two"))
    async with make_bot(tg) as bot:
        got = await bot.get_updates(timeout=0)
        assert [u.message.text for u in got] == ["one", "two"]
        got = await bot.get_updates(offset=first["update_id"] + 1, timeout=0)
        assert [u.message.text for u in got] == ["two"]  # "one" confirmed and dropped
        assert await bot.set_webhook("https://example.invalid/hook")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        assert (await bot.get_webhook_info()).url == "https://example.invalid/hook"
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert await bot.get_updates(timeout=0) == ()


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning")
async def test_edit_topics_commands_chat_and_errors(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        msg = await bot.send_message(chat_id=42, text="v1")
        edited = await bot.edit_message_text("v2", chat_id=42, message_id=msg.message_id)
        assert edited.text == "v2" and edited.edit_date is not None
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("v2", chat_id=42, message_id=msg.message_id)
        topic = await bot.create_forum_topic(chat_id=-1001234, name="Ticket #1")
        assert topic.name == "Ticket #1" and topic.message_thread_id > 0
        in_topic = await bot.send_message(-1001234, "hi", message_thread_id=topic.message_thread_id)
        assert in_topic.is_topic_message and in_topic.message_thread_id == topic.message_thread_id
        await bot.set_my_commands([("start", "Start"), ("help", "Help")], language_code="de")
        assert [c.command for c in await bot.get_my_commands(language_code="de")] == ["start", "help"]
        assert await bot.get_my_commands() == ()
        assert await bot.delete_my_commands(language_code="de")
        assert (await bot.get_chat(-1001234)).is_forum
        assert await bot.send_chat_action(42, "typing")
        assert await bot.close() and await bot.log_out()
        tg.block_user(99)
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(99, "anyone?")
        tg.fail_next("sendMessage", retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "flood")


@pytest.mark.asyncio
async def test_multipart_upload_and_file_download(tg: FakeTelegram) -> None:
    async with make_bot(tg) as bot:
        msg = await bot.send_document(42, document=b"%PDF-1.4 test", filename="a.pdf", caption="c")
        upload = tg.sent("sendDocument")[0]
        assert isinstance(upload["document"], UploadedFile)
        assert upload["document"].data == b"%PDF-1.4 test" and upload["caption"] == "c"
        assert upload["chat_id"] == 42
        file = await bot.get_file(msg.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 test"
        voice = tf.voice_update()
        tg.add_file(voice["message"]["voice"]["file_id"], b"OggS...")
        file = await bot.get_file(voice["message"]["voice"]["file_id"])
        assert bytes(await file.download_as_bytearray()) == b"OggS..."


def test_raw_errors_use_real_format(tg: FakeTelegram) -> None:
    r = httpx.post(f"{tg.url}/bot{DEFAULT_TOKEN}/noSuchMethod", json={})
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    r = httpx.post(f"{tg.url}/bot999:WRONG/getMe")
    assert (r.status_code, r.json()["description"]) == (401, "Unauthorized")
    r = httpx.get(f"{tg.url}/bot{DEFAULT_TOKEN}/SENDMESSAGE", params={"chat_id": 5, "text": "q"})
    assert r.json()["result"]["text"] == "q" and tg.sent() == [{"chat_id": 5, "text": "q"}]


def test_factories_parse_as_ptb_objects() -> None:
    bot = Bot(DEFAULT_TOKEN)
    text = Update.de_json(tf.private_text_update("/start ref", language_code="de"), bot)
    assert text.message.text == "/start ref" and text.effective_user.language_code == "de"
    assert filters.COMMAND.check_update(text)
    assert Update.de_json(tf.photo_update("look"), bot).message.photo[-1].width == 800
    assert Update.de_json(tf.sticker_update(), bot).message.sticker.emoji == "👍"
    assert Update.de_json(tf.voice_update(5), bot).message.voice.to_dict()["duration"] == 5
    assert Update.de_json(tf.document_update(), bot).message.document.file_name == "invoice.pdf"
    assert Update.de_json(tf.callback_query_update("buy"), bot).callback_query.data == "buy"
    topic = Update.de_json(tf.group_topic_message_update("hi", -100555, 12), bot).message
    assert topic.is_topic_message and topic.message_thread_id == 12
    assert tf.private_text_update("a")["update_id"] < tf.private_text_update("b")["update_id"]


# ---- Slack ---------------------------------------------------------------------------------


def test_web_client_post_update_users_and_reactions(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    assert client.auth_test()["user_id"] == BOT_USER_ID
    first = client.chat_postMessage(channel="D0KEFU001", text="Hello")
    second = client.chat_postMessage(channel="D0KEFU001", text="Again", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100" and second["ts"] > first["ts"]
    assert second["message"]["thread_ts"] == first["ts"]
    assert client.chat_update(channel="D0KEFU001", ts=first["ts"], text="Edited")["text"] == "Edited"
    user = client.users_info(user=DEFAULT_USER_ID, include_locale=True)["user"]
    assert (user["profile"]["real_name"], user["tz"], user["locale"]) == (
        "Test Customer", "Europe/Berlin", "en-US")
    dm = client.conversations_open(users=DEFAULT_USER_ID)["channel"]["id"]
    assert client.conversations_info(channel=dm)["channel"]["is_im"]
    assert client.chat_postEphemeral(channel=dm, user=DEFAULT_USER_ID, text="psst")["ok"]
    client.reactions_add(channel=dm, timestamp=first["ts"], name="eyes")
    with pytest.raises(SlackApiError) as err:
        client.reactions_add(channel=dm, timestamp=first["ts"], name="eyes")
    assert err.value.response["error"] == "already_reacted"
    with pytest.raises(SlackApiError):
        client.users_info(user="UNOBODY")
    assert slack.calls("chat.postMessage")[0] == {"channel": "D0KEFU001", "text": "Hello"}
    slack.assert_received_request_count("chat.postMessage", 2)
    headers = slack.requests[0].headers
    assert headers.get("Authorization") == "Bearer xoxb-test"


def test_web_client_errors(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    with pytest.raises(SlackApiError) as err:
        client.apps_connections_open(app_token="xoxb-test")
    assert err.value.response["error"] == "not_allowed_token_type"
    slack.fail_next("chat.postMessage", retry_after=2)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "2"
    with pytest.raises(SlackApiError) as err:
        WebClient(token=None, base_url=f"{slack.url}/api/").auth_test()
    assert err.value.response["error"] == "not_authed"


@pytest.mark.asyncio
async def test_async_web_client(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    resp = await client.chat_postMessage(
        channel="C0SUPPORT", text="hi",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}],
    )
    assert resp["channel"] == "C0SUPPORT" and resp["message"]["blocks"][0]["type"] == "section"
    assert (await client.users_info(user=DEFAULT_USER_ID))["user"]["tz_offset"] == 3600
    assert (await slack.wait_for_async("users.info"))[0]["user"] == DEFAULT_USER_ID


def test_signed_headers_verify_with_slack_sdk() -> None:
    body = sf.json_body(sf.message_event("hi"))
    headers = sf.signed_request_headers(body, SIGNING_SECRET)
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)


def test_bolt_app_handles_factory_requests(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    app = App(signing_secret=SIGNING_SECRET, client=client, process_before_response=True)

    @app.event("message")
    def on_message(event: dict, say) -> None:  # type: ignore[no-untyped-def]
        say(f"got: {event['text']}")

    @app.event("app_mention")
    def on_mention(event: dict, say) -> None:  # type: ignore[no-untyped-def]
        say(text="mentioned", thread_ts=event["ts"])

    @app.action("rate")
    def on_rate(ack, body, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        respond(f"thanks for {body['actions'][0]['value']}")

    def dispatch(body: bytes) -> int:
        headers = sf.signed_request_headers(body, SIGNING_SECRET)
        return app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status

    challenge = dispatch(sf.json_body(sf.url_verification("abc123")))
    assert challenge == 200
    assert dispatch(sf.json_body(sf.message_event("where is my order?"))) == 200
    assert dispatch(sf.json_body(sf.app_mention_event("help"))) == 200
    payload = sf.block_actions_payload("rate", "5", response_url=slack.response_url)
    assert json.loads(parse_qs(payload.decode())["payload"][0])["actions"][0]["value"] == "5"
    assert dispatch(payload) == 200
    posts = slack.wait_for("chat.postMessage", count=2)
    assert posts[0]["channel"] == sf.DEFAULT_DM_CHANNEL
    assert posts[0]["text"] == "got: where is my order?"
    assert posts[1]["text"] == "mentioned" and posts[1]["thread_ts"]
    assert slack.wait_for("response_url")[0]["text"] == "thanks for 5"
    bad = sf.signed_request_headers(b"{}", "wrong-secret")
    assert app.dispatch(BoltRequest(body="{}", headers=bad)).status == 401
