"""What kefu owes a buyer is a row: delivered in order, retried as the service asks, never twice,
kept across a restart, and given up on visibly."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters.base import RetryLater, Unreachable
from adapters.collect import CollectingChannel
from bot.serve.outbox import SEND_FAILED, UNREACHABLE, OutboxSender
from bot.store.database import Store
from tests.factories import buyer_message

LONG = "\n\n".join(f"Paragraph {n}: " + "we ship from Shenzhen within two days. " * 3 for n in range(3))


async def answered(kefu, text: str, conversation: str = "chat-1", channel: str = "telegram"):
    return await kefu.pipeline.handle(buyer_message(text, conversation=conversation, channel=channel))


async def drain(sender: OutboxSender) -> None:
    while await sender.send_due():
        pass


async def test_a_429_mid_answer_waits_and_sends_the_rest_without_repeating_a_part(kefu):
    telegram = CollectingChannel("telegram", limit=40)
    reply = await answered(kefu, "how can I pay?")
    assert len(telegram.split(reply.text)) >= 3
    telegram.refuse([None, RetryLater("Too Many Requests: retry after 1", 0.2)])  # part 1 goes, part 2 is refused once
    await drain(OutboxSender(kefu.store, {"telegram": telegram}, kefu.clock))
    assert "".join(telegram.texts("chat-1")) == reply.text  # every part once, in order
    assert len(telegram.sent) == len(telegram.split(reply.text))


async def test_a_long_retry_after_is_kept_in_the_row_and_honoured(kefu):
    telegram = CollectingChannel("telegram")
    await answered(kefu, "how can I pay?")
    telegram.refuse([RetryLater("flood control", 600)])
    sender = OutboxSender(kefu.store, {"telegram": telegram}, kefu.clock, inline_wait=5)
    await drain(sender)
    assert telegram.sent == []
    [row] = [m for m in await kefu.store.messages() if m.direction == "out"]
    assert row.delivery == "pending" and row.due_at == kefu.clock() + timedelta(seconds=600)
    assert "flood control" in row.delivery_error
    kefu.clock.now += timedelta(seconds=599)
    await drain(sender)
    assert telegram.sent == []  # not a second early
    kefu.clock.now += timedelta(seconds=2)
    await drain(sender)
    assert len(telegram.sent) == 1


async def test_answers_of_one_chat_go_out_in_order_even_when_the_first_must_wait(kefu):
    telegram = CollectingChannel("telegram")
    first = await answered(kefu, "how can I pay?")
    second = await answered(kefu, "how long is delivery to Spain?")
    telegram.refuse([RuntimeError("connection reset")])
    sender = OutboxSender(kefu.store, {"telegram": telegram}, kefu.clock)
    await drain(sender)
    assert telegram.sent == []  # the second waits behind the first
    kefu.clock.now += timedelta(minutes=10)
    await drain(sender)
    assert telegram.texts() == [first.text, second.text]


async def test_a_buyer_who_blocked_the_bot_goes_to_people_and_is_marked_unreachable(kefu):
    telegram = CollectingChannel("telegram")
    await answered(kefu, "how can I pay?")
    telegram.refuse([Unreachable("Forbidden: bot was blocked by the user")])
    await drain(OutboxSender(kefu.store, {"telegram": telegram}, kefu.clock))
    conversation = await kefu.store.find_conversation("telegram", "chat-1")
    assert (conversation.state, conversation.handoff_reason) == ("waiting", UNREACHABLE)
    assert conversation.unreachable_at is not None
    [row] = [m for m in await kefu.store.messages() if m.direction == "out"]
    assert row.delivery == "failed" and "blocked" in row.delivery_error


async def test_an_answer_that_keeps_failing_is_given_up_on_visibly(kefu):
    telegram = CollectingChannel("telegram")
    await answered(kefu, "how can I pay?")
    sender = OutboxSender(kefu.store, {"telegram": telegram}, kefu.clock, give_up_after=timedelta(minutes=30))
    for _ in range(12):
        telegram.refuse([ConnectionError("network unreachable")])
        await drain(sender)
        kefu.clock.now += timedelta(minutes=5)
    conversation = await kefu.store.find_conversation("telegram", "chat-1")
    assert (conversation.state, conversation.handoff_reason) == ("waiting", SEND_FAILED)
    [row] = [m for m in await kefu.store.messages() if m.direction == "out"]
    assert telegram.sent == [] and row.delivery == "failed" and "gave up after" in row.delivery_error


async def test_pending_answers_survive_a_restart(kefu, db_url):
    reply = await answered(kefu, "how can I pay?")  # written, never sent: the process "dies" here
    await kefu.store.close()
    store = await Store.open(db_url)
    try:
        telegram = CollectingChannel("telegram")
        await drain(OutboxSender(store, {"telegram": telegram}, kefu.clock))
        assert telegram.texts() == [reply.text]
    finally:
        await store.close()
    kefu.store = await Store.open(db_url)  # for the fixture's teardown


async def test_two_workers_never_send_the_same_row(kefu, db_url):
    for number in range(20):
        await answered(kefu, "how can I pay?", conversation=f"chat-{number}")
    other = await Store.open(db_url)
    try:
        channels = [CollectingChannel("telegram"), CollectingChannel("telegram")]
        senders = [OutboxSender(store, {"telegram": channel}, kefu.clock) for store, channel in zip((kefu.store, other), channels)]
        await asyncio.gather(*(drain(sender) for sender in senders))
    finally:
        await other.close()
    delivered = [conversation for channel in channels for conversation, _, _ in channel.sent]
    assert sorted(delivered) == sorted(f"chat-{number}" for number in range(20))
