"""The `kefu` command line."""

from __future__ import annotations

import asyncio
import functools
import sys
import uuid
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from bot.cli.lines import BadLine, Output, numbered_lines, parse_object, string
from bot.config import Settings, load_settings
from bot.datafiles import DataError
from bot.message import Reply, Style
from bot.store.errors import StoreError
from bot.language.translate import TranslatorError
from bot.text import valid_unicode

app = typer.Typer(
    help="kefu (客服): a multichannel customer-service bot for cross-border sellers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True, soft_wrap=True)  # one error, one line: easy to grep

ConfigOption = typer.Option(None, "--config", "-c", help="Config file (default: $KEFU_CONFIG or ./kefu.yaml).", show_default=False)
TranslatorOption = typer.Option(
    None, "--translator", "-t",
    help="none, google, deepl, microsoft, libre, mymemory, table:PATH, or a table then a provider: table:PATH+google.",
    show_default=False,
)
DbOption = typer.Option(None, "--db", help="Database URL (default: $KEFU_DATABASE_URL or sqlite:///kefu.db).", show_default=False)


def fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(2)


def settings_or_exit(config: Optional[Path]) -> Settings:
    try:
        return load_settings(config)
    except DataError as exc:
        raise fail(str(exc))


def run_async(coro) -> None:
    """Run a coroutine; known failures become one clear line, not a traceback."""
    try:
        asyncio.run(coro)
    except (DataError, StoreError, TranslatorError) as exc:
        raise fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(130)


@app.command()
def chat(
    name: str = typer.Option("Buyer", "--name", help="Your name as the buyer (used in letters)."),
    language: Optional[str] = typer.Option(None, "--language", "-l", help="Language hint, as a channel would send it (e.g. ru)."),
    letter: bool = typer.Option(False, "--letter", help="Show answers as e-mail letters instead of chat messages."),
    translator: Optional[str] = TranslatorOption,
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Talk to the bot as a buyer, in this terminal. No account, token or network needed."""
    from adapters.console import ConsoleChannel, run_console
    from bot.app import build_app
    from bot.serve.health import HealthReporter
    from bot.serve.outbox import OutboxSender

    settings = settings_or_exit(config)

    async def main() -> None:
        kefu = await build_app(settings, translator=translator, database_url=db)
        interactive = sys.stdin.isatty()
        if interactive:
            console.print("[bold]kefu[/] — you are a buyer writing to the shop. Type a message; /quit to leave.")

        def show_text(text: str, by_person: bool) -> None:
            console.print(f"[bold cyan]shop[/] [dim]({'a colleague' if by_person else 'kefu'})[/]", highlight=False)
            console.print(text, highlight=False, markup=False)
            console.print()

        async def show(reply: Reply) -> None:
            if reply.text is None:
                console.print("[dim](the bot stays quiet: a colleague has this chat)[/]")
                return
            tags = [reply.intent or "no intent", reply.language]
            if reply.handoff:
                tags.append(f"handoff: {reply.handoff_reason}")
            if reply.out_of_hours:
                tags.append("out of hours")
            console.print(f"[bold cyan]shop[/] [dim]({', '.join(tags)})[/]", highlight=False)
            console.print(reply.text, highlight=False, markup=False)
            console.print()

        # What others owe this buyer (an agent's reply, a notice) comes through the outbox, polled.
        sender = OutboxSender(kefu.store, {"console": ConsoleChannel(kefu.pipeline.handle, show_text)}, kefu.pipeline.clock)
        health = HealthReporter(kefu.store, ["console"], kefu.pipeline.clock)  # shown on the admin settings page
        health.sent, sender.trouble = sender.last_sent, health.trouble
        delivering = asyncio.create_task(sender.run(), name="kefu-console-outbox")
        reporting = asyncio.create_task(health.run(), name="kefu-console-health")
        try:
            await kefu.pipeline.recover()
            await run_console(
                # the terminal prints each answer itself, so it is written as delivered
                health.watching(functools.partial(kefu.pipeline.handle, delivered_here=True)), show, sender=f"console-{uuid.uuid4().hex[:8]}", name=name, language=language,
                style=Style.LETTER if letter else Style.CHAT,
                prompt=(lambda: console.print("[bold green]you[/] › ", end="")) if interactive else (lambda: None),
                complain=lambda problem: console.print(f"[bold red]kefu:[/] {escape(problem)}", highlight=False),
            )
        finally:
            delivering.cancel()
            reporting.cancel()
            await asyncio.gather(delivering, reporting, return_exceptions=True)
            await kefu.close()

    run_async(main())


@app.command()
def classify(
    translator: str = typer.Option("none", "--translator", "-t", help="none, google, deepl, microsoft, libre, mymemory or table:PATH."),
    intents: Optional[Path] = typer.Option(None, "--intents", help="Another intent lists folder (any list, no answers needed).",
                                           show_default=False),
    config: Optional[Path] = ConfigOption,
) -> None:
    """Classify JSON lines from stdin: {"text", "language"?} → {"text", "language", "pivot", "intent", "score", "handoff"}.

    Stores nothing; loads once and streams, one output line per input line, in order.
    A line that cannot be read, empty ones included, gives {"text": null, "error": "line N: …"}.
    """
    from bot.app import configured_translator, make_detector
    from bot.brain import list_brain, load_brain
    from datetime import datetime, timezone

    from bot.conversation.decide import Heard, Situation, decide
    from bot.conversation.understand import understand

    settings = settings_or_exit(config)

    async def main() -> None:
        brain = load_brain(settings) if intents is None else list_brain(settings, intents)
        matcher = brain.matcher
        detector = make_detector(settings, intents=matcher.intents)
        chosen = configured_translator(settings, translator)
        out = Output()
        for number, line in numbered_lines():
            try:
                item = parse_object(line)
                given = string(item, "text", required=True)
                hint = string(item, "language")
            except BadLine as exc:
                out.error(number, str(exc), text=None)
                continue
            text = valid_unicode(given)  # JSON's "\ud800" reaches here as a lone surrogate
            warnings = ["lone surrogate characters replaced by U+FFFD"] if text != given else []
            try:
                u = await understand(text, detector=detector, translator=chosen, matcher=brain.matcher, hint=hint)
            except Exception as exc:  # noqa: BLE001 - one line that breaks something is that line's error
                out.error(number, f"could not classify: {type(exc).__name__}: {exc}", text=text)
                continue
            # The same decision the pipeline makes for a first message of a new conversation.
            decided = decide(Heard(True, text, u), Situation(), brain, datetime.now(timezone.utc), u.language)
            result = {
                "text": text, "language": u.language, "pivot": u.pivot, "intent": decided.intent,
                "score": round(u.match.score, 1), "handoff": decided.handoff,
            }
            out.write({**result, "warnings": warnings} if warnings else result)
        out.flush()

    run_async(main())


def main() -> None:
    app()


# Command groups live in their own modules; importing them registers them on `app`.
from bot.cli import admin, agents, customs, ops, privacy  # noqa: E402,F401
