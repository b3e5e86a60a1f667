"""Agents in Telegram: a forum topic per handoff in the agents' group, buyers on their own Telegram chat.

The Runner wires it all as `kefu run` does; the shop's bot and the desk bot each talk to a fake Bot API
(two fakes, as two bots polling one server would take each other's updates).
"""

from __future__ import annotations

import asyncio

import itertools
import time
from typing import Any

import pytest

from adapters.desk_telegram import TelegramDeskSettings
from adapters.env import SettingsError
from bot.serve.runner import Runner
from tests.channel_fixtures import fake_telegram, running, warm_detector  # noqa: F401
from tests.desk_fixtures import (  # noqa: F401
    AGENT_REPLY, AGENT_REPLY_RU, FRIDAY_13, FRIDAY_13_RU, HANDOFF, HANDOFF_EN, LATER, LATER_EN, ORDER,
    desk_ref_of, desk_table, kefu_app, rejected_rows, until, with_text,
)
from tests.fakes import DEFAULT_TOKEN, FakeTelegram
from tests.fakes import telegram_factories as tf

DESK_TOKEN = "654321:DESK"
GROUP = -1007770001
BUYER = 5001
LINA, WANG = 9001, 9002
NAMES = {LINA: ("Lina", "lina_c"), WANG: ("Wang", "wang_w")}
_ids = itertools.count(500)
FAST = {"KEFU_TELEGRAM_PACE_PRIVATE": "1/0.02", "KEFU_TELEGRAM_PACE_GROUP": "20/0.5"}  # 50 times Telegram's pace


@pytest.fixture
def desk_fake():  # type: ignore[no-untyped-def]
    with FakeTelegram(tokens=[DESK_TOKEN], max_poll_wait=0.5) as fake:
        fake.add_forum(GROUP)
        yield fake


class Team:
    def __init__(self, runner: Runner, shop: FakeTelegram, desk: FakeTelegram) -> None:
        self.runner, self.shop, self.desk = runner, shop, desk

    def buyer(self, text: str) -> None:
        self.shop.push_update(tf.private_text_update(text, chat_id=BUYER, first_name="Ivan", language_code="ru"))

    async def thread(self) -> int:
        conversation = await self.conversation()
        return int(conversation.desk_ref.rsplit(":", 1)[1])

    async def conversation(self) -> Any:
        return await self.runner.kefu.store.find_conversation("telegram", str(BUYER))

    async def agent(self, user: int, text: str) -> None:
        first, username = NAMES[user]
        update = tf.group_topic_message_update(text, chat_id=GROUP, thread_id=await self.thread(), user_id=user, first_name=first)
        update["message"]["from"]["username"] = username
        self.desk.push_update(update)

    def press(self, user: int, under: dict[str, Any], data: str) -> None:
        """An agent pressing a button under a message the desk bot sent (`under`: that sendMessage call)."""
        first, username = NAMES[user]
        bot = {"id": 654321, "is_bot": True, "first_name": "Kefu Desk", "username": "kefu_desk_bot"}
        message = {
            "message_id": next(_ids), "from": bot, "chat": {"id": GROUP, "type": "supergroup", "title": "Agents", "is_forum": True},
            "date": int(time.time()), "message_thread_id": under["message_thread_id"], "is_topic_message": True,
            "text": under["text"], "reply_markup": under["reply_markup"],
        }
        user_json = {"id": user, "is_bot": False, "first_name": first, "username": username}
        query = {"id": str(next(_ids)), "from": user_json, "message": message, "chat_instance": "-77", "data": data}
        self.desk.push_update({"callback_query": query})

    # what people see
    def to_buyer(self, *parts: str) -> list[dict[str, Any]]:
        return with_text([c for c in self.shop.sent() if c["chat_id"] == BUYER], *parts)

    def in_topic(self, *parts: str) -> list[dict[str, Any]]:
        return with_text([c for c in self.desk.sent() if c["chat_id"] == GROUP], *parts)

    def cards(self) -> list[dict[str, Any]]:
        return [c for c in self.desk.sent() if "Claim" in str(c.get("reply_markup"))]


