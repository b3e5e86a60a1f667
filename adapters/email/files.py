"""Attachments on disk: the photos and documents buyers send, kept for agents.

Files are stored by content (sha256), so a mail fetched twice stores nothing
twice, and a file name chosen by a stranger never becomes a path.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from adapters.email.parse import Attachment

log = logging.getLogger(__name__)


class AttachmentStore:
    """Keeps attachments up to `max_bytes` each under `folder`; says for each where it is, or why not."""

    def __init__(self, folder: Path | str, max_bytes: int) -> None:
        self.folder, self.max_bytes = Path(folder), max_bytes

    def keep(self, attachments: list[Attachment], refuse: str | None = None) -> list[dict[str, Any]]:
        """What goes into the message row's raw["attachments"]: name, type, size, and `path` or `not_stored`.

        `refuse` lists the files without writing them, with that reason (a spammer's files stay off the disk).
        """
        kept = []
        for attachment in attachments:
            entry: dict[str, Any] = {"filename": attachment.filename, "content_type": attachment.content_type, "size": attachment.size}
            if refuse:
                entry["not_stored"] = refuse
            elif attachment.size > self.max_bytes:
                entry["not_stored"] = f"larger than {self.max_bytes} bytes"
            elif not attachment.data:
                entry["not_stored"] = "empty or unreadable"
            else:
                try:
                    entry["path"] = str(self._write(attachment))
                except OSError as exc:
                    log.error("cannot store attachment %r in %s: %s", attachment.filename, self.folder, exc)
                    entry["not_stored"] = f"cannot write to {self.folder}: {exc.strerror or exc}"
            kept.append(entry)
        return kept

    def _write(self, attachment: Attachment) -> Path:
        digest = hashlib.sha256(attachment.data).hexdigest()
        path = self.folder / digest[:2] / f"{digest[:32]}-{safe_name(attachment.filename, attachment.content_type)}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(attachment.data)
            partial.replace(path)  # never a half-written file under the final name
        return path


def safe_name(filename: str | None, content_type: str) -> str:
    """A file name that is only a name: no directories, no control or shell characters, at most 80 characters."""
    name = re.sub(r"[^\w.-]+", "_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    if not name:
        name = "attachment." + (content_type.rpartition("/")[2] or "bin")
    return name[-80:]
