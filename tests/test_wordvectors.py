"""The static word vectors (intents/wordvectors.py): the encoder's word-pieces, read without it."""

from __future__ import annotations

import numpy as np
import pytest

from intents import LISTS_DIR
from intents.catalog import load_intents
from intents.model import LinearModel
from intents.training import TrainingParams, train
from intents.wordvectors import WordVectors, shared_vectors, word_pieces


def cosine(a: str, b: str) -> float:
    vectors = shared_vectors()
    return float(vectors.vector(a) @ vectors.vector(b))


def test_words_split_into_pieces_as_the_encoders_own_tokenizer_splits_them():
    """WordPiece here is 15 lines instead of the `tokenizers` library (which would bring huggingface_hub
    into the base install): it must split every word as the library does with the encoder's file.
    Words reach it normalised (lower case, accents stripped); one outside ASCII has no pieces."""
    from intents.encoder import TOKENIZER_FILE, EncoderUnavailable, _package_file

    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(_package_file(*TOKENIZER_FILE)))
    except (ImportError, EncoderUnavailable) as exc:
        pytest.skip(f"the encoder extra is not installed: {exc}")
    tokenizer.no_padding()
    intents = load_intents(LISTS_DIR)
    english = {word for _, ex in intents.examples() if ex.language == "en" for word in intents.normalizer(ex.text).split()}
    words = sorted(english | {"unreschedulable", "aliexpress", "dhl0000", "x" * 101, "qwxzv"})
    vectors = shared_vectors()
    names = {i: piece for piece, i in vectors.vocabulary.items()}
    for word in words:
        theirs = tokenizer.encode(word, add_special_tokens=False).tokens
        ours = [names[i] for i in word_pieces(word, vectors.vocabulary)]
        assert ours == ([] if "[UNK]" in theirs or not word.isascii() else theirs), word  # ("długa": ł kept)
    assert word_pieces("ничего", vectors.vocabulary) == [] and not shared_vectors().vector("ничего").any()


def test_the_vectors_know_what_words_mean_not_only_how_they_are_spelt():
    assert cosine("arrive", "delivery") > cosine("arrive", "pay") + 0.3
    assert cosine("refund", "reimburse") > cosine("refund", "package") + 0.2


def test_a_model_with_the_vectors_understands_words_its_examples_never_use():
    texts = ["how long does shipping take", "delivery time", "how many days for delivery", "when do you ship",
             "can i pay by card", "payment options", "do you accept paypal", "how do i pay",
             "i want a refund", "refund my payment", "please refund me", "refund it"]
    labels = ["delivery"] * 4 + ["payment"] * 4 + ["refund"] * 4
    with_vectors = train(texts, labels, TrainingParams(min_df=1))
    without = train(texts, labels, TrainingParams(min_df=1, vectors=False))
    for message, intent in (("transit duration", "delivery"), ("give me back my money", "refund")):
        probabilities = with_vectors.probabilities(message)
        assert with_vectors.classes[int(probabilities.argmax())] == intent, message
        c = with_vectors.classes.index(intent)
        assert probabilities[c] > without.probabilities(message)[c] + 0.05, message
    # a message read against its own language's phrasings is read without them
    message = "transit duration"
    vector_part = shared_vectors().vector(message) @ with_vectors.coef[-shared_vectors().dimension:]
    assert np.allclose(with_vectors.scores(message, english=False), with_vectors.scores(message) - vector_part, atol=1e-5)


def test_only_the_english_phrasings_are_read_with_the_vectors():
    texts = ["where is my package", "wo ist mein paket", "refund me", "geld zuruck"]
    model = train(texts, ["tracking", "tracking", "refund", "refund"], TrainingParams(min_df=1),
                  english=[True, False, True, False])
    assert model.vectors is shared_vectors() and len(model.vocabulary) == len(model.coef)


def test_a_stored_model_keeps_its_vectors_and_one_of_other_vectors_is_not_read(tmp_path, monkeypatch):
    texts, labels = ["where is my package", "track my parcel", "refund me", "money back please"], ["t", "t", "r", "r"]
    model = train(texts, labels, TrainingParams(min_df=1))
    path = tmp_path / "model.npz"
    path.write_bytes(model.to_bytes())
    loaded = LinearModel.load(path)
    assert loaded.vectors is shared_vectors()
    assert np.allclose(loaded.probabilities("reimburse the money"), model.probabilities("reimburse the money"), atol=1e-3)
    other = WordVectors("another encoder", shared_vectors().vocabulary, shared_vectors().table, shared_vectors().scale)
    monkeypatch.setattr("intents.model.shared_vectors", lambda: other)
    with pytest.raises(ValueError, match="other word vectors"):
        LinearModel.load(path)
    plain = train(texts, labels, TrainingParams(min_df=1, vectors=False))
    path.write_bytes(plain.to_bytes())
    assert LinearModel.load(path).vectors is None  # a model without them needs none
