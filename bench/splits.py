"""The split of the native evaluation rows (bench/data/native/*.tsv): half to tune on, half held out.

A row's half is fixed by its text (CRC-32), so it never changes between runs or machines. The
shipped model's native limits are tuned on the validation half (bench/ship_model.py); figures
reported for them (bench/languages.py) are the held-out half's.
"""

from __future__ import annotations

import zlib
from pathlib import Path

NATIVE_SETS = Path(__file__).resolve().parent / "data" / "native"


def held_out(text: str) -> bool:
    """True for the rows kept for measuring, False for the rows the limits are tuned on."""
    return zlib.crc32(text.encode("utf-8")) % 2 == 1

