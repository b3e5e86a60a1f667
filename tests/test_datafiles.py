"""Admins edit YAML by hand: every mistake gets file:line and the problem, never a traceback."""

from pathlib import Path

import pytest

from bot.datafiles import DataError
from intents.catalog import load_intents
from replies.answers import load_answers


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
- id: greeting
  examples:
    - hello
    - hi there
"""


def error_of(folder: Path) -> str:
    with pytest.raises(DataError) as caught:
        load_intents(folder)
    return str(caught.value)


def test_a_missing_colon_names_file_and_line(tmp_path):
    path = write(tmp_path, "a.yaml", GOOD + "- id: thanks\n  examples\n    - thank you\n")
    message = error_of(tmp_path)
    assert message.startswith(f"{path}:")
    assert "invalid YAML" in message
    assert message == f"{path}:6: invalid YAML: a line without a colon (expected 'key: value' or '- item')"


def test_a_wrong_type_says_what_was_expected(tmp_path):
    path = write(tmp_path, "a.yaml", "- id: greeting\n  examples: hello\n")
    assert error_of(tmp_path) == f"{path}:2: examples must be a list, got text"


def test_a_duplicated_id_points_at_both_places(tmp_path):
    first = write(tmp_path, "a.yaml", GOOD)
    second = write(tmp_path, "b.yaml", "# another file\n" + GOOD)
    assert error_of(tmp_path) == f"{second}:2: duplicated id 'greeting' (first defined at {first}:1)"


def test_a_duplicated_key_in_one_entry(tmp_path):
    path = write(tmp_path, "a.yaml", "- id: greeting\n  id: thanks\n  examples: [hi]\n")
    assert error_of(tmp_path) == f"{path}:2: duplicated key 'id'"


def test_unknown_field_and_empty_examples(tmp_path):
    path = write(tmp_path, "a.yaml", "- id: greeting\n  exemples: [hi]\n")
    assert error_of(tmp_path).startswith(f"{path}:2: unknown field 'exemples'")
    write(tmp_path, "a.yaml", "- id: greeting\n  examples: []\n")
    assert error_of(tmp_path) == f"{path}:1: intent 'greeting' has no examples"


def test_binary_junk_is_not_utf8(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"\xff\xfe\x00junk")
    assert error_of(tmp_path) == f"{path}: not UTF-8 text (invalid start byte)"


def test_native_examples_extend_a_known_intent(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "es/a.yaml", "- id: greeting\n  examples: [hola, buenas]\n")
    intents = load_intents(tmp_path)
    assert {ex.language for ex in intents.intents["greeting"].examples} == {"en", "es"}
    write(tmp_path, "es/a.yaml", "- id: nope\n  examples: [hola]\n")
    assert "unknown intent 'nope'" in error_of(tmp_path)


def test_answers_file_errors(tmp_path):
    write(tmp_path, "facts.yaml", "shop_name: Test\n")
    path = write(tmp_path, "answers/en.yaml", "answers:\n  greeting:\n    chat: Hi {shop_name\n")
    with pytest.raises(DataError) as caught:
        load_answers(tmp_path)
    assert str(caught.value).startswith(f"{path}:3: answer 'greeting'.chat: broken placeholder")
    write(tmp_path, "answers/en.yaml", "answers:\n  greeting:\n    mail: Hi\n")
    with pytest.raises(DataError, match=r"en.yaml:3: unknown style 'mail'"):
        load_answers(tmp_path)
