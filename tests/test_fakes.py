"""Prove the fakes speak the real APIs: drive them with the production client libraries."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from tests.fakes import DEFAULT_TOKEN, FakeSlack, FakeTelegram, UploadedFile
from tests.fakes import slack_factories as sf
from tests.fakes import telegram_factories as tf
from tests.fakes.slack_api import BOT_USER_ID, DEFAULT_USER_ID
from tests.fakes.telegram_rules import FloodLimits

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
    tg.add_private_chat(42)
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
    tg.add_private_chat(42)
    tg.add_private_chat(99)
    tg.add_forum(-1001234)
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
    tg.add_private_chat(42)
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
    tg.add_private_chat(5)
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


# ---- refusals the real services make (tests/fakes/README.md names the source of each) -------


@pytest.mark.asyncio
@pytest.mark.parametrize(("text", "parse_mode", "refusal"), [
    ("Total: 5.00", "MarkdownV2", "Character '.' is reserved and must be escaped"),
    ("*bold", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
    ("<foo>x</foo>", "HTML", 'Unsupported start tag "foo" at byte offset 0'),
    ("<b>x", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
    ("hello", "Markdown3", "unsupported parse_mode"),
    ("a" * 4097, None, "message is too long"),
    ("😀" * 2049, None, "message is too long"),  # 4098 UTF-16 code units
    ("<b></b>", "HTML", "message text is empty"),
])
async def test_telegram_refuses_text_it_cannot_parse_or_that_is_too_long(tg: FakeTelegram, text, parse_mode, refusal) -> None:
    tg.add_private_chat(42)
    async with make_bot(tg) as bot:
        with pytest.raises(BadRequest, match=f"(?i){re.escape(refusal)}"):
            await bot.send_message(42, text, parse_mode=parse_mode)


@pytest.mark.asyncio
async def test_telegram_counts_length_after_entity_parsing(tg: FakeTelegram) -> None:
    tg.add_private_chat(42)
    async with make_bot(tg) as bot:
        sent = await bot.send_message(42, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
        escaped = await bot.send_message(42, "5\\.00 \\& more", parse_mode="MarkdownV2")
        with pytest.raises(BadRequest, match="(?i)message caption is too long"):
            await bot.send_document(42, document=b"x", filename="a.txt", caption="c" * 1025)
    assert sent.message_id and escaped.message_id


@pytest.mark.asyncio
async def test_telegram_refuses_unknown_chats_topics_and_long_callback_data(tg: FakeTelegram) -> None:
    tg.add_forum(-100500)
    async with make_bot(tg) as bot:
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.send_message(31337, "a chat that never wrote to the bot")
        with pytest.raises(BadRequest, match="(?i)message thread not found"):
            await bot.send_message(-100500, "hi", message_thread_id=777)
        topic = await bot.create_forum_topic(-100500, "Ticket")
        assert await bot.send_message(-100500, "hi", message_thread_id=topic.message_thread_id)
        for data in ("d" * 65, "я" * 33):  # 65 and 66 bytes
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])
            with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
                await bot.send_message(-100500, "press", reply_markup=keyboard)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="d" * 64)]])
        assert await bot.send_message(-100500, "press", reply_markup=keyboard)


@pytest.mark.asyncio
@pytest.mark.parametrize(("commands", "refusal"), [
    ([("Help", "Capital letters")], "BOT_COMMAND_INVALID"),
    ([("a" * 33, "Too long a command")], "BOT_COMMAND_INVALID"),
    ([("help", " ")], "command description must be non-empty"),
    ([("help", "d" * 257)], "BOT_COMMAND_DESCRIPTION_INVALID"),
    ([(f"c{n}", "many") for n in range(101)], "BOT_COMMANDS_TOO_MUCH"),
])
async def test_telegram_refuses_invalid_command_menus(tg: FakeTelegram, commands, refusal) -> None:
    async with make_bot(tg) as bot:
        with pytest.raises(BadRequest, match=f"(?i){refusal}"):
            await bot.set_my_commands(commands)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await bot.set_my_commands([("help", "Help")], scope=BotCommandScopeChat(-100999))


@pytest.mark.asyncio
async def test_telegram_a_second_poller_terminates_the_first_with_409(tg: FakeTelegram) -> None:
    async with make_bot(tg) as first, make_bot(tg) as second:
        waiting = asyncio.create_task(first.get_updates(timeout=1))
        await asyncio.sleep(0.2)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning")
async def test_telegram_flood_limits_answer_429_with_retry_after() -> None:
    limits = FloodLimits(private_interval=0.5, group_per_window=2, window=0.5)
    with FakeTelegram(tokens=[DEFAULT_TOKEN], flood=limits) as tg:
        tg.add_private_chat(42)
        tg.add_forum(-100500)
        async with make_bot(tg) as bot:
            await bot.send_message(42, "one")
            with pytest.raises(RetryAfter) as flood:
                await bot.send_message(42, "two, at once")
            await asyncio.sleep(0.5)
            await bot.send_message(42, "two, a moment later")
            await bot.send_message(-100500, "1")
            await bot.send_message(-100500, "2")
            with pytest.raises(RetryAfter):
                await bot.send_message(-100500, "3: over 2 per window")
    assert flood.value.retry_after in (1, dt.timedelta(seconds=1))  # PTB 21 gives seconds, 22 a timedelta
    refused = [r for r in tg.requests if r.method == "sendMessage"]
    assert len(refused) == 6 and tg.sent()[1]["text"] == "two, at once"


@pytest.mark.asyncio
async def test_slack_refuses_blocks_over_block_kits_limits(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x"}}
    cases = [
        ([section] * 51, ["no more than 50 items allowed [json-pointer:/blocks]"]),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
         ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]),
        ([{"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"},
                                             "action_id": "a" * 256, "value": "v" * 2001}]}],
         ["must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
          "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"]),
    ]
    for blocks, errors in cases:
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C0SUPPORT", text="card", blocks=blocks)
        assert refused.value.response["error"] == "invalid_blocks"
        assert refused.value.response["errors"] == errors
        assert refused.value.response["response_metadata"]["messages"] == [f"[ERROR] {e}" for e in errors]
    assert await client.chat_postMessage(channel="C0SUPPORT", text="card", blocks=[section] * 50)


@pytest.mark.asyncio
async def test_slack_refuses_unknown_or_archived_channels_and_bad_threads(slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
    slack.add_channel("C0OLD", archived=True)
    for channel, thread, error in (("C0NOWHERE", None, "channel_not_found"), ("C0OLD", None, "is_archived"),
                                   ("C0SUPPORT", "yesterday", "invalid_thread_ts")):
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel=channel, text="hi", thread_ts=thread)
        assert refused.value.response["error"] == error


@pytest.mark.asyncio
async def test_slack_refuses_a_method_the_token_has_no_scope_for() -> None:
    with FakeSlack(scopes={"users:read"}) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
        granted = await client.auth_test()
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C0SUPPORT", text="hi")
    assert granted.headers["x-oauth-scopes"] == "users:read"
    assert (refused.value.response["error"], refused.value.response["needed"]) == ("missing_scope", "chat:write")
    assert refused.value.response["provided"] == "users:read"


@pytest.mark.asyncio
async def test_slack_rate_limits_posts_per_channel_with_retry_after() -> None:
    with FakeSlack(rate_limit=0.5) as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=f"{slack.url}/api/")
        await client.chat_postMessage(channel="C0SUPPORT", text="one")
        assert await client.chat_postMessage(channel="D0KEFU001", text="another channel: fine")
        with pytest.raises(SlackApiError) as limited:
            await client.chat_postMessage(channel="C0SUPPORT", text="two, at once")
        await asyncio.sleep(0.5)
        assert await client.chat_postMessage(channel="C0SUPPORT", text="two, a moment later")
    assert limited.value.response.status_code == 429 and limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "1"
