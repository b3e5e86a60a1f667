"""Culture notes for agents, and the etiquette check on outgoing agent replies.

The notes come from the seeds (see ../shared/domain.md) and live in
`replies/culture.yaml`, so an admin can add a country. The check only warns:
an agent's text is never changed behind their back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.datafiles import DataError, expect, load_yaml
from bot.hours import COUNTRY_ZONES

# A buyer's language says where they most likely are when nothing else does.
LANGUAGE_COUNTRIES = {
    "ru": "RU", "pt": "BR", "fr": "FR", "es": "ES", "de": "DE", "it": "IT", "pl": "PL", "tr": "TR", "uk": "UA",
    "ja": "JP", "ko": "KR", "he": "IL", "nl": "NL", "cs": "CZ", "ro": "RO", "vi": "VN", "th": "TH", "id": "ID",
    "zh-tw": "TW", "sv": "SE", "el": "GR", "hi": "IN", "ar": "SA",
}
_ZONE_COUNTRIES = {zone: country for country, zone in COUNTRY_ZONES.items()}


@dataclass(frozen=True)
class CultureNote:
    country: str
    name: str
    time: str
    notes: str
    avoid: tuple[str, ...]


def load_culture(path: Path) -> dict[str, CultureNote]:
    data = load_yaml(path) or {}
    expect(data, dict, path, 1, "the culture file")
    notes = {}
    for code, entry in data.items():
        line = data.line_of(code)
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{2}", code):
            raise DataError(path, line, f"{code!r} is not a two-letter country code like US")
        expect(entry, dict, path, line, f"country {code}")
        avoid = expect(entry.get("avoid", []), list, path, entry.line_of("avoid"), "avoid")
        notes[code] = CultureNote(
            country=code,
            name=str(entry.get("name", code)),
            time=str(entry.get("time", "")),
            notes=str(entry.get("notes", "")),
            avoid=tuple(str(a).lower() for a in avoid),
        )
    return notes


def likely_country(country: str | None, zone: str | None, language: str | None) -> tuple[str | None, bool]:
    """(country, certain): the channel's word first, then the time zone, then the language."""
    if country:
        return country.upper(), True
    if zone and zone in _ZONE_COUNTRIES:
        return _ZONE_COUNTRIES[zone], False
    if language:
        return LANGUAGE_COUNTRIES.get(language) or LANGUAGE_COUNTRIES.get(language.split("-")[0]), False
    return None, False


def etiquette_warnings(texts: list[str], note: CultureNote | None) -> list[str]:
    """What in an outgoing reply goes against the buyer's country's notes."""
    if note is None:
        return []
    found = []
    for word in note.avoid:
        pattern = re.compile(rf"(?<![\w]){re.escape(word)}(?![\w])", re.IGNORECASE)
        if any(pattern.search(text) for text in texts if text):
            found.append(f"“{word}” is best avoided with buyers in {note.name} (culture note: {note.country})")
    return found
