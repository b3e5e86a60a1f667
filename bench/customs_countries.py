"""How long finding the buyer's country in a message takes (bot/customs/countries.py).

Prints the one-off cost of building a language's name index from CLDR and the cost per message
afterwards, for the languages of tests/test_customs.py. Run: python bench/customs_countries.py
"""

from __future__ import annotations

import time

from bot.customs import countries

MESSAGES = [
    ("de", "Muss ich Einfuhrumsatzsteuer oder Zoll bezahlen, wenn das Paket nach Deutschland geht?"),
    ("ru", "Придётся ли платить пошлину при доставке в Новую Зеландию?"),
    ("zh-cn", "寄到澳大利亚的话，我需要交进口税吗？"),
    ("tr", "Paketi Norveç'e gönderirseniz gümrük vergisi ödemem gerekir mi?"),
    ("ar", "هل سأدفع رسوماً جمركية عند الشحن إلى السعودية؟"),
    ("en", "Will I have to pay import tax if you ship to the UK?"),
]


def main() -> None:
    start = time.perf_counter()
    for language, text in MESSAGES:
        countries.named(text, "", language)
    first = time.perf_counter() - start
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        for language, text in MESSAGES:
            countries.named(text, "", language)
    each = (time.perf_counter() - start) / (rounds * len(MESSAGES))
    print(f"first messages (building {len(MESSAGES)} languages' name indexes): {first * 1000:.0f} ms")
    print(f"per message afterwards: {each * 1000:.2f} ms")


if __name__ == "__main__":
    main()
