"""`kefu agents`: accounts made, listed, disabled, reset and re-roled from the command line."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def run(*arguments: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(arguments), input=stdin, env={"COLUMNS": "200"})


def account(db: str, name: str):  # type: ignore[no-untyped-def]
    from bot.store.database import Store

    async def read():  # type: ignore[no-untyped-def]
        store = await Store.open(db)
        try:
            return await store.account(name)
        finally:
            await store.close()

    return asyncio.run(read())


def test_adding_an_account_prints_its_password_and_how_to_sign_in(tmp_path: Path) -> None:
    from bot.web.accounts import authenticate

    db = f"sqlite:///{tmp_path / 'kefu.db'}"
    added = run("agents", "add", "li.wei", "--role", "admin", "--db", db)
    assert added.exit_code == 0, added.output
    password = re.search(r"password: (\S+)", added.output).group(1)  # type: ignore[union-attr]
    assert "open http://127.0.0.1:8780/ and sign in as li.wei" in added.output
    stored = account(db, "li.wei")
    assert stored.role == "admin" and password not in stored.password_hash and stored.password_hash.startswith("$argon2id$")

    async def check(given: str):  # type: ignore[no-untyped-def]
        from bot.store.database import Store

        store = await Store.open(db)
        try:
            return await authenticate(store, "li.wei", given)
        finally:
            await store.close()

    assert asyncio.run(check(password)) is not None and asyncio.run(check("wrong password")) is None


def test_bad_names_roles_passwords_and_duplicates_are_refused_clearly(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kefu.db'}"
    assert run("agents", "add", "lina", "--db", db).exit_code == 0
    again = run("agents", "add", "lina", "--db", db)
    assert again.exit_code == 2 and "already an account 'lina'" in again.output
    assert "role must be one of agent, admin" in run("agents", "add", "wang", "--role", "boss", "--db", db).output
    assert "cannot be an account name" in run("agents", "add", "two words", "--db", db).output
    short = run("agents", "add", "wang", "--password-stdin", "--db", db, stdin="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    assert "no account 'ghost'" in run("agents", "disable", "ghost", "--db", db).output


def test_listing_disabling_resetting_and_roles(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'kefu.db'}"
    run("agents", "add", "lina", "--language", "zh", "--password-stdin", "--db", db, stdin="first password\n")
    listed = run("agents", "list", "--db", db)
    assert "lina" in listed.output and "zh" in listed.output and "active" in listed.output
    assert run("agents", "disable", "lina", "--db", db).exit_code == 0
    assert account(db, "lina").disabled and account(db, "lina").session_epoch == 1
    assert "disabled" in run("agents", "list", "--db", db).output
    run("agents", "enable", "lina", "--db", db)
    reset = run("agents", "reset-password", "lina", "--password-stdin", "--db", db, stdin="second password\n")
    assert reset.exit_code == 0 and "second password" not in reset.output
    assert not account(db, "lina").disabled and account(db, "lina").session_epoch == 2
    assert run("agents", "role", "lina", "admin", "--db", db).exit_code == 0 and account(db, "lina").role == "admin"
    assert "no accounts yet" in run("agents", "list", "--db", f"sqlite:///{tmp_path / 'other.db'}").output
