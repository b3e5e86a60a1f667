"""What the admins' settings page shows, read-only: facts, working hours, settings, channels and their health."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.hours import DAY_NAMES, BusinessHours
from bot.serve.health import RUNNING_WITHIN
from bot.store.database import Store
from replies.answers import Facts


@dataclass(frozen=True)
class ChannelState:
    name: str
    running: bool  # it reported within RUNNING_WITHIN
    seen_at: datetime | None  # its last report (None: it never ran, yet rows wait for it)
    last_received_at: datetime | None
    last_sent_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    pending: int  # outbox rows not yet delivered


async def channel_states(store: Store, now: datetime) -> list[ChannelState]:
    """Every channel that reported or has rows waiting, running ones first."""
    health = {row.channel: row for row in await store.channel_health()}
    pending = await store.undelivered()
    states = []
    for name in sorted(set(health) | set(pending)):
        row = health.get(name)
        states.append(ChannelState(
            name, row is not None and now - row.seen_at <= RUNNING_WITHIN, row.seen_at if row else None,
            row.last_received_at if row else None, row.last_sent_at if row else None,
            row.last_error if row else None, row.last_error_at if row else None, pending.get(name, 0),
        ))
    return sorted(states, key=lambda state: (not state.running, state.name))


@dataclass(frozen=True)
class Hours:
    zone: str
    days: list[str]  # mon … sun
    opens: time
    closes: time
    lunch: tuple[time, time] | None
    open_now: bool
    next_open: datetime | None  # in the shop's zone; None when no hours in the next 60 days
    holidays: list[date]  # from today on
    workdays: list[date]
    past_holidays: int  # before today (kept in the file, no longer shown)


def hours_view(hours: BusinessHours, now: datetime) -> Hours:
    today = now.astimezone(hours.zone).date()
    try:
        next_open: datetime | None = hours.next_open(now).astimezone(hours.zone)
    except ValueError:
        next_open = None
    return Hours(
        zone=hours.zone.key, days=[DAY_NAMES[day] for day in sorted(hours.days)], opens=hours.opens, closes=hours.closes,
        lunch=hours.lunch, open_now=hours.is_open(now), next_open=next_open,
        holidays=sorted(day for day in hours.holidays if day >= today),
        workdays=sorted(day for day in hours.workdays if day >= today),
        past_holidays=sum(day < today for day in hours.holidays),
    )


def facts_view(facts: Facts) -> list[tuple[str, str, list[str]]]:
    """(name, value, languages with their own version), in the file's order."""
    return [
        (name, str(value), sorted(language for language, values in facts.translations.items() if name in values))
        for name, value in facts.values.items()
    ]


def settings_view(settings: Settings, database_url: str) -> list[tuple[str, str]]:
    """The settings that shape answers, as the admin wrote them, and the database in use (`database_url`,
    which `--db` may have chosen); never a password (secrets live in the environment)."""
    try:
        database = make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - shown without what precedes the host when sqlalchemy cannot read it
        database = database_url.split("@")[-1]
    return [
        ("config file", str(settings.source) if settings.source else "—"),
        ("database_url", database),
        ("translator", settings.translator),
        ("intents_dir", str(settings.intents_dir)),
        ("replies_dir", str(settings.replies_dir)),
        ("threshold", "tuned" if settings.threshold is None else f"{settings.threshold:g}"),
        ("oos_probability", "tuned" if settings.oos_probability is None else f"{settings.oos_probability:g}"),
        ("agent_language", settings.agent_language),
        ("languages", ", ".join(settings.languages)),
        ("key_customers", str(len(settings.key_customers))),
        ("idle_release_minutes", str(settings.idle_release_minutes)),
        ("give_up_sending_minutes", str(settings.give_up_sending_minutes)),
        ("retention_days", f"{settings.retention_days} ({settings.retention_mode})" if settings.retention_days else "0 (off)"),
    ]

