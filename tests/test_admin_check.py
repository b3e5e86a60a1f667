"""`kefu intents check | test | add-example`: an admin keeping the intent lists in shape.

Edits happen on copies of the shipped lists in tmp_path; nothing here retrains the model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.admin.checks import check_data
from bot.admin.yamledit import Refused, add_example, insert_example
from intents import LISTS_DIR
from intents.catalog import load_intents
from replies.answers import REPLIES_DIR
from tests.conftest import DATA
from tests.factories import write_intent_list

runner = CliRunner()
COLON = "invalid YAML: a line without a colon (expected 'key: value' or '- item')"


@pytest.fixture
def lists(tmp_path) -> Path:
    return Path(shutil.copytree(LISTS_DIR, tmp_path / "lists"))


@pytest.fixture
def replies(tmp_path) -> Path:
    return Path(shutil.copytree(REPLIES_DIR, tmp_path / "replies", ignore=shutil.ignore_patterns("*.py", "__pycache__")))


def check(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["intents", "check", *map(str, args)], env=env)


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line that is exactly `text`."""
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def edit_line(path: Path, number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


# -- check -------------------------------------------------------------------------------


def test_the_shipped_lists_pass_with_warnings_only():
    result = check()
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
    assert "29 intents" in result.output
    # a real look-alike pair in the shipped lists, told once with both places
    assert "'customs?' (customs_tax) is closer to 'custom?' (store_info" in result.output


def test_a_missing_colon_is_an_error_with_file_and_line(lists):
    path = lists / "smalltalk.yaml"
    number = line_of(path, "- id: thanks") + 4
    edit_line(path, number, "  examples:", "  examples")
    result = check(lists)
    assert result.exit_code == 1
    assert f"error: {path}:{number}: {COLON}\n" in result.output
    assert "1 error," in result.output


def test_every_file_with_broken_yaml_is_named_at_once(lists):
    first, second = lists / "order.yaml", lists / "presale.yaml"
    edit_line(first, 12, "  description:", "  description")
    edit_line(second, 12, "  description:", "  description")
    result = check(lists)
    assert result.exit_code == 1
    assert f"error: {first}:12: {COLON}" in result.output
    assert f"error: {second}:12: {COLON}" in result.output


def test_a_wrong_type_says_what_was_expected(lists):
    path = lists / "smalltalk.yaml"
    number = line_of(path, "- id: thanks") + 2
    edit_line(path, number, "handoff: false", "handoff: maybe")
    result = check(lists)
    assert result.exit_code == 1
    assert f"error: {path}:{number}: handoff must be true or false, got text\n" in result.output


def test_a_duplicated_id_points_at_both_definitions(lists):
    path = lists / "smalltalk.yaml"
    first, second = line_of(path, "- id: thanks"), line_of(path, "- id: goodbye")
    edit_line(path, second, "- id: goodbye", "- id: thanks")
    result = check(lists)
    assert result.exit_code == 1
    assert f"error: {path}:{second}: duplicated id 'thanks' (first defined at {path}:{first})\n" in result.output


def test_an_empty_example_list_is_an_error(lists):
    path = lists / "extra.yaml"
    path.write_text("# shop-specific intents\n- id: gift_cards\n  examples: []\n", encoding="utf-8")
    result = check(lists)
    assert result.exit_code == 1
    assert f"error: {path}:2: intent 'gift_cards' has no examples" in result.output


def test_answers_and_intents_must_agree_and_the_catalogue_is_a_contract(lists, replies):
    for path in [lists / "smalltalk.yaml", *lists.glob("*/smalltalk.yaml")]:  # English and every language folder
        edit_line(path, line_of(path, "- id: goodbye"), "- id: goodbye", "- id: farewell")
    result = check(lists, env={"KEFU_REPLIES_DIR": str(replies)})
    assert result.exit_code == 1
    english = replies / "answers" / "en.yaml"
    assert f"error: {english}: no answer for intent 'farewell'" in result.output
    chat = line_of(english, "  goodbye:") + 1  # the answer's first text
    assert f"error: {english}:{chat}: answer for unknown intent 'goodbye'" in result.output
    files = len(list((replies / "answers").glob("*.yaml")))
    assert files == 21
    assert result.output.count("answer for unknown intent 'goodbye'") == files  # every language file says so
    assert f"warning: {lists}: catalogue intent 'goodbye' is not in the lists" in result.output


def test_a_template_asking_for_a_missing_fact_is_an_error(replies):
    english = replies / "answers" / "en.yaml"
    number = next(i for i, line in enumerate(english.read_text(encoding="utf-8").splitlines(), 1)
                  if line.startswith("    chat:") and "{dispatch_days}" in line)
    edit_line(english, number, "{dispatch_days}", "{dispatch_dayz}")
    result = check(env={"KEFU_REPLIES_DIR": str(replies)})
    assert result.exit_code == 1
    assert f"error: {english}:{number}: unknown placeholder {{dispatch_dayz}}: not a fact in facts.yaml" in result.output


def test_the_same_example_under_two_intents_is_an_error(lists):
    greeting = lists / "presale.yaml"
    original = line_of(greeting, "    - hello anybody online")
    line = insert_example(lists / "smalltalk.yaml", "thanks", "Hello, anybody online?")
    result = check(lists)
    assert result.exit_code == 1
    assert (f"error: {lists / 'smalltalk.yaml'}:{line}: 'Hello, anybody online?' is an example of both 'thanks' "
            f"and 'greeting' ({greeting}:{original})") in result.output


def test_near_duplicates_and_misplaced_examples_are_warnings(lists):
    smalltalk = lists / "smalltalk.yaml"
    near = insert_example(smalltalk, "thanks", "hi is anyone theree")
    misplaced = insert_example(smalltalk, "thanks", "where is my order now")
    result = check(lists)
    assert result.exit_code == 0, result.output
    assert f"warning: {smalltalk}:{near}: 'hi is anyone theree' (thanks) is nearly the same as 'hi is anyone there' (greeting" in result.output
    assert f"warning: {smalltalk}:{misplaced}: 'where is my order now' (thanks) is closer to 'where is my order' (order_status" in result.output


def test_check_of_a_folder_that_does_not_exist_is_a_usage_error(tmp_path):
    result = check(tmp_path / "nope")
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: not an intent lists folder" in result.output


# -- test ---------------------------------------------------------------------------------


def test_intents_test_shows_the_pivot_and_the_original(brain):
    result = runner.invoke(app, ["intents", "test", "Где мой заказ?", "--translator", f"table:{DATA / 'translations.tsv'}"])
    assert result.exit_code == 0, result.output
    # the header: the limits of the reading that decided (both agree: the native one, its own limits)
    assert f"language ru   threshold {brain.matcher.native_threshold:g}" in result.output
    assert "(read natively)" in result.output
    assert "the bot decides: order_status" in result.output
    assert "pivot (English): Where is my order?" in result.output
    assert "original (ru): Где мой заказ?" in result.output
    assert "where is my order" in result.output  # the example that matched
    assert "out-of-scope probability" in result.output


def test_intents_test_explains_why_nothing_matched():
    result = runner.invoke(app, ["intents", "test", "can you write me a poem about the sea", "-t", "none"])
    assert result.exit_code == 0, result.output
    assert "the bot decides: no intent — a person takes it (no_match)" in result.output
    assert "no intent: out-of-scope probability" in result.output
    assert result.output.count("│ 1 │") == 1 and "│ 3 │" in result.output  # one table, top 3


# -- add-example ---------------------------------------------------------------------------


def add(lists: Path, *args: str):
    return runner.invoke(app, ["intents", "add-example", *args], env={"KEFU_INTENTS_DIR": str(lists)})


def test_add_example_appends_one_line_and_keeps_everything_else(lists):
    path = lists / "presale.yaml"
    before = path.read_text(encoding="utf-8").splitlines()
    result = add(lists, "shipping_cost", "how much is shipping to Reykjavik")
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1
    new = next(i for i, (a, b) in enumerate(zip(before + [""], after)) if a != b)
    assert after[new] == "    - how much is shipping to Reykjavik"
    assert after[:new] + after[new + 1:] == before  # comments, order, quoting untouched
    assert f"{path}:{new + 1}: added 'how much is shipping to Reykjavik' to shipping_cost" in result.output
    examples = [e for e in load_intents(lists).intents["shipping_cost"].examples if e.path == path]
    assert (examples[-1].text, examples[-1].line) == ("how much is shipping to Reykjavik", new + 1)


def test_add_example_quotes_what_yaml_would_misread(lists):
    for text in ("yes", "price: how much to Chile?", "#1 question: do u ship"):
        assert add(lists, "shipping_cost", text).exit_code == 0
    english = [e for e in load_intents(lists).intents["shipping_cost"].examples if e.language == "en"]
    texts = [e.text for e in english[-3:]]
    assert texts == ["yes", "price: how much to Chile?", "#1 question: do u ship"]


def test_add_example_refuses_unknown_intents_and_duplicates(lists):
    untouched = {p: p.read_bytes() for p in lists.glob("*.yaml")}
    unknown = add(lists, "shiping_cost", "free shipping?")
    assert unknown.exit_code == 2
    assert "error: unknown intent 'shiping_cost' (did you mean 'shipping_cost'?)" in unknown.output
    same = add(lists, "greeting", "Hello anybody online")
    assert same.exit_code == 2
    number = line_of(lists / "presale.yaml", "    - hello anybody online")
    assert f"{lists / 'presale.yaml'}:{number}: 'Hello anybody online' is already an example of 'greeting'" in same.output
    other = add(lists, "thanks", "hello anybody online!")
    assert other.exit_code == 2
    assert "already an example of 'greeting'" in other.output and "the same sentence under two intents is a conflict" in other.output
    assert {p: p.read_bytes() for p in lists.glob("*.yaml")} == untouched


def test_add_example_to_a_language_folder(lists):
    spanish = lists / "es" / "presale.yaml"
    spanish.parent.mkdir(exist_ok=True)  # the shipped lists have Spanish phrasings of privacy_request
    spanish.write_text("# frases en español\n- id: shipping_cost\n  examples: [el envío es gratis]  # flow style\n", encoding="utf-8")
    result = add(lists, "shipping_cost", "cuánto cuesta el envío a Chile", "--file", str(spanish))
    assert result.exit_code == 0, result.output
    assert spanish.read_text(encoding="utf-8").splitlines()[2] == \
        "  examples: [el envío es gratis, cuánto cuesta el envío a Chile]  # flow style"
    native = [e for e in load_intents(lists).intents["shipping_cost"].examples if e.language == "es"]
    assert [e.text for e in native] == ["el envío es gratis", "cuánto cuesta el envío a Chile"]


def test_add_example_refuses_a_file_outside_the_lists(lists, tmp_path):
    stray = tmp_path / "stray.yaml"
    stray.write_text("- id: thanks\n  examples: [ta]\n", encoding="utf-8")
    result = add(lists, "thanks", "much obliged, kind seller", "--file", str(stray))
    assert result.exit_code == 2
    assert f"{stray} is not one of the intent files in {lists}" in result.output


def test_add_example_refuses_while_the_lists_are_broken(lists):
    path = lists / "smalltalk.yaml"
    number = line_of(path, "- id: thanks") + 4
    edit_line(path, number, "  examples:", "  examples")
    result = add(lists, "thanks", "much obliged, kind seller")
    assert result.exit_code == 2
    assert f"the intent lists do not load, fix this first: {path}:{number}: {COLON}" in result.output


def test_a_list_without_answers_is_checked_on_its_own(tmp_path):
    folder = write_intent_list(tmp_path / "speaker")
    result = check(folder)
    assert result.exit_code == 0, result.output
    assert "checked 1 intent files (3 intents, 32 examples) and no answers (a list on its own): 0 errors" in result.output
    assert "catalogue" not in result.output and "no answer for intent" not in result.output


def test_a_broken_glossary_is_an_error_with_file_and_line(replies):
    glossary = replies / "glossary.yaml"
    glossary.write_text(glossary.read_text(encoding="utf-8") + "power bank:\n  German: Powerbank\n", encoding="utf-8")
    number = line_of(glossary, "power bank:")
    result = check(env={"KEFU_REPLIES_DIR": str(replies)})
    assert result.exit_code == 1
    assert f"error: {glossary}:{number}: 'power bank': 'German' is not a language code (de, ru, zh-cn…)" in result.output


# -- languages -----------------------------------------------------------------------------------------

SMALL = "- id: thanks\n  examples: [thank you, thanks a lot]\n- id: goodbye\n  examples: [bye, see you]\n"


def test_add_example_creates_the_language_file_and_entry(tmp_path):
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "smalltalk.yaml").write_text(SMALL, encoding="utf-8")
    first = add_example(folder, "thanks", "muchas gracias", language="es")
    assert first.path == folder / "es" / "smalltalk.yaml" and first.path.read_text(encoding="utf-8").startswith("# es ")
    second = add_example(folder, "goodbye", "hasta luego", file=folder / "es" / "smalltalk.yaml")  # a new entry in it
    third = add_example(folder, "thanks", "mil gracias", language="es")  # appended to the entry
    loaded = load_intents(folder)
    spanish = {(i, e.text, e.line) for i, e in loaded.examples() if e.language == "es"}
    assert spanish == {("thanks", "muchas gracias", first.line), ("thanks", "mil gracias", first.line + 1),
                       ("goodbye", "hasta luego", second.line + 1)}  # one line added above it since
    assert third.line == first.line + 1
    with pytest.raises(Refused, match="not a language folder name"):
        add_example(folder, "thanks", "danke", language="German")
    with pytest.raises(Refused, match="nor a file of a language folder"):
        add_example(folder, "thanks", "danke", file=tmp_path / "elsewhere.yaml")


