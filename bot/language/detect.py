"""Which language a buyer writes in.

A chain, cheapest and surest first:
1. the script, where it settles the matter (Hangul, Kana, Thai, Hebrew, Greek,
   Han, letters only Ukrainian uses…);
2. lingua, restricted to the languages the shop expects (far more accurate
   than langdetect on short chat messages, see ../shared/MEASURED.md);
3. langdetect, seeded for determinism, as the wide net for languages outside
   the expected set and the fallback when lingua is unsure.
Priors (the channel's hint, the conversation's language so far) decide short
or ambiguous messages: "ok thanks" never switches a conversation's language.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cached_property

from bot.text import valid_unicode
from bot.language.models import Confidences, ModelProcess, build_lingua, confidences

# The languages buyers write in most; the secondary ones are expected too, but
# weigh less when a short message could be either (Czech rather than Slovak).
PRIMARY = tuple("en es ru pt fr de it pl tr ar ja ko uk he nl cs ro vi th id zh-cn".split())
SECONDARY = tuple("sv el hi fa bg sk hu da fi no".split())
DEFAULT_EXPECTED = PRIMARY + SECONDARY
SECONDARY_WEIGHT = 0.6

# Characters that appear in Traditional but not Simplified Chinese (and back): enough to tell a buyer's script.
_TRADITIONAL = set("們個這說時會來對為與國訂單運貨請謝嗎麼還發買賣寄錢問題號碼關當經過貿費裡後從電話幫應該壞換")
_SIMPLIFIED = set("们个这说时会来对为与国订单运货请谢吗么还发买卖寄钱问题号码关当经过贸费里后从电话帮应该坏换")
_UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
_RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")
# Latin letters that only one expected language uses (in buyer messages, in practice).
_LATIN_MARKERS = (
    ("vi", set("ơưđƠƯĐ") | {chr(c) for c in range(0x1EA0, 0x1F00)}),  # Vietnamese tone letters
    ("ro", set("șțȘȚţŢăĂ")),  # comma-below letters (ş is Turkish too); ă once Vietnamese is ruled out
    ("cs", set("řěůŘĚŮ")),
    ("sk", set("ľĺŕĽĹŔ")),
    ("pl", set("łąęśźżńŁĄĘŚŹŻŃ")),
    ("tr", set("ğıİĞ")),
    ("pt", set("ãõÃÕ")),
    ("es", set("ñ¿¡Ñ")),
    ("de", set("ßẞ")),
)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
LEXICON_MIN_WORDS = 4
LEXICON_SHARE = 0.9
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)

# Whole messages too short for any statistics, in the buyer languages we see most
# ("" = says nothing about the language). Matched ignoring case, accents and punctuation.
SHORT_PHRASES = {
    **dict.fromkeys(["ok", "okay", "ok ok", "k", "kk", "yes", "no", "?", "??", "lol", "xd", "wow", "👍"], ""),
    **dict.fromkeys(["hello", "hi", "hey", "hi there", "hello there", "thanks", "thank you", "thx", "ty", "bye",
                     "goodbye", "good morning", "good evening", "good night", "please", "refund", "help"], "en"),
    **dict.fromkeys(["hola", "gracias", "muchas gracias", "buenos dias", "buenas", "buenas tardes", "adios", "vale"], "es"),
    **dict.fromkeys(["oi", "ola", "obrigado", "obrigada", "bom dia", "boa tarde", "boa noite", "tchau", "valeu"], "pt"),
    **dict.fromkeys(["bonjour", "bonsoir", "merci", "merci beaucoup", "salut", "au revoir"], "fr"),
    **dict.fromkeys(["hallo", "danke", "danke schon", "guten tag", "guten morgen", "tschuss"], "de"),
    **dict.fromkeys(["ciao", "grazie", "grazie mille", "buongiorno", "buonasera", "arrivederci"], "it"),
    **dict.fromkeys(["dzien dobry", "dziekuje", "czesc"], "pl"),
    **dict.fromkeys(["merhaba", "tesekkurler", "tesekkur ederim", "selam"], "tr"),
    **dict.fromkeys(["hoi", "dank je", "dank u", "bedankt", "goedemorgen"], "nl"),
    **dict.fromkeys(["dekuji", "dobry den", "ahoj"], "cs"),
    **dict.fromkeys(["terima kasih", "halo kak", "selamat pagi"], "id"),
    **dict.fromkeys(["multumesc", "buna ziua"], "ro"),
    **dict.fromkeys(["tack", "hej"], "sv"),
    **dict.fromkeys(["спасибо", "привет", "здравствуйте", "добрый день", "пока"], "ru"),
    **dict.fromkeys(["дякую", "привіт", "добрий день", "вітаю"], "uk"),
}
_PUNCTUATION = re.compile(r"[^\w\s?👍]+")


def _phrase_key(text: str) -> str:
    from intents.normalize import strip_accents

    return " ".join(_PUNCTUATION.sub(" ", strip_accents(text.casefold())).split())


SHORT_WORDS = 3  # at most this many words: too short to overrule what we already know
UNSURE = 0.3  # lingua's confidence below which another opinion is worth its cost
LONG_WORDS = 8  # only a message this long may be in a language the shop does not expect
SHORT_CHARS = 20


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1 code ("zh-cn"/"zh-tw" for Chinese), None when nothing can be said
    confidence: float  # 0–1
    method: str  # script | lingua | langdetect | prior | none


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in text:
        o = ord(ch)
        if o < 0x250:
            script = "latin" if ch.isalpha() else None
        elif 0x400 <= o < 0x530:
            script = "cyrillic"
        elif 0x370 <= o < 0x400:
            script = "greek"
        elif 0x590 <= o < 0x600:
            script = "hebrew"
        elif 0x600 <= o < 0x700 or 0x750 <= o < 0x780 or 0xFB50 <= o < 0xFE00 or 0xFE70 <= o < 0xFF00:
            script = "arabic"
        elif 0x900 <= o < 0x980:
            script = "devanagari"
        elif 0xE00 <= o < 0xE80:
            script = "thai"
        elif 0xAC00 <= o < 0xD7B0 or 0x1100 <= o < 0x1200 or 0x3130 <= o < 0x3190:
            script = "hangul"
        elif 0x3040 <= o < 0x3100 or 0x31F0 <= o < 0x3200 or 0xFF66 <= o < 0xFFA0:
            script = "kana"
        elif 0x4E00 <= o < 0xA000 or 0x3400 <= o < 0x4DC0 or 0xF900 <= o < 0xFB00:
            script = "han"
        elif 0x1E00 <= o < 0x1F00:
            script = "latin"
        elif ch.isalpha():
            script = "other"
        else:
            script = None
        if script:
            counts[script] = counts.get(script, 0) + 1
    return counts


def by_script(text: str) -> str | None:
    """The language when the script alone settles it, else None."""
    counts = _script_counts(text)
    if not counts:
        return None
    script = max(counts, key=counts.__getitem__)
    if script == "kana" or (script == "han" and counts.get("kana")):
        return "ja"
    if script == "han":
        trad = sum(ch in _TRADITIONAL for ch in text)
        simp = sum(ch in _SIMPLIFIED for ch in text)
        return "zh-tw" if trad > simp else "zh-cn"
    if script == "latin":
        for language, letters in _LATIN_MARKERS:
            if any(ch in letters for ch in text):
                return language
        return None
    if script == "cyrillic":
        if any(ch in _UKRAINIAN_ONLY for ch in text) and not any(ch in _RUSSIAN_ONLY for ch in text):
            return "uk"
        return None
    return {"hangul": "ko", "thai": "th", "hebrew": "he", "greek": "el"}.get(script)


def is_short(text: str) -> bool:
    return len(text.split()) <= SHORT_WORDS or len(text.strip()) < SHORT_CHARS


class LanguageDetector:
    """Detects a message's language; build once, call often (thread-safe)."""

    def __init__(
        self,
        expected: list[str] | tuple[str, ...] = DEFAULT_EXPECTED,
        *,
        primary: list[str] | tuple[str, ...] = PRIMARY,
        low_accuracy: bool = False,
    ) -> None:
        self.expected = tuple(dict.fromkeys(code.lower() for code in expected))
        self.weights = {code: 1.0 if code in primary else SECONDARY_WEIGHT for code in self.expected}
        self.low_accuracy = low_accuracy
        self.english_words: frozenset[str] = frozenset()
        self.models: ModelProcess | None = None

    def learn_english(self, words: set[str] | frozenset[str]) -> None:
        """Words buyers use in English (the intent examples): a cheap first opinion
        that spares the models most English messages."""
        self.english_words = frozenset(words)

    def _looks_english(self, text: str) -> bool:
        words = _WORDS.findall(text.lower())
        if len(words) < LEXICON_MIN_WORDS or not self.english_words:
            return False
        known = sum(word in self.english_words for word in words)
        return known / len(words) >= LEXICON_SHARE

    @cached_property
    def _lingua(self):  # built lazily, models loaded as lines need them: a command detecting a few lines stays quick
        return build_lingua(self.expected, self.low_accuracy)

    def preload(self) -> float:
        """Load every model in this process now; seconds it took (for benches that time detection alone)."""
        started = time.perf_counter()
        self.__dict__["_lingua"] = build_lingua(self.expected, self.low_accuracy, preload=True)
        self.warm_fallback()
        return time.perf_counter() - started

    @staticmethod
    def warm_fallback() -> None:
        """Load langdetect's profiles (1–2 s of Python, which shares the GIL fairly when run in a thread)."""
        _langdetect("warm up")

    def attach(self, models: ModelProcess) -> None:
        """Ask `models` (loading in their own process) instead of an in-process lingua in `detect_async`."""
        self.models = models

    def close(self) -> None:
        if self.models is not None:
            self.models.close()

    def detect(self, text: str, hint: str | None = None, previous: str | None = None) -> Detection:
        """The language of `text`; `hint` from the channel, `previous` the conversation's so far.

        lingua runs in this process (its models load on first use): for commands and tests.
        """
        early = self._before_models(text, hint, previous)
        if isinstance(early, Detection):
            return early
        return self._weigh(early, confidences(self._lingua, early.sample))

    async def detect_async(self, text: str, hint: str | None = None, previous: str | None = None) -> Detection:
        """`detect` for the event loop: with a model process attached, lingua is asked there, and a
        message that needs the models waits for them without holding up anyone else's."""
        early = self._before_models(text, hint, previous)
        if isinstance(early, Detection):
            return early
        if self.models is None:
            return self._weigh(early, confidences(self._lingua, early.sample))
        return self._weigh(early, await self.models.confidences(early.sample))

    def _before_models(self, text: str, hint: str | None, previous: str | None) -> Detection | _Pending:
        """What the cheap stages settle (no letters, script, short phrases, English words), else what lingua must weigh."""
        sample = valid_unicode(text[:1000])  # the models are Rust: a lone surrogate cannot cross into them
        if not _LETTERS.search(sample):
            prior = previous or hint
            return Detection(prior, 0.3, "prior") if prior else Detection(None, 0.0, "none")
        scripted = by_script(sample)
        if scripted:
            return Detection(scripted, 1.0, "script")
        prior = language_code(previous or hint)
        phrase = SHORT_PHRASES.get(_phrase_key(sample))
        if phrase is not None:  # "hola", "merci", "ok": too short for statistics, common enough to know
            if prior and is_short(sample):
                return Detection(prior, 0.5, "prior")
            return Detection(phrase, 0.9, "phrase") if phrase else Detection(None, 0.0, "none")
        if "en" in self.expected and self._looks_english(sample):
            return Detection("en", 0.95, "lexicon")
        return _Pending(sample, prior)

    def _weigh(self, pending: _Pending, lingua_says: Confidences) -> Detection:
        sample, prior = pending.sample, pending.prior
        found, confidence, runners_up = self._best(lingua_says)
        # langdetect is slow (ms): ask it only when lingua has nothing, or when a long
        # message fits no expected language well (a buyer from somewhere unexpected).
        if found is None or (confidence < UNSURE and len(sample.split()) >= LONG_WORDS):
            wide, wide_conf = _langdetect(sample)
            if found is not None and wide and wide not in self.expected and wide_conf > 0.99:
                return Detection(wide, wide_conf, "langdetect")
            if found is None and wide:
                found, confidence = wide, wide_conf * 0.5
        if prior and found != prior and is_short(sample) and confidence < 0.95:
            return Detection(prior, 0.5, "prior")
        if not prior and is_short(sample) and confidence < UNSURE and "en" in runners_up:
            # a few words lingua cannot place, English among its guesses: most buyers write English
            return Detection("en", confidence, "lingua")
        if found is None:
            return Detection(prior, 0.3, "prior") if prior else Detection(None, 0.0, "none")
        return Detection(found, confidence, "lingua")

    def _best(self, lingua_says: Confidences) -> tuple[str | None, float, tuple[str, ...]]:
        weighted = sorted(((value * self.weights.get(code, 1.0), code, value) for code, value in lingua_says), reverse=True)
        if not weighted:
            return None, 0.0, ()
        _, code, confidence = weighted[0]
        return code, confidence, tuple(c for _, c, _ in weighted[:3])


