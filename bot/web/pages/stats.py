"""Admins: how the bot is doing, as charts drawn on the server (bot/admin/charts.py), with `kefu stats`'s figures."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.charts import stats_charts
from bot.admin.stats import compute_stats, fetch_rows, fetch_zones, humanize
from bot.web.app import Nav, ui_of
from bot.web.auth import require_admin
from bot.web.i18n import N_
from bot.web.pages._admin import PERIODS, period

NAV = [Nav("/admin/stats", N_("Stats"), "admin", order=64)]


def routes(web: Any) -> list[Route]:
    @require_admin
    async def stats(request: Request, user: Any) -> Response:
        chosen, start = period(request, web.clock())
        rows, zones = await fetch_rows(web.store, start), await fetch_zones(web.store, start)
        # a month of a busy shop is a few hundred ms of Python: off the event loop, which serves the live inbox
        figures = await asyncio.to_thread(compute_stats, rows, web.kefu.brains.brain.hours, start, zones)
        return web.render(request, "admin_stats.html", periods=PERIODS, chosen=chosen, stats=figures,
                          charts=stats_charts(figures, ui_of(request)), humanize=humanize)

    return [Route("/admin/stats", stats, methods=["GET"])]
