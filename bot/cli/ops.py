"""Commands that run and operate the bot: `kefu run`, `kefu reply`, `kefu hours`."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from bot.cli.lines import BadLine, Output, moment, numbered_lines, parse_object, string
from bot.cli import ConfigOption, DbOption, TranslatorOption, app, console, fail, run_async, settings_or_exit
from bot.hours import utc_offset
from bot.message import Message, style_for

STDIN = "stdin"  # the channel `kefu reply` keeps unreadable lines under, in `rejected`
log = logging.getLogger(__name__)


def _message(item: dict[str, Any]) -> Message:
    """One input line as the message its channel would deliver; `BadLine` says what is wrong with it."""
    missing = [key for key in ("channel", "conversation", "sender", "text", "at") if item.get(key) is None]
    if missing:
        raise BadLine(f"missing {', '.join(missing)}")
    at = moment(item, "at")
    return Message(
        channel=string(item, "channel"), conversation=string(item, "conversation", number_ok=True),
        sender=string(item, "sender", number_ok=True), text=string(item, "text"), received_at=at,
        language_hint=string(item, "language"), external_id=string(item, "id", number_ok=True),
        timezone=string(item, "timezone") or utc_offset(at), raw=item,
    )


async def _keep(pipeline: Any, line: bytes, error: str) -> None:
    try:
        await pipeline.reject(STDIN, line.decode("utf-8", "backslashreplace"), error)
    except Exception:  # noqa: BLE001 - keeping it is a courtesy; the error line already went out
        log.exception("could not keep a rejected line")


def _parse_at(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError('"at" must be an ISO-8601 time with an offset')
    at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f'"at" needs a UTC offset: {value!r}')
    return at


@app.command()
def reply(
    db: Optional[str] = DbOption,
    translator: Optional[str] = TranslatorOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Run JSON lines through the full pipeline, as their channel would.

    In: {"channel", "conversation", "sender", "text", "at": ISO-8601 with offset, "language"?}.
    Out: {"conversation", "reply", "intent", "language", "handoff", "handoff_reason", "out_of_hours"}.
    The time `at` is the moment of the message (it decides working hours) and its
    offset is taken as the buyer's time zone when nothing better is known.
    A line that cannot be read, empty ones included, gives {"conversation": null, "error": "line N: …"}.
    """
    from bot.app import build_app

    settings = settings_or_exit(config)

    async def main() -> None:
        kefu = await build_app(settings, translator=translator, database_url=db, warm=False, watch=False)
        now = {"at": datetime.now(timezone.utc)}
        kefu.pipeline.clock = lambda: now["at"]
        out = Output()
        try:
            await kefu.pipeline.recover(replay=True)  # lines a killed run stored but never decided
            for number, line in numbered_lines():
                try:
                    message = _message(parse_object(line))
                except BadLine as exc:
                    out.error(number, str(exc), conversation=None)
                    if line.strip():  # what arrived is kept, as a channel keeps what it cannot read
                        await _keep(kefu.pipeline, line, f"line {number}: {exc}")
                    continue
                now["at"] = message.received_at
                try:
                    # This stream is the channel: the answer is delivered by printing it, so it is written
                    # as delivered. A redelivered line prints the answer it got the first time (the same
                    # row, never a second one): a run killed before printing prints it then.
                    result = await kefu.pipeline.handle(message, style_for(message.channel), delivered_here=True)
                    if result.duplicate:  # decided by a killed run's recovery, never printed
                        await kefu.store.deliver_here(result.outbox, now["at"], sole=True)
                except Exception as exc:  # noqa: BLE001 - e.g. the database went away: say so, try the next line
                    out.error(number, f"could not process: {type(exc).__name__}: {exc}", conversation=message.conversation)
                    continue
                answer = {
                    "conversation": message.conversation, "reply": result.text, "intent": result.intent,
                    "language": result.language, "handoff": result.handoff, "handoff_reason": result.handoff_reason,
                    "out_of_hours": result.out_of_hours,
                }
                from bot.store.sanitize import fit_message

                notes = fit_message(message).notes  # what the store had to change to keep this message
                out.write({**answer, "warnings": list(notes)} if notes else answer, flush=True)
        finally:
            await kefu.close()

    run_async(main())


