"""Rows worked out once per token and kept, for scorers whose text score is a sum over its tokens.

The intent model (a word's part of the class scores) and the language detector's n-gram model (a word's
log-likelihood per language) both sum, over a message's words, a row that depends on the word alone.
`KeptRows` works a token's rows out the first time it is seen and keeps them in float32 tables, so a
message costs a dict lookup per token and one gather-and-sum per table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

Rows = tuple[np.ndarray | None, ...]  # a token's row in each table; None: it has none there


class _Table:
    """Rows added one at a time after a row of zeros (row 0: "none", so a gather needs no filtering).
    It grows by half through a copy, so a reader keeps the rows it has."""

    def __init__(self, width: int) -> None:
        self.array = np.zeros((64, width), np.float32)
        self.used = 1

    def add(self, row: np.ndarray) -> int:
        number = self.used
        if number >= len(self.array):
            array = np.zeros((len(self.array) * 3 // 2, self.array.shape[1]), np.float32)
            array[:number] = self.array[:number]
            array[number] = row
            self.array = array
        else:
            self.array[number] = row
        self.used = number + 1
        return number

    def __len__(self) -> int:
        """Rows added."""
        return self.used - 1


class _Generation:
    """token → its row number in each table (0: none), and the tables."""

    def __init__(self, widths: Sequence[int]) -> None:
        self.rows: dict[str, tuple[int, ...]] = {}
        self.tables = tuple(_Table(width) for width in widths)


class KeptRows:
    """Each token's rows (one per table, of `widths` floats; `make` works them out) kept once seen.

    Thread-safe without a lock on the hot path: rows are added under a lock and written before they are
    published; a table that grows is copied, and a reader keeps the table it has. Past `tokens` tokens,
    or `caps[i]` rows in table i, a new generation starts empty while a reader finishes with the one it
    began with: memory stays bounded whatever the buyers type."""

    def __init__(self, widths: Sequence[int], make: Callable[[str], Rows], *, tokens: int,
                 caps: Sequence[int] | None = None) -> None:
        self.widths, self._make = tuple(widths), make
        self.tokens, self.caps = tokens, tuple(caps) if caps is not None else (tokens,) * len(self.widths)
        self._kept = _Generation(self.widths)
        self._lock = threading.Lock()

    def total(self, tokens: list[str]) -> tuple[np.ndarray | None, ...]:
        """Per table, the sum of the tokens' rows, each occurrence counted (None: no token has a row there)."""
        kept = self._kept
        found = list(map(kept.rows.get, tokens))
        if None in found:
            found = [row if row is not None else self._add(kept, token) for row, token in zip(found, tokens)]
        if not found:
            return (None,) * len(self.widths)
        return tuple(np.add.reduce(table.array.take(numbers, axis=0), axis=0) if any(numbers) else None
                     for table, numbers in zip(kept.tables, zip(*found)))

    def _add(self, kept: _Generation, token: str) -> tuple[int, ...]:
        with self._lock:
            found = kept.rows.get(token)
            if found is not None:
                return found
            if kept is self._kept and (len(kept.rows) >= self.tokens
                                       or any(len(t) >= cap for t, cap in zip(kept.tables, self.caps))):
                self._kept = _Generation(self.widths)  # the next message starts the new generation
            found = tuple(table.add(row) if row is not None else 0 for table, row in zip(kept.tables, self._make(token)))
            kept.rows[token] = found
            return found

    @property
    def generation(self) -> _Generation:
        """The tables now in use (for tests and memory figures)."""
        return self._kept
