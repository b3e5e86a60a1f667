"""Fixtures for the e-mail channel: a real Dovecot (IMAP), an in-process aiosmtpd (SMTP), the whole bot.

Dovecot is started by `.ci/dovecot.sh` on 127.0.0.1:10143; each test gets its own
fresh folder in the test account, so tests never see each other's mail. Mail
arrives the way a mail server delivers it: IMAP APPEND.

Import what a module needs: `from tests.channel_email_fixtures import dovecot, email_bot, email_pins, imap, smtp`
(ask for `imap` before `email_bot`, so a missing Dovecot skips before the bot loads).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import warnings
import socket
import ssl
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from aioimaplib import aioimaplib
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from adapters.email import EmailChannel, EmailSettings
from adapters.email.imap import ImapConfig, Mailbox
from tests.channel_fixtures import Recorder
from tests.conftest import make_bot, port_open, skip_or_fail, write_pins
from tests.mail_factories import SHOP

IMAP_HOST, IMAP_PORT = "127.0.0.1", int(os.environ.get("KEFU_DOVECOT_PORT", "10143"))
IMAP_USER, IMAP_PASSWORD = "kefu@example.test", "kefu-test-password"
SMTP_USER, SMTP_PASSWORD = "shop@example.test", "smtp-test-password"
# A self-signed certificate for 127.0.0.1, valid until 2126, for the TLS tests only.
TLS_CERT = Path(__file__).parent / "data" / "email-tls-cert.pem"
TLS_KEY = Path(__file__).parent / "data" / "email-tls-key.pem"

# What a translation provider would say for the buyers' own words, pinned so the tests run offline.
# (The answers themselves come reviewed from replies/answers/<language>.yaml.)
BUYER_PINS = [
    ("ru", "en", "Здравствуйте! Сколько идёт доставка в Испанию?", "Hello! How long does delivery to Spain take?"),
]


# -- IMAP: a fresh folder in the Dovecot test account ---------------------------------------


class MailFolder:
    """A folder of its own for one test: deliver mail into it, look at its flags."""

    def __init__(self, client: aioimaplib.IMAP4, name: str) -> None:
        self.client, self.name = client, name

    async def deliver(self, raw: bytes) -> int:
        """Put a mail into the folder as a mail server would (unread); returns its UID."""
        response = await self.client.append(raw, mailbox=self.name)
        assert response.result == "OK", response
        line = next(line for line in response.lines if b"APPENDUID" in line)
        return int(line.split(b"APPENDUID ")[1].split()[1].rstrip(b"]"))

    async def flags(self, uid: int) -> set[str]:
        await self.client.select(self.name)
        response = await self.client.uid("fetch", str(uid), "(FLAGS)")
        text = b" ".join(l for l in response.lines if isinstance(l, bytes)).decode()
        return set(text.split("FLAGS (")[1].split(")")[0].split()) if "FLAGS (" in text else set()

    def config(self) -> ImapConfig:
        return ImapConfig(host=IMAP_HOST, port=IMAP_PORT, security="none", user=IMAP_USER, password=IMAP_PASSWORD, folder=self.name)


@pytest.fixture(scope="session")
def dovecot() -> None:
    """Session-scoped, so a missing Dovecot skips before the bot's slow session fixtures load."""
    if not port_open(IMAP_HOST, IMAP_PORT):
        skip_or_fail(f"Dovecot is not running on {IMAP_HOST}:{IMAP_PORT}", "start it with .ci/dovecot.sh")


@pytest.fixture
async def imap(dovecot: None) -> AsyncIterator[MailFolder]:
    client = aioimaplib.IMAP4(IMAP_HOST, IMAP_PORT, timeout=5)
    await client.wait_hello_from_server()
    assert (await client.login(IMAP_USER, IMAP_PASSWORD)).result == "OK"
    name = f"kefu-test-{uuid.uuid4().hex[:10]}"
    assert (await client.create(name)).result == "OK"
    try:
        yield MailFolder(client, name)
    finally:
        if client.get_state() == "SELECTED":
            await client.close()
        await client.delete(name)
        await client.logout()


# -- SMTP: aiosmtpd in-process, recording what kefu sends -----------------------------------


@dataclass
class Sent:
    mail_from: str
    rcpt_tos: list[str]
    letter: EmailMessage
    login: str | None


