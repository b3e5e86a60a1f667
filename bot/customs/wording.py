"""The pieces of a customs answer written in the language of the text they go into.

Amounts and dates come out as CLDR writes them in that language (Babel), a country under its
own name there, and the names of taxes and the pieces of a charge from the language's customs
texts (`words:` in replies/customs/<lang>.yaml).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from babel.numbers import format_currency, parse_pattern

from bot.customs.countries import babel_locale, country_name
from bot.customs.facts import Amount, Charge
from replies.answers import AnswerBook


def word(book: AnswerBook, key: str, language: str) -> str:
    found = book.lookup("words", key, "chat", language)
    return found[0] if found else key


def money(amount: Amount, language: str) -> str:
    locale = babel_locale(language) or babel_locale("en")
    if amount.value == amount.value.to_integral_value():  # "€150", not "€150.00"
        pattern = copy.copy(parse_pattern(locale.currency_formats["standard"].pattern))
        pattern.frac_prec = (0, 0)
        return pattern.apply(amount.value, locale, currency=amount.currency, currency_digits=False)
    return format_currency(amount.value, amount.currency, locale=locale)


def day(moment: date, language: str) -> str:
    return format_date(moment, "long", locale=babel_locale(language) or babel_locale("en"))


def capital(text: str, language: str) -> str:
    if not text:
        return text
    first = "İ" if text[0] == "i" and language.split("-")[0] in ("tr", "az") else text[0].upper()
    return first + text[1:]


@dataclass(frozen=True)
class Country:
    code: str

    def written(self, language: str, book: AnswerBook) -> str:
        return country_name(self.code, language)


@dataclass(frozen=True)
class Day:
    moment: date

    def written(self, language: str, book: AnswerBook) -> str:
        return day(self.moment, language)


@dataclass(frozen=True)
class Money:
    amount: Amount

    def written(self, language: str, book: AnswerBook) -> str:
        return money(self.amount, language)


@dataclass(frozen=True)
class Tax:
    """A tax's name ("VAT", "customs duty"), with its rate when known; `first` at the start of a sentence."""

    key: str
    rate: str | None = None
    first: bool = False

    def written(self, language: str, book: AnswerBook) -> str:
        text = word(book, self.key, language)
        if self.rate:
            text = f"{text} ({self.rate})"
        return capital(text, language) if self.first else text


@dataclass(frozen=True)
class Rate:
    value: str | Amount

    def written(self, language: str, book: AnswerBook) -> str:
        return self.value if isinstance(self.value, str) else money(self.value, language)


@dataclass(frozen=True)
class Details:
    """What follows a charge's rate: per what, on which parcels, since when."""

    charge: Charge

    def written(self, language: str, book: AnswerBook) -> str:
        charge, pieces = self.charge, []
        if charge.per:
            pieces.append(word(book, f"per_{charge.per}", language))
        if charge.over and charge.up_to:
            pieces.append(word(book, "between", language).format(amount=money(charge.over, language), limit=money(charge.up_to, language)))
        elif charge.up_to:
            pieces.append(word(book, "up_to", language).format(amount=money(charge.up_to, language)))
        elif charge.over:
            pieces.append(word(book, "over", language).format(amount=money(charge.over, language)))
        if charge.since:
            pieces.append(word(book, "since", language).format(date=day(charge.since, language)))
        return "".join(pieces)
