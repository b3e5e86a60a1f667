"""A local Socket Mode endpoint: the WebSocket side of Slack's Socket Mode, for Bolt's handler.

The app calls ``apps.connections.open`` with its app-level token (FakeSlack answers it with
``url``), opens the WebSocket, gets ``hello``, and then receives envelopes — ``events_api``,
``interactive`` — each of which it must acknowledge with ``{"envelope_id": …}``. A
``disconnect`` (``refresh_requested``, ``warning``) asks it to open a new connection.
Protocol: https://api.slack.com/apis/socket-mode ("Using Socket Mode").
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from aiohttp import WSMsgType, web

from .slack_api import APP_ID


class FakeSocketMode:
    """Runs in the test's event loop. ``await start()``, ``await stop()``; ``url`` for FakeSlack."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._connected = asyncio.Event()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link/?ticket=fake"

    async def start(self) -> FakeSocketMode:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.connections += 1
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID},
                                "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060}})
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    async def connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until the app has opened `count` connections in all and one is open."""
        async def wait() -> None:
            while self.connections < count or not self._sockets:
                await asyncio.sleep(0.01)
        await asyncio.wait_for(wait(), timeout)

    async def send_event(self, body: dict[str, Any]) -> str:
        """An Events API envelope around `body` (an event_callback); returns its envelope_id."""
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": "events_api", "payload": body,
                                           "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""})
        return envelope_id

    async def acked(self, envelope_id: str, timeout: float = 5.0) -> None:
        async def wait() -> None:
            while not any(ack.get("envelope_id") == envelope_id for ack in self.acks):
                await asyncio.sleep(0.01)
        await asyncio.wait_for(wait(), timeout)

    async def ask_to_reconnect(self) -> None:
        """What Slack sends before it rotates a connection: the app opens a new one."""
        await self._sockets[-1].send_json({"type": "disconnect", "reason": "refresh_requested",
                                           "debug_info": {"host": "fake-socket-mode"}})
