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


