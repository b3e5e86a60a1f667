"""The pipeline: one incoming Message in, its decision and answer written, one Reply out.

inbox (store first) → language → pivot → intent → `decide()` → answer in the buyer's
language, shaped for the channel → one transaction: the conversation's transition, the
message's analysis, the answer as an outbox row. Senders (bot/serve/outbox.py) deliver it.

Durable by construction: a message is stored before anything else; a crash before the
decision leaves it `received`, and recovery (`recover`) or a redelivery decides it; the
answer is written with the decision, at most one per message (a unique `reply_to`). The
messages of one conversation are decided one at a time and in order (the store's
conversation lock, across processes on PostgreSQL); a transition that lost a race to an
agent is decided again on the fresh state, never written over it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from bot.brain import Brain, BrainHolder
from bot.config import Settings
from bot.conversation import handoff
from bot.conversation.decide import Decision, Heard, Part, Situation, decide, priority
from bot.conversation.states import LostRace, State, buyer_wrote, hand_off
from bot.conversation.understand import TRANSLATION_FAILED, Understanding, understand
from bot.customs.answer import INTENT as CUSTOMS_INTENT, Whereabouts
from bot.customs.countries import address_country
from bot.hours import buyer_zone
from bot.language.detect import LanguageDetector, is_short, language_code
from bot.language.translate import Translator, base, localize
from bot.message import Kind, Message, Reply, Style, style_for
from bot.orders import records as orders
from bot.store.database import Store
from bot.store.views import Conversation, StoredMessage
from bot.store.writes import AlreadyDecided, Outgoing
from replies.render import Rendered, answer_body, in_english_notice, letter_frame, message_body

log = logging.getLogger(__name__)

MAX_RACES = 5  # decide again at most this often when agents keep changing the conversation
MAX_RECOVERIES = 3  # a message picked up again this often goes to people instead
FALLBACK_HANDOFF = "Thank you for your message. A colleague will reply to you here."


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Event:
    """What happened to one incoming message; the agent desks listen for these."""

    conversation_id: int
    message_id: int
    text: str
    language: str
    pivot: str | None
    reply: Reply
    state: str  # the conversation's state after this message: bot | waiting | held
    handed_off: bool  # this message sent the conversation to people


Listener = Callable[[Event], Awaitable[None]]


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
        self.written: list[Callable[[], None]] = []  # told when outbox rows were written (senders wake up)

    async def handle(self, message: Message, style: Style | None = None, *, delivered_here: bool = False) -> Reply:
        """Store, decide, write the answer to the outbox; the Reply says what was decided.

        A redelivery of a message already decided returns that decision's answer again (the
        same row, not a second answer); a redelivery of one stored but never decided decides it.
        `delivered_here`: the caller delivers the answer itself as soon as this returns (a
        terminal printing it), so it is written as sent and no sender takes it.
        """
        received = await self.store.receive(message)
        stored = received.message
        if received.duplicate and stored.status != "received":
            return await self._decided(stored.id, style)
        if received.earlier_undecided or received.duplicate:
            return await self.decide_stored(stored.id, received.conversation.id, style, delivered_here=delivered_here)
        async with self.store.conversation_lock(received.conversation.id):  # the usual case: one read less
            return await self._decide_safely(stored, style, None, received.conversation, delivered_here)

    async def reject(self, channel: str, payload: str, error: str) -> None:
        """A channel got something it cannot read: keep it (the `rejected` table) and go on."""
        await self.store.keep_rejected(channel, payload, error, self.clock())

    async def recover(self, limit: int = 1000, *, replay: bool = False) -> int:
        """Decide every message left `received` (a crash, a kill): at start-up and from housekeeping.

        `replay` decides each as of the moment it arrived (`kefu reply`, whose lines carry their
        own time); otherwise as of now, when its answer goes out."""
        done = 0
        for stored in await self.store.unprocessed(limit=limit):
            attempts = await self.store.count_attempt(stored.id)
            if attempts > MAX_RECOVERIES:
                async with self.store.conversation_lock(stored.conversation_id):  # as every decision is made
                    try:
                        await self._give_up(stored, f"picked up {attempts - 1} times without a decision")
                    except AlreadyDecided:  # a redelivery decided it meanwhile
                        pass
            else:
                await self.decide_stored(stored.id, stored.conversation_id, at=stored.created_at if replay else None)
            done += 1
        return done

    async def decide_stored(
        self, message_id: int, conversation_id: int, style: Style | None = None, at: datetime | None = None,
        *, delivered_here: bool = False,
    ) -> Reply:
        async with self.store.conversation_lock(conversation_id):
            # Earlier messages of the conversation first: their answers come first too.
            conversation, undecided = await self.store.conversation_and_undecided(conversation_id, message_id)
            for earlier in undecided:
                mine = earlier.id == message_id
                reply = await self._decide_safely(earlier, style if mine else None, at, conversation, delivered_here and mine)
                conversation = None  # changed by that decision: read again
                if mine:
                    return reply
            return await self._decided(message_id, style)

    async def _decided(self, message_id: int, style: Style | None) -> Reply:
        """The Reply of a message decided before (a redelivery)."""
        stored = await self.store.message(message_id)
        conversation = await self.store.conversation(stored.conversation_id) if stored else None
        if stored is None or conversation is None:
            return Reply(None)
        answer = await self.store.answer_to(message_id)
        return Reply(
            answer.text if answer else None, intent=stored.intent, score=stored.score or 0.0,
            language=stored.language or "en", handoff=stored.handoff, handoff_reason=stored.handoff_reason,
            out_of_hours=stored.out_of_hours, style=style or style_for(stored.channel),
            conversation=conversation.external_id, notes=tuple(stored.flags or ()),
            outbox=(answer.id,) if answer else (), duplicate=True,
        )

    async def _decide_safely(
        self, stored: StoredMessage, style: Style | None, at: datetime | None = None,
        conversation: Conversation | None = None, delivered_here: bool = False,
    ) -> Reply:
        try:
            return await self._decide(stored, style or style_for(stored.channel), at, conversation, delivered_here)
        except AlreadyDecided:
            return await self._decided(stored.id, style)
        except Exception as exc:  # noqa: BLE001 - the buyer still gets an answer, and the message is kept
            log.exception("processing message %s failed", stored.id)
            return await self._give_up(stored, f"{type(exc).__name__}: {exc}")

    async def _decide(
        self, stored: StoredMessage, style: Style, at: datetime | None = None, read: Conversation | None = None,
        delivered_here: bool = False,
    ) -> Reply:
        brain = self.brains.brain  # one brain per message, even if a reload lands meanwhile
        self.detector.learn_intents(brain.intents)  # the lists' native phrasings, once per reload
        understood: Understanding | None = None
        for _ in range(MAX_RACES):
            conversation = read or await self.store.conversation(stored.conversation_id)
            read = None  # after a lost race: read it again
            assert conversation is not None
            state = State(conversation.state)
            now = at or self.clock()
            language = conversation.language or language_code(stored.language) or "en"
            readable = stored.kind == Kind.TEXT.value
            if readable and stored.text.strip() and understood is None:
                understood = await understand(
                    stored.text, detector=self.detector, translator=self.translator, matcher=brain.matcher,
                    hint=stored.language, previous=conversation.language,
                )
            if understood is not None:
                language = understood.language
            heard = Heard(
                readable, stored.text, understood, await self._order_answer(understood, stored, conversation),
                await self._whereabouts(understood, conversation),
            )
            decision = decide(heard, await self._situation(conversation, state), brain, now, language)
            flags = list(understood.flags) if understood else []
            text = await self._compose(decision.parts, language, style, conversation, brain, flags)
            try:
                outbox = await self._write(stored, conversation, decision, language, understood, text, flags, now, delivered_here)
            except LostRace as race:
                log.info("message %s: %s; deciding again", stored.id, race)
                continue
            return await self._told(
                stored, conversation, decision, language, understood, text, flags, style, outbox, delivered_here
            )
        raise RuntimeError(f"the conversation kept changing while message {stored.id} was decided")

    async def _situation(self, conversation: Conversation, state: State) -> Situation:
        return Situation(
            state=state, misses=conversation.misses, always_person=conversation.buyer in self.settings.key_customers,
            away_told_at=conversation.away_notice_at, zone=buyer_zone(conversation.timezone, conversation.country),
        )

    async def _write(
        self, stored: StoredMessage, conversation: Conversation, decision: Decision, language: str,
        understood: Understanding | None, text: str, flags: list[str], now: datetime, delivered_here: bool = False,
    ) -> list[int]:
        values: dict[str, Any] = {"misses": decision.misses}
        if understood is not None and (conversation.language is None or not is_short(stored.text)):
            values["language"] = language
        if decision.away_notice:
            values["away_notice_at"] = now
        if decision.destination:
            values["destination"] = decision.destination
        if decision.asks_destination:
            values["destination_asked_at"] = now
        if decision.hands_off:
            key = await self._is_key_customer(conversation.buyer)
            change = hand_off(decision.reason or handoff.ERROR, priority(decision.reason, key), now, **values)
        else:
            change = buyer_wrote(now, **values)
        finish = (stored.id, {
            "language": language, "pivot": understood.pivot if understood else None, "intent": decision.intent,
            "score": None if decision.silent else decision.score, "handoff": decision.handoff, "handoff_reason": decision.reason,
            "out_of_hours": decision.away_notice, "flags": flags, "status": "processed",
        })
        answer = [] if not text else [Outgoing(
            text, now, reply_to=stored.id, language=language, intent=decision.intent,
            handoff=decision.handoff, handoff_reason=decision.reason, out_of_hours=decision.away_notice, flags=flags,
            delivered=delivered_here,
        )]
        return await self.store.commit(conversation, change, version=conversation.version, finish=finish, outgoing=answer)

    async def _told(
        self, stored: StoredMessage, conversation: Conversation, decision: Decision, language: str,
        understood: Understanding | None, text: str, flags: list[str], style: Style, outbox: list[int],
        delivered_here: bool = False,
    ) -> Reply:
        if outbox and not delivered_here:
            self._wake()
        state = State.WAITING.value if decision.hands_off else conversation.state
        reply = Reply(
            text=text or None, intent=decision.intent, score=decision.score, language=language,
            handoff=decision.handoff, handoff_reason=decision.reason, out_of_hours=decision.away_notice,
            style=style, conversation=conversation.external_id, notes=tuple(flags), outbox=tuple(outbox),
        )
        pivot = understood.pivot if understood else None
        event = Event(conversation.id, stored.id, stored.text, language, pivot, reply, state, decision.hands_off)
        for listener in self.listeners:
            try:
                await listener(event)
            except Exception:  # noqa: BLE001 - a broken desk must not lose the buyer's answer
                log.exception("listener %r failed on message %s", listener, stored.id)
        return reply

    def _wake(self) -> None:
        for wake in self.written:
            wake()

    async def _order_answer(
        self, understood: Understanding | None, stored: StoredMessage, conversation: Conversation
    ) -> tuple[str, dict[str, Any]] | None:
        """`order_status` with facts: the order named in the message, else the buyer's latest. An order
        number kefu has no record of goes to a person (never "please send your order number" again)."""
        if understood is None or understood.match.intent != "order_status":
            return None
        mentioned = orders.mentioned_order_ids(stored.text)
        for order_id in mentioned:
            order = await self.store.order(order_id)
            if order is not None:
                break
        else:
            if mentioned:
                return orders.NOT_ON_RECORD, {"order_id": mentioned[0]}
            order = await self.store.latest_order(conversation.buyer)
        if order is None:
            return None
        return orders.message_key(order), orders.order_context(order)

    async def _whereabouts(self, understood: Understanding | None, conversation: Conversation) -> Whereabouts:
        """What the conversation knows of where the parcel goes; the buyer's orders are read only
        when the message is about customs, or may answer the bot's "which country?"."""
        asked = conversation.destination_asked_at is not None
        where = Whereabouts(remembered=conversation.destination, asked=asked)
        if understood is None or (understood.match.intent != CUSTOMS_INTENT and not (asked and not conversation.destination)):
            return where
        order = await self.store.latest_order(conversation.buyer)
        return replace(
            where, order=order.ship_country if order else None, channel=conversation.country,
            address=address_country(conversation.buyer) if conversation.channel == "email" else None,
        )

    async def _is_key_customer(self, buyer: str) -> bool:
        if buyer in self.settings.key_customers:
            return True
        count, spend = await self.store.buyer_totals(buyer)
        return count >= self.settings.key_customer_orders or spend >= self.settings.key_customer_spend

    async def _compose(self, parts: list[Part], language: str, style: Style, conversation: Conversation, brain: Brain, flags: list[str]) -> str:
        rendered = [r for r in (self._render(part, language, style, brain) for part in parts) if r is not None]
        if not rendered:
            return ""
        texts = [await self._localize(part, language, flags) for part in rendered]
        fell_back = [part.text for part, text in zip(rendered, texts) if text == part.text and base(part.language) != base(language)]
        notice = in_english_notice(brain.answers, language) if fell_back else None
        if notice:  # never a silent switch to English: one line in the buyer's language says why
            texts.insert(0, notice)
        if style is Style.LETTER:
            greeting, closing = letter_frame(brain.answers, language, {"buyer_name": conversation.buyer_name or ""})
            texts = [await self._localize(greeting, language, flags), *texts, await self._localize(closing, language, flags)]
        return "\n\n".join(t for t in texts if t)

    @staticmethod
    def _render(part: Part, language: str, style: Style, brain: Brain) -> Rendered | None:
        if part.intent:
            return answer_body(brain.answers, part.key, language, style, part.context)
        return message_body(brain.answers, part.key, language, style, part.context)

    async def _localize(self, part: Rendered, language: str, flags: list[str]) -> str:
        """Reviewed text as is; otherwise machine-translate from English, or fall back to English."""
        translated = await localize(self.translator, part.text, part.language, language)
        if translated is None:
            if TRANSLATION_FAILED not in flags:
                flags.append(TRANSLATION_FAILED)
            return part.text
        return translated

    async def _give_up(self, stored: StoredMessage, error: str) -> Reply:
        """Deciding failed: the message is kept as failed, people get the conversation, the buyer is told."""
        conversation = await self.store.conversation(stored.conversation_id)
        assert conversation is not None
        language = conversation.language or "en"
        style = style_for(stored.channel)
        try:
            text = message_body(self.brains.brain.answers, "handoff", language, style).text
        except Exception:  # noqa: BLE001 - even the answers may be what broke
            text = FALLBACK_HANDOFF
        now = self.clock()
        finish = (stored.id, {"status": "failed", "error": error[:2000], "handoff": True, "handoff_reason": handoff.ERROR})
        answer = [Outgoing(text, now, reply_to=stored.id, language=language, handoff=True, handoff_reason=handoff.ERROR)]
        held = conversation.state == State.HELD.value
        change = None if conversation.state != State.BOT.value else hand_off(handoff.ERROR, 0, now)
        try:
            outbox = await self.store.commit(conversation, change, finish=finish, outgoing=[] if held else answer)
        except LostRace:  # an agent took it meanwhile: keep the message, say nothing
            outbox = await self.store.commit(conversation, None, finish=finish)
        if outbox:
            self._wake()
        return Reply(
            None if held else text, language=language, handoff=True, handoff_reason=handoff.ERROR, style=style,
            conversation=conversation.external_id, outbox=tuple(outbox),
        )
