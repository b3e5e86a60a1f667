"""Generated input thrown at the pipeline and at both streams: nothing escapes, nothing is lost.

Properties: `Pipeline.handle` returns for any message a channel could build (NUL, lone surrogates,
over-long fields, wrong types, times at the edges of the calendar, odd raw payloads) and the message
is stored and processed; `kefu classify` and `kefu reply` write exactly one UTF-8 JSON line per input
line, and `kefu reply` stores every line it answers and keeps every line it cannot read.
Example counts keep the whole module within about a minute (CI runs them derandomized, see conftest).
"""

import asyncio
import itertools
import json
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.message import Kind, Message, Style
from bot.store.database import Store
from bot.store.sanitize import fit_message

runner = CliRunner()
_ids = itertools.count(1)

# Characters that have broken something once: NUL (PostgreSQL), surrogates (UTF-8), line and paragraph separators.
AWKWARD = st.sampled_from(["\x00", "\ud800", "\udfff", "\ud83d", "\ufffd", "\u2028", "\r", "\t", "é", "ж", "订", "😀"])
CHARS = st.one_of(st.characters(), AWKWARD)
TEXT = st.one_of(st.text(CHARS, max_size=40), st.builds(lambda c, n: c * n, CHARS, st.integers(0, 400)))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.integers(10 ** 300, 10 ** 301) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
OFFSETS = st.builds(lambda m: timezone(timedelta(minutes=m)), st.integers(-(23 * 60 + 59), 23 * 60 + 59))
MOMENTS = st.builds(lambda at, zone: at.replace(tzinfo=zone), st.datetimes(), OFFSETS)  # year 1 to 9999, any offset


@st.composite
def messages(draw) -> Message:
    optional = st.one_of(st.none(), TEXT, JSON)  # a channel may hand over anything
    return Message(
        channel=draw(st.sampled_from(["telegram", "slack", "email", "console"]) | TEXT),
        conversation=draw(TEXT | st.integers()),
        sender=draw(TEXT | st.integers()),
        text=draw(TEXT),
        received_at=draw(MOMENTS),
        kind=draw(st.sampled_from(list(Kind))),
        sender_name=draw(optional),
        language_hint=draw(st.sampled_from([None, "ru", "zh-TW", "pt-BR"]) | optional),
        external_id=f"{next(_ids)}:{draw(TEXT)}",  # unique: every example is a new delivery
        subject=draw(optional),
        timezone=draw(st.sampled_from([None, "Europe/Moscow", "+03:00"]) | optional),
        country=draw(st.sampled_from([None, "DE", "de"]) | optional),
        raw=draw(st.dictionaries(TEXT, JSON, max_size=4)),
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(message=messages(), style=st.sampled_from(list(Style)))
async def test_the_pipeline_answers_and_stores_any_message(kefu, message, style):
    reply = await kefu.pipeline.handle(message, style)  # nothing escapes
    assert reply.text is None or reply.text.encode("utf-8")
    fitted = fit_message(message).message
    stored = [m for m in await kefu.store.messages() if m.external_id == fitted.external_id and m.direction == "in"]
    assert len(stored) == 1, "every incoming message is stored"
    assert stored[0].text == fitted.text and stored[0].status == "processed"


# -- streams --------------------------------------------------------------------------------

AT = st.one_of(MOMENTS.map(datetime.isoformat), st.sampled_from(["9999-12-31T23:59:59-23:59", "2026-11-23T10:00:00"]), TEXT, JSON)
FIELDS = {
    "channel": st.sampled_from(["telegram", "email"]) | TEXT | JSON,
    "conversation": st.sampled_from(["42", "c-1"]) | TEXT | JSON,
    "sender": st.sampled_from(["42"]) | TEXT | JSON,
    "text": st.sampled_from(["hello", "where is my order?", "Где мой заказ?", ""]) | TEXT | JSON,
    "at": AT,
    "language": st.none() | TEXT | JSON,
    "timezone": st.none() | TEXT | JSON,
    # unique when valid, so no line is a redelivery of another; any other shape is an error line
    "id": st.none() | st.builds(lambda: next(_ids)) | st.builds(lambda t: f"{next(_ids)}{t}", TEXT)
    | st.floats() | st.lists(JSON),
}


@st.composite
def request_lines(draw) -> bytes:
    """One input line: mostly requests with fields of any shape, sometimes no JSON at all."""
    kind = draw(st.sampled_from(["request", "request", "request", "bytes", "blank", "json"]))
    if kind == "bytes":
        return draw(st.binary(max_size=60)).replace(b"\n", b" ")
    if kind == "blank":
        return draw(st.sampled_from([b"", b"  ", b"\r", b"\t"]))
    item = draw(JSON) if kind == "json" else {k: draw(v) for k, v in FIELDS.items() if draw(st.booleans()) or k in ("text", "at")}
    encoded = json.dumps(item, ensure_ascii=draw(st.booleans()))
    return encoded.encode("utf-8", draw(st.sampled_from(["surrogatepass", "replace"])))


LINES = st.lists(request_lines(), min_size=1, max_size=25)
STREAM_SETTINGS = settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _run(command: list[str], lines: list[bytes]) -> list[dict]:
    result = runner.invoke(app, command, input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.output  # nothing escapes
    out = result.stdout_bytes.decode("utf-8").splitlines()  # valid UTF-8, even for readers that split on U+2028…
    assert len(out) == len(lines), "one output line per input line"
    return [json.loads(line) for line in out]  # …and JSON


@STREAM_SETTINGS
@given(lines=LINES)
def test_classify_answers_every_line_once(lines):
    for answer in _run(["classify"], lines):
        assert ("error" in answer and answer["text"] is None) or {"language", "intent", "handoff"} <= set(answer)


async def _stored(url: str):
    store = await Store.open(url)
    try:
        return [m for m in await store.messages() if m.direction == "in"], await store.rejected()
    finally:
        await store.close()


@STREAM_SETTINGS
@given(lines=LINES)
def test_reply_answers_every_line_once_and_loses_none(lines):
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'kefu.db'}"
        answers = _run(["reply", "--db", url, "--translator", "none"], lines)
        incoming, rejected = asyncio.run(_stored(url))
    errors = [(line, a) for line, a in zip(lines, answers) if "error" in a]
    assert not [a for _, a in errors if "could not process" in a["error"]]
    answered = len(answers) - len(errors)
    assert len(incoming) == answered, "every answered line is stored"
    assert all(m.status == "processed" for m in incoming)
    unreadable = [r for r in rejected if r.channel == "stdin"]
    assert len(unreadable) == sum(1 for line, _ in errors if line.strip()), "every unreadable line is kept"
