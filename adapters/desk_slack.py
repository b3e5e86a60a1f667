"""The agents' desk in Slack: one card per handoff in the agents' channel, the conversation in its thread.

The card (Block Kit) has Claim, Release and Close buttons; agents answer the
buyer by writing in the card's thread, and `!commands` there do the rest (see
docs/agent-desk.md). The desk speaks as the buyer channel's Slack app by
default, on the same endpoint; with KEFU_SLACK_DESK_BOT_TOKEN it is an app of
its own with its own endpoint.

Bolt hands an event to the first listener that matches it, and the buyer
channel's `message` listener matches every message. So the desk takes the
messages of its channel in a global middleware, which runs before any
listener, acks at once and works in the background (Slack wants an answer
within 3 seconds; a translation may take longer).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine, Mapping

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import desk_format as fmt
from adapters import env as envvars
from adapters.asgi import AsgiServer
from adapters.chunks import split_text
from adapters.desk_base import DeskChannel, Notice, Takes
from adapters.ordering import KeyedLocks
from adapters.slack import MAX_CHARS, SlackSettings, escape, serve_bolt
from bot.desk.actions import AgentDesk, Card

log = logging.getLogger(__name__)

ACTION = "kefu_desk_"  # action_id prefix: kefu_desk_claim, _release, _close, _send
SECTION_CHARS = 2500  # a text object holds 3000 characters, escaped; leave room for &amp; and co.
DESK_PORT = 3001  # a desk app of its own listens beside the buyer app (3000)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
_MARKUP = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")  # <@U1>, <#C1|name>, <https://x|label>, <!here>
_SEEN = 1000  # message ts remembered, so a redelivered event is not answered twice


@dataclass(frozen=True)
class SlackDeskSettings:
    channel: str  # the agents' channel id
    slack: SlackSettings  # the app the desk speaks as
    shared: bool  # True: the buyer channel's app (KEFU_SLACK_*), False: KEFU_SLACK_DESK_* of its own

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackDeskSettings:
        env = os.environ if env is None else env
        channel = envvars.text(env, "KEFU_SLACK_DESK_CHANNEL") or ""
        if not _CHANNEL_ID.fullmatch(channel):
            raise envvars.SettingsError(
                f"KEFU_SLACK_DESK_CHANNEL must be the agents' channel id, like C0123ABCDE (channel details → "
                f"About, at the bottom), not its name; got {channel!r}"
            )
        token = envvars.text(env, "KEFU_SLACK_DESK_BOT_TOKEN")
        if token is None or token == envvars.text(env, "KEFU_SLACK_BOT_TOKEN"):
            return cls(channel, SlackSettings.from_env(env), shared=True)
        prefix = "KEFU_SLACK_DESK_"
        own = {"KEFU_SLACK_" + key[len(prefix):]: value for key, value in env.items() if key.startswith(prefix)}
        own.setdefault("KEFU_SLACK_PORT", str(DESK_PORT))
        own.setdefault("KEFU_SLACK_API_URL", env.get("KEFU_SLACK_API_URL", ""))
        try:
            return cls(channel, SlackSettings.from_env(own), shared=False)
        except envvars.SettingsError as exc:  # name the variables the operator actually set
            raise envvars.SettingsError(str(exc).replace("KEFU_SLACK_", "KEFU_SLACK_DESK_")) from None


class SlackDesk(DeskChannel):
    name = "slack desk"
    prefix = "!"

    def __init__(
        self, desk: AgentDesk, settings: SlackDeskSettings, *, app: AsyncApp | None = None, takes: Takes | None = None
    ) -> None:
        """`app`: the buyer channel's Bolt app, when the desk shares it (that channel then serves both)."""
        super().__init__(desk, takes)
        self.settings = settings
        self.serves = app is None
        if app is None:
            s = settings.slack
            client = AsyncWebClient(token=s.bot_token, **({"base_url": s.api_url} if s.api_url else {}))
            app = AsyncApp(client=client, signing_secret=s.signing_secret or "", request_verification_enabled=True)
        self.app, self.client = app, app.client
        app.middleware(self._desk_messages)
        app.action(re.compile(f"^{ACTION}"))(self._on_action)
        if self.serves:  # an app of its own: ack what it hears elsewhere, or Slack retries it
            app.event(re.compile(".*"))(_ignore)
        self.ready = asyncio.Event()
        self.server: AsgiServer | None = None
        self._names: dict[str, str] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._threads = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- where things are ---------------------------------------------------------------------
    def _ref(self, thread_ts: str) -> str:
        return f"slack:{self.settings.channel}:{thread_ts}"

    def owns(self, desk_ref: str) -> bool:
        return desk_ref.startswith(f"slack:{self.settings.channel}:")

    @staticmethod
    def _thread(desk_ref: str) -> str:
        return desk_ref.split(":", 2)[2]

    # ---- showing ------------------------------------------------------------------------------
    async def open_card(self, card: Card) -> str:
        text = fmt.card_text(card, self.desk.agent_language)
        posted = await self.client.chat_postMessage(
            channel=self.settings.channel, text=escape(_headline(text)), blocks=_card_blocks(text, card.conversation.id)
        )
        return self._ref(posted["ts"])

    async def card_again(self, desk_ref: str, card: Card) -> None:
        await self._redraw(desk_ref, card)
        await self.post(desk_ref, fmt.handed_off_again(card))

    async def post(self, desk_ref: str, text: str) -> None:
        for piece in split_text(text, MAX_CHARS):
            await self.client.chat_postMessage(
                channel=self.settings.channel, thread_ts=self._thread(desk_ref), text=escape(piece), mrkdwn=False
            )

    async def _redraw(self, desk_ref: str, card: Card) -> None:
        text = fmt.card_text(card, self.desk.agent_language)
        try:
            await self.client.chat_update(
                channel=self.settings.channel, ts=self._thread(desk_ref), text=escape(_headline(text)),
                blocks=_card_blocks(text, card.conversation.id),
            )
        except SlackApiError as exc:  # the card was deleted: the thread still works
            log.warning("slack desk: could not redraw the card at %s (%s)", desk_ref, exc.response.get("error"))

    async def _show(self, notice: Notice, conversation_id: int, user: str) -> None:
        conversation = await self.desk.conversation(conversation_id)
        ref = conversation.desk_ref
        if ref is None or not self.owns(ref):
            return
        if notice.private:
            await self.client.chat_postEphemeral(
                channel=self.settings.channel, user=user, thread_ts=self._thread(ref), text=escape(notice.text)
            )
        elif notice.draft:
            await self.client.chat_postMessage(
                channel=self.settings.channel, thread_ts=self._thread(ref), text=escape(notice.text),
                blocks=[*_sections(notice.text), _buttons(("Send anyway", "send", f"{conversation_id}:{notice.draft}", "danger"))],
            )
        else:
            await self.post(ref, notice.text)
        if notice.refresh:
            await self._redraw(ref, await self.desk.card(conversation_id))

    # ---- agents -------------------------------------------------------------------------------
    async def _desk_messages(self, body: dict[str, Any], next_: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event = body.get("event") or {}
        if body.get("type") != "event_callback" or event.get("channel") != self.settings.channel:
            await next_()
            return None
        if event.get("type") == "message":
            self._spawn(self._on_thread_message(event))
        # An agent mentioning the app here is not a buyer: nothing reaches the buyer channel's listeners.
        return BoltResponse(status=200, body="")

    async def _on_thread_message(self, event: dict[str, Any]) -> None:
        thread, ts = event.get("thread_ts"), event.get("ts", "")
        if not thread or thread == ts or event.get("bot_id") or not event.get("user"):
            return  # top-level chatter, the thread's root, or a bot (kefu itself)
        if event.get("subtype") not in (None, "thread_broadcast") or self._seen_before(ts):
            return  # edits, deletions, joins; or Slack delivering the same message again
        async with self._threads(thread):  # one thread's messages in the order they were written
            conversation = await self.desk.find(self._ref(thread))
            if conversation is None:
                return
            user = event["user"]
            agent = await self.agent_name(user)
            notice = await self.agent_wrote(conversation, agent, await self._plain(event.get("text") or ""), _resolve)
            await self._show(notice, conversation.id, user)

    async def _on_action(self, ack: Callable[[], Awaitable[None]], body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = body["user"]["id"]
        agent = await self.agent_name(user)
        name = action["action_id"][len(ACTION):]
        conversation, _, draft = (action.get("value") or "").partition(":")
        if not conversation.isdigit():
            log.warning("slack desk: ignored a button with value %r", action.get("value"))
            return
        if name == "send":
            notice = await self.send_anyway(draft, agent)
        else:
            notice = await self.act(name, int(conversation), agent)
        await self._show(notice, int(conversation), user)

    async def agent_name(self, user: str) -> str:
        """The agent's Slack display name (users.info, asked once); the user id if Slack will not say."""
        if user in self._names:
            return self._names[user]
        try:
            found = (await self.client.users_info(user=user))["user"]
        except (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("slack desk: users.info for %s failed (%s)", user, exc)
            return user
        profile = found.get("profile") or {}
        self._names[user] = profile.get("display_name") or profile.get("real_name") or found.get("name") or user
        return self._names[user]

    async def _plain(self, text: str) -> str:
        """What the agent typed, without Slack's markup: mentions become names, links their text."""
        names = {user: await self.agent_name(user) for user in re.findall(r"<@([UW][A-Z0-9]+)", text)}

        def plain(match: re.Match[str]) -> str:
            target, label = match[1], match[2]
            if target.startswith("@"):
                return "@" + names.get(target[1:], label or target[1:])
            if target.startswith(("#", "!")):
                return target[0].replace("!", "@") + (label or target[1:].split("^")[0])
            return label or target

        unmarked = _MARKUP.sub(plain, text)
        return unmarked.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def _seen_before(self, ts: str) -> bool:
        if ts in self._seen:
            return True
        self._seen[ts] = None
        while len(self._seen) > _SEEN:
            self._seen.popitem(last=False)
        return False

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("slack desk: handling an agent's message failed", exc_info=task.exception())

    # ---- serving ------------------------------------------------------------------------------
    async def serve(self) -> None:
        if not self.serves:
            log.info("slack desk: channel %s, served by the Slack buyer channel's app", self.settings.channel)
            return
        await serve_bolt(self, self.app, self.settings.slack, "slack desk")


async def _ignore() -> None:
    """Events in other channels: Bolt acks them; the desk has nothing to do there."""


async def _resolve(typed: str) -> str:
    """`!assign @Wang` (a mention, already turned into the display name) or `!assign Wang`."""
    return typed.strip().lstrip("@").strip()


def _headline(card_text: str) -> str:
    """The notification text of a card: who, and why."""
    return "\n".join(card_text.splitlines()[:2])


def _sections(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": escape(piece), "verbatim": True}}
        for piece in split_text(text, SECTION_CHARS)
    ]


def _buttons(*buttons: tuple[str, str, str, str | None]) -> dict[str, Any]:
    elements = []
    for label, action, value, style in buttons:
        button: dict[str, Any] = {
            "type": "button", "action_id": ACTION + action, "value": value, "text": {"type": "plain_text", "text": label},
        }
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "elements": elements}


def _card_blocks(text: str, conversation_id: int) -> list[dict[str, Any]]:
    value = str(conversation_id)
    buttons = _buttons(("Claim", "claim", value, "primary"), ("Release", "release", value, None), ("Close", "close", value, None))
    return [*_sections(text), buttons]
