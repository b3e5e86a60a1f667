"""A raw e-mail (bytes, as IMAP delivers it) → the facts kefu needs, with the stdlib `email` package.

Real mail is messy: any charset (declared or not), HTML-only letters, quoted
history, attachments, broken headers. Parsing never raises for a bad mail; it
keeps what it can, and `ParsedMail.defects` says what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from adapters.email.html import html_to_text
from adapters.email.lines import tidy, unflow
from adapters.email.text import extract
from bot.hours import utc_offset

MAX_ID_CHARS = 250  # the store keeps ids in 255 characters
MAX_RAW_TEXT = 20_000  # the full body kept in Message.raw for agents
_MSGID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")  # printable ASCII, no <>: what RFC 5322 allows in an id
THREAD_ID_PREFIX = "kefu."


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    size: int
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass
class ParsedMail:
    message_id: str | None  # "<…@…>", as sent
    external_id: str  # message_id, or a hash of headers and body when there is none
    conversation: str  # the thread root
    sender: str  # lower-case address ("" when the From header is unreadable)
    sender_name: str | None
    reply_to: str  # where an answer goes: Reply-To, else From
    subject: str
    full_text: str  # the whole body as text, quotes included
    text: str  # only what the sender wrote in this mail
    own_text: str  # the sender's part of the mail: no quoted history, but signature and footers kept
    resent_quote: bool  # nothing but quoted text: `text` is the quote the sender re-sent
    html_only: bool
    attachments: list[Attachment]
    language: str | None  # Content-Language, first tag
    date: datetime | None
    timezone: str | None  # the Date header's UTC offset, "+03:00"
    references: list[str]
    in_reply_to: str | None
    message: EmailMessage = field(repr=False)
    defects: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return header_text(self.message, name)


def parse_mail(raw: bytes) -> ParsedMail:
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    defects = [type(d).__name__ for d in message.defects]
    message_id = _first_id(header_text(message, "Message-ID"))
    references = _MSGID.findall(header_text(message, "References"))
    in_reply_to = _first_id(header_text(message, "In-Reply-To"))
    sender, sender_name = _address(message, "From")
    reply_to = _address(message, "Reply-To")[0] or sender
    full_text, html_only = body_text(message, defects)
    words = extract(full_text)
    date = _date(header_text(message, "Date"))
    return ParsedMail(
        message_id=message_id,
        external_id=_fit(message_id) if message_id else "sha256:" + _digest(message, raw),
        conversation=thread_root(references, in_reply_to, message_id) or "sha256:" + _digest(message, raw),
        sender=sender, sender_name=sender_name, reply_to=reply_to,
        subject=" ".join(header_text(message, "Subject").split()),
        full_text=full_text, text=words.text, own_text=words.own, resent_quote=words.resent_quote, html_only=html_only,
        attachments=attachments(message),
        language=_language(header_text(message, "Content-Language")),
        date=date, timezone=utc_offset(date), references=references, in_reply_to=in_reply_to,
        message=message, defects=defects,
    )


def header_text(message: EmailMessage, name: str) -> str:
    """A header as text ("" when missing); a header too broken for the parser comes back raw."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - policy.default can fail on a malformed header: keep its raw text
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return "" if value is None else clean(str(value)).strip()


def clean(text: str) -> str:
    """Raw 8-bit bytes the parser kept as surrogates: read as UTF-8 (what such senders mean), never crash."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _first_id(value: str) -> str | None:
    found = _MSGID.search(value)
    return found.group(0) if found else None


def _fit(identifier: str) -> str:
    """Ids longer than the store's column are replaced by their hash (stable, so still unique)."""
    if len(identifier) <= MAX_ID_CHARS:
        return identifier
    return "sha256:" + hashlib.sha256(identifier.encode("utf-8", "replace")).hexdigest()


def _digest(message: EmailMessage, raw: bytes) -> str:
    """A stable id for a mail without Message-ID: who, when, what, and the body bytes."""
    head = "\n".join(header_text(message, name) for name in ("From", "To", "Date", "Subject"))
    _, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return hashlib.sha256(head.encode("utf-8", "replace") + b"\0" + body).hexdigest()


# -- threads ----------------------------------------------------------------------------


def thread_root(references: list[str], in_reply_to: str | None, message_id: str | None) -> str | None:
    """The conversation id: the first message of the thread as far as this mail knows it.

    A reply to one of our own letters that lost its References still finds the
    thread: our Message-IDs carry the conversation (see `reply_message_id`).
    """
    root = references[0] if references else in_reply_to or message_id
    if root is None:
        return None
    return conversation_in(root) or _fit(root)


def reply_message_id(conversation: str, domain: str, unique: str) -> str:
    """A Message-ID for our letter that names its conversation, e.g. <kefu.PGFiY0B4Pg.1f3a@shop.example>."""
    token = base64.urlsafe_b64encode(conversation.encode("utf-8")).decode("ascii").rstrip("=")
    if len(token) > 300:
        return f"<{THREAD_ID_PREFIX}{unique}@{domain}>"
    return f"<{THREAD_ID_PREFIX}{token}.{unique}@{domain}>"