def data_of(call: dict[str, Any]) -> list[str]:
    return [button["callback_data"] for row in call["reply_markup"]["inline_keyboard"] for button in row]


@pytest.fixture
async def team(kefu_app, fake_telegram, desk_fake, request):  # type: ignore[no-untyped-def]
    """`parametrize("team", [{...}], indirect=True)` adds environment settings."""
    environ = {
        "KEFU_TELEGRAM_TOKEN": DEFAULT_TOKEN, "KEFU_TELEGRAM_API_URL": f"{fake_telegram.url}/bot",
        "KEFU_TELEGRAM_DESK_CHAT": str(GROUP), "KEFU_TELEGRAM_DESK_TOKEN": DESK_TOKEN,
        "KEFU_TELEGRAM_DESK_API_URL": f"{desk_fake.url}/bot", **FAST, **getattr(request, "param", {}),
    }
    runner = Runner(kefu_app, ["telegram"], environ)
    async with running(runner.channels["telegram"], runner.sender), running(runner.desks["telegram"]):
        yield Team(runner, fake_telegram, desk_fake)


async def hand_off(team: Team) -> dict[str, Any]:
    team.buyer(HANDOFF)
    card = (await until(team.cards, what="the card in a new topic"))[0]
    await desk_ref_of(team.runner.kefu.store, "telegram", str(BUYER))
    return card


async def test_a_russian_buyer_handed_off_is_answered_by_an_agent_in_english(team: Team) -> None:
    card = await hand_off(team)
    [topic] = team.desk.calls("createForumTopic")
    assert topic["chat_id"] == GROUP and topic["name"] == "Ivan · Telegram · ru"
    assert card["message_thread_id"] == await team.thread()
    assert f"{HANDOFF}\n   ↳ {HANDOFF_EN}" in card["text"]  # the agent's English under the buyer's Russian
    assert "Culture note, Russia" in card["text"] and "New Year" in card["text"]
    conversation_id = (await team.conversation()).id
    assert data_of(card) == [f"desk:{a}:{conversation_id}" for a in ("claim", "release", "close")]
    [menu] = team.desk.calls("setMyCommands")  # the commands, in the agents' group menu only
    assert menu["scope"] == {"type": "chat", "chat_id": GROUP} and "raw" in str(menu["commands"])

    team.press(LINA, card, f"desk:claim:{conversation_id}")
    await until(lambda: team.to_buyer("Lina"), what="the buyer told Lina joined")
    await until(lambda: team.desk.calls("answerCallbackQuery"), what="the button press answered")
    edited = await until(lambda: with_text(team.desk.calls("editMessageText"), "claimed by Lina"))
    assert "Claim" in str(edited[0]["reply_markup"])  # the card keeps its buttons

    await team.agent(LINA, AGENT_REPLY)
    await until(lambda: team.to_buyer(AGENT_REPLY_RU), what="the Russian reply on the buyer's chat")
    shown = await until(lambda: team.in_topic(f"→ sent to buyer (ru): {AGENT_REPLY_RU}"))
    assert shown[0]["message_thread_id"] == await team.thread()

    team.buyer(LATER)
    later = await until(lambda: team.in_topic(LATER), what="the later buyer message in the topic")
    assert LATER_EN in later[0]["text"]
    assert not team.to_buyer("Спасибо")  # the bot keeps quiet while Lina holds the chat

    team.press(LINA, card, f"desk:release:{conversation_id}")
    await until(lambda: team.to_buyer("снова"), what="the buyer told the bot is back")
    answers = len(team.to_buyer())
    team.buyer(ORDER)
    await until(lambda: len(team.to_buyer()) > answers, what="the bot answering again")
    assert (await team.conversation()).state == "bot"


