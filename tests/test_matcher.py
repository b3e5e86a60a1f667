"""The matcher: normalisation, the shipped lists, out-of-scope rejection, the model cache."""

import pytest

from intents import LISTS_DIR
from intents.catalog import CATALOGUE, OUT_OF_SCOPE, load_intents
from intents.matcher import Matcher
from intents.modelstore import PACKAGED_DIR, cache_dir
from intents.normalize import GENERIC, normalize


def test_normalisation_meets_buyer_shorthand():
    assert normalize("Pls tell me wen u ship my order #80123!!") == "please tell me when you ship my order 0"
    assert normalize("Où est ma commande?") == "ou est ma commande"
    assert normalize("Hi there, where is my order? Thanks in advance") == "where is my order"
    assert normalize("hello") == "hello"  # a bare greeting stays a greeting
    assert normalize("") == ""


def test_the_shipped_lists_cover_the_catalogue():
    intents = load_intents(LISTS_DIR)
    assert set(CATALOGUE) <= set(intents.intents)
    assert OUT_OF_SCOPE in intents.intents
    assert all(len(intents.intents[i].examples) >= 60 for i in CATALOGUE)
    handoff = {i for i in CATALOGUE if intents.intents[i].handoff}
    assert handoff == {"product_question", "item_problem", "dispute", "negative_feedback", "not_received", "human_agent"}


@pytest.mark.parametrize(
    "text, intent",
    [
        ("do u take paypal", "payment_methods"),
        ("hw much is shipping to Chile??", "shipping_cost"),
        ("will i have to pay import tax in brazil", "customs_tax"),
        ("when do you send it out after payment", "dispatch_time"),
        ("how many days to get to Poland", "delivery_time"),
        ("I want to cancel my order pls", "cancel_order"),
        ("tracking hasnt changed in 10 days", "tracking_not_updated"),
        ("the dress arrived torn", "item_problem"),
        ("I will open a dispute if you dont refund", "dispute"),
        ("can i talk to a real person", "human_agent"),
        ("thx a lot!", "thanks"),
    ],
)
def test_buyer_phrasings_find_their_intent(brain, text, intent):
    assert brain.matcher.match(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "what's the weather like in Shenzhen today?",
        "can you write the value as $5 on the customs form so I pay no tax?",
        "I'm looking for a job as a customer service agent",
        "what is the capital of Australia",
    ],
)
def test_out_of_scope_is_not_forced_onto_an_intent(brain, text):
    match = brain.matcher.match(text)
    assert match.intent is None and match.handoff


def test_a_match_explains_itself(brain):
    match = brain.matcher.match("do u accept western union")
    best = match.best
    assert best.intent == "payment_methods" and best.example and 0 <= best.score <= 100
    assert len(match.candidates) == 3 and OUT_OF_SCOPE not in [c.intent for c in match.candidates]


def test_runners_up_that_could_not_win_are_compared_only_when_explained(brain):
    """The fuzzy stage skips the intents that could not be chosen whatever their similarity: the intent and
    its score are the same as when every candidate shown is compared (`explain`, for an admin's view)."""
    texts = ["do u accept western union", "hmm order thing?", "wo ist mein paket", "order??", "thx a lot!",
             "I will open a dispute if you dont refund", "what is the capital of Australia", "qqq"]
    skipped = 0
    for text in texts:
        quick, explained = brain.matcher.match(text), brain.matcher.match(text, explain=True)
        assert (quick.intent, quick.score, quick.near_exact, quick.out_of_scope) == \
            (explained.intent, explained.score, explained.near_exact, explained.out_of_scope), text
        assert quick.best == explained.best and quick.best.example is not None, text
        assert all(c.fuzzy is not None and c.example is not None for c in explained.candidates), text
        skipped += sum(c.fuzzy is None for c in quick.candidates)
    assert skipped  # a confident match leaves its runners-up uncompared


