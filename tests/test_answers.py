"""Canned answers: facts filled in, reviewed translations, letters, and the checks admins rely on."""

from pathlib import Path

import pytest

from bot.datafiles import DataError
from bot.language.detect import language_code
from bot.message import Style
from intents import LISTS_DIR
from intents.catalog import CATALOGUE, load_intents
from replies.answers import REPLIES_DIR, RUNTIME_FIELDS, language_key, load_answers, placeholders
from replies.render import answer_body, letter_frame, message_body, problems

# Reviewed in full: every intent, the letter frame and every bot message (the orders' messages included).
REVIEWED_IN_FULL = {"zh-cn", "zh-tw", "nl", "he", "vi", "id", "th", "cs"}
SHIPPED_LANGUAGES = {"en", "es", "ru", "pt", "fr", "de", "it", "pl", "tr", "ar", "ja", "ko", "uk"} | REVIEWED_IN_FULL


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
    assert "1–2 týdny" in answer_body(book, "refund_status", "cs", Style.CHAT).text
    assert "2–4" in answer_body(book, "dispatch_time", "th", Style.CHAT).text


def test_a_language_without_a_reviewed_text_falls_back_to_english():
    rendered = answer_body(load_answers(), "thanks", "sv", Style.CHAT)
    assert rendered.language == "en"


@pytest.mark.parametrize("language", sorted(REVIEWED_IN_FULL))
def test_a_fully_reviewed_language_renders_everything_itself(language):
    book = load_answers()
    english, reviewed = book.reference, book.languages[language]
    runtime = {name: f"<{name}>" for name in RUNTIME_FIELDS} | {"agent_name": "Lina"}
    for intent, styles in english.answers.items():
        for style in (Style.CHAT, Style.LETTER):
            assert placeholders(reviewed.answers[intent][style.value].text) == placeholders(styles[style.value].text), (intent, style)
            rendered = answer_body(book, intent, language, style, runtime)
            assert rendered.language == language and "{" not in rendered.text and "}" not in rendered.text
            if style is Style.CHAT:
                assert len(rendered.text) <= 300, (intent, len(rendered.text))
    for key, text in english.messages.items():
        # a sentence may start with the placeholder in one language only: {What} where English says {what}
        same = {name.casefold() for name in placeholders(reviewed.messages[key].text)}
        assert same == {name.casefold() for name in placeholders(text.text)}, key
        rendered = message_body(book, key, language, context=runtime)
        assert rendered.language == language and "{" not in rendered.text
    assert set(reviewed.letter) == set(english.letter)
    greeting, closing = letter_frame(book, language, {"buyer_name": "Ana"})
    assert "Ana" in greeting.text and "Lina" in closing.text and "Sunrise Trading" in closing.text
    assert greeting.language == closing.language == language
    # word-like facts come in the buyer's language too
    assert book.facts.for_language(language)["payment_methods"] != book.facts.values["payment_methods"]


def test_the_detectors_chinese_codes_find_the_right_script():
    book = load_answers()
    for hint, expected in {"zh-Hans": "zh-cn", "zh_CN": "zh-cn", "zh": "zh-cn", "zh-TW": "zh-tw", "zh-Hant": "zh-tw", "zh_HK": "zh-tw"}.items():
        code = language_code(hint)  # what the detector settles on for a channel's hint
        assert answer_body(book, "payment_methods", code, Style.CHAT).language == expected, hint
    simplified = answer_body(book, "payment_methods", "zh-cn", Style.CHAT).text
    traditional = answer_body(book, "payment_methods", "zh-tw", Style.CHAT).text
    assert "西联汇款" in simplified and "西聯匯款" in traditional  # the fact follows the script
    assert answer_body(book, "thanks", "zh-HK", Style.CHAT).language == "zh-tw"  # codes are matched however spelt
    assert answer_body(book, "thanks", "iw", Style.CHAT).language == "he"  # old Java codes for Hebrew, Indonesian
    assert answer_body(book, "thanks", "in", Style.CHAT).language == "id"


def test_answer_file_names_are_matched_however_spelt(tmp_path: Path):
    (tmp_path / "answers").mkdir()
    (tmp_path / "facts.yaml").write_text("shop_name: Test\ntranslations:\n  zh_TW:\n    shop_name: 測試\n", encoding="utf-8")
    (tmp_path / "answers" / "en.yaml").write_text("answers:\n  thanks:\n    chat: Thanks from {shop_name}\n", encoding="utf-8")
    (tmp_path / "answers" / "zh_TW.yaml").write_text("answers:\n  thanks:\n    chat: 不客氣，{shop_name}\n", encoding="utf-8")
    book = load_answers(tmp_path)
    assert set(book.languages) == {"en", "zh-tw"}
    rendered = answer_body(book, "thanks", "zh-tw", Style.CHAT)
    assert (rendered.text, rendered.language) == ("不客氣，測試", "zh-tw")
    assert answer_body(book, "thanks", "zh-cn", Style.CHAT).language == "en"  # never the other script
    (tmp_path / "answers" / "zh-tw.yaml").write_text("answers:\n  thanks:\n    chat: 謝謝\n", encoding="utf-8")
    with pytest.raises(DataError, match="a second answers file for 'zh-tw'"):
        load_answers(tmp_path)


def test_language_keys():
    assert [language_key(c) for c in ("zh_TW", "ZH-CN", "zh-hant", "zh-Hans", "iw", "in", "pt-BR", "nl")] == [
        "zh-tw", "zh-cn", "zh-tw", "zh-cn", "he", "id", "pt-br", "nl"]


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
