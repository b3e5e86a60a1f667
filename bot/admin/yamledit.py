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
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import yaml
from rapidfuzz import fuzz, process
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.datafiles import DataError
from bot.admin.findings import shown_path
from intents.catalog import LANGUAGE_DIR, Example, list_files, load_intents
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

    `language` (or a `file` in a language folder) puts it with that language's phrasings,
    `<intents_dir>/<language>/<the intent's file name>`, creating the file or the entry when needed.
    """
    return add_examples(intents_dir, [(intent_id, text, language)], file)[0]


def add_examples(intents_dir: Path, wanted: list[tuple[str, str, str | None]], file: Path | None = None) -> list[Added]:
    """`add_example` for several (intent, text, language) at once: one load before, one after; all or nothing."""
    with _editing(intents_dir):
        return _add_examples(intents_dir, wanted, file)


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


def _add_examples(intents_dir: Path, wanted: list[tuple[str, str, str | None]], file: Path | None) -> list[Added]:
    try:
        intents = load_intents(intents_dir)
    except DataError as exc:
        raise Refused(f"the intent lists do not load, fix this first: {exc}") from None
    known = {normalize(example.text): (owner, example) for owner, example in intents.examples()}
    planned: list[tuple[str, str, Path]] = []
    for intent_id, text, language in wanted:
        text = " ".join(text.split())
        normalized = normalize(text)
        if not normalized:
            raise Refused(f"{text!r} has no words to match on; write the example as a buyer would")
        intent = intents.intents.get(intent_id)
        if intent is None:
            close = process.extractOne(intent_id, list(intents.intents), scorer=fuzz.ratio, score_cutoff=75)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(intents.intents))}"
            raise Refused(f"unknown intent {intent_id!r} ({hint})")
        if normalized in known:
            owner, example = known[normalized]
            conflict = "" if owner == intent_id else ": the same sentence under two intents is a conflict"
            raise Refused(f"{shown_path(example.path)}:{example.line}: {text!r} is already an example of {owner!r} "
                          f"(as {example.text!r}){conflict}")
        known[normalized] = (intent_id, Example(text, language or "en", intents_dir, 0))
        assert intent.path is not None  # every loaded intent knows its file
        planned.append((intent_id, text, _target(intents_dir, intent.path, file, language)))
    originals = {path: (path.read_bytes() if path.is_file() else None) for _, _, path in planned}
    added = []
    try:
        for intent_id, text, path in planned:
            added.append(Added(intent_id, text, path, insert_example(path, intent_id, text)))
        load_intents(intents_dir)
    except DataError as exc:
        _restore(originals)
        raise Refused(f"the lists would not load after the edit, so the files are unchanged: {exc}") from None
    except BaseException:
        _restore(originals)
        raise
    return added


def _restore(originals: dict[Path, bytes | None]) -> None:
    for path, data in originals.items():
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def _target(intents_dir: Path, defined_in: Path, file: Path | None, language: str | None) -> Path:
    """The file an example goes to: `file`, the language's file of the same name, or where the intent is defined."""
    if file is None:
        if language is None or language == "en":
            return defined_in
        if not LANGUAGE_DIR.match(language):
            raise Refused(f"{language!r} is not a language folder name (e.g. es, pt, zh-cn)")
        return _created(intents_dir / language / defined_in.name, defined_in)
    known = {p.resolve(): p for p in list_files(intents_dir)}
    if file.resolve() in known:
        return known[file.resolve()]
    folder = file.resolve().parent
    if folder.parent == intents_dir.resolve() and LANGUAGE_DIR.match(folder.name) and file.suffix == ".yaml":
        return _created(file, defined_in)
    raise Refused(f"{file} is not one of the intent files in {intents_dir}, nor a file of a language folder "
                  f"({intents_dir}/<language>/<name>.yaml) to create")


def _created(path: Path, defined_in: Path) -> Path:
    """The language file, written with its header when it does not exist yet."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, f"# {path.parent.name} buyer phrasings for intents defined in ../{defined_in.name}.\n"
                     "# Only id and examples here (kefu intents add-example created this file).\n")
    return path


def insert_example(path: Path, intent_id: str, text: str) -> int:
    """Append one example to the first entry with `id: intent_id`; returns its (1-based) line."""
    source = path.read_text(encoding="utf-8")
    root = _compose(source, path)
    if not _has_entry(root, intent_id):  # a language file without this intent yet: a new entry at the end
        return _append_entry(path, source, intent_id, text)
    examples = _examples_node(root, intent_id, path)
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


def _has_entry(root: Node | None, intent_id: str) -> bool:
    if not isinstance(root, SequenceNode):
        return False
    return any(isinstance(key, ScalarNode) and key.value == "id" and isinstance(value, ScalarNode) and value.value == intent_id
               for entry in root.value if isinstance(entry, MappingNode) for key, value in entry.value)


def _append_entry(path: Path, source: str, intent_id: str, text: str) -> int:
    newline = "\r\n" if "\r\n" in source else "\n"
    if source and not source.endswith(("\n", "\r")):
        source += newline
    lines = [f"- id: {intent_id}", "  examples:", f"    - {_scalar(text, flow=False)}"]
    updated = source + (newline if source.strip() else "") + newline.join(lines) + newline
    _verify(updated, path, intent_id, text)
    _write(path, updated)
    return updated.count("\n") if newline == "\n" else updated.count("\r\n")


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
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
