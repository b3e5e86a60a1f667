"""Who may sign in to the web workspace: names, roles, interface languages, argon2 password hashes.

`kefu agents` (bot/cli/agents.py) and the sign-in page both go through here.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("agent", "admin")
LANGUAGES = ("en", "zh")  # the interface, and the language buyers' messages are shown in
MIN_PASSWORD = 8
NAME = re.compile(r"^[\w][\w.@-]{0,63}$")

_hasher = PasswordHasher()
_UNKNOWN = _hasher.hash(secrets.token_urlsafe(16))  # verified against for an unknown name: same time as a known one


class AccountError(ValueError):
    """A name, role, language or password that cannot be used; the message says why."""


def check(name: str | None = None, role: str | None = None, language: str | None = None, password: str | None = None) -> None:
    if name is not None and not NAME.match(name):
        raise AccountError(f"{name!r} cannot be an account name: letters, digits and . _ @ - (at most 64, no spaces)")
    if role is not None and role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if language is not None and language not in LANGUAGES:
        raise AccountError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def new_password() -> str:
    """A random password for `kefu agents add` without --password."""
    return secrets.token_urlsafe(12)


async def add(store: Any, name: str, role: str, password: str, language: str = "en") -> Any:
    check(name, role, language, password)
    return await store.add_account(name, role, hash_password(password), language, datetime.now(timezone.utc))


async def authenticate(store: Any, name: str, password: str) -> Any | None:
    """The account when the name and password are right and it is enabled; None otherwise (same time either way)."""
    account = await store.account(name) if NAME.match(name or "") else None
    try:
        _hasher.verify(account.password_hash if account else _UNKNOWN, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        await store.change_account(account.name, password_hash=hash_password(password))
    return account
