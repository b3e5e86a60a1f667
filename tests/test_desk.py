"""Agents take over: claim, reply translated both ways, release; etiquette warnings; idle release."""

from datetime import timedelta

import pytest

from adapters.collect import CollectingChannel
from bot.config import Settings
from bot.serve.outbox import OutboxSender
from bot.desk.actions import AgentDesk, DeskError
from tests.factories import buyer_message


class Outbox:
    """The real outbox sender delivering to a collecting console channel, right when the desk writes."""

    def __init__(self, kefu) -> None:
        self.console = CollectingChannel("console")
        self.sender = OutboxSender(kefu.store, {"console": self.console}, kefu.clock)

    async def __call__(self) -> None:
        while await self.sender.send_due():
            pass

    @property
    def sent(self) -> list[tuple[str, str, str]]:
        return [("console", conversation, text) for conversation, text, _ in self.console.sent]

    @property
    def by_person(self) -> list[bool]:
        return [by_person for _, _, by_person in self.console.sent]


@pytest.fixture
def outbox(kefu):
    return Outbox(kefu)


@pytest.fixture
def desk(kefu, detector, outbox):
    return AgentDesk(kefu.store, kefu.pipeline.brains, detector, kefu.pipeline.translator, kefu.settings, kefu.clock, outbox)


async def hand_off_russian_buyer(kefu):
    reply = await kefu.pipeline.handle(buyer_message("Хочу поговорить с человеком", conversation="ru-1"))
    assert reply.handoff and reply.language == "ru"
    return await kefu.store.find_conversation("console", "ru-1")


async def test_russian_buyer_agent_replies_in_english_buyer_reads_russian(kefu, desk, outbox):
    conversation = await hand_off_russian_buyer(kefu)
    card = await desk.card(conversation.id)
    assert card.reason == "requested" and card.language == "ru" and card.country == "RU"
    assert card.culture and "New Year" in card.culture.notes
    assert card.lines[0].original == "Хочу поговорить с человеком"
    assert card.lines[0].translated == "I want to talk to a person"  # the agent reads English beside the original

    await desk.claim(conversation.id, "lina")
    assert outbox.sent[-1][:2] == ("console", "ru-1") and "lina" in outbox.sent[-1][2]

    sent = await desk.reply(conversation.id, "lina", "Your parcel left our warehouse yesterday.")
    assert sent.text == "Ваша посылка вчера покинула наш склад."  # the agent sees the outgoing translation
    assert outbox.sent[-1][2] == sent.text and outbox.by_person[-1]  # a person wrote it (no Auto-Submitted mail)

    # while the agent holds it, the bot stays quiet
    quiet = await kefu.pipeline.handle(buyer_message("Спасибо, жду", conversation="ru-1"))
    assert quiet.text is None

    await desk.release(conversation.id, "lina")
    released = outbox.sent[-1][2]
    assert released != sent.text and any("а" <= ch <= "я" for ch in released.lower())  # told, in Russian
    back = await kefu.pipeline.handle(buyer_message("Где мой заказ?", conversation="ru-1"))
    assert back.intent == "order_status" and back.text  # the bot answers again


async def test_two_agents_claim_at_once_one_wins(kefu, desk):
    conversation = await hand_off_russian_buyer(kefu)
    await desk.claim(conversation.id, "lina")
    with pytest.raises(DeskError, match="already claimed by lina"):
        await desk.claim(conversation.id, "wang")
    with pytest.raises(DeskError, match="held by lina"):
        await desk.release(conversation.id, "wang")


async def test_assign_and_reply_without_translation(kefu, desk, outbox):
    conversation = await hand_off_russian_buyer(kefu)
    await desk.assign(conversation.id, "lead", "wang")
    sent = await desk.reply(conversation.id, "wang", "Privet! OK", translate=False)
    assert sent.text == "Privet! OK" and outbox.sent[-1][2] == "Privet! OK"


async def test_an_agent_writing_chinese_is_translated_for_the_buyer(kefu, detector, outbox):
    settings = Settings(translator="none", agent_language="zh-cn")
    desk = AgentDesk(kefu.store, kefu.pipeline.brains, detector, kefu.pipeline.translator, settings, kefu.clock, outbox)
    conversation = await hand_off_russian_buyer(kefu)
    sent = await desk.reply(conversation.id, "wang", "您的包裹昨天已经发出了。")
    assert sent.text == "Ваша посылка была отправлена вчера."


async def test_etiquette_warning_before_sending(kefu, desk, outbox):
    conversation = await hand_off_russian_buyer(kefu)
    sent = await desk.reply(conversation.id, "lina", "Big sale on Friday the 13th!")
    assert sent.text is None and any("13" in w for w in sent.warnings)
    assert not any("распродажа" in text for _, _, text in outbox.sent)  # nothing went out
    confirmed = await desk.reply(conversation.id, "lina", "Big sale on Friday the 13th!", confirm=True)
    assert confirmed.text == "Большая распродажа в пятницу 13-го!"  # the text itself is never changed


async def test_disputes_and_key_customers_go_first(kefu, desk, monkeypatch):
    monkeypatch.setattr(kefu.settings, "key_customers", ["vip-buyer"])
    await kefu.pipeline.handle(buyer_message("can you write me a poem about the sea?", conversation="a"))
    await kefu.pipeline.handle(buyer_message("I opened a dispute, you never answered", conversation="b"))
    key = await kefu.pipeline.handle(buyer_message("how can I pay?", conversation="c", sender="vip-buyer"))
    assert key.handoff_reason == "key_customer"
    queue = await desk.queue()
    assert [c.external_id for c in queue] == ["b", "c", "a"]


async def test_an_idle_held_chat_goes_back_to_the_bot(kefu, desk, outbox):
    conversation = await hand_off_russian_buyer(kefu)
    await desk.claim(conversation.id, "lina")
    kefu.clock.now += timedelta(minutes=kefu.settings.idle_release_minutes + 1)
    assert await desk.release_idle() == [conversation.id]
    assert (await kefu.store.conversation(conversation.id)).state == "bot"


async def test_a_held_back_reply_goes_out_once_when_the_agent_sends_it_anyway(kefu, desk, outbox):
    conversation = await hand_off_russian_buyer(kefu)
    held = await desk.reply(conversation.id, "lina", "Big sale on Friday the 13th!")
    assert held.draft and held.held == "Большая распродажа в пятницу 13-го!"  # the agent sees what would go out
    sent = await desk.send_draft(held.draft, "lina")
    assert sent.text == held.held and outbox.sent[-1][2] == held.held
    with pytest.raises(DeskError, match="already sent"):
        await desk.send_draft(held.draft, "lina")
    assert (await desk.last_from_buyer(conversation.id)).text == "Хочу поговорить с человеком"
