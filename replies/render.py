"""Rendering an answer for a channel: a short chat message or a full letter.

The text is chosen first (reviewed translation, else English), then the store
facts are filled in, so numbers and names are right in every language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.datafiles import DataError
from bot.message import Style
from replies.answers import RUNTIME_FIELDS, AnswerBook, placeholders


@dataclass(frozen=True)
class Rendered:
    text: str
    language: str  # the language the text is in; may differ from the one asked for


class _Fields(dict):
    """Unknown runtime fields render as an empty string rather than crash a reply."""

    def __missing__(self, key: str) -> str:
        return ""


def fill(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Fields(values)).strip()


def render_answer(
    book: AnswerBook, intent: str, language: str, style: Style, context: dict[str, Any] | None = None
) -> Rendered | None:
    """The answer to `intent`, in `language` if a reviewed text exists, else English."""
    found = book.lookup("answers", intent, style.value, language)
    if found is None:
        return None
    template, lang = found
    values = {**book.facts.for_language(lang), **(context or {})}
    body = fill(template, values)
    if style is Style.LETTER:
        body = frame_letter(book, lang, body, values)
    return Rendered(body, lang)


def render_message(
    book: AnswerBook, key: str, language: str, style: Style = Style.CHAT, context: dict[str, Any] | None = None
) -> Rendered:
    """One of the bot's own messages (handoff, out of hours, help…)."""
    found = book.lookup("messages", key, style.value, language)
    if found is None:
        raise KeyError(f"no message {key!r} in the answers files")
    template, lang = found
    values = {**book.facts.for_language(lang), **(context or {})}
    body = fill(template, values)
    if style is Style.LETTER:
        body = frame_letter(book, lang, body, values)
    return Rendered(body, lang)


def frame_letter(book: AnswerBook, language: str, body: str, values: dict[str, Any]) -> str:
    """Greeting (with the buyer's name when known), body, closing with the signature."""
    greeting_key = "greeting" if values.get("buyer_name") else "greeting_anonymous"
    parts = []
    for key in (greeting_key, None, "closing"):
        if key is None:
            parts.append(body)
            continue
        found = book.lookup("letter", key, "letter", language)
        if found:
            parts.append(fill(found[0], values))
    return "\n\n".join(p for p in parts if p)


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
        texts += list(language.letter.values()) + list(language.messages.values())
        for loc in texts:
            for name in sorted(placeholders(loc.text) - known):
                found.append(DataError(loc.path, loc.line, f"unknown placeholder {{{name}}}: not a fact in {book.facts.path.name}"))
    return found
