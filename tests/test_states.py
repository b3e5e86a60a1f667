"""One state machine: conditional transitions, races lost visibly, every way back to the bot alike."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest

from bot.conversation import states
from bot.conversation.states import LostRace
from bot.desk.actions import AgentDesk, DeskError
from bot.language.translate import NoTranslator
from bot.store.database import Store
from tests.factories import buyer_message


async def conversation_of(kefu, text: str, conversation: str = "chat-1", **kw):
    await kefu.pipeline.handle(buyer_message(text, conversation=conversation, **kw))
    return await kefu.store.find_conversation(kw.get("channel", "console"), conversation)


async def test_a_transition_from_a_stale_read_fails_instead_of_overwriting(kefu):
    conversation = await conversation_of(kefu, "hello")
    await kefu.store.transition(conversation.id, states.claim("bob", kefu.clock()))
    with pytest.raises(LostRace) as lost:
        await kefu.store.commit(conversation, states.buyer_wrote(kefu.clock(), misses=0), version=conversation.version)
    assert (lost.value.state, lost.value.agent) == ("held", "bob")
    assert (await kefu.store.conversation(conversation.id)).agent == "bob"


async def test_two_agents_claiming_at_once_one_wins(kefu, db_url):
    conversation = await conversation_of(kefu, "I want to talk to a human")
    other = await Store.open(db_url)
    try:
        results = await asyncio.gather(
            kefu.store.transition(conversation.id, states.claim("lina", kefu.clock())),
            other.transition(conversation.id, states.claim("wang", kefu.clock())),
            return_exceptions=True,
        )
    finally:
        await other.close()
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, LostRace)]
    assert len(won) == 1 and len(lost) == 1
    assert lost[0].agent == won[0].agent


async def test_an_idle_release_forgets_priority_like_a_release(kefu, detector):
    desk = AgentDesk(kefu.store, kefu.pipeline.brains, detector, kefu.pipeline.translator, kefu.settings, kefu.clock)
    conversation = await conversation_of(kefu, "I opened a dispute, you never answered")
    assert (await kefu.store.conversation(conversation.id)).priority == 1
    await desk.claim(conversation.id, "lina")
    kefu.clock.now += timedelta(minutes=kefu.settings.idle_release_minutes + 1)
    assert await desk.release_idle() == [conversation.id]
    after = await kefu.store.conversation(conversation.id)
    assert (after.state, after.priority, after.handoff_reason, after.agent) == ("bot", 0, None, None)
    reply = await kefu.pipeline.handle(buyer_message("how can I pay?", conversation="chat-1"))
    assert reply.intent == "payment_methods" and not reply.handoff  # the bot answers again


async def test_a_buyer_writing_to_a_held_chat_does_not_keep_it_from_idling(kefu, detector):
    desk = AgentDesk(kefu.store, kefu.pipeline.brains, detector, kefu.pipeline.translator, kefu.settings, kefu.clock)
    conversation = await conversation_of(kefu, "I want to talk to a human")
    await desk.claim(conversation.id, "lina")
    kefu.clock.now += timedelta(minutes=kefu.settings.idle_release_minutes + 1)
    await kefu.pipeline.handle(buyer_message("hello? anyone?", conversation="chat-1"))
    assert await desk.release_idle() == [conversation.id]


async def test_only_the_holder_releases_a_held_chat(kefu, detector):
    desk = AgentDesk(kefu.store, kefu.pipeline.brains, detector, kefu.pipeline.translator, kefu.settings, kefu.clock)
    conversation = await conversation_of(kefu, "I want to talk to a human")
    await desk.claim(conversation.id, "lina")
    with pytest.raises(DeskError, match="held by lina"):
        await desk.close(conversation.id, "wang")
    await desk.assign(conversation.id, "lina", "wang")
    await desk.close(conversation.id, "wang")
    assert (await kefu.store.conversation(conversation.id)).state == "bot"


class ClaimingTranslator(NoTranslator):
    """Bob claims the chat while the buyer's message is being understood (the race, made certain)."""

    def __init__(self, store: Store, clock) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.store, self.clock, self.conversation_id = store, clock, None

    async def translate(self, text: str, source: str, target: str) -> str | None:
        if self.conversation_id is not None:
            await self.store.transition(self.conversation_id, states.claim("bob", self.clock()))
            self.conversation_id = None
        return None


async def test_an_agent_claim_during_the_pipeline_is_never_overwritten(kefu, db_url):
    """The claim commits between the pipeline reading the conversation and writing its decision:
    the bot must see it and stay quiet, every time (200 rounds on PostgreSQL)."""
    rounds = 200 if "postgresql" in db_url else 40
    agent_store = await Store.open(db_url)
    translator = ClaimingTranslator(agent_store, kefu.clock)
    kefu.pipeline.translator = translator
    overwritten = 0
    try:
        for number in range(rounds):
            chat = f"race-{number}"
            first = await conversation_of(kefu, "Хочу поговорить с человеком", conversation=chat, hint="ru")
            await agent_store.transition(first.id, states.release(None, kefu.clock()))  # back to the bot
            translator.conversation_id = first.id
            reply = await kefu.pipeline.handle(buyer_message("Где мой заказ?", conversation=chat, hint="ru"))
            after = await kefu.store.conversation(first.id)
            overwritten += after.state != "held" or after.agent != "bob" or reply.text is not None
    finally:
        await agent_store.close()
    assert translator.conversation_id is None  # the claim really happened mid-pipeline
    assert overwritten == 0


async def test_claims_racing_real_buyer_messages_always_stick(kefu, db_url):
    """Truly concurrent: claims from another connection land at random moments of the pipeline."""
    agent_store = await Store.open(db_url)
    rng = random.Random(7)
    lost_claims = 0
    try:
        for number in range(40):
            chat = f"live-{number}"
            conversation = await conversation_of(kefu, "hello", conversation=chat)

            async def claim_later() -> bool:
                await asyncio.sleep(rng.random() * 0.02)
                try:
                    await agent_store.transition(conversation.id, states.claim("bob", kefu.clock()))
                    return True
                except LostRace:
                    return False

            won, _ = await asyncio.gather(claim_later(), kefu.pipeline.handle(buyer_message("how can I pay?", conversation=chat)))
            after = await kefu.store.conversation(conversation.id)
            lost_claims += won and (after.state, after.agent) != ("held", "bob")
    finally:
        await agent_store.close()
    assert lost_claims == 0
