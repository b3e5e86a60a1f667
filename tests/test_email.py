"""The e-mail channel end to end: mail into a real Dovecot, letters out through a real SMTP server.

Buyers' mail is delivered with IMAP APPEND; kefu's letters are caught by an
in-process aiosmtpd. The pipeline is the real one on SQLite.
"""

from __future__ import annotations

import asyncio

from datetime import timedelta, timezone, datetime

import pytest

from adapters.base import Unreachable
from adapters.email import EmailChannel
from adapters.email.imap import HANDLED, SKIPPED, Mailbox
from adapters.env import SettingsError
from adapters.email.config import EmailConfigError, EmailSettings
from tests.channel_email_fixtures import SMTP_USER, dovecot, email_bot, email_pins, imap, make_channel, poll_once, smtp  # noqa: F401
from tests.channel_fixtures import running
from tests.mail_factories import (
    BUYER, SHOP, auto_reply, bounce, html_mail, list_mail, new_message_id, noreply_mail, outlook_reply, plain_mail,
    reply_mail,
)

DELIVERY_QUESTION = "Hello,\n\nHow long does delivery take to Spain?\n\nThanks,\nAna"


def body(letter) -> str:
    return letter.get_content()


async def test_a_question_by_mail_gets_a_full_threaded_letter(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp)
    message_id = new_message_id()
    async with running(channel):  # already watching (IDLE) when the mail arrives
        uid = await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain", message_id=message_id))
        [letter] = await smtp.wait(1)
        for _ in range(100):  # the mail is flagged just after the letter goes out: wait for it before stopping
            if HANDLED in await imap.flags(uid):
                break
            await asyncio.sleep(0.05)
    text = body(letter)
    assert text.startswith("Dear Ana López,")
    assert "25–60 days" in text
    assert "Kind regards" in text and "Sunrise Trading" in text.splitlines()[-1]
    assert letter["To"].addresses[0].addr_spec == BUYER
    assert letter["From"].addresses[0].addr_spec == SHOP
    assert letter["Subject"] == "Re: Delivery to Spain"
    assert letter["In-Reply-To"] == message_id and letter["References"] == message_id
    assert letter["Auto-Submitted"] == "auto-replied"
    assert letter.get_content_charset() == "utf-8"
    assert smtp.sent[0].login == SMTP_USER and smtp.sent[0].rcpt_tos == [BUYER]
    assert {"\\Seen", HANDLED} <= await imap.flags(uid)
    [message] = email_bot.handle.messages
    assert (message.conversation, message.external_id, message.subject) == (message_id, message_id, "Delivery to Spain")
    assert message.text == "Hello,\n\nHow long does delivery take to Spain?\n\nThanks,\nAna"
    assert message.raw["timezone"] == "+01:00"  # the buyer's Date header: Madrid in winter


async def test_an_html_only_mail_is_read_as_text(imap, smtp, email_bot):
    html = "<html><body><div>Hi!</div><div>How long does delivery take to <b>Spain</b>?&nbsp;</div></body></html>"
    await imap.deliver(html_mail(html, "Delivery"))
    assert await poll_once(make_channel(email_bot, imap, smtp)) == 1
    [message] = email_bot.handle.messages
    assert message.text == "Hi!\nHow long does delivery take to Spain?"
    assert message.raw["html_only"] is True
    [letter] = smtp.letters()
    assert "25–60 days" in body(letter)


async def test_a_reply_is_answered_for_its_new_text_only(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp)
    first = new_message_id()
    await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain", message_id=first))
    await poll_once(channel)
    [ours] = smtp.letters()
    # The buyer answers our letter; the quote below mentions delivery, the new question is about paying.
    await imap.deliver(reply_mail("Thank you! Can I pay with Western Union?", body(ours), root=first,
                                  parent=ours["Message-ID"], subject="Re: Delivery to Spain"))
    await poll_once(channel)
    second = email_bot.handle.messages[1]
    assert second.text == "Thank you! Can I pay with Western Union?"
    assert second.conversation == first  # the thread root
    assert email_bot.handle.replies[1].intent == "payment_methods"
    letter = smtp.letters()[1]
    assert "Western Union" in body(letter) and "25–60" not in body(letter)
    assert letter["Subject"] == "Re: Delivery to Spain"  # no "Re: Re:"
    assert letter["References"].split() == [first, ours["Message-ID"], second.external_id]


