"""The start of a period an admin asks about: `--since` of the admin commands and the admin pages' period."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_AGE = re.compile(r"^(\d+)\s*([dhw])$")


def parse_since(value: str, now: datetime) -> datetime:
    """An ISO date (UTC midnight), an ISO time (UTC unless it has an offset), or an age like 7d, 12h, 2w.
    Raises ValueError with what to write instead."""
    text = value.strip().lower()
    age = _AGE.match(text)
    if age:
        amount, unit = int(age.group(1)), age.group(2)
        try:
            return now - timedelta(**{{"d": "days", "h": "hours", "w": "weeks"}[unit]: amount})
        except OverflowError:
            raise ValueError(f"{value!r}: that age is longer than any calendar") from None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r}: expected a date like 2026-11-01, a time like 2026-11-01T08:00+08:00, "
                         "or an age like 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