@dataclass
class FakeSmtp:
    port: int
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        letter = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self.lock:
            self.sent.append(Sent(envelope.mail_from, list(envelope.rcpt_tos), letter, login))  # type: ignore[arg-type]
        return "250 OK: queued"

    def letters(self) -> list[EmailMessage]:
        with self.lock:
            return [s.letter for s in self.sent]

    async def wait(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """Until `count` letters arrived (or the timeout): the channel runs on this same event loop."""
        deadline = time.monotonic() + timeout
        while len(self.letters()) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.letters()


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001 - aiosmtpd's signature
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def fake_smtp(security: str = "none") -> Iterator[FakeSmtp]:
    """aiosmtpd on 127.0.0.1 requiring a login; with security "starttls" or "ssl" it speaks TLS
    with the test certificate in tests/data (trust it with `client_tls()`)."""
    fake = FakeSmtp(_free_port())
    options: dict = {"auth_require_tls": security == "starttls"}  # "ssl" is TLS from the start
    if security == "starttls":
        options.update(tls_context=_server_tls(), require_starttls=True)
    elif security == "ssl":
        options.update(ssl_context=_server_tls())
    controller = _Controller(
        fake, hostname="127.0.0.1", port=fake.port, authenticator=_authenticate, auth_required=True, **options,
    )
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()


class _Controller(Controller):
    def factory(self):  # type: ignore[no-untyped-def]
        with warnings.catch_warnings():  # "AUTH without STARTTLS": deliberate, on 127.0.0.1
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


def _server_tls() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TLS_CERT, TLS_KEY)
    return context


def client_tls() -> ssl.SSLContext:
    """A client context that trusts the test mail server's certificate (and verifies it like any other)."""
    return ssl.create_default_context(cafile=str(TLS_CERT))


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    with fake_smtp() as fake:
        yield fake


# -- the bot, with the e-mail channel wired to both ----------------------------------------


@pytest.fixture
def email_pins(tmp_path: Path) -> Path:
    return write_pins(tmp_path / "email-pins.tsv", BUYER_PINS)


@pytest.fixture
async def email_bot(tmp_path: Path, settings, brain, detector, clock, email_pins: Path) -> AsyncIterator[SimpleNamespace]:
    """The real pipeline on SQLite in tmp_path, with a recorder to hand to the channel."""
    bot = await make_bot(f"sqlite:///{tmp_path / 'kefu.db'}", email_pins, settings, brain, detector, clock)
    bot.handle = Recorder(bot.pipeline.handle)
    bot.files = tmp_path / "mail-attachments"
    yield bot
    await bot.store.close()


def email_settings(folder: MailFolder, smtp: FakeSmtp, **overrides) -> EmailSettings:
    values = dict(
        imap_host=IMAP_HOST, imap_port=IMAP_PORT, imap_ssl=False, imap_starttls=False, imap_user=IMAP_USER,
        imap_password=IMAP_PASSWORD, imap_folder=folder.name, smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_security="none", smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD, address=SHOP,
        name="Sunrise Trading", poll_seconds=0.5, max_replies_per_hour=5,
    )
    values.update(overrides)
    return EmailSettings(**values)


def make_channel(email_bot: SimpleNamespace, folder: MailFolder, smtp: FakeSmtp, **overrides) -> EmailChannel:
    """The channel as `kefu run` wires it: machines' mail and colleagues' notes are kept in the store."""
    overrides.setdefault("attachment_folder", str(email_bot.files))
    channel = EmailChannel(
        email_bot.handle, email_settings(folder, smtp, **overrides), clock=email_bot.clock, detector=email_bot.pipeline.detector,
    )
    channel.keep = email_bot.store.keep
    return channel


async def poll_once(channel: EmailChannel) -> int:
    """One pass over the folder, as `serve` does between waits, then the outbox sends what the
    pipeline wrote (as `kefu run`'s sender would): deterministic for tests."""
    from bot.serve.outbox import OutboxSender

    async with Mailbox(channel.settings.imap()) as box:
        taken = await channel.poll(box)
    pipeline = channel.handle.handle.__self__
    sender = OutboxSender(pipeline.store, {channel.name: channel}, pipeline.clock)
    while await sender.send_due():
        pass
    return taken
