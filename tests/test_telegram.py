"""Telegram buyers, through the real PTB Application and the real pipeline, against the fake Bot API."""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
import pytest
from telegram.error import BadRequest

from adapters.base import RetryLater, Unreachable
from adapters.chunks import split_text, utf16_units
from adapters.env import SettingsError
from adapters.pacing import Rate
from adapters.telegram import MAX_UNITS, SECRET_HEADER, TelegramChannel, TelegramSettings, TokenRejected
from adapters.telegram_send import Pace
from bot.message import Kind, Style
from tests.channel_fixtures import kefu_bot, fake_telegram, running, stored, translation_table, warm_detector  # noqa: F401
from tests.fakes import DEFAULT_TOKEN, FakeTelegram
from tests.fakes import telegram_factories as tf
from tests.fakes.telegram_rules import FloodLimits

SECRET = "s3cret-token_for-tests"
CYRILLIC = re.compile("[А-Яа-яЁё]")


FAST = Pace(private=Rate(1, 0.02), group=Rate(20, 0.5))  # Telegram's pace, 50 times faster: tests stay quick


def polling(fake: FakeTelegram, pace: Pace = FAST) -> TelegramSettings:
    return TelegramSettings(token=DEFAULT_TOKEN, base_url=f"{fake.url}/bot", pace=pace)


def webhook(fake: FakeTelegram) -> TelegramSettings:
    return TelegramSettings(
        token=DEFAULT_TOKEN, mode="webhook", webhook_url="https://kefu.example.com/telegram/hook",
        secret_token=SECRET, port=0, base_url=f"{fake.url}/bot", pace=FAST,
    )


@pytest.fixture
def help_text(brain):
    """Stands in for the core's help message (see the note on `help_text` in adapters/telegram.py)."""
    from replies.render import message_body

    async def text(language: str | None) -> str:
        return message_body(brain.answers, "help", language or "en", Style.CHAT).text

    return text


# ---- polling ------------------------------------------------------------------------------


async def test_a_buyer_asking_how_to_pay_gets_the_payment_methods(kefu_bot, fake_telegram, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=1001, first_name="Mia"))
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert sent[0]["chat_id"] == 1001
    assert "Western Union" in sent[0]["text"]
    assert "parse_mode" not in sent[0]  # plain text: nothing to escape
    message = kefu_bot.handle.messages[0]
    assert (message.channel, message.conversation, message.sender_name, message.kind) == ("telegram", "1001", "Mia", Kind.TEXT)
    assert message.external_id.startswith("1001:") and message.raw["message"]["text"] == "how can I pay?"
    assert kefu_bot.handle.replies[0].intent == "payment_methods"
    assert DEFAULT_TOKEN not in caplog.text  # httpx logs every URL; the token is redacted


async def test_the_same_update_delivered_twice_is_answered_once(kefu_bot, fake_telegram) -> None:
    update = tf.private_text_update("how can I pay?", chat_id=1002)
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(update)
        fake_telegram.push_update(update)  # Telegram re-sends it, e.g. after a restart
        replies = await kefu_bot.handle.wait(2)
        await fake_telegram.wait_for_async("sendMessage")
        await asyncio.sleep(0.3)  # time for a second answer, if there were one
    assert replies[1].duplicate and replies[1].outbox == replies[0].outbox  # the first answer, not a new one
    fake_telegram.assert_received_request_count("sendMessage", 1)
    assert len([m for m in await stored(kefu_bot.store, "telegram") if m.direction == "in"]) == 1


async def test_a_photo_gets_a_polite_answer_and_a_person_is_asked(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.photo_update("it arrived broken", chat_id=1003))
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert "photo" in sent[0]["text"] and sent[0]["chat_id"] == 1003
    assert kefu_bot.handle.replies[0].handoff
    incoming = [m for m in await stored(kefu_bot.store, "telegram") if m.direction == "in"]
    assert [(m.kind, m.text) for m in incoming] == [("photo", "it arrived broken")]


async def test_stickers_voice_and_files_are_handed_to_a_person(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.sticker_update(chat_id=1004))
        fake_telegram.push_update(tf.voice_update(chat_id=1005))
        fake_telegram.push_update(tf.document_update(caption="my invoice", chat_id=1006))
        await kefu_bot.handle.wait(3)
        await fake_telegram.wait_for_async("sendMessage", 3)
    kinds = {m.conversation: (m.kind, m.text) for m in kefu_bot.handle.messages}
    assert kinds == {"1004": (Kind.STICKER, ""), "1005": (Kind.VOICE, ""), "1006": (Kind.FILE, "my invoice")}
    assert all(reply.handoff and reply.text for reply in kefu_bot.handle.replies)


