"""Loading the YAML files admins edit, with file:line in every error.

Admins edit intents, answers and facts by hand; a typo must produce a message
that names the file, the line and the problem, never a traceback. Mappings
loaded here remember the line of each key so validators can point at it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:  # the C parser is ~10x faster; fall back where libyaml is missing
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class DataError(Exception):
    """A data file is broken. `str()` is a message an admin can act on."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line else str(self.path)
        super().__init__(f"{where}: {problem}")


class LineDict(dict):
    """A dict that knows the (1-based) line of itself and of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise DataError(loader.name, key_node.start_mark.line + 1, "a key must be plain text")
        if key in result:
            raise DataError(loader.name, key_node.start_mark.line + 1, f"duplicated key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise DataError(loader.name, node.start_mark.line + 1, f"{node.value!r} is not a valid date") from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; any problem becomes a DataError with file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(path, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, None, f"not UTF-8 text ({exc.reason})") from None
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        if exc.context and "simple key" in exc.context and exc.context_mark:
            # the parser notices a missing colon only lines later: point at the key itself
            line, problem = exc.context_mark.line + 1, "a line without a colon (expected 'key: value' or '- item')"
        else:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise DataError(path, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise DataError(path, None, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


_TYPE_NAMES = {str: "text", list: "a list", dict: "a mapping", bool: "true or false", int: "a number", float: "a number"}


def _type_name(kind: type) -> str:
    for base, name in _TYPE_NAMES.items():
        if issubclass(kind, base):
            return name
    return kind.__name__


def expect(value: Any, kind: type | tuple[type, ...], path: Path, line: int, what: str) -> Any:
    """Check a value's type, or raise a DataError saying what was expected."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
        wanted = " or ".join(dict.fromkeys(_type_name(k) for k in kinds))
        got = "nothing" if value is None else _type_name(type(value))
        raise DataError(path, line, f"{what} must be {wanted}, got {got}")
    return value
