"""The inbox: the queue (disputes and key customers first, then the longest wait), mine, and all
conversations; paged and searchable (buyer, order or tracking number, message text); live."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.inbox import VIEWS
from bot.web import present
from bot.web.app import Nav
from bot.web.auth import require_agent
from bot.web.i18n import N_, Interface, interface

PAGE_SIZE = 50
NAV = [Nav("/", N_("Inbox"), "agent", order=10)]


def _number(value: str | None, default: int) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


def card(ui: Interface, row: Any, now: datetime) -> dict[str, Any]:
    """One row of the inbox, in the agent's language."""
    c = row.conversation
    waited = present.waited(c, row.last_in_at, row.last_agent_at, now)
    return {
        "row": row, "c": c, "reason": present.reason(ui, c.handoff_reason), "state": present.state(ui, c),
        "channel": present.channel(ui, c.channel), "waited": present.duration(ui, waited) if waited is not None else None,
        **present.whereabouts(ui, c, now),
    }


def routes(web: Any) -> list[Route]:
    @require_agent
    async def inbox(request: Request, user: Any) -> Response:
        params = request.query_params
        view = params.get("view") if params.get("view") in VIEWS else "queue"
        search = (params.get("q") or "").strip()[:200]
        page = _number(params.get("page"), 1)
        rows, total = await web.store.inbox(view, user.name, search or None, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        ui, now = interface(user.language), web.clock()
        cards = [card(ui, row, now) for row in rows]
        pages = max(1, -(-total // PAGE_SIZE))
        template = "inbox_live.html" if request.headers.get("x-live") else "inbox.html"
        return web.render(request, template, view=view, views=present.VIEWS, q=search, page=page, pages=pages,
                          total=total, cards=cards, live="/events")

    return [Route("/", inbox, methods=["GET"])]
