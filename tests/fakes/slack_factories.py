"""Builders for what Slack *sends to us*: signed Events API and interactivity requests.

Envelopes mirror the real Events API ``event_callback`` shape so slack_bolt routes them like
production traffic, and ``signed_request_headers`` computes the real v0 signature so request
verification is exercised, not bypassed.  Ids/ts values come from counters: fresh per call.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from .slack_api import APP_ID, BOT_USER_ID, DEFAULT_USER_ID, TEAM_ID

VERIFICATION_TOKEN = "verification-token-test"  # deprecated field, still present in payloads
DEFAULT_DM_CHANNEL = "D0KEFU001"
DEFAULT_CHANNEL = "C0SUPPORT"
# Nothing listens on port 1: a stray POST fails fast instead of reaching hooks.slack.com.
OFFLINE_RESPONSE_URL = "http://127.0.0.1:1/actions/T0KEFU/1/offline"

_counter = itertools.count(1)


def _next_ts() -> str:
    return f"{int(time.time())}.{next(_counter):06d}"


def _client_msg_id() -> str:
    return f"c{next(_counter):07d}-0000-4000-8000-000000000000"  # a UUID-shaped string


def signed_request_headers(
    body: bytes | str, signing_secret: str, timestamp: int | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with a request: v0 HMAC-SHA256 over ``v0:{ts}:{body}``.

    Content type defaults to JSON for ``{...}`` bodies, else form-encoded (interactivity).
    """
    raw = body.encode() if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(signing_secret.encode(), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256)
    if content_type is None:
        is_json = raw.lstrip().startswith(b"{")
        content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
    return {"content-type": content_type, "x-slack-request-timestamp": ts,
            "x-slack-signature": "v0=" + digest.hexdigest()}


def json_body(payload: dict[str, Any]) -> bytes:
    """Serialise an envelope the way Slack posts it."""
    return json.dumps(payload).encode()


def _envelope(event: dict[str, Any], event_id: str | None, team_id: str) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN, "team_id": team_id, "context_team_id": team_id,
        "api_app_id": APP_ID, "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev0KEFU{next(_counter):06d}", "event_time": int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
    }


def _rich_text(text: str) -> list[dict[str, Any]]:
    """Slack attaches a rich_text block mirroring what the user typed."""
    return [{"type": "rich_text", "block_id": f"b{next(_counter)}", "elements": [
        {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}]


def message_event(
    text: str, user: str = DEFAULT_USER_ID, channel: str = DEFAULT_DM_CHANNEL,
    channel_type: str = "im", ts: str | None = None, thread_ts: str | None = None,
    event_id: str | None = None, team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """Envelope for a user's ``message`` event (DM by default; channel_type "channel" too)."""
    ts = ts or _next_ts()
    event: dict[str, Any] = {
        "type": "message", "client_msg_id": _client_msg_id(),
        "text": text, "user": user, "ts": ts, "blocks": _rich_text(text), "team": team_id,
        "channel": channel, "event_ts": ts, "channel_type": channel_type,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return _envelope(event, event_id, team_id)


def app_mention_event(
    text: str, user: str = DEFAULT_USER_ID, channel: str = DEFAULT_CHANNEL,
    ts: str | None = None, thread_ts: str | None = None, event_id: str | None = None,
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """Envelope for ``app_mention``; the ``<@BOT>`` mention is prepended if ``text`` lacks it."""
    mention = f"<@{BOT_USER_ID}>"
    text = text if mention in text else f"{mention} {text}"
    ts = ts or _next_ts()
    event: dict[str, Any] = {
        "type": "app_mention", "client_msg_id": _client_msg_id(),
        "text": text, "user": user, "ts": ts, "blocks": _rich_text(text), "team": team_id,
        "channel": channel, "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return _envelope(event, event_id, team_id)


def block_actions_payload(
    action_id: str, value: str, user: str = DEFAULT_USER_ID, channel: str = DEFAULT_DM_CHANNEL,
    message_ts: str | None = None, block_id: str = "actions", response_url: str | None = None,
) -> bytes:
    """Form-encoded body (``payload=<json>``) of a button click, as Slack posts it.

    Pass ``response_url=fake_slack.response_url`` if the code under test uses respond().
    """
    message_ts = message_ts or _next_ts()
    payload = {
        "type": "block_actions", "token": VERIFICATION_TOKEN, "api_app_id": APP_ID,
        "user": {"id": user, "username": "customer", "name": "customer", "team_id": TEAM_ID},
        "team": {"id": TEAM_ID, "domain": "kefu-test"}, "enterprise": None,
        "is_enterprise_install": False,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "trigger_id": f"{next(_counter)}.1.fake-trigger",
        "channel": {"id": channel, "name": "directmessage"},
        "message": {"type": "message", "user": BOT_USER_ID, "ts": message_ts, "text": "",
                    "team": TEAM_ID},
        "state": {"values": {}}, "response_url": response_url or OFFLINE_RESPONSE_URL,
        "actions": [{"action_id": action_id, "block_id": block_id, "value": value,
                     "type": "button", "text": {"type": "plain_text", "text": value},
                     "action_ts": _next_ts()}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def url_verification(challenge: str) -> dict[str, Any]:
    """The handshake Slack sends when the Request URL is configured."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
