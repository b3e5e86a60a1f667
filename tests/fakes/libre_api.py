"""A local LibreTranslate server (POST /translate) that can hang: for the translator's timeouts.

A text starting with "hang" is never answered: the server holds the connection
until the client closes it, and notes when that happened — proof that the
client's HTTP call really ended, rather than being abandoned in a thread.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


class FakeLibre:
    def __init__(self, translations: dict[str, str] | None = None) -> None:
        self.translations = translations or {}
        self.closed_by_client: list[float] = []  # when each hung request's connection was closed
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                params = dict(parse_qsl(urlsplit(self.path).query))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                text = params.get("q", "")
                if text.startswith("hang"):
                    self.connection.settimeout(30)
                    while self.connection.recv(1024):  # b"" once the client closes its end
                        pass
                    with fake._lock:
                        fake.closed_by_client.append(time.monotonic())
                    self.close_connection = True
                    return
                body = json.dumps({"translatedText": fake.translations.get(text, "")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> "FakeLibre":
        threading.Thread(target=self._server.serve_forever, name="fake-libre", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
