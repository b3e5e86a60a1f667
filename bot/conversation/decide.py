"""`decide()`: what the bot says to one buyer message, and whether a person takes over.

The one place the handoff rules of ../shared/domain.md live. The pipeline, the
agent desks, `kefu classify` and the admin tools all call it, so they cannot
disagree. Pure: it reads what it is given (what the message says, the
conversation as it stands, the shop's data) and touches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from bot.brain import Brain
from bot.conversation import handoff
from bot.conversation.states import State
from bot.conversation.understand import Understanding
from bot.customs import answer as customs
from bot.customs.answer import Whereabouts
from bot.orders import records as orders
from bot.hours import tell_when

UNSURE_MARGIN = 12.0  # this close below the threshold, ask once to rephrase before handing off
PRIVACY_INTENT = "privacy_request"  # intents/lists/privacy.yaml: handed off with reason `privacy`


@dataclass(frozen=True)
class Part:
    """One piece of the reply: an intent's answer (`intent=True`) or one of the bot's own messages."""

    key: str
    context: dict[str, Any] = field(default_factory=dict)
    intent: bool = False


@dataclass(frozen=True)
class Situation:
    """The conversation as it stands when the message is decided."""

    state: State = State.BOT
    misses: int = 0  # consecutive messages with no intent
    always_person: bool = False  # a key customer an admin routes to people (setting `key_customers`)
    away_told_at: datetime | None = None  # the last out-of-hours notice
    zone: tzinfo | None = None  # the buyer's time zone, when known


@dataclass(frozen=True)
class Heard:
    """What the buyer sent, as far as deciding goes."""

    readable: bool  # text (anything else: a photo, sticker, voice, file)
    text: str = ""
    understood: Understanding | None = None
    order_answer: tuple[str, dict[str, Any]] | None = None  # (message key, context) from the order on record
    whereabouts: Whereabouts = Whereabouts()  # what the conversation knows of the parcel's destination


@dataclass
class Decision:
    intent: str | None = None
    score: float = 0.0
    reason: str | None = None  # why a person takes over; None: the bot handles it
    parts: list[Part] = field(default_factory=list)
    misses: int = 0
    hands_off: bool = False  # this message moves the conversation from the bot to people
    away_notice: bool = False  # the out-of-hours notice is part of the reply
    silent: bool = False  # an agent holds the chat: the bot says nothing
    destination: str | None = None  # the parcel's destination, to remember in the conversation
    asks_destination: bool = False  # the reply asks which country the parcel goes to

    @property
    def handoff(self) -> bool:
        return self.reason is not None


def decide(heard: Heard, situation: Situation, brain: Brain, now: datetime, language: str) -> Decision:
    if situation.state is State.HELD:
        return Decision(silent=True, misses=situation.misses)
    decision = _what(heard, situation, brain, language)
    decision.hands_off = decision.reason is not None and situation.state is State.BOT
    _tell_handoff(decision, situation, brain, now, language)
    return decision


def _what(heard: Heard, situation: Situation, brain: Brain, language: str) -> Decision:
    if not heard.readable:
        return Decision(reason=handoff.UNREADABLE, parts=[Part("unreadable")], misses=situation.misses)
    if heard.understood is None or not heard.text.strip():
        return Decision(parts=[Part("empty")], misses=situation.misses)
    match, understood = heard.understood.match, heard.understood
    intent = match.intent
    if customs.INTENT in brain.intents.ids and customs.answers_question(
        heard.text, understood.pivot, language, heard.whereabouts, brain.customs
    ):
        intent = customs.INTENT  # "Germany", after the bot asked where the parcel goes
    decision = Decision(intent=intent, score=match.score, misses=0)
    told = None
    if intent is not None:
        decision.parts.append(Part(intent, intent=True))
        if heard.order_answer is not None:
            key, context = heard.order_answer
            decision.parts = [Part(key, context)]
        if intent == customs.INTENT:
            told = customs.tell(heard.text, understood.pivot, language, heard.whereabouts, brain.customs)
            decision.parts = [Part(key, context) for key, context in told.lines]
            decision.destination, decision.asks_destination = told.destination, told.asks
    reason = _reason(heard, intent, situation, brain) or (told.reason if told else None)
    if heard.order_answer is not None and heard.order_answer[0] in orders.HANDED_OFF:
        reason = reason or handoff.INTENT
    if intent is None:
        best = match.best
        # close below the threshold, and not what the model takes for out of scope: worth asking again
        unsure = (best is not None and best.intent in brain.intents.ids and best.score >= match.threshold - UNSURE_MARGIN
                  and not match.out_of_scope_at_its_limit)
        decision.misses = situation.misses + 1
        if reason is None and unsure and decision.misses < 2:
            decision.parts.append(Part("rephrase"))
        else:
            reason = reason or handoff.NO_MATCH
    decision.reason = reason
    return decision


def _reason(heard: Heard, intent: str | None, situation: Situation, brain: Brain) -> str | None:
    assert heard.understood is not None
    if intent == PRIVACY_INTENT:  # before key customers: the agent must see what is asked
        return handoff.PRIVACY
    if situation.always_person:
        return handoff.KEY_CUSTOMER
    if intent == "human_agent":
        return handoff.REQUESTED
    if intent == "dispute":
        return handoff.DISPUTE
    if intent is not None and brain.intents.intents[intent].handoff:
        return handoff.INTENT
    if handoff.is_angry(heard.text, heard.understood.pivot):
        return handoff.ANGRY
    return None


def _tell_handoff(decision: Decision, situation: Situation, brain: Brain, now: datetime, language: str) -> None:
    """Add "a person will answer" when the bot hands off; out of hours, once per absence, say when."""
    if decision.reason is None:
        return
    intent_says_it = decision.intent is not None and brain.intents.intents[decision.intent].handoff
    if situation.state is State.BOT and not intent_says_it and decision.reason not in handoff.SELF_TOLD:
        decision.parts.append(Part("out_of_scope" if decision.reason == handoff.NO_MATCH else "handoff"))
    hours = brain.hours
    if hours.is_open(now) and not hours.always_tell:
        return
    if situation.away_told_at and situation.away_told_at >= hours.absence_start(now):
        return  # told once in this absence: no auto-reply storms
    back_at, back_in = tell_when(hours.next_open(now), now, situation.zone, hours.zone, language)
    key = "handoff_offline" if situation.zone is not None else "handoff_offline_utc"
    decision.parts.append(Part(key, {"back_at": back_at, "back_in": back_in}))
    decision.away_notice = not hours.is_open(now)


def priority(reason: str | None, key_customer: bool) -> int:
    """The queue's order: disputes and key customers (by orders, spend or setting) first."""
    return int(reason in handoff.PRIORITY_REASONS or key_customer)
