"""What the translation safeguards cost per text: masking before the provider, restoring and checking after.

    python bench/safeguard.py

Prints microseconds per mask+restore for a chat-sized and a letter-sized text,
with the shipped glossary and with a 200-term one.
"""

from __future__ import annotations

import time

from bot.language.safeguard import Glossary, Term, load_glossary, mask, restore
from replies.answers import REPLIES_DIR

CHAT = "Your order #10234 with the Anker PowerCore Slim left on 2026-12-05, tracking LX123456789CN."
LETTER = (CHAT + " We refunded 49.90 EUR for 2 items; details: https://shop.example.com/refunds, or write to help@shop.example.com. ") * 8


def per_call(text: str, glossary: Glossary, rounds: int = 500) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        masked = mask(text, glossary, "en", "de")
        restore(masked.text, masked)
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    shipped = load_glossary(REPLIES_DIR)
    large = Glossary(tuple(Term(f"Product {n} Pro", {"de": f"Produkt {n} Pro"}) for n in range(200)))
    for name, glossary in (("shipped glossary", shipped), ("200-term glossary", large)):
        for label, text in (("chat", CHAT), ("letter", LETTER)):
            print(f"{name:18} {label:6} {len(text):5} chars: {per_call(text, glossary):7.0f} µs per mask+restore")


if __name__ == "__main__":
    main()
