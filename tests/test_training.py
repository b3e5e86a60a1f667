"""Training the matcher's model: on any intent list, with progress, cached, and warm after an edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from bot.admin.yamledit import insert_example
from intents import LISTS_DIR
from intents.catalog import load_intents
from intents.matcher import Matcher
from intents.modelstore import cache_dir
from intents.training import SETTLE_WINDOW, TrainingParams, train
from tests.factories import SPEAKER_INTENTS, write_intent_list


def test_a_new_list_trains_once_with_progress_then_loads_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path / "cache"))
    intents = load_intents(write_intent_list(tmp_path / "speaker"))
    said = []
    matcher = Matcher(intents, progress=said.append)
    assert said[0] == "training the intent model: 32 examples, 4 intents, " + said[0].split(", ")[2]
    assert said[-1].startswith("training the intent model: done after ")
    assert (cache_dir() / f"{matcher.name}.npz").is_file()
    assert matcher.match("will it rain tomorrow").intent == "Weather.Forecast"
    assert matcher.match("play some music by adele").intent == "Music.Play"
    again = []
    assert Matcher(intents, progress=again.append).match("set a timer for 3 minutes").intent == "Timer.Set"
    assert again == []  # the cached model, nothing trained


def test_after_a_small_edit_the_previous_model_makes_training_short():
    intents = load_intents(LISTS_DIR)
    pairs = [(i, ex) for i, ex in intents.examples() if i in ("payment_methods", "shipping_cost", "thanks", "order_status")]
    texts, labels = [intents.normalizer(ex.text) for _, ex in pairs], [i for i, _ in pairs]
    said_cold, said_warm = [], []
    cold = train(texts, labels, TrainingParams(), progress=said_cold.append)
    edited = train(texts + ["can i pay with apple pay on the website"], labels + ["payment_methods"], TrainingParams(),
                   previous=cold, progress=said_warm.append)

    def iterations(said: list[str]) -> int:
        return int(said[-1].split("after ")[1].split()[0])

    assert iterations(said_warm) == SETTLE_WINDOW + 1 < iterations(said_cold)  # stopped as soon as the rule can judge
    assert edited.classes == cold.classes


def test_an_intent_without_examples_in_the_previous_model_still_trains(tmp_path):
    first = load_intents(write_intent_list(tmp_path / "a"))
    more = dict(SPEAKER_INTENTS, **{"Lights.On": ["turn on the lights", "lights on in the kitchen", "switch the lamp on",
                                                  "make it brighter in here", "turn the bedroom light on"]})
    second = load_intents(write_intent_list(tmp_path / "b", more))
    matcher = Matcher(second, previous=Matcher(first).model)
    assert matcher.match("please switch on the kitchen lights").intent == "Lights.On"


def test_a_list_of_other_intents_trains_from_nothing_not_from_the_shipped_model(tmp_path):
    """Another list's model is no head start: its weights would have to be unlearnt first."""
    from intents.modelstore import shipped_model

    intents = load_intents(write_intent_list(tmp_path / "speaker"))
    texts = [intents.normalizer(ex.text) for _, ex in intents.examples()]
    labels = [i for i, _ in intents.examples()]
    seeded = train(texts, labels, previous=shipped_model())
    assert np.array_equal(seeded.coef, train(texts, labels).coef)


def test_a_shops_edited_copy_of_the_shipped_lists_trains_from_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path / "cache"))
    lists = Path(shutil.copytree(LISTS_DIR, tmp_path / "lists"))
    insert_example(lists / "presale.yaml", "payment_methods", "can i pay with apple pay on the website")
    said = []
    matcher = Matcher(load_intents(lists), progress=said.append)
    assert int(said[-1].split("after ")[1].split()[0]) < 11  # cold: 22 iterations (bench/intents.py); 6 here
    assert matcher.match("do you take apple pay").intent == "payment_methods"


def test_a_new_intent_with_a_handful_of_phrasings_is_learnt_among_thirty_thousand(tmp_path, monkeypatch):
    """The README's loyalty_program: 5 phrasings added to the shipped lists. The training starts from
    the shipped model; it must not stop before the new intent is learnt (an absolute tolerance on the
    mean gradient, where 5 examples of 31,000 weigh nothing, stopped it after 12 iterations), nor wait
    for its loss to settle as finely as an intent of 1,300 examples (that took more iterations than
    training from nothing)."""
    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path / "cache"))
    lists = Path(shutil.copytree(LISTS_DIR, tmp_path / "lists"))
    (lists / "loyalty.yaml").write_text(
        "- id: loyalty_program\n  description: asks about a loyalty or membership programme\n  examples:\n"
        "    - do you have a loyalty program\n    - is there a membership card for regular customers\n"
        "    - how do loyalty points work\n    - do regular customers get vip prices\n"
        "    - do you give points for every order\n", encoding="utf-8")
    said = []
    intents = load_intents(lists)
    matcher = Matcher(intents, progress=said.append)
    assert matcher.match("do u have loyalty points?").intent == "loyalty_program"
    assert matcher.match("where is my order").intent == "order_status"
    cold = []
    train(intents.normalized(), [i for i, _ in intents.examples()], TrainingParams(), progress=cold.append,
          english=intents.english())
    warm_iterations, cold_iterations = (int(s[-1].split("after ")[1].split()[0]) for s in (said, cold))
    assert warm_iterations < cold_iterations  # 16 against 25 here


