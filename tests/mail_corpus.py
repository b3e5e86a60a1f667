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
from adapters.email.out import reply_subject
from adapters.email.parse import parse_mail

CORPUS = Path(__file__).parent / "data" / "mail"


@dataclass
class Outcome:
    file: str
    expected_kind: str | None  # None: a corpus without index.yaml (decisions are only shown)
    expected_text: str | None
    message_id: str | None = None
    external_id: str = ""
    reply_to: str = ""
    subject: str = ""
    kind: str = "?"  # the decision stored with the mail
    reason: str = ""
    text: str | None = None  # what the store kept as the sender's words
    direction: str | None = None
    status: str | None = None
    letters: list[EmailMessage] = field(default_factory=list)  # letters answering this mail
    flags: set[str] = field(default_factory=set)

    @property
    def machine(self) -> bool:
        return (self.expected_kind or self.kind) not in ("buyer", "colleague")

    @property
    def threaded(self) -> bool:
        """One letter, in the mail's thread (In-Reply-To; for a mail without Message-ID, its subject)."""
        if len(self.letters) != 1:
            return False
        letter = self.letters[0]
        return letter["In-Reply-To"] == self.message_id if self.message_id else letter["Subject"] == reply_subject(self.subject)

    @property
    def clean(self) -> bool:
        """The stored words are the expected ones (line breaks and spacing aside)."""
        return self.text is not None and self.expected_text is not None and self.text.split() == self.expected_text.split()

    def answers(self, letter: EmailMessage) -> bool:
        if self.message_id:
            return letter["In-Reply-To"] == self.message_id
        return "In-Reply-To" not in letter and letter["To"].addresses[0].addr_spec == self.reply_to and (
            letter["Subject"] == reply_subject(self.subject))


def index(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    """The corpus's index.yaml; without one, every .eml in the folder with no expectation."""
    path = corpus / "index.yaml"
    if not path.is_file():
        return [{"file": eml.name, "kind": None} for eml in sorted(corpus.glob("*.eml"))]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


async def run_corpus(channel, folder, smtp, store, corpus: Path = CORPUS) -> list[Outcome]:  # noqa: ANN001 - test doubles
    """Deliver every mail (as an MTA would, IMAP APPEND), let the channel take them all, collect the outcomes."""
    outcomes, uids = [], []
    for entry in index(corpus):
        raw = (corpus / entry["file"]).read_bytes()
        mail = parse_mail(raw)
        outcome = Outcome(entry["file"], entry["kind"], entry.get("text"), mail.message_id, mail.external_id, mail.reply_to, mail.subject)
        outcomes.append(outcome)
        uids.append(await folder.deliver(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
    async with Mailbox(channel.settings.imap()) as box:
        await channel.poll(box)
    from bot.serve.outbox import OutboxSender  # the answers the pipeline wrote, sent as `kefu run` sends them

    sender = OutboxSender(store, {channel.name: channel}, channel.clock)
    while await sender.send_due():
        pass
    stored = {m.external_id: m for m in await store.messages()}
    letters = smtp.letters()
    for outcome, uid in zip(outcomes, uids):
        row = stored.get(outcome.external_id)
        if row is not None:
            decision = (row.raw or {}).get("decision", {})
            outcome.kind, outcome.reason = decision.get("kind", "?"), decision.get("reason", "")
            outcome.text, outcome.direction, outcome.status = row.text, row.direction, row.status
        outcome.letters = [letter for letter in letters if outcome.answers(letter)]
        outcome.flags = await folder.flags(uid)
    return outcomes


def figures(outcomes: list[Outcome]) -> dict[str, int]:
    """The bench's figures; without expectations, the decisions stand in for them."""
    machines = [o for o in outcomes if o.machine]
    buyers = [o for o in outcomes if (o.expected_kind or o.kind) == "buyer"]
    numbers = {
        "mails": len(outcomes),
        "machine mails": len(machines),
        "machine mails answered": sum(bool(o.letters) for o in machines),
        "colleague letters answered": sum(bool(o.letters) for o in outcomes if (o.expected_kind or o.kind) == "colleague"),
        "buyer mails": len(buyers),
        "buyer mails answered once, threaded": sum(o.threaded for o in buyers),
        "left unread for people (machines, colleagues)": sum(
            "\\Seen" not in o.flags and SKIPPED in o.flags and HANDLED in o.flags for o in outcomes if (o.expected_kind or o.kind) != "buyer"
        ),
    }
    if any(o.expected_kind for o in outcomes):
        numbers["buyer texts extracted clean"] = sum(o.clean for o in buyers)
        numbers["decisions as expected"] = sum(o.kind == o.expected_kind for o in outcomes)
    return numbers

