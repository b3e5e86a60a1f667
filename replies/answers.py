"""Canned answers and store facts, loaded and validated in one place.

`answers/en.yaml` is the reference: one answer per intent (a short chat text
and a letter body), the letter frame, and the bot's own messages. Other
`answers/<lang>.yaml` files are reviewed translations with the same keys; any
key they leave out falls back to machine translation of the English text.
`facts.yaml` holds the store settings that fill the {placeholders}.
`customs/<lang>.yaml` holds a language's customs texts (`messages:`, the lines of
the answer, and `words:`, the names of taxes and the pieces of a charge); they
are kept apart so that the answers files and the customs texts are edited
separately, and join that language's messages here.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from bot.datafiles import DataError, LineDict, expect, load_yaml

REPLIES_DIR = Path(__file__).parent
# Placeholders filled per conversation rather than from facts.yaml.
RUNTIME_FIELDS = frozenset({
    "buyer_name", "order_id", "tracking_number", "carrier", "order_status", "back_at", "back_in",
    # customs (bot/customs/answer.py): the destination, the facts' date, amounts and the names of taxes
    "country", "as_of", "what", "What", "limit", "rate", "details", "registration", "amount", "date",
})
STYLES = ("chat", "letter")
LETTER_PARTS = ("greeting", "greeting_anonymous", "closing")
SECTIONS = ("letter", "answers", "messages")
CUSTOMS_DIR = "customs"
CUSTOMS_SECTIONS = ("messages", "words")
# Other spellings of the codes the language detector gives ("zh-cn", "zh-tw", "he", "id"…).
_ALIASES = {"zh-hans": "zh-cn", "zh-sg": "zh-cn", "zh-hant": "zh-tw", "zh-hk": "zh-tw", "zh-mo": "zh-tw", "iw": "he", "in": "id"}


def language_key(code: str) -> str:
    """A language code the way answers and facts are keyed: "zh_TW" → "zh-tw", "zh-Hant" → "zh-tw", "iw" → "he".

    Answer file names, facts translations and the language asked for all go through it,
    so `zh-tw.yaml` (or `zh_TW.yaml`) serves the detector's "zh-tw".
    """
    code = code.strip().replace("_", "-").lower()
    return _ALIASES.get(code, code)


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
    words: dict[str, Located] = field(default_factory=dict)  # customs: names of taxes, pieces of a charge


@dataclass
class Facts:
    values: dict[str, Any]
    translations: dict[str, dict[str, Any]]
    path: Path
    lines: dict[str, int]

    def for_language(self, language: str) -> dict[str, Any]:
        language = language_key(language)
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
        line = translations_raw.line_of(language)
        expect(overrides, dict, path, line, f"translations for {language!r}")
        for key in overrides:
            if key not in values:
                raise DataError(path, overrides.line_of(key), f"translation of unknown fact {key!r}")
        if language_key(str(language)) in translations:
            raise DataError(path, line, f"translations for {language!r} given twice")
        translations[language_key(str(language))] = dict(overrides)
    return Facts(values, translations, path, dict(data.key_lines))


def load_language(path: Path) -> LanguageAnswers:
    data = load_yaml(path)
    result = LanguageAnswers(language=language_key(path.stem), path=path)
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


def _texts(section: LineDict, path: Path, what: str, strip: bool = True) -> dict[str, Located]:
    out = {}
    for key, value in section.items():
        line = section.line_of(key)
        text = expect(value, str, path, line, f"{what}.{key}")
        text = text.strip() if strip else text
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
        language = language_key(language)
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
    languages, _ = load_languages(folder)
    return AnswerBook(facts=facts, languages=languages, in_english=load_in_english(folder / IN_ENGLISH_FILE))


def load_languages(
    folder: Path, failed: Callable[[DataError], None] | None = None
) -> tuple[dict[str, LanguageAnswers], bool]:
    """Every language's answers (`answers/<lang>.yaml`) with its customs texts (`customs/<lang>.yaml`).

    A broken file raises its DataError, or, given `failed` (`kefu intents check`, which reports every
    problem), is handed to it and left out; the flag says whether every file loaded."""
    languages: dict[str, LanguageAnswers] = {}
    complete = True

    def trying(load: Callable[[], None]) -> None:
        nonlocal complete
        try:
            load()
        except DataError as exc:
            if failed is None:
                raise
            failed(exc)
            complete = False

    def answers(path: Path) -> None:
        loaded = load_language(path)
        if loaded.language in languages:
            raise DataError(path, None, f"a second answers file for {loaded.language!r} (the first is {languages[loaded.language].path.name})")
        languages[loaded.language] = loaded

    def customs(path: Path) -> None:
        key = language_key(path.stem)
        add_customs(languages.setdefault(key, LanguageAnswers(language=key, path=path)), path)

    for path in sorted((folder / "answers").glob("*.yaml")):
        trying(lambda path=path: answers(path))
    for path in sorted((folder / CUSTOMS_DIR).glob("*.yaml")):
        trying(lambda path=path: customs(path))
    return languages, complete


def add_customs(language: LanguageAnswers, path: Path) -> None:
    """A language's customs texts: `messages` join its messages, `words` are the customs vocabulary."""
    data = load_yaml(path)
    if data is None:
        return
    expect(data, dict, path, 1, "a customs texts file")
    for key in data:
        if key not in CUSTOMS_SECTIONS:
            raise DataError(path, data.line_of(key), f"unknown section {key!r} (expected: {', '.join(CUSTOMS_SECTIONS)})")
    for name in CUSTOMS_SECTIONS:
        section = data.get(name) or LineDict()
        expect(section, dict, path, data.line_of(name), name)
        texts = _texts(section, path, name, strip=name == "messages")  # words keep their spaces: " per parcel"
        known = getattr(language, name)
        for key, located in texts.items():
            if key in known:
                raise DataError(path, located.line, f"{name}.{key} is already in {known[key].path}")
        known.update(texts)