@app.command()
def hours(
    at: Optional[str] = typer.Option(None, "--at", help="The moment to ask about (ISO-8601, default: now)."),
    buyer_zone: Optional[str] = typer.Option(None, "--buyer-zone", "-z", help="The buyer's time zone (Europe/Moscow, +03:00)."),
    language: str = typer.Option("en", "--language", "-l", help="Language to tell the time in."),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Is the team in, and when is it next in — in the shop's time and the buyer's."""
    from bot.brain import load_brain
    from bot.hours import parse_zone, tell_when

    settings = settings_or_exit(config)
    try:
        moment = _parse_at(at) if at else datetime.now(timezone.utc)
    except ValueError as exc:
        raise fail(str(exc))
    zone = parse_zone(buyer_zone) if buyer_zone else None
    if buyer_zone and zone is None:
        raise fail(f"unknown time zone {buyer_zone!r} (use a name like Europe/Moscow or an offset like +03:00)")
    business = load_brain(settings).hours
    is_open = business.is_open(moment)
    back = business.next_open(moment)
    table = Table(show_header=False, box=None)
    table.add_row("shop time", f"{moment.astimezone(business.zone):%a %Y-%m-%d %H:%M} ({business.zone.key})")
    table.add_row("team", "[green]in[/]" if is_open else "[red]away[/]")
    if not is_open:
        back_at, back_in = tell_when(back, moment, zone, business.zone, language)
        table.add_row("back", f"{back.astimezone(business.zone):%a %Y-%m-%d %H:%M} shop time ({back_in})")
        table.add_row("buyer is told", back_at + ("" if zone else "  (buyer's zone unknown)"))
    elif zone is not None:
        table.add_row("buyer time", f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M}")
    console.print(table)


orders_app = typer.Typer(help="The shop's orders, so the bot answers order questions with facts.", no_args_is_help=True)
app.add_typer(orders_app, name="orders")


@orders_app.command("import")
def orders_import(
    file: Path = typer.Argument(..., help="CSV with a header: order_id, buyer, items, amount, currency, status, carrier, tracking_number, parcel, placed_at, ship_country."),
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Import or update orders from the shop's export (matched by order_id)."""
    from bot.orders.records import read_orders
    from bot.store.database import Store

    settings = settings_or_exit(config)

    async def main() -> None:
        rows = read_orders(file, datetime.now(timezone.utc))
        store = await Store.open(db or settings.database_url)
        try:
            written = await store.save_orders(rows)
        finally:
            await store.close()
        console.print(f"imported {written} order(s) from {file}")

    run_async(main())


@app.command()
def run(
    channels: Optional[list[str]] = typer.Argument(None, help="Channels to start (telegram, slack, email); default: every configured one."),
    db: Optional[str] = DbOption,
    translator: Optional[str] = TranslatorOption,
    config: Optional[Path] = ConfigOption,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes on one PostgreSQL (webhooks on one port)."),
    no_web: bool = typer.Option(False, "--no-web", help="Do not serve the web workspace (web_host:web_port, default 127.0.0.1:8780)."),
) -> None:
    """Serve buyers on the configured channels, with the agent desk, until stopped (Ctrl-C)."""
    import logging
    import os

    from bot.app import build_app
    from adapters.env import SettingsError
    from bot.serve.runner import NOTHING_CONFIGURED, NothingToRun, Runner, configured_channels

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = settings_or_exit(config)
    names = list(channels) if channels else configured_channels(os.environ)

    if not names:
        raise fail(NOTHING_CONFIGURED)
    if workers > 1:
        from bot.serve.workers import WorkersNeedPostgres, check_url, supervise

        try:
            check_url(db or settings.database_url, workers)
        except WorkersNeedPostgres as exc:
            raise fail(str(exc))
        forwarded = [*names, *(["--db", db] if db else []), *(["--translator", translator] if translator else [])]
        forwarded += [*(["--config", str(config)] if config else []), *(["--verbose"] if verbose else [])]
        forwarded += ["--no-web"] if no_web else []
        raise typer.Exit(supervise(forwarded, workers))

    async def main() -> None:
        kefu = await build_app(settings, translator=translator, database_url=db)
        try:
            await Runner(kefu, names, web=not no_web).run()
        finally:
            await kefu.close()

    try:
        run_async(main())
    except (NothingToRun, SettingsError) as exc:
        raise fail(str(exc))
