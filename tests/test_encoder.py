"""The optional sentence-encoder stage (`pip install 'kefu[encoder]'`, `encoder: true`).

Tests that run the encoder skip when the extra is not installed (CI installs
`.[test]` only, so the base install stays small); the fallback without it is
tested always.
"""

from __future__ import annotations

import numpy as np
import pytest

import intents.encoder as encoder_module
from bot.brain import make_matcher
from bot.config import Settings, load_settings
from bot.datafiles import DataError
from intents.catalog import load_intents
from intents.encoder import EncoderHead, EncoderUnavailable, shared_encoder
from intents.matcher import Matcher
from intents.modelstore import HEAD_VERSION, cache_dir
from tests.factories import write_intent_list

try:
    shared_encoder()
    MISSING = ""
except EncoderUnavailable as exc:
    MISSING = str(exc)
needs_encoder = pytest.mark.skipif(bool(MISSING), reason=f"the encoder extra is not installed ({MISSING})")


@pytest.fixture
def no_model_package(monkeypatch):
    """As on a machine without the extra's model package (the real lookup, of a package that is not there)."""
    monkeypatch.setattr(encoder_module, "MODEL_FILE", ("kefu-no-such-model-package", "model.onnx"))
    monkeypatch.setattr(encoder_module, "_shared", None)


def test_encoder_true_without_the_extra_matches_without_the_stage_and_says_why(tmp_path, no_model_package, capsys):
    intents = load_intents(write_intent_list(tmp_path / "speaker"))
    with pytest.raises(EncoderUnavailable, match=r"pip install 'kefu\[encoder\]'"):
        Matcher(intents, encoder=True)
    matcher = make_matcher(Settings(encoder=True), intents)
    assert matcher.encoder is None
    assert "matching without the encoder stage" in capsys.readouterr().err
    assert matcher.match("will it rain tomorrow").intent == "Weather.Forecast"


def test_the_setting_is_a_yes_or_no(tmp_path):
    config = tmp_path / "kefu.yaml"
    assert load_settings(env={}).encoder is False
    config.write_text("encoder: true\n", encoding="utf-8")
    assert load_settings(config, env={}).encoder is True
    config.write_text("encoder: maybe\n", encoding="utf-8")
    with pytest.raises(DataError, match="encoder"):
        load_settings(config, env={})


@needs_encoder
def test_vectors_are_unit_length_and_the_same_alone_or_in_a_padded_batch():
    encoder = shared_encoder()
    texts = ["where is my parcel", "my package still has not arrived after three weeks", "what is the weather today"]
    together = encoder.embed(texts)
    alone = np.vstack([encoder.embed([t]) for t in texts])
    assert together.shape == (3, 384)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)  # padding never leaks into the mean
    similarity = together @ together.T
    assert similarity[0, 1] > similarity[0, 2] + 0.2  # a paraphrase is nearer than an unrelated question


@needs_encoder
def test_the_model_file_is_checked_before_it_is_run(tmp_path, monkeypatch):
    monkeypatch.setattr(encoder_module, "MODEL_FILE", ("kefu", "pyproject.toml"))  # a file, but not the model
    monkeypatch.setattr(encoder_module, "_shared", None)
    with pytest.raises(EncoderUnavailable, match="not the expected model file|has no pyproject.toml"):
        shared_encoder()


@needs_encoder
def test_the_head_trains_once_per_list_with_progress_and_is_cached(tmp_path):
    intents = load_intents(write_intent_list(tmp_path / "speaker"))
    said = []
    matcher = Matcher(intents, encoder=True, progress=said.append)
    assert any(line.startswith("training the encoder head: embedding 32 examples") for line in said)
    head_file = cache_dir() / (f"{matcher.name.removesuffix('-' + encoder_module.MODEL_ID)}.encoder-"
                               f"{encoder_module.MODEL_ID}-{HEAD_VERSION}.npz")
    assert head_file.is_file() and EncoderHead.load(head_file).classes == matcher.classes
    again = []
    Matcher(intents, encoder=True, progress=again.append)
    assert again == []  # both models from the cache
    assert matcher.name != Matcher(intents).name  # tuned limits are kept apart from the linear model's alone


@needs_encoder
def test_the_stage_runs_only_when_the_linear_model_is_unsure_and_changes_its_probabilities(tmp_path):
    intents = load_intents(write_intent_list(tmp_path / "speaker"))
    plain, both = Matcher(intents), Matcher(intents, encoder=True)
    assert not both.match("set a timer for ten minutes").encoded  # an example: decided without it
    text = "could you get the tunes going, something mellow"  # no example shares its words
    unsure, helped = plain.match(text), both.match(text)
    assert not unsure.encoded and helped.encoded
    assert helped.best.probability != unsure.best.probability
    assert helped.best.intent == "Music.Play"
    assert both.match("is an umbrella a good idea this afternoon").intent == "Weather.Forecast"


@needs_encoder
def test_the_encoder_learns_and_reads_english_only(tmp_path):
    """all-MiniLM-L6-v2 is an English encoder: its head learns from the English phrasings, and a
    message read in its own language against that language's phrasings is not sent to it."""
    folder = write_intent_list(tmp_path / "speaker")
    (folder / "es").mkdir()
    (folder / "es" / "speaker.yaml").write_text(
        '[{"id": "Music.Play", "examples": ["pon una canción", "quiero escuchar música", "pon algo de rock"]},'
        ' {"id": "Weather.Forecast", "examples": ["va a llover mañana", "qué tiempo hace hoy"]}]', encoding="utf-8")
    intents = load_intents(folder)
    said = []
    matcher = Matcher(intents, encoder=True, progress=said.append)
    english = sum(ex.language == "en" for _, ex in intents.examples())
    assert any(line.startswith(f"training the encoder head: embedding {english} examples") for line in said), said
    text = "me apetece algo tranquilo para escuchar esta tarde"  # the linear model is unsure of it
    assert matcher.match(text).encoded  # read as English (no language given): the encoder is asked
    spanish = matcher.match(text, "es")
    assert spanish.native and not spanish.encoded  # read as Spanish, against the Spanish phrasings: it is not
    assert matcher.match("could you get the tunes going, something mellow", "en").encoded
