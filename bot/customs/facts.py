"""The customs data file (`replies/customs.yaml`): dated facts per destination, validated with file:line.

One entry per destination (a country code, or a group such as `EU` with its `members`). An
entry whose `status` is not `verified` is answered by a person (reason `customs_review`), as
is a member whose national note is not verified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bot.datafiles import DataError, LineDict, LineList, expect, load_yaml

FILE = "customs.yaml"
STATUSES = ("verified", "unverified", "outdated")
# What a tax or charge is called; each has a word in every language's customs file (`words:`).
TAXES = ("duty", "vat", "gst", "consumption_tax", "import_tax", "icms", "duties_and_taxes", "fee")
PER = ("item_type", "parcel")
# The shop's registrations that let it collect the tax at checkout, with the name buyers read.
REGISTRATIONS = {
    "ioss": "IOSS", "uk_vat": "UK VAT", "au_gst": "GST (Australia)", "nz_gst": "GST (New Zealand)",
    "voec": "VOEC", "ch_vat": "Swiss VAT", "cl_sii": "SII (Chile)", "br_remessa": "Remessa Conforme",
}
_AMOUNT = re.compile(r"^\s*([0-9][0-9_,]*(?:\.[0-9]+)?)\s+([A-Z]{3})\s*$")
_RATE = re.compile(r"^\s*[0-9][0-9.,–-]*\s*%")
ENTRY_KEYS = {
    "name", "members", "status", "as_of", "duty_free_up_to", "tax", "tax_rate", "tax_free_up_to", "checkout",
    "charges", "national", "note", "sources",
}


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str

    def __str__(self) -> str:
        return f"{self.value:,f} {self.currency}"


NONE = "none"  # no allowance: it may apply to any parcel


@dataclass(frozen=True)
class Charge:
    """One more amount the buyer's customs or carrier charge: "duty: 3 EUR per item type, up to 150 EUR"."""

    what: str
    rate: str | Amount  # "20%" or an amount
    per: str | None = None
    up_to: Amount | None = None
    over: Amount | None = None
    since: date | None = None
    registered: bool | None = None  # only when the shop has (True) or lacks (False) the entry's registration


@dataclass(frozen=True)
class National:
    """What one member adds to its group's entry."""

    status: str = "verified"
    charges: tuple[Charge, ...] = ()
    note: str = ""
    line: int = 0


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    status: str
    as_of: date
    line: int
    members: tuple[str, ...] = ()
    duty_free_up_to: Amount | str | None = None  # an amount, NONE, or not stated
    tax: str | None = None
    tax_rate: str | None = None
    tax_free_up_to: Amount | str | None = None
    registration: str | None = None  # the shop charges the tax at checkout when it has this registration…
    checkout_up_to: Amount | None = None  # …for orders up to this value
    charges: tuple[Charge, ...] = ()
    national: dict[str, National] = field(default_factory=dict)
    note: str = ""
    sources: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.status != "verified"

    def countries(self) -> tuple[str, ...]:
        return self.members or (self.code,)


@dataclass
class CustomsFacts:
    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    def entry_for(self, country: str) -> Entry | None:
        """The entry that answers for a country: its own, else its group's (the EU for Germany)."""
        if country in self.entries:
            return self.entries[country]
        return next((e for e in self.entries.values() if country in e.members), None)

    def covers(self, country: str) -> bool:
        return self.entry_for(country) is not None


def load_customs(path: Path) -> CustomsFacts:
    """The data file; a missing file means no destinations (every customs question goes to a person)."""
    if not path.is_file():
        return CustomsFacts(path)
    data = load_yaml(path)
    if data is None:
        return CustomsFacts(path)
    expect(data, dict, path, 1, "the customs file")
    facts = CustomsFacts(path)
    seen: dict[str, str] = {}
    for code, raw in data.items():
        line = data.line_of(code)
        entry = _entry(str(code), raw, path, line)
        for country in entry.countries():
            if country in seen:
                raise DataError(path, line, f"{country} is answered by both {seen[country]} and {entry.code}")
            seen[country] = entry.code
        facts.entries[entry.code] = entry
    return facts


