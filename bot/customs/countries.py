"""The buyer's country: named in a message, or hinted by the channel.

Names come from CLDR through Babel (`Locale.territories`: every country in every language),
never from a hand-written list. A light normalisation reads inflected forms: in a language other
than English a word matches a name when it keeps all of the name but its last letter (two for
names of seven letters or more) and is at most that much longer ("в Германию", "do Německa",
"Almanya'ya"); Hebrew and Arabic one-letter prefixes may be dropped ("לגרמניה"); scripts written
without spaces are searched as they are ("到巴西"). Polish "do Niemiec" is beyond it: the English
pivot of the message still names Germany.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.core import get_global

GROUPS = ("EU",)  # regions answered as one destination (replies/customs.yaml)
_WORD = re.compile(r"[^\W\d_]+")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")  # Thai, kana, Han
_PREFIXES = {"he": "לבמהוש", "ar": "لبوف"}
# Country-code domains that are sold to anyone as generic names: they say nothing about a country.
_GENERIC_TLDS = frozenset("ai app cc co fm gg io ly me so to tv ws".split())
_BABEL_CODES = {"zh-cn": "zh_Hans", "zh-tw": "zh_Hant", "zh": "zh_Hans", "no": "nb"}


def real_countries() -> frozenset[str]:
    """ISO 3166 countries and territories as CLDR knows them (no world regions, no "unknown")."""
    return _real()


@functools.lru_cache(maxsize=1)
def _real() -> frozenset[str]:
    return frozenset(code for code in get_global("territory_languages") if len(code) == 2 and code.isalpha())


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def babel_locale(language: str) -> Locale | None:
    code = language.lower()
    try:
        return Locale.parse(_BABEL_CODES.get(code, code.split("-")[0]))
    except (ValueError, UnknownLocaleError):
        return None


def country_name(code: str, language: str) -> str:
    """The country's name in a language ("Deutschland"), or the code when CLDR has none."""
    locale = babel_locale(language)
    return (locale.territories.get(code) if locale else None) or Locale.parse("en").territories.get(code, code)


Name = tuple[tuple[str, ...], str]  # (folded words of a name, its code)


@dataclass(frozen=True)
class _Index:
    """A language's country names: spaced ones by their first word's first letters, unspaced ones whole."""

    spaced: dict[str, tuple[Name, ...]]  # the first word's first four letters (or the whole word if shorter)
    unspaced: tuple[tuple[str, str], ...]


def _key(word: str) -> str:
    return word[:4]


@functools.lru_cache(maxsize=64)
def _index(language: str) -> _Index:
    locale = babel_locale(language)
    if locale is None:
        return _Index({}, ())
    wanted = _real() | set(GROUPS)
    spaced: dict[str, list[Name]] = {}
    unspaced = []
    for code, name in locale.territories.items():
        if code not in wanted:
            continue
        folded = _fold(name)
        if _UNSPACED.search(folded):
            unspaced.append((folded.replace(" ", ""), code))
            continue
        words = tuple(_WORD.findall(folded))
        if words:
            spaced.setdefault(_key(words[0]), []).append((words, code))
    longest_first = {k: tuple(sorted(v, key=lambda n: -sum(map(len, n[0])))) for k, v in spaced.items()}
    return _Index(longest_first, tuple(unspaced))


def _same(forms: tuple[str, ...], name: str, inflected: bool) -> bool:
    """A word (or the word without a one-letter prefix) is the name, or the name inflected."""
    for word in forms:
        if word == name:
            return True
        if not inflected or len(name) < 5 or len(word) < 4:
            continue
        stem, longer = (len(name) - 1, 1) if len(name) <= 6 else (len(name) - 2, 2)
        if word[:stem] == name[:stem] and len(word) <= len(name) + longer:
            return True
    return False


def countries_in(text: str, language: str, *, inflected: bool = True) -> list[str]:
    """Countries a text names in `language`, in the order they appear."""
    index = _index(language)
    folded = _fold(text)
    found: list[tuple[int, str]] = [(at, code) for name, code in index.unspaced if (at := folded.find(name)) >= 0]
    prefixes = _PREFIXES.get(language.split("-")[0], "")
    words = [(w, w[1:]) if len(w) > 3 and w[0] in prefixes else (w,) for w in _WORD.findall(folded)]
    start = 0
    while start < len(words):
        size = 1
        candidates = {name for form in words[start] for name in index.spaced.get(_key(form), ())}
        for name, code in sorted(candidates, key=lambda n: -sum(map(len, n[0]))):
            size = len(name)
            if start + size <= len(words) and all(_same(words[start + i], name[i], inflected) for i in range(size)):
                found.append((start * 1000, code))  # word positions: after any unspaced hit at the same place
                break
        else:
            size = 1
        start += size
    return list(dict.fromkeys(code for _, code in sorted(found)))


def codes_in(text: str) -> list[str]:
    """Countries written as codes in capitals: "UK", "USA", "EU" (CLDR's aliases of ISO codes)."""
    aliases = get_global("territory_aliases")
    out = []
    for token in re.findall(r"(?<![\w.])[A-Z]{2,3}(?![\w])", text):
        code = token if token in _real() or token in GROUPS else (aliases.get(token) or [None])[0]
        if code in _real() or code in GROUPS:
            out.append(code)
    return out


def named(text: str, pivot: str, language: str, *, origin: str | None = None) -> list[str]:
    """Countries a buyer's message names: in their language (inflected forms too), in English, and
    in the English pivot; the country the shop ships from is never a destination."""
    found: list[str] = []
    letters = [c for c in text if c.isupper() or c.islower()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) > len(letters) / 2
    sources: Iterable[list[str]] = (
        countries_in(text, language, inflected=language.split("-")[0] != "en"),
        countries_in(text, "en", inflected=False),
        countries_in(pivot, "en", inflected=False) if pivot and pivot != text else [],
        [] if shouting else codes_in(text),
        codes_in(pivot) if pivot and pivot != text and not shouting else [],
    )
    for codes in sources:
        found.extend(codes)
    return [code for code in dict.fromkeys(found) if code != origin]


def locale_country(locale: str | None) -> str | None:
    """The region of a locale such as Slack's "pt-BR" → BR."""
    if not locale:
        return None
    parts = re.split(r"[-_]", locale)
    region = next((p.upper() for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
    return region if region in _real() else None


def address_country(address: str | None) -> str | None:
    """The country of an e-mail address's domain ending (hans@web.de → DE): a weak hint."""
    if not address or "@" not in address:
        return None
    tld = address.rsplit(".", 1)[-1].strip().lower()
    if len(tld) != 2 or tld in _GENERIC_TLDS:
        return None
    code = tld.upper()
    if code not in _real():
        code = (get_global("territory_aliases").get(code) or [None])[0]  # uk → GB
    return code if code in _real() else None
