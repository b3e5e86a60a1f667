"""The workspace in a real browser (Debian's chromium through Playwright): the whole loop from a
Telegram buyer to an agent's browser and back, live updates, races, escaping, CSRF, throttling.

One browser per test module (tests/web_fixtures.py); each test serves its own bot on a real port.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.conftest import write_pins
from tests.desk_fixtures import AGENT_REPLY_RU, DESK_PINS, HANDOFF, ORDER, desk_table  # noqa: F401
from tests.fakes import DEFAULT_TOKEN, FakeTelegram
from tests.fakes import telegram_factories as tf
from tests.web_fixtures import PASSWORD, Served, Serving, sign_in_page  # noqa: F401  (browser: conftest)

ACCOUNTS = [("lina", "agent", "en"), ("wang", "agent", "zh"), ("boss", "admin", "en")]
BUYER = 5001
REPLY_ZH = "您的包裹昨天已从我们的仓库发出。"
HANDOFF_ZH = "我想和真人客服谈谈"
BACK_ZH = "您的包裹昨天离开了我们的仓库。"
BROWSER_PINS = [
    ("ru", "zh", HANDOFF, HANDOFF_ZH), ("zh", "ru", REPLY_ZH, AGENT_REPLY_RU), ("ru", "zh", AGENT_REPLY_RU, BACK_ZH),
]


async def make_kefu(tmp_path: Path, settings: Any, brain: Any, detector: Any, table: Path) -> Any:
    """The real pipeline on SQLite, pinned translations, the accounts above."""
    from bot.app import App
    from bot.brain import BrainHolder
    from bot.conversation.pipeline import Pipeline, utcnow
    from bot.language.translate import MemoryTranslator, TableTranslator
    from bot.store.database import Store
    from bot.web.accounts import add

    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    pipeline = Pipeline(store, BrainHolder(settings, brain), detector, MemoryTranslator(TableTranslator(table), store, utcnow), settings)
    for name, role, language in ACCOUNTS:
        await add(store, name, role, PASSWORD, language)
    return App(settings, store, pipeline.brains, pipeline)


@pytest.fixture
def served(tmp_path: Path, settings: Any, brain: Any, warm_detector: Any, desk_table: Path) -> Iterator[Served]:  # noqa: F811
    """The workspace on a bot with no channel running (buyers' messages come through `served.call`)."""

    async def setup() -> Any:
        from bot.web.app import create_app

        return await create_app(await make_kefu(tmp_path, settings, brain, warm_detector, desk_table), secret="browser-test", live_every=0.1)

    with Served(setup) as server:
        yield server


@pytest.fixture
def shop(tmp_path: Path, settings: Any, brain: Any, warm_detector: Any, desk_table: Path) -> Iterator[tuple[Served, FakeTelegram]]:  # noqa: F811
    """What `kefu run telegram` runs, workspace included (the Runner serves it), on the fake Bot API."""
    table = write_pins(tmp_path / "browser-pins.tsv", [*DESK_PINS, *BROWSER_PINS,
                                                       *(row for row in _read(desk_table) if row not in DESK_PINS)])
    environ = {"KEFU_TELEGRAM_TOKEN": DEFAULT_TOKEN, "KEFU_TELEGRAM_PACE_PRIVATE": "1/0.02"}

    with FakeTelegram(tokens=[DEFAULT_TOKEN], max_poll_wait=0.5) as fake:
        environ["KEFU_TELEGRAM_API_URL"] = f"{fake.url}/bot"

        async def setup() -> Serving:
            import asyncio

            from bot.serve.runner import Runner

            local = dataclasses.replace(settings, web_port=0)
            kefu = await make_kefu(tmp_path, local, brain, warm_detector, table)
            runner = Runner(kefu, ["telegram"], environ)
            running = asyncio.create_task(runner.run())
            while runner.web is None or runner.web._socket is None:  # bound: the port is known
                if running.done():
                    running.result()
                await asyncio.sleep(0.05)
            runner.web_app.state.web.live.every = 0.1

            async def stop() -> None:
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
                await kefu.store.close()

            return Serving(runner.web_app, f"http://127.0.0.1:{runner.web.port}", stop)

        with Served(setup) as server:
            yield server, fake


def _read(path: Path) -> list[tuple[str, ...]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [tuple(row) for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")]


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], Any]]:  # noqa: F811
    """Pages in browser contexts of their own (separate cookies: separate people)."""
    contexts: list[Any] = []

    def make() -> Any:
        contexts.append(browser.new_context())
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def wait_for(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return found


def to_buyer(fake: FakeTelegram, *parts: str) -> list[dict[str, Any]]:
    return [c for c in fake.sent() if c["chat_id"] == BUYER and all(p in str(c.get("text", "")) for p in parts)]


def test_a_telegram_buyer_is_taken_over_answered_in_chinese_and_handed_back_from_the_browser(shop: Any, new_page: Any) -> None:
    served, fake = shop
    page = new_page()
    sign_in_page(page, served.url, "wang")
    page.wait_for_selector("body[data-connected]")  # listening for live updates
    page.evaluate("window.kefuNotReloaded = true")

    fake.push_update(tf.private_text_update(HANDOFF, chat_id=BUYER, first_name="Ivan", language_code="ru"))
    page.wait_for_selector("tr.card a.buyer:has-text('Ivan')", timeout=10_000)  # the card appears…
    assert page.evaluate("window.kefuNotReloaded === true")  # …without a reload
    assert "要求人工" in page.locator("tr.card").inner_text()  # the reason, in the agent's Chinese

    page.click("tr.card a.buyer")
    assert HANDOFF_ZH in page.locator("#history").inner_text()  # the buyer's Russian, in Chinese beside it
    page.click("#claim")
    page.wait_for_selector("#release")
    wait_for(lambda: to_buyer(fake, "wang"), "the buyer told wang joined")

    page.fill("#reply-text", REPLY_ZH)
    page.click("#preview-button")
    assert page.locator("#preview-text").inner_text() == AGENT_REPLY_RU  # what the buyer will get
    assert page.locator("#preview-back").inner_text() == BACK_ZH  # and back, to check it
    page.click("#send-button")
    page.wait_for_selector(".notice")
    wait_for(lambda: to_buyer(fake, AGENT_REPLY_RU), "the Russian reply in the buyer's Telegram")

    page.click("#release")
    page.wait_for_selector(".notice")
    told = len(to_buyer(fake))
    fake.push_update(tf.private_text_update(ORDER, chat_id=BUYER, first_name="Ivan", language_code="ru"))
    wait_for(lambda: len(to_buyer(fake)) > told, "the bot answering the next question")
    conversation = served.call(served.app.state.web.store.find_conversation("telegram", str(BUYER)))
    assert conversation.state == "bot"


def test_two_browsers_claiming_at_once_one_wins_the_other_is_told(served: Served, new_page: Any) -> None:
    conversation = served.call(_handed_off(served))
    pages = []
    for name in ("lina", "wang"):
        page = new_page()
        sign_in_page(page, served.url, name)
        page.goto(f"{served.url}/c/{conversation}")
        pages.append(page)
    for page in pages:  # both forms go out before either answer is in
        page.evaluate("document.getElementById('claim').form.submit()")
    for page in pages:
        page.wait_for_load_state()
        page.wait_for_selector(".notice, .problem")
    texts = [page.locator("body").inner_text() for page in pages]
    holder = served.call(served.app.state.web.store.conversation(conversation)).agent
    assert holder in ("lina", "wang")
    told = {"lina": "已被 lina 接手", "wang": "already claimed by wang"}[holder]  # wang reads Chinese, lina English
    assert told in (texts[1] if holder == "lina" else texts[0])


def test_buyer_script_in_text_and_name_is_shown_as_text(served: Served, new_page: Any) -> None:
    attack = "<script>alert('x')</script><img src=x onerror=\"alert('y')\">"
    conversation = served.call(_handed_off(served, name=f"Eve{attack}", text=f"I want a human {attack}", language="en"))
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in_page(page, served.url, "lina")
    page.goto(f"{served.url}/?view=all")
    assert attack in page.locator("tr.card a.buyer").inner_text()
    page.goto(f"{served.url}/c/{conversation}")
    assert attack in page.locator("#history").inner_text()
    page.wait_for_timeout(300)
    assert dialogs == [] and page.locator("#history img").count() == 0


def test_a_post_without_the_token_is_refused_and_sign_in_is_throttled(served: Served, new_page: Any) -> None:
    conversation = served.call(_handed_off(served))
    page = new_page()
    sign_in_page(page, served.url, "lina")
    page.wait_for_selector("#live")
    status = page.evaluate(f"fetch('/c/{conversation}/claim', {{method: 'POST', credentials: 'same-origin'}}).then(r => r.status)")
    assert status == 403
    assert served.call(served.app.state.web.store.conversation(conversation)).state == "waiting"

    other = new_page()
    for _ in range(3):
        sign_in_page(other, served.url, "wang", "wrong password")
        assert "Wrong name or password" in other.locator(".problem").inner_text()
    sign_in_page(other, served.url, "wang")  # the right password, too soon
    assert "Too many failed sign-ins" in other.locator(".problem").inner_text()


def test_an_agent_signs_in_and_is_denied_the_admin_pages(served: Served, new_page: Any) -> None:
    page = new_page()
    sign_in_page(page, served.url, "lina")
    page.wait_for_selector("#live")
    assert page.locator("a[href='/accounts']").count() == 0
    response = page.goto(f"{served.url}/accounts")
    assert response is not None and response.status == 403
    assert "for admins" in page.locator("#refused").inner_text()


async def _handed_off(served: Served, name: str = "Ivan", text: str = HANDOFF, language: str = "ru") -> int:
    """A console buyer asks for a person (as `kefu chat` on the same database would)."""
    from adapters.console import make_message
    from bot.message import Style

    kefu = served.app.state.web.kefu
    await kefu.pipeline.handle(make_message(text, "console-b1", "b1", name, language), Style.CHAT)
    return (await kefu.store.find_conversation("console", "console-b1")).id