async def test_an_outlook_reply_without_references_stays_in_its_thread(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp)
    first = new_message_id()
    await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain", message_id=first))
    await poll_once(channel)
    [ours] = smtp.letters()
    # Only In-Reply-To, pointing at our letter: our Message-ID carries the conversation.
    await imap.deliver(outlook_reply("Do you accept Western Union?", body(ours), root=ours["Message-ID"]))
    await poll_once(channel)
    assert email_bot.handle.messages[1].conversation == first
    assert email_bot.handle.messages[1].text == "Do you accept Western Union?"


async def test_a_russian_buyer_gets_a_russian_letter(imap, smtp, email_bot):
    moscow = datetime(2026, 11, 24, 9, 0, tzinfo=timezone(timedelta(hours=3)))
    await imap.deliver(plain_mail(
        "Здравствуйте! Сколько идёт доставка в Испанию?", "Доставка", sender="ivan@example.ru", name="Иван Петров",
        at=moscow, headers={"Content-Language": "ru"},
    ))
    await poll_once(make_channel(email_bot, imap, smtp))
    [letter] = smtp.letters()
    text = body(letter)
    assert email_bot.handle.replies[0].language == "ru"
    assert "25–60" in text and "Иван Петров" in text
    assert sum("а" <= ch <= "я" for ch in text.lower()) > 50  # a Russian letter, not an English one
    assert letter["Subject"] == "Re: Доставка" and letter["Content-Language"] == "ru"
    assert email_bot.handle.messages[0].timezone == "+03:00"
    conversation = await email_bot.store.find_conversation("email", email_bot.handle.messages[0].conversation)
    assert conversation.timezone == "+03:00"  # out of hours, this buyer is told the time in Moscow


@pytest.mark.parametrize("raw", [auto_reply, list_mail, bounce, noreply_mail], ids=lambda f: f.__name__)
async def test_automatic_mail_is_never_answered(imap, smtp, email_bot, raw):
    uid = await imap.deliver(raw())
    assert await poll_once(make_channel(email_bot, imap, smtp)) == 0
    assert smtp.letters() == [] and email_bot.handle.messages == []
    flags = await imap.flags(uid)
    assert {HANDLED, SKIPPED} <= flags and "\\Seen" not in flags  # left unread for people, never fetched again
    [kept] = await email_bot.store.messages()  # kept for agents, with the reason, never as answered
    assert (kept.direction, kept.status, kept.flags[0]) == ("in", "machine", "machine")
    assert kept.raw["decision"]["reason"]