async def test_start_greets_help_lists_topics_and_human_calls_a_person(kefu_bot, fake_telegram, help_text) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram), help_text=help_text)
    async with running(channel):
        fake_telegram.push_update(tf.private_text_update("/start", chat_id=1007))
        fake_telegram.push_update(tf.private_text_update("/help", chat_id=1007))
        fake_telegram.push_update(tf.private_text_update("/human", chat_id=1007))
        sent = await fake_telegram.wait_for_async("sendMessage", 3)
    # /help is answered at once; the other two are the conversation's answers, in order, from the outbox
    help_message = next(s["text"] for s in sent if "payment methods" in s["text"])
    greeting, handoff = (s["text"] for s in sent if s["text"] != help_message)
    assert "welcome" in greeting.lower()
    assert "payment methods" in help_message and "returns" in help_message
    assert "colleague" in handoff
    assert [r.intent for r in kefu_bot.handle.replies] == ["greeting", "human_agent"]  # /help does not enter the chat log
    assert kefu_bot.handle.replies[1].handoff_reason is not None
    commands = fake_telegram.sent("setMyCommands")[0]["commands"]
    assert [c["command"] for c in commands] == ["help", "human"]


async def test_help_without_a_help_text_greets_instead_of_calling_a_person(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.private_text_update("/help", chat_id=1012))
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert "welcome" in sent[0]["text"].lower()
    assert (kefu_bot.handle.replies[0].intent, kefu_bot.handle.replies[0].handoff) == ("greeting", False)


async def test_a_russian_buyer_gets_the_answer_in_russian(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.private_text_update("Где мой заказ?", chat_id=1008, language_code="ru"))
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert CYRILLIC.search(sent[0]["text"]), sent[0]["text"]
    assert kefu_bot.handle.messages[0].language_hint == "ru"
    assert (kefu_bot.handle.replies[0].intent, kefu_bot.handle.replies[0].language) == ("order_status", "ru")


async def test_a_refused_send_is_logged_and_the_next_buyer_is_still_answered(kefu_bot, fake_telegram, caplog) -> None:
    fake_telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    channel.reject = kefu_bot.pipeline.reject
    async with running(channel):
        fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=1009))
        fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=1010))
        sent = await fake_telegram.wait_for_async("sendMessage", 2)
    answered = [s for s in sent if s["chat_id"] == 1010]  # chats are served in parallel: any order
    assert sorted(s["chat_id"] for s in sent) == [1009, 1010] and "Western Union" in answered[0]["text"]
    assert "blocked by the user" in caplog.text
    assert await kefu_bot.store.rejected() == []  # the update was readable: a send failure is not a rejected payload