def _entry(code: str, raw: Any, path: Path, line: int) -> Entry:
    if code in ("True", "False"):
        raise DataError(path, line, f"YAML reads {code.lower()} for a plain NO, YES, ON or OFF: write the code in quotes, e.g. 'NO':")
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise DataError(path, line, f"{code!r} is not a two-letter code like DE (or EU for a group)")
    expect(raw, dict, path, line, f"destination {code}")
    for key in raw:
        if key not in ENTRY_KEYS:
            raise DataError(path, raw.line_of(key), f"{code}: unknown field {key!r} (known: {', '.join(sorted(ENTRY_KEYS))})")
    status = str(raw.get("status", "verified"))
    if status not in STATUSES:
        raise DataError(path, raw.line_of("status"), f"{code}: status must be one of {', '.join(STATUSES)}, got {status!r}")
    if "as_of" not in raw:
        raise DataError(path, line, f"{code}: as_of (the date the facts were checked) is required")
    as_of = _date(raw["as_of"], path, raw.line_of("as_of"), f"{code}: as_of")
    members = tuple(_country(c, path, raw.line_of("members"), f"{code}: members") for c in _list(raw, "members", path))
    tax = raw.get("tax")
    if tax is not None and tax not in TAXES:
        raise DataError(path, raw.line_of("tax"), f"{code}: tax must be one of {', '.join(TAXES)}, got {tax!r}")
    checkout = raw.get("checkout") or LineDict()
    expect(checkout, dict, path, raw.line_of("checkout"), f"{code}: checkout")
    registration = checkout.get("registration")
    if registration is not None and registration not in REGISTRATIONS:
        raise DataError(path, checkout.line_of("registration"),
                        f"{code}: registration must be one of {', '.join(REGISTRATIONS)}, got {registration!r}")
    if checkout and registration is None:
        raise DataError(path, raw.line_of("checkout"), f"{code}: checkout needs a registration")
    national = raw.get("national") or LineDict()
    expect(national, dict, path, raw.line_of("national"), f"{code}: national")
    notes = {}
    for country, note in national.items():
        where = national.line_of(country)
        country = _country(country, path, where, f"{code}: national")
        if country not in members:
            raise DataError(path, where, f"{code}: national note for {country}, which is not one of its members")
        notes[country] = _national(note, path, where, f"{code}: national {country}")
    entry = Entry(
        code=code, name=str(raw.get("name") or code), status=status, as_of=as_of, line=line, members=members,
        duty_free_up_to=_limit(raw, "duty_free_up_to", path, code),
        tax=tax, tax_rate=_rate_text(raw, "tax_rate", path, code),
        tax_free_up_to=_limit(raw, "tax_free_up_to", path, code),
        registration=registration,
        checkout_up_to=_amount(checkout["up_to"], path, checkout.line_of("up_to"), f"{code}: checkout up_to") if "up_to" in checkout else None,
        charges=_charges(raw, path, code), national=notes, note=str(raw.get("note") or ""),
        sources=tuple(str(s) for s in _list(raw, "sources", path)),
    )
    if not entry.flagged and entry.tax is None:
        raise DataError(path, line, f"{code}: a verified entry needs tax (what the import tax is called)")
    return entry


def _national(raw: Any, path: Path, line: int, what: str) -> National:
    expect(raw, dict, path, line, what)
    status = str(raw.get("status", "verified"))
    if status not in STATUSES:
        raise DataError(path, raw.line_of("status"), f"{what}: status must be one of {', '.join(STATUSES)}, got {status!r}")
    return National(status=status, charges=_charges(raw, path, what), note=str(raw.get("note") or ""), line=line)


def _charges(raw: LineDict, path: Path, what: str) -> tuple[Charge, ...]:
    items = raw.get("charges") or LineList()
    expect(items, list, path, raw.line_of("charges"), f"{what}: charges")
    out = []
    for index, item in enumerate(items):
        line = items.line_of(index)
        expect(item, dict, path, line, f"{what}: a charge")
        kind = item.get("what")
        if kind not in TAXES:
            raise DataError(path, line, f"{what}: a charge's what must be one of {', '.join(TAXES)}, got {kind!r}")
        if "rate" not in item:
            raise DataError(path, line, f"{what}: a charge needs a rate (\"20%\") or an amount (\"3 EUR\")")
        rate = item["rate"]
        value: str | Amount = _rate_text(item, "rate", path, what) if isinstance(rate, str) and "%" in rate else \
            _amount(rate, path, line, f"{what}: rate")
        per = item.get("per")
        if per is not None and per not in PER:
            raise DataError(path, line, f"{what}: per must be one of {', '.join(PER)}, got {per!r}")
        registered = item.get("registered")
        if registered is not None:
            expect(registered, bool, path, line, f"{what}: registered")
        out.append(Charge(
            what=kind, rate=value, per=per,
            up_to=_amount(item["up_to"], path, line, f"{what}: up_to") if "up_to" in item else None,
            over=_amount(item["over"], path, line, f"{what}: over") if "over" in item else None,
            since=_date(item["since"], path, line, f"{what}: since") if "since" in item else None,
            registered=registered,
        ))
    return tuple(out)


def _list(raw: LineDict, key: str, path: Path) -> list[Any]:
    value = raw.get(key) or []
    return expect(value, list, path, raw.line_of(key), key)


def _country(value: Any, path: Path, line: int, what: str) -> str:
    if isinstance(value, bool):
        raise DataError(path, line, f"{what}: YAML reads {value} for a plain NO (Norway): write it in quotes, 'NO'")
    text = str(value)
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise DataError(path, line, f"{what}: {text!r} is not a two-letter country code like DE")
    return text


def _date(value: Any, path: Path, line: int, what: str) -> date:
    if isinstance(value, date):
        return value
    raise DataError(path, line, f"{what} must be a date like 2026-11-23, got {value!r}")


def _limit(raw: LineDict, key: str, path: Path, code: str) -> Amount | str | None:
    if key not in raw:
        return None
    if raw[key] == NONE:
        return NONE
    return _amount(raw[key], path, raw.line_of(key), f"{code}: {key}")


def _rate_text(raw: LineDict, key: str, path: Path, what: str) -> str | None:
    if key not in raw:
        return None
    value = str(raw[key])
    if not _RATE.match(value):
        raise DataError(path, raw.line_of(key), f"{what}: {key} must be a percentage like 20% or 17–20%, got {value!r}")
    return value.strip()


def _amount(value: Any, path: Path, line: int, what: str) -> Amount:
    found = _AMOUNT.match(str(value))
    if not found:
        raise DataError(path, line, f"{what} must be an amount and its currency like 150 EUR, got {value!r}")
    try:
        return Amount(Decimal(found.group(1).replace(",", "").replace("_", "")), found.group(2))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        raise DataError(path, line, f"{what}: {value!r} is not a number") from None
