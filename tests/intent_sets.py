"""Large intent sets for timing tests and benches: the shipped lists, with generated phrasings added."""

from __future__ import annotations

import random
from pathlib import Path

_FILLER = "please quickly today tomorrow parcel item shop seller order size colour money refund".split()


def enlarge(path: Path, per_example: int, seed: int = 1) -> int:
    """Add `per_example` generated variants after each plain example of the intent file `path`
    (each retrain then has that many times more to learn); returns how many examples the file holds."""
    rng = random.Random(seed)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        out.append(line)
        if line.startswith("    - ") and not line.startswith('    - "'):
            out.extend(f"{line} {' '.join(rng.sample(_FILLER, 3))} v{i}" for i in range(per_example))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return sum(line.startswith("    - ") for line in out)
