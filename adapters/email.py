"""The e-mail channel: a shop mailbox read over IMAP, answered with full letters over SMTP.

Each new mail is fetched without marking it read, turned into a `Message`,
handed to the pipeline, answered, and only then flagged (\\Seen + $KefuHandled).
A crash anywhere before the flag means the mail is fetched again after the
restart; the store recognises it by Message-ID and the pipeline stays silent,
so nothing is lost and no buyer gets the same answer twice.

Automatic mail (auto-replies, bounces, lists, no-reply senders) is never passed
to the pipeline: it is logged and flagged $KefuSkipped, and left unread for people.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from email.errors import MessageError
from email.message import EmailMessage
from typing import Callable

from adapters.base import Channel, Handler
from adapters.imap import Fetched, ImapError, Mailbox
from adapters.mailconfig import EmailConfigError, EmailSettings
from adapters.mailguard import ReplyLimiter, automated
from adapters.mailout import SmtpError, SmtpSender, Thread, compose
from adapters.mailparse import ParsedMail, parse_mail, summary
from bot.message import Kind, Message, Reply, Style

__all__ = ["EmailChannel", "EmailChannelError", "EmailConfigError", "EmailSettings"]

log = logging.getLogger(__name__)

CHANNEL = "email"
MAX_THREADS = 10_000  # threads remembered for send_text; older ones are looked up in the mailbox
MAX_SEND_ATTEMPTS = 5
MAX_HANDLE_ATTEMPTS = 3


class EmailChannelError(Exception):
    """A letter cannot be addressed or sent; the message says which conversation and why."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EmailChannel(Channel):
    name = CHANNEL
    style = Style.LETTER

    def __init__(
        self,
        handle: Handler,
        settings: EmailSettings,
        *,
        clock: Callable[[], datetime] = _utcnow,
        imap_tls: ssl.SSLContext | None = None,
        smtp_tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(handle)
        self.settings, self.clock, self.imap_tls = settings, clock, imap_tls
        self.smtp = SmtpSender(settings.smtp(), smtp_tls)
        self.limiter = ReplyLimiter(settings.max_replies_per_hour, clock)
        self.threads: OrderedDict[str, Thread] = OrderedDict()
        self.outbox: list[tuple[EmailMessage, int]] = []  # letters the SMTP server refused for now
        self.failures: dict[str, int] = {}
        self.ready = asyncio.Event()  # set while the mailbox is open and watched (tests and `kefu serve` wait on it)

    # -- incoming -------------------------------------------------------------------------

    async def serve(self) -> None:
        try:
            async with Mailbox(self.settings.imap(), self.imap_tls) as box:  # logs in: a refused login stops kefu
                await self.smtp.check()  # and so does a refused SMTP login, before anyone is told "ready"
                mode = "IDLE" if box.idle else "polling"
                log.info(
                    "e-mail channel: %s on %s:%s/%s (%s, every %.0f s at most)", self.settings.imap_user,
                    self.settings.imap_host, self.settings.imap_port, self.settings.imap_folder, mode, self.settings.poll_seconds,
                )
                self.ready.set()
                while True:
                    await self.poll(box)
                    await box.wait(self.settings.poll_seconds)
        finally:
            self.ready.clear()

    async def poll(self, box: Mailbox) -> int:
        """Take every new mail in the folder once; returns how many were passed to the pipeline."""
        await self._flush_outbox()
        taken = 0
        for uid in await box.new_mail(since=self._since()):
            fetched = await box.fetch(uid)
            if fetched is None:
                continue
            answered = await self._take(fetched)
            await box.mark(uid, seen=answered is not None, skipped=answered is None)
            taken += answered is not None
        return taken

    def _since(self) -> date | None:
        """Old unread mail (a backlog found on the first start) is for people, not for an instant answer."""
        if not self.settings.max_age_days:
            return None
        return (self.clock() - timedelta(days=self.settings.max_age_days)).date()

    async def _take(self, fetched: Fetched) -> Reply | None:
        """Parse, guard, hand to the pipeline, answer. None when the mail was skipped."""
        try:
            mail = parse_mail(fetched.raw)
        except Exception:  # noqa: BLE001 - the stdlib parser is lenient; whatever still breaks is skipped, not fatal
            log.exception("mail %s cannot be parsed; left for people", fetched.uid)
            return None
        reason = automated(mail, self.settings.address)
        if reason:
            log.info("not answering mail %s from %s: %s", mail.external_id, mail.sender or "?", reason)
            return None
        message = to_message(mail, fetched.arrived or mail.date or self.clock())
        self._remember(thread_of(mail))
        try:
            reply = await self.handle(message, Style.LETTER)
        except Exception:
            # A failing store is a transport problem: raise, reconnect, fetch again. A mail that fails
            # every time is skipped rather than block the mailbox.
            attempts = self.failures[mail.external_id] = self.failures.get(mail.external_id, 0) + 1
            if attempts < MAX_HANDLE_ATTEMPTS:
                raise
            log.exception("mail %s failed %d times; left for people", mail.external_id, attempts)
            return None
        self.failures.pop(mail.external_id, None)
        if reply.text is None:
            return reply
        if not self.limiter.allow(mail.reply_to):
            log.warning(
                "not mailing the answer to %s: more than %d answers in an hour (stored, not sent)",
                mail.reply_to, self.settings.max_replies_per_hour,
            )
            return reply
        try:
            letter = self._compose(self.threads[message.conversation], reply.text, "auto-replied", reply.language)
        except (ValueError, MessageError) as exc:  # headers too broken to answer; the mail is stored for people
            log.error("cannot write a letter answering %s: %s", mail.external_id, exc)
            return reply
        await self._send(letter)
        return reply

    def _remember(self, thread: Thread) -> None:
        self.threads[thread.conversation] = thread
        self.threads.move_to_end(thread.conversation)
        while len(self.threads) > MAX_THREADS:
            self.threads.popitem(last=False)

    # -- outgoing -------------------------------------------------------------------------

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False) -> None:
        """Send a letter into a mail thread (agent replies, proactive messages).

        Machine-made letters carry `Auto-Submitted: auto-generated` (RFC 3834); a letter a person wrote does not.
        """
        auto_submitted = None if by_person else "auto-generated"
        thread = self.threads.get(conversation) or await self._look_up(conversation)
        if thread is None:
            raise EmailChannelError(f"no mail of conversation {conversation} in {self.settings.imap_folder}: cannot address a letter")
        try:
            await self.smtp.send(self._compose(thread, text, auto_submitted))
        except SmtpError as exc:
            raise EmailChannelError(str(exc)) from exc

    def _compose(self, thread: Thread, text: str, auto_submitted: str | None, language: str | None = None) -> EmailMessage:
        return compose(
            thread, text, sender=self.settings.address, sender_name=self.settings.name, at=self.clock(),
            auto_submitted=auto_submitted, language=language,
        )

    async def _send(self, letter: EmailMessage, attempts: int = 0) -> None:
        try:
            await self.smtp.send(letter)
        except SmtpError as exc:
            if attempts + 1 >= MAX_SEND_ATTEMPTS:
                log.error("giving up on the letter to %s after %d attempts: %s", letter["To"], attempts + 1, exc)
                return
            log.warning("%s; will retry", exc)
            self.outbox.append((letter, attempts + 1))

    async def _flush_outbox(self) -> None:
        waiting, self.outbox = self.outbox, []
        for letter, attempts in waiting:
            await self._send(letter, attempts)

    async def _look_up(self, conversation: str) -> Thread | None:
        """The thread's latest mail, found in the mailbox: send_text works after a restart too."""
        if conversation.startswith("sha256:"):
            return None
        try:
            async with Mailbox(self.settings.imap(), self.imap_tls) as box:
                uids = await box.find(conversation)
                fetched = await box.fetch(uids[-1]) if uids else None
        except ImapError as exc:
            raise EmailChannelError(f"cannot look up conversation {conversation}: {exc}") from exc
        if fetched is None:
            return None
        thread = thread_of(parse_mail(fetched.raw))
        thread.conversation = conversation
        self._remember(thread)
        return thread


def to_message(mail: ParsedMail, received_at: datetime) -> Message:
    """The pipeline's view of a mail: only the new text, the thread as the conversation."""
    text, kind = mail.text, Kind.TEXT
    if not text.strip():
        if mail.attachments:  # nothing to read but the files: a person has to look
            images = all(a.content_type.startswith("image/") for a in mail.attachments)
            kind = Kind.PHOTO if images else Kind.FILE
        if not mail.in_reply_to:
            text = mail.subject  # "Delivery time to Spain?" in the subject, nothing in the body
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    return Message(
        channel=CHANNEL, conversation=mail.conversation, sender=mail.sender, text=text, received_at=received_at,
        kind=kind, sender_name=mail.sender_name, language_hint=mail.language, external_id=mail.external_id,
        subject=mail.subject or None, timezone=mail.timezone, raw=summary(mail),
    )


def thread_of(mail: ParsedMail) -> Thread:
    return Thread(
        conversation=mail.conversation, recipient=mail.reply_to, recipient_name=mail.sender_name,
        subject=mail.subject, message_id=mail.message_id, references=mail.references,
    )
