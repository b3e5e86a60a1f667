"""The agents' workspace over HTTP: inbox, conversation, actions through the state machine, replies
with translation preview and etiquette hold, attachments, escaping."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.message import Message, Style
from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.desk_fixtures import (  # noqa: F401
    AGENT_REPLY, AGENT_REPLY_RU, FRIDAY_13, HANDOFF, HANDOFF_EN, desk_table, kefu_app,
)
from tests.web_fixtures import Workspace, web  # noqa: F401

_ids = itertools.count(1)


async def buyer_says(kefu: Any, text: str, *, buyer: str = "5001", name: str | None = "Ivan", language: str | None = "ru",
                     channel: str = "telegram", raw: dict | None = None) -> int:
    """A buyer's message through the real pipeline; returns the conversation id."""
    message = Message(channel=channel, conversation=buyer, sender=buyer, text=text, received_at=kefu.pipeline.clock(),
                      sender_name=name, language_hint=language, external_id=f"w{next(_ids)}", raw=raw or {"text": text})
    await kefu.pipeline.handle(message, Style.CHAT)
    found = await kefu.store.find_conversation(channel, buyer)
    return found.id


async def outbox_texts(kefu: Any, conversation_id: int, direction: str = "agent") -> list[str]:
    return [m.text for m in await kefu.store.messages(conversation_id) if m.direction == direction]


