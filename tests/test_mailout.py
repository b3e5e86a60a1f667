"""Letters out: threaded, marked automatic, UTF-8, and handed to SMTP over STARTTLS, SSL or plain."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from adapters.email.out import SmtpConfig, SmtpError, SmtpSender, Thread, compose, reply_subject
from adapters.email.parse import parse_mail
from tests.channel_email_fixtures import SMTP_PASSWORD, SMTP_USER, client_tls, fake_smtp
from tests.mail_factories import BUYER, SHOP

AT = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("subject, expected", [
    ("Delivery", "Re: Delivery"), ("Re: Delivery", "Re: Delivery"), ("RE: Delivery", "RE: Delivery"),
    ("AW: Lieferung", "AW: Lieferung"), ("Ответ: Доставка", "Ответ: Доставка"), ("Re[2]: x", "Re[2]: x"),
    ("", "Re: your message"), ("Regarding my order", "Re: Regarding my order"),
])
def test_reply_subjects_never_double_the_prefix(subject, expected):
    assert reply_subject(subject) == expected


def test_our_letters_are_marked_automatic_and_utf8():
    thread = Thread("<root@example.es>", "ivan@example.ru", "Иван Петров", "Доставка", "<last@example.ru>",
                    ["<root@example.es>", "<mid@example.test>"])
    letter = compose(thread, "Здравствуйте, Иван!", sender=SHOP, sender_name="Sunrise Trading",
                     at=datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc), language="ru")
    assert letter["Auto-Submitted"] == "auto-replied"
    assert "OOF" in letter["X-Auto-Response-Suppress"]
    assert letter["References"] == "<root@example.es> <mid@example.test> <last@example.ru>"
    assert letter["Message-ID"].endswith("@example.test>")
    wire = letter.as_bytes()
    assert b"=?utf-8?" in wire  # the Russian name and subject are encoded for any mail server
    parsed = parse_mail(wire)
    assert parsed.text == "Здравствуйте, Иван!" and parsed.subject == "Re: Доставка"
    assert parsed.conversation == "<root@example.es>" and parsed.language == "ru"


def _letter() -> object:
    thread = Thread("<root@example.es>", BUYER, "Ana López", "Delivery", "<root@example.es>")
    return compose(thread, "Dear Ana López,\n\ndelivery takes 25–60 days.", sender=SHOP, sender_name="Sunrise Trading", at=AT)


@pytest.mark.parametrize("security", ["starttls", "ssl", "none"])
async def test_letters_go_out_over_each_kind_of_connection_with_a_login(security):
    with fake_smtp(security) as server:
        config = SmtpConfig("127.0.0.1", server.port, security, SMTP_USER, SMTP_PASSWORD, timeout=5)
        await SmtpSender(config, client_tls()).send(_letter())
        [sent] = server.sent
    assert sent.login == SMTP_USER and sent.rcpt_tos == [BUYER] and sent.mail_from == SHOP
    assert "25–60 days" in sent.letter.get_content()


async def test_a_wrong_password_is_a_clear_error_without_the_password():
    with fake_smtp("starttls") as server:
        config = SmtpConfig("127.0.0.1", server.port, "starttls", SMTP_USER, "not-the-password", timeout=5)
        with pytest.raises(SmtpError, match="cannot send mail via 127.0.0.1") as failure:
            await SmtpSender(config, client_tls()).send(_letter())
    assert "not-the-password" not in str(failure.value)
    assert "not-the-password" not in repr(config)


async def test_an_untrusted_certificate_is_refused():
    with fake_smtp("ssl") as server:
        config = SmtpConfig("127.0.0.1", server.port, "ssl", SMTP_USER, SMTP_PASSWORD, timeout=5)
        with pytest.raises(SmtpError, match="CERTIFICATE_VERIFY_FAILED"):
            await SmtpSender(config).send(_letter())  # the system's trust store does not know the test certificate
