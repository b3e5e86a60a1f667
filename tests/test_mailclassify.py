"""Who wrote a mail: buyers are answered; machines never are; a colleague's letter is a note. A chatty sender is capped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from adapters.email.classify import MailRules, ReplyLimiter, classify
from adapters.email.parse import parse_mail
from tests.conftest import Clock
from tests.mail_factories import SHOP, auto_reply, bounce, list_mail, noreply_mail, plain_mail, reply_mail

RULES = MailRules(SHOP, spam_header="X-Rspamd-Score", spam_threshold=6)


def verdict(raw: bytes, rules: MailRules = RULES):
    mail = parse_mail(raw)
    return classify(mail, rules, mail.own_text)


@pytest.mark.parametrize("raw, kind, reason", [
    (auto_reply(), "auto-reply", "Auto-Submitted: auto-replied"),
    (plain_mail("Hi", headers={"Auto-Submitted": "auto-generated; owner-email=x@example.com"}), "auto-reply", "RFC 3834"),
    (plain_mail("Away", headers={"X-Auto-Response-Suppress": "All"}), "auto-reply", "X-Auto-Response-Suppress"),
    (plain_mail("Hi", headers={"Precedence": "junk"}), "list", "Precedence: junk"),
    (plain_mail("Hi", headers={"List-Unsubscribe": "<https://example.com/u>"}), "list", "List-Unsubscribe"),
    (list_mail(), "list", "Precedence: bulk"),
    (bounce(), "bounce", "multipart/report"),
    (plain_mail("Hi", headers={"Return-Path": "<>"}), "bounce", "empty Return-Path"),
    (plain_mail("Hi", sender="mailer-daemon@mx.example.com"), "bounce", "MAILER-DAEMON".lower()),
    (noreply_mail(), "no-reply", "cannot receive answers"),
    (plain_mail("Hi", sender="DoNotReply@shop.example.com"), "no-reply", "DoNotReply".lower()),
    (plain_mail("Pedido", sender="naoresponda@loja.example.com.br"), "no-reply", "naoresponda"),
    (plain_mail("Colis", sender="ne_pas_repondre@poste.example.fr"), "no-reply", "ne_pas_repondre"),
    (plain_mail("Pedido", sender="no-responder@tienda.example.es"), "no-reply", "no-responder"),
    (plain_mail("Paket", sender="nicht-antworten@versand.example.de"), "no-reply", "nicht-antworten"),
    (plain_mail("Paczka", sender="nieodpowiadac@sklep.example.pl"), "no-reply", "nieodpowiadac"),
    (plain_mail("Hi", sender=SHOP), "own", "own address"),
    (plain_mail("I am away until Monday", "Out of Office: Question"), "auto-reply", "automatic subject"),
    (plain_mail("Ich bin nicht im Büro", "AW: Automatische Antwort: Frage"), "auto-reply", "automatic subject"),
    (plain_mail("我正在休假", "自动回复：运费"), "auto-reply", "automatic subject"),
    (plain_mail("New message", sender="ebay@ebay.com", headers={"X-eBay-Mail-Type": "MemberMessage"}), "notification", "X-eBay"),
    (plain_mail("Ship now", sender="seller-notification@amazon.com"), "notification", "amazon.com"),
    (plain_mail("New order", sender="service@notice.aliexpress.com"), "notification", "aliexpress"),
    (plain_mail("Statement", sender="info@bank.example", headers={"Feedback-ID": "1:2:3"}), "notification", "Feedback-ID"),
    (plain_mail("新消息", sender="service@market.example.com", headers={"Return-Path": "<bounce+x1=shop=example.test@market.example.com>"}),
     "notification", "return path"),
    (plain_mail("您有一条新的买家消息。\n\n请勿回复此邮件。", sender="service@market.example.com"), "notification", "请勿回复"),
    (plain_mail("Ihre Bestellung ist unterwegs.\nBitte antworten Sie nicht auf diese E-Mail."), "notification", "do not reply"),
    (plain_mail("Votre commande est expédiée. Merci de ne pas répondre à ce message."), "notification", "do not reply"),
    (plain_mail("Заказ отправлен. Пожалуйста, не отвечайте на это письмо."), "notification", "do not reply"),
    (plain_mail("Send money", headers={"X-Spam-Flag": "YES", "Reply-To": "scam@example.biz"}), "spam", "X-Spam-Flag"),
    (plain_mail("Watches", headers={"X-Spam-Status": "Yes, score=9.1 required=5.0"}), "spam", "X-Spam-Status"),
    (plain_mail("Watches", headers={"X-Rspamd-Score": "7.5"}), "spam", "7.5 ≥ 6"),
    (plain_mail("Watches", headers={"X-Spam": "Yes"}), "spam", "X-Spam: yes"),
    (plain_mail("Watches", headers={"X-MS-Exchange-Organization-SCL": "9"}), "spam", "SCL: 9"),
    (plain_mail("Customs called", sender="lina@example.test"), "colleague", "lina@example.test"),
    (plain_mail("Customs called", sender="lina@example.test", headers={"Reply-To": SHOP}), "colleague", "lina@example.test"),
    (plain_mail("Win a prize", sender="x@example.biz", headers={"Reply-To": SHOP}), "own", "Reply-To"),
    (plain_mail("Check 1047", sender="lina@private.example", message_id="<abc@mx.example.test>"), "colleague", "Message-ID"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_every_mail_gets_one_decision_with_its_reason(raw, kind, reason):
    found = verdict(raw)
    assert found.kind == kind and reason.lower() in found.reason.lower()
    assert not found.answer


@pytest.mark.parametrize("raw", [
    plain_mail("How long does delivery take?", headers={"Auto-Submitted": "no"}),
    plain_mail("Where is my parcel?", "Out of stock item?", sender="replyhere@example.com"),
    plain_mail("Where is my parcel?", sender="noreen@example.com"),
    plain_mail("Is it cotton?", headers={"X-Rspamd-Score": "3.2", "X-Spam-Status": "No, score=3.2", "X-Spam": "No"}),
    plain_mail("Is it cotton?", headers={"X-MS-Exchange-Organization-SCL": "1"}),
    plain_mail("Where is my parcel?", sender="ana@mail.example.es"),
    # angry or puzzled buyers write about replies and automatic mails too
    plain_mail("You do not reply to my messages! Where is my order?"),
    plain_mail("I never got the automatic e-mail with the tracking number."),
    plain_mail("لماذا لا ترد على رسائلي؟"),
    plain_mail("没有收到系统自动发送的邮件，请问我的订单发货了吗？"),
    plain_mail("Dlaczego nie odpowiadają Państwo na moje wiadomości?"),
    plain_mail("My parcel never arrived", "Undelivered parcel"),
    plain_mail("Waar blijft mijn pakket?", "Niet bezorgd pakket"),
    plain_mail("Where is it?", "Absent item in my order"),
    # the mailbox forwards (Gmail's +caf_=, SRS): the rewritten return path says nothing about the sender
    plain_mail("Is it cotton?", headers={"Return-Path": "<shop+caf_=kefu=example.test@gmail.com>"}),
    plain_mail("Is it cotton?", headers={"Return-Path": "<SRS0=ab12=XY=example.es=ana.lopez@forwarder.example>"}),
    # the "do not reply" line is in the quoted notice the buyer answers, not in her own words
    reply_mail("Why was my order cancelled?", "Your order was cancelled.\nPlease do not reply to this e-mail.",
               root="<r@x.example>", parent="<p@x.example>"),
])
def test_people_are_answered(raw):
    found = verdict(raw)
    assert found.answer and found.kind == "buyer", found


def test_the_shops_domains_are_configured():
    raw = plain_mail("Please check order 1047", sender="lina@sunrise-trading.example")
    assert verdict(raw).answer
    assert verdict(raw, MailRules(SHOP, domains=("example.test", "sunrise-trading.example"))).kind == "colleague"


def test_a_shop_at_a_public_mail_provider_does_not_make_every_buyer_a_colleague():
    raw = plain_mail("Is it cotton?", sender="ana.lopez@gmail.com", message_id="<CA+abc@mail.gmail.com>")
    assert verdict(raw, MailRules("sunrise.shop@gmail.com")).kind == "buyer"


def test_one_sender_gets_at_most_n_answers_an_hour():
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc))
    limiter = ReplyLimiter(per_hour=2, clock=clock)
    assert [limiter.allow("ana@example.es") for _ in range(3)] == [True, True, False]
    assert limiter.allow("ivan@example.ru")  # others are not affected
    assert not limiter.allow("ANA@example.es")
    clock.now += timedelta(minutes=61)
    assert limiter.allow("ana@example.es")
