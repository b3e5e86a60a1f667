"""Business hours: in or out, and when the team is back — in the buyer's own time."""

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.datafiles import DataError
from bot.hours import BusinessHours, buyer_zone, load_hours, parse_zone, tell_when
from tests.factories import babel_moment

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHIPPED = Path(__file__).resolve().parent.parent / "replies" / "hours.yaml"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def hours() -> BusinessHours:
    return load_hours(SHIPPED)


def test_shipped_hours_are_monday_to_friday_8_to_17_with_lunch(hours):
    assert hours.is_open(at(23, 9))  # Monday morning
    assert not hours.is_open(at(23, 12, 30))  # lunch
    assert not hours.is_open(at(23, 17))  # closing time
    assert not hours.is_open(at(28, 10))  # Saturday


def test_next_open_skips_the_night_the_weekend_and_holidays(hours):
    assert hours.next_open(at(23, 22)) == at(24, 8)
    assert hours.next_open(at(27, 18)) == at(30, 8)  # Friday evening → Monday
    assert hours.next_open(at(23, 12, 15)) == at(23, 13)  # after lunch
    # National Day week 2026: closed 1–7 October, Saturday 10 October is a make-up working day.
    assert hours.next_open(datetime(2026, 9, 30, 18, tzinfo=SHANGHAI)) == datetime(2026, 10, 8, 8, tzinfo=SHANGHAI)
    assert hours.is_open(datetime(2026, 10, 10, 9, tzinfo=SHANGHAI))


def test_absence_start_is_the_last_closing(hours):
    assert hours.absence_start(at(24, 3)) == at(23, 17)
    assert hours.absence_start(at(23, 12, 30)) == at(23, 12)


def test_a_us_buyer_is_told_the_time_in_new_york():
    hours = BusinessHours()
    now = at(23, 22)  # 09:00 in New York
    back_at, back_in = tell_when(hours.next_open(now), now, buyer_zone(None, "US"), SHANGHAI, "en")
    # Tuesday 08:00 Beijing is Monday 19:00 in New York
    assert back_at == babel_moment(at(24, 8), "America/New_York", "en")
    assert back_at.startswith("Mon") and "7:00" in back_at
    assert "PM" in back_at
    assert back_in == "in 10 hours"


def test_a_russian_buyer_reads_russian_dates():
    now = at(23, 22)
    back_at, back_in = tell_when(at(24, 8), now, buyer_zone("Europe/Moscow", None), SHANGHAI, "ru")
    assert back_at == babel_moment(at(24, 8), "Europe/Moscow", "ru")
    assert back_at.startswith("вт") and "03:00" in back_at
    assert back_in == "через 10 часов"


def test_an_unknown_zone_gives_utc_and_shop_time():
    back_at, _ = tell_when(at(24, 8), at(23, 22), None, SHANGHAI, "en")
    assert "UTC" in back_at and "Asia/Shanghai" in back_at and "8:00" in back_at


def test_zones_from_mail_offsets_and_names():
    assert parse_zone("+03:00").utcoffset(None) == timedelta(hours=3)
    assert parse_zone("-0530").utcoffset(None) == -timedelta(hours=5, minutes=30)
    assert parse_zone("Europe/Paris") == ZoneInfo("Europe/Paris")
    assert parse_zone("Mars/Olympus") is None
    assert buyer_zone(None, "BR") == ZoneInfo("America/Sao_Paulo")
    assert buyer_zone(None, None) is None


def test_broken_hours_file(tmp_path):
    path = tmp_path / "hours.yaml"
    path.write_text("timezone: Asia/Nowhere\n")
    with pytest.raises(DataError, match=r"hours.yaml:1: unknown time zone 'Asia/Nowhere'"):
        load_hours(path)
    path.write_text("open: '18:00'\nclose: '09:00'\n")
    with pytest.raises(DataError, match=r"hours.yaml:2: close must be after open"):
        load_hours(path)
    path.write_text("holidays: [2026-13-01]\n")
    with pytest.raises(DataError, match=r"hours.yaml:1: '2026-13-01' is not a valid date"):
        load_hours(path)


def test_utc_offsets_for_buyers():
    from bot.hours import utc_offset

    assert utc_offset(datetime(2026, 11, 23, 9, tzinfo=timezone(timedelta(hours=-5)))) == "-05:00"
    assert utc_offset(datetime(2026, 11, 23, 9, tzinfo=timezone(timedelta(hours=5, minutes=30)))) == "+05:30"
    assert utc_offset(datetime(2026, 11, 23, 9)) is None


def test_a_time_zone_that_is_no_zone_is_unknown_not_a_crash():
    assert parse_zone("😀" * 64) is None  # too long to be a file name in tzdata
    assert parse_zone("../../etc/passwd") is None
