"""How the workspace shows things: reasons, states, channels, waiting times, the buyer's local time,
in the agent's interface language. Words are marked with N_() for the catalogues."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from adapters.desk_format import country_name, language_name
from bot.desk.culture import likely_country
from bot.hours import buyer_zone
from bot.web.i18n import N_, Interface

REASONS = {
    "requested": N_("asked for a person"),
    "intent": N_("needs a person"),
    "dispute": N_("dispute or chargeback"),
    "no_match": N_("the bot could not answer"),
    "angry": N_("the buyer seems upset"),
    "key_customer": N_("key customer"),
    "unreadable": N_("photo, sticker, voice or file"),
    "error": N_("the bot failed on a message"),
    "privacy": N_("personal data request"),
    "send_failed": N_("an answer could not be delivered"),
    "unreachable": N_("the buyer cannot be reached"),
}
STATES = {"bot": N_("the bot answers"), "waiting": N_("waiting for a person"), "held": N_("held by {agent}")}
CHANNELS = {"telegram": "Telegram", "slack": "Slack", "email": N_("e-mail"), "console": N_("console")}
VIEWS = {"queue": N_("Queue"), "mine": N_("Mine"), "all": N_("All conversations")}


def reason(_: Interface, code: str | None) -> str:
    return _(REASONS[code]) if code in REASONS else (code or "")


def state(_: Interface, conversation: Any) -> str:
    return _(STATES.get(conversation.state, conversation.state), agent=conversation.agent or "?")


def channel(_: Interface, code: str) -> str:
    return _(CHANNELS.get(code, code))


def duration(_: Interface, seconds: float) -> str:
    minutes = max(0, int(seconds // 60))
    if minutes < 1:
        return _("under a minute")
    if minutes < 60:
        return _("{m} min", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{h} h {m} min", h=hours, m=minutes)
    return _("{d} days", d=hours // 24)


def waited(conversation: Any, last_in: datetime | None, last_agent: datetime | None, now: datetime) -> float | None:
    """Seconds the buyer has been waiting for a person: since the handoff, or since their last
    message that no person has answered yet; None when nobody owes them an answer."""
    if conversation.state == "bot":
        return None
    since = [at for at in (conversation.handoff_at, last_in) if at is not None and (last_agent is None or at > last_agent)]
    return (now - min(since)).total_seconds() if since else None


def whereabouts(ui: Interface, conversation: Any, now: datetime) -> dict[str, Any]:
    """Country (and whether it is only a guess), local time, language, in the agent's language."""
    language = conversation.language or "en"
    country, certain = likely_country(conversation.country, conversation.timezone, language)
    zone = buyer_zone(conversation.timezone, country)
    return {
        "country": country_name(country, ui.language) if country else None,
        "country_code": country, "country_certain": certain,
        "local_time": format_datetime(now.astimezone(zone), "EEE HH:mm", locale=ui.language) if zone else None,
        "language": language_name(language, ui.language),
    }


# The desk's refusals (bot/desk/actions.py) in the agent's language; anything else is shown as it is.
REFUSALS = [
    (re.compile(r"already claimed by (?P<agent>.+)"), N_("already claimed by {agent}")),
    (re.compile(r"held by (?P<agent>.+?); ask them or assign it to yourself first"),
     N_("held by {agent}; ask them or assign it to yourself first")),
    (re.compile(r"held by (?P<agent>.+)"), N_("held by {agent}")),
    (re.compile(r"conversation #(?P<id>\d+) is now (?P<state>\w+): nothing done"), N_("conversation #{id} is now {state}: nothing done")),
    (re.compile(r"nothing to send"), N_("nothing to send")),
    (re.compile(r"no translation (?P<pair>\S+) right now; send without translation, or try again"),
     N_("no translation {pair} right now; send without translation, or try again")),
    (re.compile(r"no colleague (?P<name>.+) to assign to"), N_("no colleague {name} to assign to")),
]


def refusal(_: Interface, text: str) -> str:
    for pattern, words in REFUSALS:
        found = pattern.fullmatch(text)
        if found:
            return _(words, **found.groupdict())
    return text
