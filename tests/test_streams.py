"""`kefu classify`, `kefu reply` and `kefu chat` survive every line: one bad line is that line's error, never the stream's end.

Each stream runs once per module with every awkward input in it (loading the bot costs seconds); the tests
below each read what one of those lines produced.
"""

import asyncio
import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store.database import Store
from tests.conftest import _reset_postgres

runner = CliRunner()
AT = "2026-11-23T10:00:00+08:00"  # Monday 10:00 in Shanghai: the team is in


def line(**fields) -> bytes:
    return json.dumps({"channel": "telegram", "conversation": "42", "sender": "42", "at": AT, **fields}).encode()


DEEP = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
HUGE = b'{"text": "hi", "n": 1' + b"0" * 5000 + b"}"

# name → one input line, in stream order
REPLY_LINES = {
    "first": line(text="hello", id="m1"),
    "timezone_number": line(text="hi", timezone=5),
    "overflowing_date": line(text="hi", at="9999-12-31T23:59:59-23:59"),
    "lone_surrogate": line(text="where is my order? \ud800", id="m2"),
    "nul_sender": line(text="thanks", sender="tg\x00buyer", id="m3"),
    "long_language": line(text="hello there", language="en-" + "x" * 30, id="m4"),
    "text_number": line(text=3),
    "language_array": line(text="hi", language=[]),
    "invalid_utf8": b'{"text": "caf\xe9"}',
    "empty": b"",
    "blank": b"   ",
    "infinite_id": line(text="hi").replace(b'"at"', b'"id": 1e400, "at"'),
    "integer_id": line(text="how can I pay?").replace(b'"at"', b'"id": 123456789012345678901234567890, "at"'),
    "huge_number": HUGE,
    "deep_nesting": DEEP,
    "missing_fields": b'{"text": "hi"}',
    "not_an_object": b"[1, 2]",
    "not_json": b"hello?",
    "last": line(text="thank you!", id="m9"),
}
STORED = ("first", "lone_surrogate", "nul_sender", "long_language", "integer_id", "last")


