"""Which language a buyer writes in.

A chain, cheapest and surest first:
1. the script, where it settles the matter (Hangul, Kana, Thai, Hebrew, Greek,
   Han, letters only Ukrainian or Vietnamese use…);
2. whole short messages everyone writes ("hola", "merci", "спасибо") and an
   English lexicon learnt from the intent examples;
3. a character n-gram model (bot.language.ngrams) trained on langdetect's
   profiles and on the native example phrasings of the intent lists, over the
   languages written in the message's script: the expected languages first,
   every language it knows (55+) for a long message none of them fits;
4. lexicons of words that tell close languages apart where n-grams cannot
   (bot/language/lexicons.yaml: Indonesian/Malay, Serbian/Croatian, Norwegian/
   Danish/Swedish, Czech/Slovak, Portuguese/Spanish, unaccented Vietnamese…).
Priors (the channel's hint, the conversation's language so far) decide short
or ambiguous messages: "ok thanks" never switches a conversation's language.
A message in another script than the conversation's language is written in
(an Arabic message in a Portuguese chat) is not held to that language, however short.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.text import valid_unicode
from bot.language.ngrams import NgramModel, cached, letters_only, load_or_build, native_digest, profile_languages

# The languages buyers write in most; the secondary ones are expected too, but
# weigh less when a short message could be either (Czech rather than Slovak).
PRIMARY = tuple("en es ru pt fr de it pl tr ar ja ko uk he nl cs ro vi th id zh-cn zh-tw".split())
SECONDARY = tuple("sv el hi fa bg sk hu da fi no ms hr sr".split())
DEFAULT_EXPECTED = PRIMARY + SECONDARY
SECONDARY_WEIGHT = 0.6
LEXICONS_FILE = Path(__file__).with_name("lexicons.yaml")

# Characters that appear in Traditional but not Simplified Chinese (and back): enough to tell a buyer's script.
_TRADITIONAL: set[str] = set("們個這說時會來對為與國訂單運貨請謝嗎麼還發買賣寄錢問題號碼關當經過貿費裡後從電話幫應該壞換" + "萬敗與專業東絲兩嚴個豐臨為麗舉義樂習鄉書買亂爭於雲產親億僅從價眾優會傳傷體餘係債傾兒黨蘭關興養內冊寫軍農決況減幾鳳憑擊劃劉則剛創刪別劑劍劇勸辦務動勵勁勞勢區醫華協單賣衛廠廳歷壓廁參雙發變疊葉號嘆嚇後嗎噸聽啟員響啞團園圍國圖圓聖場壞塊堅墊處備復夠頭誇奪獎妝婦媽孫學寧寶實寵審憲寬對尋導壽將爾塵盡層屆屬島幣帥師帳帶幫幹庫應廢開異棄張彈強歸當錄徹憶態總戀懇惡惱悅驚懼慘慣願戲戰戶撲執擴掃揚擾撫搶護報擔擬擁攔撥擇掛擋擠揮損撿換據擺搖敵數齋鬥斬斷無舊時顯曬曉暫術機殺雜權條來極構槍標樹樣橋檢樓歡歐殘毀畢氣漢湯溝沒潔灑淺測濟濃濤漲溫遊灣濕滿濾燈靈災燦爐點煉爛燒熱愛狀獨獅獲豬貓獻環現電畫療瘋盤監蓋盜確碼礎禮禍離種積稱穩窮竊竅豎競筆築簽簡節範類糧緊糾紀約紅級紙納純紛紡細組終絕給統絲經綠維網線練編緩縮總績織繼續纖罰羅聞聯聰聲職肅脫腦腳腸膚臉臨臺與興舉艦藝節蘋藥蓮營蕭薦蟲蝦螢蠟術補裝襪見規視覽覺觸計訂認討讓訓議訊記講許論設訪證評識詐訴診詞試詩誠話該詳語誤誘說請諸讀課誰調談謝謊謎證譯變讚貝負財責貨質販購貴貸費賀資賞賠賴賺賽贈贏趕趙車軌軟轉輪輕載較輔輛輸辦農邊遠運還這進連遞週過達違遲選遺郵鄰醫釋針鈴鉛銀銷鋪鏈鏡鐘鐵鑰長門閃閉問間閱闆闊隊階陽陰際陸險隨隱雙雖雞離難雲電靜響頁頂項順須預頓領頻題額顏願類顧風飛飯飲館馬駐驗體高鬧魚鳥麥黃點齊齒龍囉")
_SIMPLIFIED: set[str] = set("们个这说时会来对为与国订单运货请谢吗么还发买卖寄钱问题号码关当经过贸费里后从电话帮应该坏换" + "万败与专业东丝两严个丰临为丽举义乐习乡书买乱争于云产亲亿仅从价众优会传伤体余系债倾儿党兰关兴养内册写军农决况减几凤凭击划刘则刚创删别剂剑剧劝办务动励劲劳势区医华协单卖卫厂厅历压厕参双发变叠叶号叹吓后吗吨听启员响哑团园围国图圆圣场坏块坚垫处备复够头夸夺奖妆妇妈孙学宁宝实宠审宪宽对寻导寿将尔尘尽层届属岛币帅师帐带帮干库应废开异弃张弹强归当录彻忆态总恋恳恶恼悦惊惧惨惯愿戏战户扑执扩扫扬扰抚抢护报担拟拥拦拨择挂挡挤挥损捡换据摆摇敌数斋斗斩断无旧时显晒晓暂术机杀杂权条来极构枪标树样桥检楼欢欧残毁毕气汉汤沟没洁洒浅测济浓涛涨温游湾湿满滤灯灵灾灿炉点炼烂烧热爱状独狮获猪猫献环现电画疗疯盘监盖盗确码础礼祸离种积称稳穷窃窍竖竞笔筑签简节范类粮紧纠纪约红级纸纳纯纷纺细组终绝给统丝经绿维网线练编缓缩总绩织继续纤罚罗闻联聪声职肃脱脑脚肠肤脸临台与兴举舰艺节苹药莲营萧荐虫虾萤蜡术补装袜见规视览觉触计订认讨让训议讯记讲许论设访证评识诈诉诊词试诗诚话该详语误诱说请诸读课谁调谈谢谎谜证译变赞贝负财责货质贩购贵贷费贺资赏赔赖赚赛赠赢赶赵车轨软转轮轻载较辅辆输办农边远运还这进连递周过达违迟选遗邮邻医释针铃铅银销铺链镜钟铁钥长门闪闭问间阅板阔队阶阳阴际陆险随隐双虽鸡离难云电静响页顶项顺须预顿领频题额颜愿类顾风飞饭饮馆马驻验体高闹鱼鸟麦黄点齐齿龙啰")
_UKRAINIAN_ONLY = set("іїєґІЇЄҐ")
_RUSSIAN_ONLY = set("ыэъёЫЭЪЁ")
# Characters both scripts write (and pairs whose "simplified" form is also a traditional character).
_BOTH = set("高寄板系干周范台斗") | {"闆", "係", "幹", "週", "範", "臺", "鬥"}
_TRADITIONAL -= _BOTH
_SIMPLIFIED -= _BOTH
_CYRILLIC_MARKERS = (("sr", set("ђћџЂЋЏ")), ("mk", set("ѓќѕЃЌЅ")))
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
LEXICON_FOREIGN = 10.0  # see english_lexicon: chosen on bench/languages.py's sets and eval_en's rows
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

    folded = text.casefold()
    return " ".join(_PUNCTUATION.sub(" ", folded if folded.isascii() else strip_accents(folded)).split())


SHORT_WORDS = 3  # at most this many words: too short to overrule what we already know
UNSURE = 0.3  # confidence below which a short message without a prior is read as English when English is a runner-up
PRIOR_HOLDS = 0.02  # a short message keeps the conversation's language while it is at least this likely
LONG_WORDS = 8  # only a message this long may be in a language the shop does not expect
WIDE_MARGIN = 0.5  # …and only when that language fits it this much better, per n-gram (log-likelihood)
SHARPNESS = 6.0  # how fast the confidence grows with the per-n-gram margin between languages
SHORT_CHARS = 20

# The scripts a language is written in, where it is not Latin alone.
WRITTEN_IN: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("ar", "fa", "ur"), ("arabic",)),
    **dict.fromkeys(("ru", "uk", "bg", "mk"), ("cyrillic",)),
    "sr": ("latin", "cyrillic"),
    **dict.fromkeys(("hi", "mr", "ne"), ("devanagari",)),
    **dict.fromkeys(("bn", "gu", "pa", "ta", "te", "kn", "ml"), ("other",)),
    "el": ("greek",), "he": ("hebrew",), "th": ("thai",), "ko": ("hangul",), "ja": ("kana", "han"),
    "zh-cn": ("han",), "zh-tw": ("han",),
}


def scripts_of(language: str) -> tuple[str, ...]:
    return WRITTEN_IN.get(language, ("latin",))


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1 code ("zh-cn"/"zh-tw" for Chinese), None when nothing can be said
    confidence: float  # 0–1
    method: str  # script | phrase | lexicon | ngrams | words | prior | none


def _script_counts(text: str) -> dict[str, int]:
    if text.isascii():  # most messages: no loop over the characters in Python
        letters = len(_ASCII_NON_LETTERS.sub("", text))
        return {"latin": letters} if letters else {}
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
            counts[script] = counts.get(script, 0) + _WEIGHT.get(script, 1)
    return counts


_ASCII_NON_LETTERS = re.compile(r"[^A-Za-z]+")
_WEIGHT = {"han": 3, "kana": 3, "hangul": 3}  # a character of these is a word or a syllable: "用Google Pay付" is Chinese


def dominant_script(text: str, counts: dict[str, int] | None = None) -> str | None:
    """The script most of the text's letters are written in (`counts`: its `_script_counts`, when known)."""
    counts = _script_counts(text) if counts is None else counts
    return max(counts, key=counts.__getitem__) if counts else None