@dataclass(frozen=True)
class _Pending:
    """A message the cheap stages could not settle: lingua's turn."""

    sample: str
    prior: str | None


def language_code(code: str | None) -> str | None:
    """The language a code names, as the detector says it: "pt-BR" → "pt", "en_US" → "en".

    Chinese keeps its script ("zh-hans" → "zh-cn", "zh-hk" → "zh-tw"): the two are written differently.
    """
    if not code:
        return None
    code = code.replace("_", "-").lower()
    if code.startswith("zh"):
        return "zh-tw" if code in ("zh-tw", "zh-hk", "zh-hant", "zh-mo") else "zh-cn"
    return code.split("-")[0]


_langdetect_factory = None


def _langdetect(text: str) -> tuple[str | None, float]:
    global _langdetect_factory
    from langdetect import DetectorFactory, detector_factory
    from langdetect.lang_detect_exception import LangDetectException

    if _langdetect_factory is None:
        DetectorFactory.seed = 0  # deterministic: the same message always gets the same language
        detector_factory.init_factory()
        _langdetect_factory = detector_factory._factory
    try:
        detector = _langdetect_factory.create()
        detector.append(text)
        best = detector.get_probabilities()[0]
    except LangDetectException:
        return None, 0.0
    return best.lang.lower(), best.prob
