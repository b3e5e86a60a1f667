"""Sending to Slack without being refused, saying what a refusal means, and checking the token first.

Shared by the buyer channel and the agent desk (usually the same app, so the
same budget). Slack allows about one message a second per channel
(chat.postMessage's rate-limit tier); a refusal becomes the exception the
outbox acts on (adapters/base.py): `ratelimited` → `RetryLater` after
Retry-After; an account, channel or user that is gone → `Unreachable`.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.base import RetryLater, SendError, Unreachable
from adapters.env import CredentialsRejected
from adapters.pacing import Pacer, Rate

log = logging.getLogger(__name__)

PACE = Rate(1, 1.0)
GONE = {"account_inactive", "channel_not_found", "is_archived", "user_not_found", "user_disabled", "not_in_channel"}
TOKEN_REFUSED = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "no_permission"}
# The bot scopes in docs/slack-manifest.yaml (a test keeps the two equal); without the first four no buyer is answered.
NEEDED_SCOPES = ("chat:write", "im:history", "app_mentions:read", "users:read")
DESK_SCOPES = ("channels:history", "groups:history")
MANIFEST = "docs/slack-manifest.yaml"
SEND_FAILURES = (SlackClientError, aiohttp.ClientError, TimeoutError, SendError)  # a send failed: not an unreadable event

_pacers: dict[tuple[str, Rate], Pacer] = {}


def pacer_for(token: str, pace: Rate) -> Pacer:
    """One pacer per app: the buyer channel and a desk speaking as the same app share its budget."""
    key = (token, pace)
    if key not in _pacers:
        _pacers[key] = Pacer(lambda channel: pace)
    return _pacers[key]


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None) or {}
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


@contextlib.contextmanager
def refusals(what: str) -> Iterator[None]:
    """Turn Slack's refusals of a send into `RetryLater` / `Unreachable`; `what` names the send."""
    try:
        yield
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error == "ratelimited" or getattr(exc.response, "status_code", None) == 429:
            seconds = float(_header(exc.response, "Retry-After") or 1)
            raise RetryLater(f"slack: {what}: rate limited, retry after {seconds:g} s", seconds) from exc
        if error in GONE:
            raise Unreachable(f"slack: {what}: {error}") from exc
        raise


async def check_credentials(client: AsyncWebClient, setting: str, *, desk: bool = False) -> str:
    """auth.test before reporting ready: a refused token or missing scopes stop kefu with what to fix.

    Returns the bot's user id. Network trouble is raised as it is (the channel retries).
    """
    try:
        response = await client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in TOKEN_REFUSED:
            raise CredentialsRejected(
                f"Slack refused {setting} ({error}): copy the Bot User OAuth Token again "
                "(OAuth & Permissions), or reinstall the app"
            ) from None
        raise
    granted = {scope.strip() for scope in (_header(response, "x-oauth-scopes") or "").split(",") if scope.strip()}
    if granted:  # Slack always sends it; a proxy might not
        missing = [scope for scope in NEEDED_SCOPES if scope not in granted]
        if desk and not granted & set(DESK_SCOPES):  # one of them: the desk channel is public or private
            missing.append(" or ".join(DESK_SCOPES))
        if missing:
            raise CredentialsRejected(
                f"the Slack app behind {setting} lacks the scopes {', '.join(missing)}: add them as in "
                f"{MANIFEST} (OAuth & Permissions → Scopes) and reinstall the app"
            )
    return str(response.get("user_id") or "")
