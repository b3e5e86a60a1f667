"""A local stand-in for the Slack Web API, driven by the real slack_sdk clients.

Point clients at it with ``WebClient(token="xoxb-test", base_url=f"{fake.url}/api/")`` (same for
``AsyncWebClient`` and bolt's ``App(client=...)``).  slack_sdk sends JSON (chat.postMessage),
form bodies or GET query strings (users.info, conversations.info) with ``Authorization: Bearer``;
all are accepted.  Like Slack, errors are HTTP 200 ``{"ok": false, "error": "..."}`` except
rate limits (429 + ``Retry-After``).  ``fake.response_url`` is a local stand-in for the
``response_url`` of interactive payloads; posts to it are recorded as method ``"response_url"``.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Callable

from . import slack_rules as rules
from ._server import ApiError, Call, FakeServer, Reply

TEAM_ID = "T0KEFU"
TEAM_NAME = "Kefu Test"
BOT_USER_ID = "U0KEFUBOT"
BOT_ID = "B0KEFU"
APP_ID = "A0KEFU"
DEFAULT_USER_ID = "U0CUSTOMER"
DEFAULT_USER: dict[str, Any] = {
    "real_name": "Test Customer", "tz": "Europe/Berlin", "tz_label": "Central European Time",
    "tz_offset": 3600, "locale": "en-US",
}
DEFAULT_DM, DEFAULT_CHANNEL = "D0KEFU001", "C0SUPPORT"  # the factories' defaults: channels the app is in
_JSON_PARAMS = {"blocks", "attachments", "metadata"}  # JSON strings inside form bodies


class FakeSlack(FakeServer):
    """Fake Slack Web API.  ``users`` maps user id -> overrides of DEFAULT_USER's fields
    (real_name, tz, tz_offset, locale...).  ``tokens=None`` accepts any ``xox*`` token.

    Strict like Slack: posts go only to channels it knows (``add_channel``, the factories'
    defaults, DMs from conversations.open), ``scopes`` limit what the token may call
    (``missing_scope``), blocks are checked against Block Kit's limits (``invalid_blocks``), and
    ``rate_limit`` (seconds between posts in one channel) answers 429 + Retry-After.
    README.md lists every refusal."""

    def __init__(self, users: dict[str, dict[str, Any]] | None = None,
                 tokens: list[str] | None = None, *, scopes: frozenset[str] | set[str] | None = None,
                 rate_limit: float | None = None) -> None:
        super().__init__()
        self.tokens = set(tokens) if tokens is not None else None
        self.scopes = frozenset(rules.ALL_SCOPES if scopes is None else scopes)
        self.rate_limit = rate_limit
        self.socket_mode_url: str | None = None  # FakeSocketMode.url: apps.connections.open answers it
        self._token = ""
        self.users = {DEFAULT_USER_ID: dict(DEFAULT_USER)} if users is None else dict(users)
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test, "chat.postMessage": self._post_message,
            "chat.update": self._update, "chat.postEphemeral": self._post_ephemeral,
            "users.info": self._users_info, "conversations.info": self._conversations_info,
            "conversations.open": self._conversations_open, "reactions.add": self._reactions_add,
            "apps.connections.open": self._connections_open,
        }
        self._init_state()

    def _init_state(self) -> None:
        self._ts = itertools.count(100, 100)
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._dms: dict[str, str] = {}
        self._reactions: set[tuple[str, str, str]] = set()
        self._failures: dict[str, list[ApiError]] = {}
        self._channels: dict[str, dict[str, Any]] = {DEFAULT_DM: {}, DEFAULT_CHANNEL: {}}
        self._limit = rules.RateLimit(self.rate_limit) if self.rate_limit else None

    # ---- test helpers ------------------------------------------------------------------------
    @property
    def response_url(self) -> str:
        """Pass as ``response_url`` to slack_factories.block_actions_payload."""
        return f"{self.url}/actions/{TEAM_ID}/1/fake-response-url"

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._init_state()

    def add_channel(self, channel: str, *, archived: bool = False) -> None:
        """A channel or DM the app is in; ``archived`` ones refuse posts with ``is_archived``."""
        with self._lock:
            self._channels[channel] = {"archived": archived}

    def add_user(self, user_id: str, **fields: Any) -> None:
        """Register a user for users.info; unspecified fields come from DEFAULT_USER."""
        with self._lock:
            self.users[user_id] = {**DEFAULT_USER, **fields}

    def fail_next(self, method: str, error: str = "internal_error",
                  retry_after: int | None = None) -> None:
        """Make the next ``method`` call fail; ``retry_after`` gives a real 429 rate limit."""
        exc = ApiError(429, "ratelimited", retry_after=retry_after) if retry_after else ApiError(
            200, error)
        with self._lock:
            self._failures.setdefault(method, []).append(exc)

    # ---- HTTP routing ------------------------------------------------------------------------
    def route(
        self, http_method: str, path: str, headers: dict[str, str], query: dict[str, str],
        params: dict[str, Any], was_json: bool,
    ) -> Reply:
        params = {**query, **params}
        if not was_json:  # forms carry blocks/attachments as JSON strings
            for key in _JSON_PARAMS & params.keys():
                try:
                    params[key] = json.loads(params[key])
                except (TypeError, ValueError):
                    pass
        if path.startswith("/actions/"):
            self.record(Call("response_url", params, http_method, headers))
            return Reply(200, {"ok": True})
        m = re.match(r"^/api/(?P<method>[\w.]+)$", path)
        method = m["method"] if m else path
        self.record(Call(method, params, http_method, headers))
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.get("token", "")
        try:
            if not token:
                raise ApiError(200, "not_authed")
            known = self.tokens is None or token in self.tokens
            if not token.startswith(("xox", "xapp-")) or not known:
                raise ApiError(200, "invalid_auth")
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiError(200, "unknown_method", req_method=method)
            rules.check_scope(method, self.scopes)
            with self._lock:
                if self._failures.get(method):
                    raise self._failures[method].pop(0)
                if self._limit is not None and params.get("channel"):
                    self._limit.check(method, str(params["channel"]))
                self._token = token  # who is asking (apps.connections.open wants an app-level token)
                result = handler(params)
            scopes = {"x-oauth-scopes": ",".join(sorted(self.scopes))} if method == "auth.test" else {}
            return Reply(200, {"ok": True, **result}, scopes)
        except ApiError as exc:
            retry = exc.extra.pop("retry_after", None)
            headers_out = {"Retry-After": str(retry)} if retry is not None else {}
            return Reply(exc.status, {"ok": False, "error": exc.message, **exc.extra}, headers_out)

    # ---- helpers -----------------------------------------------------------------------------
    def _next_ts(self) -> str:
        n = next(self._ts)  # "1700000000.000100", "1700000000.000200", ...
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _channel(self, params: dict[str, Any]) -> str:
        """A channel the app is in, not archived."""
        channel = self._need(params, "channel", "channel_not_found")
        known = self._channels.get(channel)
        if known is None:
            raise ApiError(200, "channel_not_found")
        if known.get("archived"):
            raise ApiError(200, "is_archived")
        return channel

    @staticmethod
    def _need(params: dict[str, Any], name: str, error: str) -> Any:
        if not params.get(name):
            raise ApiError(200, error)
        return params[name]

    def _bot_message(self, params: dict[str, Any], ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID,
                               "app_id": APP_ID, "team": TEAM_ID, "ts": ts,
                               "text": params.get("text") or ""}
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key):
                msg[key] = params[key]
        return msg

    # ---- API methods (called with self._lock held) --------------------------------------------
    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://kefu-test.slack.com/", "team": TEAM_NAME, "user": "kefubot",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        rules.check_thread(params.get("thread_ts"))
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise ApiError(200, "no_text")
        rules.check_blocks(params.get("blocks"))
        if len(params.get("text") or "") > 40_000:
            raise ApiError(200, "msg_too_long")
        ts = self._next_ts()
        message = self._bot_message(params, ts)
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = self._need(params, "ts", "message_not_found")
        rules.check_blocks(params.get("blocks"))
        if (channel, ts) not in self._messages:
            raise ApiError(200, "message_not_found")
        message = self._bot_message(params, ts)
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self._channel(params)
        rules.check_thread(params.get("thread_ts"))
        rules.check_blocks(params.get("blocks"))
        self._need(params, "user", "user_not_in_channel")
        return {"message_ts": self._next_ts()}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack, ``locale`` is only returned when include_locale is true."""
        user_id = self._need(params, "user", "user_not_found")
        if user_id not in self.users:
            raise ApiError(200, "user_not_found")
        u = {**DEFAULT_USER, **self.users[user_id]}
        first, _, last = u["real_name"].partition(" ")
        user = {"id": user_id, "team_id": TEAM_ID, "name": u["real_name"].lower().replace(" ", "."),
                "deleted": False, "real_name": u["real_name"], "tz": u["tz"],
                "tz_label": u["tz_label"], "tz_offset": u["tz_offset"], "is_bot": False,
                "is_admin": False, "updated": 1_700_000_000,
                "profile": {"real_name": u["real_name"], "display_name": first,
                            "real_name_normalized": u["real_name"],
                            "display_name_normalized": first,
                            "first_name": first, "last_name": last, "team": TEAM_ID}}
        if str(params.get("include_locale")).lower() in ("true", "1"):
            user["locale"] = u["locale"]
        return {"user": user}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._need(params, "channel", "channel_not_found")
        dm_user = next((u for u, d in self._dms.items() if d == channel), None)
        if channel.startswith("D"):
            info = {"id": channel, "is_im": True, "user": dm_user or DEFAULT_USER_ID,
                    "is_open": True}
        else:
            info = {"id": channel, "name": f"support-{channel.lower()}", "is_channel": True,
                    "is_im": False, "is_private": channel.startswith("G"), "is_member": True}
        return {"channel": {**info, "created": 1_700_000_000}}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = self._need(params, "users", "users_list_not_supplied")
        key = users if isinstance(users, str) else ",".join(users)
        if key in self._dms:
            return {"no_op": True, "already_open": True, "channel": {"id": self._dms[key]}}
        self._dms[key] = f"D0KEFU{len(self._dms) + 1:03d}"
        self._channels.setdefault(self._dms[key], {})
        return {"channel": {"id": self._dms[key]}}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        key = (self._need(params, "channel", "channel_not_found"),
               self._need(params, "timestamp", "no_item_specified"),
               self._need(params, "name", "invalid_name"))
        if key in self._reactions:
            raise ApiError(200, "already_reacted")
        self._reactions.add(key)
        return {}

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode's way in: only an app-level token, and only when a FakeSocketMode is set."""
        if not self._token.startswith("xapp-") or self.socket_mode_url is None:
            raise ApiError(200, "not_allowed_token_type")
        return {"url": self.socket_mode_url}
