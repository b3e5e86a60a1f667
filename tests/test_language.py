"""Language detection on short buyer messages: script first, phrases, the n-gram model, lexicons, priors."""

import pytest

from bot.language.detect import LanguageDetector, by_script, is_short


@pytest.mark.parametrize(
    "text, language",
    [
        ("배송 얼마나 걸려요?", "ko"),
        ("注文はいつ発送されますか", "ja"),
        ("我的订单什么时候发货", "zh-cn"),
        ("我的訂單什麼時候發貨", "zh-tw"),
        ("ส่งของเมื่อไหร่ครับ", "th"),
        ("מתי תשלחו את ההזמנה?", "he"),
        ("Πότε θα σταλεί η παραγγελία;", "el"),
        ("Коли ви відправите моє замовлення?", "uk"),
        ("Bạn giao hàng đến Việt Nam không?", "vi"),
        ("Când trimiteți comanda?", "ro"),
        ("Kiedy wyślecie paczkę?", "pl"),
        ("Kargom ne zaman gelir? Takip numarası yok", "tr"),
    ],
)
def test_the_script_settles_it(text, language):
    assert by_script(text) == language


def test_the_script_does_not_guess_between_latin_languages():
    assert by_script("where is my order") is None
    assert by_script("Где мой заказ?") is None  # Russian, or Bulgarian, or…: ask the n-gram model


@pytest.mark.parametrize(
    "text, language",
    [
        ("where is my parcel, I ordered two weeks ago", "en"),
        ("¿Hacen envíos a Chile?", "es"),
        ("Где мой заказ?", "ru"),
        ("Onde está meu pedido?", "pt"),
        ("Wo ist meine Bestellung?", "de"),
        ("Quand allez-vous expédier ma commande ?", "fr"),
        ("Quanto costa la spedizione in Italia?", "it"),
        ("Waar is mijn pakket?", "nl"),
        ("Kdy odešlete moji objednávku?", "cs"),
        ("Kapan pesanan saya dikirim?", "id"),
        ("متى سيصل طلبي؟", "ar"),
    ],
)
def test_buyer_languages(detector, text, language):
    assert detector.detect(text).language == language


def test_a_short_message_keeps_the_conversation_language(detector):
    # "ok thanks" in a Russian conversation does not switch it to English
    assert detector.detect("ok thanks", previous="ru").language == "ru"
    assert detector.detect("ok", hint="es").language == "es"


def test_a_long_message_overrules_the_prior(detector):
    result = detector.detect("Hello, I would like to know when my order will be shipped please", previous="ru")
    assert result.language == "en"


def test_no_letters_fall_back_to_what_we_know(detector):
    assert detector.detect("👍👍", previous="fr").language == "fr"
    assert detector.detect("12345").language is None
    assert detector.detect("").language is None


def test_detection_is_deterministic(detector):
    texts = ["gracias", "obrigado", "merci", "danke", "grazie", "спасибо"]
    assert [detector.detect(t).language for t in texts] == [detector.detect(t).language for t in texts]


def test_hints_are_normalised(detector):
    assert detector.detect("ok", hint="pt-BR").language == "pt"
    assert detector.detect("ok", hint="zh-hant").language == "zh-tw"


def test_is_short():
    assert is_short("ok thanks")
    assert not is_short("when will you ship my order to Brazil")


def test_a_restricted_detector_only_answers_expected_languages():
    detector = LanguageDetector(["en", "es"])
    assert detector.detect("Onde está meu pedido? Já paguei ontem").language in ("es", "en")


@pytest.mark.parametrize(
    "text, language",
    [("hello", "en"), ("Hi!", "en"), ("bye", "en"), ("refund??", "en"), ("Hola!", "es"), ("merci", "fr"),
     ("obrigado", "pt"), ("спасибо", "ru"), ("дякую", "uk"), ("ok", None)],
)
def test_one_word_messages_without_a_prior(detector, text, language):
    assert detector.detect(text).language == language


