"""`kefu export` and `kefu forget`: a buyer's data out, a buyer's data gone.

The work is in the store (bot/store/privacy.py); here only options, output and progress.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Optional, TextIO

import typer

from bot.cli import ConfigOption, DbOption, app, console, errors, fail, run_async, settings_or_exit
from bot.cli.admin import open_store, parse_since
from bot.config import RETENTION_MODES

CONVERSATION_FIELDS = ("id", "channel", "external_id", "buyer", "buyer_name", "language", "country", "destination", "state",
                       "handoff_reason", "handoff_at", "agent", "created_at", "updated_at")
MESSAGE_FIELDS = ("id", "created_at", "direction", "kind", "sender", "text", "language", "pivot", "intent", "score",
                  "handoff", "handoff_reason", "out_of_hours", "status", "reply_to", "delivery", "sent_at",
                  "delivery_error", "attachments")


KINDS = ("conversations", "messages", "orders", "translations", "rejected", "attachments")  # in reports, this order


class Format(str, Enum):
    jsonl = "jsonl"
    csv = "csv"


class Mode(str, Enum):
    anonymise, delete = RETENTION_MODES


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def conversation_record(conversation: Any) -> dict[str, Any]:
    return {name: _plain(getattr(conversation, name)) for name in CONVERSATION_FIELDS}


def message_record(message: Any) -> dict[str, Any]:
    """One message as exported: for incoming ones `text` is the buyer's original and `pivot` what
    was matched; for outgoing ones `text` is what was sent (the translation) and `pivot` an
    agent's own words before translation."""
    record = {name: _plain(getattr(message, name)) for name in MESSAGE_FIELDS if name != "attachments"}
    files = (message.raw or {}).get("attachments") if isinstance(message.raw, dict) else None
    record["attachments"] = [{k: v for k, v in f.items() if k in ("filename", "content_type", "size", "path")}
                             for f in files or () if isinstance(f, dict)]
    return record


class Writer:
    def __init__(self, out: TextIO, form: Format) -> None:
        self.out, self.form = out, form
        self.csv: Any = None
        if form is Format.csv:
            names = [f"conversation_{n}" for n in CONVERSATION_FIELDS] + [f"message_{n}" for n in MESSAGE_FIELDS]
            self.csv = csv.DictWriter(out, fieldnames=names)
            self.csv.writeheader()

    def write(self, conversation: Any, messages: list[Any]) -> None:
        head = conversation_record(conversation)
        records = [message_record(m) for m in messages]
        if self.form is Format.jsonl:
            self.out.write(json.dumps({**head, "messages": records}, ensure_ascii=False) + "\n")
            return
        prefix = {f"conversation_{k}": v for k, v in head.items()}
        for record in records or [{}]:  # a conversation with no message in range is still a row
            row = {**prefix, **{f"message_{k}": v for k, v in record.items()}}
            if isinstance(row.get("message_attachments"), list):
                row["message_attachments"] = json.dumps(row["message_attachments"], ensure_ascii=False)
            self.csv.writerow(row)


