"""What the Slack and Telegram agent desks share: pipeline events in, agent actions out.

A desk shows each handed-off conversation in one place (a Slack thread, a
Telegram topic) and remembers that place in `Conversation.desk_ref`. Buyer
messages follow into it, translated; what agents write there becomes a reply
or a command. Everything that decides lives in `bot.desk.actions.AgentDesk`; a desk
only shows and asks. Each service's module implements the few abstract
methods that post and serve.

Only agents act: a button, command or reply counts when it comes from the
desk's own chat or channel and from an agent — anyone there, or with
KEFU_DESK_AGENTS only the people it lists. Anything else is refused, logged
and kept in `rejected`.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Awaitable, Callable, Iterable, Mapping

from adapters import desk_format as fmt
from adapters import env as envvars
from adapters.base import Channel, Rejecter, log_only
from adapters.ordering import KeyedLocks
from bot.desk.actions import AgentDesk, Card, DeskError, Sent
from bot.store.views import Conversation
from bot.conversation.pipeline import Event

log = logging.getLogger(__name__)

ACTIONS = ("claim", "release", "close")  # the buttons under a card
COMMANDS = tuple(name for name, _, _ in fmt.COMMANDS)

Resolve = Callable[[str], Awaitable[str]]  # what an agent typed after "assign" → that agent's name
Takes = Callable[[Conversation], bool]  # whether this desk shows a new handoff (several desks may run)


@dataclass(frozen=True)
class Notice:
    """What a desk shows after an agent acted."""

    text: str
    private: bool = False  # only for the agent who acted (errors, "already claimed by X")
    draft: str | None = None  # a held-back reply: offer "Send anyway" for it
    refresh: bool = False  # the conversation changed hands: redraw the card


AGENTS = "KEFU_DESK_AGENTS"


def agents_from_env(env: Mapping[str, str]) -> frozenset[str] | None:
    """KEFU_DESK_AGENTS: Telegram user ids or @usernames, Slack member ids (U…), comma-separated; None: everyone in the desk."""
    listed = envvars.names(env, AGENTS)
    return None if listed is None else frozenset(name.lstrip("@") for name in listed)


def parse_command(text: str, prefix: str) -> tuple[str, str] | None:
    """("raw", "Privet") for "!raw Privet" (or "/raw@kefu_bot Privet"); None for an ordinary reply.

    Only a prefix followed by a word is a command, so "!!!" or "/ " go to the buyer as written.
    """
    found = re.match(rf"{re.escape(prefix)}([A-Za-z]+)(?:@\w+)?(?:\s+(.*))?\Z", text.strip(), re.S)
    if found is None:
        return None
    return found[1].lower(), (found[2] or "").strip()


class DeskChannel(ABC):
    """An agents' desk on one service. Subclasses post and serve; this class decides what to post."""

    name = "desk"
    prefix = "!"  # what starts a command

    def __init__(self, desk: AgentDesk, takes: Takes | None = None, agents: frozenset[str] | None = None) -> None:
        self.desk = desk
        self.takes: Takes = takes or (lambda conversation: True)
        self.agents = agents
        self.reject: Rejecter = log_only  # `kefu run` points it at the store
        self._order = KeyedLocks()

    # Reconnect with back-off and keep what cannot be taken exactly as the buyer channels do (adapters/base.py).
    serve_forever = Channel.serve_forever
    rejected = Channel.rejected

    def is_agent(self, ids: Iterable[str]) -> bool:
        """Whether someone already in the desk (a user id, a username) may act: everyone, or the listed agents."""
        return self.agents is None or any(str(i).lower().lstrip("@") in self.agents for i in ids if i)

    async def refuse(self, payload: str, why: str) -> None:
        """A desk action that does not count: logged and kept, never acted on."""
        log.warning("%s: refused %s", self.name, why)
        await self.rejected(payload, f"desk action refused: {why}")

    @abstractmethod
    async def serve(self) -> None:
        """Receive agents' actions until cancelled (returns at once when another channel serves them)."""

    @abstractmethod
    def owns(self, desk_ref: str) -> bool:
        """Whether `desk_ref` is a place on this desk."""

    @abstractmethod
    async def open_card(self, card: Card) -> str:
        """Show a new handoff; returns its desk_ref."""

    @abstractmethod
    async def card_again(self, desk_ref: str, card: Card) -> None:
        """The conversation was handed to people again: show the card where it already is."""

    @abstractmethod
    async def post(self, desk_ref: str, text: str) -> None:
        """Post text where the conversation is shown."""

    # ---- pipeline events → the desk -----------------------------------------------------------
    async def on_event(self, event: Event) -> None:
        """A pipeline listener: new handoffs get a card, later buyer messages follow into it."""
        async with self._order(event.conversation_id):
            conversation = await self.desk.conversation(event.conversation_id)
            ref = conversation.desk_ref
            if ref is None:
                if event.state != "bot":
                    await self._open_card_for(conversation)
                return
            if not self.owns(ref):
                return
            if event.handed_off:
                await self.card_again(ref, await self.desk.card(conversation.id))
                return
            translated = await self.desk.for_agent(event.text, event.language, event.pivot)
            text = fmt.buyer_message(event.text, translated, event.language)
            if event.state != "held" and event.reply.text:  # the bot still answers until someone claims
                text += "\n" + fmt.bot_answered(event.reply)
            await self.post(ref, text)

    async def _open_card_for(self, conversation: Conversation) -> str | None:
        """A card for a conversation no desk shows yet, if this desk takes it; where it is shown."""
        if not self.takes(conversation):
            return None
        ref = await self.open_card(await self.desk.card(conversation.id))
        await self.desk.show_at(conversation.id, ref)
        return ref

    async def delivery_failed(self, conversation_id: int, error: str) -> None:
        """The outbox gave up on a message to the buyer: agents see it where they look."""
        async with self._order(conversation_id):
            conversation = await self.desk.conversation(conversation_id)
            ref = conversation.desk_ref or await self._open_card_for(conversation)
            if ref is not None and self.owns(ref):
                await self.post(ref, f"⚠️ Not delivered to the buyer: {error}")

    async def released_idle(self, conversation_id: int, minutes: int) -> None:
        """Housekeeping gave a held conversation back to the bot: say so where agents look."""
        conversation = await self.desk.conversation(conversation_id)
        if conversation.desk_ref and self.owns(conversation.desk_ref):
            await self.post(conversation.desk_ref, fmt.released_idle(minutes))

    # ---- agents → the desk --------------------------------------------------------------------
    async def agent_wrote(self, conversation: Conversation, agent: str, text: str, resolve: Resolve) -> Notice:
        """An agent wrote where the conversation is shown: a command, or a reply for the buyer."""
        command = parse_command(text, self.prefix)
        try:
            if command is None:
                return await self._reply(conversation, agent, text, translate=True)
            word, rest = command
            if word in ACTIONS:
                return await self.act(word, conversation.id, agent)
            if word == "raw":
                return await self._reply(conversation, agent, rest, translate=False)
            if word == "assign":
                if not rest:
                    raise DeskError(f"whom to? {self.prefix}assign NAME")
                to = await resolve(rest)
                await self.desk.assign(conversation.id, agent, to)
                return Notice(fmt.assigned(agent, to), refresh=True)
            if word == "original":
                last = await self.desk.last_from_buyer(conversation.id)
                return Notice(fmt.original(last.text if last else None, last.language if last else None), private=True)
            if word == "help":
                return Notice(fmt.help_text(self.prefix), private=True)
            raise DeskError(f"there is no {self.prefix}{word}; nothing was sent. {self.prefix}help lists the commands")
        except DeskError as exc:
            return Notice(f"⛔ {exc}", private=True)

    async def act(self, action: str, conversation_id: int, agent: str) -> Notice:
        """A card button (or the same command typed): claim, release or close."""
        try:
            if action == "claim":
                await self.desk.claim(conversation_id, agent)
                return Notice(fmt.claimed(agent), refresh=True)
            if action == "release":
                await self.desk.release(conversation_id, agent)
                return Notice(fmt.released(agent), refresh=True)
            if action == "close":
                await self.desk.close(conversation_id, agent)
                return Notice(fmt.closed(agent), refresh=True)
            raise DeskError(f"unknown action {action!r}")
        except DeskError as exc:
            return Notice(f"⛔ {exc}", private=True)

    async def send_anyway(self, draft: str, agent: str) -> Notice:
        """The "Send anyway" button under a held-back reply."""
        try:
            sent = await self.desk.send_draft(draft, agent)
            return self._sent(sent, translated=sent.text != sent.original, claimed=True)
        except DeskError as exc:
            return Notice(f"⛔ {exc}", private=True)

    async def _reply(self, conversation: Conversation, agent: str, text: str, *, translate: bool) -> Notice:
        sent = await self.desk.reply(conversation.id, agent, text, translate=translate)
        return self._sent(sent, translated=translate, claimed=conversation.state != "held")

    @staticmethod
    def _sent(sent: Sent, *, translated: bool, claimed: bool) -> Notice:
        if sent.text is None:
            return Notice(fmt.held_back(sent), draft=sent.draft)
        # replying to a conversation nobody held claims it: the card must say so
        return Notice(fmt.sent(sent, translated=translated), refresh=claimed)
