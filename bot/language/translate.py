"""Translation: pinned tables, a memory in the store, and providers via deep-translator.

The seeds' practice: a minor-language message goes into English (the pivot),
the bot works in English, and the answer goes back. `Translator.translate`
returns None when it has no translation; the pipeline then falls back (answer
in English, flag the message for agents) instead of blocking.
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

from bot.language.detect import language_code

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


# Environment variables holding each provider's settings.
PROVIDER_ENV = {
    "deepl": {"api_key": "KEFU_DEEPL_API_KEY"},
    "microsoft": {"api_key": "KEFU_MICROSOFT_API_KEY", "region": "KEFU_MICROSOFT_REGION"},
    "libre": {"base_url": "KEFU_LIBRE_URL", "api_key": "KEFU_LIBRE_API_KEY"},
    "mymemory": {"email": "KEFU_MYMEMORY_EMAIL"},
}
# deep-translator spells some languages its own way.
_PROVIDER_CODES = {
    "google": {"zh-cn": "zh-CN", "zh-tw": "zh-TW", "he": "iw"},
    "deepl": {"zh-cn": "zh", "zh-tw": "zh", "pt": "pt"},
    "microsoft": {"zh-cn": "zh-hans", "zh-tw": "zh-hant"},  # deep-translator lower-cases Microsoft's codes
    "libre": {"zh-cn": "zh", "zh-tw": "zh"},
    # MyMemory wants locales.
    "mymemory": {
        "en": "en-GB", "zh-cn": "zh-CN", "zh-tw": "zh-TW", "es": "es-ES", "ru": "ru-RU", "pt": "pt-PT", "fr": "fr-FR",
        "de": "de-DE", "it": "it-IT", "pl": "pl-PL", "tr": "tr-TR", "ar": "ar-SA", "ja": "ja-JP", "ko": "ko-KR",
        "uk": "uk-UA", "he": "he-IL", "nl": "nl-NL", "cs": "cs-CZ", "ro": "ro-RO", "vi": "vi-VN", "th": "th-TH",
        "id": "id-ID", "sv": "sv-SE", "el": "el-GR", "hi": "hi-IN", "fa": "fa-IR", "bg": "bg-BG", "sk": "sk-SK",
        "hu": "hu-HU", "da": "da-DK", "fi": "fi-FI", "no": "nb-NO",
    },
}


def _deepl_class() -> type:
    """deep-translator's DeepL client, sending the key the way DeepL requires since 2026.

    deep-translator 1.11.4 passes `auth_key` in the query string, which DeepL
    has retired; the request is the same otherwise, so only the call changes.
    """
    import requests
    from deep_translator import DeeplTranslator
    from deep_translator.exceptions import AuthorizationException, ServerException, TranslationNotFound

    class HeaderAuthDeepl(DeeplTranslator):
        def translate(self, text: str, **kwargs: Any) -> str:
            if self._same_source_target() or not text.strip():
                return text
            response = requests.post(
                self._base_url + "translate",
                headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
                data={"source_lang": self._source, "target_lang": self._target, "text": text},
                timeout=30,
            )
            if response.status_code == 403:
                raise AuthorizationException(self.api_key)
            if response.status_code != 200:
                raise ServerException(response.status_code)
            translations = (response.json() or {}).get("translations")
            if not translations:
                raise TranslationNotFound(text)
            return translations[0]["text"]

    return HeaderAuthDeepl


def _provider_factory(name: str, env: dict[str, str]) -> Callable[[str, str], Any]:
    """A function (source, target) -> a deep-translator object, with keys from the environment."""
    import deep_translator as dt

    settings = {key: env.get(var) for key, var in PROVIDER_ENV.get(name, {}).items()}
    if name == "deepl" and not settings["api_key"]:
        raise TranslatorError("the DeepL translator needs KEFU_DEEPL_API_KEY")
    if name == "microsoft" and not settings["api_key"]:
        raise TranslatorError("the Microsoft translator needs KEFU_MICROSOFT_API_KEY (and KEFU_MICROSOFT_REGION)")
    if name == "libre" and not settings["base_url"]:
        raise TranslatorError("the LibreTranslate translator needs KEFU_LIBRE_URL (your server's address, e.g. http://localhost:5000/)")
    codes = _PROVIDER_CODES.get(name, {})

    def make(source: str, target: str) -> Any:
        src, tgt = codes.get(source, source), codes.get(target, target)
        if name == "google":
            return dt.GoogleTranslator(source=src, target=tgt)
        if name == "deepl":
            free = settings["api_key"].endswith(":fx")
            return _deepl_class()(api_key=settings["api_key"], source=src, target=tgt, use_free_api=free)
        if name == "microsoft":
            return dt.MicrosoftTranslator(api_key=settings["api_key"], region=settings["region"], source=src, target=tgt)
        if name == "libre":
            # deep-translator insists on a key; a server run without keys ignores it.
            url = settings["base_url"].rstrip("/") + "/"
            return dt.LibreTranslator(source=src, target=tgt, custom_url=url, api_key=settings["api_key"] or "no-key")
        return dt.MyMemoryTranslator(source=codes.get(source, source), target=tgt, email=settings["email"])

    return make


@dataclass
class ProviderTranslator:
    """A translation service reached through deep-translator.

    deep-translator is synchronous and sets no timeout, so calls run on a small
    dedicated pool and are abandoned after `timeout` seconds; one retry, then
    the service is left alone for `cooldown` seconds so a dead provider cannot
    slow every message down.
    """

    name: str
    make: Callable[[str, str], Any]
    timeout: float = 8.0
    cooldown: float = 60.0
    retries: int = 1

    def __post_init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"kefu-{self.name}")
        self._down_until = 0.0

    async def translate(self, text: str, source: str, target: str) -> str | None:
        if base(source) == base(target):
            return text
        if time.monotonic() < self._down_until:
            return None
        client = self._client(source, target)
        if client is None:
            return None
        loop = asyncio.get_running_loop()
        for attempt in range(1 + self.retries):
            try:
                call = loop.run_in_executor(self._pool, client.translate, text)
                result = await asyncio.wait_for(call, self.timeout)
                if isinstance(result, str) and result.strip():
                    return result
                raise ValueError("empty translation")
            except Exception as exc:  # noqa: BLE001 - every provider failure means: fall back
                log.warning("%s translation %s→%s failed (attempt %d): %s", self.name, source, target, attempt + 1, _describe(exc))
        self._down_until = time.monotonic() + self.cooldown
        return None

    def _client(self, source: str, target: str) -> Any:
        """A deep-translator client for this pair, or None if the provider lacks a language.

        Built per call: deep-translator clients keep per-request state and are
        not safe to share between threads.
        """
        from deep_translator.exceptions import InvalidSourceOrTargetLanguage, LanguageNotSupportedException

        try:
            return self.make(source, target)
        except (LanguageNotSupportedException, InvalidSourceOrTargetLanguage) as exc:
            log.info("%s cannot translate %s→%s: %s", self.name, source, target, exc)
            return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:200]


class ChainTranslator:
    """Try each translator in turn; the first answer wins."""

    def __init__(self, translators: list[Translator]) -> None:
        self.translators = translators
        self.name = "+".join(t.name for t in translators)

    async def translate(self, text: str, source: str, target: str) -> str | None:
        for translator in self.translators:
            result = await translator.translate(text, source, target)
            if result is not None:
                return result
        return None


class MemoryTranslator:
    """The store's translation memory in front of a translator: a text goes to a provider once."""

    def __init__(self, inner: Translator, store: Any, clock: Callable[[], Any]) -> None:
        self.inner, self.store, self.clock = inner, store, clock
        self.name = inner.name

    async def translate(self, text: str, source: str, target: str) -> str | None:
        if base(source) == base(target):
            return text
        remembered = await self.store.remembered(base(source), base(target), text)
        if remembered is not None:
            return remembered
        result = await self.inner.translate(text, source, target)
        if result is not None:
            await self.store.remember(base(source), base(target), text, result, self.inner.name, self.clock())
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
