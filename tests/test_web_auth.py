"""The workspace's doors: sign-in, sessions, CSRF, throttling, roles, security headers (HTTP level)."""

from __future__ import annotations

import pytest

from tests.channel_fixtures import warm_detector  # noqa: F401
from tests.desk_fixtures import desk_table, kefu_app  # noqa: F401
from tests.web_fixtures import PASSWORD, Workspace, csrf_of, web  # noqa: F401


async def test_sign_in_sets_a_signed_httponly_samesite_session_and_sign_out_ends_it(web: Workspace) -> None:
    await web.account("li.wei")
    client = web.anonymous()
    assert (await client.get("/")).headers["location"] == "/signin?next=/"
    signed = await web.sign_in(client, "li.wei")
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("kefu_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind HTTPS it is set
    inbox = await client.get("/")
    assert inbox.status_code == 200 and "li.wei" in inbox.text
    out = await client.post("/signout", data={"csrf": csrf_of(inbox.text)})
    assert out.status_code == 303
    client.cookies.clear()
    client.cookies.set("kefu_session", cookie.split(";")[0].split("=", 1)[1])  # the old cookie still signs in…
    assert (await client.get("/")).status_code == 200  # …(cookies are stateless) until it expires or the account changes


async def test_behind_https_the_cookie_is_secure(web: Workspace) -> None:
    await web.account("li.wei")
    signed = await web.sign_in(web.anonymous("https://kefu.test"), "li.wei")
    assert "Secure" in signed.headers["set-cookie"]


async def test_wrong_password_and_unknown_name_say_the_same(web: Workspace) -> None:
    await web.account("li.wei")
    client = web.anonymous()
    wrong = await web.sign_in(client, "li.wei", "not the password")
    unknown = await web.sign_in(web.anonymous(), "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password" in wrong.text and "Wrong name or password" in unknown.text
    assert "kefu_session" not in wrong.headers.get("set-cookie", "")


async def test_a_tampered_session_cookie_is_no_session(web: Workspace) -> None:
    client = await web.client("li.wei")
    value = client.cookies["kefu_session"]
    client.cookies.set("kefu_session", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1])
    assert (await client.get("/")).status_code == 303


async def test_repeated_failures_slow_sign_in_down_even_with_the_right_password(web: Workspace) -> None:
    await web.account("li.wei")
    client = web.anonymous()
    for _ in range(3):
        assert (await web.sign_in(client, "li.wei", "guess")).status_code == 401
    throttled = await web.sign_in(client, "li.wei")
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    assert "kefu_session" not in throttled.headers.get("set-cookie", "")


async def test_a_post_without_the_csrf_token_or_from_another_site_is_refused(web: Workspace) -> None:
    client = await web.client("li.wei")
    token = await web.csrf(client)
    assert (await client.post("/signout", data={})).status_code == 403
    assert (await client.post("/signout", data={"csrf": "forged"})).status_code == 403
    foreign = await client.post("/signout", data={"csrf": token}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert (await client.post("/signout", data={"csrf": token}, headers={"Origin": "http://kefu.test"})).status_code == 303


async def test_the_sign_in_form_itself_needs_its_token(web: Workspace) -> None:
    await web.account("li.wei")
    refused = await web.anonymous().post("/signin", data={"name": "li.wei", "password": PASSWORD})
    assert refused.status_code == 403 and "kefu_session" not in refused.headers.get("set-cookie", "")


async def test_an_agent_never_reaches_admin_pages_an_admin_does(web: Workspace) -> None:
    agent = await web.client("lina")
    admin = await web.client("boss", role="admin")
    denied = await agent.get("/accounts")
    assert denied.status_code == 403 and "for admins" in denied.text
    assert 'href="/accounts"' not in (await agent.get("/")).text  # not offered either
    shown = await admin.get("/accounts")
    assert shown.status_code == 200 and "lina" in shown.text and "boss" in shown.text


async def test_every_route_but_sign_in_and_static_files_is_guarded(web: Workspace) -> None:
    from starlette.routing import Route

    open_routes = {"/signin"}
    for route in web.app.routes:
        if isinstance(route, Route) and route.path not in open_routes:
            assert getattr(route.endpoint, "role", None) in ("agent", "admin"), f"{route.path} has no guard"


async def test_disabling_or_resetting_ends_open_sessions(web: Workspace) -> None:
    from bot.web.accounts import hash_password

    client = await web.client("lina")
    assert (await client.get("/")).status_code == 200
    await web.kefu.store.change_account("lina", end_sessions=True, password_hash=hash_password("another password"))
    assert (await client.get("/")).status_code == 303
    again = await web.client("wang")
    await web.kefu.store.change_account("wang", end_sessions=True, disabled=True)
    assert (await again.get("/")).status_code == 303
    assert (await web.sign_in(web.anonymous(), "wang")).status_code == 401


async def test_the_interface_speaks_the_agents_language(web: Workspace) -> None:
    client = await web.client("li.wei", language="zh")
    page = await client.get("/")
    assert "收件箱" in page.text and "退出" in page.text and 'lang="zh"' in page.text
    switched = await client.post("/language", data={"csrf": csrf_of(page.text), "language": "en", "next": "/?view=all"})
    assert switched.headers["location"] == "/?view=all"
    assert "Sign out" in (await client.get("/")).text
    offsite = await client.post("/language", data={"csrf": csrf_of(page.text), "language": "en", "next": "//evil.example/"})
    assert offsite.headers["location"] == "/"


async def test_every_page_has_strict_security_headers(web: Workspace) -> None:
    client = await web.client("li.wei")
    for path in ("/", "/signin", "/static/kefu.js"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert (await client.get("/")).headers["cache-control"] == "no-store"


@pytest.mark.parametrize("language", ["zh"])
def test_every_interface_string_has_a_translation(language: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The catalogue covers every string the templates and pages mark (run pybabel as docs/web.md says)."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_", "--no-location", "-o", str(pot), "."],
        cwd=root, capture_output=True, text=True, check=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with (root / "bot/web/locale" / language / "LC_MESSAGES/messages.po").open("rb") as handle:
        have = {m.id for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert len(wanted) > 50, "the extraction found (almost) nothing: is babel.cfg right?"
    assert not sorted(wanted - have), f"untranslated in {language}: {sorted(wanted - have)}"
