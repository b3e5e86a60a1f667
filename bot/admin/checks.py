"""`kefu intents check`: every data file the bot loads, checked the way the bot loads it.

The loaders (intents.catalog, replies.answers, bot.hours) are the schema; this
module runs each one so an admin sees every broken file at once, then adds
what only a whole view can tell: answers without an intent, intents without an
answer, unknown {facts}, catalogue ids missing, and conflicting examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.admin.conflicts import find_conflicts
from bot.admin.languages import in_english_findings, language_findings
from bot.language.detect import DEFAULT_EXPECTED, LanguageDetector
from bot.datafiles import DataError, load_yaml
from bot.admin.findings import ERROR, WARNING, Finding
from bot.hours import load_hours
from bot.language.safeguard import load_glossary
from intents.catalog import CATALOGUE, IntentSet, list_files, load_intents
from bot.customs.facts import FILE as CUSTOMS_FILE, load_customs
from replies.answers import IN_ENGLISH_FILE, AnswerBook, load_facts, load_in_english, load_languages
from replies.render import problems


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    intent_files: int = 0
    answer_files: int | None = 0  # None: a list checked on its own, without answers
    intents: IntentSet | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    def summary(self) -> str:
        counted = ""
        if self.intents is not None:
            counted = f" ({len(self.intents.ids)} intents, {len(self.intents.examples())} examples)"
        answers = "no answers (a list on its own)" if self.answer_files is None else f"{self.answer_files} answer files"
        return (f"checked {self.intent_files} intent files{counted} and {answers}: "
                f"{_plural(len(self.errors), 'error')}, {_plural(len(self.warnings), 'warning')}")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def check_data(intents_dir: Path, replies_dir: Path | None, languages: list[str] | tuple[str, ...] = ()) -> CheckResult:
    """Check the intent lists and the replies folder; never raises DataError.

    Without a replies folder the list is checked on its own (any intent list,
    e.g. for `kefu eval --intents`): no answers, no catalogue ids expected.
    """
    result = CheckResult()
    result.intents = _check_intents(intents_dir, result)
    if result.intents is not None:
        result.findings += language_findings(result.intents, intents_dir, languages)
    if replies_dir is None:
        result.answer_files = None
        if result.intents is not None:
            result.findings += find_conflicts(result.intents)
        return result
    book = _check_replies(replies_dir, result)
    if result.intents is not None:
        for missing in [i for i in CATALOGUE if i not in result.intents.intents]:
            result.findings.append(Finding(
                WARNING, intents_dir, None, f"catalogue intent {missing!r} is not in the lists (tests and evaluation files expect it)"))
        result.findings += find_conflicts(result.intents)
        if book is not None:
            result.findings += [Finding.from_error(e) for e in problems(book, result.intents.ids)]
    if book is not None:
        result.findings += in_english_findings(book, replies_dir, LanguageDetector(languages or DEFAULT_EXPECTED).languages)
    return result


def _check_intents(folder: Path, result: CheckResult) -> IntentSet | None:
    try:
        files = list_files(folder)
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
        return None
    result.intent_files = len(files)
    broken = False
    for path in files:  # YAML syntax file by file, so every broken file is named at once
        try:
            load_yaml(path)
        except DataError as exc:
            result.findings.append(Finding.from_error(exc))
            broken = True
    if broken:
        return None
    try:  # the schema: the loader stops at its first problem, as the bot would
        return load_intents(folder)
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
        return None


def _check_replies(folder: Path, result: CheckResult) -> AnswerBook | None:
    facts = None
    try:
        facts = load_facts(folder / "facts.yaml")
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
    hours_file = folder / "hours.yaml"
    if hours_file.is_file():
        try:
            load_hours(hours_file)
        except DataError as exc:
            result.findings.append(Finding.from_error(exc))
    try:  # the glossary (kefu.yaml's part is checked when the settings load)
        load_glossary(folder)
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
    try:
        load_customs(folder / CUSTOMS_FILE)
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
    answers_dir = folder / "answers"
    result.answer_files = len(list(answers_dir.glob("*.yaml")))
    languages, complete = load_languages(folder, failed=lambda exc: result.findings.append(Finding.from_error(exc)))
    if "en" not in languages and not (answers_dir / "en.yaml").is_file():
        result.findings.append(Finding(ERROR, answers_dir / "en.yaml", None, "the English answers file is required"))
    try:
        in_english = load_in_english(folder / IN_ENGLISH_FILE)
    except DataError as exc:
        result.findings.append(Finding.from_error(exc))
        return None
    if facts is None or "en" not in languages or not complete:
        return None
    return AnswerBook(facts=facts, languages=languages, in_english=in_english)
