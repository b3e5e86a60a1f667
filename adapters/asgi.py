"""An ASGI app served by uvicorn, for the channels that receive HTTP (Telegram webhook, Slack events).

The socket is bound before serving so the real port is known up front (port 0
picks a free one) and a busy port raises `OSError` instead of uvicorn's
`sys.exit`. Signals are left to the process owner (`kefu serve`): several
channels share one process, so no single uvicorn may claim Ctrl-C. The server
stops when its task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()


class AsgiServer:
    def __init__(self, app: Any, host: str, port: int, name: str) -> None:
        self.host, self.name = host, name
        self._config = uvicorn.Config(
            app, host=host, port=port, lifespan="off", access_log=False, log_level="warning",
            timeout_graceful_shutdown=5,
        )
        self._server = _Server(self._config)
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("call bind() first")
        return self._socket.getsockname()[1]

    def bind(self) -> int:
        """Open the listening socket (connections queue until `serve` runs); returns the port."""
        if self._socket is None:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # `kefu run --workers N`: every worker listens on the same port, the kernel spreads connections.
            shared = os.environ.get("KEFU_SHARE_PORT") == "1" and hasattr(socket, "SO_REUSEPORT")
            self._socket = socket.create_server((self.host, self._config.port), family=family, reuse_port=shared)
        return self.port

    async def serve(self) -> None:
        """Serve until cancelled, then shut down gracefully."""
        self.bind()
        assert self._socket is not None
        log.info("%s: listening on http://%s:%d", self.name, self.host, self.port)
        task = asyncio.ensure_future(self._server.serve(sockets=[self._socket]))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._server.should_exit = True
            await task
            raise
        finally:
            self._socket.close()
            self._socket = None
