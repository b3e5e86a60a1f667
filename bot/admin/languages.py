"""What `kefu intents check` says about languages: native phrasings missing for an intent, the same
phrasing in two languages, and languages the bot could answer in English without saying so."""

from __future__ import annotations

from pathlib import Path

from bot.admin.findings import WARNING, Finding, shown_path
from intents.catalog import OUT_OF_SCOPE, IntentSet
from replies.answers import IN_ENGLISH_FILE, AnswerBook


def language_findings(intents: IntentSet, folder: Path, configured: list[str] | tuple[str, ...]) -> list[Finding]:
    """Per language folder, the intents with no phrasing in it; configured languages with no folder at all;
    the same phrasing (normalised) in two languages of one intent: it teaches the language detector that
    one language is the other (an English sentence copied into the Spanish list reads as Spanish)."""
    findings = []
    by_language: dict[str, set[str]] = {}
    for intent, example in intents.examples():
        by_language.setdefault(example.language, set()).add(intent)
    answerable = [i for i in intents.intents if i != OUT_OF_SCOPE] + ([OUT_OF_SCOPE] if OUT_OF_SCOPE in intents.intents else [])
    for language in sorted(by_language):
        if language == "en":
            continue
        missing = [i for i in answerable if i not in by_language[language]]
        if missing:
            findings.append(Finding(WARNING, folder / language, None,
                                    f"no {language} phrasings for {', '.join(missing)}: buyers writing {language} "
                                    "are understood there only through a translator"))
    without = [code for code in configured if code != "en" and code not in by_language]
    if without:
        findings.append(Finding(WARNING, folder, None,
                                f"no native phrasings for the configured languages {', '.join(without)}: those buyers are "
                                f"understood only through a translator (add {folder.name}/<language>/ files)"))
    seen: dict[tuple[str, str], tuple[str, Path, int]] = {}
    for intent, example in intents.examples():
        key = (intent, intents.normalizer(example.text))
        if not key[1]:
            continue
        first = seen.setdefault(key, (example.language, example.path, example.line))
        if first[0] != example.language:
            findings.append(Finding(WARNING, example.path, example.line,
                                    f"{example.text!r} ({intent}, {example.language}) is also a {first[0]} phrasing "
                                    f"({shown_path(first[1])}:{first[2]}): keep it in the language it is written in"))
    return findings


def in_english_findings(book: AnswerBook, folder: Path, detectable: frozenset[str]) -> list[Finding]:
    """Languages the detector can return that have neither reviewed answers nor the line saying the answer is in English."""
    missing = sorted(code for code in detectable - set(book.languages) - {"en"}
                     if code not in book.in_english and code.split("-")[0] not in book.in_english)
    if not missing:
        return []
    return [Finding(WARNING, folder / IN_ENGLISH_FILE, None,
                    f"no line for {', '.join(missing)}: without a translator those buyers would get English "
                    "with nothing saying why")]
