"""The interface in the agent's language, from the Babel catalogues `locale/<lang>/LC_MESSAGES/messages.po`.

Strings are written in English in the templates (`{{ _("Inbox") }}`) and the code (`_("…")`,
or `N_("…")` where the text is only marked and translated when shown). The catalogues are read
when kefu starts; a string missing from a catalogue shows in English. How to update them:
docs/web.md ("Interface strings").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
LANGUAGES_SHOWN = {"en": "English", "zh": "中文"}  # what an agent can choose


def N_(text: str) -> str:
    """Marks a string for the catalogues; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class Interface:
    language: str
    messages: dict[str, str]

    def gettext(self, text: str) -> str:
        return self.messages.get(text) or text

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get(singular if n == 1 else plural)
        return found or (singular if n == 1 else plural)

    def __call__(self, text: str, **values: object) -> str:
        """`_("{n} waiting", n=3)`: translated, then filled in."""
        found = self.gettext(text)
        return found.format(**values) if values else found


def languages() -> list[str]:
    return sorted(path.name for path in LOCALE_DIR.iterdir() if (path / "LC_MESSAGES" / "messages.po").is_file())


@lru_cache(maxsize=None)
def interface(language: str) -> Interface:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return Interface(DEFAULT, {})
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    messages: dict[str, str] = {}
    for message in catalog:
        if not message.id or not message.string or message.fuzzy:
            continue
        if isinstance(message.id, tuple):  # plural forms: singular and plural ids
            for msgid, string in zip(message.id, message.string):
                if string:
                    messages[msgid] = string
        else:
            messages[message.id] = message.string
    return Interface(language, messages)
