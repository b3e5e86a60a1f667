"""Mail loops: automatic mail is recognised and never answered; a chatty sender is capped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adapters.mailguard import ReplyLimiter, automated
from adapters.mailparse import parse_mail
from tests.conftest import Clock
from tests.mail_factories import SHOP, auto_reply, bounce, list_mail, noreply_mail, plain_mail


@pytest.mark.parametrize("raw, reason", [
    (auto_reply(), "Auto-Submitted"),
    (plain_mail("Hi", headers={"Auto-Submitted": "auto-generated; owner-email=x@example.com"}), "Auto-Submitted"),
    (plain_mail("Hi", headers={"Precedence": "junk"}), "Precedence"),
    (plain_mail("Hi", headers={"List-Unsubscribe": "<https://example.com/u>"}), "mailing list"),
    (list_mail(), "Precedence"),
    (bounce(), "bounce"),
    (plain_mail("Hi", headers={"Content-Type": "multipart/report; report-type=disposition-notification"}), "report"),
    (noreply_mail(), "cannot receive answers"),
    (plain_mail("Hi", sender="DoNotReply@shop.example.com"), "cannot receive answers"),
    (plain_mail("Hi", sender="mailer-daemon@mx.example.com"), "cannot receive answers"),
    (plain_mail("Hi", sender=SHOP), "own address"),
    (plain_mail("I am away until Monday", "Out of Office: Question"), "automatic subject"),
    (plain_mail("Ich bin nicht im Büro", "Automatische Antwort: Frage"), "automatic subject"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_automatic_mail_is_recognised(raw, reason):
    assert reason in (automated(parse_mail(raw), SHOP) or "")


@pytest.mark.parametrize("raw", [
    plain_mail("How long does delivery take?", headers={"Auto-Submitted": "no"}),
    plain_mail("How long does delivery take?", headers={"X-Auto-Response-Suppress": "All"}),  # Exchange sets it on people's mail
    plain_mail("Where is my parcel?", "Out of stock item?", sender="replyhere@example.com"),
    plain_mail("Where is my parcel?", sender="noreen@example.com"),
])
def test_people_are_answered(raw):
    assert automated(parse_mail(raw), SHOP) is None


def test_one_sender_gets_at_most_n_answers_an_hour():
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc))
    limiter = ReplyLimiter(per_hour=2, clock=clock)
    assert [limiter.allow("ana@example.es") for _ in range(3)] == [True, True, False]
    assert limiter.allow("ivan@example.ru")  # others are not affected
    assert not limiter.allow("ANA@example.es")
    clock.now += timedelta(minutes=61)
    assert limiter.allow("ana@example.es")
