"""`kefu stats`: how the bot is doing, from the store.

- messages by channel and by language (buyer messages);
- containment: the share of conversations the bot answered without a person
  (at least one answer with an intent, no handoff, no agent reply — a chat
  where the bot only asked the buyer to rephrase was not answered);
- handoffs by reason (bot replies that handed the chat over, and the
  conversations they happened in);
- first-response time: from a buyer's first message in a conversation to the
  first bot (`out`) and the first agent (`agent`) message after it;
- out-of-hours share: buyer messages that arrived while the team was away
  (by the business hours), and how many away notices went out;
- the hour of the buyer's day each message was written at (the buyer's zone from
  the channel, a mail's offset or the country), for when buyers write.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import NamedTuple


from bot.hours import BusinessHours, buyer_zone
from bot.store.database import Store

BUYER, BOT, AGENT = "in", "out", "agent"


class Row(NamedTuple):
    id: int
    conversation_id: int
    channel: str
    direction: str
    language: str | None
    intent: str | None
    handoff: bool
    handoff_reason: str | None
    out_of_hours: bool
    created_at: datetime


@dataclass(frozen=True)
class Durations:
    """Seconds, summarised: how many, the median and the 90th percentile (nearest rank)."""

    values: tuple[float, ...] = ()

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p90(self) -> float | None:
        if not self.values:
            return None
        ordered = sorted(self.values)
        return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass
class Stats:
    since: datetime | None
    buyer_messages: int = 0
    bot_messages: int = 0
    agent_messages: int = 0
    conversations: int = 0  # with a buyer message in the period
    by_channel: list[tuple[str, int, int]] = field(default_factory=list)  # channel, buyer messages, conversations
    by_language: list[tuple[str, int]] = field(default_factory=list)
    contained: int = 0
    handoffs: list[tuple[str, int, int]] = field(default_factory=list)  # reason, bot replies, conversations
    bot_first_response: Durations = Durations()
    agent_first_response: Durations = Durations()
    out_of_hours: int = 0  # buyer messages while the team was away
    away_notices: int = 0  # buyer messages answered with the "we are away until…" notice
    per_day: list[tuple[date, dict[str, int]]] = field(default_factory=list)  # buyer messages per channel, shop's days
    by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # buyer messages by the hour of the buyer's day
    hour_unknown: int = 0  # buyer messages whose buyer's zone is not known

    @property
    def containment(self) -> float | None:
        return self.contained / self.conversations if self.conversations else None

    @property
    def out_of_hours_share(self) -> float | None:
        return self.out_of_hours / self.buyer_messages if self.buyer_messages else None


Zones = dict[int, tuple[str | None, str | None]]  # conversation id → (timezone, country)


async def fetch_rows(store: Store, since: datetime | None = None) -> list[Row]:
    """The columns the figures need (no texts), oldest first."""
    return [Row(*row) for row in await store.message_columns(Row._fields, since)]


async def fetch_zones(store: Store, since: datetime | None = None) -> Zones:
    """What is known of each buyer's time zone, for the hour of their day."""
    return await store.buyer_zones(since)


def compute_stats(rows: list[Row], hours: BusinessHours, since: datetime | None = None, zones: Zones | None = None) -> Stats:
    stats = Stats(since=since)
    directions = Counter(row.direction for row in rows)
    stats.buyer_messages, stats.bot_messages, stats.agent_messages = directions[BUYER], directions[BOT], directions[AGENT]
    by_conversation: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        by_conversation[row.conversation_id].append(row)
    talks = {cid: sorted(msgs, key=lambda r: (r.created_at, r.id)) for cid, msgs in by_conversation.items()
             if any(r.direction == BUYER for r in msgs)}
    stats.conversations = len(talks)
    buyer_rows = [row for row in rows if row.direction == BUYER]
    _volumes(stats, buyer_rows, talks, hours)
    _handoffs(stats, talks)
    stats.bot_first_response = _first_response(talks, BOT)
    stats.agent_first_response = _first_response(talks, AGENT)
    stats.out_of_hours = sum(not hours.is_open(row.created_at) for row in buyer_rows)
    stats.away_notices = sum(row.out_of_hours for row in buyer_rows)
    _hours_of_day(stats, buyer_rows, zones or {})
    return stats


def _hours_of_day(stats: Stats, buyer_rows: list[Row], zones: Zones) -> None:
    known: dict[int, tzinfo | None] = {cid: buyer_zone(*zone) for cid, zone in zones.items()}
    for row in buyer_rows:
        zone = known.get(row.conversation_id)
        if zone is None:
            stats.hour_unknown += 1
        else:
            stats.by_hour[row.created_at.astimezone(zone).hour] += 1


def _volumes(stats: Stats, buyer_rows: list[Row], talks: dict[int, list[Row]], hours: BusinessHours) -> None:
    messages = Counter(row.channel for row in buyer_rows)
    conversations = Counter(msgs[0].channel for msgs in talks.values())
    stats.by_channel = [(channel, count, conversations[channel]) for channel, count in messages.most_common()]
    stats.by_language = Counter(row.language or "?" for row in buyer_rows).most_common()
    days: dict[date, Counter[str]] = defaultdict(Counter)
    for row in buyer_rows:
        days[row.created_at.astimezone(hours.zone).date()][row.channel] += 1
    stats.per_day = [(day, dict(days[day])) for day in sorted(days)]


def _handoffs(stats: Stats, talks: dict[int, list[Row]]) -> None:
    replies: Counter[str] = Counter()
    conversations: Counter[str] = Counter()
    for msgs in talks.values():
        # The bot's replies carry the reason even when processing failed (reason "error").
        reasons = [r.handoff_reason or "unknown" for r in msgs if r.direction == BOT and r.handoff]
        replies.update(reasons)
        conversations.update(set(reasons))
        human = reasons or any(r.direction == AGENT for r in msgs) or any(r.handoff for r in msgs)
        if not human and any(r.direction == BOT and r.intent for r in msgs):
            stats.contained += 1
    stats.handoffs = [(reason, count, conversations[reason]) for reason, count in replies.most_common()]


def _first_response(talks: dict[int, list[Row]], direction: str) -> Durations:
    waits = []
    for msgs in talks.values():
        first = next(r for r in msgs if r.direction == BUYER)
        answer = next((r for r in msgs if r.direction == direction and r.created_at >= first.created_at and r.id != first.id), None)
        if answer is not None:
            waits.append((answer.created_at - first.created_at).total_seconds())
    return Durations(tuple(waits))


def humanize(seconds: float | None) -> str:
    """3 s, 4 min 10 s, 2 h 05 min, 3 d 4 h; "—" for nothing."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
