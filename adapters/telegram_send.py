"""Sending to Telegram without being refused, and saying what a refusal means.

Shared by the buyer channel and the agent desk (often the same bot, so the
same flood budget). Telegram's limits, from the Bot API FAQ: about one
message a second in a private chat, 20 a minute in a group, 30 a second in
all. Refusals become the exceptions the outbox acts on (adapters/base.py):
429 → `RetryLater` after `retry_after`; a buyer who blocked the bot, deleted
the account or whose chat is gone → `Unreachable`; anything else is transient.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from dataclasses import dataclass
from typing import Hashable, Iterator, Mapping

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from adapters import env as envvars
from adapters.base import RetryLater, SendError, Unreachable
from adapters.pacing import Pacer, Rate

# Bad Requests that say the chat itself is gone (tdlib/telegram-bot-api's texts, lower-cased).
_GONE = ("chat not found", "user not found", "peer_id_invalid", "bot was kicked", "user is deactivated")


@dataclass(frozen=True)
class Pace:
    """How fast kefu writes: per private chat, per group, and in all."""

    private: Rate = Rate(1, 1.0)
    group: Rate = Rate(20, 60.0)
    total: Rate = Rate(30, 1.0)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Pace:
        read = {
            key: Rate(*envvars.rate(env, f"KEFU_TELEGRAM_PACE_{key.upper()}", (default.count, default.window)))
            for key, default in (("private", cls.private), ("group", cls.group), ("total", cls.total))
        }
        return cls(**read)


_pacers: dict[tuple[str, Pace], Pacer] = {}


def pacer_for(token: str, pace: Pace) -> Pacer:
    """One pacer per bot: the buyer channel and a desk riding on the same bot share its budget."""
    key = (token, pace)
    if key not in _pacers:
        _pacers[key] = Pacer(lambda chat: pace.private if _is_private(chat) else pace.group, pace.total)
    return _pacers[key]


def _is_private(chat: Hashable) -> bool:
    return not str(chat).startswith("-")  # groups and channels have negative ids


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@contextlib.contextmanager
def refusals(what: str) -> Iterator[None]:
    """Turn Telegram's refusals of a send into `RetryLater` / `Unreachable`; `what` names the send."""
    try:
        yield
    except RetryAfter as exc:
        seconds = retry_seconds(exc)
        raise RetryLater(f"telegram: {what}: flood limit, retry after {seconds:g} s", seconds) from exc
    except Forbidden as exc:  # blocked by the user, user deactivated, kicked from the group
        raise Unreachable(f"telegram: {what}: {exc.message}") from exc
    except BadRequest as exc:
        if any(gone in exc.message.lower() for gone in _GONE):
            raise Unreachable(f"telegram: {what}: {exc.message}") from exc
        raise


SEND_FAILURES = (TelegramError, SendError)  # what a failed send raises: not an unreadable update