def test_language_codes_from_channels():
    from bot.language.detect import language_code

    assert [language_code(c) for c in ("pt-BR", "en_US", "zh-hant", "zh-HK", "zh", "RU", None)] == [
        "pt", "en", "zh-tw", "zh-tw", "zh-cn", "ru", None,
    ]


def test_a_lone_surrogate_does_not_stop_detection(detector):
    # JSON's "\ud800" (half an emoji from a UTF-16 client) reaches the detector as a lone surrogate
    assert detector.detect("Где мой заказ? Уже две недели жду \ud83d").language == "ru"
    assert detector.detect("where is my order, it has been two weeks \udfff").language == "en"




# -- close languages, settled by the n-gram model of the native phrasings and the lexicons ----------


@pytest.mark.parametrize(
    "text, language",
    [
        ("shop oi bao gio giao hang vay", "vi"),  # Vietnamese typed without its accents
        ("toi chua nhan duoc hang", "vi"),
        ("Kedy mi pošlete tovar? Čakám už týždeň", "sk"),
        ("Kdy mi pošlete zboží? Čekám už týden", "cs"),
        ("Kapan barangnya dikirim kak?", "id"),
        ("Bila barang saya akan dihantar?", "ms"),
        ("Quando chega o meu pedido? Já paguei", "pt"),
        ("Cuándo llega mi pedido? Ya pagué", "es"),
        ("Коли прийде посилка? Чекаю вже тиждень", "uk"),
        ("Когда придёт посылка? Жду уже неделю", "ru"),
        ("Gde je moja porudžbina, čekam već nedelju dana", "sr"),
        ("Gdje je moja narudžba, čekam već tjedan dana", "hr"),
        ("Hvornår kommer min pakke? Jeg har ventet længe", "da"),
        ("Når kommer pakken min? Jeg har ventet lenge", "no"),
        ("När kommer mitt paket? Jag har väntat länge", "sv"),
    ],
)
def test_close_languages(detector, text, language):
    assert detector.detect(text).language == language


def test_another_script_switches_the_language_however_short(detector):
    assert detector.detect("متى يصل؟", previous="pt").language == "ar"  # Arabic in a Portuguese chat
    assert detector.detect("Где заказ?", previous="en").language == "ru"
    assert detector.detect("ok thanks", previous="ar").language == "ar"  # Latin letters are everyone's


def test_chinese_without_a_telling_character_stays_in_the_conversations_chinese(detector):
    assert detector.detect("好的", previous="zh-tw").language == "zh-tw"
    assert detector.detect("用萬事達卡刷了三次都失敗").language == "zh-tw"
    assert detector.detect("我没有PayPal，能用Apple Pay付吗").language == "zh-cn"  # brand names in Latin do not outweigh it


def test_the_lexicons_need_two_marker_words_against_a_language_without_a_list():
    from bot.language.detect import load_lexicons

    groups = load_lexicons()
    assert any("vi" in group and not group["en"] for group in groups if "en" in group)


def test_a_long_message_in_a_language_the_shop_does_not_expect_is_still_named(detector):
    text = "Habari, nimeagiza viatu wiki mbili zilizopita na bado sijapokea kifurushi changu, tafadhali nisaidie kujua kiko wapi"
    assert detector.detect(text).language == "sw"


def test_words_other_languages_own_do_not_make_a_message_english():
    from bot.language.detect import english_lexicon

    phrasings = {
        "en": ["merci, thank you", "est delivery was monday", "Block C, flat 4", "tell me a joke", "send me a photo",
               "where is my parcel", "how long does shipping to Spain take", "can you give me a discount please",
               "the tracking number does not work", "I want to return the shoes and get my money back",
               "do you have this dress in size M", "my order arrived broken, the glass is cracked",
               "is shipping free if I buy two", "please cancel the order I placed yesterday"],
        "fr": ["merci beaucoup", "c'est top", "c'est quand la livraison", "merci c'est gentil", "envoyez-moi une photo", "merci pour tout"],
        "es": ["me lo envías", "me gusta mucho", "a qué hora", "dime un chiste"],
    }
    lexicon = english_lexicon(phrasings)
    assert {"merci", "c", "est"}.isdisjoint(lexicon)  # French's words, seen once in an English phrasing
    assert {"tell", "joke", "me", "a", "thank", "photo"} <= lexicon  # English's own, and shared common ones


