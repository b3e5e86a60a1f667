"""The customs answer: the buyer's destination, the facts for it and the shop's setup → its lines.

Which country: the one the message names, else the one the buyer told before (remembered in the
conversation), else the one of their latest order, else the channel's hint (Slack locale; an
e-mail address's country ending, weakest) told as an assumption; else the bot asks once
("Which country will the parcel go to?"), and a short reply naming a country answers it.

What is said follows ../shared/customs.md: the thresholds with their date, who collects (at
checkout under the shop's registration, by DDP, or at the door), that rules change and that
customs or the carrier's bill sets the final amount. Never "no tax". A destination without an
entry, or one flagged for review, goes to a person (reason `customs_review`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.conversation.handoff import CUSTOMS_REVIEW
from bot.customs.countries import named
from bot.customs.facts import NONE, REGISTRATIONS, Amount, CustomsFacts, Entry
from bot.customs.setup import ShopSetup
from bot.customs.wording import Country, Day, Details, Money, Rate, Tax

INTENT = "customs_tax"
MAX_ANSWER_WORDS = 6  # "Germany", "to Germany please", "в Германию": a reply to "which country?"

# Where the country came from, strongest first. The channel's hints are told as an assumption.
NAMED, REMEMBERED, ORDER, CHANNEL, ADDRESS = "message", "conversation", "order", "channel", "address"
ASSUMED = (CHANNEL, ADDRESS)


@dataclass(frozen=True)
class Customs:
    """The shop's customs knowledge: the data file's facts and the shop's own setup."""

    facts: CustomsFacts
    setup: ShopSetup = ShopSetup()


@dataclass(frozen=True)
class Whereabouts:
    """What the conversation knows of the parcel's destination before this message."""

    remembered: str | None = None  # the buyer told it before
    order: str | None = None  # their latest order ships there
    channel: str | None = None  # the channel's country (Slack locale…)
    address: str | None = None  # the country ending of their e-mail address: weak
    asked: bool = False  # the bot asked "which country?" already


@dataclass
class Told:
    lines: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    reason: str | None = None
    destination: str | None = None  # to remember in the conversation (said, or an order's; never a guess)
    asks: bool = False  # this answer asks the destination


def answers_question(text: str, pivot: str, language: str, where: Whereabouts, customs: Customs) -> bool:
    """A short message naming a country, after the bot asked where the parcel goes."""
    if not where.asked or where.remembered or len(text.split()) > MAX_ANSWER_WORDS:
        return False
    return bool(named(text, pivot, language, origin=customs.setup.origin))


def tell(text: str, pivot: str, language: str, where: Whereabouts, customs: Customs) -> Told:
    said = named(text, pivot, language, origin=customs.setup.origin)
    candidates = ((said[0] if said else None, NAMED), (where.remembered, REMEMBERED), (where.order, ORDER),
                  (where.channel, CHANNEL), (where.address, ADDRESS))
    country, source = next(((c, s) for c, s in candidates if c and c != customs.setup.origin), (None, None))
    if country is None:
        if where.asked:
            return Told([("customs_general", {})])
        return Told([("customs_ask", {})], asks=True)
    told = Told(destination=None if source in ASSUMED else country)  # a guess is not remembered as told
    entry = customs.facts.entry_for(country)
    if entry is None or flagged(entry, country):
        told.lines, told.reason = [("customs_review", {"country": Country(country)})], CUSTOMS_REVIEW
        return told
    told.lines = lines(entry, country, customs.setup)
    if source in ASSUMED:
        told.lines.insert(-1, ("customs_assumed", {"country": Country(country)}))
    return told


def flagged(entry: Entry, country: str) -> bool:
    national = entry.national.get(country)
    return entry.flagged or (national is not None and national.status != "verified")


def lines(entry: Entry, country: str, setup: ShopSetup) -> list[tuple[str, dict[str, Any]]]:
    """The answer for a verified entry: intro, who collects, thresholds, charges, the caveat."""
    out: list[tuple[str, dict[str, Any]]] = [("customs_intro", {"country": Country(country), "as_of": Day(entry.as_of)})]
    if setup.ships_ddp(country, entry.code):
        out.append(("customs_ddp", {"country": Country(country)}))
        out.append(("customs_final", {}))
        return out
    registered = entry.registration is not None and entry.registration in setup.registrations
    assert entry.tax is not None  # a verified entry has one (facts.py)
    if registered:
        out.append(("customs_checkout", {**_named(entry.tax), "registration": REGISTRATIONS[entry.registration or ""]}))
        if entry.checkout_up_to:
            out.append(("customs_above_limit", {"limit": Money(entry.checkout_up_to)}))
        out += _allowance("duty", None, entry.duty_free_up_to)
    elif entry.duty_free_up_to is not None and entry.duty_free_up_to == entry.tax_free_up_to:
        out += _allowance("duties_and_taxes", None, entry.duty_free_up_to)
    else:
        out += _allowance("duty", None, entry.duty_free_up_to)
        out += _allowance(entry.tax, entry.tax_rate, entry.tax_free_up_to)
    national = entry.national.get(country)
    for charge in entry.charges + (national.charges if national else ()):
        if charge.registered is None or charge.registered == registered:
            out.append(("customs_charge", {**_named(charge.what), "rate": Rate(charge.rate), "details": Details(charge)}))
    if not registered:
        out.append(("customs_door", {}))
    out.append(("customs_final", {}))
    return out


def _allowance(tax: str, rate: str | None, limit: Amount | str | None) -> list[tuple[str, dict[str, Any]]]:
    if limit is None:
        return []
    if limit == NONE:
        return [("customs_any", _named(tax, rate))]
    assert isinstance(limit, Amount)
    return [("customs_above", {**_named(tax, rate), "limit": Money(limit)})]


def _named(tax: str, rate: str | None = None) -> dict[str, Tax]:
    """A tax's name for a text: {what} inside a sentence, {What} at its start."""
    return {"what": Tax(tax, rate), "What": Tax(tax, rate, first=True)}
