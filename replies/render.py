"""Rendering an answer for a channel: a short chat message or a full letter.

The text is chosen first (reviewed translation, else English), then the store
facts are filled in, so numbers and names are right in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from bot.datafiles import DataError
from bot.message import Style
from replies.answers import CUSTOMS_DIR, RUNTIME_FIELDS, AnswerBook, placeholders


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str  # the language the text is in; may differ from the one asked for


@runtime_checkable
class InLanguage(Protocol):
    """A value written in the language of the text it goes into (an amount, a date, a country's
    name): the text is chosen first, so a reviewed German text gets "150 €", an English one "€150"."""

    def written(self, language: str, book: AnswerBook) -> str: ...


def values_in(language: str, book: AnswerBook, context: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v.written(language, book) if isinstance(v, InLanguage) else v for k, v in (context or {}).items()}


class _Fields(dict):
    """Unknown runtime fields render as an empty string rather than crash a reply."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Fields(values)).strip()


def answer_body(
    book: AnswerBook, intent: str, language: str, style: Style, context: dict[str, Any] | None = None
) -> Rendered | None:
    """The answer to `intent` (letter body or chat text), in `language` if reviewed, else English."""
    return _render(book, "answers", intent, language, style, context)


def message_body(
    book: AnswerBook, key: str, language: str, style: Style = Style.CHAT, context: dict[str, Any] | None = None
) -> Rendered:
    """One of the bot's own messages (handoff, out of hours, help…)."""
    rendered = _render(book, "messages", key, language, style, context)
    if rendered is None:
        raise KeyError(f"no message {key!r} in the answers files")
    return rendered


def _render(book: AnswerBook, section: str, key: str, language: str, style: Style, context: dict[str, Any] | None) -> Rendered | None:
    found = book.lookup(section, key, style.value, language)
    if found is None:
        return None
    template, lang = found
    return Rendered(fill(template, {**book.facts.for_language(lang), **values_in(lang, book, context)}), lang)


def in_english_notice(book: AnswerBook, language: str) -> str | None:
    """The line, in the buyer's language, that says the answer below is in English (replies/in_english.yaml)."""
    found = book.in_english.get(language) or book.in_english.get(language.split("-")[0])
    return found.text if found else None


def letter_frame(book: AnswerBook, language: str, context: dict[str, Any] | None = None) -> tuple[Rendered, Rendered]:
    """Greeting (with the buyer's name when known) and closing with the signature."""
    context = context or {}
    greeting_key = "greeting" if context.get("buyer_name") else "greeting_anonymous"
    parts = []
    for key in (greeting_key, "closing"):
        found = book.lookup("letter", key, "letter", language)
        if found is None:
            parts.append(Rendered("", language))
        else:
            parts.append(Rendered(fill(found[0], {**book.facts.for_language(found[1]), **context}), found[1]))
    return parts[0], parts[1]


def problems(book: AnswerBook, intent_ids: list[str]) -> list[DataError]:
    """Everything wrong between the answers, the facts and the intent ids."""
    found: list[DataError] = []
    known = set(book.facts.values) | RUNTIME_FIELDS
    reference = book.reference
    for intent in intent_ids:
        if "chat" not in reference.answers.get(intent, {}):
            found.append(DataError(reference.path, None, f"no answer for intent {intent!r}"))
    for language in book.languages.values():
        for intent, styles in language.answers.items():
            if intent not in intent_ids:
                first = next(iter(styles.values()))
                found.append(DataError(first.path, first.line, f"answer for unknown intent {intent!r}"))
        texts = [loc for styles in language.answers.values() for loc in styles.values()]
        texts += list(language.letter.values()) + list(language.messages.values()) + list(language.words.values())
        for loc in texts:
            for name in sorted(placeholders(loc.text) - known):
                found.append(DataError(loc.path, loc.line, f"unknown placeholder {{{name}}}: not a fact in {book.facts.path.name}"))
    english = reference.messages.keys() | reference.words.keys()
    for language in book.languages.values():
        for key, loc in [*language.messages.items(), *language.words.items()]:
            if loc.path.parent.name == CUSTOMS_DIR and key not in english:
                found.append(DataError(loc.path, loc.line, f"{key!r} is not in the English customs texts"))
    return found
