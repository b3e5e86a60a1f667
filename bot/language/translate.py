"""Translation: pinned tables, a memory in the store, and providers via deep-translator.

The seeds' practice: a minor-language message goes into English (the pivot),
the bot works in English, and the answer goes back. `Translator.translate`
returns None when it has no translation; the pipeline then falls back (answer
in English, flag the message for agents) instead of blocking. A provider's
translation that lost a number, a code or a name counts as none
(bot.language.safeguard); `checked` says what was lost, for the agent desk.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import requests

from bot.language.detect import language_code
from bot.language.providers import MakeClient, ProviderConfigError, provider_factory
from bot.language.safeguard import Checked, Glossary, mask, restore

log = logging.getLogger(__name__)

PROVIDERS = ("google", "deepl", "microsoft", "libre", "mymemory")
TRANSLATOR_NAMES = ("none", *PROVIDERS, "table:PATH")


class TranslatorError(Exception):
    """A translator cannot be configured (unknown name, missing key, unreadable table)."""


class Translator(Protocol):
    name: str

    async def translate(self, text: str, source: str, target: str) -> str | None: ...


def base(code: str) -> str:
    """The language a code names, for comparing and keying (see bot.language.detect.language_code)."""
    return language_code(code) or code


async def localize(translator: "Translator", text: str, written_in: str, language: str) -> str | None:
    """`text` in `language`: as it is when already so, else translated; None when no translation can be had.

    Reviewed texts come in the buyer's language already; the rest are English and go through the translator.
    """
    if not text or base(written_in) == base(language):
        return text
    return await translator.translate(text, written_in, language)


async def checked(translator: "Translator", text: str, source: str, target: str) -> Checked:
    """A translation with what it lost: translators that mask and verify say so, the rest lose nothing."""
    check = getattr(translator, "check", None)
    if check is not None:
        return await check(text, source, target)
    return Checked(await translator.translate(text, source, target))


class NoTranslator:
    """No translation at all: the pivot is the original text."""

    name = "none"

    async def translate(self, text: str, source: str, target: str) -> str | None:
        return text if base(source) == base(target) else None


class TableTranslator:
    """Pinned translations from a TSV: source_lang, target_lang, source, translation.

    Used alone for offline evaluation, or before a provider for phrases an
    admin wants translated exactly so. Lookups ignore case and outer spaces.
    """

    def __init__(self, path: Path) -> None:
        self.name = f"table:{path}"
        self.rows: dict[tuple[str, str, str], str] = {}
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1):
                    if not row or row[0].startswith("#"):
                        continue
                    if len(row) != 4:
                        raise TranslatorError(f"{path}:{number}: expected 4 tab-separated fields, got {len(row)}")
                    source_lang, target_lang, source, translation = row
                    self.rows[(base(source_lang), base(target_lang), _key(source))] = translation
        except OSError as exc:
            raise TranslatorError(f"cannot read translation table {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise TranslatorError(f"{path}: not UTF-8 text") from None

    async def translate(self, text: str, source: str, target: str) -> str | None:
        if base(source) == base(target):
            return text
        return self.rows.get((base(source), base(target), _key(text)))


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _provider_factory(name: str, env: dict[str, str]) -> MakeClient:
    try:
        return provider_factory(name, env)
    except ProviderConfigError as exc:
        raise TranslatorError(str(exc)) from None


@dataclass
class ProviderTranslator:
    """A translation service, through deep-translator's clients (see bot.language.providers).

    What must not change (bot.language.safeguard, with the shop's `glossary`) is
    masked before the call and restored after it; a result that lost any of it, or
    any number, is no translation. Each attempt runs on the translator's own small
    pool of threads and ends after `timeout` seconds: the HTTP call itself times
    out, so the thread is free again and hung calls cannot pile up. One retry,
    then the service is left alone for `cooldown` seconds so a dead provider
    cannot slow every message down.
    """

    name: str
    make: MakeClient
    timeout: float = 8.0
    cooldown: float = 60.0
    retries: int = 1
    threads: int = 4
    glossary: Glossary = Glossary()

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix=f"kefu-{self.name}")
        self._session = requests.Session()  # keeps connections to the service open between messages
        self._clients: dict[tuple[str, str], Any] = {}
        self._down_until = 0.0

    async def translate(self, text: str, source: str, target: str) -> str | None:
        return (await self.check(text, source, target)).text

    async def check(self, text: str, source: str, target: str) -> Checked:
        if base(source) == base(target):
            return Checked(text)
        masked = mask(text, self.glossary, base(source), base(target))
        result = await self._call(masked.text, source, target)
        if result is None:
            return Checked(None)
        outcome = restore(result, masked)
        if outcome.mismatch:
            # How many, not which: the items are order numbers, addresses, names.
            log.warning("%s translation %s→%s lost %d protected item(s): not used", self.name, source, target, len(outcome.missing))
        return outcome

    async def _call(self, text: str, source: str, target: str) -> str | None:
        if time.monotonic() < self._down_until:
            return None
        loop = asyncio.get_running_loop()
        for attempt in range(1 + self.retries):
            try:
                call = loop.run_in_executor(self._pool, self._translate, text, source, target)
                result = await asyncio.wait_for(call, self.timeout)
                if result is _UNSUPPORTED:
                    return None
                if isinstance(result, str) and result.strip():
                    return result
                raise ValueError("empty translation")
            except Exception as exc:  # noqa: BLE001 - every provider failure means: fall back
                log.warning("%s translation %s→%s failed (attempt %d): %s", self.name, source, target, attempt + 1, _describe(exc))
        self._down_until = time.monotonic() + self.cooldown
        return None

    def _translate(self, text: str, source: str, target: str) -> Any:
        """In a pool thread: the pair's client (built once), then the call, each bounded by the timeout."""
        client = self._client(source, target)
        return _UNSUPPORTED if client is None else client.translate(text, timeout=self.timeout)

    def _client(self, source: str, target: str) -> Any:
        """The client for this pair, or None if the provider lacks a language (both remembered)."""
        from deep_translator.exceptions import InvalidSourceOrTargetLanguage, LanguageNotSupportedException

        pair = (source, target)
        if pair not in self._clients:
            try:
                self._clients[pair] = self.make(source, target, self._session, self.timeout)
            except (LanguageNotSupportedException, InvalidSourceOrTargetLanguage) as exc:
                log.info("%s cannot translate %s→%s: %s", self.name, source, target, exc)
                self._clients[pair] = None
        return self._clients[pair]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._session.close()


_UNSUPPORTED = object()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, requests.Timeout)):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:200]


