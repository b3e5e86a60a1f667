"""The mailbox over TLS, and the e-mail channel's start-up check: a real Dovecot, a real aiosmtpd.

Dovecot (.ci/dovecot.sh) offers STARTTLS on its IMAP port and IMAPS on KEFU_DOVECOT_TLS_PORT with
the self-signed certificate in tests/data, which `client_tls()` trusts; nothing else does.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from adapters.email import EmailChannel
from adapters.env import CredentialsRejected
from adapters.email.imap import ImapConfig, ImapError, Mailbox
from tests.channel_email_fixtures import (  # noqa: F401
    IMAP_HOST, IMAP_PASSWORD, IMAP_PORT, IMAP_USER, client_tls, dovecot, email_bot, email_pins,
    email_settings, fake_smtp, imap, smtp,
)
from tests.conftest import port_open, skip_or_fail

IMAPS_PORT = int(os.environ.get("KEFU_DOVECOT_TLS_PORT", "10993"))


@pytest.fixture(scope="session")
def dovecot_tls(dovecot: None) -> None:  # noqa: F811
    if not port_open(IMAP_HOST, IMAPS_PORT):
        skip_or_fail(f"Dovecot has no IMAPS listener on {IMAP_HOST}:{IMAPS_PORT}", "restart it with .ci/dovecot.sh")


def config(security: str, port: int, password: str = IMAP_PASSWORD) -> ImapConfig:
    return ImapConfig(host=IMAP_HOST, port=port, security=security, user=IMAP_USER, password=password, timeout=5)


@pytest.mark.parametrize(("security", "port"), [("starttls", IMAP_PORT), ("ssl", IMAPS_PORT)])
async def test_the_mailbox_logs_in_over_starttls_and_ssl(dovecot_tls, security: str, port: int) -> None:
    async with Mailbox(config(security, port), client_tls()) as box:
        transport = box.client.protocol.transport  # type: ignore[union-attr]
        encrypted = transport.get_extra_info("ssl_object")
        assert encrypted is not None and encrypted.version().startswith("TLS")
        assert box.client.get_state() == "SELECTED"  # type: ignore[union-attr]


@pytest.mark.parametrize(("security", "port"), [("starttls", IMAP_PORT), ("ssl", IMAPS_PORT)])
async def test_a_certificate_nobody_vouches_for_is_refused(dovecot_tls, security: str, port: int) -> None:
    with pytest.raises((ImapError, OSError), match="(?i)certificate"):
        async with Mailbox(config(security, port)):  # the system's trust store: the self-signed test cert is not in it
            pass


async def test_a_refused_imap_login_stops_the_channel_and_names_the_settings(imap, email_bot) -> None:  # noqa: F811
    with fake_smtp("starttls") as server:
        settings = email_settings(imap, server, imap_password="not-the-password", smtp_security="starttls")
        channel = EmailChannel(email_bot.handle, settings, clock=email_bot.clock, smtp_tls=client_tls())
        with pytest.raises(CredentialsRejected, match="check KEFU_IMAP_USER and KEFU_IMAP_PASSWORD") as refused:
            await asyncio.wait_for(channel.serve_forever(), 10)  # not retried: a setting to fix
    assert "not-the-password" not in str(refused.value) and not channel.ready.is_set()


async def test_a_refused_smtp_login_stops_the_channel_before_it_is_ready(imap, email_bot) -> None:  # noqa: F811
    with fake_smtp("starttls") as server:
        settings = email_settings(imap, server, smtp_security="starttls", smtp_password="wrong-smtp-password")
        channel = EmailChannel(email_bot.handle, settings, clock=email_bot.clock, smtp_tls=client_tls())
        with pytest.raises(CredentialsRejected, match="KEFU_SMTP_USER and KEFU_SMTP_PASSWORD") as refused:
            await asyncio.wait_for(channel.serve_forever(), 10)
    assert "wrong-smtp-password" not in str(refused.value) and not channel.ready.is_set()
    assert server.sent == []


async def test_the_channel_is_ready_once_both_logins_pass_over_tls(dovecot_tls, imap, email_bot) -> None:  # noqa: F811
    with fake_smtp("starttls") as server:
        settings = email_settings(imap, server, imap_starttls=True, smtp_security="starttls")
        channel = EmailChannel(email_bot.handle, settings, clock=email_bot.clock, imap_tls=client_tls(), smtp_tls=client_tls())
        task = asyncio.create_task(channel.serve())
        try:
            await asyncio.wait_for(channel.ready.wait(), 10)  # IMAP over STARTTLS and SMTP over STARTTLS both logged in
            assert not task.done()
        finally:
            task.cancel()
            stopped, _ = await asyncio.wait({task}, timeout=20)  # (wait_for would wait for a cancel that never lands)
            assert stopped, f"the e-mail channel did not stop when cancelled: {task.get_stack()} {task.print_stack()}"


class _LosingCancelClient:
    """An IMAP client in IDLE whose wait for a server push returns an answer even when the waiting
    task was cancelled: what `asyncio.wait_for` (inside aioimaplib, Python < 3.12) does when the
    cancellation lands as the answer arrives."""

    def __init__(self) -> None:
        self.waits = 0

    def has_capability(self, name: str) -> bool:
        return name == "IDLE"

    def has_pending_idle(self) -> bool:
        return True

    async def idle_start(self, timeout: float) -> asyncio.Future:
        return asyncio.ensure_future(asyncio.sleep(3600))

    async def wait_server_push(self, timeout: float) -> list[bytes]:
        self.waits += 1
        try:
            await asyncio.sleep(timeout)
        except asyncio.CancelledError:
            pass  # the cancellation is lost: the answer comes back as if nothing happened
        return [b"OK Still here"]

    def idle_done(self) -> None:
        pass


async def test_a_cancellation_lost_inside_the_imap_library_still_stops_the_wait() -> None:
    from adapters.email.imap import ImapConfig, Mailbox

    box = Mailbox(ImapConfig("127.0.0.1", 10143, security="none", timeout=30))
    box.client = _LosingCancelClient()  # type: ignore[assignment]
    task = asyncio.create_task(box.wait(600))
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done and task.cancelled()  # not waiting ten more minutes for the next push
    assert box.client.waits == 1  # type: ignore[union-attr]