def test_check_reports_missing_native_phrasings_and_the_same_phrasing_in_two_languages(tmp_path):
    folder = tmp_path / "lists"
    (folder / "es").mkdir(parents=True)
    (folder / "smalltalk.yaml").write_text(SMALL, encoding="utf-8")
    (folder / "es" / "smalltalk.yaml").write_text("- id: thanks\n  examples: [gracias, thanks a lot]\n", encoding="utf-8")
    (folder / "de").mkdir()
    (folder / "de" / "smalltalk.yaml").write_text("- id: goodbye\n  examples: [see you]\n- id: thanks\n  examples: [danke]\n",
                                                   encoding="utf-8")
    result = check_data(folder, None, ["en", "es", "de", "ko"])
    texts = [f.problem for f in result.findings]
    assert "no es phrasings for goodbye: buyers writing es are understood there only through a translator" in texts
    assert any(t.startswith("no native phrasings for the configured languages ko") for t in texts)
    assert any("'thanks a lot' (thanks, es) is also a en phrasing" in t for t in texts)
    assert any("'see you' (goodbye, de) is also a en phrasing" in t for t in texts)


def test_the_same_text_under_two_intents_in_two_languages_is_an_error(tmp_path):
    folder = tmp_path / "lists"
    (folder / "it").mkdir(parents=True)
    (folder / "smalltalk.yaml").write_text(SMALL, encoding="utf-8")
    (folder / "it" / "smalltalk.yaml").write_text("- id: thanks\n  examples: [bye]\n", encoding="utf-8")
    result = check_data(folder, None)
    assert any("'bye' is an example of both 'thanks' and 'goodbye'" in f.problem for f in result.errors)
