"""The workspace in a real browser (Debian's chromium through Playwright): what only a browser shows.

One browser for the session (tests/web_fixtures.py); each test serves its own bot on a real port.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.desk_fixtures import desk_table  # noqa: F401
from tests.web_fixtures import Served, sign_in_page


def bot_setup(tmp_path: Path, settings: Any, brain: Any, detector: Any, table: Path, accounts: list[tuple[str, str, str]]) -> Any:
    """The coroutine function a `Served` runs: the real pipeline on SQLite, pinned translations, accounts."""

    async def setup() -> Any:
        from bot.app import App
        from bot.brain import BrainHolder
        from bot.conversation.pipeline import Pipeline, utcnow
        from bot.language.translate import MemoryTranslator, TableTranslator
        from bot.store.database import Store
        from bot.web.accounts import add
        from bot.web.app import create_app
        from tests.web_fixtures import PASSWORD

        store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
        pipeline = Pipeline(store, BrainHolder(settings, brain), detector, MemoryTranslator(TableTranslator(table), store, utcnow), settings)
        kefu = App(settings, store, pipeline.brains, pipeline)
        for name, role, language in accounts:
            await add(store, name, role, PASSWORD, language)
        return await create_app(kefu, secret="browser-test", live_every=0.1), store.close

    return setup


@pytest.fixture
def served(tmp_path: Path, settings: Any, brain: Any, warm_detector: Any, desk_table: Path) -> Iterator[Served]:  # noqa: F811
    accounts = [("lina", "agent", "en"), ("wang", "agent", "zh"), ("boss", "admin", "en")]
    with Served(bot_setup(tmp_path, settings, brain, warm_detector, desk_table, accounts)) as server:
        yield server


def test_an_agent_signs_in_and_is_denied_the_admin_pages(served: Served, page: Any) -> None:
    sign_in_page(page, served.url, "lina")
    page.wait_for_selector("#live")
    assert page.locator("header .name").inner_text().startswith("lina")
    assert page.locator("a[href='/accounts']").count() == 0
    response = page.goto(f"{served.url}/accounts")
    assert response is not None and response.status == 403
    assert "for admins" in page.locator("#refused").inner_text()
