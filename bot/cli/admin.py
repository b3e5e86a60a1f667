"""Admin commands: `kefu intents …`, `kefu eval`, `kefu misses`, `kefu stats`.

Only CLI ↔ function conversion lives here; the work is in bot.admin.checks,
bot.admin.yamledit, bot.admin.evaluation, bot.admin.misses and bot.admin.stats, the views in bot.admin.views.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from bot.cli import ConfigOption, DbOption, TranslatorOption, app, console, errors, fail, run_async, settings_or_exit
from bot.config import Settings
from bot.datafiles import DataError
from bot.store.errors import StoreError

if TYPE_CHECKING:
    from bot.store.database import Store
    from intents.matcher import Match, Matcher

intents_app = typer.Typer(help="Check, try and extend the intent lists.", no_args_is_help=True)
app.add_typer(intents_app, name="intents")

SinceOption = typer.Option(
    None, "--since", help="Only messages from then on: 2026-11-01 (UTC midnight), 2026-11-01T08:00+08:00, or an age: 7d, 12h, 2w.",
    show_default=False,
)


IntentsOption = typer.Option(
    None, "--intents", help="Another intent lists folder (any list, no answers needed) instead of the configured intents_dir.",
    show_default=False,
)


@intents_app.command("check")
def intents_check(
    path: Optional[Path] = typer.Argument(None, help="An intent lists folder (default: the configured intents_dir).", show_default=False),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Validate the intent lists, answers, facts and hours, and find conflicting examples.

    Another folder than the configured intents_dir, when no replies_dir is configured
    either, is checked on its own as any intent list: no answers or catalogue ids expected.
    Exit status 1 when there are errors (the bot would refuse these files); warnings alone exit 0.
    """
    from bot.admin.views import print_finding
    from bot.admin.checks import check_data

    settings = settings_or_exit(config)
    folder = path or settings.intents_dir
    if not folder.is_dir():
        raise fail(f"{folder}: not an intent lists folder")
    from replies.answers import REPLIES_DIR

    shop = folder.resolve() == settings.intents_dir.resolve() or settings.replies_dir.resolve() != REPLIES_DIR.resolve()
    result = check_data(folder, settings.replies_dir if shop else None, settings.languages)
    for finding in result.errors + result.warnings:
        print_finding(console, finding)
    console.print(result.summary(), style="bold red" if result.errors else "bold green", highlight=False, soft_wrap=True)
    raise typer.Exit(1 if result.errors else 0)


