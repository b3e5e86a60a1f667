"""Raw e-mails as real clients send them, built by small factories instead of pasted blobs.

Each returns bytes, exactly what an IMAP server would hand over: `plain_mail`
for a simple question, `html_mail` for an HTML-only letter, `reply_mail` for a
Gmail-style answer quoting earlier mail, `auto_reply`/`bounce`/`list_mail` for
what must never be answered.
"""

from __future__ import annotations

import itertools
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

SHOP = "shop@example.test"
BUYER = "ana.lopez@example.es"
BUYER_NAME = "Ana López"
_ids = itertools.count(1)

# Tuesday, 10:15 in Madrid (UTC+01:00 in November)
SENT_AT = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=1)))


def new_message_id(domain: str = "mail.example.es") -> str:
    return f"<m{next(_ids)}.{id(object())}@{domain}>"


def _envelope(
    subject: str,
    *,
    sender: str = BUYER,
    name: str | None = BUYER_NAME,
    to: str = SHOP,
    message_id: str | None = "new",
    at: datetime = SENT_AT,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = Address(display_name=name or "", addr_spec=sender)
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at)
    if message_id:
        mail["Message-ID"] = new_message_id() if message_id == "new" else message_id
    return mail


def _finish(mail: EmailMessage, headers: dict[str, str] | None) -> bytes:
    """Extra headers go on last: set_content() drops every Content-* header set before it."""
    for key, value in (headers or {}).items():
        if key in mail:
            mail.replace_header(key, value)
        else:
            mail[key] = value
    return mail.as_bytes()


def plain_mail(text: str, subject: str = "Question", *, charset: str = "utf-8", headers: dict[str, str] | None = None, **kw) -> bytes:
    mail = _envelope(subject, **kw)
    mail.set_content(text, charset=charset)
    return _finish(mail, headers)


def html_mail(html: str, subject: str = "Question", **kw) -> bytes:
    mail = _envelope(subject, **kw)
    mail.set_content(html, subtype="html")
    return mail.as_bytes()


def alternative_mail(text: str, html: str, subject: str = "Question", **kw) -> bytes:
    mail = _envelope(subject, **kw)
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    return mail.as_bytes()


def with_attachment(text: str | None, filename: str, data: bytes, maintype: str, subtype: str, **kw) -> bytes:
    headers = kw.pop("headers", None)
    mail = _envelope(kw.pop("subject", "Photos"), **kw)
    if text:
        mail.set_content(text)
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return _finish(mail, headers)


def reply_mail(new: str, quoted_from: str, *, root: str, parent: str, subject: str = "Re: Question", **kw) -> bytes:
    """A Gmail-style reply: the new text, the attribution line, the earlier letter quoted with "> "."""
    quote = "\n".join(f"> {line}" if line else ">" for line in quoted_from.splitlines())
    body = f"{new}\n\nOn Mon, 23 Nov 2026 at 11:02, Sunrise Trading <{SHOP}> wrote:\n\n{quote}\n"
    headers = {"In-Reply-To": parent, "References": f"{root} {parent}" if root != parent else root}
    headers.update(kw.pop("headers", {}))
    return plain_mail(body, subject, headers=headers, **kw)


def outlook_reply(new: str, earlier: str, *, root: str, subject: str = "RE: Question", **kw) -> bytes:
    body = (
        f"{new}\n\n-----Original Message-----\nFrom: Sunrise Trading <{SHOP}>\nSent: Monday, November 23, 2026 11:02 AM\n"
        f"To: {BUYER_NAME} <{BUYER}>\nSubject: Re: Question\n\n{earlier}\n"
    )
    return plain_mail(body, subject, headers={"In-Reply-To": root, "References": root}, **kw)


def auto_reply(**kw) -> bytes:
    headers = {"Auto-Submitted": "auto-replied", **kw.pop("headers", {})}
    return plain_mail("I am out of the office until Monday. How long does delivery take? I will answer then.",
                      "Automatic reply: Question", headers=headers, **kw)


def list_mail(**kw) -> bytes:
    headers = {"List-Id": "<deals.example.com>", "List-Unsubscribe": "<mailto:unsub@example.com>", "Precedence": "bulk"}
    return plain_mail("Big sale! How long does delivery take? Click here.", "Weekly deals", headers=headers,
                      sender="news@example.com", name="Deals", **kw)


def bounce(original_to: str = BUYER) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix writes it: MAILER-DAEMON, empty Return-Path."""
    return f"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.example.test>
To: {SHOP}
Subject: Undelivered Mail Returned to Sender
Date: Tue, 24 Nov 2026 10:20:00 +0100
Message-ID: {new_message_id("mx.example.test")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered to {original_to}.
How long does delivery take? (quoted from the original)

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; {original_to}
Action: failed
Status: 5.1.1

--B0UND--
""".replace("\n", "\r\n").encode("ascii")


def noreply_mail() -> bytes:
    return plain_mail("Your parcel is on its way. How long does delivery take? See tracking.", "Shipping update",
                      sender="no-reply@carrier.example.com", name="Carrier")