def stream(command: list[str], lines: list[bytes]):
    result = runner.invoke(app, command, input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.output
    return [json.loads(out) for out in result.stdout_bytes.decode("utf-8").splitlines()]  # strict: valid UTF-8 JSON


async def _stored(url: str):
    store = await Store.open(url)
    try:
        return await store.messages(), await store.rejected()
    finally:
        await store.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def replied(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reply') / 'kefu.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        asyncio.run(_reset_postgres(url))
    outputs = stream(["reply", "--db", url, "--translator", "none"], list(REPLY_LINES.values()))
    messages, rejected = asyncio.run(_stored(url))
    return dict(zip(REPLY_LINES, outputs)), outputs, messages, rejected


def test_reply_writes_exactly_one_line_per_input_line_in_order(replied):
    by_name, outputs, _, _ = replied
    assert len(outputs) == len(REPLY_LINES)
    assert by_name["first"]["intent"] == "greeting" and by_name["last"]["intent"] == "thanks"


@pytest.mark.parametrize("name, error", [
    ("timezone_number", 'line 2: "timezone" must be a string, not a number'),
    ("overflowing_date", "line 3: \"at\" is out of range once in UTC: '9999-12-31T23:59:59-23:59'"),
    ("text_number", 'line 7: "text" must be a string, not a number'),
    ("language_array", 'line 8: "language" must be a string, not an array'),
    ("invalid_utf8", "line 9: not UTF-8 (byte 0xe9 at position 14)"),
    ("empty", "line 10: empty line"),
    ("blank", "line 11: empty line"),
    ("infinite_id", 'line 12: "id" must be a string or an integer, not a number'),
    ("missing_fields", "line 16: missing channel, conversation, sender, at"),
    ("not_an_object", "line 17: each line must be a JSON object, not an array"),
    ("not_json", "line 18: not JSON (Expecting value at column 1)"),
])
def test_reply_answers_a_bad_line_with_its_error(replied, name, error):
    assert replied[0][name] == {"conversation": None, "error": error}


def test_reply_reports_numbers_and_nesting_too_big_to_read(replied):
    for name in ("huge_number", "deep_nesting"):
        assert replied[0][name]["error"].startswith(f"line {list(REPLY_LINES).index(name) + 1}: not JSON")


def test_reply_answers_a_lone_surrogate_with_it_replaced(replied):
    answer = replied[0]["lone_surrogate"]
    assert answer["intent"] == "order_status"
    assert answer["warnings"][0] == "text: NUL or lone surrogate characters replaced by U+FFFD"


def test_reply_stores_a_nul_sender_and_a_long_language_tag(replied):
    by_name, _, messages, rejected = replied
    assert by_name["nul_sender"]["intent"] == "thanks" and by_name["long_language"]["intent"] == "greeting"
    assert "tg\ufffdbuyer" in {m.sender for m in messages if m.direction == "in"}
    assert {"m3", "m4"} <= {m.external_id for m in messages}
    assert by_name["long_language"]["warnings"] == ["language_hint: cut from 33 to 16 characters"]
    assert any('"language_hint": "en-' + "x" * 30 + '"' in r.payload for r in rejected)  # the whole tag kept


def test_reply_takes_integer_ids_of_any_size(replied):
    assert replied[0]["integer_id"]["intent"] == "payment_methods"
    assert "123456789012345678901234567890" in {m.external_id for m in replied[2]}


def test_reply_stores_every_readable_line_and_keeps_every_unreadable_one(replied):
    _, _, messages, rejected = replied
    incoming = [m for m in messages if m.direction == "in"]
    assert len(incoming) == len(STORED)
    assert all(m.status == "processed" for m in incoming)
    unreadable = [r for r in rejected if r.channel == "stdin"]
    bad = [name for name in REPLY_LINES if name not in STORED and REPLY_LINES[name].strip()]
    assert [r.error.split(":")[0] for r in unreadable] == [f"line {list(REPLY_LINES).index(n) + 1}" for n in bad]
    assert unreadable[bad.index("invalid_utf8")].payload == '{"text": "caf\\xe9"}'
    fitted = [r for r in rejected if r.channel == "telegram"]  # the originals of what the store had to change
    assert len(fitted) == 3 and "\\ud800" in fitted[0].payload


CLASSIFY_LINES = {
    "first": b'{"text": "hello"}',
    "lone_surrogate": b'{"text": "where is my order? \\ud800"}',
    "nul": b'{"text": "thank\\u0000 you"}',
    "text_number": b'{"text": 3}',
    "language_array": b'{"text": "hi", "language": []}',
    "invalid_utf8": b'{"text": "\xff\xfe"}',
    "empty": b"",
    "huge_number": HUGE,
    "infinite_text": b'{"text": 1e400}',
    "deep_nesting": DEEP,
    "missing_text": b'{"language": "en"}',
    "line_separator": '{"text": "where\u2028is my order?"}'.encode(),
    "last": b'{"text": "thank you!"}',
}


@pytest.fixture(scope="module")
def classified():
    outputs = stream(["classify"], list(CLASSIFY_LINES.values()))
    assert len(outputs) == len(CLASSIFY_LINES)
    return dict(zip(CLASSIFY_LINES, outputs))


def test_classify_keeps_one_line_per_input_line_and_goes_on(classified):
    assert list(classified) == list(CLASSIFY_LINES)
    assert classified["first"]["intent"] == "greeting" and classified["last"]["intent"] == "thanks"


@pytest.mark.parametrize("name, error", [
    ("text_number", 'line 4: "text" must be a string, not a number'),
    ("language_array", 'line 5: "language" must be a string, not an array'),
    ("invalid_utf8", "line 6: not UTF-8 (byte 0xff at position 11)"),
    ("empty", "line 7: empty line"),
    ("infinite_text", 'line 9: "text" must be a string, not a number'),
    ("missing_text", 'line 11: "text" is missing'),
])
def test_classify_answers_a_bad_line_with_its_error(classified, name, error):
    assert classified[name] == {"text": None, "error": error}


def test_classify_reports_numbers_and_nesting_too_big_to_read(classified):
    assert classified["huge_number"]["error"].startswith("line 8: not JSON")
    assert classified["deep_nesting"]["error"].startswith("line 10: not JSON")


def test_classify_reads_a_lone_surrogate_as_a_replacement_character(classified):
    answer = classified["lone_surrogate"]
    assert (answer["text"], answer["intent"]) == ("where is my order? \ufffd", "order_status")
    assert answer["warnings"] == ["lone surrogate characters replaced by U+FFFD"]


def test_classify_output_lines_hold_no_character_a_reader_splits_on(classified):
    assert classified["line_separator"]["text"] == "where\u2028is my order?"  # `stream` splits with str.splitlines


def test_classify_reads_a_nul_byte_like_any_character(classified):
    assert classified["nul"]["text"] == "thank\x00 you" and classified["nul"]["intent"] is not None


def test_chat_says_a_line_is_not_utf8_and_answers_the_next(tmp_path):
    stdin = b"hello\n\xff\xfe caf\xe9\nthank\x00 you\nhow can I pay?\n"
    result = runner.invoke(app, ["chat", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--translator", "none"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "kefu: that line is not UTF-8 (byte 0xff at position 1); nothing was sent" in result.output
    assert "greeting" in result.output and "payment_methods" in result.output
    assert result.output.count("shop (") == 3  # hello, the line with a NUL, and the question after it
