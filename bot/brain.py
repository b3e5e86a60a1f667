"""What the bot knows: intents, matcher, answers, facts, hours, customs — loaded together.

Admins edit these files while the bot runs. `BrainHolder.refresh` notices a
change, loads the new set, and keeps the old one when the new one is broken
(logging why), so a typo never takes the bot down.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.customs.answer import Customs
from bot.customs.facts import CustomsFacts, load_customs
from bot.datafiles import DataError
from bot.hours import BusinessHours, load_hours
from intents.catalog import IntentSet, list_files, load_intents
from intents.encoder import EncoderUnavailable
from intents.matcher import Matcher
from intents.model import LinearModel
from intents.normalize import CONFIG_FILE
from replies.answers import CUSTOMS_DIR, AnswerBook, Facts, load_answers
from replies.render import problems

log = logging.getLogger(__name__)


@dataclass
class Brain:
    intents: IntentSet
    matcher: Matcher
    answers: AnswerBook
    hours: BusinessHours
    customs: Customs = field(default_factory=lambda: Customs(CustomsFacts(Path("customs.yaml"))))


def terminal_progress() -> Callable[[str], None]:
    """Training progress on stderr (stdout may be a pipe of results, as with `kefu classify`)."""
    start = time.monotonic()

    def say(line: str) -> None:
        sys.stderr.write(f"{line} ({time.monotonic() - start:.1f} s)\n")
        sys.stderr.flush()

    return say


def make_matcher(settings: Settings, intents: IntentSet, previous: LinearModel | None = None) -> Matcher:
    """The matcher for these intents, with kefu.yaml's thresholds over the tuned ones.

    `encoder: true` without the extra installed matches without the encoder stage, and says so.
    """
    options = dict(threshold=settings.threshold, oos_probability=settings.oos_probability, previous=previous,
                   progress=terminal_progress())
    if settings.encoder:
        try:
            return Matcher(intents, encoder=True, **options)
        except EncoderUnavailable as exc:
            log.warning("encoder: true, but %s; matching without the encoder stage", exc)
            sys.stderr.write(f"warning: encoder: true, but {exc}; matching without the encoder stage\n")
    return Matcher(intents, **options)


def load_matcher(settings: Settings, intents_dir: Path | None = None) -> Matcher:
    """The matcher alone, of the configured lists or of any intent folder (no answers needed)."""
    return make_matcher(settings, load_intents(intents_dir or settings.intents_dir))


def list_brain(settings: Settings, intents_dir: Path) -> Brain:
    """A brain for any intent list: no answers (deciding never reads them), the shop's hours."""
    intents = load_intents(intents_dir)
    hours = load_hours(settings.hours_file) if settings.hours_file.is_file() else BusinessHours()
    no_answers = AnswerBook(facts=Facts({}, {}, intents_dir, {}), languages={})
    return Brain(intents, make_matcher(settings, intents), no_answers, hours)


def load_brain(settings: Settings, previous: LinearModel | None = None) -> Brain:
    """Load and cross-check every data file; the first problem raises DataError.

    `previous` (the model serving now) seeds training when the intent files changed.
    """
    intents = load_intents(settings.intents_dir)
    answers = load_answers(settings.replies_dir)
    found = problems(answers, intents.ids)
    if found:
        raise found[0]
    hours = load_hours(settings.hours_file) if settings.hours_file.is_file() else BusinessHours()
    customs = Customs(load_customs(settings.customs_file), settings.customs)
    return Brain(intents, make_matcher(settings, intents, previous), answers, hours, customs)


def watched_files(settings: Settings) -> list[Path]:
    files = list_files(settings.intents_dir) if settings.intents_dir.is_dir() else []
    files += [settings.intents_dir / CONFIG_FILE]
    files += sorted(settings.replies_dir.glob("*.yaml")) + sorted((settings.replies_dir / "answers").glob("*.yaml"))
    files += sorted((settings.replies_dir / CUSTOMS_DIR).glob("*.yaml"))
    return files


def _fingerprint(files: list[Path]) -> tuple:
    out = []
    for path in files:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


class BrainHolder:
    """The current Brain, reloaded when its files change."""

    def __init__(self, settings: Settings, brain: Brain | None = None) -> None:
        self.settings = settings
        self._stamp = _fingerprint(watched_files(settings))
        self.brain = brain or load_brain(settings)
        self.last_error: DataError | None = None

    def stamp(self) -> tuple:
        """The watched files' names, sizes and modification times as they are now."""
        return _fingerprint(watched_files(self.settings))

    def changed(self, stamp: tuple | None = None) -> bool:
        """Whether a watched file changed (now, or at `stamp`) since the brain in place was loaded."""
        return (stamp or self.stamp()) != self._stamp

    def refresh(self, expected: tuple | None = None) -> bool:
        """Reload if any file changed; True when a new brain is in place.

        With `expected` (a `stamp()` taken earlier), reload only the files as they were then: a
        later edit is left for the next refresh (the reloader trains it elsewhere first)."""
        stamp = self.stamp()
        if stamp == self._stamp or (expected is not None and stamp != expected):
            return False
        self._stamp = stamp
        try:  # the old brain answers until the new one (its model trained) is ready
            self.brain = load_brain(self.settings, previous=self.brain.matcher.model)
        except DataError as exc:
            self.last_error = exc
            log.error("kept the previous intents and answers: %s", exc)
            return False
        self.last_error = None
        log.info("reloaded intents and answers (%d intents)", len(self.brain.intents.ids))
        return True
