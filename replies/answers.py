"""Canned answers and store facts, loaded and validated in one place.

`answers/en.yaml` is the reference: one answer per intent (a short chat text
and a letter body), the letter frame, and the bot's own messages. Other
`answers/<lang>.yaml` files are reviewed translations with the same keys; any
key they leave out falls back to machine translation of the English text.
`facts.yaml` holds the store settings that fill the {placeholders}.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.datafiles import DataError, LineDict, expect, load_yaml

REPLIES_DIR = Path(__file__).parent
# Placeholders filled per conversation rather than from facts.yaml.
RUNTIME_FIELDS = frozenset({"buyer_name", "order_id", "tracking_number", "carrier", "order_status", "back_at", "back_in"})
STYLES = ("chat", "letter")
LETTER_PARTS = ("greeting", "greeting_anonymous", "closing")
SECTIONS = ("letter", "answers", "messages")


@dataclass
class Located:
    text: str
    path: Path
    line: int


@dataclass
class LanguageAnswers:
    language: str
    path: Path
    answers: dict[str, dict[str, Located]] = field(default_factory=dict)  # intent → style → text
    letter: dict[str, Located] = field(default_factory=dict)
    messages: dict[str, Located] = field(default_factory=dict)


@dataclass
class Facts:
    values: dict[str, Any]
    translations: dict[str, dict[str, Any]]
    path: Path
    lines: dict[str, int]

    def for_language(self, language: str) -> dict[str, Any]:
        base = language.split("-")[0]
        return {**self.values, **self.translations.get(base, {}), **self.translations.get(language, {})}


def placeholders(template: str) -> set[str]:
    """The {names} a template uses; raises ValueError on a malformed brace."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_facts(path: Path) -> Facts:
    data = load_yaml(path)
    expect(data, dict, path, 1, "the facts file")
    translations_raw = data.pop("translations", None) or {}
    expect(translations_raw, dict, path, data.line_of("translations"), "translations")
    values: dict[str, Any] = {}
    for key, value in data.items():
        expect(value, (str, int, float), path, data.line_of(key), f"fact {key!r}")
        values[key] = value
    translations = {}
    for language, overrides in translations_raw.items():
        expect(overrides, dict, path, translations_raw.line_of(language), f"translations for {language!r}")
        for key in overrides:
            if key not in values:
                raise DataError(path, overrides.line_of(key), f"translation of unknown fact {key!r}")
        translations[str(language)] = dict(overrides)
    return Facts(values, translations, path, dict(data.key_lines))


def load_language(path: Path) -> LanguageAnswers:
    data = load_yaml(path)
    result = LanguageAnswers(language=path.stem, path=path)
    if data is None:
        return result
    expect(data, dict, path, 1, "an answers file")
    for key in data:
        if key not in SECTIONS:
            raise DataError(path, data.line_of(key), f"unknown section {key!r} (expected: {', '.join(SECTIONS)})")
    for name in ("letter", "messages"):
        section = data.get(name) or LineDict()
        expect(section, dict, path, data.line_of(name), name)
        getattr(result, name).update(_texts(section, path, name))
    answers = data.get("answers") or LineDict()
    expect(answers, dict, path, data.line_of("answers"), "answers")
    for intent, styles in answers.items():
        line = answers.line_of(intent)
        if isinstance(styles, str):  # a bare text serves both styles
            result.answers[intent] = {"chat": Located(styles.strip(), path, line)}
            continue
        expect(styles, dict, path, line, f"answer {intent!r}")
        for style in styles:
            if style not in STYLES:
                raise DataError(path, styles.line_of(style), f"unknown style {style!r} in answer {intent!r} (expected chat or letter)")
        result.answers[intent] = _texts(styles, path, f"answer {intent!r}")
    return result


def _texts(section: LineDict, path: Path, what: str) -> dict[str, Located]:
    out = {}
    for key, value in section.items():
        line = section.line_of(key)
        text = expect(value, str, path, line, f"{what}.{key}").strip()
        try:
            placeholders(text)
        except ValueError as exc:
            raise DataError(path, line, f"{what}.{key}: broken placeholder ({exc})") from None
        out[str(key)] = Located(text, path, line)
    return out


@dataclass
class AnswerBook:
    facts: Facts
    languages: dict[str, LanguageAnswers]
    in_english: dict[str, Located] = field(default_factory=dict)  # language → "we answer in English" (in_english.yaml)

    @property
    def reference(self) -> LanguageAnswers:
        return self.languages["en"]

    def lookup(self, section: str, key: str, style: str, language: str) -> tuple[str, str] | None:
        """The reviewed text in `language`, else English: (template, its language)."""
        for lang in dict.fromkeys((language, language.split("-")[0], "en")):
            book = self.languages.get(lang)
            if book is None:
                continue
            if section == "answers":
                styles = book.answers.get(key, {})
                found = styles.get(style) or styles.get("chat")
            else:
                found = getattr(book, section).get(key)
            if found:
                return found.text, lang
        return None


IN_ENGLISH_FILE = "in_english.yaml"


def load_in_english(path: Path) -> dict[str, Located]:
    """`in_english.yaml`: per language, the line that says the answer comes in English (optional file)."""
    if not path.is_file():
        return {}
    data = load_yaml(path)
    if data is None:
        return {}
    expect(data, dict, path, 1, "the in-English notices")
    return {str(language): located for language, located in _texts(data, path, "in_english").items()}


def load_answers(folder: Path = REPLIES_DIR) -> AnswerBook:
    facts = load_facts(folder / "facts.yaml")
    answers_dir = folder / "answers"
    if not (answers_dir / "en.yaml").is_file():
        raise DataError(answers_dir / "en.yaml", None, "the English answers file is required")
    languages = {path.stem: load_language(path) for path in sorted(answers_dir.glob("*.yaml"))}
    return AnswerBook(facts=facts, languages=languages, in_english=load_in_english(folder / IN_ENGLISH_FILE))
