"""Agents in Slack: cards in the agents' channel, the conversation in the card's thread, buyers on their own channel.

Everything runs for real — the Runner's wiring, Bolt behind uvicorn, the pipeline — against the fake Web API.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.desk_slack import SlackDesk, SlackDeskSettings
from bot.desk.actions import Card, Line
from bot.store.models import Conversation
from adapters.env import SettingsError
from adapters.slack import EVENTS_PATH
from bot.serve.runner import Runner
from tests.channel_fixtures import fake_slack, running, warm_detector  # noqa: F401
from tests.desk_fixtures import (  # noqa: F401
    AGENT_REPLY, AGENT_REPLY_RU, FRIDAY_13, FRIDAY_13_RU, HANDOFF, HANDOFF_EN, LATER, LATER_EN, ORDER,
    desk_ref_of, desk_table, kefu_app, rejected_rows, until, with_text,
)
from tests.fakes import FakeSlack
from tests.fakes import slack_factories as sf

SECRET = "slack-signing-secret-for-desk-tests"
FAST = "1/0.02"  # Slack's pace per channel, 50 times faster: tests stay quick
DESK = "C0AGENTS"
BUYER, BUYER_DM = "U0IVAN", "D0IVAN"
LINA, WANG, MALLORY = "U0LINA", "U0WANG", "U0MALLORY"


def environment(fake: FakeSlack) -> dict[str, str]:
    return {
        "KEFU_SLACK_BOT_TOKEN": "xoxb-test", "KEFU_SLACK_SIGNING_SECRET": SECRET, "KEFU_SLACK_PORT": "0",
        "KEFU_SLACK_API_URL": f"{fake.url}/api/", "KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_PACE": FAST,
    }


class Team:
    """The buyer and the agents, talking to kefu the way Slack delivers them: signed POSTs."""

    def __init__(self, runner: Runner, fake: FakeSlack, client: httpx.AsyncClient) -> None:
        self.runner, self.fake, self.client = runner, fake, client
        self.url = f"http://127.0.0.1:{runner.channels['slack'].server.port}{EVENTS_PATH}"  # type: ignore[attr-defined]

    async def _post(self, body: bytes) -> None:
        response = await self.client.post(self.url, content=body, headers=sf.signed_request_headers(body, SECRET))
        assert response.status_code == 200

    async def buyer(self, text: str) -> None:
        await self._post(sf.json_body(sf.message_event(text, user=BUYER, channel=BUYER_DM)))

    async def agent(self, user: str, text: str) -> None:
        envelope = sf.message_event(text, user=user, channel=DESK, channel_type="channel", thread_ts=await self.thread())
        await self._post(sf.json_body(envelope))

    async def press(self, user: str, action: str, value: str | None = None) -> None:
        value = value or str((await self.conversation()).id)
        await self._post(sf.block_actions_payload(f"kefu_desk_{action}", value, user=user, channel=DESK, message_ts=await self.thread()))

    async def conversation(self) -> Any:
        return await self.runner.kefu.store.find_conversation("slack", BUYER_DM)

    async def thread(self) -> str:
        return (await self.conversation()).desk_ref.split(":", 2)[2]

    # what people see
    def to_buyer(self, *parts: str) -> list[dict[str, Any]]:
        return with_text([c for c in self.fake.calls("chat.postMessage") if c["channel"] == BUYER_DM], *parts)

    def in_thread(self, *parts: str) -> list[dict[str, Any]]:
        return with_text([c for c in self.fake.calls("chat.postMessage") if c["channel"] == DESK and c.get("thread_ts")], *parts)

    def cards(self) -> list[str]:
        calls = self.fake.calls("chat.postMessage") + self.fake.calls("chat.update")
        calls = [c for c in calls if c["channel"] == DESK and not c.get("thread_ts")]
        return [shown(call) for call in calls]


def shown(call: dict[str, Any]) -> str:
    """What an agent reads in a message with blocks (Slack's escaping undone)."""
    texts = [block["text"]["text"] for block in call.get("blocks") or [] if block["type"] == "section"]
    return "\n".join(texts).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def buttons(call: dict[str, Any]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in call["blocks"] if b["type"] == "actions" for e in b["elements"]}


@pytest.fixture
async def team(kefu_app, fake_slack, request):  # type: ignore[no-untyped-def]
    """`parametrize("team", [{...}], indirect=True)` adds environment settings."""
    fake_slack.add_user(BUYER, real_name="Ivan Petrov", locale="ru-RU", tz="Europe/Moscow")
    fake_slack.add_user(LINA, real_name="Lina Chen")
    fake_slack.add_user(WANG, real_name="Wang Wei")
    fake_slack.add_channel(DESK)
    fake_slack.add_channel(BUYER_DM)
    runner = Runner(kefu_app, ["slack"], {**environment(fake_slack), **getattr(request, "param", {})})
    async with running(runner.channels["slack"], runner.sender), httpx.AsyncClient() as client:
        yield Team(runner, fake_slack, client)


async def hand_off(team: Team) -> None:
    await team.buyer(HANDOFF)
    await until(lambda: team.cards(), what="the desk card")
    await desk_ref_of(team.runner.kefu.store, "slack", BUYER_DM)


async def test_a_russian_buyer_handed_off_is_answered_by_an_agent_in_english(team: Team) -> None:
    await hand_off(team)
    card = team.cards()[0]
    assert f"{HANDOFF}\n   ↳ {HANDOFF_EN}" in card  # the agent's English under the buyer's Russian
    assert "Ivan Petrov (U0IVAN) on Slack" in card and "Russian (ru)" in card and "the buyer asked for a person" in card
    assert "Culture note, Russia" in card and "New Year" in card
    card_call = [c for c in team.fake.calls("chat.postMessage") if c["channel"] == DESK][0]
    assert set(buttons(card_call)) == {"kefu_desk_claim", "kefu_desk_release", "kefu_desk_close"}

    await team.press(LINA, "claim")
    await until(lambda: team.to_buyer("Lina"), what="the buyer told Lina joined")  # in Russian, from the answers
    assert "claimed by Lina" in (await until(lambda: [c for c in team.cards() if "claimed by Lina" in c]))[0]

    await team.agent(LINA, AGENT_REPLY)
    await until(lambda: team.to_buyer(AGENT_REPLY_RU), what="the Russian reply on the buyer's channel")
    await until(lambda: team.in_thread(f"→ sent to buyer (ru): {AGENT_REPLY_RU}"), what="the outgoing translation")

    await team.buyer(LATER)
    later = await until(lambda: team.in_thread(LATER), what="the later buyer message")
    assert LATER_EN in later[0]["text"]  # translated, under the original
    assert not team.to_buyer("Спасибо")  # the bot keeps quiet while Lina holds the chat

    await team.press(LINA, "release")
    await until(lambda: team.to_buyer("снова"), what="the buyer told the bot is back")
    answers = len(team.to_buyer())
    await team.buyer(ORDER)
    await until(lambda: len(team.to_buyer()) > answers, what="the bot answering again")
    assert (await team.conversation()).state == "bot"


async def test_two_agents_claiming_at_once_one_wins_the_other_is_told(team: Team) -> None:
    await hand_off(team)
    await asyncio.gather(team.press(LINA, "claim"), team.press(WANG, "claim"))
    told = await until(lambda: team.fake.calls("chat.postEphemeral"), what="the loser told")
    winner = (await team.conversation()).agent
    assert winner in ("Lina", "Wang")
    assert len(told) == 1 and told[0]["user"] == (WANG if winner == "Lina" else LINA)
    assert told[0]["text"] == f"⛔ already claimed by {winner}" and told[0]["thread_ts"] == await team.thread()
    await until(lambda: team.to_buyer(winner), what="the buyer told who joined")  # the winner's notice may still be on its way
    await until(lambda: team.in_thread("took this conversation"), what="the thread told")
    assert len(team.to_buyer(winner)) == 1 and len(team.in_thread("took this conversation")) == 1


async def test_an_etiquette_warning_holds_the_reply_until_send_anyway(team: Team) -> None:
    await hand_off(team)
    await team.press(LINA, "claim")
    await until(lambda: team.to_buyer("Lina"))
    await team.agent(LINA, FRIDAY_13)
    warning = (await until(lambda: team.in_thread("Not sent yet"), what="the warning"))[0]
    assert "“13” is best avoided with buyers in Russia" in warning["text"] and FRIDAY_13_RU in warning["text"]
    assert not team.to_buyer(FRIDAY_13_RU)  # nothing went out

    [(action, value)] = buttons(warning).items()
    assert action == "kefu_desk_send"
    await team.press(LINA, "send", value)
    await until(lambda: team.to_buyer(FRIDAY_13_RU), what="the reply sent anyway")
    await until(lambda: team.in_thread(f"→ sent to buyer (ru): {FRIDAY_13_RU}"))
    await team.press(LINA, "send", value)  # a second press sends nothing twice
    await until(lambda: team.fake.calls("chat.postEphemeral"))
    assert len(team.to_buyer(FRIDAY_13_RU)) == 1


async def test_commands_in_the_thread_raw_assign_and_original(team: Team) -> None:
    await hand_off(team)
    await team.agent(LINA, "!claim")
    await until(lambda: team.in_thread("Lina took this conversation"))
    await team.agent(LINA, f"!assign <@{WANG}>")
    await until(lambda: team.in_thread("Lina assigned this conversation to Wang"))
    await team.agent(WANG, "!raw Privet! &lt;ok&gt; &amp; see <https://shop.example/t/1>")  # as Slack delivers it
    await until(lambda: team.to_buyer("Privet!"), what="the untranslated reply")
    assert team.to_buyer()[-1]["text"] == "Privet! &lt;ok&gt; &amp; see https://shop.example/t/1"  # as typed, escaped again for Slack
    await until(lambda: team.in_thread("→ sent to buyer (ru, as written): Privet!"))

    await team.agent(LINA, "reply from someone else")
    refused = await until(lambda: team.fake.calls("chat.postEphemeral"))
    assert refused[0]["user"] == LINA and "held by Wang" in refused[0]["text"]
    await team.agent(WANG, "!original")
    shown_original = await until(lambda: with_text(team.fake.calls("chat.postEphemeral"), HANDOFF))
    assert shown_original[0]["user"] == WANG
    await team.agent(WANG, "!close")
    await until(lambda: team.in_thread("Wang closed this conversation"))
    assert (await team.conversation()).state == "bot"


async def test_a_claimed_chat_nobody_answers_goes_back_to_the_bot_and_the_thread_says_so(team: Team) -> None:
    await hand_off(team)
    await team.press(LINA, "claim")
    await until(lambda: team.to_buyer("Lina"))
    team.runner.kefu.pipeline.clock.now += timedelta(minutes=team.runner.kefu.settings.idle_release_minutes + 1)
    assert await team.runner.release_idle() == [(await team.conversation()).id]
    assert team.in_thread("Nobody answered for 120 minutes")
    await until(lambda: team.to_buyer("снова"), what="the buyer told the bot is back (through the outbox)")


def test_desk_settings_name_what_to_fix() -> None:
    with pytest.raises(SettingsError, match="KEFU_SLACK_DESK_CHANNEL must be the agents' channel id"):
        SlackDeskSettings.from_env({"KEFU_SLACK_DESK_CHANNEL": "#agents", "KEFU_SLACK_BOT_TOKEN": "xoxb-1"})
    with pytest.raises(SettingsError, match="KEFU_SLACK_DESK_SIGNING_SECRET"):
        SlackDeskSettings.from_env({"KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_DESK_BOT_TOKEN": "xoxb-desk"})
    shared = SlackDeskSettings.from_env(
        {"KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_BOT_TOKEN": "xoxb-1", "KEFU_SLACK_SIGNING_SECRET": "s"}
    )
    assert shared.shared and shared.slack.port == 3000
    own = SlackDeskSettings.from_env({
        "KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_BOT_TOKEN": "xoxb-1", "KEFU_SLACK_DESK_BOT_TOKEN": "xoxb-desk",
        "KEFU_SLACK_DESK_SIGNING_SECRET": "d",
    })
    assert not own.shared and own.slack.bot_token == "xoxb-desk" and own.slack.port == 3001


async def test_a_desk_app_of_its_own_serves_its_own_endpoint(kefu_app, fake_slack) -> None:  # noqa: F811
    from bot.desk.actions import AgentDesk
    from tests.factories import buyer_message

    fake_slack.add_user(LINA, real_name="Lina Chen")
    fake_slack.add_channel(DESK)
    settings = SlackDeskSettings.from_env({
        "KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_DESK_BOT_TOKEN": "xoxb-desk", "KEFU_SLACK_DESK_SIGNING_SECRET": SECRET,
        "KEFU_SLACK_DESK_PORT": "0", "KEFU_SLACK_API_URL": f"{fake_slack.url}/api/", "KEFU_SLACK_DESK_PACE": FAST,
    })
    p = kefu_app.pipeline
    desk = SlackDesk(AgentDesk(kefu_app.store, kefu_app.brains, p.detector, p.translator, kefu_app.settings, p.clock), settings)
    p.listeners.append(desk.on_event)
    await p.handle(buyer_message(HANDOFF, conversation="ru-1"))
    conversation = await kefu_app.store.find_conversation("console", "ru-1")
    assert conversation.desk_ref.startswith(f"slack:{DESK}:")
    async with running(desk), httpx.AsyncClient() as client:
        body = sf.block_actions_payload("kefu_desk_claim", str(conversation.id), user=LINA, channel=DESK)
        url = f"http://127.0.0.1:{desk.server.port}{EVENTS_PATH}"  # type: ignore[union-attr]
        response = await client.post(url, content=body, headers=sf.signed_request_headers(body, SECRET))
        assert response.status_code == 200
        await until(lambda: with_text(fake_slack.calls("chat.postMessage"), "took this conversation"))
        elsewhere = sf.json_body(sf.message_event("lunch?", user=LINA, channel="C0RANDOM", channel_type="channel"))
        response = await client.post(url, content=elsewhere, headers=sf.signed_request_headers(elsewhere, SECRET))
        assert response.status_code == 200  # acked, so Slack does not retry it; nothing to do
    assert all(call.get("thread_ts") or call.get("blocks") for call in fake_slack.calls("chat.postMessage"))


# ---- who may act, and cards Slack accepts ---------------------------------------------------


async def test_a_click_from_another_channel_by_a_stranger_claims_nothing_and_is_kept(team: Team) -> None:
    await hand_off(team)
    conversation = await team.conversation()
    forged = sf.block_actions_payload("kefu_desk_claim", str(conversation.id), user=MALLORY, channel="C0RANDOM")
    await team._post(forged)
    kept = await rejected_rows(team.runner.kefu.store, 1)
    assert (await team.conversation()).state == "waiting" and not team.to_buyer("Mallory")
    assert len(kept) == 1 and "not an agent in the desk channel" in kept[0].error and MALLORY in kept[0].payload


@pytest.mark.parametrize("team", [{"KEFU_DESK_AGENTS": f"{LINA}"}], indirect=True)
async def test_with_a_list_of_agents_only_they_act_in_the_desk(team: Team) -> None:
    await hand_off(team)
    await team.press(WANG, "claim")  # in the desk channel, but not on the list
    await team.agent(WANG, "!claim")
    assert len(await rejected_rows(team.runner.kefu.store, 2)) == 2
    assert (await team.conversation()).state == "waiting"
    await team.press(LINA, "claim")
    await until(lambda: team.to_buyer("Lina"), what="the listed agent's claim")


async def test_buyer_text_that_looks_like_a_desk_command_stays_buyer_text(team: Team) -> None:
    await team.buyer("!claim")
    conversation = await until_stored(team, "!claim")
    assert conversation.state != "held" and conversation.agent is None
    assert not team.in_thread("took this conversation") and await team.runner.kefu.store.rejected() == []


async def until_stored(team: Team, text: str, timeout: float = 10.0) -> Any:
    """The buyer's conversation once `text` is stored in it as the buyer's message."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        conversation = await team.conversation()
        if conversation is not None:
            stored = await team.runner.kefu.store.messages(conversation.id)
            if [m.text for m in stored if m.direction == "in"] == [text]:
                return conversation
        assert asyncio.get_running_loop().time() < deadline, f"{text!r} was never stored as the buyer's"
        await asyncio.sleep(0.02)


async def test_a_card_full_of_ampersands_and_brackets_fits_block_kit(kefu_app, fake_slack) -> None:  # noqa: F811
    desk = own_desk(kefu_app, fake_slack)
    lines = [Line("in", "<&>" * 94, "<&>" * 94) for _ in range(6)]  # 282 characters a line: 1,400 once escaped
    ref = await desk.open_card(card_of(lines))
    [call] = fake_slack.calls("chat.postMessage")
    sections = [b["text"]["text"] for b in call["blocks"] if b["type"] == "section"]
    assert ref.startswith(f"slack:{DESK}:")
    assert len(sections) >= 3 and all(len(text) <= 3000 for text in sections)
    assert set(buttons(call)) == {"kefu_desk_claim", "kefu_desk_release", "kefu_desk_close"}
    assert shown(call).count("<&>") == 6 * 2 * 93  # every line there, clipped like any card line


async def test_a_card_slack_still_refuses_is_shown_as_text_and_the_thread_says_why(kefu_app, fake_slack) -> None:  # noqa: F811
    desk = own_desk(kefu_app, fake_slack)
    fake_slack.fail_next("chat.postMessage", "invalid_blocks")
    ref = await desk.open_card(card_of([Line("in", "Where is my parcel?", None)]))
    refused, plain, note = fake_slack.calls("chat.postMessage")
    assert refused.get("blocks") and not plain.get("blocks") and "Where is my parcel?" in plain["text"]
    assert note["thread_ts"] == ref.rsplit(":", 1)[1] != ""
    assert "Slack refused this card's buttons (invalid_blocks)" in note["text"] and "!claim" in note["text"]


def own_desk(kefu_app: Any, fake: FakeSlack) -> SlackDesk:
    from bot.desk.actions import AgentDesk

    fake.add_channel(DESK)
    settings = SlackDeskSettings.from_env({
        "KEFU_SLACK_DESK_CHANNEL": DESK, "KEFU_SLACK_DESK_BOT_TOKEN": "xoxb-desk", "KEFU_SLACK_DESK_SIGNING_SECRET": SECRET,
        "KEFU_SLACK_DESK_PORT": "0", "KEFU_SLACK_API_URL": f"{fake.url}/api/", "KEFU_SLACK_DESK_PACE": FAST,
    })
    p = kefu_app.pipeline
    return SlackDesk(AgentDesk(kefu_app.store, kefu_app.brains, p.detector, p.translator, kefu_app.settings, p.clock), settings)


def card_of(lines: list[Line]) -> Card:
    conversation = Conversation(id=7, channel="slack", buyer=BUYER, buyer_name="Ivan", state="waiting", language="ru")
    return Card(conversation, "requested", "ru", "RU", True, None, None, lines)
