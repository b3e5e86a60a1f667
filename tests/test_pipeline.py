"""The pipeline end to end, as buyers see it, on SQLite and PostgreSQL."""

from bot.conversation import states
from bot.message import Kind, Style
from tests.conftest import OUT_OF_HOURS
from tests.factories import buyer_message


async def say(kefu, text, style=Style.CHAT, **kw):
    return await kefu.pipeline.handle(buyer_message(text, **kw), style)


async def test_a_payment_question_gets_the_payment_answer(kefu):
    reply = await say(kefu, "hi, can i pay with visa or western union?")
    assert reply.intent == "payment_methods"
    assert "Western Union" in reply.text and "MasterCard" in reply.text
    assert not reply.handoff


async def test_facts_are_filled_into_answers(kefu):
    reply = await say(kefu, "when will you ship my order?")
    assert reply.intent == "dispatch_time"
    assert "2–4" in reply.text and "{" not in reply.text


async def test_everything_is_stored_in_and_out(kefu):
    await say(kefu, "how long does delivery to Canada take?", conversation="c-store")
    conversation = await kefu.store.find_conversation("console", "c-store")
    stored = await kefu.store.messages(conversation.id)
    assert [m.direction for m in stored] == ["in", "out"]
    incoming, outgoing = stored
    assert (incoming.status, incoming.intent, incoming.language) == ("processed", "delivery_time", "en")
    assert incoming.pivot == "how long does delivery to Canada take?"
    assert "25–60" in outgoing.text


async def test_a_russian_buyer_gets_the_answer_in_russian(kefu):
    reply = await say(kefu, "Сколько идет доставка в Москву?")
    assert reply.language == "ru"
    assert reply.intent == "delivery_time"
    assert "25–60" in reply.text
    assert any("а" <= ch <= "я" for ch in reply.text.lower())


async def test_out_of_scope_is_handed_off_not_forced(kefu):
    reply = await say(kefu, "can you write me a poem about the sea?")
    assert reply.intent is None
    assert reply.handoff and reply.handoff_reason == "no_match"
    assert "colleague" in reply.text


async def test_a_message_the_model_takes_for_out_of_scope_is_not_asked_again(kefu, monkeypatch):
    # the poem's best intent scores within UNSURE_MARGIN of a threshold of 30, but the model puts it out of
    # scope (probability ~0.9): asking the buyer to rephrase it would get the same poem request back
    matcher = kefu.pipeline.brains.brain.matcher
    monkeypatch.setattr(matcher, "threshold", 30.0)
    reply = await say(kefu, "can you write me a poem about the sea?")
    assert reply.intent is None and reply.handoff and reply.handoff_reason == "no_match"


async def test_a_buyer_who_asks_for_a_person_is_handed_off(kefu):
    reply = await say(kefu, "I want to talk to a real person please")
    assert reply.intent == "human_agent" and reply.handoff_reason == "requested"
    conversation = await kefu.store.find_conversation("console", "chat-1")
    assert conversation.state == "waiting"


async def test_an_angry_buyer_is_handed_off_with_the_reason(kefu):
    reply = await say(kefu, "WHERE IS MY ORDER YOU SCAMMERS, I PAID THREE WEEKS AGO")
    assert reply.handoff and reply.handoff_reason == "angry"
    assert reply.intent == "order_status"  # still answered: the buyer hears what we can say now


async def test_a_dispute_goes_to_the_front_of_the_queue(kefu):
    reply = await say(kefu, "I opened a dispute on aliexpress because you never answered")
    assert reply.intent == "dispute" and reply.handoff_reason == "dispute"
    conversation = await kefu.store.find_conversation("console", "chat-1")
    assert conversation.priority == 1


async def test_out_of_hours_the_buyer_learns_when_someone_is_back(kefu):
    kefu.clock.now = OUT_OF_HOURS
    reply = await say(kefu, "I want to talk to a human")
    assert reply.out_of_hours
    assert "UTC" in reply.text  # the buyer's zone is unknown: UTC and the shop's time
    again = await say(kefu, "can you write me a poem?")
    assert not again.out_of_hours  # once per absence: no auto-reply storm


