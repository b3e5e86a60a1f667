"""The store, on SQLite and PostgreSQL: nothing is lost, nothing is stored twice."""

from datetime import datetime, timezone

from bot.message import Kind
from bot.store.database import Store, async_url
from tests.factories import buyer_message


def test_urls_people_write_get_async_drivers():
    assert async_url("sqlite:///kefu.db") == "sqlite+aiosqlite:///kefu.db"
    assert async_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


async def test_a_message_is_stored_with_its_conversation(db_url):
    store = await Store.open(db_url)
    try:
        received = await store.receive(buyer_message("where is my order?", name="Ana", conversation="c-9"))
        assert not received.duplicate
        assert received.conversation.external_id == "c-9"
        assert received.conversation.buyer_name == "Ana"
        [stored] = await store.messages(received.conversation.id)
        assert (stored.direction, stored.text, stored.status) == ("in", "where is my order?", "received")
        assert stored.created_at.tzinfo is not None
    finally:
        await store.close()


async def test_the_same_delivery_twice_is_stored_once(db_url):
    store = await Store.open(db_url)
    try:
        message = buyer_message("hello", external_id="tg:1:77")
        first = await store.receive(message)
        second = await store.receive(message)
        assert second.duplicate and second.message.id == first.message.id
        assert len(await store.messages()) == 1
    finally:
        await store.close()


async def test_huge_and_binary_text_is_kept(db_url):
    store = await Store.open(db_url)
    try:
        junk = "\x00\x01\x02 binary \udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        big = "a" * 100_000
        for text in (junk, big):
            await store.receive(buyer_message(text))
        stored = await store.messages()
        assert stored[0].text.startswith("\ufffd\x01\x02 binary")
        assert len(stored[1].text) == 100_000
    finally:
        await store.close()


async def test_the_schema_is_migrated_once_and_reopens(db_url):
    store = await Store.open(db_url)
    await store.receive(buyer_message("hi", kind=Kind.TEXT))
    await store.close()
    store = await Store.open(db_url)  # running the migrations again is a no-op
    try:
        assert len(await store.messages()) == 1
    finally:
        await store.close()


async def test_translation_memory(db_url):
    store = await Store.open(db_url)
    at = datetime(2026, 11, 23, tzinfo=timezone.utc)
    try:
        assert await store.remembered("ru", "en", "Где мой заказ?") is None
        await store.remember("ru", "en", "Где мой заказ?", "Where is my order?", "google", at)
        await store.remember("ru", "en", "Где мой заказ?", "Where is my order?", "google", at)  # no error twice
        assert await store.remembered("ru", "en", "Где мой заказ?") == "Where is my order?"
    finally:
        await store.close()


async def test_what_a_channel_cannot_read_is_kept(db_url):
    store = await Store.open(db_url)
    try:
        at = datetime(2026, 11, 23, tzinfo=timezone.utc)
        await store.keep_rejected("telegram", "{not json \x00", "malformed update: JSONDecodeError", at)
        [kept] = await store.rejected()
        assert (kept.channel, kept.payload, kept.received_at) == ("telegram", "{not json \ufffd", at)
    finally:
        await store.close()
