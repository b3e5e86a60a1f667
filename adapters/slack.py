"""Slack: Bolt (AsyncApp) events in, threaded messages out.

B2B buyers write to the app in a DM or mention it in a shared channel. Each
mention starts its own conversation (the thread under the question); a DM is
one conversation. Over HTTP, Bolt verifies every request's signature and
timestamp (401 otherwise) and acks before the pipeline runs, so Slack's
retries (`X-Slack-Retry-Num`) are acked at once; they carry the same
`client_msg_id`, which the store de-duplicates, so a retry never gets a second
answer. Socket Mode is the other way in, for servers Slack cannot reach.

Before reporting ready the bot token is checked (auth.test) with its scopes.
Sends wait for their slot and never retry by themselves: a refusal is raised
as `RetryLater` or `Unreachable` for the outbox (adapters/slack_send.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters import env as envvars
from adapters.asgi import AsgiServer
from adapters.base import Channel, Handler, SendError
from adapters.chunks import split_text
from adapters.ordering import KeyedLocks
from adapters.pacing import Rate
from adapters.slack_send import PACE, SEND_FAILURES, check_credentials, pacer_for, refusals
from bot.customs.countries import locale_country
from bot.message import Kind, Message, Style

log = logging.getLogger(__name__)

CHANNEL = "slack"
EVENTS_PATH = "/slack/events"
MAX_CHARS = 4000  # Slack truncates longer messages in some clients; split like Telegram
MODES = ("http", "socket")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)  # xapp-…, Socket Mode only
    mode: str = "http"
    listen: str = "127.0.0.1"
    port: int = 3000
    api_url: str | None = None  # the Web API base, e.g. https://slack.com/api/ (tests point it at a fake)
    pace: Rate = PACE  # messages per channel

    def __post_init__(self) -> None:
        if not self.bot_token.startswith("xoxb-"):
            raise envvars.SettingsError("KEFU_SLACK_BOT_TOKEN must be the app's bot token (xoxb-…)")
        envvars.choice(self.mode, "KEFU_SLACK_MODE", MODES)
        envvars.check_port(self.port, "KEFU_SLACK_PORT")
        if self.mode == "http" and not self.signing_secret:
            raise envvars.SettingsError("HTTP mode needs KEFU_SLACK_SIGNING_SECRET to verify that requests come from Slack")
        if self.mode == "socket" and not (self.app_token or "").startswith("xapp-"):
            raise envvars.SettingsError("Socket Mode needs KEFU_SLACK_APP_TOKEN, an app-level token (xapp-…)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackSettings:
        env = os.environ if env is None else env
        defaults = cls.__dataclass_fields__
        return cls(
            bot_token=envvars.text(env, "KEFU_SLACK_BOT_TOKEN") or "",
            signing_secret=envvars.text(env, "KEFU_SLACK_SIGNING_SECRET"),
            app_token=envvars.text(env, "KEFU_SLACK_APP_TOKEN"),
            mode=envvars.text(env, "KEFU_SLACK_MODE") or defaults["mode"].default,
            listen=envvars.text(env, "KEFU_SLACK_LISTEN") or defaults["listen"].default,
            port=envvars.number(env, "KEFU_SLACK_PORT", defaults["port"].default),
            api_url=envvars.text(env, "KEFU_SLACK_API_URL"),
            pace=Rate(*envvars.rate(env, "KEFU_SLACK_PACE", (PACE.count, PACE.window))),
        )


@dataclass(frozen=True)
class Person:
    name: str | None = None
    language: str | None = None  # from the Slack locale: "es-ES" → "es"
    timezone: str | None = None  # the profile's IANA zone ("Europe/Madrid"): the buyer's local time
    country: str | None = None  # from the Slack locale: "es-ES" → "ES" (a hint for customs answers)


def events_app(app: AsyncApp, name: str) -> Starlette:
    """The Events API endpoint of a Bolt app (events and interactivity share it)."""
    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        response = await handler.handle(request)
        if response.status_code == 401:
            peer = request.client.host if request.client else "unknown"
            log.warning("%s: refused a request with a bad or stale signature (from %s)", name, peer)
        elif retry := request.headers.get("x-slack-retry-num"):
            log.info("%s: acked retry %s (%s)", name, retry, request.headers.get("x-slack-retry-reason", "?"))
        return response

    return Starlette(routes=[Route(EVENTS_PATH, events, methods=["POST"])])


async def serve_bolt(owner: Any, app: AsyncApp, settings: SlackSettings, name: str, *, token_setting: str = "KEFU_SLACK_BOT_TOKEN", desk: bool = False) -> None:
    """Check the token, then serve a Bolt app over HTTP (uvicorn) or Socket Mode until cancelled.

    `owner.ready` is set while requests can arrive; `owner.server` holds the HTTP server.
    """
    await check_credentials(app.client, token_setting, desk=desk)
    if settings.mode == "socket":
        handler = AsyncSocketModeHandler(app, settings.app_token)
        try:
            await handler.connect_async()
            log.info("%s: connected in Socket Mode", name)
            owner.ready.set()
            await asyncio.Future()  # until cancelled
        finally:
            owner.ready.clear()
            await handler.close_async()
        return
    owner.server = AsgiServer(events_app(app, name), settings.listen, settings.port, name)
    owner.server.bind()
    owner.ready.set()
    try:
        await owner.server.serve()
    finally:
        owner.ready.clear()


def strip_mentions(text: str, user_id: str | None) -> str:
    """The question without the `<@BOT>` mention(s) that addressed it."""
    return " ".join(_MENTION.sub(lambda m: "" if user_id in (None, m[1]) else m[0], text).split())


def escape(text: str) -> str:
    """Slack reads &, < and > as markup in every message, even with mrkdwn off."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackChannel(Channel):
    name = CHANNEL
    style = Style.CHAT

    def __init__(self, handle: Handler, settings: SlackSettings) -> None:
        super().__init__(handle)
        self.settings = settings
        kwargs = {"base_url": settings.api_url} if settings.api_url else {}
        self.client = AsyncWebClient(token=settings.bot_token, **kwargs)
        self.app = AsyncApp(
            client=self.client, signing_secret=settings.signing_secret or "", request_verification_enabled=True
        )
        self.app.event("message")(self._on_message)
        self.app.event("app_mention")(self._on_mention)
        self.app.error(self._on_error)
        self.ready = asyncio.Event()
        self.server: AsgiServer | None = None
        self._people: dict[str, Person] = {}
        self._order = KeyedLocks()
        self.pacer = pacer_for(settings.bot_token, settings.pace)
        self.serves_desk = False  # a desk riding on this app sets it: its scopes are checked too

    # ---- serving -----------------------------------------------------------------------------
    async def serve(self) -> None:
        await serve_bolt(self, self.app, self.settings, "slack", desk=self.serves_desk)

    # ---- events → pipeline → replies ---------------------------------------------------------
    async def _on_message(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        """A DM to the app. Edits, deletions and bots' messages carry a subtype or bot_id: skipped."""
        if event.get("channel_type") != "im" or event.get("bot_id") or not event.get("user"):
            return
        subtype = event.get("subtype")
        if subtype not in (None, "file_share"):
            return
        kind = _file_kind(event.get("files") or []) if subtype == "file_share" else Kind.TEXT
        await self._answer(event, body, event["channel"], event.get("text") or "", kind)

    async def _on_mention(self, event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        if event.get("bot_id") or not event.get("user"):
            return
        thread = event.get("thread_ts") or event["ts"]
        text = strip_mentions(event.get("text") or "", context.bot_user_id)
        await self._answer(event, body, f"{event['channel']}:{thread}", text, Kind.TEXT)

    async def _answer(self, event: dict[str, Any], body: dict[str, Any], conversation: str, text: str, kind: Kind) -> None:
        person = await self.person(event["user"])
        message = Message(
            channel=CHANNEL, conversation=conversation, sender=event["user"], text=text,
            received_at=datetime.fromtimestamp(float(event["ts"]), timezone.utc), kind=kind,
            sender_name=person.name, language_hint=person.language, timezone=person.timezone, country=person.country,
            external_id=event.get("client_msg_id") or f"{event['channel']}:{event['ts']}", raw=body,
        )
        async with self._order(conversation):
            await self.handle(message, self.style)  # stored and decided; the outbox sends the answer

    async def person(self, user: str) -> Person:
        """Name and language from users.info, asked once per user; a failed lookup is retried next time."""
        if user in self._people:
            return self._people[user]
        try:
            found = (await self.client.users_info(user=user, include_locale=True))["user"]
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("slack: users.info for %s failed (%s); answering without name and language", user, exc)
            return Person()
        profile = found.get("profile") or {}
        name = profile.get("real_name") or found.get("real_name") or profile.get("display_name") or None
        locale = found.get("locale")
        self._people[user] = Person(
            name, locale.split("-")[0].lower() if locale else None, found.get("tz") or None, locale_country(locale),
        )
        return self._people[user]

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        if isinstance(error, SEND_FAILURES):  # the event was fine; sending was not
            log.warning("slack: event %s: a send failed: %s", (body or {}).get("event_id"), error)
            return
        log.error("slack: event %s failed: %r", (body or {}).get("event_id"), error, exc_info=error)
        await self.rejected(json.dumps(body or {}, ensure_ascii=False, default=str), f"{type(error).__name__}: {error}")

    def split(self, text: str) -> list[str]:
        return split_text(text, MAX_CHARS)

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        """`conversation` is a DM channel id, or "channel:thread_ts" for a thread in a shared channel."""
        channel, _, thread = conversation.partition(":")
        await self._post(channel, text, thread or None)

    async def _post(self, channel: str, text: str, thread_ts: str | None) -> None:
        async with self.pacer.slot(channel):
            with refusals(f"message to {channel}"):
                await self.client.chat_postMessage(channel=channel, text=escape(text), thread_ts=thread_ts, mrkdwn=False)


def _file_kind(files: list[dict[str, Any]]) -> Kind:
    mimetype = str(files[0].get("mimetype", "")) if files else ""
    if mimetype.startswith("image/"):
        return Kind.PHOTO
    if mimetype.startswith("audio/"):
        return Kind.VOICE
    return Kind.FILE
