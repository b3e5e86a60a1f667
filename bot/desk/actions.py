"""The agent desk, channel-free: claim, reply translated, release, close, assign.

Slack and Telegram desks (adapters/desk_*.py) only show what this module
prepares and call its actions. Rules (../shared/domain.md): an agent reads each
buyer message in the agent's language beside the original; writes in the
agent's language or English; the buyer receives the buyer's language; the agent
sees the outgoing translation. While an agent holds a chat the bot is quiet.
"""

from __future__ import annotations

import inspect
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable


from bot.brain import BrainHolder
from bot.config import Settings
from bot.conversation import states
from bot.conversation.states import LostRace, TransitionError
from bot.desk.culture import CultureNote, etiquette_warnings, likely_country, load_culture
from bot.hours import buyer_zone
from bot.language.detect import LanguageDetector
from bot.store.database import Store
from bot.store.views import Conversation, StoredMessage
from bot.store.writes import Outgoing
from bot.language.safeguard import describe
from bot.language.translate import Translator, base, checked, localize
from replies.render import message_body

log = logging.getLogger(__name__)

MAX_DRAFTS = 1000  # replies held back for their warnings, waiting for "send anyway"


class DeskError(TransitionError):
    """An agent action that cannot be done; the message says why, for the agent."""


def _refused(race: LostRace) -> DeskError:
    """A lost race, told the way an agent needs it."""
    if race.state == states.State.HELD.value and race.agent:
        if race.transition in ("release", "close"):
            return DeskError(f"held by {race.agent}; ask them or assign it to yourself first")
        return DeskError(f"already claimed by {race.agent}")
    return DeskError(f"conversation #{race.conversation_id} is now {race.state}: nothing done")


@dataclass
class Line:
    direction: str  # in | out | agent
    original: str
    translated: str | None  # in the agent's language, when it differs


@dataclass
class Card:
    """Everything an agent needs to pick up a conversation."""

    conversation: Conversation
    reason: str | None
    language: str
    country: str | None
    country_certain: bool
    local_time: str | None
    culture: CultureNote | None
    lines: list[Line] = field(default_factory=list)


@dataclass
class Sent:
    text: str | None  # what went to the buyer (None: held back for the warnings)
    language: str
    warnings: list[str]
    original: str
    draft: str | None = None  # held back: the id that sends it anyway (`send_draft`)
    held: str | None = None  # held back: what would go to the buyer
    back: str | None = None  # a preview: `held` translated back into the agent's language


@dataclass(frozen=True)
class _Draft:
    conversation_id: int
    text: str
    translate: bool
    shown: str | None = None  # a translation that lost something, as the agent saw it


