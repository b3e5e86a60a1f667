"""Channel health in the store: each process reports what it saw, the settings page reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.store.models import ChannelHealth
from bot.store.views import snapshots


@dataclass(frozen=True)
class Seen:
    """What one process saw of a channel since it started."""

    channel: str
    at: datetime  # now: the channel is running
    received: datetime | None = None
    sent: datetime | None = None
    error: tuple[datetime, str] | None = None


def _later(stored: datetime | None, seen: datetime | None) -> datetime | None:
    return max((moment for moment in (stored, seen) if moment is not None), default=None)


class Health:
    """Mixed into `Store`."""

    session: Any

    async def report_health(self, seen: Sequence[Seen]) -> None:
        """Merge what this process saw into the rows: the latest of each moment wins (several workers
        serve one channel)."""
        for item in seen:
            for attempt in range(2):  # two processes may insert a channel's first row at once
                try:
                    await self._merge(item)
                    break
                except IntegrityError:
                    if attempt:
                        raise

    async def _merge(self, seen: Seen) -> None:
        async with self.session() as session:
            async with session.begin():
                row = await session.scalar(
                    select(ChannelHealth).where(ChannelHealth.channel == seen.channel).with_for_update())
                if row is None:
                    row = ChannelHealth(channel=seen.channel, seen_at=seen.at)
                    session.add(row)
                row.seen_at = _later(row.seen_at, seen.at)
                row.last_received_at = _later(row.last_received_at, seen.received)
                row.last_sent_at = _later(row.last_sent_at, seen.sent)
                if seen.error is not None and (row.last_error_at is None or seen.error[0] > row.last_error_at):
                    row.last_error_at, row.last_error = seen.error[0], seen.error[1][:2000]

    async def channel_health(self) -> list[Any]:
        """Every channel that ever reported, by name."""
        async with self.session() as session:
            return snapshots((await session.scalars(select(ChannelHealth).order_by(ChannelHealth.channel))).all())
