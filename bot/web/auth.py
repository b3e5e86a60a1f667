"""Signing in, sessions and the guards every page and action goes through.

- The session is a cookie signed with the workspace's key (itsdangerous): the account id, the
  account's `session_epoch` (a password reset or disabling bumps it: older sessions end) and
  the session's CSRF token. HttpOnly, SameSite=Lax, Secure when the page came over HTTPS.
- Every POST carries the CSRF token (a form's hidden `csrf` field or the `X-CSRF-Token`
  header) and, when the browser sends one, an `Origin` of this site; otherwise it is refused (403).
- `signed_in(role)` wraps an endpoint: no session → the sign-in page; an agent on an admin
  page or action → 403. Roles are checked here, on the server, for every request.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Awaitable, Callable
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.i18n import N_

COOKIE = "kefu_session"
SIGNIN_COOKIE = "kefu_signin"  # the sign-in form's own CSRF token (there is no session yet)
SESSION_SECONDS = 12 * 3600  # a working day; then sign in again


class Forbidden(Exception):
    """Refused: the message says why (shown on the 403 page)."""


def serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="kefu-web-session")


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def start_session(request: Request, response: Response, account: Any) -> None:
    web = request.app.state.web
    value = serializer(web.secret).dumps({"a": account.id, "e": account.session_epoch, "c": secrets.token_urlsafe(24)})
    response.set_cookie(COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="lax", secure=secure(request), path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def session_of(request: Request) -> dict | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = serializer(request.app.state.web.secret).loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and {"a", "e", "c"} <= data.keys() else None


async def current_user(request: Request) -> Any | None:
    """The signed-in account, or None (no cookie, tampered, expired, disabled, or reset since)."""
    if "user" in request.scope:
        return request.scope["user"]
    session = session_of(request)
    account = await request.app.state.web.kefu.store.account_by_id(session["a"]) if session else None
    if account is None or account.disabled or account.session_epoch != session["e"]:
        account = None
    request.scope["user"] = account
    request.scope["csrf"] = session["c"] if account else None
    return account


def csrf_token(request: Request) -> str | None:
    return request.scope.get("csrf")


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # no Origin header (older browsers, curl): the token alone decides
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def check_csrf(request: Request, expected: str | None) -> None:
    if not same_origin(request):
        raise Forbidden(N_("this form came from another site"))
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf")
    if not expected or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        raise Forbidden(N_("the form had expired or did not come from this workspace: reload the page and try again"))


Endpoint = Callable[[Request, Any], Awaitable[Response]]


def signed_in(role: str = "agent") -> Callable[[Endpoint], Callable[[Request], Awaitable[Response]]]:
    """Guard an endpoint `async def page(request, user)`: signed in, the role, CSRF on POST."""

    def wrap(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            user = await current_user(request)
            if user is None:
                if request.method == "GET" and not request.headers.get("x-live"):
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
                raise Forbidden(N_("you are signed out: sign in again"))
            if role == "admin" and user.role != "admin":
                raise Forbidden(N_("this page is for admins"))
            if request.method not in ("GET", "HEAD"):
                await check_csrf(request, csrf_token(request))
            return await endpoint(request, user)

        guarded.role = role  # type: ignore[attr-defined] # tests check that every route is guarded
        return guarded

    return wrap


require_agent = signed_in("agent")
require_admin = signed_in("admin")
