"""The e-mail channel: a shop mailbox read over IMAP, answered with full letters over SMTP.

Each new mail is fetched without marking it read, turned into a `Message`,
handed to the pipeline, answered, and only then flagged (\\Seen + $KefuHandled).
A crash anywhere before the flag means the mail is fetched again after the
restart; the store recognises it by Message-ID and the pipeline stays silent,
so nothing is lost and no buyer gets the same answer twice.

Every mail is classified first (`classify.py`): a machine's mail (auto-reply,
bounce, list, notification, no-reply sender, spam, our own) and a colleague's
letter are never passed to the pipeline and never answered. They are kept in
the store with the reason (status "machine", or a "note" in the buyer's
conversation), flagged $KefuSkipped, and left unread for people.
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

from adapters.base import Channel, Handler, Unreachable
from adapters.email.classify import COLLEAGUE, ReplyLimiter, Verdict, classify
from adapters.email.config import EmailConfigError, EmailSettings
from adapters.email.files import AttachmentStore
from adapters.email.imap import Fetched, ImapError, Mailbox
from adapters.email.out import SmtpError, SmtpSender, Thread, compose, written_in
from adapters.email.parse import ParsedMail, parse_mail, summary
from bot.language.detect import LanguageDetector
from bot.message import Kind, Message, Reply, Style

__all__ = ["EmailChannel", "EmailChannelError", "EmailConfigError", "EmailSettings"]

log = logging.getLogger(__name__)

CHANNEL = "email"
MAX_THREADS = 10_000  # threads remembered for send_text; older ones are looked up in the mailbox
MAX_HANDLE_ATTEMPTS = 3


class EmailChannelError(Exception):
    """A letter cannot be addressed or sent; the message says which conversation and why."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class EmailChannel(Channel):
    leader_only = True  # one process watches the mailbox
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
        detector: LanguageDetector | None = None,
    ) -> None:
        super().__init__(handle)
        self.settings, self.clock, self.imap_tls = settings, clock, imap_tls
        self.rules = settings.rules()
        self.files = AttachmentStore(settings.attachment_folder, settings.attachment_max_bytes)
        self.detector = detector  # tells the language a letter is written in (Content-Language); built when first needed
        self.smtp = SmtpSender(settings.smtp(), smtp_tls)
        self.limiter = ReplyLimiter(settings.max_replies_per_hour, clock)
        self.threads: OrderedDict[str, Thread] = OrderedDict()
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
        """Parse, classify, keep or hand to the pipeline, answer. None when the mail was not for the pipeline."""
        try:
            mail = parse_mail(fetched.raw)
        except Exception:  # noqa: BLE001 - the stdlib parser is lenient; whatever still breaks is skipped, not fatal
            log.exception("mail %s cannot be parsed; left for people", fetched.uid)
            return None
        verdict = classify(mail, self.rules, mail.own_text)
        files = self.files.keep(mail.attachments, refuse=f"{verdict.kind} mail" if verdict.machine else None)
        message = to_message(mail, fetched.arrived or mail.date or self.clock(), verdict, files)
        try:
            if not verdict.answer:
                log.info("not answering mail %s from %s: %s (%s)", mail.external_id, mail.sender or "?", verdict.kind, verdict.reason)
                await self._keep(message, verdict)
                return None
            self._remember(thread_of(mail))
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
        return reply  # stored and decided: its answer is in the outbox, which sends it through send_text

    async def _keep(self, message: Message, verdict: Verdict) -> None:
        """A colleague's letter becomes a note in its conversation; a machine's mail is kept with its reason."""
        if verdict.kind == COLLEAGUE:
            await self.keep(message, direction="note", status="note", flags=["mail:colleague"])
        else:
            await self.keep(message, direction="in", status="machine", flags=["machine", f"mail:{verdict.kind}"])

    def _detector(self) -> LanguageDetector:
        if self.detector is None:
            self.detector = LanguageDetector()
        return self.detector

    def _remember(self, thread: Thread) -> None:
        self.threads[thread.conversation] = thread
        self.threads.move_to_end(thread.conversation)
        while len(self.threads) > MAX_THREADS:
            self.threads.popitem(last=False)

    # -- outgoing -------------------------------------------------------------------------

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        """Send a letter into a mail thread (agent replies, proactive messages).

        The bot's letters carry `Auto-Submitted: auto-replied` (RFC 3834); a letter a person wrote does not.
        """
        # RFC 3834: the bot's letters answer a buyer's thread (auto-replied); a person's carry no mark.
        auto_submitted = None if by_person else "auto-replied"
        thread = self.threads.get(conversation) or await self._look_up(conversation)
        if thread is None:
            raise Unreachable(f"no mail of conversation {conversation} in {self.settings.imap_folder}: cannot address a letter")
        if not by_person and not self.limiter.allow(thread.recipient):
            # A loop guard: an address that gets this many machine letters is a robot or a storm.
            raise Unreachable(f"more than {self.settings.max_replies_per_hour} letters to {thread.recipient} in an hour")
        try:
            # Content-Language: the language the letter is actually in (an answer meant for Dutch that fell back to English is English)
            letter = self._compose(thread, text, auto_submitted, written_in(text, language, self._detector()))
        except (ValueError, MessageError) as exc:  # headers too broken to answer: people must look
            raise Unreachable(f"cannot write a letter into {conversation}: {exc}") from exc
        try:
            await self.smtp.send(letter)
        except SmtpError as exc:
            raise EmailChannelError(str(exc)) from exc

    def _compose(self, thread: Thread, text: str, auto_submitted: str | None, language: str | None = None) -> EmailMessage:
        return compose(
            thread, text, sender=self.settings.address, sender_name=self.settings.name, at=self.clock(),
            auto_submitted=auto_submitted, language=language,
        )

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


def to_message(
    mail: ParsedMail, received_at: datetime, verdict: Verdict | None = None, attachments: list[dict] | None = None,
) -> Message:
    """The pipeline's view of a mail: only the new text, the thread as the conversation.

    `attachments` (where each file was stored) and the classifier's `verdict` go into `raw` for agents.
    """
    text, kind = mail.text, Kind.TEXT
    if not text.strip():
        if mail.attachments:  # nothing to read but the files: a person has to look
            images = all(a.content_type.startswith("image/") for a in mail.attachments)
            kind = Kind.PHOTO if images else Kind.FILE
        if not mail.in_reply_to:
            text = mail.subject  # "Delivery time to Spain?" in the subject, nothing in the body
    if received_at.tzinfo is None:
        received_at = received_at.replace(tzinfo=timezone.utc)
    raw = summary(mail)
    if attachments is not None:
        raw["attachments"] = attachments
    if verdict is not None:
        raw["decision"] = {"kind": verdict.kind, "reason": verdict.reason}
    return Message(
        channel=CHANNEL, conversation=mail.conversation, sender=mail.sender, text=text, received_at=received_at,
        kind=kind, sender_name=mail.sender_name, language_hint=mail.language, external_id=mail.external_id,
        subject=mail.subject or None, timezone=mail.timezone, raw=raw,
    )


def thread_of(mail: ParsedMail) -> Thread:
    return Thread(
        conversation=mail.conversation, recipient=mail.reply_to, recipient_name=mail.sender_name,
        subject=mail.subject, message_id=mail.message_id, references=mail.references,
    )
