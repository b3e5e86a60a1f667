"""The buyer's data: `kefu export`, `kefu forget`, retention, and "delete my data" from a buyer.

Every store test runs on SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from dataclasses import astuple, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.message import Message, Style
from bot.serve.retention import apply_retention
from bot.store.database import Store
from bot.store.writes import Outgoing
from tests.conftest import DATA, IN_HOURS, make_bot, write_pins
from tests.factories import buyer_message

runner = CliRunner()
ALICE, BOB = "tg-alice-4711", "bob@example.com"


def _with_file(message: Message, path: Path) -> Message:
    return replace(message, raw={"text": message.text, "attachments": [
        {"filename": path.name, "content_type": "image/jpeg", "size": path.stat().st_size, "path": str(path)}]})


async def _two_buyers(db_url: str, tmp_path: Path, settings, brain, detector, clock) -> None:
    """Alice (Telegram, Russian, an order, a photo, a rejected update, an agent's reply) and Bob
    (e-mail, an order, the same photo as Alice and one of his own, a rejected mail)."""
    kefu = await make_bot(db_url, DATA / "translations.tsv", settings, brain, detector, clock)
    shared, own = tmp_path / "shared.jpg", tmp_path / "alice-only.jpg"
    shared.write_bytes(b"same parcel photo")
    own.write_bytes(b"alice's damaged item")
    handle = kefu.pipeline.handle
    try:
        await handle(buyer_message("Где мой заказ?", channel="telegram", conversation="chat-alice", sender=ALICE, name="Alice Ivanova"))
        await handle(_with_file(buyer_message("look at this", channel="telegram", conversation="chat-alice", sender=ALICE), own))
        await handle(_with_file(buyer_message("the box, see photo", channel="telegram", conversation="chat-alice", sender=ALICE), shared))
        await handle(buyer_message("do you accept paypal?", channel="email", conversation="thread-bob", sender=BOB, name="Bob Stone"),
                     Style.LETTER)
        await handle(_with_file(buyer_message("same box here", channel="email", conversation="thread-bob", sender=BOB), shared), Style.LETTER)
        alice = await kefu.store.find_conversation("telegram", "chat-alice")
        await kefu.store.commit(alice, outgoing=[Outgoing(
            text="Ваш заказ в пути", at=IN_HOURS, direction="agent", pivot="Your order is on its way", sender="agent-li")])
        # what a translator gave for the agent's reply to her (her order is in it), and for no one in particular
        await kefu.store.remember("en", "ru", "Your order is on its way", "Ваш заказ в пути", "table", IN_HOURS)
        await kefu.store.remember("en", "fr", "Hello", "Bonjour", "table", IN_HOURS)
        placed = {"amount": 20.0, "currency": "USD", "status": "shipped", "placed_at": IN_HOURS, "updated_at": IN_HOURS}
        await kefu.store.save_orders([{"order_id": "A-1", "buyer": ALICE, **placed}, {"order_id": "B-1", "buyer": BOB, **placed}])
        await kefu.store.keep_rejected("telegram", json.dumps({"message": {"from": {"id": ALICE}, "text": "x" * 5}}), "bad update", IN_HOURS)
        await kefu.store.keep_rejected("telegram", json.dumps({"message": {"from": {"id": ALICE + "0"}}}), "bad update", IN_HOURS)
        await kefu.store.keep_rejected("email", f"From: Bob <{BOB}>\r\nSubject: hi\r\n\r\nbody", "bad mail", IN_HOURS)
    finally:
        await kefu.store.close()


def _export(db_url: str, *args: str) -> tuple[list[dict], str]:
    result = runner.invoke(app, ["export", "--db", db_url, *args])
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()], result.stderr


async def _read(db_url: str, work):
    store = await Store.open(db_url)
    try:
        return await work(store)
    finally:
        await store.close()


def test_export_then_forget_then_export_shows_the_buyer_gone_and_everyone_else_unchanged(
    db_url, tmp_path, settings, brain, detector, clock
):
    asyncio.run(_two_buyers(db_url, tmp_path, settings, brain, detector, clock))
    before, progress = _export(db_url)
    assert "exported 2/2 conversations" in progress
    by_buyer = {c["buyer"]: c for c in before}
    alice = by_buyer[ALICE]
    first = alice["messages"][0]
    assert (first["text"], first["pivot"], first["intent"]) == ("Где мой заказ?", "Where is my order?", "order_status")
    answer = alice["messages"][1]
    assert answer["direction"] == "out" and answer["reply_to"] == first["id"] and answer["delivery"] == "pending"
    agent = alice["messages"][-1]
    assert (agent["direction"], agent["text"], agent["pivot"]) == ("agent", "Ваш заказ в пути", "Your order is on its way")
    assert [a["filename"] for m in alice["messages"] for a in m["attachments"]] == ["alice-only.jpg", "shared.jpg"]
    assert (tmp_path / "alice-only.jpg").exists()

    result = runner.invoke(app, ["forget", ALICE, "--db", db_url, "--by", "li.wei"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("forgot buyer (audit #1): conversations: 1, messages: ")

    after, _ = _export(db_url)
    assert [c["buyer"] for c in after] == [BOB]
    assert after[0] == by_buyer[BOB]  # every field of Bob's conversation and messages, unchanged
    assert _export(db_url, "--buyer", ALICE)[0] == []
    assert not (tmp_path / "alice-only.jpg").exists()
    assert (tmp_path / "shared.jpg").exists()  # Bob sent the same photo: it stays

    async def leftovers(store: Store):
        translations = [await store.remembered("ru", "en", "Где мой заказ?"), await store.remembered("en", "ru", "Your order is on its way"),
                        await store.remembered("en", "fr", "Hello")]
        return (await store.order("A-1"), await store.order("B-1"), [r.payload for r in await store.rejected()],
                translations, await store.privacy_audit(), await store.forgotten(ALICE), await store.forgotten(BOB))

    order_a, order_b, rejected, translation, audit, forgotten_alice, forgotten_bob = asyncio.run(_read(db_url, leftovers))
    assert order_a is None and order_b is not None
    assert len(rejected) == 2 and not any(f'"{ALICE}"' in p for p in rejected)  # another id that merely starts alike stays
    assert translation == [None, None, "Bonjour"]  # translations of her words and of what she was sent are gone
    assert forgotten_alice and not forgotten_bob
    [entry] = audit
    assert (entry.action, entry.ran_by) == ("forget", "li.wei")
    assert entry.counts == {"messages": len(alice["messages"]), "translations": 2, "conversations": 1, "orders": 1, "rejected": 1, "attachments": 1}
    written = json.dumps([str(v) for v in astuple(entry)], ensure_ascii=False)
    for personal in (ALICE, "Alice", "Ivanova", "Где", "4711"):
        assert personal not in written

    again = runner.invoke(app, ["forget", ALICE, "--db", db_url, "--by", "li.wei"])
    assert again.exit_code == 0 and "conversations: 0, messages: 0, orders: 0" in again.stdout
    assert _export(db_url)[0] == after


def test_export_filters_by_channel_and_date_and_writes_a_csv_row_per_message(db_url, tmp_path, settings, brain, detector, clock):
    asyncio.run(_two_buyers(db_url, tmp_path, settings, brain, detector, clock))
    assert [c["buyer"] for c in _export(db_url, "--channel", "email")[0]] == [BOB]
    assert _export(db_url, "--since", "2026-11-24")[0] == []
    assert len(_export(db_url, "--since", "2026-11-23", "--until", "2026-11-24")[0]) == 2
    result = runner.invoke(app, ["export", "--db", db_url, "--format", "csv", "--buyer", BOB])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["message_direction"], r["conversation_buyer_name"]) for r in rows][:2] == [("in", "Bob Stone"), ("out", "Bob Stone")]
    [photo] = [r for r in rows if r["message_text"] == "same box here"]
    assert [a["filename"] for a in json.loads(photo["message_attachments"])] == ["shared.jpg"]


async def _conversation_at(store: Store, name: str, at: datetime) -> None:
    await store.receive(buyer_message(f"hello from {name}", conversation=name, sender=name, at=at))


@pytest.mark.parametrize("mode", ["delete", "anonymise"])
async def test_retention_expires_only_conversations_with_no_recent_message(db_url, mode):
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    store = await Store.open(db_url)
    try:
        await _conversation_at(store, "old", now - timedelta(days=800))
        await _conversation_at(store, "old-but-active", now - timedelta(days=900))
        await _conversation_at(store, "old-but-active", now - timedelta(days=3))
        await _conversation_at(store, "recent", now - timedelta(days=10))

        assert await apply_retention(store, 730, mode, now) == 1
        assert await apply_retention(store, 730, mode, now) == 0  # nothing more: an anonymised one is not counted again
        assert await apply_retention(store, 0, mode, now) == 0  # 0: retention off

        kept = {c.external_id: c for c in await store.conversations()}
        assert {"old-but-active", "recent"} <= set(kept)
        assert "old" not in kept
        texts = [m.text for m in await store.messages()]
        assert "hello from old" not in texts and "hello from recent" in texts and len(texts) == (3 if mode == "delete" else 4)
        if mode == "anonymise":
            [erased] = [c for c in kept.values() if c.buyer == "erased"]
            assert erased.buyer_name is None and erased.external_id.startswith("erased:")
        [audit] = await store.privacy_audit()
        assert (audit.action, audit.ran_by, audit.subject_hash, audit.counts["conversations"]) == ("retention", "retention", None, 1)
    finally:
        await store.close()


def test_forget_older_than_does_it_by_hand(tmp_path):
    url = f"sqlite:///{tmp_path / 'kefu.db'}"
    now = datetime.now(timezone.utc)

    async def fill(store: Store):
        await _conversation_at(store, "ancient", now - timedelta(days=100))
        await _conversation_at(store, "fresh", now - timedelta(days=1))

    asyncio.run(_read(url, fill))
    result = runner.invoke(app, ["forget", "--older-than", "30", "--mode", "delete", "--db", url])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("delete conversations older than 30 days: conversations: 1, messages: 1, ")
    assert [c["external_id"] for c in _export(url)[0]] == ["fresh"]
    assert runner.invoke(app, ["forget", "--db", url]).exit_code == 2  # neither a buyer nor --older-than


@pytest.mark.parametrize("text, language", [
    ("Please delete all my personal data", "en"),
    ("Удалите, пожалуйста, мои данные", "ru"),
    ("Por favor, borren todos mis datos personales", "es"),
    ("Cancellate tutti i miei dati personali, per favore", "it"),
    ("個人データを削除してください", "ja"),
])
async def test_a_buyer_asking_to_delete_their_data_is_handed_to_a_person_with_reason_privacy(
    tmp_path, settings, brain, detector, clock, text, language
):
    pins = write_pins(tmp_path / "pins.tsv", [(language, "en", text, "Please delete all my personal data")])
    kefu = await make_bot(f"sqlite:///{tmp_path / 'kefu.db'}", pins, settings, brain, detector, clock)
    try:
        reply = await kefu.pipeline.handle(buyer_message(text, channel="telegram", hint=language))
    finally:
        await kefu.store.close()
    assert (reply.intent, reply.handoff, reply.handoff_reason) == ("privacy_request", True, "privacy")
    assert reply.language == language
    template, reviewed_in = brain.answers.lookup("answers", "privacy_request", "chat", language)
    assert (reply.text, reviewed_in) == (template, language)  # the reviewed answer in the buyer's language


def test_a_wrong_retention_mode_in_kefu_yaml_names_the_file_and_line(tmp_path):
    from bot.config import load_settings
    from bot.datafiles import DataError

    config = tmp_path / "kefu.yaml"
    config.write_text("retention_days: 730\nretention_mode: purge\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"kefu.yaml:2: retention_mode must be one of anonymise, delete"):
        load_settings(config, env={})
    config.write_text("retention_days: 730\nretention_mode: delete\n", encoding="utf-8")
    settings = load_settings(config, env={})
    assert (settings.retention_days, settings.retention_mode) == (730, "delete")


async def test_the_housekeeping_chore_expires_by_the_configured_retention(tmp_path, settings, brain, detector, clock):
    from dataclasses import replace as configured

    from bot.app import App
    from bot.brain import BrainHolder
    from bot.serve.runner import Runner

    kefu = await make_bot(f"sqlite:///{tmp_path / 'kefu.db'}", DATA / "translations.tsv",
                          configured(settings, retention_days=30, retention_mode="delete"), brain, detector, clock)
    try:
        await _conversation_at(kefu.store, "last-year", clock.now - timedelta(days=365))
        await _conversation_at(kefu.store, "yesterday", clock.now - timedelta(days=1))
        served = App(kefu.pipeline.settings, kefu.store, BrainHolder(kefu.pipeline.settings, brain), kefu.pipeline)
        runner = Runner(served, ["telegram"], {"KEFU_TELEGRAM_TOKEN": "123:test", "KEFU_TELEGRAM_API_URL": "http://127.0.0.1:9/bot"})
        assert await runner.expire_old() == 1
        assert [c.external_id for c in await kefu.store.conversations()] == ["yesterday"]
    finally:
        await kefu.store.close()