def by_script(text: str, prior: str | None = None, counts: dict[str, int] | None = None) -> str | None:
    """The language when the script alone settles it, else None; Chinese with no character that tells
    the scripts apart ("好的") stays in the conversation's Chinese (`prior`), else simplified."""
    counts = _script_counts(text) if counts is None else counts
    if not counts:
        return None
    script = max(counts, key=counts.__getitem__)
    if script == "kana" or (script == "han" and counts.get("kana")):
        return "ja"
    if script == "han":
        trad = sum(ch in _TRADITIONAL for ch in text)
        simp = sum(ch in _SIMPLIFIED for ch in text)
        if trad == simp and prior in ("zh-cn", "zh-tw"):
            return prior
        return "zh-tw" if trad > simp else "zh-cn"
    if script == "latin":
        if text.isascii():  # every marker letter is outside ASCII
            return None
        for language, letters in _LATIN_MARKERS:
            if not letters.isdisjoint(text):
                return language
        return None
    if script == "cyrillic":
        for language, letters in _CYRILLIC_MARKERS:
            if not letters.isdisjoint(text):
                return language
        if not _UKRAINIAN_ONLY.isdisjoint(text) and _RUSSIAN_ONLY.isdisjoint(text):
            return "uk"
        return None
    return {"hangul": "ko", "thai": "th", "hebrew": "he", "greek": "el"}.get(script)


