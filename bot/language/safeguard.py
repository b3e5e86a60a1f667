"""What machine translation must not change: masked before, restored and checked after.

Order and tracking numbers, SKUs, the shop's names (the glossary), URLs, e-mail
addresses, amounts with their currency and dates are replaced by tokens such as
`ZXQ3Z` before a text goes to a provider. Capitalised nonsense with a digit is
what Google, DeepL, Microsoft, LibreTranslate and MyMemory copy through (they
treat it as a product code); they may still move it, put spaces in it, change
its case or write it in full-width letters, so tokens are found by a lenient
pattern. After restoring, every masked item and every number of the source must
be in the result; otherwise the translation is not used (see `Checked`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.datafiles import DataError, LineDict, expect, load_yaml
from bot.language.detect import language_code

GLOSSARY_FILE = "glossary.yaml"


@dataclass(frozen=True)
class Term:
    """A name the shop fixes: kept as written, or rendered per language (`renderings`)."""

    name: str
    renderings: dict[str, str] = field(default_factory=dict)

    def written(self, language: str) -> str:
        return self.renderings.get(_base(language), self.name)

    def spellings(self, language: str) -> list[str]:
        """How a text in `language` may write the term: its own rendering, and the name itself."""
        own = self.renderings.get(_base(language))
        return [own, self.name] if own and own != self.name else [self.name]


@dataclass(frozen=True)
class Glossary:
    terms: tuple[Term, ...] = ()
    _finders: dict = field(default_factory=dict, compare=False, repr=False)

    def finder(self, language: str) -> tuple[re.Pattern | None, dict[str, Term]]:
        """One pattern for every spelling of every term in `language` (longest first), and the term of each."""
        if language not in self._finders:
            spellings: dict[str, Term] = {}
            for term in self.terms:
                for spelling in term.spellings(language):
                    spellings.setdefault(spelling.lower(), term)
            ordered = sorted(spellings, key=len, reverse=True)
            pattern = "|".join(map(re.escape, ordered))
            self._finders[language] = (re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE) if ordered else None, spellings)
        return self._finders[language]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def __add__(self, other: "Glossary") -> "Glossary":
        names = {t.name.casefold() for t in other.terms}
        return Glossary(tuple(t for t in self.terms if t.name.casefold() not in names) + other.terms)


def parse_glossary(data: Any, path: Path, line: int = 1) -> Glossary:
    """A glossary from YAML: `Name:` (kept everywhere) or `term: {de: rendering, ...}`; errors name file:line."""
    if data is None:
        return Glossary()
    expect(data, dict, path, line, "the glossary")
    terms = []
    for name, value in data.items():
        where = data.line_of(name) if isinstance(data, LineDict) else line
        if not isinstance(name, str) or not name.strip():
            raise DataError(path, where, f"a glossary term must be text, got {name!r}")
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise DataError(path, where, f"{name!r}: give nothing (keep it as written) or a mapping language: rendering, got {value!r}")
        renderings = {}
        for language, rendering in value.items():
            if not isinstance(language, str) or not re.fullmatch(r"[a-z]{2,3}(-[a-z]{2,4})?", language.lower()):
                raise DataError(path, where, f"{name!r}: {language!r} is not a language code (de, ru, zh-cn…)")
            if not isinstance(rendering, str) or not rendering.strip():
                raise DataError(path, where, f"{name!r}: the {language} rendering must be text")
            renderings[_base(language)] = rendering.strip()
        terms.append(Term(name.strip(), renderings))
    return Glossary(tuple(terms))


def load_glossary(replies_dir: Path, configured: Glossary | None = None) -> Glossary:
    """`replies/glossary.yaml` (when present) with kefu.yaml's `glossary:` on top."""
    path = replies_dir / GLOSSARY_FILE
    found = parse_glossary(load_yaml(path), path) if path.is_file() else Glossary()
    return found + (configured or Glossary())


# -- masking -------------------------------------------------------------------------------

_CURRENCY_CODES = r"USD|EUR|GBP|CNY|RMB|JPY|RUB|UAH|PLN|CZK|CHF|SEK|NOK|DKK|AUD|CAD|NZD|BRL|MXN|TRY|KRW|INR|HKD|SGD"
_SYMBOLS = r"[$€£¥₽₩₹₺]|US\$|R\$|A\$|C\$|руб\.?|zł|Kč|元"
_NUMBER = r"\d+(?:[.,' \u00a0]\d+)*"
# Most specific first: a URL holds digits and names, an amount holds a number.
_PATTERNS = [
    ("url", r"(?:https?://|www\.)[^\s<>\"'）」]+[^\s<>\"'.,;:!?)）」]"),
    ("email", r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("amount", rf"(?:(?:{_SYMBOLS})\s?{_NUMBER}|(?:{_CURRENCY_CODES})\s?{_NUMBER}|{_NUMBER}\s?(?:{_SYMBOLS}|{_CURRENCY_CODES})(?![A-Za-z]))"),
    ("date", r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./]\d{2,4})\b"),
    # Order numbers, tracking numbers, SKUs: a code with a digit, or #123, or a long number.
    ("code", r"#\d+|\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]+(?:-[A-Z0-9]+)*\b(?<=[\w-]{4})|\b\d{5,}\b"),
]
_SCANNER = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _PATTERNS))