async def test_group_chats_are_ignored(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    async with running(channel):
        fake_telegram.push_update(tf.group_topic_message_update("how can I pay?", chat_id=-100777, thread_id=5))
        fake_telegram.push_update(tf.private_text_update("how can I pay?", chat_id=1011))
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert [s["chat_id"] for s in sent] == [1011]
    assert [m.conversation for m in kefu_bot.handle.messages] == ["1011"]


# ---- webhook ------------------------------------------------------------------------------


async def test_webhook_with_the_right_secret_is_answered(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, webhook(fake_telegram))
    async with running(channel), httpx.AsyncClient() as client:
        hook = fake_telegram.sent("setWebhook")[0]
        assert (hook["url"], hook["secret_token"]) == ("https://kefu.example.com/telegram/hook", SECRET)
        url = f"http://127.0.0.1:{channel.server.port}/telegram/hook"
        update = tf.private_text_update("how can I pay?", chat_id=2001)
        response = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert sent[0]["chat_id"] == 2001 and "Western Union" in sent[0]["text"]


async def test_the_webhook_answers_only_once_the_update_is_stored(kefu_bot, fake_telegram) -> None:
    """200 means stored: if storing fails, Telegram hears 500 and delivers the update again."""
    down = {"store": True}

    async def handle(message, style):  # type: ignore[no-untyped-def]
        if down["store"]:
            raise ConnectionError("database unavailable")
        return await kefu_bot.handle(message, style)

    channel = TelegramChannel(handle, webhook(fake_telegram))
    channel.reject = kefu_bot.pipeline.reject
    async with running(channel), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{channel.server.port}/telegram/hook"
        update = tf.private_text_update("how can I pay?", chat_id=2004)
        failed = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
        down["store"] = False
        again = await client.post(url, json=update, headers={SECRET_HEADER: SECRET})
        stored_when_answered = [m for m in await stored(kefu_bot.store, "telegram") if m.direction == "in"]
    assert (failed.status_code, again.status_code) == (500, 200)
    assert len(stored_when_answered) == 1 and stored_when_answered[0].text == "how can I pay?"


async def test_webhook_with_a_wrong_secret_is_refused(kefu_bot, fake_telegram, caplog) -> None:
    channel = TelegramChannel(kefu_bot.handle, webhook(fake_telegram))
    async with running(channel), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{channel.server.port}/telegram/hook"
        update = tf.private_text_update("how can I pay?", chat_id=2002)
        wrong = await client.post(url, json=update, headers={SECRET_HEADER: "guess"})
        missing = await client.post(url, json=update)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert kefu_bot.handle.messages == [] and fake_telegram.sent() == []
    assert "secret token" in caplog.text and SECRET not in caplog.text


async def test_webhook_survives_a_malformed_body(kefu_bot, fake_telegram, caplog) -> None:
    channel = TelegramChannel(kefu_bot.handle, webhook(fake_telegram))
    channel.reject = kefu_bot.pipeline.reject
    async with running(channel), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{channel.server.port}/telegram/hook"
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        not_json = await client.post(url, content=b"{not json", headers=headers)
        not_an_update = await client.post(url, json={"message": "hi"}, headers=headers)
        fine = await client.post(url, json=tf.private_text_update("how can I pay?", chat_id=2003), headers=headers)
        sent = await fake_telegram.wait_for_async("sendMessage")
    assert (not_json.status_code, not_an_update.status_code, fine.status_code) == (400, 400, 200)
    assert "malformed update" in caplog.text
    assert [s["chat_id"] for s in sent] == [2003]
    kept = await kefu_bot.store.rejected()  # logged and kept, never lost
    assert [(r.channel, r.payload) for r in kept][0] == ("telegram", "{not json")
    assert len(kept) == 2 and all("malformed update" in r.error for r in kept)


# ---- long answers and settings ------------------------------------------------------------


async def test_an_answer_over_4096_characters_is_sent_in_parts(kefu_bot, fake_telegram) -> None:
    paragraphs = [f"Paragraph {n}: " + ("the parcel is on its way. " * 40).strip() for n in range(1, 6)]
    text = "\n\n".join(paragraphs)  # about 5,300 characters; three paragraphs fit in one message
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    fake_telegram.add_private_chat(3001)
    async with running(channel):
        for part in channel.split(text):
            await channel.send_text("3001", part)
    sent = [s["text"] for s in fake_telegram.sent()]
    assert len(sent) == 2 and all(len(s) <= MAX_UNITS for s in sent)
    assert sent == ["\n\n".join(paragraphs[:3]), "\n\n".join(paragraphs[3:])]


async def test_a_three_part_answer_into_a_flood_limited_chat_arrives_whole(kefu_bot) -> None:
    """Telegram refuses a second message within about a second in one private chat: parts wait their turn."""
    paragraphs = [f"Part {n}: " + ("customs are paid by the buyer. " * 130).strip() for n in range(1, 4)]
    with FakeTelegram(tokens=[DEFAULT_TOKEN], max_poll_wait=0.5, flood=FloodLimits(private_interval=0.3)) as fake:
        fake.add_private_chat(3002)
        channel = TelegramChannel(kefu_bot.handle, polling(fake, Pace(private=Rate(1, 0.35))))
        parts = channel.split("\n\n".join(paragraphs))
        for part in parts:
            await channel.send_text("3002", part)
        refused = [c for c in fake.requests if c.method == "sendMessage"]
    assert len(parts) == 3 and [s["text"] for s in fake.sent()] == parts
    assert len(refused) == 3  # not one 429 on the way


@pytest.mark.filterwarnings("ignore:.*retry_after:telegram.warnings.PTBDeprecationWarning")
async def test_refusals_are_raised_as_what_they_mean_for_the_outbox(kefu_bot, fake_telegram) -> None:
    channel = TelegramChannel(kefu_bot.handle, polling(fake_telegram))
    fake_telegram.add_private_chat(3003)
    fake_telegram.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryLater) as flood:
        await channel.send_text("3003", "hello")
    fake_telegram.block_user(3003)
    with pytest.raises(Unreachable, match="blocked by the user"):
        await channel.send_text("3003", "hello")
    with pytest.raises(Unreachable, match="(?i)chat not found"):
        await channel.send_text("3999", "a chat that never started the bot")
    fake_telegram.fail_next("sendMessage", 403, "Forbidden: user is deactivated")
    with pytest.raises(Unreachable, match="deactivated"):
        await channel.send_text("3003", "hello")
    fake_telegram.fail_next("sendMessage", 400, "Bad Request: message text is empty")
    with pytest.raises(BadRequest):  # a mistake of ours: neither wait-and-retry nor unreachable
        await channel.send_text("3004", "hello")
    assert flood.value.retry_after == 7 and "retry after 7" in flood.value.reason