def conversation_in(message_id: str) -> str | None:
    match = re.fullmatch(rf"<{re.escape(THREAD_ID_PREFIX)}([A-Za-z0-9_-]+)\.[0-9a-f]+@[^<>\s]+>", message_id)
    if not match:
        return None
    token = match.group(1)
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# -- people, dates, languages -----------------------------------------------------------


def _address(message: EmailMessage, name: str) -> tuple[str, str | None]:
    try:
        header = message.get(name)
        addresses = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
    except Exception:  # noqa: BLE001 - fall back to the lenient parser below
        addresses = []
    if not addresses:
        addresses = getaddresses([header_text(message, name)])
    for display, addr in addresses:
        addr = clean(addr).strip().lower()
        if _answerable(addr):
            name = " ".join("".join(ch for ch in clean(display) if ch.isprintable()).split())
            if "=?" in name:  # an encoded word too broken to decode: no name beats a garbled one
                name = ""
            return addr, name or None
    return "", None


def _answerable(addr: str) -> bool:
    """An address a letter can be sent to (mangled ones are treated as no address at all)."""
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        return False
    try:
        Address(addr_spec=addr)
    except Exception:  # noqa: BLE001 - headerregistry raises its defects as exceptions
        return False
    return True


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):  # "Date: soon", a year 99999999…
        return None


def _language(value: str) -> str | None:
    first = value.split(",")[0].strip()
    return first if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", first) else None


# -- bodies -----------------------------------------------------------------------------


def body_text(message: EmailMessage, defects: list[str] | None = None) -> tuple[str, bool]:
    """The readable text of a mail (plain preferred, else HTML converted) and whether it was HTML only."""
    try:
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except Exception:  # noqa: BLE001 - a broken MIME tree: read whatever text parts there are
        plain = html = None
    text = decoded(plain, defects) if plain is not None else ""
    if plain is not None and plain.get_param("format", "").lower() == "flowed":
        text = unflow(text, delsp=plain.get_param("delsp", "").lower() == "yes")
    if text.strip():
        return tidy(text), False
    if html is not None:
        return html_to_text(decoded(html, defects)), True
    if not message.is_multipart() and message.get_content_maintype() == "text":
        return tidy(decoded(message, defects)), False
    return "", False


def decoded(part: EmailMessage, defects: list[str] | None = None) -> str:
    """A text part's content in any charset; undeclared or wrong charsets are guessed, never fatal."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return clean(raw).replace("\r\n", "\n") if isinstance(raw, str) else ""
    declared = part.get_content_charset()
    for charset in (declared, "utf-8", "windows-1252"):
        if not charset:
            continue
        try:
            return payload.decode(_charset_alias(charset)).replace("\r\n", "\n")
        except (LookupError, ValueError):  # unknown charset, bytes not in it, or a NUL in its name
            if defects is not None and charset == declared:
                defects.append(f"undecodable charset {declared}")
    return payload.decode("latin-1").replace("\r\n", "\n")


def _charset_alias(charset: str) -> str:
    charset = charset.strip().strip('"').lower()
    # Mailers write these; Python knows them under another name (or as the superset senders mean).
    return {"gb2312": "gb18030", "gbk": "gb18030", "ks_c_5601-1987": "cp949", "x-mac-cyrillic": "mac_cyrillic",
            "unicode-1-1-utf-7": "utf-7", "iso-8859-8-i": "iso-8859-8", "windows-874": "cp874"}.get(charset, charset)


def attachments(message: EmailMessage) -> list[Attachment]:
    found: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001 - a broken Content-Disposition: the file is still there
            filename = None
        disposition = part.get_content_disposition()
        if filename is None and disposition != "attachment" and part.get_content_maintype() in ("text", "multipart"):
            continue
        if part.get_content_type() in ("message/delivery-status", "message/disposition-notification"):
            continue
        try:
            data = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            data = b""
        found.append(Attachment(clean(filename) if filename else None, part.get_content_type(), len(data), data))
    return found


def summary(mail: ParsedMail) -> dict[str, Any]:
    """What goes into Message.raw: the headers an agent or a later reply needs, not the whole mail."""
    return {
        "message_id": mail.message_id, "in_reply_to": mail.in_reply_to, "references": mail.references[-20:],
        "from": mail.header("From"), "reply_to": mail.reply_to, "to": mail.header("To"), "cc": mail.header("Cc"),
        "subject": mail.subject, "date": mail.header("Date"), "timezone": mail.timezone,
        "content_language": mail.language, "html_only": mail.html_only, "resent_quote": mail.resent_quote,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in mail.attachments],
        "body": mail.full_text[:MAX_RAW_TEXT], "defects": mail.defects[:20],
    }
