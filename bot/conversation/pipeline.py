"""The pipeline: one incoming Message in, one Reply out.

store → language → pivot → intent → handoff rules → answer → buyer's language
→ channel shape → store. Collaborators (store, brains, detector, translator,
clock) are passed in, so a test swaps any of them without patching. A crash
while processing loses nothing: the message is stored first, marked failed,
and the buyer is told a person will look.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from bot.conversation import handoff
from bot.orders import records as orders
from bot.brain import Brain, BrainHolder
from bot.config import Settings
from bot.hours import buyer_zone, tell_when
from bot.language.detect import LanguageDetector, is_short, language_code
from bot.message import Kind, Message, Reply, Style
from bot.store.models import Conversation
from bot.store.database import Store
from bot.language.translate import Translator, localize
from bot.conversation.understand import TRANSLATION_FAILED, Understanding, understand
from replies.render import Rendered, answer_body, letter_frame, message_body

log = logging.getLogger(__name__)

UNSURE_MARGIN = 12.0  # this close below the threshold, ask once to rephrase before handing off


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Event:
    """What happened to one incoming message; the agent desk listens for these."""

    conversation_id: int
    message_id: int
    text: str
    language: str
    pivot: str | None
    reply: Reply
    state: str  # the conversation's state after this message: bot | waiting | held
    handed_off: bool  # this message sent the conversation to people


Listener = Callable[[Event], Awaitable[None]]


@dataclass
class Decision:
    """What to say and whether a person takes over."""

    intent: str | None = None
    score: float = 0.0
    reason: str | None = None
    parts: list[Rendered] = field(default_factory=list)
    misses: int = 0


class Pipeline:
    def __init__(
        self,
        store: Store,
        brains: BrainHolder,
        detector: LanguageDetector,
        translator: Translator,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store, self.brains, self.detector = store, brains, detector
        self.translator, self.settings, self.clock = translator, settings, clock
        self.listeners: list[Listener] = []

    async def _notify(self, event: Event) -> None:
        for listener in self.listeners:
            try:
                await listener(event)
            except Exception:  # noqa: BLE001 - a broken desk must not lose the buyer's answer
                log.exception("listener %r failed on message %s", listener, event.message_id)

    async def handle(self, message: Message, style: Style = Style.CHAT) -> Reply:
        received = await self.store.receive(message)
        if received.duplicate:
            return Reply(None, conversation=message.conversation)
        try:
            return await self._process(message, received.conversation, received.message.id, style)
        except Exception as exc:  # noqa: BLE001 - the buyer still gets an answer, and the message is kept
            log.exception("processing message %s failed", received.message.id)
            await self.store.finish(received.message.id, status="failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            return await self._failed(received.conversation, style)

    async def reject(self, channel: str, payload: str, error: str) -> None:
        """A channel got something it cannot read: keep it (the `rejected` table) and go on."""
        await self.store.keep_rejected(channel, payload, error, self.clock())

    async def _process(self, message: Message, conversation: Conversation, message_id: int, style: Style) -> Reply:
        brain = self.brains.brain  # one brain per message, even if a reload lands meanwhile
        now = self.clock()
        if conversation.state == "held":  # a person has the chat: the bot keeps quiet
            language = conversation.language or "en"
            if message.kind is Kind.TEXT and message.text.strip():
                language = (await self.detector.detect_async(message.text, hint=message.language_hint, previous=conversation.language)).language or language
            await self.store.finish(message_id, language=language)
            await self.store.update_conversation(conversation.id, updated_at=now)
            reply = Reply(None, conversation=message.conversation, language=language)
            await self._notify(Event(conversation.id, message_id, message.text, language, None, reply, "held", False))
            return reply
        flags: list[str] = []
        language = conversation.language or language_code(message.language_hint) or "en"
        pivot: str | None = None
        if message.kind is not Kind.TEXT:
            decision = Decision(reason=handoff.UNREADABLE)
            decision.parts.append(message_body(brain.answers, "unreadable", language, style))
        elif not message.text.strip():
            decision = Decision(misses=conversation.misses)
            decision.parts.append(message_body(brain.answers, "empty", language, style))
        else:
            understood = await self._understand(message, conversation, brain)
            language, pivot, flags = understood.language, understood.pivot, understood.flags
            decision = self._decide(understood, message, conversation, brain, style)
            if understood.match.intent == "order_status":
                await self._answer_from_order(decision, message, conversation, brain, language, style)
        out_of_hours = self._tell_handoff(decision, conversation, language, style, now, brain)
        text = await self._compose(decision.parts, language, style, conversation, brain, flags)
        handing_off = decision.reason is not None and conversation.state == "bot"  # this message starts a handoff
        state = "waiting" if handing_off else conversation.state
        await self.store.finish(
            message_id, language=language, pivot=pivot, intent=decision.intent, score=decision.score,
            handoff=decision.reason is not None, handoff_reason=decision.reason, out_of_hours=out_of_hours, flags=flags,
        )
        updates: dict[str, Any] = {"state": state, "misses": decision.misses, "updated_at": now}
        if message.kind is Kind.TEXT and (conversation.language is None or not is_short(message.text)):
            updates["language"] = language
        if handing_off:
            key = decision.reason in handoff.PRIORITY_REASONS or await self._is_key_customer(conversation.buyer)
            updates.update(handoff_reason=decision.reason, handoff_at=now, priority=int(key))
        if out_of_hours:
            updates["away_notice_at"] = now
        await self.store.update_conversation(conversation.id, **updates)
        reply = Reply(
            text=text or None, intent=decision.intent, score=decision.score, language=language,
            handoff=decision.reason is not None, handoff_reason=decision.reason, out_of_hours=out_of_hours,
            style=style, conversation=message.conversation, notes=tuple(flags),
        )
        if reply.text:
            await self.store.add_outgoing(
                conversation, reply.text, self.clock(), language=language, intent=decision.intent, handoff=reply.handoff,
                handoff_reason=decision.reason, out_of_hours=out_of_hours, flags=flags,
            )
        await self._notify(Event(conversation.id, message_id, message.text, language, pivot, reply, state, handing_off))
        return reply

    async def _answer_from_order(
        self, decision: Decision, message: Message, conversation: Conversation, brain: Brain, language: str, style: Style
    ) -> None:
        """`order_status` with facts: the order named in the message, else the buyer's latest."""
        order = None
        for order_id in orders.mentioned_order_ids(message.text):
            order = await self.store.order(order_id)
            if order is not None:
                break
        if order is None:
            order = await self.store.latest_order(conversation.buyer)
        if order is None:
            return
        key = orders.message_key(order)
        decision.parts = [message_body(brain.answers, key, language, style, orders.order_context(order))]
        if key in ("parcel_expired", "parcel_alert") and decision.reason is None:
            decision.reason = handoff.INTENT

    async def _is_key_customer(self, buyer: str) -> bool:
        count, spend = await self.store.buyer_totals(buyer)
        return count >= self.settings.key_customer_orders or spend >= self.settings.key_customer_spend

    async def _understand(self, message: Message, conversation: Conversation, brain: Brain) -> Understanding:
        return await understand(
            message.text, detector=self.detector, translator=self.translator, matcher=brain.matcher,
            hint=message.language_hint, previous=conversation.language,
        )

    def _decide(self, understood: Understanding, message: Message, conversation: Conversation, brain: Brain, style: Style) -> Decision:
        match, language = understood.match, understood.language
        decision = Decision(intent=match.intent, score=match.score)
        if match.intent is not None:
            body = answer_body(brain.answers, match.intent, language, style)
            if body is not None:
                decision.parts.append(body)
        reason = self._reason(understood, message, conversation, brain)
        if match.intent is None:
            best = match.best
            unsure = best is not None and best.intent in brain.intents.ids and best.score >= match.threshold - UNSURE_MARGIN
            decision.misses = conversation.misses + 1
            if reason is None and unsure and decision.misses < 2:
                decision.parts.append(message_body(brain.answers, "rephrase", language, style))
            else:
                reason = reason or handoff.NO_MATCH
        decision.reason = reason
        return decision

    def _reason(self, understood: Understanding, message: Message, conversation: Conversation, brain: Brain) -> str | None:
        intent = understood.match.intent
        if conversation.buyer in self.settings.key_customers or conversation.priority:
            return handoff.KEY_CUSTOMER
        if intent == "human_agent":
            return handoff.REQUESTED
        if intent == "dispute":
            return handoff.DISPUTE
        if intent is not None and brain.intents.intents[intent].handoff:
            return handoff.INTENT
        if handoff.is_angry(message.text, understood.pivot):
            return handoff.ANGRY
        return None

    def _tell_handoff(self, decision: Decision, conversation: Conversation, language: str, style: Style, now: datetime, brain: Brain) -> bool:
        """Add the 'a person will answer' part; out of hours, say when. True if the away notice went out."""
        if decision.reason is None:
            return False
        hours = brain.hours
        intent_says_it = decision.intent is not None and brain.intents.intents[decision.intent].handoff
        if conversation.state == "bot" and not intent_says_it:
            key = "out_of_scope" if decision.reason == handoff.NO_MATCH else "unreadable" if decision.reason == handoff.UNREADABLE else "handoff"
            if key != "unreadable":  # the unreadable notice is already there
                decision.parts.append(message_body(brain.answers, key, language, style))
        closed = not hours.is_open(now)
        if not (closed or hours.always_tell):
            return False
        if conversation.away_notice_at and conversation.away_notice_at >= hours.absence_start(now):
            return False  # told once in this absence: no auto-reply storms
        back = hours.next_open(now)
        zone = buyer_zone(conversation.timezone, conversation.country)
        back_at, back_in = tell_when(back, now, zone, hours.zone, language)
        key = "handoff_offline" if zone is not None else "handoff_offline_utc"
        decision.parts.append(message_body(brain.answers, key, language, style, {"back_at": back_at, "back_in": back_in}))
        return closed

    async def _compose(self, parts: list[Rendered], language: str, style: Style, conversation: Conversation, brain: Brain, flags: list[str]) -> str:
        if not parts:
            return ""
        texts = [await self._localize(part, language, flags) for part in parts]
        if style is Style.LETTER:
            greeting, closing = letter_frame(brain.answers, language, {"buyer_name": conversation.buyer_name or ""})
            texts = [await self._localize(greeting, language, flags), *texts, await self._localize(closing, language, flags)]
        return "\n\n".join(t for t in texts if t)

    async def _localize(self, part: Rendered, language: str, flags: list[str]) -> str:
        """Reviewed text as is; otherwise machine-translate from English, or fall back to English."""
        translated = await localize(self.translator, part.text, part.language, language)
        if translated is None:
            if TRANSLATION_FAILED not in flags:
                flags.append(TRANSLATION_FAILED)
            return part.text
        return translated

    async def _failed(self, conversation: Conversation, style: Style) -> Reply:
        language = conversation.language or "en"
        try:
            text = message_body(self.brains.brain.answers, "handoff", language, style).text
        except Exception:  # noqa: BLE001 - even the answers may be what broke
            text = "Thank you for your message. A colleague will reply to you here."
        await self.store.update_conversation(conversation.id, state="waiting", handoff_reason=handoff.ERROR, handoff_at=self.clock())
        await self.store.add_outgoing(conversation, text, self.clock(), language=language, handoff=True, handoff_reason=handoff.ERROR)
        return Reply(text, language=language, handoff=True, handoff_reason=handoff.ERROR, style=style, conversation=conversation.external_id)