def test_the_english_lexicon_is_worked_out_once_per_set_of_phrasings(tmp_path, monkeypatch):
    """Counting every language's words costs ~90 ms of each start: the next start reads it from the cache."""
    from bot.language import detect

    monkeypatch.setenv("KEFU_CACHE_DIR", str(tmp_path))
    worked_out = []
    monkeypatch.setattr(detect, "english_lexicon", lambda phrasings: worked_out.append(1) or frozenset({"parcel", "where"}))
    phrasings = {"en": ["where is my parcel"], "fr": ["où est mon colis"]}
    for _ in range(2):
        detector = detect.LanguageDetector(expected=("en", "fr"))
        detector.learn(phrasings)
        assert detector.english_words == {"parcel", "where"}
    assert worked_out == [1]
    detect.LanguageDetector(expected=("en", "fr")).learn({"en": ["where is my parcel", "hi"], "fr": ["où est mon colis"]})
    assert worked_out == [1, 1]  # other phrasings, another lexicon


def test_a_french_thank_you_with_an_english_word_stays_french(detector):
    assert detector.detect("Merci, c'est top").language == "fr"
    assert detector.detect("Tell me a joke").language == "en"


@pytest.mark.parametrize(
    "text, language",
    [("transit duration?", "en"), ("blah blah order", "en"), ("order status", "en"), ("hola amigo", "es"),
     ("pedido cancelado", "es"), ("obrigado pelo", "pt"), ("bestellung storniert", "de")],
)
def test_two_english_words_of_the_lists_are_english_without_a_prior(detector, text, language):
    """By its letters alone "transit duration?" is Romanian (0.66); every word of it is an English word of
    the lists, and English is among the model's guesses: most buyers write English."""
    assert detector.detect(text).language == language


def test_two_english_words_in_a_conversation_keep_its_language(detector):
    assert detector.detect("transit duration?", previous="ro").language == "ro"


def test_a_texts_loglik_is_its_words_kept_sums_across_generations(monkeypatch):
    """The n-gram model keeps each word's row (intents.kept.KeptRows): a text's log-likelihood must equal
    the sum over all its n-grams at once, whatever was kept before and when the kept words start afresh."""
    import numpy as np

    from bot.language import ngrams as ngrams_module
    from bot.language.ngrams import NgramModel, letters_only, ngrams

    native = {"es": ["hola donde esta mi pedido", "cuanto cuesta el envio"], "de": ["wo ist meine bestellung"]}
    model = NgramModel.build(native)
    texts = ["Hola, ¿dónde está mi pedido?", "Wo ist meine Bestellung??", "pedido pedido pedido", "zzqx", "!!!",
             "Где мой заказ", "hola wo ist"]

    def whole(text: str) -> tuple[np.ndarray, int]:
        rows = [i for i in map(model.index.get, ngrams(letters_only(text))) if i is not None]
        return (model.table[rows].sum(axis=0), len(rows)) if rows else (np.zeros(len(model.languages)), 0)

    monkeypatch.setattr(ngrams_module, "WORDS_KEPT", 3)
    kept = NgramModel(model.languages, list(model.index), model.table)
    for _ in range(3):
        for text in texts:
            got, count = kept.loglik(letters_only(text).split())
            expected, expected_count = whole(text)
            assert count == expected_count and np.allclose(got, expected, rtol=1e-5, atol=1e-4), text
    assert len(kept._words.generation.rows) <= 3 + 3  # started afresh: the last message's words at most
