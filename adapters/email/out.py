"""Outgoing mail: a threaded, loop-safe letter, sent over SMTP.

stdlib `smtplib` runs in a worker thread (`asyncio.to_thread`), so kefu needs
no extra dependency and the event loop never blocks on a slow mail server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Iterator

from adapters.env import CredentialsRejected
from adapters.email.parse import reply_message_id
from bot.language.detect import LanguageDetector

log = logging.getLogger(__name__)

MAX_REFERENCES = 20
# "Re:" in the languages whose mail clients translate it; an answer keeps the buyer's prefix rather than add ours.
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|vs|antw|odp|ynt|ha|отв|ответ|res|rif|r|回复|答复)\s*(\[\d+\])?\s*[:：]", re.IGNORECASE)


class SmtpError(Exception):
    """The letter could not be handed to the SMTP server; the message says why."""


class SmtpLoginRefused(CredentialsRejected, SmtpError):
    """The SMTP server refused the login: retrying cannot help, the settings must change."""


@dataclass
class Thread:
    """What an answer into a mail thread needs to know about the last mail in it."""

    conversation: str
    recipient: str
    recipient_name: str | None
    subject: str
    message_id: str | None
    references: list[str] = field(default_factory=list)


def reply_subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        return "Re: your message"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def compose(
    thread: Thread,
    text: str,
    *,
    sender: str,
    sender_name: str | None,
    at: datetime,
    auto_submitted: str | None = "auto-replied",
    language: str | None = None,
) -> EmailMessage:
    """The letter answering `thread`: From the shop, In-Reply-To/References kept, UTF-8 text."""
    letter = EmailMessage()
    letter["From"] = Address(display_name=sender_name or "", addr_spec=sender)
    letter["To"] = Address(display_name=thread.recipient_name or "", addr_spec=thread.recipient)
    letter["Subject"] = reply_subject(thread.subject)
    letter["Date"] = format_datetime(at)
    domain = sender.rpartition("@")[2] or "kefu.invalid"
    letter["Message-ID"] = reply_message_id(thread.conversation, domain, uuid.uuid4().hex[:16])
    if thread.message_id:
        letter["In-Reply-To"] = thread.message_id
        references = [r for r in thread.references if r != thread.message_id] + [thread.message_id]
        if len(references) > MAX_REFERENCES:  # keep the root and the most recent, as RFC 5322 suggests
            references = references[:1] + references[-(MAX_REFERENCES - 1):]
        letter["References"] = " ".join(references)
    if auto_submitted:
        letter["Auto-Submitted"] = auto_submitted
    # Ask Exchange and friends not to send their out-of-office notes back to us.
    letter["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    letter.set_content(text, charset="utf-8")
    if language:  # after set_content, which drops every Content-* header
        letter["Content-Language"] = language
    return letter


def written_in(text: str, intended: str | None, detector: LanguageDetector) -> str | None:
    """The Content-Language of a letter: the language its text is actually in (an answer meant to be Dutch
    that fell back to English is English), as a BCP 47 tag ("zh-CN"); the intended one when undecidable."""
    found = detector.detect(text).language or intended
    if not found:
        return None
    main, _, region = found.partition("-")
    return f"{main}-{region.upper()}" if region else main


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "ssl", "none"):
            raise ValueError(f"SMTP security must be starttls, ssl or none, not {self.security!r}")


class SmtpSender:
    """One connection per letter: shops send few letters, and a fresh connection never goes stale."""

    def __init__(self, config: SmtpConfig, context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.context = context or ssl.create_default_context()

    async def send(self, letter: EmailMessage) -> None:
        await asyncio.to_thread(self._send, letter)

    async def check(self) -> None:
        """Connect, log in and NOOP, before the channel reports ready: a wrong password shows at start-up."""
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        with self._session() as client:
            client.noop()

    def _send(self, letter: EmailMessage) -> None:
        with self._session() as client:
            client.send_message(letter)
        log.info("mail sent to %s: %s", letter["To"], letter["Subject"])

    @contextlib.contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
        """A logged-in connection; SMTP's failures as `SmtpError` (a refused login: `SmtpLoginRefused`)."""
        config = self.config
        try:
            if config.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self.context)
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with client:
                client.ehlo()
                if config.security == "starttls":
                    client.starttls(context=self.context)
                    client.ehlo()
                if config.user:
                    client.login(config.user, config.password or "")
                yield client
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpLoginRefused(
                f"cannot send mail via {config.host}:{config.port} ({config.security}): the server refused the login as "
                f"{config.user!r} ({exc.smtp_code}); check KEFU_SMTP_USER and KEFU_SMTP_PASSWORD (unset: the IMAP login)"
            ) from exc
        except (smtplib.SMTPException, OSError, UnicodeError) as exc:
            # the exception text never contains the password: smtplib sends it base64 and reports only the reply
            raise SmtpError(f"cannot send mail via {config.host}:{config.port} ({config.security}): {exc}") from exc