def test_splitting_counts_emoji_as_telegram_does() -> None:
    pieces = split_text("😀" * 3000, MAX_UNITS, utf16_units)  # 6000 UTF-16 units
    assert [len(p) for p in pieces] == [2048, 952]


async def test_a_rejected_token_is_reported_without_quoting_it(kefu_bot, fake_telegram) -> None:
    settings = TelegramSettings(token="999:WRONG", base_url=f"{fake_telegram.url}/bot")
    with pytest.raises(TokenRejected) as err:
        await TelegramChannel(kefu_bot.handle, settings).serve()
    assert "999:WRONG" not in str(err.value)


def test_settings_from_the_environment() -> None:
    env = {
        "KEFU_TELEGRAM_TOKEN": "42:ABC", "KEFU_TELEGRAM_MODE": "webhook", "KEFU_TELEGRAM_WEBHOOK_URL": "https://x.example/tg",
        "KEFU_TELEGRAM_SECRET": "abc_DEF-1", "KEFU_TELEGRAM_LISTEN": "0.0.0.0", "KEFU_TELEGRAM_PORT": "8080",
        "KEFU_TELEGRAM_API_URL": "http://localhost:8081/bot",
    }
    settings = TelegramSettings.from_env(env)
    assert (settings.mode, settings.port, settings.listen, settings.webhook_path) == ("webhook", 8080, "0.0.0.0", "/tg")
    assert settings.base_file_url == "http://localhost:8081/file/bot"
    assert "42:ABC" not in repr(settings) and "abc_DEF-1" not in repr(settings)
    assert TelegramSettings.from_env({"KEFU_TELEGRAM_TOKEN": "42:ABC"}).mode == "polling"
    with pytest.raises(SettingsError, match="KEFU_TELEGRAM_SECRET"):
        TelegramSettings.from_env({**env, "KEFU_TELEGRAM_SECRET": ""})
    with pytest.raises(SettingsError, match="KEFU_TELEGRAM_TOKEN"):
        TelegramSettings.from_env({})
    with pytest.raises(SettingsError, match="KEFU_TELEGRAM_PORT"):
        TelegramSettings.from_env({**env, "KEFU_TELEGRAM_PORT": "https"})


async def test_a_photo_is_kept_for_the_agents_and_one_that_cannot_be_had_is_listed(kefu_bot, fake_telegram, tmp_path) -> None:  # noqa: F811
    from pathlib import Path

    update = tf.photo_update("it arrived broken", chat_id=1004)
    largest = update["message"]["photo"][-1]["file_id"]
    fake_telegram.add_file(largest, b"\xff\xd8\xff\xe0 a jpeg", "photos/file_7.jpg")
    missing = tf.photo_update(None, chat_id=1005)  # never uploaded: getFile refuses it
    environ = {"KEFU_TELEGRAM_TOKEN": DEFAULT_TOKEN, "KEFU_TELEGRAM_API_URL": f"{fake_telegram.url}/bot",
               "KEFU_TELEGRAM_ATTACHMENT_FOLDER": str(tmp_path / "files")}
    channel = TelegramChannel(kefu_bot.handle, TelegramSettings.from_env(environ))
    async with running(channel):
        fake_telegram.push_update(update)
        fake_telegram.push_update(missing)
        await kefu_bot.handle.wait(2)
    kept = {m.conversation: m.raw["attachments"] for m in kefu_bot.handle.messages}
    [photo] = kept["1004"]
    assert photo["content_type"] == "image/jpeg" and Path(photo["path"]).read_bytes() == b"\xff\xd8\xff\xe0 a jpeg"
    [lost] = kept["1005"]
    assert "path" not in lost and "invalid file_id" in lost["not_stored"].lower()
