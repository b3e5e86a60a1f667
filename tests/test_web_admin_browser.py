"""The admin pages in a real browser (Debian's chromium through Playwright).

One browser per test module (tests/web_fixtures.py); each test serves its own bot, over a
copy of the intent lists, on a real port.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from intents import LISTS_DIR
from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.conftest import IN_HOURS
from tests.desk_fixtures import desk_table  # noqa: F401
from tests.factories import buyer_message
from tests.web_fixtures import Served, sign_in_page

LOYALTY = "do you have a loyalty program for regular buyers"
ASKED = [LOYALTY, LOYALTY + "?", "how can i pay? paypal ok?", "I want to talk to a person", "thank you!"]


@pytest.fixture
def served(tmp_path: Path, settings: Any, brain: Any, warm_detector: Any, desk_table: Path) -> Iterator[Served]:  # noqa: F811
    async def setup() -> Any:
        from bot.app import App
        from bot.brain import BrainHolder
        from bot.conversation.pipeline import Pipeline, utcnow
        from bot.language.translate import MemoryTranslator, TableTranslator
        from bot.store.database import Store
        from bot.web.accounts import add
        from bot.web.app import create_app
        from tests.web_fixtures import PASSWORD

        lists = Path(shutil.copytree(LISTS_DIR, tmp_path / "lists"))
        own = replace(settings, intents_dir=lists)
        store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
        brains = BrainHolder(own, brain)
        pipeline = Pipeline(store, brains, warm_detector, MemoryTranslator(TableTranslator(desk_table), store, utcnow), own)
        for name, role in (("lina", "agent"), ("boss", "admin")):
            await add(store, name, role, PASSWORD, "en")
        return await create_app(App(own, store, brains, pipeline), secret="browser-test", live_every=0.1)

    async def ask() -> None:  # the buyers, apart from the setup: each call has its own time limit
        pipeline = server.app.state.web.kefu.pipeline
        for number, text in enumerate(ASKED):
            await pipeline.handle(buyer_message(text, channel="telegram" if number % 2 else "console",
                                                conversation=f"b-{number}", at=IN_HOURS + timedelta(minutes=number)))

    with Served(setup) as server:
        server.call(ask(), timeout=60)
        yield server


def test_an_agent_is_denied_the_admin_pages(served: Served, page: Any) -> None:
    sign_in_page(page, served.url, "lina")
    page.wait_for_selector("header .name")
    assert page.locator("a[href='/admin/misses']").count() == 0
    for path in ("/admin/misses", "/admin/eval", "/admin/stats", "/admin/settings"):
        response = page.goto(f"{served.url}{path}")
        assert response is not None and response.status == 403, path
        assert "for admins" in page.locator("#refused").inner_text()


def test_an_admin_turns_a_miss_into_an_example_and_watches_the_retraining(served: Served, page: Any) -> None:
    sign_in_page(page, served.url, "boss")
    page.wait_for_selector("header .name")
    page.click("a[href='/admin/misses']")
    page.select_option("select[name=since]", "all")  # submits the period on change
    group = page.locator("section.miss", has_text=LOYALTY).first
    group.wait_for()
    assert group.locator(".times").inner_text() == "2×"
    group.locator("select[name=intent]").select_option("discount_request")
    group.locator("button[type=submit]").click()
    page.wait_for_selector(".outcomes .added")
    assert f"Added “{LOYALTY}” (en) to discount_request" in page.locator(".outcomes").inner_text()
    # The status follows the background training without a reload, until the new model is in place.
    page.wait_for_selector("#retraining[data-phase=ready]", timeout=60_000)
    assert "The model is up to date" in page.locator("#retraining").inner_text()

    async def asked_again() -> Any:
        pipeline = served.app.state.web.kefu.pipeline
        return await pipeline.handle(buyer_message(LOYALTY, conversation="again", at=IN_HOURS + timedelta(hours=1)))

    assert served.call(asked_again()).intent == "discount_request"


def test_the_stats_page_shows_its_charts(served: Served, page: Any) -> None:
    sign_in_page(page, served.url, "boss")
    page.wait_for_selector("header .name")
    page.goto(f"{served.url}/admin/stats?since=all")
    charts = page.locator("svg.chart")
    assert charts.count() == 7
    for index in range(7):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 30
    bars = page.locator("svg.chart-bars rect")
    assert bars.count() > 5 and all(float(bars.nth(i).get_attribute("width") or 0) >= 0 for i in range(bars.count()))
    assert page.locator("svg.chart", has_text="Handoffs by reason").locator("text", has_text="requested").count() == 1
