"""Language detection on short buyer messages: script first, lingua, langdetect, priors."""

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
    assert by_script("Где мой заказ?") is None  # Russian, or Bulgarian, or…: ask lingua


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


# -- a server's detector: the models in a process of their own ---------------------------------

SERVED = ("en", "ru", "uk", "es", "pt", "fr", "it")


async def test_a_server_detects_through_the_model_process_as_a_command_does_in_process():
    from bot.language.models import ModelProcess

    local = LanguageDetector(SERVED, primary=SERVED)
    served = LanguageDetector(SERVED, primary=SERVED)
    served.attach(ModelProcess(served.expected))
    texts = ["Где мой заказ, пожалуйста?", "¿Dónde está mi pedido? Lo compré hace dos semanas",
             "Bonjour, je n'ai pas reçu mon colis", "Ciao, quando arriva il mio ordine?", "Olá, quero trocar o tamanho"]
    try:
        first = await served.detect_async(texts[0])  # waits for the models to load
        assert served.models.loaded and served.models.load_seconds > 0
        found = [first] + [await served.detect_async(t) for t in texts[1:]]
        expected = [local.detect(t) for t in texts]
        assert [(d.language, d.method) for d in found] == [(d.language, d.method) for d in expected]
        assert [d.language for d in found] == ["ru", "es", "fr", "it", "pt"]
        assert [d.confidence for d in found] == pytest.approx([d.confidence for d in expected])
    finally:
        served.close()


async def test_what_needs_no_model_is_detected_before_the_models_have_loaded():
    import intents.normalize  # noqa: F401 - imported in a server already (the brain uses it); seconds here
    from bot.language.models import ModelProcess

    served = LanguageDetector(SERVED, primary=SERVED)
    served.learn_english({"where", "is", "my", "order", "now"})
    served.attach(ModelProcess(served.expected))
    try:
        assert (await served.detect_async("where is my order now")).method == "lexicon"
        assert (await served.detect_async("Спасибо!", hint="uk")).method == "prior"
        assert (await served.detect_async("주문이 어디에 있나요?")).method == "script"
        assert not served.models.loaded  # none of these waited for lingua
    finally:
        served.close()


async def test_a_model_process_that_dies_is_started_again_and_detection_goes_on_meanwhile():
    import multiprocessing
    import os
    import signal

    from bot.language.models import ModelProcess

    served = LanguageDetector(SERVED, primary=SERVED)
    served.attach(ModelProcess(served.expected))
    try:
        await served.models.ready()
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)
        # langdetect answers while the models load again
        assert (await served.detect_async("Где мой заказ? Я жду его уже три недели")).language == "ru"
        assert not served.models.loaded
        again = await served.detect_async("Quiero saber cuando llega mi pedido, por favor")  # waits for the new process
        assert (again.language, again.method) == ("es", "lingua")
        assert served.models.loaded
    finally:
        served.close()
