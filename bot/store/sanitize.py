"""Make an incoming message fit the store, so storing it never fails.

Channels deliver what senders write: a 300-character Content-Language, a
display name the length of a letter, a NUL in a user name, a lone surrogate
from a JSON escape, a time beyond year 9999 once in UTC. PostgreSQL refuses
all of these (SQLite some). `fit_message` returns a message every column
can hold, plus one note per change; the store keeps the original in
`rejected` whenever a note was written, so nothing that arrived is lost.

The limits are read from the SQLAlchemy columns each field is stored in, so a
migration that widens a column widens the limit with it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column

from bot.message import Kind, Message
from bot.store.models import Conversation, Order, Rejected, StoredMessage
from bot.store.limits import MAX_STORED_CHARS
from bot.text import storable

MAX_RAW_DEPTH = 32  # deeper structures in a channel payload are cut (json and the databases recurse)
_HUGE_INT_BITS = 10_000  # ints this long exceed Python's int→str limit (4,300 digits) when serialised

# Where each text field of a Message is stored; its limit is the narrowest of these columns.
COLUMNS: dict[str, tuple[Any, ...]] = {
    "channel": (StoredMessage.channel, Conversation.channel, Rejected.channel),
    "conversation": (Conversation.external_id,),
    "sender": (StoredMessage.sender, Conversation.buyer, Order.buyer),
    "text": (StoredMessage.text,),
    "sender_name": (Conversation.buyer_name,),
    "language_hint": (StoredMessage.language, Conversation.language),
    "external_id": (StoredMessage.external_id,),
    "subject": (),  # travels in `raw`: bounded only by the store's maximum
    "timezone": (Conversation.timezone,),
    "country": (Conversation.country,),
}
# Fields that identify something (a channel, a chat, a buyer, a delivery): cutting them could
# make two different ones equal, so an over-long one keeps its start and gains a hash of the whole.
IDENTIFIERS = frozenset({"channel", "conversation", "sender", "external_id"})
REQUIRED = frozenset({"channel", "conversation", "sender", "text"})
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_HASH_CHARS = 16


def column_limit(columns: tuple[Any, ...]) -> int:
    """The most characters every one of `columns` holds (the store's maximum for unbounded text)."""
    lengths = [_column(c).type.length for c in columns if getattr(_column(c).type, "length", None)]
    return min(lengths, default=MAX_STORED_CHARS)


def _column(attribute: Any) -> Column:
    return attribute.property.columns[0] if hasattr(attribute, "property") else attribute


LIMITS = {name: column_limit(columns) for name, columns in COLUMNS.items()}
ERROR_LIMIT = 2000  # of a rejected payload's error: a summary, not a second payload


@dataclass(frozen=True)
class Fitted:
    message: Message
    notes: tuple[str, ...] = ()  # what had to change, one note per field ("sender_name: cut from 300 to 255 characters")


def fit_message(message: Message) -> Fitted:
    """`message` as the store can hold it, and what was changed to get there."""
    notes: list[str] = []
    changes: dict[str, Any] = {}
    for name, limit in LIMITS.items():
        value = getattr(message, name)
        fitted = fit_country(value, notes) if name == "country" else fit_text(name, value, limit, notes)
        if fitted is not value:
            changes[name] = fitted
    if not isinstance(message.kind, Kind):
        kind = Kind(message.kind) if message.kind in [k.value for k in Kind] else Kind.OTHER
        notes.append(f"kind: {type(message.kind).__name__} instead of a Kind, kept as {kind.value}")
        changes["kind"] = kind
    moment = storable_moment(message.received_at)
    if moment is not message.received_at:
        notes.append(f"received_at: {message.received_at.isoformat()} is out of range, kept as {moment.isoformat()}")
        changes["received_at"] = moment
    raw, raw_notes = fit_raw(message.raw)
    if raw_notes:
        notes.extend(raw_notes)
        changes["raw"] = raw
    if not changes:
        return Fitted(message)
    return Fitted(dataclasses.replace(message, **changes), tuple(notes))


def fit_text(name: str, value: Any, limit: int, notes: list[str]) -> Any:
    """One field as its column holds it; returns `value` itself when it already fits."""
    if value is None:
        if name in REQUIRED:
            notes.append(f"{name}: missing, kept as empty")
            return ""
        return None
    if not isinstance(value, str):
        if name in IDENTIFIERS and isinstance(value, int) and not isinstance(value, bool) and value.bit_length() < 64:
            return str(value)  # a channel's numeric id
        notes.append(f"{name}: {type(value).__name__} instead of text, {'kept as empty' if name in REQUIRED else 'dropped'}")
        return "" if name in REQUIRED else None
    clean = storable(value)
    if clean != value:
        notes.append(f"{name}: NUL or lone surrogate characters replaced by U+FFFD")
    if len(clean) > limit:
        notes.append(f"{name}: cut from {len(clean)} to {limit} characters")
        clean = fit_identifier(clean, limit) if name in IDENTIFIERS else clean[:limit]
    return value if clean == value else clean


def fit_country(value: Any, notes: list[str]) -> str | None:
    """A country code, or None: cutting "Germany" to two letters would name Georgia."""
    if value is None or (isinstance(value, str) and _COUNTRY.fullmatch(value)):
        return value
    shown = storable(value)[:20] if isinstance(value, str) else type(value).__name__
    notes.append(f"country: {shown!r} is not an ISO 3166 code, dropped")
    return None


def fit_identifier(value: str, limit: int) -> str:
    """An over-long id cut to `limit`, still unique: its start, then a hash of the whole."""
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{value[:limit - _HASH_CHARS - 1]}#{digest}"


def storable_moment(moment: datetime) -> datetime:
    """`moment` unless it has no UTC equivalent (9999-12-31T23:59:59-23:59): then the nearest one that has."""
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        edge = datetime.max if moment.year > 1 else datetime.min
        return edge.replace(tzinfo=timezone.utc)
    return moment


def fit_raw(raw: Any) -> tuple[dict[str, Any], list[str]]:
    """A channel payload as a JSON column holds it: valid text, finite numbers, bounded depth and size."""
    notes: list[str] = []
    fitted = _plain(raw if isinstance(raw, dict) else {"value": raw}, 0, notes)
    if not isinstance(raw, dict):
        notes.append(f"raw: {type(raw).__name__} instead of an object, wrapped")
    if notes:
        notes[:] = [f"raw: {note}" for note in dict.fromkeys(notes)]
    dumped = json.dumps(fitted, ensure_ascii=False)
    if len(dumped) > MAX_STORED_CHARS:
        notes.append(f"raw: {len(dumped)} characters of JSON cut to {MAX_STORED_CHARS}")
        fitted = {"clipped": dumped[:MAX_STORED_CHARS]}
    return fitted, notes


def _plain(value: Any, depth: int, notes: list[str]) -> Any:
    if isinstance(value, str):
        clean = storable(value)
        if clean != value:
            notes.append("NUL or lone surrogate characters replaced by U+FFFD")
        return clean
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > _HUGE_INT_BITS:
            notes.append("an integer too long to write kept as its size")
            return f"<integer of {value.bit_length()} bits>"
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        notes.append(f"{value} is not a JSON number, kept as text")
        return str(value)
    if depth >= MAX_RAW_DEPTH:
        notes.append(f"nested deeper than {MAX_RAW_DEPTH} levels, cut")
        return None
    if isinstance(value, dict):
        return {_plain(str(key), depth + 1, notes): _plain(item, depth + 1, notes) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item, depth + 1, notes) for item in value]
    notes.append(f"{type(value).__name__} kept as text")
    return storable(str(value))


def original_payload(message: Message) -> str:
    """The message as it arrived, as ASCII JSON: every character survives as an escape."""
    fields = {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}
    try:
        return json.dumps(fields, default=_as_text, ensure_ascii=True)
    except (ValueError, RecursionError):  # a raw payload too deep or a number too long to write
        fields["raw"] = fit_raw(message.raw)[0]
        return json.dumps(fields, default=_as_text, ensure_ascii=True)


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else type(value).__name__
