"""The e-mail corpus through the real channel: machines answered, buyers answered once, buyer text clean.

    .ci/dovecot.sh            # Dovecot on 127.0.0.1:10143, as for the tests
    python bench/mail.py [--corpus tests/data/mail]

Delivers every mail of the corpus (a folder of .eml files with index.yaml: for
each file its expected `kind` and, for buyers, the `text`) into
a fresh Dovecot folder, runs the real channel and pipeline on SQLite, and prints
the decision and its reason for each mail, then: machine mails answered (target
0), buyer mails answered exactly once and threaded (target all), buyer texts
extracted with no quote, signature or footer left (target all but one). A folder
without index.yaml is run too: each mail's decision, reason, letters and kept text.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aioimaplib import aioimaplib  # noqa: E402

from bot.app import make_detector  # noqa: E402
from bot.brain import load_brain  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.channel_email_fixtures import IMAP_HOST, IMAP_PASSWORD, IMAP_PORT, IMAP_USER, MailFolder, fake_smtp  # noqa: E402
from tests.channel_email_fixtures import BUYER_PINS, email_settings  # noqa: E402
from tests.conftest import IN_HOURS, Clock, make_bot, write_pins  # noqa: E402
from tests.mail_corpus import CORPUS, figures, run_corpus  # noqa: E402


async def main(corpus: Path) -> None:
    from adapters.email import EmailChannel

    settings = Settings(translator="none")
    brain = load_brain(settings)
    detector = make_detector(settings, intents=brain.intents)
    client = aioimaplib.IMAP4(IMAP_HOST, IMAP_PORT, timeout=5)
    await client.wait_hello_from_server()
    await client.login(IMAP_USER, IMAP_PASSWORD)
    name = f"kefu-bench-{uuid.uuid4().hex[:8]}"
    await client.create(name)
    with tempfile.TemporaryDirectory() as tmp, fake_smtp() as smtp:
        pins = write_pins(Path(tmp) / "pins.tsv", BUYER_PINS)
        bot = await make_bot(f"sqlite:///{tmp}/kefu.db", pins, settings, brain, detector, Clock(IN_HOURS))
        folder = MailFolder(client, name)
        channel = EmailChannel(
            bot.pipeline.handle, email_settings(folder, smtp, max_replies_per_hour=1000, attachment_folder=f"{tmp}/files"),
            clock=bot.clock, detector=detector,
        )
        channel.keep = bot.store.keep
        try:
            outcomes = await run_corpus(channel, folder, smtp, bot.store, corpus)
        finally:
            await bot.store.close()
            await client.close()
            await client.delete(name)
            await client.logout()
    for o in outcomes:
        if o.expected_kind is None:  # no index.yaml: show what kefu decided and kept
            print(f"{o.file:42} {o.kind:12} {o.reason[:70]}  letters={len(o.letters)}  text={(o.text or '')[:60]!r}")
            continue
        mark = "ok " if o.kind == o.expected_kind and (o.expected_kind != "buyer" or (o.threaded and o.clean)) else "BAD"
        extra = "" if o.expected_kind != "buyer" else f"  letters={len(o.letters)} clean={o.clean}"
        print(f"{mark} {o.file:42} {o.kind:12} {o.reason[:70]}{extra}")
    print()
    for label, value in figures(outcomes).items():
        print(f"{label:48} {value}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    asyncio.run(main(parser.parse_args().corpus))
