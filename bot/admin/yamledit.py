"""Adding an example to an intent file without disturbing what the admin wrote.

ruamel.yaml's round-trip parser finds the intent and the end of its examples
and decides how the new text must be quoted; the file then changes by exactly
that one item, so comments, order, quoting and indentation stay as they were.
(Re-dumping the whole document would re-indent the shipped lists, whose root
list sits at column 0 while `examples` items are indented under their key — a
layout ruamel's emitter cannot reproduce.) The edit is verified by parsing the
result again, and by the caller loading the whole folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.datafiles import DataError
from bot.admin.findings import shown_path
from intents.catalog import LANGUAGE_DIR, Intent, IntentSet, list_files, load_intents
from intents.normalize import normalize


class Refused(Exception):
    """The example was not added; the message says why and what to do."""


@dataclass(frozen=True)
class Added:
    intent: str
    text: str
    path: Path
    line: int


def add_example(intents_dir: Path, intent_id: str, text: str, file: Path | None = None, language: str | None = None) -> Added:
    """Append `text` to the examples of `intent_id`; the lists must load before and after.

    `language` (not English, no `file`): the native phrasings of that language, in
    `<language>/`: the file that already lists the intent, else the one named like the
    file defining it (`es/presale.yaml`), with a new entry for the intent (created if need be).
    """
    text = " ".join(text.split())
    if not normalize(text):
        raise Refused(f"{text!r} has no words to match on; write the example as a buyer would")
    if language is not None and not LANGUAGE_DIR.match(language):
        raise Refused(f"{language!r} is not a language code like es, ru or zh-cn")
    with _editing(intents_dir):
        return _add(intents_dir, intent_id, text, file, language)


@contextlib.contextmanager
def _editing(intents_dir: Path) -> Iterator[None]:
    """One edit of a lists folder at a time, across processes (two admins on two workers): a lock on
    the folder itself, so no lock file lands among the admin's files."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process edits at a time anyway
        fcntl = None
    if fcntl is None or not intents_dir.is_dir():  # no folder: loading the lists says so
        yield
        return
    handle = os.open(intents_dir, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _add(intents_dir: Path, intent_id: str, text: str, file: Path | None, language: str | None) -> Added:
    try:
        intents = load_intents(intents_dir)
    except DataError as exc:
        raise Refused(f"the intent lists do not load, fix this first: {exc}") from None
    intent = _known_intent(intents, intent_id)
    _refuse_known_text(intents, intent_id, text)
    assert intent.path is not None  # every loaded intent knows its file
    native = file is None and language not in (None, "en")
    path = _native_file(intents_dir, intent_id, intent.path, language) if native else _target(intents_dir, intent.path, file)
    original = path.read_bytes() if path.exists() else None
    folder_existed = path.parent.is_dir()
    if _lists_intent(path, intent_id):
        edit = insert_example
    elif path.parent.resolve() != intents_dir.resolve():  # native phrasings: a new entry for the intent
        edit = append_entry
    else:
        raise DataError(path, None, f"no intent {intent_id!r} in this file")
    try:
        line = edit(path, intent_id, text)
        load_intents(intents_dir)
    except DataError as exc:
        _undo(path, original, folder_existed)
        raise Refused(f"the lists would not load after the edit, so {path} is unchanged: {exc}") from None
    return Added(intent_id, text, path, line)


def _known_intent(intents: IntentSet, intent_id: str) -> Intent:
    intent = intents.intents.get(intent_id)
    if intent is None:
        close = process.extractOne(intent_id, list(intents.intents), scorer=fuzz.ratio, score_cutoff=75)
        hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(intents.intents))}"
        raise Refused(f"unknown intent {intent_id!r} ({hint})")
    return intent


def _refuse_known_text(intents: IntentSet, intent_id: str, text: str) -> None:
    normalized = normalize(text)
    for owner, example in intents.examples():
        if normalize(example.text) == normalized:
            conflict = "" if owner == intent_id else ": the same sentence under two intents is a conflict"
            raise Refused(f"{shown_path(example.path)}:{example.line}: {text!r} is already an example of {owner!r} "
                          f"(as {example.text!r}){conflict}")


def _native_file(intents_dir: Path, intent_id: str, defined_in: Path, language: str) -> Path:
    folder = intents_dir / language
    for path in sorted(folder.glob("*.yaml")):
        if _lists_intent(path, intent_id):
            return path
    return folder / defined_in.name


def _lists_intent(path: Path, intent_id: str) -> bool:
    """Whether the file has an entry for the intent (an unreadable file is left to the edit to report)."""
    if not path.is_file():
        return False
    try:
        _examples_node(_compose(path.read_text(encoding="utf-8"), path), intent_id, path)
    except DataError as exc:
        return "no intent" not in exc.problem
    return True