async def test_two_agents_claiming_at_once_one_wins_the_other_is_alerted(team: Team) -> None:
    card = await hand_off(team)
    conversation_id = (await team.conversation()).id
    team.press(LINA, card, f"desk:claim:{conversation_id}")
    team.press(WANG, card, f"desk:claim:{conversation_id}")
    alerts = await until(lambda: [c for c in team.desk.calls("answerCallbackQuery") if c.get("show_alert")])
    winner = (await team.conversation()).agent
    assert alerts[0]["text"] == f"⛔ already claimed by {winner}"
    await until(lambda: len(team.desk.calls("answerCallbackQuery")) == 2)
    await until(lambda: team.to_buyer(winner), what="the buyer told who joined (through the outbox)")
    await asyncio.sleep(0.3)  # time for a second notice, if there were one
    assert len(team.to_buyer(winner)) == 1 and len(team.in_topic("took this conversation")) == 1


async def test_an_etiquette_warning_holds_the_reply_until_send_anyway(team: Team) -> None:
    await hand_off(team)
    await team.agent(LINA, "/claim")
    await until(lambda: team.to_buyer("Lina"))
    await team.agent(LINA, FRIDAY_13)
    warning = (await until(lambda: team.in_topic("Not sent yet"), what="the warning"))[0]
    assert "“13” is best avoided with buyers in Russia" in warning["text"]
    assert not team.to_buyer(FRIDAY_13_RU)
    [send] = data_of(warning)
    assert send.startswith("desk:send:")
    team.press(LINA, warning, send)
    await until(lambda: team.to_buyer(FRIDAY_13_RU), what="the reply sent anyway")
    await until(lambda: with_text(team.desk.calls("editMessageText"), "(sent anyway by Lina)"))  # the button is gone
    await until(lambda: team.in_topic(f"→ sent to buyer (ru): {FRIDAY_13_RU}"))


async def test_commands_in_the_topic_raw_assign_and_original(team: Team) -> None:
    await hand_off(team)
    await team.agent(LINA, "/claim@kefu_desk_bot")
    await until(lambda: team.in_topic("Lina took this conversation"))
    team.press(WANG, team.cards()[0], f"desk:claim:{(await team.conversation()).id}")  # Wang learns his name is known
    await until(lambda: [c for c in team.desk.calls("answerCallbackQuery") if c.get("show_alert")])
    await team.agent(LINA, "/assign @wang_w")
    await until(lambda: team.in_topic("Lina assigned this conversation to Wang"))
    await team.agent(WANG, "/raw Privet! OK")
    await until(lambda: team.to_buyer("Privet! OK"), what="the untranslated reply")
    assert team.to_buyer()[-1]["text"] == "Privet! OK"
    await until(lambda: team.in_topic("→ sent to buyer (ru, as written): Privet! OK"))

    await team.agent(LINA, "/original")  # anyone may read; the answer replies to the command
    original = await until(lambda: team.in_topic("exactly as written", HANDOFF))
    assert original[0].get("reply_parameters") and original[0]["message_thread_id"] == await team.thread()
    await team.agent(LINA, "/nonsense")
    await until(lambda: team.in_topic("there is no /nonsense"))
    await team.agent(WANG, "/close")
    await until(lambda: team.in_topic("Wang closed this conversation"))


async def test_the_shops_own_bot_can_be_the_desk(kefu_app, fake_telegram) -> None:  # noqa: F811
    environ = {
        "KEFU_TELEGRAM_TOKEN": DEFAULT_TOKEN, "KEFU_TELEGRAM_API_URL": f"{fake_telegram.url}/bot",
        "KEFU_TELEGRAM_DESK_CHAT": str(GROUP), **FAST,
    }
    fake_telegram.add_forum(GROUP)
    runner = Runner(kefu_app, ["telegram"], environ)
    team = Team(runner, fake_telegram, fake_telegram)
    async with running(runner.channels["telegram"]):
        await runner.desks["telegram"].serve()  # returns at once: the buyer channel serves it
        await hand_off(team)
        await team.agent(LINA, "/claim")
        await until(lambda: team.to_buyer("Lina"))
        await team.agent(LINA, AGENT_REPLY)
        await until(lambda: team.to_buyer(AGENT_REPLY_RU))
        # the shop's bot also receives the buttons' callback queries
        team.press(LINA, team.cards()[0], f"desk:release:{(await team.conversation()).id}")
        await until(lambda: team.to_buyer("снова"), what="the buyer told the bot is back")
        assert (await team.conversation()).state == "bot"


