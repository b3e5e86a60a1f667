"""Business hours: is the team in, and when is it next in — told in the buyer's own time.

Hours live in `hours.yaml` beside the answers (shop time zone, working days,
opening and closing, optional lunch break, public holidays and make-up
working days). All times are aware; the shop's zone is used only to decide,
the buyer's only to tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.datafiles import DataError, expect, load_yaml

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$")

# A buyer's country → a representative time zone, when nothing better is known.
COUNTRY_ZONES = {
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City", "BR": "America/Sao_Paulo",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "CO": "America/Bogota", "PE": "America/Lima",
    "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin", "ES": "Europe/Madrid",
    "IT": "Europe/Rome", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "PL": "Europe/Warsaw", "CZ": "Europe/Prague",
    "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
    "PT": "Europe/Lisbon", "GR": "Europe/Athens", "RO": "Europe/Bucharest", "UA": "Europe/Kyiv", "RU": "Europe/Moscow",
    "TR": "Europe/Istanbul", "IL": "Asia/Jerusalem", "SA": "Asia/Riyadh", "AE": "Asia/Dubai", "EG": "Africa/Cairo",
    "IN": "Asia/Kolkata", "ID": "Asia/Jakarta", "VN": "Asia/Ho_Chi_Minh", "TH": "Asia/Bangkok", "MY": "Asia/Kuala_Lumpur",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "CN": "Asia/Shanghai", "TW": "Asia/Taipei", "AU": "Australia/Sydney",
    "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg", "NG": "Africa/Lagos",
}


def utc_offset(moment: datetime | None) -> str | None:
    """"+03:00" for an aware moment; None when the zone is unknown or impossible."""
    if moment is None or moment.tzinfo is None:
        return None
    offset = moment.utcoffset() or timedelta(0)
    if abs(offset) > timedelta(hours=14):
        return None
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_zone(value: str | None) -> tzinfo | None:
    """An IANA name ("Europe/Moscow") or a UTC offset ("+03:00", as in an e-mail's Date)."""
    if not value:
        return None
    match = _OFFSET.match(value.strip())
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a "name" too long for a file name
        return None


@dataclass
class BusinessHours:
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    opens: time = time(8, 0)
    closes: time = time(17, 0)
    lunch: tuple[time, time] | None = None
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # make-up working days on a weekend
    always_tell: bool = False  # tell the buyer about the team's hours even in hours

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() in self.days and day not in self.holidays

    def _periods(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        start = datetime.combine(day, self.opens, self.zone)
        end = datetime.combine(day, self.closes, self.zone)
        if self.lunch:
            return [(start, datetime.combine(day, self.lunch[0], self.zone)), (datetime.combine(day, self.lunch[1], self.zone), end)]
        return [(start, end)]

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        return any(start <= local < end for start, end in self._periods(local.date()))

    def next_open(self, at: datetime) -> datetime:
        """The next moment the team is in (`at` itself when it is in now)."""
        local = at.astimezone(self.zone)
        for offset in range(0, 60):  # long holidays are at most a few weeks
            for start, end in self._periods(local.date() + timedelta(days=offset)):
                if local < end:
                    return max(start, local)
        raise ValueError("no working hours in the next 60 days: check hours.yaml")

    def absence_start(self, at: datetime) -> datetime:
        """When the current absence began (the last closing before `at`)."""
        local = at.astimezone(self.zone)
        for offset in range(0, 60):
            for start, end in reversed(self._periods(local.date() - timedelta(days=offset))):
                if end <= local:
                    return end
        return local - timedelta(days=60)


def _time(value: object, path: Path, line: int, what: str) -> time:
    text = expect(value, str, path, line, what)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise DataError(path, line, f"{what} must be a time like 08:00, got {text!r}") from None


def _dates(values: object, path: Path, line: int, what: str) -> frozenset[date]:
    if values is None:
        return frozenset()
    expect(values, list, path, line, what)
    out = set()
    for i, value in enumerate(values):
        item_line = values.line_of(i)
        if isinstance(value, date):
            out.add(value)
            continue
        try:
            out.add(date.fromisoformat(expect(value, str, path, item_line, f"each of {what}")))
        except ValueError:
            raise DataError(path, item_line, f"{what}: {value!r} is not a date like 2026-10-01") from None
    return frozenset(out)


def load_hours(path: Path) -> BusinessHours:
    data = load_yaml(path)
    expect(data, dict, path, 1, "the hours file")
    zone_name = expect(data.get("timezone", "Asia/Shanghai"), str, path, data.line_of("timezone"), "timezone")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DataError(path, data.line_of("timezone"), f"unknown time zone {zone_name!r} (use a name like Asia/Shanghai)") from None
    days = expect(data.get("days", list(DAY_NAMES[:5])), list, path, data.line_of("days"), "days")
    day_numbers = set()
    for name in days:
        if str(name).lower()[:3] not in DAY_NAMES:
            raise DataError(path, data.line_of("days"), f"unknown day {name!r} (use mon, tue, … sun)")
        day_numbers.add(DAY_NAMES.index(str(name).lower()[:3]))
    lunch = data.get("lunch")
    if lunch is not None:
        expect(lunch, list, path, data.line_of("lunch"), "lunch")
        if len(lunch) != 2:
            raise DataError(path, data.line_of("lunch"), "lunch must be two times: [start, end]")
        lunch = (_time(lunch[0], path, data.line_of("lunch"), "lunch"), _time(lunch[1], path, data.line_of("lunch"), "lunch"))
    hours = BusinessHours(
        zone=zone,
        days=frozenset(day_numbers),
        opens=_time(data.get("open", "08:00"), path, data.line_of("open"), "open"),
        closes=_time(data.get("close", "17:00"), path, data.line_of("close"), "close"),
        lunch=lunch,
        holidays=_dates(data.get("holidays"), path, data.line_of("holidays"), "holidays"),
        workdays=_dates(data.get("workdays"), path, data.line_of("workdays"), "workdays"),
        always_tell=expect(data.get("always_tell", False), bool, path, data.line_of("always_tell"), "always_tell"),
    )
    if hours.opens >= hours.closes:
        raise DataError(path, data.line_of("close"), "close must be after open")
    return hours


def buyer_zone(timezone_name: str | None, country: str | None) -> tzinfo | None:
    """The buyer's zone from a stored profile or mail offset, else from the country."""
    zone = parse_zone(timezone_name)
    if zone is None and country:
        zone = parse_zone(COUNTRY_ZONES.get(country.upper()))
    return zone


def _locale(language: str):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        try:
            return Locale.parse(language.split("-")[0])
        except (UnknownLocaleError, ValueError):
            return Locale.parse("en")


def _moment(moment: datetime, locale) -> str:
    from babel.dates import format_skeleton, format_time

    return f"{format_skeleton('MMMEd', moment, locale=locale)}, {format_time(moment, 'short', locale=locale)}"


def tell_when(moment: datetime, now: datetime, zone: tzinfo | None, shop_zone: tzinfo, language: str) -> tuple[str, str]:
    """(`back_at`, `back_in`) for a buyer: the moment in the buyer's zone and locale,
    or in UTC with the shop's local time beside it when the buyer's zone is unknown."""
    from babel.dates import format_timedelta

    locale = _locale(language)
    if zone is not None:
        back_at = _moment(moment.astimezone(zone), locale)
    else:
        shop = _moment(moment.astimezone(shop_zone), locale)
        back_at = f"{_moment(moment.astimezone(timezone.utc), locale)} UTC ({shop}, {getattr(shop_zone, 'key', shop_zone)})"
    back_in = format_timedelta(moment - now, threshold=1.1, add_direction=True, locale=locale)
    return back_at, back_in
