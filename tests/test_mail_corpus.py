"""The e-mail corpus through a real Dovecot: machines never answered, buyers answered once, their words found.

tests/data/mail holds raw mails written for these tests (clients, charsets, languages, every kind of
machine, colleagues, inline replies); index.yaml says what each one is and what its sender wrote.
bench/mail.py prints the same figures.
"""

from __future__ import annotations

from tests.channel_email_fixtures import dovecot, email_bot, email_pins, imap, make_channel, smtp  # noqa: F401
from tests.mail_corpus import figures, index, run_corpus


def test_the_corpus_covers_clients_machines_and_colleagues():
    kinds = {entry["kind"] for entry in index()}
    assert len(index()) >= 40
    assert {"buyer", "colleague", "spam", "bounce", "auto-reply", "list", "notification", "no-reply"} <= kinds


async def test_machines_are_kept_unanswered_and_buyers_answered_once_with_their_own_words(imap, smtp, email_bot):
    channel = make_channel(email_bot, imap, smtp, max_replies_per_hour=100)
    outcomes = await run_corpus(channel, imap, smtp, email_bot.store)
    for outcome in outcomes:
        assert outcome.kind == outcome.expected_kind, (outcome.file, outcome.reason)
        assert outcome.reason, outcome.file
        if outcome.expected_kind == "buyer":
            assert outcome.threaded, (outcome.file, len(outcome.letters))
            assert outcome.text == outcome.expected_text, outcome.file
        else:
            assert outcome.letters == [], outcome.file
            assert "\\Seen" not in outcome.flags, outcome.file  # left unread for people
            assert (outcome.direction, outcome.status) == (
                ("note", "note") if outcome.expected_kind == "colleague" else ("in", "machine")
            ), outcome.file
    numbers = figures(outcomes)
    assert numbers["machine mails answered"] == 0 and numbers["colleague letters answered"] == 0