class ChainTranslator:
    """Try each translator in turn; the first answer wins."""

    def __init__(self, translators: list[Translator]) -> None:
        self.translators = translators
        self.name = "+".join(t.name for t in translators)

    async def translate(self, text: str, source: str, target: str) -> str | None:
        return (await self.check(text, source, target)).text

    async def check(self, text: str, source: str, target: str) -> Checked:
        """The first usable translation; else what the last provider lost, if one lost anything."""
        lost = Checked(None)
        for translator in self.translators:
            result = await checked(translator, text, source, target)
            if result.text is not None:
                return result
            if result.mismatch:
                lost = result
        return lost


class MemoryTranslator:
    """The store's translation memory in front of a translator: a text goes to a provider once."""

    def __init__(self, inner: Translator, store: Any, clock: Callable[[], Any]) -> None:
        self.inner, self.store, self.clock = inner, store, clock
        self.name = inner.name

    async def translate(self, text: str, source: str, target: str) -> str | None:
        return (await self.check(text, source, target)).text

    async def check(self, text: str, source: str, target: str) -> Checked:
        """Only verified translations are remembered: one that lost something is asked for again next time."""
        if base(source) == base(target):
            return Checked(text)
        remembered = await self.store.remembered(base(source), base(target), text)
        if remembered is not None:
            return Checked(remembered)
        result = await checked(self.inner, text, source, target)
        if result.text is not None:
            await self.store.remember(base(source), base(target), text, result.text, self.inner.name, self.clock())
        return result


def make_translator(spec: str, env: dict[str, str] | None = None) -> Translator:
    """Build a translator from its name: none, google, deepl, microsoft, libre, mymemory,
    table:PATH, or a table and a provider joined by "+" (table:pins.tsv+google)."""
    env = dict(os.environ) if env is None else env
    parts = [p.strip() for p in spec.split("+") if p.strip()] or ["none"]
    translators: list[Translator] = []
    for part in parts:
        if part.startswith("table:"):
            translators.append(TableTranslator(Path(part[len("table:"):]).expanduser()))
        elif part == "none":
            translators.append(NoTranslator())
        elif part in PROVIDERS:
            translators.append(ProviderTranslator(part, _provider_factory(part, env)))
        else:
            raise TranslatorError(f"unknown translator {part!r}; use one of: {', '.join(TRANSLATOR_NAMES)}")
    return translators[0] if len(translators) == 1 else ChainTranslator(translators)
