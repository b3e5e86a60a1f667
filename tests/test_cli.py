"""The `kefu` command line: chat, classify, and clear errors."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import DATA
from tests.factories import babel_moment

runner = CliRunner()


def test_help_explains_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("chat", "classify"):
        assert command in result.output


def test_classify_contract_one_line_per_input_in_order():
    lines = [
        {"text": "how can I pay? paypal ok?"},
        {"text": "Где мой заказ?", "language": "ru"},
        {"text": "write me a poem about cats"},
        {"text": ""},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = runner.invoke(app, ["classify", "--translator", f"table:{DATA / 'translations.tsv'}"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4
    assert set(out[0]) == {"text", "language", "pivot", "intent", "score", "handoff"}
    assert (out[0]["intent"], out[0]["language"], out[0]["handoff"]) == ("payment_methods", "en", False)
    assert 0 <= out[0]["score"] <= 100
    assert (out[1]["language"], out[1]["pivot"], out[1]["intent"]) == ("ru", "Where is my order?", "order_status")
    assert out[2]["intent"] is None and out[2]["handoff"] is True
    assert out[3]["intent"] is None


def test_classify_reports_bad_lines_and_goes_on():
    result = runner.invoke(app, ["classify"], input='not json\n{"text": 5}\n{"text": "thank you!"}\n')
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["error"] for o in out[:2]] == [
        "line 1: not JSON (Expecting value at column 1)", 'line 2: "text" must be a string, not a number',
    ]
    assert out[2]["intent"] == "thanks"


def test_classify_with_an_unknown_translator_is_a_clear_error():
    result = runner.invoke(app, ["classify", "--translator", "babelfish"], input="")
    assert result.exit_code == 2
    assert "unknown translator 'babelfish'" in result.output


def test_chat_talks_through_the_whole_pipeline(tmp_path):
    db = tmp_path / "chat.db"
    stdin = "hello\nhow long does shipping to Germany take?\n/quit\n"
    result = runner.invoke(app, ["chat", "--db", f"sqlite:///{db}", "--translator", "none"], input=stdin)
    assert result.exit_code == 0, result.output
    assert "greeting" in result.output and "delivery_time" in result.output
    assert "25–60" in result.output
    assert db.exists()


def test_chat_in_russian_with_a_table(tmp_path):
    stdin = "Сколько идет доставка в Москву?\n"
    result = runner.invoke(
        app, ["chat", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--translator", f"table:{DATA / 'translations.tsv'}"], input=stdin
    )
    assert result.exit_code == 0, result.output
    assert "delivery_time, ru" in result.output
    assert "дн" in result.output  # the answer is in Russian


def test_a_broken_config_file_is_reported_with_file_and_line(tmp_path):
    config = tmp_path / "kefu.yaml"
    config.write_text("database_url: sqlite:///x.db\nthreshhold: 50\n")
    result = runner.invoke(app, ["classify", "--config", str(config)], input="")
    assert result.exit_code == 2
    assert f"{config}:2: unknown setting 'threshhold'" in result.output


def test_run_without_any_channel_says_what_to_configure(monkeypatch):
    for name in ("KEFU_TELEGRAM_TOKEN", "KEFU_SLACK_BOT_TOKEN", "KEFU_IMAP_HOST", "KEFU_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "no channel is configured: set KEFU_TELEGRAM_TOKEN" in result.output


def test_reply_contract_runs_the_whole_pipeline(tmp_path):
    lines = [
        {"channel": "telegram", "conversation": "t1", "sender": "u1", "text": "I want to talk to a human", "at": "2026-11-23T09:00:00-05:00"},
        {"channel": "email", "conversation": "e1", "sender": "a@b.c", "text": "How long is delivery to Spain?", "at": "2026-11-24T10:00:00+08:00"},
        {"channel": "telegram", "conversation": "t1", "sender": "u1", "text": "hello", "at": "not a time"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = runner.invoke(app, ["reply", "--db", f"sqlite:///{tmp_path / 'r.db'}", "--translator", "none"], input=stdin)
    assert result.exit_code == 0, result.output
    first, second, third = (json.loads(line) for line in result.stdout.splitlines())
    assert set(first) == {"conversation", "reply", "intent", "language", "handoff", "handoff_reason", "out_of_hours"}
    assert (first["intent"], first["handoff_reason"], first["out_of_hours"]) == ("human_agent", "requested", True)
    tuesday_8_shanghai = datetime(2026, 11, 24, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    # told in the buyer's own time (UTC-5): Monday 19:00
    assert babel_moment(tuesday_8_shanghai, "America/New_York", "en") in first["reply"]
    assert second["intent"] == "delivery_time" and not second["out_of_hours"]
    assert second["reply"].startswith("Hello,")  # e-mail gets a letter
    assert "error" in third


def test_hours_tells_the_buyers_time():
    result = runner.invoke(app, ["hours", "--at", "2026-11-23T22:00:00+08:00", "-z", "Europe/Moscow", "-l", "ru"])
    assert result.exit_code == 0
    tuesday_8_shanghai = datetime(2026, 11, 24, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "away" in result.output and babel_moment(tuesday_8_shanghai, "Europe/Moscow", "ru") in result.output
