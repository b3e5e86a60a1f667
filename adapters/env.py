"""Reading a channel's settings from the environment, with errors an operator can act on.

Channel secrets (tokens, signing secrets) live in the environment only, like the
rest of kefu's secrets, so each adapter's settings dataclass has a `from_env()`
built from these helpers.
"""

from __future__ import annotations

from typing import Mapping


class SettingsError(ValueError):
    """A channel setting is missing or wrong; the message names the variable to fix."""


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
