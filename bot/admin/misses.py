"""`kefu misses`: what buyers asked that the bot could not answer, grouped.

A miss is a buyer's text message the bot tried to match and could not (no
intent, or handed off as `no_match`). Misses are grouped by language, then
greedily by word overlap of what the buyer wrote, so "do you sell gift cards"
and "gift card available?" land together, and each group comes with the
command that adds it to the intent lists — the matcher's best guess as the
intent, and for a language other than English that language's file
(`--language ru`: `<intents_dir>/ru/<file>.yaml`, created when needed): a
native phrasing never becomes an example of the English lists.
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process

from bot.conversation.handoff import NO_MATCH
from bot.store.database import Store
from intents.catalog import OUT_OF_SCOPE
from intents.matcher import Match, Matcher
from intents.normalize import normalize
from bot.language.detect import language_code

SIMILAR = 70  # token_set_ratio of two normalised texts in one group


@dataclass(frozen=True)
class Miss:
    text: str  # what the buyer wrote
    pivot: str | None  # its English translation, when there was one
    language: str | None
    created_at: datetime

    @property
    def code(self) -> str:
        """The language the text is written in, as the lists' folders name it ("en" when unknown)."""
        return language_code(self.language) or "en"


@dataclass
class MissGroup:
    misses: list[Miss] = field(default_factory=list)
    language: str = "en"  # every miss of a group is in this language
    guess: str | None = None  # the matcher's best intent for the representative
    guess_score: float = 0.0
    answered: str | None = None  # the intent the current lists choose for it, if any (fixed since)

    @property
    def count(self) -> int:
        return len(self.misses)

    @property
    def representative(self) -> str:
        """The most frequent wording in the group (the first seen on a tie)."""
        counts = Counter(" ".join(m.text.split()) for m in self.misses)
        return counts.most_common(1)[0][0]

    @property
    def variants(self) -> list[str]:
        """Other wordings in the group; case and punctuation differences are not other wordings."""
        seen = {normalize(self.representative)}
        out = []
        for miss in self.misses:
            key = normalize(miss.text)
            if key not in seen:
                seen.add(key)
                out.append(" ".join(miss.text.split()))
        return out

    @property
    def pivot(self) -> str | None:
        """The representative's English translation, when it had one (shown beside a native text)."""
        wanted = self.representative
        return next((m.pivot for m in self.misses if " ".join(m.text.split()) == wanted and m.pivot and m.pivot != m.text), None)

    @property
    def languages(self) -> list[tuple[str, int]]:
        return Counter(m.language or "?" for m in self.misses).most_common()

    @property
    def last_seen(self) -> datetime:
        return max(m.created_at for m in self.misses)

    def command(self) -> str:
        """A ready-to-run command line adding the representative as an example of the guess."""
        command = f"kefu intents add-example {self.guess or 'INTENT'} {shell_quote(self.representative)}"
        return command if self.language == "en" else f"{command} --language {self.language}"


def shell_quote(text: str) -> str:
    """Double quotes, as people write them; single quotes when the text holds characters a shell expands."""
    if any(ch in text for ch in '"\\$`!'):
        return shlex.quote(text)
    return f'"{text}"'


async def fetch_misses(store: Store, since: datetime | None = None) -> list[Miss]:
    """Buyer text messages the bot tried to match and could not answer, oldest first."""
    rows = await store.unmatched(NO_MATCH, since)
    return [Miss(text, pivot, language, created_at) for text, pivot, language, created_at in rows if normalize(pivot or text)]


def group_misses(misses: list[Miss], matcher: Matcher | None = None, similar: int = SIMILAR) -> list[MissGroup]:
    """Per language, greedy clustering, most frequent wordings first; groups sorted by size, then recency."""
    by_text: dict[tuple[str, str], list[Miss]] = {}
    for miss in misses:
        by_text.setdefault((miss.code, normalize(miss.text)), []).append(miss)
    keys = sorted(by_text, key=lambda key: -len(by_text[key]))  # stable: first seen wins a tie
    groups: list[MissGroup] = []
    heads: dict[str, tuple[list[str], list[MissGroup]]] = {}  # per language: the texts that started each group
    for language, text in keys:
        started, theirs = heads.setdefault(language, ([], []))
        found = process.extractOne(text, started, scorer=fuzz.token_set_ratio, score_cutoff=similar) if started else None
        if found is None:
            group = MissGroup(list(by_text[(language, text)]), language)
            started.append(text)
            theirs.append(group)
            groups.append(group)
        else:
            theirs[found[2]].misses.extend(by_text[(language, text)])
    groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp()))
    if matcher is not None:
        for group in groups:
            match = matcher.match(group.representative)
            group.guess, group.guess_score = best_guess(match)
            group.answered = match.intent
    return groups


def best_guess(match: Match) -> tuple[str | None, float]:
    """The intent the matcher leans to; out_of_scope when its model says so (teaching it to reject is the fix)."""
    if match.best is None:
        return None, 0.0
    if match.out_of_scope_at_its_limit:
        return OUT_OF_SCOPE, round(100 * match.out_of_scope, 1)
    return match.best.intent, match.best.score
