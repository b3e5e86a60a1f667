"""The web workspace's ASGI app (Starlette): built from the page modules in `bot/web/pages/`.

A page module has `routes(web) -> list[Route]` and, for the navigation bar, `NAV` (a list of
`Nav`). Every module in the package is picked up: adding a page is adding a file (docs/web.md).
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from bot.desk.actions import AgentDesk
from bot.web import pages as pages_package
from bot.web.auth import Forbidden, csrf_token, current_user
from bot.web.i18n import DEFAULT, LANGUAGES_SHOWN, Interface, interface
from bot.web.live import Live
from bot.web.throttle import Throttle

HERE = Path(__file__).parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"

# No inline script or style anywhere: buyer text that slipped through could not run.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


@dataclass(frozen=True)
class Nav:
    """An entry of the navigation bar: `label` is marked with N_() and translated when shown."""

    path: str
    label: str
    role: str = "agent"  # agent: everyone signed in; admin: admins only
    order: int = 50


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Web:
    """What every page needs: the bot (store, brains, pipeline), the desks, templates, live updates."""

    kefu: Any  # bot.app.App
    secret: str
    written: Callable[[], object] | None = None  # outbox rows were written: the senders wake up
    clock: Callable[[], datetime] = _utcnow
    live: Live | None = None
    throttle: Throttle = field(default_factory=Throttle)
    nav: list[Nav] = field(default_factory=list)
    _desks: dict[str, AgentDesk] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True, lstrip_blocks=True,
        )
        self.templates.globals["static"] = static_url
        if self.live is None:
            self.live = Live(self.kefu.store)

    @property
    def store(self) -> Any:
        return self.kefu.store

    def desk(self, language: str) -> AgentDesk:
        """The channel-free desk (bot/desk/actions.py), reading buyers in `language`."""
        if language not in self._desks:
            pipeline = self.kefu.pipeline
            self._desks[language] = AgentDesk(
                self.kefu.store, self.kefu.brains, pipeline.detector, pipeline.translator,
                replace(self.kefu.settings, agent_language=language), self.clock, self._acted,
            )
        return self._desks[language]

    def _acted(self) -> object:
        assert self.live is not None
        self.live.poke()
        return self.written() if self.written is not None else None

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """A template with the signed-in person's language, the CSRF token and the navigation."""
        user = request.scope.get("user")
        ui = interface(user.language if user else _accepted(request))
        context = {
            "_": ui, "ui": ui, "user": user, "status_code": status_code, "languages": LANGUAGES_SHOWN, "csrf": csrf_token(request), "request": request, "path": request.url.path,
            "nav": [item for item in sorted(self.nav, key=lambda n: n.order) if user and (item.role == "agent" or user.role == "admin")],
            **context,
        }
        return HTMLResponse(self.templates.get_template(template).render(context), status_code=status_code)


def _accepted(request: Request) -> str:
    """Before sign-in: the browser's preferred of our languages."""
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


_versions: dict[str, str] = {}


def static_url(name: str) -> str:
    """`/static/NAME?v=HASH`: cached for long, refetched when the file changes."""
    if name not in _versions:
        _versions[name] = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={_versions[name]}"


def page_modules() -> list[Any]:
    return [importlib.import_module(f"{pages_package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(pages_package.__path__) if not info.name.startswith("_")]


class _Headers:
    """Security headers on every response; pages are never cached."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control" or static]
                headers += [
                    (b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


async def create_app(kefu: Any, *, written: Callable[[], object] | None = None, secret: str | None = None,
                     clock: Callable[[], datetime] | None = None, live_every: float = 0.25) -> Starlette:
    """The workspace for `kefu` (bot.app.App). `secret` signs sessions (default: KEFU_WEB_SECRET,
    else the database's own key). `written` wakes the outbox senders of this process."""
    import os

    secret = secret or os.environ.get("KEFU_WEB_SECRET") or await kefu.store.web_secret()
    web = Web(kefu, secret, written, clock or kefu.pipeline.clock, Live(kefu.store, every=live_every))
    routes: list[Any] = []
    for module in page_modules():
        routes += module.routes(web)
        web.nav += getattr(module, "NAV", [])
    routes.append(Mount("/static", app=StaticFiles(directory=str(STATIC)), name="static"))

    async def forbidden(request: Request, exc: Exception) -> Response:
        await current_user(request)
        return web.render(request, "error.html", status_code=403, reason=str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        await current_user(request)
        return web.render(request, "error.html", status_code=exc.status_code, reason=exc.detail)

    app = Starlette(routes=routes, exception_handlers={Forbidden: forbidden, HTTPException: http_error})
    app.state.web = web
    kefu.pipeline.listeners.append(_poke_on_event(web))
    app.add_middleware(_Headers)
    return app


def _poke_on_event(web: Web) -> Callable[[Any], Any]:
    async def listener(event: Any) -> None:
        assert web.live is not None
        web.live.poke()

    return listener


def ui_of(request: Request) -> Interface:
    user = request.scope.get("user")
    return interface(user.language if user else _accepted(request))
