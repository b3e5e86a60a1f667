"""Reading a channel's settings from the environment, with errors an operator can act on.

Channel secrets (tokens, signing secrets) live in the environment only, like the
rest of kefu's secrets, so each adapter's settings dataclass has a `from_env()`
built from these helpers.
"""

from __future__ import annotations

from typing import Mapping


class SettingsError(ValueError):
    """A channel setting is missing or wrong; the message names the variable to fix."""


class CredentialsRejected(SettingsError):
    """The service refused a channel's credentials at start-up: retrying cannot help, `kefu run` exits."""


def text(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value, or None when it is unset or blank."""
    value = env.get(name, "").strip()
    return value or None


def number(env: Mapping[str, str], name: str, default: int) -> int:
    value = text(env, name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (a TCP port), got {value!r}") from None


def choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def check_port(port: int, name: str) -> None:
    if not 0 <= port <= 65535:  # 0 asks the system for a free port (tests do)
        raise SettingsError(f"{name} must be a TCP port between 0 and 65535, got {port}")


def rate(env: Mapping[str, str], name: str, default: tuple[int, float]) -> tuple[int, float]:
    """A pace written "COUNT/SECONDS" (20/60: twenty messages a minute)."""
    value = text(env, name)
    if value is None:
        return default
    count, _, seconds = value.partition("/")
    try:
        parsed = int(count), float(seconds.rstrip("s") or "1")
    except ValueError:
        parsed = (0, -1.0)
    if parsed[0] < 1 or parsed[1] < 0:
        raise SettingsError(f"{name} must be COUNT/SECONDS, like 20/60 for twenty messages a minute; got {value!r}")
    return parsed


def names(env: Mapping[str, str], name: str) -> frozenset[str] | None:
    """A comma-separated list (ids, @usernames), compared case-insensitively; None when unset."""
    value = text(env, name)
    if value is None:
        return None
    return frozenset(item.strip().lower() for item in value.split(",") if item.strip())
