"""What the admin pages share: the period they look at."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from bot.admin.since import parse_since
from bot.web.i18n import N_

# The periods an admin picks from (value → label); "all" has no start.
PERIODS = {"1d": N_("last 24 hours"), "7d": N_("last 7 days"), "30d": N_("last 30 days"),
           "90d": N_("last 90 days"), "all": N_("all time")}
DEFAULT_PERIOD = "30d"


def period(request: Request, now: datetime) -> tuple[str, datetime | None]:
    """The chosen period (an unknown one is the default) and when it starts."""
    value = request.query_params.get("since", DEFAULT_PERIOD)
    if value not in PERIODS:
        value = DEFAULT_PERIOD
    return value, None if value == "all" else parse_since(value, now)
