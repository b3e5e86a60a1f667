"""`kefu customs check` and `kefu customs table`: what the customs data file lets the bot say."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Optional

import typer

from bot.cli import ConfigOption, DbOption, app, fail, run_async, settings_or_exit
from bot.customs.answer import flagged, lines
from bot.customs.facts import CustomsFacts, Entry, load_customs
from bot.customs.setup import ShopSetup
from bot.datafiles import DataError
from replies.answers import AnswerBook, load_answers
from replies.render import values_in

customs_app = typer.Typer(help="Import duty and taxes by destination (replies/customs.yaml).", no_args_is_help=True)
app.add_typer(customs_app, name="customs")

# The key facts of each answer line, for admins (in English, from the same lines buyers get).
SHORT = {
    "customs_checkout": "{what} charged at checkout ({registration})",
    "customs_above_limit": "over {limit}: paid at delivery",
    "customs_ddp": "DDP: nothing to pay at delivery",
    "customs_above": "{What} over {limit}",
    "customs_any": "{What} on any value",
    "customs_charge": "{What} {rate}{details}",
    "customs_door": "buyer pays at delivery + carrier fee",
}
SETUPS = ("registered", "not registered", "DDP")


def _facts(config: Optional[Path]) -> tuple[Any, CustomsFacts]:
    settings = settings_or_exit(config)
    try:
        return settings, load_customs(settings.customs_file)
    except DataError as exc:
        raise fail(str(exc))


@customs_app.command("check")
def check(
    max_age: Optional[int] = typer.Option(None, "--max-age", help="Days after which an entry is old (default: customs.max_age_days, 180)."),
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Entries checked too long ago, entries a person answers, and destinations buyers asked about
    that have no entry. Exit status 1 when an entry is old or a destination is missing."""
    from bot.store.database import Store

    settings, facts = _facts(config)
    limit = max_age or settings.customs.max_age_days
    today = date.today()
    problems = 0
    for entry in facts.entries.values():
        age = (today - entry.as_of).days
        if age > limit:
            problems += 1
            typer.echo(f"old: {facts.path}:{entry.line}: {entry.code} ({entry.name}) checked {entry.as_of}, {age} days ago (limit {limit})")
        if entry.flagged:
            typer.echo(f"review: {facts.path}:{entry.line}: {entry.code} is {entry.status}: a person answers (reason customs_review)")
        for country, national in entry.national.items():
            if national.status != "verified" and not entry.flagged:
                typer.echo(f"review: {facts.path}:{national.line}: {country} is {national.status}: a person answers (reason customs_review)")

    async def main() -> None:
        nonlocal problems
        store = await Store.open(db or settings.database_url)
        try:
            asked = await store.destinations()
        finally:
            await store.close()
        for code, count in sorted(asked.items(), key=lambda item: (-item[1], item[0])):
            if not facts.covers(code):
                problems += 1
                typer.echo(f"missing: {code} asked about in {count} conversation(s), no entry in {facts.path}")
        typer.echo(f"checked {len(facts.entries)} destinations, {len(asked)} asked about: {problems} problem(s)")

    run_async(main())
    raise typer.Exit(1 if problems else 0)


@customs_app.command("table")
def table(config: Optional[Path] = ConfigOption) -> None:
    """A Markdown table: each destination × the shop's setup → what buyers are told (key facts)."""
    settings, facts = _facts(config)
    try:
        book = load_answers(settings.replies_dir)
    except DataError as exc:
        raise fail(str(exc))
    typer.echo(render_table(facts, settings.customs, book))


def render_table(facts: CustomsFacts, setup: ShopSetup, book: AnswerBook) -> str:
    rows = ["| Destination | As of | Shop registered (DDU) | Not registered (DDU) | DDP | This shop |", "|---|---|---|---|---|---|"]
    for entry in facts.entries.values():
        for country in [entry.code, *entry.national]:
            label = entry.code if country == entry.code else f"{country} ({entry.code})"
            cells = [_cell(entry, country, kind, book) for kind in SETUPS]
            rows.append(f"| {label} | {entry.as_of} | {' | '.join(cells)} | {_yours(entry, country, setup)} |")
    return "\n".join(rows)


def _cell(entry: Entry, country: str, kind: str, book: AnswerBook) -> str:
    if flagged(entry, country):
        return f"a person answers ({entry.status if not entry.national.get(country) else entry.national[country].status})"
    if kind == "registered" and entry.registration is None:
        return "—"
    setup = ShopSetup(
        registrations=frozenset({entry.registration}) if kind == "registered" and entry.registration else frozenset(),
        ddp=frozenset({country}) if kind == "DDP" else frozenset(),
    )
    facts = []
    for key, context in lines(entry, country, setup):
        if key in SHORT:
            facts.append(SHORT[key].format(**values_in("en", book, context)))
    return "; ".join(facts)


def _yours(entry: Entry, country: str, setup: ShopSetup) -> str:
    if setup.ships_ddp(country, entry.code):
        return "DDP"
    if entry.registration and entry.registration in setup.registrations:
        return "registered"
    return "not registered"
