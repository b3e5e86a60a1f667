"""Customs by destination: buyers in many countries ask in their own language and get their
country's answer, from the data file and the shop's setup (README, "Customs by destination")."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.customs.answer import Customs
from bot.customs.countries import address_country, country_name, locale_country, named
from bot.customs.facts import Amount, load_customs
from bot.customs.setup import ShopSetup
from bot.customs.wording import money
from bot.config import load_settings
from bot.datafiles import DataError
from bot.message import Style
from bot.orders.records import read_orders
from replies.answers import REPLIES_DIR, load_answers
from replies.render import message_body
from tests.conftest import DATA, IN_HOURS, make_bot
from tests.factories import buyer_message

TABLE = DATA / "customs_translations.tsv"
runner = CliRunner()


def with_setup(brain, **setup):
    return dataclasses.replace(brain, customs=Customs(brain.customs.facts, ShopSetup(**setup)))


@pytest.fixture
async def customs_bot(db_url, settings, brain, detector, clock):
    """The whole bot, with recorded translations of buyers asking about import tax."""
    made = []

    async def build(**setup):
        bot = await make_bot(db_url, TABLE, settings, with_setup(brain, **setup), detector, clock)
        made.append(bot)
        return bot

    yield build
    for bot in made:
        await bot.store.close()


async def say(bot, text, **kw):
    return await bot.pipeline.handle(buyer_message(text, **kw), Style.CHAT)


@functools.lru_cache(maxsize=1)
def book():
    return load_answers()


def text_of(key, language, **context):
    return message_body(book(), key, language, context=context).text


def eur(value):
    return Amount(Decimal(value), "EUR")


# (language, what the buyer writes, destination, a figure of that destination's answer)
BUYERS = [
    ("de", "Muss ich Einfuhrumsatzsteuer oder Zoll bezahlen, wenn das Paket nach Deutschland geht?", "DE", eur(150)),
    ("es", "¿Voy a tener que pagar impuestos de importación si me lo envían a Chile?", "CL", Amount(Decimal(500), "USD")),
    ("fr", "Est-ce que je devrai payer des droits de douane pour une livraison au Canada ?", "CA", Amount(Decimal(20), "CAD")),
    ("it", "Dovrò pagare dazi doganali o tasse per una spedizione in Italia?", "IT", eur(2)),
    ("pt", "Vou ter que pagar imposto de importação se a encomenda for para o Brasil?", "BR", "60%"),
    ("ja", "日本に送ってもらう場合、関税や輸入税はかかりますか？", "JP", Amount(Decimal(10000), "JPY")),
    ("ar", "هل سأدفع رسوماً جمركية عند الشحن إلى السعودية؟", "SA", Amount(Decimal(1000), "SAR")),
    ("pl", "Czy będę musiał zapłacić cło albo podatek przy wysyłce do Polski?", "PL", eur(150)),
    ("nl", "Moet ik invoerrechten of belasting betalen als het pakket naar Nederland gaat?", "NL", eur(3)),
    ("cs", "Budu muset platit clo nebo daň, když balík pošlete do Německa?", "DE", eur(150)),
    ("zh-cn", "寄到澳大利亚的话，我需要交进口税吗？", "AU", Amount(Decimal(1000), "AUD")),
    ("tr", "Paketi Norveç'e gönderirseniz gümrük vergisi ödemem gerekir mi?", "NO", "25%"),
    ("vi", "Gửi hàng về Nam Phi thì tôi có phải đóng thuế nhập khẩu không?", "ZA", Amount(Decimal(500), "ZAR")),
    ("uk", "Чи доведеться мені платити мито, якщо посилку надішлють до Індії?", "IN", "30.98%"),
    ("ru", "Придётся ли платить пошлину при доставке в Новую Зеландию?", "NZ", Amount(Decimal(1000), "NZD")),
]


@pytest.mark.parametrize("language,text,country,figure", BUYERS, ids=[f"{b[0]}-{b[2]}" for b in BUYERS])
async def test_a_buyer_gets_their_destinations_answer_in_their_language(customs_bot, language, text, country, figure):
    bot = await customs_bot()
    reply = await say(bot, text)
    assert (reply.language, reply.intent, reply.handoff) == (language, "customs_tax", False)
    assert country_name(country, language) in reply.text
    assert (figure if isinstance(figure, str) else money(figure, language)) in reply.text
    assert text_of("customs_final", language) in reply.text  # rules change; customs or the carrier's bill decides
    assert "translation_failed" not in reply.notes  # reviewed texts, not machine translation
    conversation = await bot.store.find_conversation("console", "chat-1")
    assert conversation.destination == country


async def test_the_answer_dates_its_facts_and_never_promises_no_tax(customs_bot):
    bot = await customs_bot()
    reply = await say(bot, "Will I have to pay import tax if you ship to Japan?")
    assert "as of November 23, 2026" in reply.text
    assert "may apply" in reply.text and "change often" in reply.text
    assert "no tax" not in reply.text.lower() and "free of" not in reply.text.lower()


async def test_the_bot_asks_the_country_once_and_remembers_the_answer(customs_bot):
    bot = await customs_bot()
    first = await say(bot, "Придётся ли платить таможенную пошлину за посылку?")
    assert first.intent == "customs_tax" and first.text == text_of("customs_ask", "ru")
    conversation = await bot.store.find_conversation("console", "chat-1")
    assert conversation.destination_asked_at is not None and conversation.destination is None

    answer = await say(bot, "В Германию")  # matches no intent on its own: it answers the question
    assert answer.intent == "customs_tax" and not answer.handoff
    assert "Германия" in answer.text and money(eur(150), "ru") in answer.text
    conversation = await bot.store.find_conversation("console", "chat-1")
    assert conversation.destination == "DE"

    again = await say(bot, "Придётся ли платить таможенную пошлину за посылку?")
    assert "Германия" in again.text  # remembered: not asked again
    assert text_of("customs_ask", "ru") not in again.text


async def test_a_buyer_who_does_not_say_the_country_is_not_asked_twice(customs_bot):
    bot = await customs_bot()
    await say(bot, "Придётся ли платить таможенную пошлину за посылку?")
    second = await say(bot, "Придётся ли платить таможенную пошлину за посылку?")
    assert second.text == text_of("customs_general", "ru")
    assert not second.handoff


async def test_the_latest_orders_shipping_country_answers(customs_bot, tmp_path):
    bot = await customs_bot()
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,buyer,items,amount,currency,status,placed_at,ship_country\n"
        "7000001,buyer-1,Lamp,30,USD,shipped,2026-10-01,JP\n"
        "7000002,buyer-1,Cable,8,USD,paid,2026-11-20,ca\n"
    )
    await bot.store.save_orders(read_orders(path, IN_HOURS))
    reply = await say(bot, "Muss ich Zoll bezahlen?")
    assert "Kanada" in reply.text and money(Amount(Decimal(20), "CAD"), "de") in reply.text
    assert text_of("customs_assumed", "de", country="Kanada") not in reply.text  # an order is no guess


async def test_a_channels_country_is_told_as_an_assumption(customs_bot):
    bot = await customs_bot()
    message = dataclasses.replace(buyer_message("Do I have to pay customs duty for the parcel?"), country="AU")
    reply = await bot.pipeline.handle(message, Style.CHAT)
    assert "Australia" in reply.text
    assert "I've assumed the destination: Australia." in reply.text


async def test_an_email_address_country_ending_is_a_weak_hint(customs_bot):
    bot = await customs_bot()
    message = buyer_message("Do I have to pay customs duty for the parcel?", channel="email", sender="hans@web.de", conversation="<m1@web.de>")
    reply = await bot.pipeline.handle(message, Style.CHAT)
    assert "Germany" in reply.text and "I've assumed the destination: Germany." in reply.text
    conversation = await bot.store.find_conversation("email", "<m1@web.de>")
    assert conversation.destination is None  # a guess is said as one each time, not remembered as the buyer's word


@pytest.mark.parametrize("text,country", [
    ("Придётся ли платить пошлину при доставке в США?", "US"),  # flagged outdated: the rate after 24 Jul 2026 is unknown
    ("Will I have to pay import tax if you ship to France?", "FR"),  # a member whose national note is unverified
    ("Will I have to pay import tax if you ship to Argentina?", "AR"),  # no entry at all
])
async def test_flagged_or_missing_destinations_go_to_a_person(customs_bot, text, country):
    bot = await customs_bot()
    reply = await say(bot, text)
    assert reply.handoff and reply.handoff_reason == "customs_review"
    assert reply.intent == "customs_tax"
    conversation = await bot.store.find_conversation("console", "chat-1")
    assert conversation.state == "waiting" and conversation.destination == country
    review = text_of("customs_review", reply.language, country=country_name(country, reply.language))
    assert reply.text == review  # no canned rules, and "a colleague will reply" said once


async def test_ddp_or_ddu_changes_the_answer(customs_bot):
    question = "Est-ce que je devrai payer des droits de douane pour une livraison au Canada ?"
    ddu = await say(await customs_bot(), question)
    ddp = await say(await customs_bot(ddp=frozenset({"CA"})), question, conversation="chat-2")
    assert text_of("customs_door", "fr") in ddu.text and text_of("customs_ddp", "fr") not in ddu.text
    assert text_of("customs_ddp", "fr") in ddp.text and text_of("customs_door", "fr") not in ddp.text


async def test_a_registration_moves_the_tax_to_checkout(customs_bot):
    question = "Muss ich Einfuhrumsatzsteuer oder Zoll bezahlen, wenn das Paket nach Deutschland geht?"
    without = await say(await customs_bot(), question)
    ioss = await say(await customs_bot(registrations=frozenset({"ioss"})), question, conversation="chat-2")
    assert "IOSS" in ioss.text and text_of("customs_door", "de") not in ioss.text
    assert "IOSS" not in without.text and text_of("customs_door", "de") in without.text


@pytest.mark.parametrize("text", [
    "can you mark the parcel as a gift so i don't pay customs",
    "please declare a lower value on the invoice",
    "can you split my order into 5 small parcels so customs doesn't notice",
])
async def test_under_declaring_gifts_and_splitting_still_go_to_a_person(customs_bot, text):
    """Out of scope (intents/lists/out_of_scope.yaml): never a customs answer; a person takes it at the latest
    when the buyer says it again (a near miss is first asked to rephrase, as any message the bot is unsure of)."""
    bot = await customs_bot(registrations=frozenset({"ioss"}))
    replies = [await say(bot, text), await say(bot, text)]
    assert all(reply.intent is None and "may apply" not in (reply.text or "") for reply in replies)
    assert any(reply.handoff for reply in replies)
    assert {reply.handoff_reason for reply in replies if reply.handoff} == {"no_match"}


def test_country_names_in_every_language_and_their_inflected_forms():
    assert named("Сколько стоит пошлина в Германию?", "", "ru") == ["DE"]
    assert named("Zoll nach Deutschland?", "", "de") == ["DE"]
    assert named("¿Impuestos en España?", "", "es") == ["ES"]
    assert named("到巴西要交税吗", "", "zh-cn") == ["BR"]
    assert named("доставка в Казахстан", "", "ru") == ["KZ"]
    assert named("Almanya'ya vergi", "", "tr") == ["DE"]
    assert named("משלוח לגרמניה", "", "he") == ["DE"]
    assert named("ship to the UK or the USA?", "", "en") == ["GB", "US"]
    assert named("from China to Chile", "", "en", origin="CN") == ["CL"]  # where parcels come from is no destination
    assert named("I have a child", "", "en") == [] and named("Las tarifas se indican", "", "es") == []


def test_channel_hints():
    assert locale_country("pt-BR") == "BR" and locale_country("en") is None
    assert address_country("hans@web.de") == "DE" and address_country("x@shop.co.uk") == "GB"
    assert address_country("a@gmail.com") is None and address_country("a@startup.io") is None


def replies_copy(tmp_path) -> Path:
    return Path(shutil.copytree(REPLIES_DIR, tmp_path / "replies", ignore=shutil.ignore_patterns("*.py", "__pycache__")))


@pytest.mark.parametrize("old,new,problem", [
    ("duty_free_up_to: 135 GBP", "duty_free_up_to: 135 pounds", "GB: duty_free_up_to must be an amount and its currency like 150 EUR"),
    ("status: outdated", "status: old", "US: status must be one of verified, unverified, outdated"),
    ("{registration: uk_vat, up_to: 135 GBP}", "{registration: uk_tax, up_to: 135 GBP}", "GB: registration must be one of ioss"),
    ("'NO':", "NO:", "write the code in quotes"),
    ("  tax_rate: 20%\n  tax_free_up_to: none\n  checkout: {registration: uk_vat", "  tax_rat: 20%\n  tax_free_up_to: none\n  checkout: {registration: uk_vat", "GB: unknown field 'tax_rat'"),
])
def test_a_broken_customs_file_names_the_line(tmp_path, old, new, problem):
    path = replies_copy(tmp_path) / "customs.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_customs(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:") and problem in message
    line = int(message[len(str(path)) + 1:].split(":")[0])
    assert new.split("\n")[0].strip()[:6] in path.read_text(encoding="utf-8").splitlines()[line - 1]


def test_broken_yaml_in_a_customs_texts_file_is_caught_by_intents_check(tmp_path):
    replies = replies_copy(tmp_path)
    path = replies / "customs" / "de.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(": ", " ", 1)  # a line without a colon
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["intents", "check"], env={"KEFU_REPLIES_DIR": str(replies)})
    assert result.exit_code == 1
    assert f"error: {path}:4: invalid YAML" in result.output


def test_the_shops_setup_is_checked_with_its_line(tmp_path):
    config = tmp_path / "kefu.yaml"
    config.write_text("translator: none\ncustoms:\n  registrations: [ioss, voec]\n  ddp: [CA, 'NO']\n")
    setup = load_settings(config, env={}).customs
    assert setup == ShopSetup(frozenset({"ioss", "voec"}), frozenset({"CA", "NO"}))
    config.write_text("translator: none\ncustoms:\n  registrations: [ioss, iossx]\n")
    with pytest.raises(DataError, match=rf"{config}:3: customs: unknown registration 'iossx'"):
        load_settings(config, env={})


def test_the_orders_import_checks_the_shipping_country(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("order_id,buyer,ship_country\n1,a,DE\n2,b,Germany\n")
    with pytest.raises(DataError, match=r"orders.csv:3: ship_country 'Germany' is not a two-letter country code"):
        read_orders(path, IN_HOURS)


def test_customs_table_shows_each_destination_for_each_setup(tmp_path):
    config = tmp_path / "kefu.yaml"
    config.write_text("customs:\n  registrations: [uk_vat]\n  ddp: [CA]\n")
    result = runner.invoke(app, ["customs", "table", "--config", str(config)])
    assert result.exit_code == 0, result.output
    rows = {line.split(" | ")[0].strip("| "): line for line in result.output.splitlines() if line.startswith("| ")}
    assert rows["GB"].endswith("| registered |") and "VAT charged at checkout (UK VAT)" in rows["GB"]
    assert rows["CA"].endswith("| DDP |") and "Duty and taxes over CA$20" in rows["CA"]
    assert "a person answers (outdated)" in rows["US"]
    assert "Handling fee €2 per parcel" in rows["IT (EU)"]


def test_customs_check_reports_old_entries_and_missing_destinations(db_url, settings, brain, detector, clock, tmp_path):
    async def buyers_ask():
        bot = await make_bot(db_url, TABLE, settings, brain, detector, clock)
        await say(bot, "Will I have to pay import tax if you ship to Argentina?")
        await say(bot, "Will I have to pay import tax if you ship to Germany?", conversation="chat-2")
        await bot.store.close()

    asyncio.run(buyers_ask())
    replies = replies_copy(tmp_path)
    path = replies / "customs.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("as_of: 2026-11-23\n  duty_free_up_to: 20 CAD", "as_of: 2025-01-10\n  duty_free_up_to: 20 CAD"), encoding="utf-8")
    result = runner.invoke(app, ["customs", "check", "--db", db_url, "--max-age", "365"], env={"KEFU_REPLIES_DIR": str(replies)})
    age = (date.today() - date(2025, 1, 10)).days
    assert result.exit_code == 1
    assert f"old: {path}:" in result.output and f"CA (Canada) checked 2025-01-10, {age} days ago (limit 365)" in result.output
    assert "missing: AR asked about in 1 conversation(s)" in result.output and "missing: DE" not in result.output
    assert "review: " in result.output and "US is outdated" in result.output


def test_every_language_with_customs_texts_has_every_line():
    book = load_answers()
    english = book.reference
    keys = {k for k in english.messages if k.startswith("customs_")}
    for language in ("en", "es", "ru", "pt", "fr", "de", "it", "pl", "tr", "ar", "ja", "ko", "uk",
                     "zh-cn", "zh-tw", "nl", "he", "vi", "id", "th", "cs"):
        texts = book.languages[language]
        assert keys <= set(texts.messages), (language, keys - set(texts.messages))
        assert set(english.words) <= set(texts.words), (language, set(english.words) - set(texts.words))


def test_an_edited_customs_file_is_reloaded_and_a_broken_one_keeps_the_last_good(tmp_path, brain):
    from bot.brain import BrainHolder
    from bot.config import Settings
    from intents import LISTS_DIR

    shutil.copytree(LISTS_DIR, tmp_path / "lists")
    replies = replies_copy(tmp_path)
    holder = BrainHolder(Settings(translator="none", intents_dir=tmp_path / "lists", replies_dir=replies), brain)
    path = replies / "customs.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("duty_free_up_to: 1000 AUD", "duty_free_up_to: 900 AUD"), encoding="utf-8")
    assert holder.refresh() is True
    assert holder.brain.customs.facts.entries["AU"].duty_free_up_to == Amount(Decimal(900), "AUD")

    path.write_text(text.replace("duty_free_up_to: 1000 AUD", "duty_free_up_to: lots"), encoding="utf-8")
    working = holder.brain
    assert holder.refresh() is False and holder.brain is working
    assert "AU: duty_free_up_to must be an amount" in str(holder.last_error)

    words = replies / "customs" / "de.yaml"
    words.write_text(words.read_text(encoding="utf-8").replace('duty: "Zoll"', 'duty: "Zollgebühr"'), encoding="utf-8")
    assert holder.refresh() is False  # customs.yaml is still broken: nothing half-loaded
    path.write_text(text, encoding="utf-8")
    assert holder.refresh() is True
    assert holder.brain.answers.languages["de"].words["duty"].text == "Zollgebühr"
