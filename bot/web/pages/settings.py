"""Admins: the shop's settings, read-only: facts, working hours and holidays, settings, channels and their health.

Channel health comes from the store (bot/serve/health.py), so this page tells the truth
about the channels of every `kefu run` process, wherever the workspace itself runs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.configuration import channel_states, facts_view, hours_view, settings_view
from bot.admin.stats import humanize
from bot.web.app import Nav
from bot.web.auth import require_admin
from bot.web.i18n import N_

NAV = [Nav("/admin/settings", N_("Settings"), "admin", order=66)]


def routes(web: Any) -> list[Route]:
    @require_admin
    async def settings(request: Request, user: Any) -> Response:
        now = web.clock()
        brain = web.kefu.brains.brain

        def when(moment: datetime | None) -> str:
            """In the shop's time, with how long ago."""
            if moment is None:
                return "—"
            return f"{moment.astimezone(brain.hours.zone):%Y-%m-%d %H:%M} ({humanize((now - moment).total_seconds())})"

        return web.render(
            request, "admin_settings.html", when=when, channels=await channel_states(web.store, now),
            hours=hours_view(brain.hours, now), facts=facts_view(brain.answers.facts), settings=settings_view(web.kefu.settings, web.store.engine.url.render_as_string(hide_password=False)),
            facts_file=brain.answers.facts.path, hours_file=web.kefu.settings.hours_file,
        )

    return [Route("/admin/settings", settings, methods=["GET"])]
