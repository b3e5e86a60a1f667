"""Retention: conversations nobody wrote in for `retention_days` expire (housekeeping, leader only).

Each batch is its own short transaction with its own audit row; a minute's run stops after
`MAX_BATCHES` so a first run over years of history never holds the housekeeping loop for long.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.store.privacy import remove_files

log = logging.getLogger(__name__)
MAX_BATCHES = 10
RAN_BY = "retention"  # the audit's "who": the housekeeping loop, not a person


async def apply_retention(store, days: int, mode: str, now: datetime) -> int:
    """Expire what is older than `days` (0: retention off); returns how many conversations went."""
    if days <= 0:
        return 0
    expired = 0
    for _ in range(MAX_BATCHES):
        erased = await store.expire(now - timedelta(days=days), mode=mode, ran_by=RAN_BY, at=now)
        if erased is None:
            break
        expired += erased.counts["conversations"]
        for path in remove_files(erased.attachments):
            log.error("retention: could not remove attachment %s", path)
    if expired:
        log.info("retention: %s %d conversation(s) with no message for %d days", mode, expired, days)
    return expired
