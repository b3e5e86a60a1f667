"""The e-mail corpus (tests/data/mail): every mail delivered into a real Dovecot folder, read by the real
channel and pipeline, and what came of each: its decision, the text kept, the letters it got.

Used by tests/test_mail_corpus.py (assertions) and bench/mail.py (figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

from adapters.email.imap import HANDLED, SKIPPED, Mailbox

CORPUS = Path(__file__).parent / "data" / "mail"


@dataclass
class Outcome:
    file: str
    expected_kind: str
    expected_text: str | None
    message_id: str = ""
    kind: str = "?"  # the decision stored with the mail
    reason: str = ""
    text: str | None = None  # what the store kept as the sender's words
    direction: str | None = None
    status: str | None = None
    letters: list[EmailMessage] = field(default_factory=list)  # letters answering this mail
    flags: set[str] = field(default_factory=set)

    @property
    def machine(self) -> bool:
        return self.expected_kind not in ("buyer", "colleague")

    @property
    def threaded(self) -> bool:
        return len(self.letters) == 1 and self.letters[0]["In-Reply-To"] == self.message_id

    @property
    def clean(self) -> bool:
        return self.text == self.expected_text


def index(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    return yaml.safe_load((corpus / "index.yaml").read_text(encoding="utf-8"))


async def run_corpus(channel, folder, smtp, store, corpus: Path = CORPUS) -> list[Outcome]:  # noqa: ANN001 - test doubles
    """Deliver every mail (as an MTA would, IMAP APPEND), let the channel take them all, collect the outcomes."""
    from adapters.email.parse import parse_mail

    outcomes, uids = [], []
    for entry in index(corpus):
        raw = (corpus / entry["file"]).read_bytes()
        outcome = Outcome(entry["file"], entry["kind"], entry.get("text"))
        outcome.message_id = parse_mail(raw).message_id or ""
        outcomes.append(outcome)
        uids.append(await folder.deliver(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
    async with Mailbox(channel.settings.imap()) as box:
        await channel.poll(box)
    stored = {m.external_id: m for m in await store.messages()}
    letters = smtp.letters()
    for outcome, uid in zip(outcomes, uids):
        row = stored.get(outcome.message_id)
        if row is not None:
            decision = (row.raw or {}).get("decision", {})
            outcome.kind, outcome.reason = decision.get("kind", "?"), decision.get("reason", "")
            outcome.text, outcome.direction, outcome.status = row.text, row.direction, row.status
        outcome.letters = [letter for letter in letters if letter["In-Reply-To"] == outcome.message_id]
        outcome.flags = await folder.flags(uid)
    return outcomes


def figures(outcomes: list[Outcome]) -> dict[str, int]:
    machines = [o for o in outcomes if o.machine]
    buyers = [o for o in outcomes if o.expected_kind == "buyer"]
    return {
        "mails": len(outcomes),
        "machine mails": len(machines),
        "machine mails answered": sum(bool(o.letters) for o in machines),
        "colleague letters answered": sum(bool(o.letters) for o in outcomes if o.expected_kind == "colleague"),
        "buyer mails": len(buyers),
        "buyer mails answered once, threaded": sum(o.threaded for o in buyers),
        "buyer texts extracted clean": sum(o.clean for o in buyers),
        "decisions as expected": sum(o.kind == o.expected_kind for o in outcomes),
        "left unread for people (machines, colleagues)": sum(
            "\\Seen" not in o.flags and SKIPPED in o.flags and HANDLED in o.flags for o in outcomes if o.expected_kind != "buyer"
        ),
    }
