"""A local stand-in for the Telegram Bot API, good enough to drive python-telegram-bot for real.

Point PTB at it with ``Bot(token, base_url=f"{fake.url}/bot",
base_file_url=f"{fake.url}/file/bot")``.  Requests then arrive at ``/bot<token>/<method>``
(GET or POST; query string, JSON, form or multipart bodies — PTB sends form/multipart).
Responses and errors use the real envelope: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with HTTP status N, which is what PTB
maps to ``BadRequest``/``Forbidden``/``RetryAfter``...
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any, Callable

from . import telegram_rules as rules
from ._server import ApiError, Call, FakeServer, Reply, UploadedFile
from .telegram_rules import Flood, FloodLimits

DEFAULT_TOKEN = "123456:TEST"
DEFAULT_ICON_COLOR = 7322096  # 0x6FB9F0, Telegram's default topic colour
_TOKEN_RE = re.compile(r"^\d+:[\w-]+$")
_PATH_RE = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")
_FILE_RE = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
# Parameters that are free text: never JSON-decode them ("123" must stay a string).
_TEXT_PARAMS = {
    "text", "caption", "name", "title", "description", "short_description", "url", "data",
    "callback_query_id", "inline_message_id", "parse_mode", "action", "secret_token",
    "language_code", "icon_custom_emoji_id", "emoji", "query", "file_id", "ip_address",
}


def _coerce(params: dict[str, Any]) -> dict[str, Any]:
    """Form/multipart values are strings on the wire; PTB JSON-encodes non-strings.  Decode
    them back (like Telegram does) so tests can compare ``chat_id == 42``."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key not in _TEXT_PARAMS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[key] = value
    return out


def _require(params: dict[str, Any], *names: str) -> None:
    for name in names:
        if params.get(name) in (None, ""):
            raise ApiError(400, f"Bad Request: {name} is empty")


