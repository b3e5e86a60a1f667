"""`kefu eval`: an admin measuring the matcher on a labelled file."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.admin.evaluation import evaluate_matches, read_tsv
from intents.catalog import load_intents
from intents.matcher import Matcher
from tests.conftest import DATA, REPO
from tests.factories import write_intent_list

runner = CliRunner()
SUMMARY = re.compile(r"^accuracy=\d\.\d{3} oos_rejection=\d\.\d{3}$")

SAMPLE = """\
# intent<TAB>text; out_of_scope: the bot must not answer
payment_methods\tcan i pay with paypal?
order_status\twhere is my parcel, order 1234
thanks\tthanks a lot!
delivery_time\thow long to Brazil
goodbye\twhere is my order
out_of_scope\twrite me a poem about the sea
out_of_scope\twho will win the world cup
"""


@pytest.fixture
def sample(tmp_path) -> Path:
    path = tmp_path / "sample.tsv"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def last_line(output: str) -> str:
    return output.rstrip("\n").splitlines()[-1]


def test_the_last_line_is_the_summary_and_the_tables_explain_it(sample, brain):
    result = runner.invoke(app, ["eval", str(sample)])
    assert result.exit_code == 0, result.output
    # 4 of 5 in-scope rows right (the mislabelled "goodbye" row is the miss), both out-of-scope rows rejected
    assert last_line(result.output) == "accuracy=0.800 oos_rejection=1.000"
    assert "5 in-scope rows, 2 out-of-scope rows" in result.output
    assert re.search(r"│ goodbye\s+│ order_status\s+│\s+1 │", result.output)  # the confusion pair
    assert re.search(r"│ order_status\s+│\s+50\.0% │\s+100\.0% │", result.output)  # precision suffers from the mislabel
    current = rf"│\s+{brain.matcher.threshold:g} │\s+80\.0% │\s+100\.0% │ current, recommended │"
    assert re.search(current, result.output)  # flat sweep: no change


def test_json_is_machine_readable_and_the_summary_still_comes_last(sample, brain):
    result = runner.invoke(app, ["eval", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["accuracy"], report["oos_rejection"], report["in_scope"], report["out_of_scope"]) == (0.8, 1.0, 5, 2)
    assert {"expected": "goodbye", "predicted": "order_status", "count": 1} in report["confusions"]
    assert [s["threshold"] for s in report["sweep"]] == sorted({*range(20, 81, 5), brain.matcher.threshold})
    assert report["recommended_threshold"] == report["threshold"] == brain.matcher.threshold
    goodbye = next(s for s in report["per_intent"] if s["intent"] == "goodbye")
    assert (goodbye["precision"], goodbye["recall"], goodbye["support"]) == (0.0, 0.0, 1)
    assert last_line(result.output) == "accuracy=0.800 oos_rejection=1.000"


def test_the_shipped_evaluation_set_meets_the_targets():
    result = runner.invoke(app, ["eval", str(REPO / "bench" / "data" / "eval_en.tsv")])
    assert result.exit_code == 0, result.output
    summary = last_line(result.output)
    assert SUMMARY.match(summary)
    accuracy, rejection = (float(part.split("=")[1]) for part in summary.split())
    assert accuracy >= 0.95 and rejection >= 0.90


def test_a_translator_sends_each_row_through_the_pivot(tmp_path):
    path = tmp_path / "ru.tsv"
    path.write_text("order_status\tГде мой заказ?\ndelivery_time\tСколько идет доставка в Москву?\n"
                    "human_agent\tХочу поговорить с человеком\npayment_methods\t¿Aceptan PayPal?\n", encoding="utf-8")
    english_only = tmp_path / "lists"  # the shipped lists without their native phrasings
    english_only.mkdir()
    for top in (REPO / "intents" / "lists").glob("*.yaml"):
        shutil.copy(top, english_only)
    as_written = runner.invoke(app, ["eval", str(path), "--intents", str(english_only)])
    through_pivot = runner.invoke(app, ["eval", str(path), "--intents", str(english_only), "--translator", f"table:{DATA / 'translations.tsv'}"])
    assert through_pivot.exit_code == 0, through_pivot.output
    assert last_line(through_pivot.output) == "accuracy=1.000 oos_rejection=0.000"
    accuracy = lambda result: float(last_line(result.output).split()[0].split("=")[1])  # noqa: E731
    assert accuracy(as_written) < 0.5  # English phrasings alone do not understand them
    # the shipped lists' native phrasings understand them as written, with no translator
    assert accuracy(runner.invoke(app, ["eval", str(path)])) >= 0.75
    assert "no out_of_scope rows" in through_pivot.output


def test_a_malformed_row_is_reported_with_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("thanks\tthank you\n\ngreeting\thello\textra\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert result.output == f"error: {path}:3: expected 'intent<TAB>text' (or 'lang<TAB>intent<TAB>text<TAB>english'), got 3 field(s)\n"


def test_a_missing_file_and_unknown_labels(tmp_path):
    missing = runner.invoke(app, ["eval", str(tmp_path / "nope.tsv")])
    assert missing.exit_code == 2
    assert f"error: {tmp_path / 'nope.tsv'}: file not found" in missing.output
    path = tmp_path / "typo.tsv"
    path.write_text("thank\tthank you so much\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path)])
    assert result.exit_code == 0
    assert "labels not in the intent lists (always counted wrong): thank" in result.output
    assert last_line(result.output) == "accuracy=0.000 oos_rejection=0.000"


def test_evaluate_matches_measures_matches_made_elsewhere(brain, sample):
    rows = read_tsv(sample)
    report = evaluate_matches(brain.matcher, [(label, brain.matcher.match(text)) for label, text in rows])
    assert (round(report.accuracy, 3), report.oos_rejection) == (0.8, 1.0)
    assert report.confusions == [("goodbye", "order_status", 1)]


def test_tuning_on_any_intent_list_stores_limits_the_matcher_then_uses(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path / "cache"))  # the tuned limits stay with this test
    folder = write_intent_list(tmp_path / "speaker")
    rows = tmp_path / "val.tsv"
    rows.write_text("Weather.Forecast\tis it raining in london\nMusic.Play\tplay a song by queen\n"
                    "Timer.Set\tset a timer for an hour\nout_of_scope\twhat is the tallest mountain\n"
                    "out_of_scope\thow do i bake bread\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(rows), "--intents", str(folder), "--tune"])
    assert result.exit_code == 0, result.output
    told = re.search(r"tuned on \S+: threshold (\S+), out-of-scope probability (\S+) \(accuracy \S+ → (\S+), "
                     r"oos_rejection \S+ → (\S+)\); stored in (\S+)", result.stderr)
    assert told, result.stderr
    assert last_line(result.stdout) == f"accuracy={told[3]} oos_rejection={told[4]}"  # the report uses the tuned limits
    assert float(told[4]) == 1.0  # both unanswerable questions turned away
    matcher = Matcher(load_intents(folder))
    assert (matcher.threshold, matcher.oos_probability) == (float(told[1]), float(told[2]))
    assert matcher.calibration.source == str(rows)


def test_tuning_without_out_of_scope_rows_is_refused(tmp_path, sample):
    rows = tmp_path / "in_scope.tsv"
    rows.write_text("thanks\tthank you so much\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(rows), "--tune"])
    assert result.exit_code == 2
    assert "tuning needs out_of_scope rows" in result.output


def test_a_native_file_with_four_columns_is_reported_per_language(tmp_path):
    path = tmp_path / "native.tsv"
    path.write_text("es\tshipping_cost\t¿cuánto cuesta el envío a Chile?\thow much is shipping to Chile?\n"
                    "es\torder_status\tdónde está mi pedido??\twhere is my order??\n"
                    "de\torder_status\tWo bleibt meine Bestellung?\tWhere is my order?\n"
                    "de\tout_of_scope\tWie wird das Wetter morgen in Berlin?\tWhat will the weather be tomorrow in Berlin?\n",
                    encoding="utf-8")
    result = runner.invoke(app, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    languages = {s["language"]: s for s in report["per_language"]}
    assert set(languages) == {"es", "de"} and languages["es"]["rows"] == 2 and languages["de"]["rows"] == 2
    assert 0.0 <= languages["de"]["wrong"] <= 1.0 and report["wrong"] <= 0.5


def test_tuning_a_file_in_several_languages_chooses_limits_for_each_reading(tmp_path, monkeypatch):
    """Rows read in their own language get limits of their own; English rows keep theirs. With
    --max-wrong, the limits answer at most that share of the rows with a wrong intent."""
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path / "cache"))
    rows = tmp_path / "val.tsv"
    rows.write_text(
        "es\tshipping_cost\t¿cuánto cuesta el envío a Chile?\thow much is shipping to Chile?\n"
        "es\torder_status\tdónde está mi pedido??\twhere is my order??\n"
        "es\tpayment_methods\tse puede pagar con paypal\tcan I pay with paypal\n"
        "es\tout_of_scope\t¿quién ganó el partido ayer?\twho won the match yesterday?\n"
        "de\torder_status\tWo bleibt meine Bestellung?\tWhere is my order?\n"
        "de\tout_of_scope\tWie wird das Wetter morgen in Berlin?\tWhat will the weather be tomorrow in Berlin?\n"
        "en\tthanks\tthanks a lot!\tthanks a lot!\n"
        "en\tout_of_scope\twrite me a poem about the sea\twrite me a poem about the sea\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(rows), "--tune", "--max-wrong", "0"])
    assert result.exit_code == 0, result.output
    told = re.search(r"threshold (\S+), out-of-scope probability (\S+); read natively: threshold (\S+), "
                     r"out-of-scope probability (\S+) ", result.stderr)
    assert told, result.stderr
    matcher = Matcher(load_intents(REPO / "intents" / "lists"))
    tuned = matcher.calibration
    assert (tuned.native_threshold, tuned.native_oos_probability) == (float(told[3]), float(told[4]))
    assert (matcher.native_threshold, matcher.native_oos_probability) == (float(told[3]), float(told[4]))
    assert tuned.native_source == str(rows) and tuned.native_wrong == 0.0
    report = json.loads(runner.invoke(app, ["eval", str(rows), "--json"]).stdout)
    assert report["wrong"] == 0.0 and report["native_threshold"] == float(told[3])


def test_tuning_for_the_fewest_wrong_answers(brain, sample):
    from bot.admin.evaluation import tune

    matches = [(label, brain.matcher.match(text)) for label, text in read_tsv(sample)]
    strict = tune(matches, max_wrong=0.0)
    decided = [(label, m.decided(strict.threshold, strict.oos_probability), m) for label, m in matches]
    # None wrong but "where is my order" labelled goodbye: an example word for word, answered at any limits
    assert [label for label, intent, m in decided if intent not in (None, label)] == ["goodbye"]
    assert strict.accuracy == sum(intent == label for label, intent, _ in decided) / 5 > 0
