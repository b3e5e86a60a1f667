"""The IMAP side of the mailbox, over asyncio (aioimaplib): connect, find new mail, fetch, flag, wait.

This is the e-mail channel's one transport seam for incoming mail. It holds an
aioimaplib client rather than being one, and adds the two things aioimaplib
lacks: STARTTLS (via `loop.start_tls`) and a simple "wait until something
arrives" built on IDLE.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from aioimaplib import aioimaplib

from adapters.env import CredentialsRejected

log = logging.getLogger(__name__)

HANDLED = "$KefuHandled"  # answered or deliberately left alone by kefu: never fetched again
SKIPPED = "$KefuSkipped"  # automatic mail kefu did not answer (left unread for people)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FETCH_META = re.compile(rb"UID (\d+)|INTERNALDATE \"([^\"]+)\"")


class ImapError(Exception):
    """The IMAP server refused something; the message says what, never with a password."""


class ImapLoginRefused(CredentialsRejected, ImapError):
    """The server refused the user and password: retrying cannot help, the settings must change."""


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    user: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in ("ssl", "starttls", "none"):
            raise ValueError(f"IMAP security must be ssl, starttls or none, not {self.security!r}")


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    arrived: datetime | None  # INTERNALDATE: when the server got it


class Mailbox:
    """One logged-in connection with `config.folder` selected. Use `async with Mailbox(config) as box`."""

    def __init__(self, config: ImapConfig, context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.context = context
        self.client: aioimaplib.IMAP4 | None = None
        self.keywords = False  # can this folder keep $KefuHandled?

    async def __aenter__(self) -> "Mailbox":
        try:
            await self.connect()
        except BaseException:
            await self.close()  # a refused login still holds an open connection
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        config = self.config
        context = self.context or ssl.create_default_context()
        if config.security == "ssl":
            client = aioimaplib.IMAP4_SSL(config.host, config.port, timeout=config.timeout, ssl_context=context)
        else:
            client = aioimaplib.IMAP4(config.host, config.port, timeout=config.timeout)
        self.client = client
        try:
            await client.wait_hello_from_server()
        except (OSError, asyncio.TimeoutError) as exc:
            raise ImapError(f"cannot reach IMAP server {config.host}:{config.port} ({config.security}): {exc or 'timeout'}") from exc
        if config.security == "starttls":
            await self._starttls(context)
        response = await client.login(config.user, config.password)
        if response.result != "OK":
            raise ImapLoginRefused(
                f"IMAP login as {config.user!r} on {config.host} refused ({_text(response.lines)}): "
                "check KEFU_IMAP_USER and KEFU_IMAP_PASSWORD"
            )
        await self.select()

    async def _starttls(self, context: ssl.SSLContext) -> None:
        protocol = self._client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError(f"{self.config.host} does not offer STARTTLS; use security ssl on port 993")
        response = await protocol.execute(aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop))
        if response.result != "OK":
            raise ImapError(f"STARTTLS refused by {self.config.host}: {_text(response.lines)}")
        loop = asyncio.get_running_loop()
        try:
            protocol.transport = await loop.start_tls(protocol.transport, protocol, context, server_hostname=self.config.host)
        except (OSError, asyncio.TimeoutError) as exc:  # ssl.SSLError is an OSError: a bad certificate lands here
            raise ImapError(f"STARTTLS with {self.config.host} failed: {exc}") from exc
        await protocol.capability()  # capabilities may change once encrypted (RFC 3501 6.2.1)

    async def select(self) -> None:
        response = await self._client.select(_quoted(folder_name(self.config.folder)))
        if response.result != "OK":
            raise ImapError(f"cannot open IMAP folder {self.config.folder!r}: {_text(response.lines)}")
        flags = b" ".join(line for line in response.lines if isinstance(line, bytes) and b"PERMANENTFLAGS" in line)
        self.keywords = b"\\*" in flags or HANDLED.encode() in flags

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.has_pending_idle():
                # Stopped in the middle of IDLE (kefu is shutting down): `wait` has sent DONE or is about
                # to; a second DONE is a protocol error that leaves the library waiting forever. Just go.
                client.protocol.transport.close()
                return
            if not await _within(client.logout(), 5):
                client.protocol.transport.close()  # no goodbye from the server: drop the connection
        except Exception:  # noqa: BLE001 - the connection is going away anyway
            pass

    @property
    def idle(self) -> bool:
        """Does the server push new mail (IDLE), or must we poll?"""
        return self.client is not None and self.client.has_capability("IDLE")

    @property
    def _client(self) -> aioimaplib.IMAP4:
        if self.client is None:
            raise ImapError("IMAP mailbox is not connected")
        return self.client

    async def new_mail(self, since: date | None = None) -> list[int]:
        """UIDs of unread mail kefu has not handled yet (that arrived on or after `since`), oldest first."""
        criteria: tuple[str, ...] = ("UNSEEN", "UNKEYWORD", HANDLED) if self.keywords else ("UNSEEN",)
        if since is not None:
            criteria += ("SINCE", f"{since.day}-{_MONTHS[since.month - 1]}-{since.year}")
        response = await self._client.uid_search(*criteria, charset=None)
        self._check(response, "search for new mail")
        return sorted({int(n) for line in response.lines[:-1] for n in line.split() if n.isdigit()})

    async def fetch(self, uid: int) -> Fetched | None:
        """The whole mail, without marking it read (BODY.PEEK). None if it has gone meanwhile."""
        response = await self._client.uid("fetch", str(uid), "(UID INTERNALDATE BODY.PEEK[])")
        self._check(response, f"fetch mail {uid}")
        raw = next((bytes(line) for line in response.lines if isinstance(line, bytearray)), None)
        if raw is None:
            return None
        arrived = None
        for line in response.lines:
            if isinstance(line, bytes) and b"FETCH" in line:
                for match in _FETCH_META.finditer(line):
                    if match.group(2):
                        arrived = _internaldate(match.group(2).decode("ascii", "replace"))
        return Fetched(uid, raw, arrived)

    async def mark(self, uid: int, *, seen: bool = True, skipped: bool = False) -> None:
        flags = ["\\Seen"] if seen or not self.keywords else []
        if self.keywords:
            flags += [HANDLED] + ([SKIPPED] if skipped else [])
        response = await self._client.uid("store", str(uid), "+FLAGS.SILENT", f"({' '.join(flags)})")
        self._check(response, f"flag mail {uid}")

    async def unmark(self, uid: int) -> None:
        """Make a mail new again (tests simulate a crash before flagging with it)."""
        flags = "(\\Seen" + (f" {HANDLED} {SKIPPED})" if self.keywords else ")")
        self._check(await self._client.uid("store", str(uid), "-FLAGS.SILENT", flags), f"unflag mail {uid}")

    async def find(self, message_id: str) -> list[int]:
        """UIDs of mails in the folder with this Message-ID or referring to it, oldest first."""
        found: set[int] = set()
        for header in ("Message-ID", "References", "In-Reply-To"):
            response = await self._client.uid_search("HEADER", header, _quoted(message_id), charset=None)
            if response.result == "OK":
                found.update(int(n) for line in response.lines[:-1] for n in line.split() if n.isdigit())
        return sorted(found)

    async def wait(self, seconds: float) -> None:
        """Return when new mail may have arrived, or after `seconds`: IDLE where offered, else sleep."""
        _raise_if_cancelling()  # a cancellation lost inside the poll before this wait
        client = self._client
        if not self.idle:
            await asyncio.sleep(seconds)
            return
        idle = await client.idle_start(timeout=seconds)
        try:
            while client.has_pending_idle():
                _raise_if_cancelling()
                push = await client.wait_server_push(timeout=seconds + self.config.timeout)
                if push == aioimaplib.STOP_WAIT_SERVER_PUSH or any(b"EXISTS" in line for line in push):
                    break
            _raise_if_cancelling()
        except BaseException:  # stopping, or the connection failed: `close` drops it, no DONE handshake
            idle.cancel()
            raise
        if client.has_pending_idle():
            client.idle_done()
        await _within(idle, self.config.timeout)

    def _check(self, response: aioimaplib.Response, what: str) -> None:
        if response.result != "OK":
            raise ImapError(f"IMAP server {self.config.host} refused to {what}: {_text(response.lines)}")


def _raise_if_cancelling() -> None:
    """Stop if this task was asked to stop. aioimaplib waits with `asyncio.wait_for`, which (before
    Python 3.12) loses a cancellation that lands as the awaited answer arrives: the task would go on
    waiting for the next server push, for minutes, while kefu is shutting down (seen in CI)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _within(awaitable, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    """Wait at most `seconds` for `awaitable`; True when it finished. Unlike `wait_for`, a call that
    ignores its cancellation (an IMAP command whose answer never comes) cannot hold the caller:
    it is cancelled and left behind. Also while the caller itself is being cancelled (shutting down)."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        task.cancel()
        return False
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
    return True


def folder_name(name: str) -> str:
    """A folder name as IMAP spells it: modified UTF-7 (RFC 3501 5.1.3), so "客服" becomes "&W6JnDQ-"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _quoted(value: str) -> str:
    return aioimaplib.quoted(value) if re.search(r"[\s\"\\(){%*\]]", value) or not value else value


def _text(lines: list) -> str:
    return " ".join(line.decode("utf-8", "replace") if isinstance(line, (bytes, bytearray)) else str(line) for line in lines)[:300]


def _internaldate(value: str) -> datetime | None:
    # "23-Nov-2026 10:49:32 +0000" → the RFC 2822 form the stdlib parses
    try:
        day, clock_zone = value.strip().split(" ", 1)
        return parsedate_to_datetime(f"{day.replace('-', ' ')} {clock_zone}")
    except (ValueError, TypeError, IndexError):
        return None
