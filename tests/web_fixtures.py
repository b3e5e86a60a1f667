"""Fixtures for the web workspace's tests.

HTTP level: `web` is the workspace on the desk fixtures' bot (kefu_app), with `client(name, role)`
giving a signed-in httpx client (ASGI transport, no socket). Browser level: `browser` is one
headless Debian chromium per test module (Playwright's sync API); `Served` runs a bot
and its workspace on a real port, in a thread with its own event loop, so the sync browser
and the async server never share a loop. Import what a module needs, plus the fixtures they
build on (kefu_app, desk_table, warm_detector). `browser` and `page` come from conftest.py (one
browser for every browser test module).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import skip_or_fail

PASSWORD = "correct horse battery"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
BASE = "http://kefu.test"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


class Workspace:
    """The workspace app plus helpers to make accounts and signed-in clients."""

    def __init__(self, kefu: Any, app: Any) -> None:
        self.kefu, self.app = kefu, app
        self._clients: list[httpx.AsyncClient] = []

    def anonymous(self, base: str = BASE) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=("203.0.113.9", 5000)), base_url=base)
        self._clients.append(client)
        return client

    async def account(self, name: str, role: str = "agent", language: str = "en") -> Any:
        from bot.web.accounts import add

        return await add(self.kefu.store, name, role, PASSWORD, language)

    async def sign_in(self, client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
        page = await client.get("/signin")
        return await client.post("/signin", data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/"})

    async def client(self, name: str, role: str = "agent", language: str = "en") -> httpx.AsyncClient:
        """A client signed in as a new account `name`."""
        await self.account(name, role, language)
        client = self.anonymous()
        signed = await self.sign_in(client, name)
        assert signed.status_code == 303, signed.text
        return client

    async def csrf(self, client: httpx.AsyncClient, path: str = "/") -> str:
        return csrf_of((await client.get(path)).text)

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


@pytest.fixture
async def web(kefu_app: Any) -> AsyncIterator[Workspace]:
    from bot.web.app import create_app

    app = await create_app(kefu_app, secret="test-secret", live_every=0.05)
    workspace = Workspace(kefu_app, app)
    yield workspace
    await workspace.close()
    await app.state.web.live.close()


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Debian chromium per test module (Playwright cannot download its own here).

    Not per session: while Playwright's sync API is open, an event loop runs in the main thread,
    and the `asyncio.run` of every later test module would fail. A module of browser tests holds
    only plain `def` tests for the same reason."""
    path = shutil.which("chromium")
    if path is None:
        skip_or_fail("chromium is not installed", "bash .ci/services.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in a context of its own (its own cookies: one person)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


class Served:
    """A bot and its workspace on 127.0.0.1, in a thread with its own event loop.

    `setup()` (a coroutine function, run on that loop) returns the Starlette app, which is then
    served by uvicorn here, or a `Serving` (a Runner serving its own workspace, with what stops it).
    `call(coro)` runs a coroutine on that loop and returns its result."""

    def __init__(self, setup: Callable[[], Awaitable[Any]]) -> None:
        self.setup = setup
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="kefu-served", daemon=True)

    def call(self, coro: Awaitable[Any], timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def __enter__(self) -> "Served":
        self.thread.start()
        made = self.call(self.setup())
        self.serving = made if isinstance(made, Serving) else self.call(_serve(made))
        self.app, self.url = self.serving.app, self.serving.url
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            await self.app.state.web.live.close()  # open event streams end: uvicorn need not wait for them
            await self.serving.stop()

        try:
            self.call(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


class Serving:
    """A workspace being served: its app, its address, and how to stop it (and what runs with it)."""

    def __init__(self, app: Any, url: str, stop: Callable[[], Awaitable[Any]]) -> None:
        self.app, self.url, self.stop = app, url, stop


async def _serve(app: Any) -> Serving:
    from adapters.asgi import AsgiServer

    server = AsgiServer(app, "127.0.0.1", 0, "web workspace (test)")
    port = server.bind()
    task = asyncio.create_task(server.serve())

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.state.web.kefu.store.close()

    return Serving(app, f"http://127.0.0.1:{port}", stop)


def sign_in_page(page: Any, url: str, name: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{url}/signin")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