async def test_agents_see_the_mail_kefu_did_not_answer_and_why(imap, smtp, email_bot, tmp_path):
    from typer.testing import CliRunner

    from bot.cli import app

    await imap.deliver(bounce())
    await imap.deliver(plain_mail("You have a new message from a buyer.", "New message", sender="ebay@ebay.com",
                                  headers={"X-eBay-Mail-Type": "MemberMessage"}))
    await poll_once(make_channel(email_bot, imap, smtp))
    result = await asyncio.to_thread(
        CliRunner().invoke, app, ["unanswered-mail", "--db", f"sqlite:///{tmp_path / 'kefu.db'}"], env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "bounce" in result.output and "multipart/report" in result.output
    assert "notification" in result.output and "X-eBay-Mail-Type" in result.output


async def test_the_same_mail_twice_is_answered_once(imap, smtp, email_bot):
    raw = plain_mail(DELIVERY_QUESTION, "Delivery to Spain")
    first, second = await imap.deliver(raw), await imap.deliver(raw)  # delivered twice (a retrying MTA)
    await poll_once(make_channel(email_bot, imap, smtp))
    assert len(smtp.letters()) == 1
    assert HANDLED in await imap.flags(first) and HANDLED in await imap.flags(second)


async def test_a_restart_before_flagging_sends_nothing_twice(imap, smtp, email_bot):
    uid = await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain"))
    await poll_once(make_channel(email_bot, imap, smtp))
    async with Mailbox(imap.config()) as box:  # the crash: answered, but the flag never got there
        await box.unmark(uid)
    restarted = make_channel(email_bot, imap, smtp)  # a new process: nothing in memory
    await poll_once(restarted)
    assert len(smtp.letters()) == 1
    assert len(email_bot.handle.messages) == 2 and email_bot.handle.replies[1].duplicate  # the first answer, not a new one
    assert HANDLED in await imap.flags(uid)
    assert len([m for m in await email_bot.store.messages() if m.direction == "in"]) == 1


async def test_answers_to_one_sender_are_rate_limited(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp, max_replies_per_hour=2)
    questions = ["How long does delivery take to Spain?", "Can I pay with Visa?", "Do you ship to Spain?"]
    for question in questions:
        await imap.deliver(plain_mail(question, question))
    await poll_once(channel)
    assert len(smtp.letters()) == 2
    assert len(email_bot.handle.messages) == 3  # the third is still stored and processed
    email_bot.clock.now += timedelta(minutes=61)
    await imap.deliver(plain_mail("When will you send my order?", "Dispatch"))
    await poll_once(channel)
    assert len(smtp.letters()) == 3


async def test_broken_mail_never_stops_the_mailbox(imap, smtp, email_bot):
    junk = bytes(range(256)) * 8
    broken = (
        b"From: =?x-unknown?B?!!!?= <buyer@example.com\r\nDate: yesterday-ish\r\nSubject: =?utf-8?B?####?=\r\n"
        b"Content-Type: multipart/mixed\r\nContent-Transfer-Encoding: base64\r\n\r\n\xff\xfe not base64 at all \x00\r\n"
    )
    odd_charset = plain_mail("How long does delivery take to Spain?", "Delivery").replace(b"utf-8", b"x-no-such-charset")
    uids = [await imap.deliver(raw) for raw in (junk, broken, odd_charset)]
    good = await imap.deliver(plain_mail("Can I pay with Western Union?", "Paying"))
    await poll_once(make_channel(email_bot, imap, smtp))
    assert any("Western Union" in body(letter) for letter in smtp.letters())
    for uid in [*uids, good]:
        assert HANDLED in await imap.flags(uid)


async def test_an_agent_letter_finds_its_thread_after_a_restart(imap, smtp, email_bot):
    first = new_message_id()
    await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain", message_id=first))
    await poll_once(make_channel(email_bot, imap, smtp))
    restarted = make_channel(email_bot, imap, smtp)
    await restarted.send_text(first, "Dear Ana,\n\nyour parcel left today.\n\nLina", by_person=True)
    letter = smtp.letters()[-1]
    assert letter["In-Reply-To"] == first and letter["Subject"] == "Re: Delivery to Spain"
    assert letter["To"].addresses[0].addr_spec == BUYER and "Auto-Submitted" not in letter
    with pytest.raises(Unreachable, match="no mail of conversation"):  # the outbox gives it to people
        await restarted.send_text("<unknown@example.com>", "hello")


def test_settings_come_from_the_environment_and_hide_passwords():
    env = {
        "KEFU_IMAP_HOST": "imap.example.com", "KEFU_IMAP_USER": "shop@example.com", "KEFU_IMAP_PASSWORD": "imap-secret",
        "KEFU_IMAP_SECURITY": "starttls", "KEFU_SMTP_HOST": "smtp.example.com", "KEFU_SMTP_SECURITY": "ssl",
        "KEFU_SMTP_PASSWORD": "smtp-secret", "KEFU_EMAIL_ADDRESS": "shop@example.com", "KEFU_EMAIL_POLL_SECONDS": "30",
    }
    settings = EmailSettings.from_env(env)
    assert (settings.imap_port, settings.imap_starttls, settings.imap_ssl) == (143, True, False)
    assert (settings.smtp_port, settings.smtp().user, settings.poll_seconds) == (465, "shop@example.com", 30.0)
    assert "secret" not in repr(settings) + repr(settings.smtp()) + repr(settings.imap())
    with pytest.raises(EmailConfigError, match="KEFU_SMTP_HOST"):
        EmailSettings.from_env({k: v for k, v in env.items() if k != "KEFU_SMTP_HOST"})
    with pytest.raises(SettingsError, match="KEFU_IMAP_SECURITY"):
        EmailSettings.from_env({**env, "KEFU_IMAP_SECURITY": "tls"})


def test_the_channel_answers_with_letters():
    assert EmailChannel.style.value == "letter" and EmailChannel.name == "email"


async def test_a_colleagues_letter_is_a_note_that_changes_nothing_about_the_buyer(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp)
    first = new_message_id()
    await imap.deliver(plain_mail(DELIVERY_QUESTION, "Delivery to Spain", message_id=first))
    await poll_once(channel)
    before = await email_bot.store.find_conversation("email", first)
    tokyo = datetime(2026, 11, 24, 18, 0, tzinfo=timezone(timedelta(hours=9)))
    uid = await imap.deliver(plain_mail("Ich habe die Kundin angerufen, das Paket ist beim Zoll.", "Re: Delivery to Spain",
                                        sender="lina@example.test", name="Lina", at=tokyo, headers={"References": first, "In-Reply-To": first, "Cc": SHOP}))
    assert await poll_once(channel) == 0
    assert len(smtp.letters()) == 1  # only the buyer's answer
    after = await email_bot.store.find_conversation("email", first)
    assert (after.language, after.timezone, after.buyer) == (before.language, before.timezone, BUYER)
    note = [m for m in await email_bot.store.messages(after.id) if m.direction == "note"]
    assert [n.text for n in note] == ["Ich habe die Kundin angerufen, das Paket ist beim Zoll."]
    assert note[0].raw["decision"]["kind"] == "colleague"
    assert "\\Seen" not in await imap.flags(uid)


async def test_a_photo_alone_is_stored_and_gets_the_a_person_will_look_letter(imap, smtp, email_bot):
    from tests.mail_factories import with_attachment

    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
    await imap.deliver(with_attachment(None, "../../etc/damage.jpg", photo, "image", "jpeg"))
    await imap.deliver(with_attachment(None, "huge.pdf", b"%PDF" + b"0" * 3000, "application", "pdf", subject="Invoice"))
    await poll_once(make_channel(email_bot, imap, smtp, attachment_max_bytes=2000))
    first, second = smtp.letters()
    assert "colleague" in body(first) and "colleague" in body(second)
    stored, too_big = (m.raw["attachments"][0] for m in email_bot.handle.messages)
    assert stored["path"].startswith(str(email_bot.files)) and stored["path"].endswith("-damage.jpg")
    with open(stored["path"], "rb") as saved:
        assert saved.read() == photo
    assert "path" not in too_big and "2000 bytes" in too_big["not_stored"]


async def test_content_language_is_the_language_the_letter_is_written_in(imap, smtp, email_bot):
    # Swedish is not among the reviewed answers and the translator is off: the letter goes out in English
    await imap.deliver(plain_mail("Hur lång tid tar leveransen till Sverige? Tack på förhand för ert svar.",
                                  "Leverans", headers={"Content-Language": "sv"}))
    # Dutch is reviewed: the letter is written in Dutch and says so
    await imap.deliver(plain_mail("Hoe lang duurt de verzending naar Nederland? Alvast bedankt voor uw antwoord.",
                                  "Verzending", headers={"Content-Language": "nl"}))
    await poll_once(make_channel(email_bot, imap, smtp))
    letters = {letter["Subject"].removeprefix("Re: "): letter for letter in smtp.letters()}  # either may go out first
    swedish, dutch = letters["Leverans"], letters["Verzending"]
    assert "Dear" in body(swedish) and swedish["Content-Language"] == "en"
    assert "Beste" in body(dutch) and "Met vriendelijke groet" in body(dutch) and dutch["Content-Language"] == "nl"


async def test_a_spammers_attachment_never_reaches_the_disk(imap, smtp, email_bot):
    from tests.mail_factories import with_attachment

    await imap.deliver(with_attachment("Open the invoice", "invoice.exe", b"MZ" + b"0" * 100, "application", "octet-stream",
                                       subject="Invoice", headers={"X-Spam-Flag": "YES"}))
    await poll_once(make_channel(email_bot, imap, smtp))
    [kept] = await email_bot.store.messages()
    assert kept.raw["decision"]["kind"] == "spam"
    assert kept.raw["attachments"] == [{"filename": "invoice.exe", "content_type": "application/octet-stream", "size": 102,
                                        "not_stored": "spam mail"}]
    assert not email_bot.files.exists()
