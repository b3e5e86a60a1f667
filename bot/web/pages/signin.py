"""Signing in and out, the interface language, and the live-update stream every page listens to."""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.web import accounts
from bot.web.app import ui_of
from bot.web.auth import SIGNIN_COOKIE, Forbidden, end_session, require_agent, same_origin, secure, start_session
from bot.web.i18n import LANGUAGES_SHOWN, N_

NAV: list = []


def _next(target: str | None) -> str:
    """Only a path of this site (no `//evil.example`)."""
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def routes(web: Any) -> list[Route]:
    async def signin_form(request: Request, problem: str | None = None, status: int = 200, name: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        response = web.render(request, "signin.html", status_code=status, problem=problem, signin_token=token,
                              name=name, next=_next(request.query_params.get("next")))
        response.set_cookie(SIGNIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", secure=secure(request), path="/signin")
        return response

    async def signin_page(request: Request) -> Response:
        return await signin_form(request)

    async def signin(request: Request) -> Response:
        form = await request.form()
        cookie, given = request.cookies.get(SIGNIN_COOKIE, ""), str(form.get("csrf", ""))
        if not same_origin(request) or not cookie or not hmac.compare_digest(cookie, given):
            raise Forbidden(N_("the form had expired or did not come from this workspace: reload the page and try again"))
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        _ = ui_of(request)
        client = f"ip:{request.client.host if request.client else '?'}"
        wait = web.throttle.wait(f"name:{name}", client)
        if wait > 0:
            return await signin_form(request, _("Too many failed sign-ins: try again in {seconds} s.", seconds=math.ceil(wait)), 429, name)
        account = await accounts.authenticate(web.store, name, password)
        if account is None:
            web.throttle.failed(f"name:{name}", client)
            return await signin_form(request, _("Wrong name or password, or the account is disabled."), 401, name)
        web.throttle.succeeded(f"name:{name}")
        response = RedirectResponse(_next(str(form.get("next", ""))), status_code=303)
        start_session(request, response, account)
        response.delete_cookie(SIGNIN_COOKIE, path="/signin")
        return response

    @require_agent
    async def signout(request: Request, user: Any) -> Response:
        response = RedirectResponse("/signin", status_code=303)
        end_session(response)
        return response

    @require_agent
    async def language(request: Request, user: Any) -> Response:
        form = await request.form()
        chosen = str(form.get("language", ""))
        if chosen in LANGUAGES_SHOWN:
            await web.store.change_account(user.name, language=chosen)
        return RedirectResponse(_next(str(form.get("next", ""))), status_code=303)

    @require_agent
    async def events(request: Request, user: Any) -> Response:
        async def stream():  # type: ignore[no-untyped-def]
            yield "retry: 1000\n\n"
            async for change in web.live.changes():
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n" if change is None else f"event: change\ndata: {change}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})

    return [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/language", language, methods=["POST"]),
        Route("/events", events, methods=["GET"]),
    ]