def _token(index: int) -> str:
    return f"ZXQ{index}Z"


def _letter(ch: str) -> str:
    full = chr(ord(ch.upper()) - ord("A") + ord("Ａ"))
    return f"[{ch.lower()}{ch.upper()}{full}{chr(ord(full) + 32)}]"


_GAP = r"[\s\u200b\u00a0-]*"
# A token as providers give it back: any case, full-width, spaced out ("zxq 3 z", "ＺＸＱ３Ｚ").
_TOKEN = re.compile(_GAP.join([_letter("Z"), _letter("X"), _letter("Q"), r"(\d+)", _letter("Z")]))


@dataclass(frozen=True)
class Masked:
    text: str  # what goes to the provider
    items: tuple[str, ...]  # the original of each token, by index
    renderings: tuple[str, ...]  # what each token becomes in the target language
    numbers: Counter  # the digit runs of the unmasked rest


def mask(text: str, glossary: Glossary = Glossary(), source: str = "en", target: str = "en") -> Masked:
    """`text` with the protected items replaced by tokens."""
    items: list[str] = []
    renderings: list[str] = []

    def token(original: str, rendering: str) -> str:
        items.append(original)
        renderings.append(rendering)
        return _token(len(items) - 1)

    spans = _protected_spans(text, glossary, source, target)
    out, at = [], 0
    for start, end, rendering in spans:
        out.append(text[at:start])
        out.append(token(text[start:end], rendering if rendering is not None else text[start:end]))
        at = end
    out.append(text[at:])
    masked = "".join(out)
    return Masked(masked, tuple(items), tuple(renderings), numbers(_TOKEN.sub(" ", masked)))


def _protected_spans(text: str, glossary: Glossary, source: str, target: str) -> list[tuple[int, int, str | None]]:
    spans: list[tuple[int, int, str | None]] = []
    taken = [False] * len(text)

    def add(start: int, end: int, rendering: str | None) -> None:
        if not any(taken[start:end]):
            spans.append((start, end, rendering))
            taken[start:end] = [True] * (end - start)

    for found in _SCANNER.finditer(text):  # URLs and e-mails before names: a brand inside a link stays in the link
        if found.lastgroup in ("url", "email"):
            add(found.start(), found.end(), None)
    names, terms = glossary.finder(source)  # the longest spelling first: "PowerCore Slim" wins over "PowerCore"
    for found in names.finditer(text) if names else ():
        term = terms.get(found.group().lower())
        add(found.start(), found.end(), term.written(target) if term and term.renderings else found.group())
    for found in _SCANNER.finditer(text):
        add(found.start(), found.end(), None)
    return sorted(spans)


def numbers(text: str) -> Counter:
    """The digit runs of a text, in any script's digits (３, ٣, ३ are 3), so "1.5" and "1,5" count the same."""
    return Counter("".join(str(unicodedata.decimal(digit)) for digit in run) for run in re.findall(r"\d+", text))


@dataclass(frozen=True)
class Checked:
    """A translation and what of the source it lost; `text` is None when it cannot be used."""

    text: str | None
    missing: tuple[str, ...] = ()
    unchecked: str | None = None  # the provider's result, restored as far as it goes (shown to agents)

    @property
    def mismatch(self) -> bool:
        return bool(self.missing)


def restore(translated: str, masked: Masked) -> Checked:
    """Tokens back to their items; `missing` lists every item or number of the source not in the result."""
    seen: set[int] = set()
    stray: list[str] = []

    def back(found: re.Match) -> str:
        index = int(found.group(1))
        if index >= len(masked.items):
            stray.append(found.group())
            return found.group()
        seen.add(index)
        return masked.renderings[index]

    restored = _TOKEN.sub(back, translated)
    missing = [item for index, item in enumerate(masked.items) if index not in seen]
    got = numbers(_TOKEN.sub(" ", translated))
    for number, count in masked.numbers.items():
        if got[number] < count:
            missing.append(number)
    missing += stray
    if missing:
        return Checked(None, tuple(missing), restored)
    return Checked(restored, (), restored)


def describe(missing: tuple[str, ...] | list[str]) -> str:
    """For an agent: what the machine translation lost."""
    return "the translation lost or changed " + ", ".join(f"“{item}”" for item in missing) + "; check it before it goes out"


def _base(code: str) -> str:
    return language_code(code) or code.lower()