def test_the_ngrams_are_counted_as_word_features_and_pair_features_list_them():
    """`counts` finds n-gram ids with numpy instead of a string per n-gram: its counts must be the ones
    `word_features` and `pair_features` (what a message is scored by) give, in any script."""
    from collections import Counter

    from intents.model import pair_features, word_features
    from intents.training import counts

    texts = ["where is my order", "order order order", "q", "mississippi ssss", "где мой заказ", "我的 包裹 在哪里",
             "straße straße", "ab ba ab", "x" * 40, "où est mon colis", "a"]
    found = counts(texts)
    assert len(set(found.names)) == len(found.names)
    whole = found.rows.whole().toarray()
    for row, text in zip(whole, texts):
        words = text.split()
        expected = Counter(g for word in words for g in word_features(word)) + Counter(pair_features(words))
        assert {found.names[i]: int(v) for i, v in enumerate(row) if v} == dict(expected), text
    df = found.document_frequency()
    assert df[found.names.index("w:order")] == 2 and df[found.names.index(" o")] == 3
    for nothing in ([], [""], ["", ""]):  # examples that normalise to nothing
        empty = counts(nothing)
        assert empty.names == [] and empty.rows.whole().shape == (len(nothing), 0)


def test_the_training_rows_are_what_the_model_computes_for_a_message():
    """Each training row is the message's features as LinearModel.scores weighs them: count × idf, its
    words' and word pairs' parts divided by the root of their summed squared lengths, then the word
    vector; an example with no n-gram kept (a lone character) has a zero n-gram part."""
    from intents.model import pair_features, word_features
    from intents.training import counts, tfidf_rows, vocabulary, word_vector_rows
    from intents.wordvectors import shared_vectors

    texts = ["where is my order", "where is my parcel", "order order order", "how can i pay", "pay by card", "q"]
    found = counts(texts)
    df = found.document_frequency()
    columns = vocabulary(found.names, df, len(texts), min_df=2, max_features=10_000)
    kept = [found.names[c] for c in columns]
    assert kept == sorted(kept) and all(df[c] >= 2 for c in columns) and "w:order" in kept and "w:q" not in kept
    rows, idf = tfidf_rows(found, columns, df[columns])
    whole = rows.whole().toarray()

    model = train(texts, ["order", "order", "order", "pay", "pay", "pay"])
    dimension = shared_vectors().dimension
    assert model.vocabulary == {name: i for i, name in enumerate(kept + [f"v:{d}" for d in range(dimension)])}
    dense = word_vector_rows(shared_vectors(), texts, None)
    assert dense.rows.tolist() == list(range(len(texts)))
    position = {name: i for i, name in enumerate(kept)}
    for number, text in enumerate(texts):
        assert np.allclose(dense.values[number], shared_vectors().vector(text), atol=1e-6), text
        computed = whole[number] @ model.coef[: len(kept)] + dense.values[number] @ model.coef[len(kept):]
        assert np.allclose(computed + model.intercept, model.scores(text), atol=1e-4), text
        words = text.split()
        expected, squares = np.zeros(len(kept)), 0.0
        for token in [word_features(w) for w in words] + [[p] for p in pair_features(words)]:
            part = np.zeros(len(kept))
            for name in token:
                if name in position:
                    part[position[name]] += idf[position[name]]
            expected += part
            squares += part @ part
        assert np.allclose(whole[number], expected / np.sqrt(squares) if squares else expected, atol=1e-6), text
    assert not whole[len(texts) - 1].any()  # "q": nothing kept, and no division by zero