class FakeTelegram(FakeServer):
    """Fake Bot API server.  Thread-safe; all state lives behind ``self._lock``.

    ``tokens=None`` accepts any well-formed token; otherwise unknown tokens get 401.
    ``max_poll_wait`` caps getUpdates long-polling so test shutdown stays fast.
    ``flood`` turns on Telegram's per-chat flood limits (429 + ``retry_after``); off by default
    so tests that do not test pacing need not wait a second between messages.

    Strict like the real server: a chat exists only once it wrote to the bot (``push_update``) or
    was added (``add_chat``); a forum topic only once created or seen. README.md lists every refusal.
    """

    def __init__(
        self,
        tokens: list[str] | None = None,
        *,
        max_poll_wait: float = 1.0,
        bot_first_name: str = "Kefu Test Bot",
        bot_username: str = "kefu_test_bot",
        flood: FloodLimits | None = None,
    ) -> None:
        super().__init__()
        self.flood_limits = flood
        self.tokens = set(tokens) if tokens is not None else None
        self.max_poll_wait = max_poll_wait
        self.bot_first_name, self.bot_username = bot_first_name, bot_username
        self._handlers: dict[str, tuple[str, Callable[[str, dict[str, Any]], Any]]] = {
            name.lower(): (name, fn)
            for name, fn in {
                "getMe": self._get_me, "getUpdates": self._get_updates,
                "sendMessage": self._send_message, "editMessageText": self._edit_message_text,
                "sendPhoto": lambda t, p: self._send_media("photo", t, p),
                "sendDocument": lambda t, p: self._send_media("document", t, p),
                "sendVoice": lambda t, p: self._send_media("voice", t, p),
                "getFile": self._get_file,
                "sendChatAction": self._true, "answerCallbackQuery": self._true,
                "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info, "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "createForumTopic": self._create_forum_topic, "getChat": self._get_chat,
                "close": self._true, "logOut": self._true,
            }.items()
        }
        self._init_state()

    def _init_state(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._last_update_id = 0
        self._allowed_updates: list[str] = []
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(100_000)  # far from factory ids: no collisions
        self._thread_ids = itertools.count(1000)
        self._files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, data)
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._webhook: dict[str, Any] = {}
        self._blocked: set[int] = set()
        self._failures: dict[str, list[ApiError]] = {}
        self._topics: dict[int, set[int]] = {}  # forum chat id -> its message_thread_ids
        self._polls: dict[str, int] = {}  # token -> the newest getUpdates request's number
        self._flood = Flood(self.flood_limits) if self.flood_limits else None

    # ---- test helpers ------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._init_state()

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates.  Like the real server, ids strictly increase: a
        missing or stale ``update_id`` is replaced.  Returns the update as queued."""
        update = dict(update)
        with self._lock:
            uid = update.get("update_id")
            if not isinstance(uid, int) or uid <= self._last_update_id:
                update["update_id"] = self._last_update_id + 1
            self._last_update_id = update["update_id"]
            for key in ("message", "edited_message", "channel_post", "callback_query"):
                msg = update.get(key, {})
                msg = msg.get("message", msg) if key == "callback_query" else msg
                if "chat" in msg:
                    self._chats.setdefault(msg["chat"]["id"], msg["chat"])
                    self._messages.setdefault((msg["chat"]["id"], msg["message_id"]), msg)
                    if msg.get("is_topic_message") and msg.get("message_thread_id"):
                        self._topics.setdefault(msg["chat"]["id"], set()).add(msg["message_thread_id"])
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Params of every ``method`` request (what the bot tried to do), oldest first."""
        return self.calls(method)

    def add_chat(self, chat: dict[str, Any]) -> None:
        """Register a chat (e.g. a forum supergroup, or a buyer who started the bot) so sends reach it."""
        with self._lock:
            self._chats[chat["id"]] = chat

    def add_private_chat(self, chat_id: int, first_name: str = "User") -> None:
        """A buyer who has started the bot: the only private chats a bot may write to."""
        self.add_chat({"id": chat_id, "type": "private", "first_name": first_name})

    def add_forum(self, chat_id: int, title: str = "Agents") -> None:
        """A forum supergroup the bot is a member of (the agents' desk)."""
        self.add_chat({"id": chat_id, "type": "supergroup", "title": title, "is_forum": True})

    def add_file(self, file_id: str, data: bytes, file_path: str | None = None) -> None:
        """Make ``file_id`` (e.g. from a photo/voice factory) downloadable via getFile."""
        with self._lock:
            self._files[file_id] = (file_path or f"files/{file_id}", data)

    def block_user(self, chat_id: int) -> None:
        """Subsequent sends to ``chat_id`` fail with 403 'bot was blocked by the user'."""
        with self._lock:
            self._blocked.add(chat_id)

    def fail_next(
        self, method: str, error_code: int = 400, description: str = "Bad Request: test failure",
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``method`` call fail.  ``retry_after`` gives a real 429 flood error."""
        extra = {"parameters": {"retry_after": retry_after}} if retry_after is not None else {}
        if retry_after is not None and error_code == 400:
            error_code, description = 429, f"Too Many Requests: retry after {retry_after}"
        with self._lock:
            self._failures.setdefault(method, []).append(ApiError(error_code, description, **extra))

    # ---- HTTP routing ------------------------------------------------------------------------
    def route(
        self, http_method: str, path: str, headers: dict[str, str], query: dict[str, str],
        params: dict[str, Any], was_json: bool,
    ) -> Reply:
        if m := _FILE_RE.match(path):
            with self._lock:
                data = next((d for p, d in self._files.values() if p == m["path"]), None)
            if data is None or not self._token_ok(m["token"]):
                return self._error(ApiError(404, "Not Found"))
            return Reply(200, data, {"Content-Type": "application/octet-stream"})
        m = _PATH_RE.match(path)
        if not m or not _TOKEN_RE.match(m["token"]):
            return self._error(ApiError(404, "Not Found"))
        name, handler = self._handlers.get(m["method"].lower(), (m["method"], None))
        params = {**_coerce(query), **params} if was_json else _coerce({**query, **params})
        self.record(Call(name, params, http_method, headers))
        try:
            if not self._token_ok(m["token"]):
                raise ApiError(401, "Unauthorized")
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            with self._lock:
                queued = self._failures.get(name)
                if queued:
                    raise queued.pop(0)
            return Reply(200, {"ok": True, "result": handler(m["token"], params)})
        except ApiError as exc:
            return self._error(exc)

    def _token_ok(self, token: str) -> bool:
        return self.tokens is None or token in self.tokens

    @staticmethod
    def _error(exc: ApiError) -> Reply:
        body = {"ok": False, "error_code": exc.status, "description": exc.message, **exc.extra}
        return Reply(exc.status, body)

    # ---- shared builders ---------------------------------------------------------------------
    def _bot_user(self, token: str) -> dict[str, Any]:
        return {"id": int(token.split(":")[0]), "is_bot": True,
                "first_name": self.bot_first_name, "username": self.bot_username}

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        """A chat the bot knows (it wrote to the bot, or was added); any other: 'chat not found'."""
        if isinstance(chat_id, str) and re.fullmatch(r"-?\d+", chat_id):
            chat_id = int(chat_id)  # JSON bodies may carry ids as strings; Telegram accepts it
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise ApiError(400, "Bad Request: chat not found")
        return self._chats[chat_id]

    def _check_topic(self, chat: dict[str, Any], thread: Any) -> None:
        """A message_thread_id must name a topic of that forum (General is not addressable as 1)."""
        if thread and chat.get("is_forum") and thread not in self._topics.get(chat["id"], set()):
            raise ApiError(400, "Bad Request: message thread not found")

    def _new_message(self, token: str, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        """Build, store and return a Message sent by the bot, honouring common send params."""
        _require(params, "chat_id")
        rules.check_markup(params)
        with self._lock:
            chat = self._chat(params["chat_id"])
            if chat["id"] in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            self._check_topic(chat, params.get("message_thread_id"))
            if self._flood is not None:
                self._flood.check(chat["id"])
            msg: dict[str, Any] = {"message_id": next(self._message_ids),
                                   "from": self._bot_user(token), "chat": chat,
                                   "date": int(time.time()), **content}
            if thread := params.get("message_thread_id"):
                msg.update(message_thread_id=thread, is_topic_message=True)
            markup = params.get("reply_markup")
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                msg["reply_markup"] = markup  # only inline keyboards are echoed back
            reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
                "reply_to_message_id")
            if reply_to and (chat["id"], reply_to) in self._messages:
                msg["reply_to_message"] = self._messages[(chat["id"], reply_to)]
            self._messages[(chat["id"], msg["message_id"])] = msg
            return msg

    # ---- API methods -------------------------------------------------------------------------
    def _true(self, token: str, params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(token), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    def _get_updates(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Real semantics: returns updates with update_id >= offset; calling with an offset
        confirms (drops) everything below it; a negative offset keeps the last -offset."""
        offset, limit = params.get("offset"), int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        with self._lock:
            number = self._polls[token] = self._polls.get(token, 0) + 1
            self._lock.notify_all()  # an older request still waiting is terminated by this one
            if self._webhook.get("url"):
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                    "active; use deleteWebhook to delete the webhook first")
            if "allowed_updates" in params:
                self._allowed_updates = params["allowed_updates"] or []
            while True:
                if isinstance(offset, int) and offset < 0:
                    self._updates = self._updates[offset:]
                elif isinstance(offset, int):
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._allowed_updates:
                    self._updates = [u for u in self._updates
                                     if set(u) - {"update_id"} <= set(self._allowed_updates)]
                remaining = deadline - time.monotonic()
                if self._updates or remaining <= 0 or self.stopping:
                    return self._updates[:limit]
                self._lock.wait(remaining)
                if self._polls[token] != number:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that "
                                        "only one bot instance is running")

    def _send_message(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        text = rules.check_text(params)
        extra = {"entities": params["entities"]} if params.get("entities") else {}
        return self._new_message(token, params, text=text, **extra)

    def _edit_message_text(self, token: str, params: dict[str, Any]) -> dict[str, Any] | bool:
        _require(params, "text")
        rules.check_text(params)
        rules.check_markup(params)
        if params.get("inline_message_id"):
            return True
        _require(params, "chat_id", "message_id")
        with self._lock:
            msg = self._messages.get((self._chat(params["chat_id"])["id"], params["message_id"]))
            if msg is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if not msg.get("from", {}).get("is_bot"):
                raise ApiError(400, "Bad Request: message can't be edited")
            markup = params.get("reply_markup")
            if msg.get("text") == params["text"] and msg.get("reply_markup") == markup:
                raise ApiError(400, "Bad Request: message is not modified: specified new message"
                                    " content and reply markup are exactly the same as a current"
                                    " content and reply markup of the message")
            msg.update(text=params["text"], edit_date=int(time.time()))
            msg.pop("reply_markup", None)
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                msg["reply_markup"] = markup
            return msg

    def _send_media(self, kind: str, token: str, params: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto/sendDocument/sendVoice: the uploaded bytes become downloadable."""
        _require(params, kind)
        rules.check_caption(params)
        source = params[kind]
        with self._lock:
            file_id = f"{kind}-{next(self._message_ids)}"
            data = source.data if isinstance(source, UploadedFile) else b""
            self._files[file_id] = (f"{kind}s/{file_id}", data)
        meta = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data)}
        if kind == "photo":
            media: Any = [{**meta, "width": 800, "height": 600}]
        elif kind == "document":
            name = source.filename if isinstance(source, UploadedFile) else "file"
            mime = getattr(source, "content_type", "application/octet-stream")
            media = {**meta, "file_name": name, "mime_type": mime}
        else:
            media = {**meta, "duration": int(params.get("duration") or 1), "mime_type": "audio/ogg"}
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._new_message(token, params, **{kind: media}, **extra)

    def _get_file(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "file_id")
        with self._lock:
            if params["file_id"] not in self._files:
                raise ApiError(400, "Bad Request: invalid file_id")
            path, data = self._files[params["file_id"]]
        return {"file_id": params["file_id"], "file_unique_id": f"u{params['file_id']}",
                "file_size": len(data), "file_path": path}

    def _set_webhook(self, token: str, params: dict[str, Any]) -> bool:
        with self._lock:
            self._webhook = {k: params[k] for k in ("url", "max_connections", "allowed_updates")
                             if k in params}
        return True

    def _delete_webhook(self, token: str, params: dict[str, Any]) -> bool:
        with self._lock:
            self._webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _get_webhook_info(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return {"url": "", **self._webhook, "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _set_my_commands(self, token: str, params: dict[str, Any]) -> bool:
        _require(params, "commands")
        rules.check_commands(params["commands"])
        scope = params.get("scope") or {}
        with self._lock:
            if "chat_id" in scope:
                self._chat(scope["chat_id"])
            self._commands[self._commands_key(params)] = params["commands"]
        return True

    def _get_my_commands(self, token: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            return self._commands.get(self._commands_key(params), [])

    def _delete_my_commands(self, token: str, params: dict[str, Any]) -> bool:
        with self._lock:
            self._commands.pop(self._commands_key(params), None)
        return True

    def _create_forum_topic(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "chat_id", "name")
        with self._lock:
            chat = self._chat(params["chat_id"])
            if not chat.get("is_forum"):
                raise ApiError(400, "Bad Request: the chat is not a forum")
            topic = {"message_thread_id": next(self._thread_ids), "name": params["name"],
                     "icon_color": params.get("icon_color") or DEFAULT_ICON_COLOR}
            self._topics.setdefault(chat["id"], set()).add(topic["message_thread_id"])
        if params.get("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        return topic

    def _get_chat(self, token: str, params: dict[str, Any]) -> dict[str, Any]:
        _require(params, "chat_id")
        with self._lock:
            chat = self._chat(params["chat_id"])
        gifts = {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                 "premium_subscription": False, "gifts_from_channels": False}
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}