async def test_out_of_hours_the_bot_still_answers_what_it_can(kefu):
    kefu.clock.now = OUT_OF_HOURS
    reply = await say(kefu, "do you ship to Brazil?")
    assert reply.intent == "shipping_countries" and not reply.handoff and not reply.out_of_hours


async def test_a_held_chat_keeps_the_bot_quiet(kefu):
    await say(kefu, "hello")
    conversation = await kefu.store.find_conversation("console", "chat-1")
    await kefu.store.transition(conversation.id, states.claim("lina", kefu.clock()))
    reply = await say(kefu, "how can I pay?")
    assert reply.text is None
    assert (await kefu.store.messages(conversation.id))[-1].text == "how can I pay?"  # stored all the same


async def test_a_duplicate_delivery_is_answered_once(kefu):
    message = buyer_message("how can I pay?", external_id="tg:42:1")
    first = await kefu.pipeline.handle(message, Style.CHAT)
    second = await kefu.pipeline.handle(message, Style.CHAT)
    # the redelivery gets the answer written the first time: the same outbox row, not a second answer
    assert first.text and not first.duplicate
    assert second.duplicate and second.text == first.text and second.outbox == first.outbox
    conversation = await kefu.store.find_conversation("console", "chat-1")
    assert [m.direction for m in await kefu.store.messages(conversation.id)] == ["in", "out"]


async def test_a_letter_has_greeting_body_and_signature(kefu):
    reply = await say(kefu, "Do you accept PayPal?", name="Maria Lopez", style=Style.LETTER)
    assert reply.text.startswith("Dear Maria Lopez,")
    assert "Western Union" in reply.text
    assert reply.text.rstrip().endswith("Sunrise Trading customer service")


async def test_unsure_twice_then_a_person(kefu):
    """Both messages score a little below the threshold (about 47 and 49 against 55): the first is asked to
    rephrase, the second goes to a person."""
    first = await say(kefu, "hmm order thing?")
    second = await say(kefu, "order??")
    assert first.intent is None and first.handoff is False
    assert second.intent is None and second.handoff and second.handoff_reason == "no_match"


async def test_bad_input_never_crashes_and_is_stored(kefu):
    cases = {
        "empty": "",
        "huge": "where is my order " * 6000,
        "binary": "\x00\x01\x02\xff\xfe garbage \x1b[31m",
        "emoji": "😀😀😀🙏",
        "unknown script": "ᚠᚢᚦᚨᚱᚲ ᚷᚹᚺᚾ",
    }
    for i, text in enumerate(cases.values()):
        reply = await say(kefu, text, conversation=f"bad-{i}")
        assert reply.text, text[:20]
    stored = await kefu.store.messages()
    assert sum(m.direction == "in" for m in stored) == len(cases)
    assert all(m.status == "processed" for m in stored if m.direction == "in")


async def test_a_photo_is_acknowledged_and_handed_off(kefu):
    reply = await say(kefu, "", kind=Kind.PHOTO)
    assert reply.handoff_reason == "unreadable"
    assert "photo" in reply.text


async def test_a_crash_in_processing_loses_nothing(kefu):
    def broken(*args, **kwargs):
        raise RuntimeError("matcher exploded")

    kefu.pipeline.brains.brain.matcher.match, original = broken, kefu.pipeline.brains.brain.matcher.match
    try:
        reply = await say(kefu, "how can I pay?", conversation="crash")
    finally:
        kefu.pipeline.brains.brain.matcher.match = original
    assert reply.handoff_reason == "error" and "colleague" in reply.text
    conversation = await kefu.store.find_conversation("console", "crash")
    incoming = (await kefu.store.messages(conversation.id))[0]
    assert incoming.status == "failed" and "matcher exploded" in incoming.error


async def test_without_a_translator_a_russian_order_question_is_not_a_privacy_request(kefu):
    """Native phrasings for one intent alone pull every message of that language to it: none ship."""
    from bot.language.translate import NoTranslator

    kefu.pipeline.translator = NoTranslator()
    for text in ("Где мой заказ?", "Сколько стоит доставка?", "Хочу вернуть товар"):
        reply = await kefu.pipeline.handle(buyer_message(text, hint="ru", conversation=text))
        assert reply.intent != "privacy_request" and reply.handoff_reason != "privacy", text
