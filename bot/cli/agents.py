"""`kefu agents`: the people who sign in to the web workspace; `kefu web`: serve it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from bot.cli import ConfigOption, DbOption, TranslatorOption, app, console, fail, run_async, settings_or_exit

agents_app = typer.Typer(help="Accounts of the web workspace (agents and admins).", no_args_is_help=True)
app.add_typer(agents_app, name="agents")

PasswordOption = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin (default: a random one, printed).")


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, made here)."""
    from bot.web.accounts import new_password

    if not from_stdin:
        return new_password(), True
    return sys.stdin.readline().rstrip("\r\n"), False


async def _store(db: Optional[str], config: Optional[Path]):  # type: ignore[no-untyped-def]
    from bot.store.database import Store

    return await Store.open(db or settings_or_exit(config).database_url)


def _where(config: Optional[Path]) -> str:
    settings = settings_or_exit(config)
    return f"http://{settings.web_host}:{settings.web_port}/"


@agents_app.command("add")
def add(
    name: str = typer.Argument(..., help="The name the person signs in with."),
    role: str = typer.Option("agent", "--role", help="agent (the inbox) or admin (also misses, evaluation, stats, settings)."),
    language: str = typer.Option("en", "--language", "-l", help="Interface language: en or zh (the person can change it)."),
    password_stdin: bool = PasswordOption,
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Create an account; prints how to sign in."""
    from bot.store.accounts import AccountExists
    from bot.web.accounts import AccountError, add as add_account

    password, made = _password(password_stdin)

    async def main() -> None:
        store = await _store(db, config)
        try:
            await add_account(store, name, role, password, language)
        except AccountError as exc:
            raise fail(str(exc))
        except AccountExists:
            raise fail(f"there is already an account {name!r} (kefu agents list)")
        finally:
            await store.close()

    run_async(main())
    console.print(f"added {role} {name}", highlight=False)
    if made:
        console.print(f"password: {password}", highlight=False)
    console.print(f"start the workspace with `kefu web` (or `kefu run`), open {_where(config)} and sign in as {name}", highlight=False)


@agents_app.command("list")
def list_accounts(db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """Every account: name, role, language, whether it is disabled."""

    async def main() -> None:
        store = await _store(db, config)
        try:
            rows = await store.accounts()
        finally:
            await store.close()
        if not rows:
            console.print("no accounts yet: kefu agents add NAME --role admin")
            return
        table = Table("name", "role", "language", "status", "created")
        for row in rows:
            table.add_row(row.name, row.role, row.language, "disabled" if row.disabled else "active", f"{row.created_at:%Y-%m-%d}")
        console.print(table)

    run_async(main())


def _change(name: str, db: Optional[str], config: Optional[Path], done: str, end_sessions: bool = True, **values: object) -> None:
    async def main() -> None:
        store = await _store(db, config)
        try:
            changed = await store.change_account(name, end_sessions=end_sessions, **values)
        finally:
            await store.close()
        if changed is None:
            raise fail(f"no account {name!r} (kefu agents list)")

    run_async(main())
    console.print(done, highlight=False)


@agents_app.command("disable")
def disable(name: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """The account can no longer sign in; its open sessions end at once."""
    _change(name, db, config, f"disabled {name}; their sessions ended", disabled=True)


@agents_app.command("enable")
def enable(name: str, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption) -> None:
    """A disabled account can sign in again."""
    _change(name, db, config, f"enabled {name}", end_sessions=False, disabled=False)


@agents_app.command("reset-password")
def reset_password(
    name: str, password_stdin: bool = PasswordOption, db: Optional[str] = DbOption, config: Optional[Path] = ConfigOption,
) -> None:
    """A new password (random and printed, or from stdin); the account's open sessions end."""
    from bot.web.accounts import AccountError, check, hash_password

    password, made = _password(password_stdin)
    try:
        check(password=password)
    except AccountError as exc:
        raise fail(str(exc))
    _change(name, db, config, f"new password for {name}" + (f": {password}" if made else ""), password_hash=hash_password(password))


@agents_app.command("role")
def set_role(name: str, role: str = typer.Argument(..., help="agent or admin"), db: Optional[str] = DbOption,
             config: Optional[Path] = ConfigOption) -> None:
    """Make an account an agent or an admin."""
    from bot.web.accounts import AccountError, check

    try:
        check(role=role)
    except AccountError as exc:
        raise fail(str(exc))
    _change(name, db, config, f"{name} is now {'an admin' if role == 'admin' else 'an agent'}", end_sessions=False, role=role)


@app.command()
def web(
    host: Optional[str] = typer.Option(None, "--host", help="Address to listen on (default: web_host, 127.0.0.1)."),
    port: Optional[int] = typer.Option(None, "--port", "-p", help="Port (default: web_port, 8780)."),
    db: Optional[str] = DbOption,
    translator: Optional[str] = TranslatorOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Serve the web workspace alone (`kefu run` serves it too). Buyers' channels keep running in `kefu run` or `kefu chat`."""
    import logging

    from adapters.asgi import AsgiServer
    from bot.app import build_app
    from bot.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = settings_or_exit(config)

    async def main() -> None:
        kefu = await build_app(settings, translator=translator, database_url=db, warm=False)
        try:
            if not await kefu.store.accounts():
                console.print("no accounts yet: create one with `kefu agents add NAME --role admin`", highlight=False)
            server = AsgiServer(await create_app(kefu), host or settings.web_host, port or settings.web_port, "web workspace")
            try:
                server.bind()
            except OSError as exc:
                raise fail(f"cannot listen on {server.host}:{port or settings.web_port}: {exc.strerror or exc}")
            console.print(f"the workspace is at http://{server.host}:{server.port}/ (Ctrl-C stops it)", highlight=False)
            await server.serve()
        finally:
            await kefu.close()

    run_async(main())
