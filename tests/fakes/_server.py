"""Shared plumbing for the fake API servers: threading HTTP server, body parsing, call log.

Both fakes run a real ``ThreadingHTTPServer`` on 127.0.0.1 so production clients (httpx in
python-telegram-bot, urllib/aiohttp in slack_sdk) exercise their real HTTP stack; only the
base URL differs from production.  Everything here is stdlib-only on purpose.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what the client uploaded, byte for byte)."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class Call:
    """One recorded API request.  ``params`` merges query string and body."""

    method: str
    params: dict[str, Any]
    http_method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    time: float = field(default_factory=time.time)


@dataclass
class Reply:
    """What a fake wants to send back; the base class serialises it."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by a fake's method handler; the subclass turns it into its API's error format."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


def _read_chunked(rfile: Any) -> bytes:
    chunks = []
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            rfile.readline()  # trailing CRLF after the last chunk
            return b"".join(chunks)
        chunks.append(rfile.read(size))
        rfile.readline()


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], bool]:
    """Decode a request body.  Returns (params, was_json).

    Form and multipart values stay strings (that is what went over the wire); callers decide
    how to coerce them.  Multipart file parts become :class:`UploadedFile`.
    """
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, False
    if ctype == "application/json":
        data = json.loads(body)
        return (data if isinstance(data, dict) else {"_json": data}), True
    if ctype == "application/x-www-form-urlencoded":
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), False
    if ctype == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                params[name] = UploadedFile(filename, part.get_content_type(), payload)
            else:
                params[name] = payload.decode(part.get_content_charset() or "utf-8")
        return params, False
    return {"_raw": body}, False


class FakeServer:
    """Base class: lifecycle, request recording and waiting.  Subclasses implement ``route``."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = False

    # ---- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        assert self._server is not None, "call start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
            disable_nagle_algorithm = True  # else headers+body writes cost ~40 ms per request

            def do_GET(self) -> None:
                fake._dispatch(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.stopping = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._lock:
            self.stopping = True  # wakes long-polls so shutdown is immediate
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- request handling --------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = _read_chunked(handler.rfile)
        else:
            body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        parts = urlsplit(handler.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        try:
            params, was_json = parse_body(handler.headers.get("Content-Type", ""), body)
        except (ValueError, UnicodeDecodeError):
            params, was_json = {"_raw": body}, False
        path = unquote(parts.path)  # PTB percent-encodes the ':' of the token in file URLs
        reply = self.route(handler.command, path, dict(handler.headers), query, params, was_json)
        raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.headers.pop("Content-Type", "application/json"))
            handler.send_header("Content-Length", str(len(raw)))
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a cancelled long poll): nobody to answer

    def route(
        self,
        http_method: str,
        path: str,
        headers: dict[str, str],
        query: dict[str, str],
        params: dict[str, Any],
        was_json: bool,
    ) -> Reply:
        raise NotImplementedError

    # ---- recording ---------------------------------------------------------------------------
    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    @property
    def requests(self) -> list[Call]:
        """Every request received so far (including failed ones), oldest first."""
        with self._lock:
            return list(self._calls)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Params of every request to ``method``, oldest first."""
        with self._lock:
            return [c.params for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until ``method`` was called ``count`` times; returns those calls' params.

        Blocking: from ``async`` tests use :meth:`wait_for_async`, or the client under test
        never gets to run.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c.params for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({c.method for c in self._calls})
                    raise TimeoutError(
                        f"expected {count} {method} call(s) within {timeout}s, got {len(found)};"
                        f" methods seen: {seen}"
                    )
                self._lock.wait(remaining)

    async def wait_for_async(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """:meth:`wait_for` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, method, count, timeout)

    def assert_received_request_count(self, method: str, n: int) -> None:
        got = len(self.calls(method))
        assert got == n, f"expected {n} {method} request(s), got {got}"

    def reset(self) -> None:
        """Forget recorded calls; subclasses also clear their state."""
        with self._lock:
            self._calls.clear()