def test_rows_kept_as_their_words_train_as_the_whole_rows():
    """NGramRows multiplies through the words (a third of the work): the fit must be the whole matrix's."""
    from intents.catalog import load_intents as load
    from intents.training import counts, fit_softmax, tfidf_rows, vocabulary

    intents = load(LISTS_DIR)
    pairs = [(i, ex) for i, ex in intents.examples() if i in ("payment_methods", "shipping_cost", "thanks")]
    texts = [intents.normalizer(ex.text) for _, ex in pairs]
    target = np.array([("payment_methods", "shipping_cost", "thanks").index(i) for i, _ in pairs])
    found = counts(texts)
    df = found.document_frequency()
    columns = vocabulary(found.names, df, len(texts), 2, 60_000)
    rows, _ = tfidf_rows(found, columns, df[columns])
    matrix = rows.whole()
    factored = fit_softmax(rows, target, 3, 10.0, max_iter=300, settled=1e-6)
    whole = fit_softmax(matrix, target, 3, 10.0, max_iter=300, settled=1e-6)

    def probabilities(coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        scores = matrix @ coef + intercept
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        return exp / exp.sum(axis=1, keepdims=True)

    assert np.abs(probabilities(*factored[:2]) - probabilities(*whole[:2])).max() < 1e-3  # summation order aside


def test_the_scaled_solver_reaches_scikit_learns_minimum_from_any_start():
    """L-BFGS runs on weights divided by their curvature's scale: the minimum must be the loss's own
    (scikit-learn's LogisticRegression with the same C), whether it starts from zero or from elsewhere."""
    from scipy.sparse import random as sparse_random
    from sklearn.linear_model import LogisticRegression

    from intents.training import fit_softmax

    rng = np.random.default_rng(7)
    frequency = np.geomspace(0.5, 0.005, 60)  # common and rare features, as character n-grams and words are
    rows = sparse_random(400, 60, density=0.1, format="csr", random_state=7, dtype=np.float32)
    rows = rows.multiply(rng.random((400, 60)) < frequency * 8).tocsr().astype(np.float32)
    target = np.asarray((rows @ rng.normal(size=(60, 4))).argmax(axis=1)).ravel()
    reference = LogisticRegression(C=10.0, tol=1e-10, max_iter=10_000).fit(rows, target)
    for start in (None, rng.normal(size=60 * 4 + 4).astype(np.float32)):
        coef, intercept, _ = fit_softmax(rows, target, 4, 10.0, start, max_iter=2_000, settled=1e-9)
        scores = rows @ coef + intercept
        probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        assert np.abs(probabilities - reference.predict_proba(rows)).max() < 2e-3


def test_dense_columns_for_some_rows_train_as_the_same_values_stored_in_the_sparse_matrix(monkeypatch):
    """The word vectors of the English rows are multiplied apart from the n-grams (DenseRows): the fit
    must be the one of the plain matrix with those columns appended, on one block of rows and on two."""
    from scipy.sparse import csr_matrix, hstack
    from scipy.sparse import random as sparse_random

    from intents import training
    from intents.training import DenseRows, MatrixRows, fit_softmax

    monkeypatch.setattr(training, "PARALLEL_NONZEROS", 10_000)
    monkeypatch.setattr(training.os, "cpu_count", lambda: 2)
    rng = np.random.default_rng(3)
    for n in (300, 3000):  # 3000 rows: two blocks on two threads
        rows = sparse_random(n, 80, density=0.1, format="csr", random_state=3, dtype=np.float32)
        assert len(training._halves(MatrixRows(rows))) == (1 if n == 300 else 2)
        target = rng.integers(0, 5, n)
        english = np.flatnonzero(rng.random(n) < 0.3)
        values = rng.normal(size=(len(english), 12)).astype(np.float32)
        full = np.zeros((n, 12), np.float32)
        full[english] = values
        plain = fit_softmax(hstack([rows, csr_matrix(full)], format="csr"), target, 5, 10.0, max_iter=60)
        split = fit_softmax(rows, target, 5, 10.0, max_iter=60, dense=DenseRows(values, english))
        assert plain[2] == split[2]
        assert np.allclose(plain[0], split[0], atol=1e-3) and np.allclose(plain[1], split[1], atol=1e-3)


def test_the_words_parts_kept_give_the_scores_of_a_fresh_model_across_generations_and_threads(monkeypatch):
    """LinearModel keeps each word's part of the scores (intents.kept.KeptRows); when a table is full a new one starts.
    Scores must not depend on what was kept before, nor on other threads scoring at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    from intents import model as model_module
    from intents.model import LinearModel

    texts = ["where is my order", "where is my parcel", "order status please", "how can i pay", "pay by card",
             "can i pay with paypal"]
    model = train(texts, ["order", "order", "order", "pay", "pay", "pay"], TrainingParams(min_df=1))
    messages = [f"{a} {b} {c}" for a in ("where", "pay", "my", "zz") for b in ("is", "by", "order", "card")
                for c in ("parcel", "paypal", "please", "qq")]

    def fresh(text: str) -> np.ndarray:
        return LinearModel(model.classes, model.vocabulary, model.idf, model.coef, model.intercept,
                           model.vectors).scores(text)

    expected = [fresh(text) for text in messages]
    for tokens, vectors in ((5, 10_000), (10_000, 3)):  # a new generation every few words, or every few vectors
        monkeypatch.setattr(model_module, "TOKEN_ROWS", tokens)
        monkeypatch.setattr(model_module, "VECTOR_ROWS", vectors)
        kept = LinearModel(model.classes, model.vocabulary, model.idf, model.coef, model.intercept, model.vectors)
        with ThreadPoolExecutor(4) as pool:
            for _ in range(3):
                got = list(pool.map(kept.scores, messages))
                assert all(np.allclose(g, e, atol=1e-5) for g, e in zip(got, expected))
        now = kept._parts.generation  # started again (4 threads may each finish a message in the old one)
        assert len(now.rows) <= tokens + 4 * 5 and len(now.tables[1]) <= vectors + 4 * 3