async def test_the_queue_shows_who_waits_why_where_and_for_how_long(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    await buyer_says(web.kefu, "do you accept paypal?", buyer="6001", name="Ann", language="en")  # the bot answers: not queued
    client = await web.client("lina")
    page = (await client.get("/")).text
    assert f'href="/c/{conversation}"' in page and "Ivan" in page and "Ann" not in page
    assert "Telegram" in page and "Russian (ru)" in page and "asked for a person" in page
    assert "Russia?" in page  # a guess from the language, marked as one
    everything = (await client.get("/?view=all")).text
    assert "Ann" in everything and "Ivan" in everything
    assert "Ivan" not in (await client.get("/?view=mine")).text


async def test_disputes_and_key_customers_come_first(web: Workspace) -> None:
    first = await buyer_says(web.kefu, HANDOFF)
    web.kefu.pipeline.clock.now = web.kefu.pipeline.clock.now.replace(minute=30)
    dispute = await buyer_says(web.kefu, "I will open a dispute with paypal, this is a scam", buyer="7001", name="Bob", language="en")
    client = await web.client("lina")
    page = (await client.get("/")).text
    assert page.index(f'href="/c/{dispute}"') < page.index(f'href="/c/{first}"')


async def test_the_inbox_is_searchable_by_buyer_order_and_text_and_paged(web: Workspace) -> None:
    from bot.web.pages import inbox

    await web.kefu.store.save_orders([{
        "order_id": "A-10234", "buyer": "5001", "items": "power bank", "amount": 25.0, "currency": "USD", "status": "shipped",
        "carrier": "YunExpress", "tracking_number": "YT2300000001", "parcel": "in_transit",
        "placed_at": datetime(2026, 11, 1, tzinfo=timezone.utc), "updated_at": datetime(2026, 11, 1, tzinfo=timezone.utc),
    }])
    ivan = await buyer_says(web.kefu, HANDOFF)
    await buyer_says(web.kefu, "I want a human about my bike", buyer="6001", name="Ann", language="en")
    client = await web.client("lina")
    for query in ("ivan", "A-10234", "YT2300000001", "человеком"):
        found = (await client.get("/", params={"view": "all", "q": query})).text
        assert f'href="/c/{ivan}"' in found and "Ann" not in found, query
    assert "Ivan" not in (await client.get("/", params={"view": "all", "q": "bike"})).text
    assert "0 conversations" in (await client.get("/", params={"view": "all", "q": "100%"})).text  # % is a character, not a wildcard
    inbox.PAGE_SIZE, size = 1, inbox.PAGE_SIZE
    try:
        first = (await client.get("/?view=all")).text
        second = (await client.get("/?view=all&page=2")).text
        assert "page 1 of 2" in first and "page 2 of 2" in second and ("Ivan" in first) != ("Ivan" in second)
    finally:
        inbox.PAGE_SIZE = size


async def test_the_conversation_shows_the_buyer_in_both_languages_the_bots_intents_orders_and_culture(web: Workspace) -> None:
    await web.kefu.store.save_orders([{
        "order_id": "A-10234", "buyer": "5001", "items": "power bank", "amount": 25.0, "currency": "USD", "status": "shipped",
        "carrier": "YunExpress", "tracking_number": "YT2300000001", "parcel": "in_transit",
        "placed_at": datetime(2026, 11, 1, tzinfo=timezone.utc), "updated_at": datetime(2026, 11, 1, tzinfo=timezone.utc),
    }])
    conversation = await buyer_says(web.kefu, "Где мой заказ?")
    await buyer_says(web.kefu, HANDOFF)
    client = await web.client("lina")
    page = (await client.get(f"/c/{conversation}")).text
    assert HANDOFF in page and HANDOFF_EN in page  # original, and in the agent's language
    assert "order_status" in page and "human_agent" in page  # the bot's answers with their intents
    assert "A-10234" in page and "YT2300000001" in page and "in_transit" in page
    assert 'id="culture"' in page and "Russia" in page


async def test_claim_reply_with_preview_then_release_through_the_desk(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    client = await web.client("lina")
    token = await web.csrf(client, f"/c/{conversation}")
    claimed = await client.post(f"/c/{conversation}/claim", data={"csrf": token})
    assert claimed.status_code == 303 and claimed.headers["location"] == f"/c/{conversation}?done=claimed"
    assert (await web.kefu.store.conversation(conversation)).agent == "lina"
    assert "Ivan" in (await client.get("/?view=mine")).text

    preview = await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": AGENT_REPLY, "action": "preview"})
    assert preview.status_code == 200 and AGENT_REPLY_RU in preview.text and 'id="preview"' in preview.text
    assert await outbox_texts(web.kefu, conversation) == []  # a preview sends nothing
    sent = await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": AGENT_REPLY, "action": "send"})
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=sent")
    [row] = [m for m in await web.kefu.store.messages(conversation) if m.direction == "agent"]
    assert row.text == AGENT_REPLY_RU and row.pivot == AGENT_REPLY and row.sender == "lina" and row.delivery == "pending"

    released = await client.post(f"/c/{conversation}/release", data={"csrf": token})
    assert released.status_code == 303
    after = await web.kefu.store.conversation(conversation)
    assert after.state == "bot" and after.agent is None


async def test_two_agents_claiming_at_once_one_wins_the_other_is_told(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    lina, wang = await web.client("lina"), await web.client("wang")
    tokens = [await web.csrf(lina, f"/c/{conversation}"), await web.csrf(wang, f"/c/{conversation}")]
    results = await asyncio.gather(
        lina.post(f"/c/{conversation}/claim", data={"csrf": tokens[0]}),
        wang.post(f"/c/{conversation}/claim", data={"csrf": tokens[1]}),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [303, 409]
    holder = (await web.kefu.store.conversation(conversation)).agent
    loser = [r for r in results if r.status_code == 409][0]
    assert f"already claimed by {holder}" in loser.text
    joined = [t for t in await outbox_texts(web.kefu, conversation, "out") if holder in t]
    assert len(joined) == 1  # the buyer is told once who joined


async def test_an_etiquette_warning_holds_the_reply_until_send_anyway(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    client = await web.client("lina")
    token = await web.csrf(client, f"/c/{conversation}")
    held = await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": FRIDAY_13, "action": "send"})
    assert held.status_code == 200 and 'id="warnings"' in held.text and 'id="send-anyway"' in held.text
    assert await outbox_texts(web.kefu, conversation) == []
    shown = held.text.split('name="shown" value="', 1)[1].split('"', 1)[0]
    sent = await client.post(f"/c/{conversation}/reply",
                             data={"csrf": token, "text": FRIDAY_13, "action": "send_anyway", "shown": shown})
    assert sent.status_code == 303
    assert len(await outbox_texts(web.kefu, conversation)) == 1


async def test_a_reply_to_a_chat_a_colleague_holds_is_refused(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    lina, wang = await web.client("lina"), await web.client("wang")
    await lina.post(f"/c/{conversation}/claim", data={"csrf": await web.csrf(lina, f"/c/{conversation}")})
    token = await web.csrf(wang, f"/c/{conversation}")
    refused = await wang.post(f"/c/{conversation}/reply", data={"csrf": token, "text": AGENT_REPLY, "action": "send"})
    assert refused.status_code == 409 and "held by lina" in refused.text and AGENT_REPLY in refused.text  # the draft is kept
    assigned = await lina.post(f"/c/{conversation}/assign", data={"csrf": await web.csrf(lina, f"/c/{conversation}"), "to": "wang"})
    assert assigned.status_code == 303 and (await web.kefu.store.conversation(conversation)).agent == "wang"
    nobody = await lina.post(f"/c/{conversation}/assign", data={"csrf": await web.csrf(lina, f"/c/{conversation}"), "to": "ghost"})
    assert nobody.status_code == 409


async def test_canned_answers_come_in_the_buyers_language_to_send_as_written(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF, name="Ana", buyer="8001", language="es")
    client = await web.client("lina")
    answer = (await client.get(f"/c/{conversation}/canned", params={"intent": "payment_methods"})).json()
    assert answer["text"] and answer["agent"]
    assert (await client.get(f"/c/{conversation}/canned", params={"intent": "nope"})).status_code == 404
    token = await web.csrf(client, f"/c/{conversation}")
    sent = await client.post(f"/c/{conversation}/reply", data={"csrf": token, "text": "¡Hola!", "as_written": "1", "action": "send"})
    assert sent.status_code == 303 and await outbox_texts(web.kefu, conversation) == ["¡Hola!"]


async def test_buyer_text_and_names_are_shown_as_text(web: Workspace) -> None:
    attack = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    conversation = await buyer_says(web.kefu, f"I want a human {attack}", name=f"Eve {attack}", language="en", buyer="666")
    client = await web.client("lina")
    for path in ("/", f"/c/{conversation}"):
        page = (await client.get(path)).text
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_attachments_images_inline_everything_else_downloaded(web: Workspace, tmp_path: Path) -> None:
    from adapters.email.files import AttachmentStore
    from adapters.email.parse import Attachment

    secret = tmp_path / "secret.txt"
    secret.write_text("not a buyer's file")
    kept = AttachmentStore(tmp_path / "files", 10 * 1024 * 1024).keep([
        Attachment("photo.png", "image/png", 28, b"\x89PNG\r\n\x1a\n" + b"0" * 20),
        Attachment("evil.html", "text/html", 25, b"<script>alert(1)</script>"),
        Attachment("huge.zip", "application/zip", 10**9),
    ])
    raw = {"attachments": [*kept, {"filename": "secret.txt", "content_type": "text/plain", "size": 18, "path": str(secret)}]}
    conversation = await buyer_says(web.kefu, "I want a human: the item arrived broken", buyer="ana@example.com",
                                    name="Ana", language="en", channel="email", raw=raw)
    message = [m for m in await web.kefu.store.messages(conversation) if m.direction == "in"][0]
    client = await web.client("lina")
    page = (await client.get(f"/c/{conversation}")).text
    assert f'<img src="/c/{conversation}/files/{message.id}/0"' in page and "larger than 10485760 bytes" in page
    shown = await client.get(f"/c/{conversation}/files/{message.id}/0")
    assert shown.headers["content-type"] == "image/png" and shown.headers["content-disposition"].startswith("inline")
    downloaded = await client.get(f"/c/{conversation}/files/{message.id}/1")
    assert downloaded.headers["content-type"] == "application/octet-stream"
    assert downloaded.headers["content-disposition"].startswith("attachment") and downloaded.headers["x-content-type-options"] == "nosniff"
    assert (await client.get(f"/c/{conversation}/files/{message.id}/2")).status_code == 404  # not kept
    assert (await client.get(f"/c/{conversation}/files/{message.id}/3")).status_code == 404  # not a kept file
    assert (await client.get(f"/c/{conversation + 1}/files/{message.id}/0")).status_code == 404
    assert (await web.anonymous().get(f"/c/{conversation}/files/{message.id}/0")).status_code == 303


async def test_the_live_part_is_served_alone_for_updates(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    client = await web.client("lina")
    fragment = (await client.get("/", headers={"X-Live": "1"})).text
    assert f'href="/c/{conversation}"' in fragment and "<html" not in fragment
    part = (await client.get(f"/c/{conversation}", headers={"X-Live": "1"})).text
    assert 'id="history"' in part and 'id="reply"' not in part  # the reply being typed is never replaced


async def test_a_long_history_shows_the_latest_messages_and_all_on_request(web: Workspace) -> None:
    from bot.web.pages import conversation as page

    conversation = await buyer_says(web.kefu, HANDOFF)
    for n in range(3):
        await buyer_says(web.kefu, f"ещё вопрос номер {n}")
    client = await web.client("lina")
    page.HISTORY, size = 3, page.HISTORY
    try:
        latest = (await client.get(f"/c/{conversation}")).text
        assert "ещё вопрос номер 2" in latest and HANDOFF not in latest and 'id="show-all"' in latest
        everything = (await client.get(f"/c/{conversation}?all=1")).text
        assert HANDOFF in everything and 'id="show-all"' not in everything
    finally:
        page.HISTORY = size


async def test_a_refusal_is_told_in_the_agents_language(web: Workspace) -> None:
    conversation = await buyer_says(web.kefu, HANDOFF)
    lina, wang = await web.client("lina"), await web.client("wang", language="zh")
    await lina.post(f"/c/{conversation}/claim", data={"csrf": await web.csrf(lina, f"/c/{conversation}")})
    refused = await wang.post(f"/c/{conversation}/claim", data={"csrf": await web.csrf(wang, f"/c/{conversation}")})
    assert refused.status_code == 409 and "已被 lina 接手" in refused.text