def test_the_near_exact_check_reads_only_examples_of_about_the_same_length():
    """A near-exact example (similarity ≥ 96) wins outright: the check of an intent that could not win
    otherwise must find every one the full comparison finds."""
    import random

    from intents.matcher import EXACT, _Phrasings

    rng = random.Random(5)
    intents = load_intents(LISTS_DIR)
    keys = sorted({" ".join(sorted(intents.normalizer(ex.text).split())) for _, ex in intents.examples()
                   if _ == "payment_methods"} - {""})
    phrasings = _Phrasings(keys, list(range(len(keys))))
    outcomes = set()
    for _ in range(300):
        key = list(rng.choice(keys))
        for _ in range(rng.randint(0, 2)):  # typos: a letter changed, dropped or doubled
            i = rng.randrange(len(key))
            key[i : i + 1] = rng.choice([[rng.choice("abcdefghij")], [], [key[i]] * 2])
        key = "".join(key)
        similarity, number = phrasings.nearest(key)
        found = phrasings.near_exact(key)
        if similarity >= EXACT:
            assert found is not None and found[0] == similarity and keys[found[1]] in keys, key
        else:
            assert found is None, key
        outcomes.add(similarity >= EXACT)
    assert outcomes == {True, False}


def test_empty_and_junk_text(brain):
    assert brain.matcher.match("").intent is None
    assert brain.matcher.match("?!?!").intent is None


def test_a_fresh_install_answers_from_the_shipped_model_without_training():
    intents = load_intents(LISTS_DIR)
    trained = []
    matcher = Matcher(intents, progress=trained.append)
    assert (PACKAGED_DIR / f"{matcher.name}.npz").is_file(), "intents/lists changed: run python bench/ship_model.py"
    assert trained == []  # nothing trained, nothing printed
    assert not list(cache_dir().glob(f"intents-{intents.digest}-*"))
    assert matcher.match("do u take paypal").intent == "payment_methods"


def test_the_shipped_lists_come_with_tuned_limits_that_settings_override():
    intents = load_intents(LISTS_DIR)
    tuned = Matcher(intents)
    assert tuned.calibration is not None and tuned.calibration.source == "bench/data/eval_en.tsv"
    assert (tuned.threshold, tuned.oos_probability) == (tuned.calibration.threshold, tuned.calibration.oos_probability)
    chosen = Matcher(intents, threshold=70, oos_probability=0.9)  # kefu.yaml: threshold, oos_probability
    assert (chosen.threshold, chosen.oos_probability) == (70, 0.9)
    match = chosen.match("could you tell me something about your shop and the stuff you sell")
    assert match.threshold == 70 and match.oos_probability == 0.9
    assert chosen.match("¿cuánto cuesta el envío a Chile?", "es").threshold == 70  # the user's limits hold for both readings


def test_a_message_read_in_its_own_language_is_held_to_the_native_limits():
    """Scores of a message against its own language's phrasings run lower than an English message's
    against the English lists: the shipped lists carry limits for each reading, tuned apart."""
    matcher = Matcher(load_intents(LISTS_DIR))
    tuned = matcher.calibration
    assert tuned.native_threshold is not None and tuned.native_source.endswith("validation half")
    assert (tuned.native_threshold, tuned.native_oos_probability) != (tuned.threshold, tuned.oos_probability)
    spanish = matcher.match("¿cuánto cuesta el envío a Chile?", "es")
    assert spanish.native and (spanish.threshold, spanish.oos_probability) == matcher.limits(True)
    assert (spanish.threshold, spanish.oos_probability) == (tuned.native_threshold, tuned.native_oos_probability)
    english = matcher.match("how much is shipping to Chile?", "en")
    assert not english.native and (english.threshold, english.oos_probability) == (tuned.threshold, tuned.oos_probability)
    hindi = matcher.match("मेरा ऑर्डर कहाँ है", "hi")  # no Hindi phrasings: read against the English lists
    assert not hindi.native and hindi.threshold == tuned.threshold


def test_shorthand_belongs_to_the_shipped_lists_not_to_the_engine():
    shop = load_intents(LISTS_DIR).normalizer
    assert shop("can i pay by cc or pp?") == "can i pay by credit card or paypal"
    assert GENERIC("can i pay by cc or pp?") == "can i pay by cc or pp"
    assert GENERIC("Hi, où est ma commande n° 80123? Thanks") == "hi ou est ma commande n 0 thanks"