def test_desk_settings_name_what_to_fix() -> None:
    with pytest.raises(SettingsError, match="KEFU_TELEGRAM_DESK_CHAT must be the agents' supergroup id"):
        TelegramDeskSettings.from_env({"KEFU_TELEGRAM_DESK_CHAT": "@agents", "KEFU_TELEGRAM_TOKEN": "1:a"})
    with pytest.raises(SettingsError, match="KEFU_TELEGRAM_DESK_TOKEN"):
        TelegramDeskSettings.from_env({"KEFU_TELEGRAM_DESK_CHAT": str(GROUP)})
    shared = TelegramDeskSettings.from_env({"KEFU_TELEGRAM_DESK_CHAT": str(GROUP), "KEFU_TELEGRAM_TOKEN": "1:a"})
    assert shared.shared and shared.chat_id == GROUP
    own = TelegramDeskSettings.from_env(
        {"KEFU_TELEGRAM_DESK_CHAT": str(GROUP), "KEFU_TELEGRAM_TOKEN": "1:a", "KEFU_TELEGRAM_DESK_TOKEN": "2:b"}
    )
    assert not own.shared and own.token == "2:b"


# ---- who may act ----------------------------------------------------------------------------


async def test_a_desk_button_forged_in_a_buyers_private_chat_claims_nothing(team: Team) -> None:
    await hand_off(team)
    conversation = await team.conversation()
    team.desk.push_update(tf.callback_query_update(f"desk:claim:{conversation.id}", chat_id=BUYER, first_name="Mallory"))
    answered = await team.desk.wait_for_async("answerCallbackQuery")
    kept = await rejected_rows(team.runner.kefu.store, 1)
    assert answered[0]["show_alert"] and "agents" in answered[0]["text"]
    assert (await team.conversation()).state == "waiting" and not team.to_buyer("Mallory")
    assert "not an agent in the desk" in kept[0].error and "Mallory" in kept[0].payload


@pytest.mark.parametrize("team", [{"KEFU_DESK_AGENTS": "@lina_c"}], indirect=True)
async def test_with_a_list_of_agents_only_they_act_in_the_topic(team: Team) -> None:
    card = await hand_off(team)
    team.press(WANG, card, f"desk:claim:{(await team.conversation()).id}")
    await team.agent(WANG, "/claim")
    assert len(await rejected_rows(team.runner.kefu.store, 2)) == 2 and (await team.conversation()).state == "waiting"
    await team.agent(LINA, "/claim")
    await until(lambda: team.to_buyer("Lina"), what="the listed agent's claim")


async def test_buyer_text_that_looks_like_a_desk_command_stays_buyer_text(team: Team) -> None:
    team.buyer("/claim")
    deadline = asyncio.get_running_loop().time() + 10
    while (conversation := await team.conversation()) is None or not await team.runner.kefu.store.messages(conversation.id):
        assert asyncio.get_running_loop().time() < deadline, "the buyer's /claim was never stored"
        await asyncio.sleep(0.02)
    stored = await team.runner.kefu.store.messages(conversation.id)
    assert [(m.direction, m.text) for m in stored][0] == ("in", "/claim")
    assert conversation.state != "held" and not team.in_topic("took this conversation")


async def test_a_buyer_who_blocked_the_bot_is_shown_to_the_agents(team: Team) -> None:
    team.shop.block_user(BUYER)  # the buyer blocked the shop's bot
    team.buyer("how can I pay?")
    warning = await until(lambda: team.in_topic("Not delivered to the buyer"), what="the failure shown in the desk")
    assert "blocked" in warning[0]["text"]
    conversation = await team.conversation()
    assert (conversation.state, conversation.handoff_reason) == ("waiting", "unreachable")
    assert conversation.unreachable_at is not None
    assert team.cards()  # a card, so an agent can take it
