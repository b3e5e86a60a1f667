"""Small factories for test payloads, instead of literals pasted into each test."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from bot.message import Kind, Message

_ids = itertools.count(1)


def buyer_message(
    text: str,
    *,
    channel: str = "console",
    conversation: str = "chat-1",
    sender: str = "buyer-1",
    name: str | None = None,
    hint: str | None = None,
    kind: Kind = Kind.TEXT,
    at: datetime | None = None,
    external_id: str | None = None,
) -> Message:
    return Message(
        channel=channel, conversation=conversation, sender=sender, text=text, sender_name=name,
        received_at=at or datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc), kind=kind, language_hint=hint,
        external_id=external_id or f"m{next(_ids)}", raw={"text": text},
    )


def babel_moment(instant: datetime, zone: str, locale: str) -> str:
    """How Babel itself writes `instant` in `zone` for `locale` ("Mon, Nov 23, 7:00 PM"): tests compare
    with this, never with a hand-typed string that a CLDR update changes."""
    from zoneinfo import ZoneInfo

    from babel.dates import format_skeleton, format_time

    local = instant.astimezone(ZoneInfo(zone))
    return f"{format_skeleton('MMMEd', local, locale=locale)}, {format_time(local, 'short', locale=locale)}"


# A small intent list of another domain than the shop's (a smart speaker), with no answers:
# the engine must read it as it reads the shipped lists.
SPEAKER_INTENTS = {
    "Weather.Forecast": ["what is the weather tomorrow", "will it rain today", "is it going to be sunny this weekend",
                         "how cold is it outside", "do i need an umbrella today", "weather forecast for paris",
                         "how hot will it be on friday", "is snow expected tonight"],
    "Music.Play": ["play some jazz", "put on my workout playlist", "play the latest album by adele",
                   "i want to hear rock music", "start my morning playlist", "play songs by the beatles",
                   "turn on some relaxing music", "play the radio"],
    "Timer.Set": ["set a timer for ten minutes", "start a five minute timer", "timer for pasta please",
                  "count down twenty minutes", "set an alarm for seven am", "wake me up at six",
                  "remind me in one hour", "put a timer on for the oven"],
    "out_of_scope": ["what is the capital of peru", "write me a poem", "how do i file my taxes",
                     "who won the football game", "tell me a joke about cats", "what is the meaning of life",
                     "how many calories are in an apple", "translate hello into german"],
}


def write_intent_list(folder, intents: dict[str, list[str]] = SPEAKER_INTENTS, normalization: str | None = None):
    """An intent lists folder (one YAML file) holding `intents`; `normalization` is its normalization.yaml."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    entries = [{"id": intent, "examples": examples} for intent, examples in intents.items()]
    (folder / "speaker.yaml").write_text(json.dumps(entries, indent=1), encoding="utf-8")  # JSON is YAML
    if normalization is not None:
        (folder / "normalization.yaml").write_text(normalization, encoding="utf-8")
    return folder
