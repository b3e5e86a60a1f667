"""Nothing lost: a message stored but never decided (a kill, a crash) is decided at start-up or on
redelivery, exactly once; order notices are claimed with their outbox row, once across workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.orders.notices import write_notices
from bot.store.database import Store
from tests.conftest import IN_HOURS
from tests.factories import buyer_message


async def test_a_message_stored_but_never_decided_is_decided_at_start_up(kefu):
    message = buyer_message("how can I pay?", external_id="tg:1:7")
    await kefu.store.receive(message)  # the process was killed right after storing it
    assert await kefu.pipeline.recover() == 1
    [incoming, answer] = await kefu.store.messages()
    assert incoming.status == "processed" and incoming.intent == "payment_methods"
    assert answer.reply_to == incoming.id and answer.delivery == "pending"  # the outbox sends it
    assert await kefu.pipeline.recover() == 0  # once


async def test_a_redelivery_of_an_undecided_message_is_decided_not_dropped(kefu):
    message = buyer_message("how can I pay?", external_id="tg:1:8")
    await kefu.store.receive(message)
    reply = await kefu.pipeline.handle(message)  # Telegram delivers it again after the restart
    assert reply.intent == "payment_methods" and reply.text and not reply.duplicate
    again = await kefu.pipeline.handle(message)
    assert again.duplicate and again.outbox == reply.outbox
    assert [m.direction for m in await kefu.store.messages()] == ["in", "out"]


async def test_earlier_messages_of_a_conversation_are_decided_first(kefu):
    first = buyer_message("how can I pay?", external_id="m-1")
    second = buyer_message("how long is delivery to Spain?", external_id="m-2")
    await kefu.store.receive(first)  # stored, then the process died
    await kefu.pipeline.handle(second)
    answers = [m for m in await kefu.store.messages() if m.direction == "out"]
    assert [a.intent for a in answers] == ["payment_methods", "delivery_time"]


async def test_a_message_that_keeps_killing_the_process_goes_to_people(kefu):
    message = buyer_message("how can I pay?", external_id="poison")
    received = await kefu.store.receive(message)
    for _ in range(3):
        await kefu.store.count_attempt(received.message.id)  # three starts that died on it
    await kefu.pipeline.recover()
    stored = await kefu.store.message(received.message.id)
    assert stored.status == "failed" and stored.handoff_reason == "error"
    conversation = await kefu.store.conversation(received.conversation.id)
    assert conversation.state == "waiting"


async def test_two_workers_write_each_order_notice_once(kefu, db_url):
    for buyer in ("ivan", "ana", "li"):
        await kefu.pipeline.handle(buyer_message("hello", conversation=f"{buyer}-chat", sender=buyer))
    orders = [
        {"order_id": f"80000{n}", "buyer": buyer, "status": "shipped", "tracking_number": f"LP{n}CN",
         "placed_at": IN_HOURS, "updated_at": IN_HOURS}
        for n, buyer in enumerate(("ivan", "ana", "li"))
    ]
    await kefu.store.save_orders(orders)
    other = await Store.open(db_url)
    now = IN_HOURS + timedelta(days=1)
    try:
        written = await asyncio.gather(*(
            write_notices(store, kefu.pipeline.brains, kefu.pipeline.translator, now) for store in (kefu.store, other, kefu.store)
        ))
    finally:
        await other.close()
    assert sum(written) == 3
    notices = [m for m in await kefu.store.messages() if m.direction == "out" and "LP" in m.text]
    assert sorted(m.conversation_id for m in notices) == sorted({m.conversation_id for m in notices})
    assert len(notices) == 3