class AgentDesk:
    def __init__(
        self,
        store: Store,
        brains: BrainHolder,
        detector: LanguageDetector,
        translator: Translator,
        settings: Settings,
        clock: Callable[[], datetime],
        written: Callable[[], object] | None = None,
    ) -> None:
        self.store, self.brains, self.detector, self.translator = store, brains, detector, translator
        self.settings, self.clock = settings, clock
        self.written = written  # outbox rows were written: the senders wake up
        culture_file = settings.replies_dir / "culture.yaml"
        self.culture = load_culture(culture_file) if culture_file.is_file() else {}
        # In memory on purpose: after a restart the agent simply writes the reply again.
        self._drafts: OrderedDict[str, _Draft] = OrderedDict()

    @property
    def agent_language(self) -> str:
        return self.settings.agent_language

    async def conversation(self, conversation_id: int) -> Conversation:
        conversation = await self.store.conversation(conversation_id)
        if conversation is None:
            raise DeskError(f"no conversation #{conversation_id}")
        return conversation

    async def find(self, desk_ref: str) -> Conversation | None:
        """The conversation a desk shows at `desk_ref` (a Slack thread, a Telegram topic)."""
        return await self.store.find_by_desk_ref(desk_ref)

    async def show_at(self, conversation_id: int, desk_ref: str) -> None:
        """Remember where a desk shows the conversation (not an update: idle release ignores it)."""
        await self.store.show_at(conversation_id, desk_ref)

    async def last_from_buyer(self, conversation_id: int) -> StoredMessage | None:
        for message in reversed(list(await self.store.messages(conversation_id))):
            if message.direction == "in":
                return message
        return None

    async def for_agent(self, text: str, language: str | None, pivot: str | None = None) -> str | None:
        """A buyer's text in the agent's language; None when it already is, or cannot be had."""
        if not text or not language or base(language) == base(self.agent_language):
            return None
        if pivot and pivot != text and base(self.agent_language) == "en":
            return pivot
        return await self.translator.translate(text, language, self.agent_language)

    async def in_agent_language(self, message: StoredMessage) -> str | None:
        """A message's words in the agent's language, where they differ: a buyer's translated,
        an agent's as written before translation."""
        if message.direction == "in":
            return await self.for_agent(message.text, message.language, message.pivot)
        if message.direction == "agent" and message.pivot and message.pivot != message.text:
            return message.pivot
        return None

    async def card(self, conversation_id: int, last: int = 6) -> Card:
        conversation = await self.conversation(conversation_id)
        language = conversation.language or "en"
        country, certain = likely_country(conversation.country, conversation.timezone, language)
        zone = buyer_zone(conversation.timezone, country)
        local = f"{self.clock().astimezone(zone):%a %H:%M}" if zone else None
        stored = list(await self.store.messages(conversation.id))[-last:]
        lines = []
        for message in stored:
            lines.append(Line(message.direction, message.text, await self.in_agent_language(message)))
        return Card(
            conversation, conversation.handoff_reason, language, country, certain, local,
            self.culture.get(country) if country else None, lines,
        )

    async def claim(self, conversation_id: int, agent: str) -> Conversation:
        """Take a conversation; when two agents claim at once, one wins and the other is told."""
        conversation = await self.conversation(conversation_id)
        if conversation.state == states.State.HELD.value and conversation.agent == agent:
            return conversation
        return await self._change(conversation, states.claim(agent, self.clock()), "agent_joined", {"agent_name": agent})

    async def assign(self, conversation_id: int, agent: str, to: str) -> Conversation:
        conversation = await self.conversation(conversation_id)
        changed = await self._change(conversation, states.assign(to, self.clock()))
        log.info("%s assigned conversation #%d to %s", agent, conversation_id, to)
        return changed

    async def release(self, conversation_id: int, agent: str) -> Conversation:
        """Back to the bot; the buyer is told the bot can help again."""
        conversation = await self.conversation(conversation_id)
        return await self._change(conversation, states.release(agent, self.clock()), "released")

    async def close(self, conversation_id: int, agent: str) -> Conversation:
        """Done: back to the bot without a message to the buyer."""
        conversation = await self.conversation(conversation_id)
        return await self._change(conversation, states.close(agent, self.clock()))

    async def _change(
        self, conversation: Conversation, change: states.Change, tell: str | None = None, context: dict | None = None
    ) -> Conversation:
        """One transition, and what it tells the buyer, in one transaction."""
        outgoing = [await self._notice(conversation, tell, context)] if tell else []
        try:
            await self.store.commit(conversation, change, outgoing=outgoing)
        except LostRace as race:
            raise _refused(race) from None
        if outgoing:
            await self._wake()
        return await self.conversation(conversation.id)

    async def reply(
        self, conversation_id: int, agent: str, text: str, *, translate: bool = True, confirm: bool = False, shown: str | None = None
    ) -> Sent:
        """Send an agent's reply in the buyer's language.

        The etiquette check runs first: with warnings and no `confirm`, nothing is
        sent and the agent sees why (`Sent.text` is None). A machine translation
        that lost a number, a code or a name is such a warning too: the agent sees
        it (`Sent.held`) with what was lost; sent anyway, that translation (`shown`)
        goes out as the agent saw it. `translate=False` sends the text exactly as written.
        """
        conversation = await self.conversation(conversation_id)
        if conversation.state == "held" and conversation.agent not in (None, agent):
            raise DeskError(f"held by {conversation.agent}")
        outgoing, language, warnings, lost = await self._outgoing(conversation, text, translate, confirm, shown)
        if warnings and not confirm:
            draft = self._keep_draft(_Draft(conversation_id, text, translate, outgoing if lost else None))
            return Sent(None, language, warnings, text, draft=draft, held=outgoing)
        now = self.clock()
        # Replying is claiming; a reply to a conversation someone else took meanwhile is refused.
        change = states.agent_replied(agent, now) if conversation.state == "held" else states.claim(agent, now)
        row = Outgoing(outgoing, now, direction="agent", language=language, pivot=text, sender=agent)
        try:
            await self.store.commit(conversation, change, outgoing=[row])
        except LostRace as race:
            raise _refused(race) from None
        await self._wake()
        return Sent(outgoing, language, warnings, text)

    async def preview(self, conversation_id: int, text: str, *, translate: bool = True) -> Sent:
        """What `reply` would send, without sending: the buyer's text (`held`), the warnings, and
        that text translated back into the agent's language (`back`), to check it."""
        conversation = await self.conversation(conversation_id)
        outgoing, language, warnings, _ = await self._outgoing(conversation, text, translate, False, None)
        back = await self.for_agent(outgoing, language) if translate else None
        return Sent(None, language, warnings, text, held=outgoing, back=back)

    async def _outgoing(
        self, conversation: Conversation, text: str, translate: bool, confirm: bool, shown: str | None
    ) -> tuple[str, str, list[str], list[str]]:
        """(text for the buyer, their language, warnings, what the translation lost)."""
        if not text.strip():
            raise DeskError("nothing to send")
        language = conversation.language or "en"
        outgoing, lost = text, []
        if translate and shown is not None and confirm:
            outgoing = shown
        elif translate:
            written_in = await self._agent_text_language(text)
            translation = await checked(self.translator, text, written_in, language)
            if translation.mismatch and translation.unchecked:
                outgoing, lost = translation.unchecked, [describe(translation.missing)]  # the agent decides
            elif translation.text is None:
                raise DeskError(f"no translation {written_in}→{language} right now; send without translation, or try again")
            else:
                outgoing = translation.text
        country, _ = likely_country(conversation.country, conversation.timezone, language)
        warnings = lost + etiquette_warnings([text, outgoing], self.culture.get(country) if country else None)
        return outgoing, language, warnings, lost

    async def send_draft(self, draft: str, agent: str) -> Sent:
        """Send a reply that was held back for its warnings, as it is ("send anyway")."""
        kept = self._drafts.pop(draft, None)
        if kept is None:
            raise DeskError("that reply was already sent, or is too old: write it again")
        try:
            return await self.reply(kept.conversation_id, agent, kept.text, translate=kept.translate, confirm=True, shown=kept.shown)
        except DeskError:
            self._drafts[draft] = kept  # e.g. held by someone else: still there once that is sorted out
            raise

    def _keep_draft(self, draft: _Draft) -> str:
        key = secrets.token_urlsafe(9)
        self._drafts[key] = draft
        while len(self._drafts) > MAX_DRAFTS:
            self._drafts.popitem(last=False)
        return key

    async def _agent_text_language(self, text: str) -> str:
        """Agents write in their own language or in English."""
        found = (await self.detector.detect_async(text, previous=self.agent_language)).language
        return "en" if found == "en" else self.agent_language

    async def queue(self) -> list[Conversation]:
        """Waiting conversations, key customers and disputes first, then oldest first."""
        waiting = await self.store.conversations(state="waiting")
        return sorted(waiting, key=lambda c: (-c.priority, c.handoff_at or c.updated_at))

    async def release_idle(self) -> list[int]:
        """Give held chats nobody has touched for a while back to the bot (reset like a release)."""
        limit = self.clock() - timedelta(minutes=self.settings.idle_release_minutes)
        released = []
        for conversation in await self.store.idle_held(limit):
            try:
                await self._change(conversation, states.idle_release(self.clock()), "released")
            except DeskError:  # the agent acted meanwhile, or someone released it: not idle after all
                continue
            released.append(conversation.id)
        return released

    async def _notice(self, conversation: Conversation, key: str, context: dict | None = None) -> Outgoing:
        language = conversation.language or "en"
        rendered = message_body(self.brains.brain.answers, key, language, context=context)
        text = await localize(self.translator, rendered.text, rendered.language, language) or rendered.text
        return Outgoing(text, self.clock(), language=language)

    async def _wake(self) -> None:
        if self.written is not None:
            woken = self.written()
            if inspect.isawaitable(woken):  # a test's sender that delivers right away
                await woken
