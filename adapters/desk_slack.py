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

A card is Block Kit within Slack's limits, counted after escaping (a section
holds 3,000 characters of `&amp;`-escaped text, a message 50 blocks); a card
Slack still refuses is posted as plain text, and the thread says why and
which commands stand in for the buttons. Buttons and thread replies count
only in the desk channel and from agents (KEFU_DESK_AGENTS, when set).
"""

from __future__ import annotations

import asyncio
import json
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
from adapters.desk_base import DeskChannel, Notice, Takes, agents_from_env
from adapters.ordering import KeyedLocks
from adapters.slack import MAX_CHARS, SlackSettings, escape, serve_bolt
from adapters.slack_send import pacer_for, refusals
from bot.desk.actions import AgentDesk, Card

log = logging.getLogger(__name__)

ACTION = "kefu_desk_"  # action_id prefix: kefu_desk_claim, _release, _close, _send
SECTION_CHARS = 3000  # what a section's text object holds, counted after escaping
MAX_BLOCKS = 50  # in one message
DESK_PORT = 3001  # a desk app of its own listens beside the buyer app (3000)
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")
_MARKUP = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")  # <@U1>, <#C1|name>, <https://x|label>, <!here>
_SEEN = 1000  # message ts remembered, so a redelivered event is not answered twice


@dataclass(frozen=True)
class SlackDeskSettings:
    channel: str  # the agents' channel id
    slack: SlackSettings  # the app the desk speaks as
    shared: bool  # True: the buyer channel's app (KEFU_SLACK_*), False: KEFU_SLACK_DESK_* of its own
    agents: frozenset[str] | None = None  # member ids allowed to act; None: everyone in the channel

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
            return cls(channel, SlackSettings.from_env(env), shared=True, agents=agents_from_env(env))
        prefix = "KEFU_SLACK_DESK_"
        own = {"KEFU_SLACK_" + key[len(prefix):]: value for key, value in env.items() if key.startswith(prefix)}
        own.setdefault("KEFU_SLACK_PORT", str(DESK_PORT))
        own.setdefault("KEFU_SLACK_API_URL", env.get("KEFU_SLACK_API_URL", ""))
        try:
            return cls(channel, SlackSettings.from_env(own), shared=False, agents=agents_from_env(env))
        except envvars.SettingsError as exc:  # name the variables the operator actually set
            raise envvars.SettingsError(str(exc).replace("KEFU_SLACK_", "KEFU_SLACK_DESK_")) from None


class SlackDesk(DeskChannel):
    name = "slack desk"
    prefix = "!"

    def __init__(
        self, desk: AgentDesk, settings: SlackDeskSettings, *, app: AsyncApp | None = None, takes: Takes | None = None
    ) -> None:
        """`app`: the buyer channel's Bolt app, when the desk shares it (that channel then serves both)."""
        super().__init__(desk, takes, settings.agents)
        self.settings = settings
        self.pacer = pacer_for(settings.slack.bot_token, settings.slack.pace)
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
        try:
            posted = await self._say(text=escape(_headline(text)), blocks=_card_blocks(text, card.conversation.id))
        except SlackApiError as exc:
            if not str(exc.response.get("error", "")).startswith("invalid_blocks"):
                raise
            return await self._card_as_text(text, exc)
        return self._ref(posted["ts"])

    async def _card_as_text(self, text: str, refused: SlackApiError) -> str:
        """Slack refused the card's blocks: show it as plain text, and say so where agents look."""
        why = refused.response.get("error") + "".join(f"; {e}" for e in refused.response.get("errors") or [])
        log.error("slack desk: Slack refused a card (%s); posting it as plain text", why)
        first, *rest = split_text(text, MAX_CHARS)
        ref = self._ref((await self._say(text=escape(first), mrkdwn=False))["ts"])
        for piece in rest:
            await self.post(ref, piece)
        await self.post(ref, fmt.card_refused(why, self.prefix))
        return ref

    async def card_again(self, desk_ref: str, card: Card) -> None:
        await self._redraw(desk_ref, card)
        await self.post(desk_ref, fmt.handed_off_again(card))

    async def post(self, desk_ref: str, text: str) -> None:
        for piece in split_text(text, MAX_CHARS):
            await self._say(thread_ts=self._thread(desk_ref), text=escape(piece), mrkdwn=False)

    async def _say(self, **message: Any) -> Any:
        """chat.postMessage in the desk channel, in its turn; refusals raised as what they mean."""
        async with self.pacer.slot(self.settings.channel):
            with refusals(f"post in the desk channel {self.settings.channel}"):
                return await self.client.chat_postMessage(channel=self.settings.channel, **message)

    async def _redraw(self, desk_ref: str, card: Card) -> None:
        text = fmt.card_text(card, self.desk.agent_language)
        try:
            async with self.pacer.slot(self.settings.channel):
                with refusals(f"card update in {self.settings.channel}"):
                    await self.client.chat_update(
                        channel=self.settings.channel, ts=self._thread(desk_ref), text=escape(_headline(text)),
                        blocks=_card_blocks(text, card.conversation.id),
                    )
        except SlackApiError as exc:  # the card was deleted, or refused: the thread still works
            error = exc.response.get("error")
            log.warning("slack desk: could not redraw the card at %s (%s)", desk_ref, error)
            if str(error).startswith("invalid_blocks"):
                await self.post(desk_ref, fmt.card_refused(str(error), self.prefix) + "\n\n" + text)

    async def _show(self, notice: Notice, conversation_id: int, user: str) -> None:
        conversation = await self.desk.conversation(conversation_id)
        ref = conversation.desk_ref
        if ref is None or not self.owns(ref):
            return
        if notice.private:
            async with self.pacer.slot(self.settings.channel):
                with refusals(f"note to {user} in {self.settings.channel}"):
                    await self.client.chat_postEphemeral(
                        channel=self.settings.channel, user=user, thread_ts=self._thread(ref), text=escape(notice.text)
                    )
        elif notice.draft:
            await self._say(
                thread_ts=self._thread(ref), text=escape(notice.text),
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
            if not self.is_agent((user,)):
                await self.refuse(json.dumps(event, ensure_ascii=False), f"a reply in thread {thread} from {user}, not an agent")
                return
            agent = await self.agent_name(user)
            notice = await self.agent_wrote(conversation, agent, await self._plain(event.get("text") or ""), _resolve)
            await self._show(notice, conversation.id, user)

    async def _on_action(self, ack: Callable[[], Awaitable[None]], body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user = body["user"]["id"]
        where = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if where != self.settings.channel or not self.is_agent((user,)):
            why = f"button {action.get('action_id')} pressed by {user} in {where}, not an agent in the desk channel"
            await self.refuse(json.dumps(body, ensure_ascii=False), why)
            return
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
        await serve_bolt(self, self.app, self.settings.slack, "slack desk", token_setting="KEFU_SLACK_DESK_BOT_TOKEN", desk=True)


async def _ignore() -> None:
    """Events in other channels: Bolt acks them; the desk has nothing to do there."""


async def _resolve(typed: str) -> str:
    """`!assign @Wang` (a mention, already turned into the display name) or `!assign Wang`."""
    return typed.strip().lstrip("@").strip()


def _headline(card_text: str) -> str:
    """The notification text of a card: who, and why."""
    return "\n".join(card_text.splitlines()[:2])


def _escaped_length(char: str) -> int:
    return len(escape(char))  # "&" counts 5, "<" and ">" 4: what Slack counts


def _sections(text: str, room: int = MAX_BLOCKS - 1) -> list[dict[str, Any]]:
    """Sections of at most 3,000 escaped characters, at most `room` of them (the rest is cut, marked)."""
    pieces = split_text(text, SECTION_CHARS, _escaped_length)
    if len(pieces) > room:
        pieces = pieces[: room - 1] + ["… (too long for one Slack message: the rest is cut)"]
    return [{"type": "section", "text": {"type": "mrkdwn", "text": escape(piece), "verbatim": True}} for piece in pieces]


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
