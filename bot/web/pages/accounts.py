"""Admins: who can sign in (read-only; accounts are made and changed with `kefu agents`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.web.app import Nav
from bot.web.auth import require_admin
from bot.web.i18n import N_

NAV = [Nav("/accounts", N_("Accounts"), "admin", order=90)]


def routes(web: Any) -> list[Route]:
    @require_admin
    async def accounts(request: Request, user: Any) -> Response:
        return web.render(request, "accounts.html", accounts=await web.store.accounts())

    return [Route("/accounts", accounts, methods=["GET"])]