@intents_app.command("test")
def intents_test(
    text: str = typer.Argument(..., help="A buyer message, in any language."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Language hint, as a channel would send it (e.g. ru)."),
    translator: Optional[str] = TranslatorOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Show how the bot reads a message: top 3 intents, scores, threshold, out-of-scope probability, nearest examples."""
    from bot.admin.views import probe_view
    from bot.app import configured_translator, make_detector
    from bot.brain import load_brain
    from bot.conversation.decide import Heard, Situation, decide
    from bot.conversation.understand import understand

    settings = settings_or_exit(config)

    async def main() -> None:
        brain = load_brain(settings)
        detector = make_detector(settings, intents=brain.intents)
        chosen = configured_translator(settings, translator)
        understood = await understand(text, detector=detector, translator=chosen, matcher=brain.matcher, hint=language)
        decided = decide(Heard(True, text, understood), Situation(), brain, datetime.now(timezone.utc), understood.language)
        # each reading as the bot made it (the pivot in English, the original in the language detected), with
        # every candidate shown compared with its nearest example
        original = brain.matcher.match(text, understood.language, explain=True)
        if understood.pivot != text:
            pivot = brain.matcher.match(understood.pivot, "en", explain=True)
        else:
            pivot = original if understood.reading == "native" else brain.matcher.match(text, "en", explain=True)
        console.print(probe_view(text, understood, decided, pivot, original))

    run_async(main())


@intents_app.command("add-example")
def intents_add_example(
    intent: str = typer.Argument(..., help="The intent id, e.g. shipping_cost."),
    text: str = typer.Argument(..., help="The example, as a buyer would write it."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="The intent file to edit (default: where the intent is defined); "
                                        "a file of a language folder is created when needed, e.g. intents/lists/es/presale.yaml.",
                                        show_default=False),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="A native phrasing in this language: it goes to "
                                           "<intents_dir>/<language>/<the intent's file>, created when needed.", show_default=False),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Append an example to an intent, keeping the file's comments, order and quoting."""
    from bot.admin.findings import shown_path
    from bot.admin.yamledit import Refused, add_example

    settings = settings_or_exit(config)
    try:
        added = add_example(settings.intents_dir, intent, text, file, language)
    except (Refused, DataError) as exc:
        raise fail(str(exc))
    console.print(f"{shown_path(added.path)}:{added.line}: added {added.text!r} to {added.intent}", highlight=False, soft_wrap=True)


@intents_app.command("learn")
def intents_learn(
    since: Optional[str] = SinceOption,
    db: Optional[str] = DbOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be added; change nothing."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Turn buyer messages an agent confirmed (translated to find their intent, then handled by an agent)
    into native example phrasings of their language, in <intents_dir>/<language>/."""
    from bot.admin.findings import shown_path
    from bot.admin.learn import fetch_confirmed, to_learn
    from bot.admin.yamledit import Refused, add_examples

    settings = settings_or_exit(config)
    start = parse_since(since) if since else None

    async def main() -> None:
        store = await open_store(db or settings.database_url)
        try:
            confirmed = await fetch_confirmed(store, start)
        finally:
            await store.close()
        learn, skipped = to_learn(confirmed, settings.intents_dir)
        for item, why in skipped:
            console.print(f"skipped ({why}): {item.language} {item.intent} {item.text!r}", highlight=False, soft_wrap=True, style="dim")
        if dry_run or not learn:
            for item in learn:
                console.print(f"would add to {item.intent} ({item.language}): {item.text!r}  — pivot {item.pivot!r}",
                              highlight=False, soft_wrap=True)
            console.print(f"{len(learn)} to learn, {len(skipped)} skipped" + (" (dry run: nothing changed)" if dry_run else ""))
            return
        try:
            added = add_examples(settings.intents_dir, [(i.intent, i.text, i.language) for i in learn])
        except (Refused, DataError) as exc:
            raise fail(str(exc))
        for item in added:
            console.print(f"{shown_path(item.path)}:{item.line}: added {item.text!r} to {item.intent}", highlight=False, soft_wrap=True)
        console.print(f"learnt {len(added)} native examples, {len(skipped)} skipped")

    run_async(main())


@app.command("eval")
def eval_command(
    file: Path = typer.Argument(..., help="A TSV of intent<TAB>text rows (or lang<TAB>intent<TAB>text<TAB>english); "
                                "out_of_scope marks messages the bot must not answer."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (the summary line goes to stderr)."),
    tune: bool = typer.Option(False, "--tune", help="Choose the threshold and out-of-scope probability on this file, "
                              "store them with the model, and report with them."),
    min_rejection: Optional[float] = typer.Option(
        None, "--min-rejection", min=0.0, max=1.0, show_default=False,
        help="With --tune: the best accuracy among the limits that reject at least this share of out_of_scope rows "
             "(default: the best accuracy + rejection)."),
    max_wrong: Optional[float] = typer.Option(
        None, "--max-wrong", min=0.0, max=1.0, show_default=False,
        help="With --tune: the best accuracy among the limits that answer at most this share of the rows with a "
             "wrong intent."),
    intents: Optional[Path] = IntentsOption,
    translator: Optional[str] = TranslatorOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Measure the matcher on a labelled file: accuracy, out-of-scope rejection, per intent, confusions, threshold sweep.

    Each text is read as the bot reads it: its language detected, matched as
    written (a language with phrasings of its own against them, with the native
    limits); with --translator, through the English pivot too.
    The last line is always the summary, e.g. `accuracy=0.973 oos_rejection=0.920`.
    """
    from bot.admin.evaluation import evaluate_matches, read_rows, tune_readings
    from bot.admin.views import eval_view
    from bot.brain import load_matcher
    from intents.modelstore import save_calibration

    settings = settings_or_exit(config)
    try:
        read = read_rows(file)
        matcher = load_matcher(settings, intents)
    except DataError as exc:
        raise fail(str(exc))
    rows = [(row.label, row.text) for row in read]
    matches, detected = _through_pivot(settings, matcher, rows, translator or "none")
    languages = [row.language or found for row, found in zip(read, detected)]  # the file's column, else detected
    report = evaluate_matches(matcher, matches, languages)
    if tune:
        try:
            tuned = tune_readings(matcher, matches, source=str(file), min_rejection=min_rejection, max_wrong=max_wrong)
        except ValueError as exc:
            raise fail(f"{file}: {exc}")
        stored = save_calibration(matcher.name, tuned)
        matcher.calibrate(tuned, settings.threshold, settings.oos_probability)
        before = report
        report = evaluate_matches(matcher, matches, languages)
        report.tuned = tuned
        native = (f"; read natively: threshold {tuned.native_threshold:g}, out-of-scope probability "
                  f"{tuned.native_oos_probability:g}" if tuned.native_threshold is not None else "")
        errors.print(f"tuned on {file}: threshold {tuned.threshold:g}, out-of-scope probability {tuned.oos_probability:g}"
                     f"{native} (accuracy {before.accuracy:.3f} → {report.accuracy:.3f}, oos_rejection "
                     f"{before.oos_rejection:.3f} → {report.oos_rejection:.3f}); stored in {stored}",
                     highlight=False, markup=False)
        if settings.threshold is not None or settings.oos_probability is not None:
            errors.print(f"note: {settings.source or 'the configuration'} sets threshold/oos_probability, which win over "
                         "the tuned values", highlight=False, markup=False)
    summary = f"accuracy={report.accuracy:.3f} oos_rejection={report.oos_rejection:.3f}"
    if as_json:
        sys.stdout.write(json.dumps({"file": str(file), "translator": translator, **report.as_dict()}, indent=2) + "\n")
        sys.stdout.flush()
        errors.print(summary, highlight=False, markup=False)
        return
    console.print(eval_view(report, str(file)))
    console.print(summary, highlight=False, markup=False, style="bold")


def _through_pivot(
    settings: Settings, matcher: Matcher, rows: list[tuple[str, str]], translator: str
) -> tuple[list[tuple[str, Match]], list[str]]:
    """Each row as the bot reads it: language detection, the native and the pivot readings; and the language found."""
    from bot.app import configured_translator, make_detector
    from bot.language.translate import TranslatorError
    from bot.conversation.understand import understand

    try:
        chosen = configured_translator(settings, translator)
    except TranslatorError as exc:
        raise fail(str(exc))
    detector = make_detector(settings, intents=matcher.intents)

    async def main() -> list[tuple[str, Match, str]]:
        return [(label, u.match, u.language) for label, text in rows
                for u in [await understand(text, detector=detector, translator=chosen, matcher=matcher)]]

    read = asyncio.run(main())
    return [(label, match) for label, match, _ in read], [language for _, _, language in read]


@app.command()
def misses(
    since: Optional[str] = SinceOption,
    db: Optional[str] = DbOption,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show at most this many groups."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """What buyers asked that the bot could not answer, grouped, with the command that teaches it."""
    from bot.admin.views import print_misses
    from bot.brain import load_brain
    from bot.admin.misses import fetch_misses, group_misses

    settings = settings_or_exit(config)
    start = parse_since(since) if since else None

    async def main() -> None:
        store = await open_store(db or settings.database_url)
        try:
            found = await fetch_misses(store, start)
        finally:
            await store.close()
        if not found:
            console.print("no unanswered buyer messages" + (f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""))
            return
        groups = group_misses(found, load_brain(settings).matcher)
        print_misses(console, groups, limit)

    run_async(main())


@app.command()
def stats(
    since: Optional[str] = SinceOption,
    db: Optional[str] = DbOption,
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the figures into this PNG file.", show_default=False),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Messages by channel and language, containment, handoffs by reason, first-response times, out-of-hours share."""
    from bot.admin.views import stats_view
    from bot.hours import BusinessHours, load_hours
    from bot.admin.stats import compute_stats, fetch_rows

    settings = settings_or_exit(config)
    start = parse_since(since) if since else None
    if plot is not None and plot.suffix.lower() != ".png":
        raise fail(f"--plot {plot}: the file name must end in .png")

    async def main() -> None:
        hours = load_hours(settings.hours_file) if settings.hours_file.is_file() else BusinessHours()
        store = await open_store(db or settings.database_url)
        try:
            rows = await fetch_rows(store, start)
        finally:
            await store.close()
        figures = compute_stats(rows, hours, start)
        console.print(stats_view(figures))
        if plot is not None:
            from bot.admin.plot import plot_stats

            plot_stats(figures, plot)
            console.print(f"figures written to {plot}", highlight=False)

    run_async(main())


@app.command("unanswered-mail")
def unanswered_mail(
    since: Optional[str] = SinceOption,
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Mail kefu kept without answering: machines' mail (bounces, notices, spam…) and colleagues' notes, with the reason."""
    from rich.table import Table

    settings = settings_or_exit(config)
    start = parse_since(since) if since else None

    async def main() -> None:
        store = await open_store(db or settings.database_url)
        try:
            kept = await store.messages(since=start, statuses=("machine", "note"))
        finally:
            await store.close()
        if not kept:
            console.print("no unanswered mail" + (f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""))
            return
        table = Table("received (UTC)", "kind", "from", "subject", "why not answered")
        for message in kept:
            raw = message.raw or {}
            decision = raw.get("decision", {})
            table.add_row(
                f"{message.created_at:%Y-%m-%d %H:%M}", decision.get("kind", message.status), raw.get("from") or message.sender or "",
                raw.get("subject", ""), decision.get("reason", ""),
            )
        console.print(table)

    run_async(main())


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """--since: an ISO date (UTC midnight), an ISO time (UTC unless it has an offset), or an age like 7d, 12h, 2w."""
    from bot.admin.since import parse_since as parse

    try:
        return parse(value, now or datetime.now(timezone.utc))
    except ValueError as exc:
        raise fail(f"--since {exc}") from None


async def open_store(url: str) -> Store:
    """The store, without creating an empty SQLite file where the admin expected data."""
    from sqlalchemy.engine import make_url

    from bot.store.database import Store

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - sqlalchemy raises several kinds for a malformed URL
        raise StoreError(f"cannot read database URL {url!r}") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():
            raise StoreError(f"no database at {parsed.database} (give --db or set database_url)")
    return await Store.open(url)