@app.command()
def export(
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout.", show_default=False),
    form: Format = typer.Option(Format.jsonl, "--format", "-f", help="jsonl: a conversation per line, its messages inside; "
                                "csv: a message per row, its conversation's columns repeated."),
    since: Optional[str] = typer.Option(None, "--since", help="Messages from then on: 2026-11-01, 2026-11-01T08:00+08:00 or 30d.",
                                        show_default=False),
    until: Optional[str] = typer.Option(None, "--until", help="Messages before then (same forms).", show_default=False),
    channel: Optional[str] = typer.Option(None, "--channel", help="Only this channel: telegram, slack, email, console.", show_default=False),
    buyer: Optional[str] = typer.Option(None, "--buyer", help="Only this buyer's conversations (their id or address).", show_default=False),
    conversation: Optional[int] = typer.Option(None, "--conversation", help="Only this conversation (its number).", show_default=False),
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Export conversations with every message: original, pivot, translation sent, handoffs, agent replies, delivery.

    Reads the database a page at a time, so any size streams; progress goes to stderr.
    """
    from bot.store.privacy import ExportFilter

    settings = settings_or_exit(config)
    where = ExportFilter(parse_since(since) if since else None, parse_since(until) if until else None, channel, buyer, conversation)

    async def main() -> None:
        store = await open_store(db or settings.database_url)
        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            total = await store.export_count(where)
            writer, done, messages = Writer(out, form), 0, 0
            async for page in store.export_pages(where):
                for item, rows in page:
                    writer.write(item, rows)
                    messages += len(rows)
                done += len(page)
                out.flush()
                errors.print(f"exported {done}/{total} conversations, {messages} messages", highlight=False)
            if total == 0:
                errors.print("exported 0 conversations: none matched", highlight=False)
        finally:
            if output:
                out.close()
            await store.close()

    run_async(main())


@app.command()
def forget(
    buyer: Optional[str] = typer.Argument(None, help="The buyer's id or address, as `kefu export` shows it.", show_default=False),
    channel: Optional[str] = typer.Option(None, "--channel", help="Only on this channel (the same id on another channel is someone else).",
                                          show_default=False),
    older_than: Optional[int] = typer.Option(None, "--older-than", help="Instead of a buyer: conversations with no message for DAYS.",
                                             show_default=False, metavar="DAYS"),
    mode: Optional[Mode] = typer.Option(None, "--mode", help="With --older-than: delete, or anonymise (default: the retention_mode setting).",
                                        show_default=False),
    by: Optional[str] = typer.Option(None, "--by", help="Who runs it, for the audit (default: your login name).", show_default=False),
    db: Optional[str] = DbOption,
    config: Optional[Path] = ConfigOption,
) -> None:
    """Erase a buyer's personal data (conversations, messages, orders, translations of their words,
    rejected payloads naming them, attachments), or every conversation older than --older-than DAYS.

    One transaction; running it twice is harmless. An audit entry keeps who ran it, when and how
    many rows of each kind went, with a salted hash of the buyer id instead of the id.
    """
    if (buyer is None) == (older_than is None):
        raise fail("give a buyer, or --older-than DAYS (not both)")
    if older_than is not None and older_than < 1:
        raise fail("--older-than must be at least 1 day")
    from bot.store.privacy import remove_files

    settings = settings_or_exit(config)
    ran_by = by or _login()

    async def main() -> None:
        store = await open_store(db or settings.database_url)
        now = datetime.now(timezone.utc)
        try:
            if buyer is not None:
                erased = await store.forget_buyer(buyer, ran_by=ran_by, at=now, channel=channel)
                _report(f"forgot buyer (audit #{erased.audit_id})", erased.counts, remove_files(erased.attachments))
                return
            chosen = (mode.value if mode else settings.retention_mode)
            totals: dict[str, int] = {}
            failed: list[str] = []
            while (erased := await store.expire(now - timedelta(days=older_than), mode=chosen, ran_by=ran_by, at=now)) is not None:
                failed += remove_files(erased.attachments)
                for key, value in erased.counts.items():
                    if isinstance(value, int):
                        totals[key] = totals.get(key, 0) + value
            _report(f"{chosen} conversations older than {older_than} days", totals, failed)
        finally:
            await store.close()

    run_async(main())


def _report(what: str, counts: dict[str, Any], failed: list[str]) -> None:
    kinds = sorted((k for k, v in counts.items() if isinstance(v, int)), key=lambda k: (k not in KINDS, KINDS.index(k) if k in KINDS else 0))
    shown = ", ".join(f"{kind}: {counts[kind]}" for kind in kinds) or "nothing was that old"
    console.print(f"{what}: {shown}", highlight=False, soft_wrap=True)
    for path in failed:
        errors.print(f"[bold red]error:[/] could not remove {path}", highlight=False)
    if failed:
        raise typer.Exit(1)


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a container): say so rather than fail
        return "unknown"
