"""The conversation state machine: the states, every transition, and their guards.

    bot ──hand_off──▶ waiting ──claim/assign──▶ held
     ▲                   │                        │
     └──release/close────┴──release/close/idle────┘

- **bot**: the bot answers. **waiting**: a person should take it; the bot only
  acknowledges. **held**: an agent has it; the bot stays quiet.
- Every transition is applied by the store as one conditional UPDATE (the
  conversation's `state` must be one of `sources`, and when the caller read a
  `version`, it must still be that version); every transition bumps `version`.
  A transition that lost a race raises `LostRace` instead of overwriting.
- Queue `priority` (disputes, key customers by orders or spend) only orders the
  queue; every way back to the bot resets it, together with the reason, the
  agent and the miss count. "This buyer always goes to a person" is not state:
  it is the `key_customers` setting, read by `decide()` on every message.

Nothing here touches the database: the store executes what this module says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class State(str, enum.Enum):
    BOT = "bot"
    WAITING = "waiting"
    HELD = "held"


ANY = frozenset(State)


class TransitionError(Exception):
    """A transition that cannot be made; the message says why, for the person who asked."""


class LostRace(TransitionError):
    """The conversation changed between reading it and writing the transition."""

    def __init__(self, transition: str, conversation_id: int, state: str | None, agent: str | None) -> None:
        self.transition, self.conversation_id, self.state, self.agent = transition, conversation_id, state, agent
        holder = f" (held by {agent})" if state == State.HELD and agent else ""
        super().__init__(f"{transition}: conversation #{conversation_id} is now {state}{holder}")


@dataclass(frozen=True)
class Change:
    """One transition to apply: which states it may start from, and the columns it writes."""

    name: str
    sources: frozenset[State]
    values: dict[str, Any] = field(default_factory=dict)
    agent: str | None = None  # when set, a held conversation must be held by this agent

    @property
    def target(self) -> State | None:
        state = self.values.get("state")
        return State(state) if state is not None else None


def _back_to_bot(at: datetime) -> dict[str, Any]:
    """Every way back to the bot forgets the same things: one place, so none forgets one."""
    return {
        "state": State.BOT.value, "agent": None, "handoff_reason": None, "handoff_at": None,
        "priority": 0, "misses": 0, "agent_seen_at": None, "updated_at": at,
    }


def hand_off(reason: str, priority: int, at: datetime, **values: Any) -> Change:
    """The bot gives the conversation to people (the buyer asked, a dispute, no match twice…)."""
    return Change("hand_off", frozenset({State.BOT}), {
        **values, "state": State.WAITING.value, "handoff_reason": reason, "handoff_at": at, "priority": priority,
        "updated_at": at,
    })


def buyer_wrote(at: datetime, **values: Any) -> Change:
    """A buyer's message that changes no state (language, misses, away notice): still versioned."""
    return Change("buyer_wrote", ANY, {**values, "updated_at": at})


def claim(agent: str, at: datetime) -> Change:
    """An agent takes a conversation; two agents at once: one wins, the other gets `LostRace`."""
    return Change("claim", frozenset({State.BOT, State.WAITING}), {
        "state": State.HELD.value, "agent": agent, "agent_seen_at": at, "updated_at": at,
    })


def assign(to: str, at: datetime) -> Change:
    """Give a conversation to a colleague, whatever its state."""
    return Change("assign", ANY, {"state": State.HELD.value, "agent": to, "agent_seen_at": at, "updated_at": at})


def agent_replied(agent: str, at: datetime) -> Change:
    """The holder wrote to the buyer: the chat is not idle."""
    return Change("agent_replied", frozenset({State.HELD}), {"agent_seen_at": at, "updated_at": at}, agent=agent)


def release(agent: str | None, at: datetime) -> Change:
    """Back to the bot (the buyer is told). Only the holder may release a held conversation."""
    return Change("release", frozenset({State.WAITING, State.HELD}), _back_to_bot(at), agent=agent)


def close(agent: str | None, at: datetime) -> Change:
    """Done: back to the bot without a word to the buyer."""
    return Change("close", frozenset({State.WAITING, State.HELD}), _back_to_bot(at), agent=agent)


def idle_release(at: datetime) -> Change:
    """Nobody touched a held conversation for too long: back to the bot, like a release."""
    return Change("idle_release", frozenset({State.HELD}), _back_to_bot(at))


def delivery_failed(reason: str, at: datetime) -> Change:
    """What the bot owed the buyer could not be delivered: people must see it."""
    return Change("delivery_failed", frozenset({State.BOT}), {
        "state": State.WAITING.value, "handoff_reason": reason, "handoff_at": at, "updated_at": at,
    })
