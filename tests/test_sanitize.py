"""Storage never fails on input: what the columns cannot hold is fitted, noted, and the original kept."""

import dataclasses
import json
from datetime import datetime, timedelta, timezone

from adapters.email.channel import to_message
from adapters.email.parse import parse_mail
from bot.message import Kind
from bot.store.database import Store
from bot.store.models import Conversation, StoredMessage
from bot.store.sanitize import LIMITS, MAX_STORED_CHARS, fit_message
from tests.factories import buyer_message
from tests.mail_factories import plain_mail

AT = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def test_the_limits_are_the_columns_own():
    assert LIMITS["sender_name"] == Conversation.buyer_name.property.columns[0].type.length == 255
    assert LIMITS["language_hint"] == StoredMessage.language.property.columns[0].type.length == 16
    assert (LIMITS["channel"], LIMITS["timezone"], LIMITS["country"]) == (32, 64, 2)
    assert LIMITS["text"] == MAX_STORED_CHARS  # an unbounded column: the store's own maximum


def test_a_message_that_fits_comes_back_untouched():
    message = buyer_message("where is my order?", name="Ana", hint="es-MX")
    fitted = fit_message(message)
    assert fitted.message is message and fitted.notes == ()


def test_over_long_values_are_cut_with_a_note():
    message = dataclasses.replace(
        buyer_message("hi", name="N" * 300, hint="en-" + "x" * 40), timezone="Z" * 100, subject="S" * 300_000,
    )
    fitted = fit_message(message)
    assert fitted.message.sender_name == "N" * 255
    assert fitted.message.language_hint == ("en-" + "x" * 40)[:16]
    assert len(fitted.message.timezone) == 64 and len(fitted.message.subject) == MAX_STORED_CHARS
    assert "sender_name: cut from 300 to 255 characters" in fitted.notes
    assert "language_hint: cut from 43 to 16 characters" in fitted.notes


def test_over_long_ids_stay_unique_when_cut():
    long_a, long_b = "chat-" + "a" * 300 + "-1", "chat-" + "a" * 300 + "-2"
    a = fit_message(buyer_message("hi", conversation=long_a, external_id=long_a)).message
    b = fit_message(buyer_message("hi", conversation=long_b, external_id=long_b)).message
    assert len(a.conversation) == len(a.external_id) == 255
    assert a.conversation != b.conversation and a.external_id != b.external_id
    assert fit_message(buyer_message("hi", conversation=long_a)).message.conversation == a.conversation  # stable


def test_nul_and_lone_surrogates_are_replaced():
    message = buyer_message("hi \ud800 there", sender="tg\x00user", name="Ana\udcff")
    fitted = fit_message(message)
    fields = (fitted.message.text, fitted.message.sender, fitted.message.sender_name)
    assert fields == ("hi \ufffd there", "tg\ufffduser", "Ana\ufffd")
    assert "text: NUL or lone surrogate characters replaced by U+FFFD" in fitted.notes
    assert fit_message(buyer_message("a whole emoji \ud83d\ude00")).message.text == "a whole emoji \U0001F600"


def test_a_country_that_is_no_code_is_dropped_not_cut_into_another():
    fitted = fit_message(dataclasses.replace(buyer_message("hi"), country="Germany"))
    assert fitted.message.country is None  # "GE" would be Georgia
    assert fit_message(dataclasses.replace(buyer_message("hi"), country="de")).notes == ()


def test_wrong_types_from_a_channel_become_text_or_nothing():
    message = dataclasses.replace(buyer_message("hi"), sender=42, language_hint=[], timezone=5, kind="photo")
    fitted = fit_message(message)
    assert (fitted.message.sender, fitted.message.language_hint, fitted.message.timezone) == ("42", None, None)
    assert fitted.message.kind is Kind.PHOTO
    assert "language_hint: list instead of text, dropped" in fitted.notes


def test_a_time_with_no_utc_equivalent_is_kept_at_the_edge():
    beyond = datetime.fromisoformat("9999-12-31T23:59:59-23:59")
    fitted = fit_message(buyer_message("hi", at=beyond))
    assert fitted.message.received_at == datetime.max.replace(tzinfo=timezone.utc)
    assert fitted.notes[0].startswith("received_at: 9999-12-31T23:59:59-23:59 is out of range")


def test_a_raw_payload_becomes_valid_json():
    deep: list = []
    for _ in range(100):
        deep = [deep]
    raw = {"nan": float("nan"), "big": 10 ** 5000, "nul\x00key": "x\ud800", "deep": deep}
    fitted = fit_message(dataclasses.replace(buyer_message("hi"), raw=raw))
    json.dumps(fitted.message.raw, allow_nan=False).encode("utf-8")  # strict JSON, valid UTF-8
    assert fitted.message.raw["nan"] == "nan" and fitted.message.raw["nul\ufffdkey"] == "x\ufffd"


async def test_a_message_the_columns_cannot_hold_is_stored_fitted_and_kept_whole(db_url):
    store = await Store.open(db_url)
    try:
        message = dataclasses.replace(
            buyer_message("hi \ud800", sender="tg\x00buyer", name="N" * 300, hint="x" * 20,
                          conversation="c" * 400, external_id="e" * 400),
            timezone="T" * 80, country="Deutschland",
        )
        received = await store.receive(message)
        [stored] = await store.messages(received.conversation.id)
        assert (stored.text, stored.sender, stored.language) == ("hi \ufffd", "tg\ufffdbuyer", "x" * 16)
        assert received.conversation.buyer_name == "N" * 255 and received.conversation.country is None
        assert received.message.text == "hi \ufffd"  # what the pipeline goes on with
        [kept] = await store.rejected()
        assert kept.channel == "console" and kept.error.startswith("stored with changes: ")
        original = json.loads(kept.payload)
        assert (original["text"], original["sender"], original["sender_name"]) == ("hi \ud800", "tg\x00buyer", "N" * 300)
        again = await store.receive(message)  # the channel delivers it again: still one message, one kept original
        assert again.duplicate and len(await store.rejected()) == 1
    finally:
        await store.close()


async def test_keeping_a_rejected_payload_never_fails(db_url):
    store = await Store.open(db_url)
    try:
        beyond = datetime.fromisoformat("9999-12-31T23:59:59-23:59")
        await store.keep_rejected("c" * 50 + "\x00", "pay\x00load \ud800", "error \udfff" * 1000, beyond)
        [kept] = await store.rejected()
        assert len(kept.channel) == 32 and kept.payload == "pay\ufffdload \ufffd" and len(kept.error) == 2000
    finally:
        await store.close()


async def test_a_mail_with_a_long_content_language_and_display_name_is_stored(db_url):
    language = "en-" + "-".join(["abcdefgh"] * 3)  # a valid tag, 29 characters
    mail = parse_mail(plain_mail("How long does delivery take?", name="Ana " + "L" * 300, headers={"Content-Language": language}))
    assert mail.language == language and len(mail.sender_name) > 255
    store = await Store.open(db_url)
    try:
        received = await store.receive(to_message(mail, AT + timedelta(minutes=1)))
        [stored] = await store.messages(received.conversation.id)
        assert stored.text == "How long does delivery take?" and stored.language == language[:16]
        assert received.conversation.buyer_name == ("Ana " + "L" * 300)[:255]
        assert "sender_name: cut from 304 to 255 characters" in (await store.rejected())[0].error
    finally:
        await store.close()
