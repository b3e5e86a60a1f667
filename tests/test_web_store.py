"""The store's reads and writes for the web workspace, on SQLite and PostgreSQL: accounts, the
signing key, the inbox's pages and search, the latest messages, the change marker."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.conversation import states
from bot.store.accounts import AccountExists
from bot.store.database import Store
from tests.factories import buyer_message

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


async def test_accounts_are_unique_changed_and_sessions_ended(db_url: str) -> None:
    store = await Store.open(db_url)
    try:
        made = await store.add_account("lina", "agent", "hash-1", "zh", AT)
        assert (made.name, made.role, made.language, made.disabled, made.session_epoch) == ("lina", "agent", "zh", False, 0)
        with pytest.raises(AccountExists):
            await store.add_account("lina", "admin", "hash-2", "en", AT)
        changed = await store.change_account("lina", end_sessions=True, password_hash="hash-3")
        assert changed.password_hash == "hash-3" and changed.session_epoch == 1
        assert (await store.change_account("lina", disabled=True)).session_epoch == 1  # not every change ends sessions
        assert await store.change_account("ghost", disabled=True) is None
        assert [a.name for a in await store.accounts()] == ["lina"]
        secret = await store.web_secret()
        assert len(secret) >= 40 and await store.web_secret() == secret  # made once, then kept
    finally:
        await store.close()


async def test_the_inbox_pages_orders_and_searches(db_url: str) -> None:
    store = await Store.open(db_url)
    try:
        ids = []
        for n, (name, text) in enumerate([("Ivan", "Где мой заказ?"), ("Ann", "100% refund please"), ("Bob", "hello")]):
            received = await store.receive(buyer_message(text, conversation=f"c{n}", sender=f"b{n}", name=name,
                                                         at=AT + timedelta(minutes=n), external_id=f"m{n}"))
            ids.append(received.conversation.id)
        for n, priority in ((0, 0), (1, 1)):  # Ann's is a dispute: first in the queue although later
            conversation = await store.conversation(ids[n])
            await store.commit(conversation, states.hand_off("dispute" if priority else "requested", priority, AT + timedelta(minutes=n)))
        queue, total = await store.inbox("queue")
        assert total == 2 and [row.conversation.buyer_name for row in queue] == ["Ann", "Ivan"]
        assert queue[1].last_text == "Где мой заказ?" and queue[1].last_in_at == AT and queue[1].last_agent_at is None
        everything, total = await store.inbox("all", limit=2)
        assert total == 3 and len(everything) == 2
        assert (await store.inbox("all", offset=2, limit=2))[0][0].conversation.buyer_name in ("Ivan", "Ann", "Bob")
        assert [r.conversation.buyer_name for r in (await store.inbox("all", search="100%"))[0]] == ["Ann"]
        assert (await store.inbox("all", search="10_%"))[1] == 0  # _ and % are characters here
        assert [r.conversation.buyer_name for r in (await store.inbox("all", search="Где мой"))[0]] == ["Ivan"]
        assert [r.conversation.buyer_name for r in (await store.inbox("all", search="ivan"))[0]] == ["Ivan"]
        held = await store.conversation(ids[0])
        await store.commit(held, states.claim("lina", AT))
        assert [r.conversation.buyer_name for r in (await store.inbox("mine", agent="lina"))[0]] == ["Ivan"]
        assert (await store.inbox("mine", agent="wang"))[1] == 0
        with pytest.raises(ValueError):
            await store.inbox("everything")
    finally:
        await store.close()


async def test_the_latest_messages_and_the_change_marker(db_url: str) -> None:
    store = await Store.open(db_url)
    try:
        before = await store.change_marker()
        for n in range(5):
            received = await store.receive(buyer_message(f"line {n}", at=AT + timedelta(seconds=n), external_id=f"l{n}"))
        after = await store.change_marker()
        assert after != before
        latest, total = await store.recent_messages(received.conversation.id, 2)
        assert total == 5 and [m.text for m in latest] == ["line 3", "line 4"]
        assert len((await store.recent_messages(received.conversation.id))[0]) == 5
        await store.commit(received.conversation, states.hand_off("requested", 0, AT))
        assert await store.change_marker() != after  # a transition alone changes it too
    finally:
        await store.close()