def append_entry(path: Path, intent_id: str, text: str) -> int:
    """Add `- id: intent_id` with one example at the end of a (possibly new) native-phrasings file."""
    source = path.read_text(encoding="utf-8") if path.exists() else (
        f"# {path.parent.name}: native phrasings of intents defined in ../{path.name}\n")
    newline = "\r\n" if "\r\n" in source else "\n"
    if source and not source.endswith(("\n", "\r")):
        source += newline
    entry = [f"- id: {_scalar(intent_id, flow=False)}", "  examples:", f"    - {_scalar(text, flow=False)}"]
    updated = source + newline.join(entry) + newline
    _verify(updated, path, intent_id, text)
    path.parent.mkdir(exist_ok=True)
    _write(path, updated)
    return updated.count("\n")


def _undo(path: Path, original: bytes | None, folder_existed: bool) -> None:
    if original is not None:
        path.write_bytes(original)
        return
    path.unlink(missing_ok=True)
    if not folder_existed:
        with contextlib.suppress(OSError):
            path.parent.rmdir()


def _target(intents_dir: Path, defined_in: Path, file: Path | None) -> Path:
    if file is None:
        return defined_in
    known = {p.resolve(): p for p in list_files(intents_dir)}
    if file.resolve() not in known:
        raise Refused(f"{file} is not one of the intent files in {intents_dir}")
    return known[file.resolve()]


def insert_example(path: Path, intent_id: str, text: str) -> int:
    """Append one example to the first entry with `id: intent_id`; returns its (1-based) line."""
    source = path.read_text(encoding="utf-8")
    examples = _examples_node(_compose(source, path), intent_id, path)
    lines = source.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in source else "\n"
    if examples.flow_style:  # [a, b]: add before the closing bracket
        end = examples.end_mark
        row, column = end.line, end.column - 1
        before = lines[row][:column]
        separator = "" if before.rstrip().endswith(("[", ",")) else ", "
        lines[row] = before.rstrip() + separator + _scalar(text, flow=True) + lines[row][column:]
        number = row + 1
    else:
        last = examples.value[-1].end_mark
        at = last.line if last.column == 0 else last.line + 1  # block scalars end at the next line's start
        if at > 0 and at == len(lines) and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.insert(at, " " * examples.start_mark.column + "- " + _scalar(text, flow=False) + newline)
        number = at + 1
    updated = "".join(lines)
    _verify(updated, path, intent_id, text)
    _write(path, updated)
    return number


def _compose(source: str, path: Path) -> Node:
    try:
        return YAML(typ="rt").compose(source)
    except Exception as exc:  # noqa: BLE001 - any parser error means the same: fix the file first
        raise DataError(path, None, f"cannot be edited, it does not parse: {exc}") from None


def _examples_node(root: Node | None, intent_id: str, path: Path) -> SequenceNode:
    if isinstance(root, SequenceNode):
        for entry in root.value:
            if not isinstance(entry, MappingNode):
                continue
            fields = {key.value: value for key, value in entry.value if isinstance(key, ScalarNode)}
            found = fields.get("id")
            if isinstance(found, ScalarNode) and found.value == intent_id:
                examples = fields.get("examples")
                if not isinstance(examples, SequenceNode) or (not examples.value and not examples.flow_style):
                    raise DataError(path, entry.start_mark.line + 1, f"intent {intent_id!r} has no examples list to extend")
                return examples
    raise DataError(path, None, f"no intent {intent_id!r} in this file")


def _scalar(text: str, flow: bool) -> str:
    """The text as one YAML item, quoted only when it must be (as ruamel would write it)."""
    dumper = YAML(typ="rt")
    dumper.width = 1_000_000  # one line, never folded
    item = CommentedSeq([text])
    if flow:
        item.fa.set_flow_style()
    out = io.StringIO()
    dumper.dump(item, out)
    written = out.getvalue().strip()
    written = written[1:-1].strip() if flow else written[2:]
    # The bot reads the lists as YAML 1.1, where a bare yes/no/on/off is not text: quote those too.
    if yaml.safe_load(f"[{written}]" if flow else f"- {written}") != [text]:
        written = json.dumps(text, ensure_ascii=False)
    return written


def _verify(updated: str, path: Path, intent_id: str, text: str) -> None:
    data = YAML(typ="rt").load(updated)
    entry = next(item for item in data if isinstance(item, dict) and item.get("id") == intent_id)
    if str(entry["examples"][-1]) != text:  # pragma: no cover - a bug here must never reach the file
        raise DataError(path, None, "the edit did not come out as intended; the file is unchanged")


def _write(path: Path, text: str) -> None:
    """Replace the file in one step: a bot reloading the lists never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        # a new file: the folder's read and write bits (a 755 folder, a 644 file)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else path.parent.stat().st_mode & 0o666)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
