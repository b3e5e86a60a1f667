"""Canned answers: facts filled in, reviewed translations, letters, and the checks admins rely on."""

from pathlib import Path

from bot.message import Style
from intents import LISTS_DIR
from intents.catalog import CATALOGUE, load_intents
from replies.answers import REPLIES_DIR, load_answers
from replies.render import answer_body, letter_frame, message_body, problems

SHIPPED_LANGUAGES = {"en", "es", "ru", "pt", "fr", "de", "it", "pl", "tr", "ar", "ja", "ko", "uk"}


def test_every_shipped_intent_has_an_answer_in_every_shipped_language():
    book = load_answers()
    shipped = load_intents(LISTS_DIR).ids  # the catalogue, and what the shop ships beyond it (privacy_request)
    assert set(CATALOGUE) < set(shipped)
    assert SHIPPED_LANGUAGES <= set(book.languages)
    assert problems(book, shipped) == []
    for language in SHIPPED_LANGUAGES:
        for intent in shipped:
            for style in (Style.CHAT, Style.LETTER):
                rendered = answer_body(book, intent, language, style)
                assert rendered.language == language, (language, intent)
                assert "{" not in rendered.text and rendered.text.strip()


def test_facts_fill_answers_in_every_language():
    book = load_answers()
    assert "2–4" in answer_body(book, "dispatch_time", "de", Style.CHAT).text
    assert "1–2 недели" in answer_body(book, "refund_status", "ru", Style.CHAT).text
    assert "ウエスタンユニオン" in answer_body(book, "payment_methods", "ja", Style.CHAT).text  # the translated fact


def test_a_language_without_a_reviewed_text_falls_back_to_english():
    rendered = answer_body(load_answers(), "thanks", "nl", Style.CHAT)
    assert rendered.language == "en"


def test_customs_answers_never_promise_no_tax():
    book = load_answers()
    text = answer_body(book, "customs_tax", "en", Style.LETTER).text.lower()
    assert "customs" in text and "no tax" not in text and "tax free" not in text


def test_letter_frame_uses_the_name_when_known():
    book = load_answers()
    greeting, closing = letter_frame(book, "en", {"buyer_name": "Ana"})
    assert greeting.text == "Dear Ana,"
    assert letter_frame(book, "en", {})[0].text == "Hello,"
    assert "Sunrise Trading" in closing.text


def test_changing_a_fact_changes_every_answer(tmp_path):
    copy = tmp_path / "replies"
    (copy / "answers").mkdir(parents=True)
    for path in (REPLIES_DIR / "answers").glob("*.yaml"):
        (copy / "answers" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    facts = (REPLIES_DIR / "facts.yaml").read_text(encoding="utf-8").replace('dispatch_days: "2–4"', 'dispatch_days: "1–2"')
    (copy / "facts.yaml").write_text(facts, encoding="utf-8")
    book = load_answers(copy)
    assert "1–2" in answer_body(book, "dispatch_time", "es", Style.CHAT).text


def test_problems_name_the_file_and_line(tmp_path: Path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "facts.yaml").write_text("shop_name: Test\n")
    (tmp_path / "answers" / "en.yaml").write_text(
        "answers:\n  greeting:\n    chat: Hi from {shop_name} in {city}\n  nonsense:\n    chat: hi\n"
    )
    book = load_answers(tmp_path)
    found = [str(p) for p in problems(book, ["greeting", "thanks"])]
    en = tmp_path / "answers" / "en.yaml"
    assert f"{en}: no answer for intent 'thanks'" in found
    assert f"{en}:5: answer for unknown intent 'nonsense'" in found
    assert f"{en}:3: unknown placeholder {{city}}: not a fact in facts.yaml" in found


def test_bot_messages_exist():
    book = load_answers()
    for key in ("handoff", "handoff_offline", "handoff_offline_utc", "out_of_scope", "unreadable", "empty", "help", "rephrase"):
        assert message_body(book, key, "en").text
