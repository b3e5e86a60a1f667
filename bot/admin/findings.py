"""A finding of `kefu intents check`: an error or a warning at file:line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot.datafiles import DataError

ERROR = "error"
WARNING = "warning"


def shown_path(path: Path) -> str:
    """The path as an admin would type it: relative to the current folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR: the bot would refuse the files; WARNING: worth a look
    path: Path
    line: int | None
    problem: str

    @property
    def where(self) -> str:
        return f"{shown_path(self.path)}:{self.line}" if self.line else shown_path(self.path)

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"

    @classmethod
    def from_error(cls, error: DataError, severity: str = ERROR) -> "Finding":
        return cls(severity, error.path, error.line, error.problem)
