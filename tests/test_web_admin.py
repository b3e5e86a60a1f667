"""The admin pages over HTTP: misses → examples, evaluation, stats, settings; agents never reach them.

The workspace runs on the desk fixtures' bot, with the intent lists copied to tmp_path (the
misses page edits them).
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.serve.health import HealthReporter
from intents import LISTS_DIR
from intents.catalog import load_intents
from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.conftest import IN_HOURS
from tests.desk_fixtures import desk_table, kefu_app  # noqa: F401
from tests.factories import buyer_message
from tests.web_fixtures import Workspace, csrf_of

ADMIN_PAGES = ("/admin/misses", "/admin/eval", "/admin/stats", "/admin/settings", "/admin/retraining")
ADMIN_ACTIONS = ("/admin/misses", "/admin/eval")
LOYALTY = "do you have a loyalty program for regular buyers"


@pytest.fixture
async def web(tmp_path: Path, kefu_app: Any, brain: Any) -> Any:  # noqa: F811
    """The workspace over a copy of the shipped intent lists (identical: the session's brain fits them)."""
    from bot.app import App
    from bot.brain import BrainHolder
    from bot.conversation.pipeline import Pipeline
    from bot.web.app import create_app

    english_only = shutil.copytree(LISTS_DIR, tmp_path / "lists", ignore=lambda folder, names: [
        name for name in names if (Path(folder) / name).is_dir()])  # the language folders are the tests' to create
    settings = replace(kefu_app.settings, intents_dir=Path(english_only))
    brains = BrainHolder(settings, brain)
    old = kefu_app.pipeline
    pipeline = Pipeline(kefu_app.store, brains, old.detector, old.translator, settings, old.clock)
    kefu = App(settings, kefu_app.store, brains, pipeline)
    app = await create_app(kefu, secret="test-secret", live_every=0.05)
    workspace = Workspace(kefu, app)
    yield workspace
    await workspace.close()
    await app.state.web.live.close()


async def buyers_ask(web: Workspace, *texts: str, channel: str = "console") -> None:
    for number, text in enumerate(texts):
        message = buyer_message(text, channel=channel, conversation=f"ask-{channel}-{number}", at=IN_HOURS + timedelta(minutes=number))
        await web.kefu.pipeline.handle(message)


async def test_agents_and_strangers_never_reach_the_admin_pages_or_actions(web: Workspace) -> None:
    lists = web.kefu.settings.intents_dir
    before = {path: path.read_bytes() for path in lists.rglob("*.yaml")}
    agent = await web.client("lina")
    stranger = web.anonymous()
    csrf = await web.csrf(agent)
    for path in ADMIN_PAGES:
        denied = await agent.get(path)
        assert denied.status_code == 403 and "for admins" in denied.text, path
        assert (await stranger.get(path)).headers["location"].startswith("/signin?next=")
    for path in ADMIN_ACTIONS:
        assert (await agent.post(path, data={"csrf": csrf, "intent": "thanks", "english": "much obliged, lamp seller"})).status_code == 403
    inbox = (await agent.get("/")).text
    assert not any(f'href="{path}"' in inbox for path in ADMIN_PAGES)
    assert {path: path.read_bytes() for path in lists.rglob("*.yaml")} == before

    admin = await web.client("boss", role="admin")
    home = (await admin.get("/")).text
    for path in ADMIN_PAGES[:4]:
        assert f'href="{path}"' in home
        assert (await admin.get(path)).status_code == 200, path
    refused = await admin.post("/admin/misses", data={"intent": "thanks", "english": "much obliged, lamp seller"})  # no CSRF token
    assert refused.status_code == 403
    assert {path: path.read_bytes() for path in lists.rglob("*.yaml")} == before


async def test_an_admin_turns_a_group_of_misses_into_an_example_and_the_bot_learns_it(web: Workspace) -> None:
    await web.kefu.store.remember("ru", "en", "Есть ли у вас программа лояльности для постоянных покупателей?", LOYALTY.capitalize() + "?",
                                  "test", IN_HOURS)
    await buyers_ask(web, LOYALTY, LOYALTY + "?", "Есть ли у вас программа лояльности для постоянных покупателей?",
                     "<script>alert('x')</script> write me a poem")
    admin = await web.client("boss", role="admin")
    page = await admin.get("/admin/misses?since=all")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text  # buyer text, escaped
    assert f'<span class="times">2×</span> <span class="wording">{LOYALTY}</span>' in page.text  # the English group
    russian = "Есть ли у вас программа лояльности для постоянных покупателей?"  # a group of its own, with its translation
    assert f'<span class="times">1×</span> <span class="wording">{russian}</span>' in page.text
    assert f"ru: {russian}" in page.text and f"English: {LOYALTY.capitalize()}?" in page.text

    form = {"csrf": csrf_of(page.text), "intent": "discount_request", "english": LOYALTY,
            "language": "ru", "original": "Есть ли у вас программа лояльности для постоянных покупателей?"}
    added = await admin.post("/admin/misses?since=all", data=form)
    assert added.status_code == 200
    lists = web.kefu.settings.intents_dir
    assert f"Added “{LOYALTY}” (en) to discount_request at {lists / 'presale.yaml'}:" in added.text
    assert f"to discount_request at {lists / 'ru' / 'presale.yaml'}:" in added.text
    examples = load_intents(lists).intents["discount_request"].examples
    assert ("ru", russian) in [(e.language, e.text) for e in examples]
    assert LOYALTY in [e.text for e in examples if e.language == "en"]

    for _ in range(600):  # retraining in the background; the page's status follows it
        status = (await admin.get("/admin/retraining")).json()
        if not status["busy"]:
            break
        assert "the bot answers with the" in status["text"] and "(-" not in status["text"]  # seconds so far, never negative
        await asyncio.sleep(0.05)
    assert status["phase"] == "ready" and "The model is up to date" in status["text"]
    reply = await web.kefu.pipeline.handle(buyer_message(LOYALTY, conversation="after", at=IN_HOURS + timedelta(hours=1)))
    assert reply.intent == "discount_request"

    again = await admin.post("/admin/misses?since=all", data={**form, "language": [], "original": []})
    assert f"Not added: “{LOYALTY}” (en):" in again.text and "is already an example of &#39;discount_request&#39;" in again.text


async def test_the_evaluation_runs_on_the_shipped_set_or_an_uploaded_file(web: Workspace) -> None:
    admin = await web.client("boss", role="admin")
    csrf = await web.csrf(admin, "/admin/eval")
    shipped = await admin.post("/admin/eval", data={"csrf": csrf, "source": "shipped"})
    assert shipped.status_code == 200 and "eval_en.tsv" in shipped.text
    assert "560 in-scope rows, 100 out-of-scope rows" in shipped.text
    assert 'class="per-intent"' in shipped.text and 'class="confusions"' in shipped.text and 'class="sweep"' in shipped.text

    rows = "payment_methods\tcan i pay with paypal?\nthanks\tthanks a lot!\ngoodbye\twhere is my order\nout_of_scope\twrite me a poem\n"
    uploaded = await admin.post("/admin/eval", data={"csrf": csrf, "source": "upload"},
                                files={"file": ("mine.tsv", rows.encode(), "text/tab-separated-values")})
    assert uploaded.status_code == 200 and "3 in-scope rows, 1 out-of-scope rows" in uploaded.text
    assert '<dd id="accuracy">66.7 %</dd>' in uploaded.text and '<dd id="rejection">100.0 %</dd>' in uploaded.text
    assert "<td>goodbye</td><td>order_status</td><td>1</td>" in uploaded.text  # the confused pair

    broken = await admin.post("/admin/eval", data={"csrf": csrf, "source": "upload"},
                              files={"file": ("bad<b>.tsv", b"thanks\tok\nnot a row\n", "text/plain")})
    assert broken.status_code == 400 and ("bad&lt;b&gt;.tsv:2: expected &#39;intent&lt;TAB&gt;text&#39; (or &#39;lang&lt;TAB&gt;intent"
                                          "&lt;TAB&gt;text&lt;TAB&gt;english&#39;), got 1 field(s)") in broken.text
    latin = await admin.post("/admin/eval", data={"csrf": csrf, "source": "upload"}, files={"file": ("l.tsv", b"thanks\tgr\xfc\xdf\n")})
    assert latin.status_code == 400 and "l.tsv: not UTF-8 text" in latin.text
    russian = ("order_status\tГде мой заказ?\n".encode(), "text/plain")
    pivoted = await admin.post("/admin/eval", data={"csrf": csrf, "source": "upload", "pivot": "on"}, files={"file": ("ru.tsv", *russian)})
    assert '<dd id="accuracy">100.0 %</dd>' in pivoted.text  # detected as Russian, matched on "Where is my order?"
    assert "<td>order_status</td><td>100.0 %</td><td>100.0 %</td><td>1</td>" in pivoted.text
    missing = await admin.post("/admin/eval", data={"csrf": csrf, "source": "upload"})
    assert missing.status_code == 400 and "Choose a TSV file to upload." in missing.text


async def test_the_stats_page_draws_every_figure(web: Workspace) -> None:
    await buyers_ask(web, "how can i pay? paypal ok?", "I want to talk to a person", channel="telegram")
    await buyers_ask(web, "thank you!", channel="email")
    admin = await web.client("boss", role="admin")
    page = await admin.get("/admin/stats?since=all")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 7
    for title in ("Containment", "First response time", "Handoffs by reason", "Buyer messages by channel",
                  "Buyer messages per day, by channel", "Buyer messages by language", "hour of the buyer"):
        assert title in page.text
    assert "<text" in page.text and "requested" in page.text and "telegram" in page.text
    assert '<dd id="containment">66.7 %</dd>' in page.text  # PayPal and thanks answered; the person asked for


async def test_the_settings_page_shows_facts_hours_and_each_channels_health(web: Workspace) -> None:
    clock = web.kefu.pipeline.clock
    health = HealthReporter(web.kefu.store, ["telegram"], clock)
    health.received["telegram"] = clock()
    health.trouble("telegram", "NetworkError: <b>timed out</b>")
    await health.report()
    await buyers_ask(web, "how can I pay?", channel="email")  # nobody sends mail: the answer waits
    admin = await web.client("boss", role="admin")
    page = (await admin.get("/admin/settings")).text
    assert '<tr data-channel="telegram" class="running">' in page
    assert '<tr data-channel="email" class="stopped">' in page and "not running" in page
    assert '<td class="pending">1</td>' in page
    assert "NetworkError: &lt;b&gt;timed out&lt;/b&gt;" in page
    assert "Sunrise Trading" in page and "Asia/Shanghai" in page and "dispatch_days" in page
    assert f"sqlite+aiosqlite:///{web.kefu.store.engine.url.database}" in page  # the database in use
    assert "the team is in" in page  # Monday 10:00 in Shanghai
    assert '<p class="dates holidays">—</p>' in page and "33 earlier holidays are in the file too." in page  # none left in 2026


async def test_chinese_admins_read_the_admin_pages_in_chinese(web: Workspace) -> None:
    admin = await web.client("wang", role="admin", language="zh")
    for path, words in (("/admin/misses", "未能回答"), ("/admin/stats", "转人工"), ("/admin/settings", "渠道"), ("/admin/eval", "评估")):
        page = await admin.get(path)
        assert words in page.text, path


def test_the_settings_never_show_a_database_password(settings) -> None:
    from bot.admin.configuration import settings_view

    shown = dict(settings_view(settings, "postgresql+asyncpg://kefu:s3cret-pw@db.example:5432/kefu"))
    assert shown["database_url"] == "postgresql+asyncpg://kefu:***@db.example:5432/kefu"
    assert "s3cret" not in str(settings_view(settings, "postgresql://kefu:s3cret@db:bad-port/kefu"))