def is_short(text: str) -> bool:
    return len(text.split()) <= SHORT_WORDS or len(text.strip()) < SHORT_CHARS


def load_lexicons(path: Path = LEXICONS_FILE) -> list[dict[str, frozenset[str]]]:
    """Groups of close languages, each with the words that mark one of them (accents stripped)."""
    import yaml

    from bot.datafiles import DataError, expect, load_yaml
    from intents.normalize import strip_accents

    data = load_yaml(path)
    expect(data, list, path, 1, "the lexicons file")
    groups = []
    for i, group in enumerate(data):
        expect(group, dict, path, data.line_of(i), "each group of close languages")
        words = {}
        for language, listed in group.items():
            expect(listed, list, path, group.line_of(language), f"the words of {language!r}")
            words[str(language)] = frozenset(strip_accents(str(w).casefold()) for w in listed)
        if len(words) < 2:
            raise DataError(path, data.line_of(i), "a group needs at least two languages")
        groups.append(words)
    del yaml
    return groups


def english_lexicon(phrasings: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The words of the English phrasings that no other language's phrasings use much more (as a share of
    each language's words, at most LEXICON_FOREIGN times English's): "merci", "ciao", "est" (as in "est
    delivery") or "c" (as in "Block C") appear in English phrasings too, and would make "Merci, c'est top"
    look English; "me" and "a", common in Spanish and Hungarian too (3–6 times English's share), stay."""
    counted = {language: Counter(_WORDS.findall("\n".join(texts).lower())) for language, texts in phrasings.items()}
    english = counted.pop("en", Counter())
    size = sum(english.values()) or 1
    others = [(counts, sum(counts.values()) or 1) for counts in counted.values()]
    return frozenset(w for w, n in english.items()
                     if all(counts[w] / total <= LEXICON_FOREIGN * n / size for counts, total in others))


def cached_english_lexicon(native: Mapping[str, list[str]], digest: str) -> frozenset[str]:
    """`english_lexicon`, from the cache after the first start with these phrasings (`digest`: their
    `native_digest`; the lexicon costs ~90 ms)."""
    return cached(f"english-{digest}-f{LEXICON_FOREIGN}.txt", lambda: english_lexicon(native),
                  lambda words: "\n".join(sorted(words)).encode(),
                  lambda data: frozenset(word for word in data.decode().split("\n") if word))


class LanguageDetector:
    """Detects a message's language; build once, call often (thread-safe)."""

    def __init__(
        self,
        expected: list[str] | tuple[str, ...] = DEFAULT_EXPECTED,
        *,
        primary: list[str] | tuple[str, ...] = PRIMARY,
        lexicons: Path = LEXICONS_FILE,
    ) -> None:
        self.expected = tuple(dict.fromkeys(code.lower() for code in expected))
        self.weights = {code: 1.0 if code in primary else SECONDARY_WEIGHT for code in self.expected}
        self.english_words: frozenset[str] = frozenset()
        self.lexicons = load_lexicons(lexicons)
        self._native: dict[str, list[str]] = {}
        self._native_digest = native_digest(self._native)
        self._learnt: str | None = None  # the digest of the intent set learnt from
        self._model: NgramModel | None = None
        self._pools: dict[tuple[str, bool], np.ndarray] = {}
        self._lock = threading.Lock()

    # -- what it learns from -------------------------------------------------------------------

    def learn(self, phrasings: Mapping[str, Iterable[str]], key: str | None = None) -> None:
        """Example phrasings per language (the intent lists): the English lexicon, and the native share
        of the n-gram model (built, or read from the cache, when first needed)."""
        native = {language: list(texts) for language, texts in phrasings.items() if language in self.expected}
        digest = native_digest(native)  # names both cache files: hashed once
        with self._lock:
            self._native, self._native_digest, self._model, self._pools, self._learnt = native, digest, None, {}, key
        self.english_words = cached_english_lexicon(native, digest)

    def learn_intents(self, intents) -> None:  # type: ignore[no-untyped-def]
        """`learn` from an intent set (intents.catalog.IntentSet), unless it is the one learnt already."""
        if intents.digest == self._learnt:
            return
        phrasings: dict[str, list[str]] = {}
        for _, example in intents.examples():
            phrasings.setdefault(example.language, []).append(example.text)
        self.learn(phrasings, key=intents.digest)

    def learn_english(self, words: set[str] | frozenset[str]) -> None:
        """Words buyers use in English: a cheap first opinion that spares the model most English messages."""
        self.english_words = frozenset(words)

    @property
    def model(self) -> NgramModel:
        model = self._model
        if model is None:
            with self._lock:
                if self._model is None:
                    self._model = load_or_build(self._native, self._native_digest)
                model = self._model
        return model

    def preload(self) -> float:
        """Load (or build) the n-gram model now; seconds it took."""
        started = time.perf_counter()
        _ = self.model
        return time.perf_counter() - started

    def close(self) -> None:
        """Nothing runs apart from the caller (kept for the servers that close what they start)."""

    @property
    def languages(self) -> frozenset[str]:
        """Every language `detect` can return."""
        markers = {language for language, _ in (*_LATIN_MARKERS, *_CYRILLIC_MARKERS)}
        scripted = {"ja", "zh-cn", "zh-tw", "ko", "th", "he", "el", "uk"}
        phrases = {language for language in SHORT_PHRASES.values() if language}
        lexical = {language for group in self.lexicons for language in group if language in self.expected}
        return frozenset(markers | scripted | phrases | lexical | profile_languages() | set(self._native) | set(self.expected))

    # -- detection -----------------------------------------------------------------------------

    async def detect_async(self, text: str, hint: str | None = None, previous: str | None = None) -> Detection:
        """`detect`, for the event loop (it costs tens of µs: no thread needed)."""
        return self.detect(text, hint, previous)

    def detect(self, text: str, hint: str | None = None, previous: str | None = None) -> Detection:
        """The language of `text`; `hint` from the channel, `previous` the conversation's so far."""
        sample = valid_unicode(text[:1000])
        if not _LETTERS.search(sample):
            prior = previous or hint
            return Detection(prior, 0.3, "prior") if prior else Detection(None, 0.0, "none")
        prior = language_code(previous or hint)
        if sample.isascii():  # most messages: Latin letters (it has one), no marker letter, no other script
            script = "latin"
        else:
            counts = _script_counts(sample)
            scripted = by_script(sample, prior, counts)
            if scripted:
                return Detection(scripted, 1.0, "script")
            script = dominant_script(sample, counts) or "latin"
        if prior and script != "latin" and script not in scripts_of(prior):
            prior = None  # an Arabic message in a Portuguese chat: the chat's language does not hold it
        phrase = SHORT_PHRASES.get(_phrase_key(sample))
        if phrase is not None:  # "hola", "merci", "ok": too short for statistics, common enough to know
            if prior and is_short(sample):
                return Detection(prior, 0.5, "prior")
            return Detection(phrase, 0.9, "phrase") if phrase else Detection(None, 0.0, "none")
        if "en" in self.expected and self._looks_english(sample):
            return Detection("en", 0.95, "lexicon")
        return self._weigh(sample, script, prior)

    def _english_words(self, text: str) -> tuple[int, int]:
        """How many of the text's words are English words of the lists, and how many words it has."""
        words = _WORDS.findall(text.lower())
        return sum(map(self.english_words.__contains__, words)), len(words)

    def _looks_english(self, text: str) -> bool:
        known, count = self._english_words(text)
        return count >= LEXICON_MIN_WORDS and known / count >= LEXICON_SHARE

    def _all_english(self, text: str) -> bool:
        """Every word of a short text is an English word of the lists (`_looks_english` asks more words)."""
        known, count = self._english_words(text)
        return count >= 2 and known == count

    def _pool(self, script: str, wide: bool) -> tuple[np.ndarray, np.ndarray]:
        """The model's columns a message in `script` may be: the expected languages, or (wide) all it knows;
        and the log of each one's weight (primary languages 1)."""
        key = (script, wide)
        pool = self._pools.get(key)
        if pool is None:
            languages = self.model.languages
            columns = np.array([i for i, language in enumerate(languages)
                                if script in scripts_of(language) and (wide or language in self.expected)], dtype=np.intp)
            pool = columns, np.log([self.weights.get(languages[c], SECONDARY_WEIGHT) for c in columns])
            self._pools[key] = pool
        return pool

    def _weigh(self, sample: str, script: str, prior: str | None) -> Detection:
        model = self.model
        letters = letters_only(sample)
        loglik, count = model.loglik(letters.split())
        pool, weights = self._pool(script, wide=False)
        if not len(pool):
            pool, weights = self._pool(script, wide=True)
        if count == 0 or not len(pool):
            return Detection(prior, 0.3, "prior") if prior else Detection(None, 0.0, "none")
        # the per-n-gram margin, surer with length
        scores = loglik[pool] * (SHARPNESS * min(count, 40) ** 0.5 / count) + weights
        scores = np.exp(scores - scores.max())
        scores /= scores.sum()
        order = np.argsort(-scores)[:3].tolist()
        found, confidence = model.languages[pool[order[0]]], float(scores[order[0]])
        runners_up = tuple(model.languages[pool[i]] for i in order)
        method = "ngrams"
        if len(sample.split()) >= LONG_WORDS:  # a buyer from somewhere the shop does not expect?
            wide, _ = self._pool(script, wide=True)
            best = int(wide[np.argmax(loglik[wide])])
            if model.languages[best] not in self.expected and (loglik[best] - loglik[pool[order[0]]]) / count > WIDE_MARGIN:
                return Detection(model.languages[best], confidence, method)
        marked = self._by_words(letters, found)
        if marked != found:
            found, confidence, method = marked, max(confidence, 0.9), "words"
        if prior and found != prior and is_short(sample):
            # a few words keep the conversation's language unless that language cannot have written them;
            # Latin letters after a chat in another script keep it too ("ok thanks" in a Russian chat)
            held = {model.languages[c]: float(p) for c, p in zip(pool, scores)}
            if held.get(prior, 1.0) >= PRIOR_HOLDS:
                return Detection(prior, 0.5, "prior")
        if not prior and is_short(sample) and "en" in runners_up and (confidence < UNSURE or self._all_english(sample)):
            # a few words the model cannot place, or all of them English words, English among its guesses:
            # most buyers write English ("transit duration?" is closer to Romanian by its letters alone)
            return Detection("en", confidence, method)
        return Detection(found, confidence, method)

    def _by_words(self, letters: str, found: str) -> str:
        """The close language whose marker words the message (`letters_only`) uses more than `found`'s
        (bot/language/lexicons.yaml)."""
        from intents.normalize import strip_accents

        groups = [group for group in self.lexicons if found in group]
        if not groups:
            return found
        tokens = strip_accents(letters).split()
        words = set(tokens) | {f"{a} {b}" for a, b in zip(tokens, tokens[1:])}  # and pairs: "da li", "shop oi"
        for group in groups:
            hits = {language: len(words & marks) for language, marks in group.items() if language in self.expected}
            best = max(hits, key=lambda language: (hits[language], language == found))
            if hits[best] >= hits.get(found, 0) + (1 if group[found] else 2):
                return best
        return found

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
