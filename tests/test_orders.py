"""Orders on record: order_status answered with facts, key customers first in the queue."""

import pytest

from bot.datafiles import DataError
from bot.orders.records import mentioned_order_ids, read_orders
from tests.conftest import IN_HOURS
from tests.factories import buyer_message

CSV = """order_id,buyer,items,amount,currency,status,carrier,tracking_number,parcel,placed_at
8012345,buyer-1,LED strip,25.5,USD,shipped,Cainiao,LP00123456789CN,in_transit,2026-11-01
8012399,buyer-1,Phone case,4,USD,shipped,YunExpress,YT2233445566,alert,2026-11-10
9000001,vip,Drone,620,USD,delivered,DHL,1234567890,delivered,2026-10-01
"""


@pytest.fixture
def orders_csv(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(CSV)
    return path


def test_order_numbers_in_buyer_messages():
    assert mentioned_order_ids("where is #8012345 ?? and 12") == ["8012345"]


def test_a_broken_export_names_the_line(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,buyer,amount\n1,a,ten\n")
    with pytest.raises(DataError, match=r"orders.csv:2: amount 'ten' is not a number"):
        read_orders(path, IN_HOURS)


async def test_order_status_is_answered_from_the_record(kefu, orders_csv):
    await kefu.store.save_orders(read_orders(orders_csv, IN_HOURS))
    reply = await kefu.pipeline.handle(buyer_message("where is my order 8012345?"))
    assert reply.intent == "order_status"
    assert "LP00123456789CN" in reply.text and "Cainiao" in reply.text
    latest = await kefu.pipeline.handle(buyer_message("where is my order?", conversation="c2"))
    assert "YT2233445566" in latest.text and latest.handoff  # the latest order has an alert: a person checks


async def test_an_order_number_kefu_has_no_record_of_goes_to_a_person(kefu, orders_csv):
    """The buyer gave the number: never "please send me your order number" again, never another
    order's status; a person looks it up on the marketplace."""
    await kefu.store.save_orders(read_orders(orders_csv, IN_HOURS))
    reply = await kefu.pipeline.handle(buyer_message("where is my order 9912345678?"))
    assert reply.intent == "order_status" and reply.handoff
    assert "9912345678" in reply.text and "order number" not in reply.text
    assert "LP00123456789CN" not in reply.text  # not the buyer's latest order instead
    chinese = await kefu.pipeline.handle(buyer_message("我的订单 3012345678901 到哪了？", conversation="zh"))
    assert "3012345678901" in chinese.text and chinese.handoff
    bare = await kefu.pipeline.handle(buyer_message("where is my order?", conversation="bare", sender="new"))
    assert not bare.handoff and "order number" in bare.text  # no number, no order on record: ask for it


async def test_a_key_customer_goes_first(kefu, orders_csv):
    await kefu.store.save_orders(read_orders(orders_csv, IN_HOURS))
    assert await kefu.store.buyer_totals("vip") == (1, 620.0)
    await kefu.pipeline.handle(buyer_message("can you write me a poem?", conversation="normal", sender="x"))
    await kefu.pipeline.handle(buyer_message("can you write me a song?", conversation="key", sender="vip"))
    conversation = await kefu.store.find_conversation("console", "key")
    assert conversation.priority == 1


async def test_buyers_hear_once_when_their_order_is_dispatched_and_delivered(kefu):
    from datetime import timedelta

    from adapters.collect import CollectingChannel
    from bot.orders.notices import write_notices
    from bot.serve.outbox import OutboxSender

    console = CollectingChannel("console")
    sender = OutboxSender(kefu.store, {"console": console}, lambda: now)

    async def send_notices(*args) -> int:
        written = await write_notices(*args)
        while await sender.send_due():
            pass
        return written

    await kefu.pipeline.handle(buyer_message("Сколько идет доставка в Москву?", conversation="ru-chat", sender="ivan"))
    await kefu.pipeline.handle(buyer_message("do you ship to Chile?", conversation="en-chat", sender="ana"))
    rows = [
        {"order_id": "7000001", "buyer": "ivan", "status": "shipped", "carrier": "Cainiao", "tracking_number": "LP1CN"},
        {"order_id": "7000002", "buyer": "ana", "status": "placed"},
        {"order_id": "7000003", "buyer": "nobody-we-know", "status": "shipped", "tracking_number": "X1"},
    ]
    now = IN_HOURS + timedelta(days=2)
    await kefu.store.save_orders([{**row, "placed_at": IN_HOURS, "updated_at": IN_HOURS} for row in rows])
    translator = kefu.pipeline.translator
    assert await send_notices(kefu.store, kefu.pipeline.brains, translator, now) == 2
    sent = [(conversation, text) for conversation, text, _ in console.sent if "LP1CN" in text or "7000" in text]
    by_chat = dict(sent)
    assert "LP1CN" in by_chat["ru-chat"]  # told on the buyer's own chat…
    assert "7000002" in by_chat["en-chat"] and "7 days" in by_chat["en-chat"]  # …the payment reminder
    assert await send_notices(kefu.store, kefu.pipeline.brains, translator, now) == 0  # once only

    await kefu.store.save_orders([{"order_id": "7000001", "buyer": "ivan", "status": "delivered", "placed_at": IN_HOURS, "updated_at": now}])
    assert await send_notices(kefu.store, kefu.pipeline.brains, translator, now) == 1
    last = console.sent[-1]
    assert last[0] == "ru-chat" and "7000001" in last[1] and "five-star" in last[1]
