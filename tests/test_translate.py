"""Translators: pinned tables, providers through deep-translator, the chain, the store's memory.

No test reaches the internet. deep-translator runs for real and makes its real
`requests` calls; the `responses` library answers them with recorded-style
pages and JSON in each provider's own shape, and records what was sent.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from sqlalchemy import select

import bot.language.translate as translate_module
from bot.store.models import TranslationMemory
from bot.store.database import Store
from bot.language.translate import (
    ChainTranslator,
    MemoryTranslator,
    NoTranslator,
    ProviderTranslator,
    TableTranslator,
    TranslatorError,
    _provider_factory,
    make_translator,
)

DATA = Path(__file__).parent / "data"
PINS = DATA / "translations_pins.tsv"
BROKEN = DATA / "translations_broken.tsv"

GOOGLE_URL = "https://translate.google.com/m"
DEEPL_FREE_URL = "https://api-free.deepl.com/v2/translate"
DEEPL_PRO_URL = "https://api.deepl.com/v2/translate"
MICROSOFT_LANGUAGES_URL = "https://api.cognitive.microsofttranslator.com/languages"
MICROSOFT_URL = "https://api.cognitive.microsofttranslator.com/translate"
MYMEMORY_URL = "http://api.mymemory.translated.net/get"

WHERE_RU = "Где мой заказ?"
WHERE_EN = "Where is my order?"
WHERE_ZH = "我的订单在哪里？"


# -- recorded-style responses ---------------------------------------------------------


def google_page(translation: str | None, source: str = "ru", original: str = WHERE_RU) -> str:
    """What https://translate.google.com/m returns: a small HTML page, the result in div.result-container."""
    result = f'<div class="result-container">{translation}</div>' if translation is not None else ""
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>Google Translate</title>
<meta name="viewport" content="width=device-width,initial-scale=1"></head>
<body><div class="root-container"><div class="header"><div class="logo-image"></div></div>
<div class="languages-container"><div class="sl-and-tl">
<a href="./m?sl={source}&amp;tl=en&amp;mui=sl&amp;hl=en">Detected language</a> →
<a href="./m?sl={source}&amp;tl=en&amp;mui=tl&amp;hl=en">English</a></div></div>
<div class="input-container"><form action="/m" class=""><input type="hidden" name="sl" value="{source}">
<input type="hidden" name="tl" value="en"><input type="hidden" name="hl" value="en">
<input type="text" aria-label="Source text" name="q" class="input-field" maxlength="2048" value="{original}">
<div class="translate-button-container"><input type="submit" value="Translate" class="translate-button"></div></form></div>
{result}
<div class="links-container"><ul><li><a href="https://www.google.com/m?hl=en">Google home</a></li>
<li><a href="https://www.google.com/tools/feedback/survey/xhtml?productId=95112&amp;hl=en">Send feedback</a></li>
<li><a href="https://www.google.com/intl/en/policies">Privacy and terms</a></li></ul></div></div></body></html>"""


MICROSOFT_LANGUAGES = {
    "translation": {
        "en": {"name": "English", "nativeName": "English", "dir": "ltr"},
        "ru": {"name": "Russian", "nativeName": "Русский", "dir": "ltr"},
        "he": {"name": "Hebrew", "nativeName": "עברית", "dir": "rtl"},
        "zh-Hans": {"name": "Chinese Simplified", "nativeName": "中文 (简体)", "dir": "ltr"},
        "zh-Hant": {"name": "Chinese Traditional", "nativeName": "繁體中文 (繁體)", "dir": "ltr"},
    }
}


def mymemory_answer(source: str, target: str, segment: str, translation: str) -> dict:
    return {
        "responseData": {"translatedText": translation, "match": 0.85},
        "quotaFinished": False,
        "mtLangSupported": None,
        "responseDetails": "",
        "responseStatus": 200,
        "responderId": None,
        "exception_code": None,
        "matches": [
            {
                "id": "759812345", "segment": segment, "translation": translation, "source": source,
                "target": target, "quality": "74", "reference": None, "usage-count": 2, "subject": "",
                "created-by": "MateCat", "last-updated-by": "MateCat", "create-date": "2024-03-02 11:20:31",
                "last-update-date": "2024-03-02 11:20:31", "match": 0.85, "penalty": 0,
            }
        ],
    }


def query(call) -> dict[str, str]:
    """The query string of a recorded request, one value per name."""
    return {key: values[-1] for key, values in parse_qs(urlsplit(call.request.url).query, keep_blank_values=True).items()}


def endpoint(call) -> str:
    parts = urlsplit(call.request.url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def http():
    """Every HTTP request deep-translator makes is answered here; an unregistered one fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def providers():
    """Build ProviderTranslators and shut their thread pools down after the test."""
    made: list[ProviderTranslator] = []

    def build(name: str, env: dict[str, str] | None = None, **options) -> ProviderTranslator:
        translator = ProviderTranslator(name, _provider_factory(name, env or {}), **options)
        made.append(translator)
        return translator

    yield build
    for translator in made:
        translator._pool.shutdown(wait=True)


@pytest.fixture
def fake_monotonic(monkeypatch):
    """A hand-moved monotonic clock for the cooldown (only bot.language.translate sees it; asyncio keeps the real one)."""
    now = [1000.0]
    monkeypatch.setattr(translate_module, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


# -- make_translator ----------------------------------------------------------------------

PROVIDER_ENVS = {
    "google": {},
    "deepl": {"KEFU_DEEPL_API_KEY": "k-123:fx"},
    "microsoft": {"KEFU_MICROSOFT_API_KEY": "ms-key", "KEFU_MICROSOFT_REGION": "westeurope"},
    "libre": {"KEFU_LIBRE_URL": "http://localhost:5000/"},
    "mymemory": {},
}


async def test_make_none_translates_nothing():
    translator = make_translator("none", env={})
    assert isinstance(translator, NoTranslator)
    assert translator.name == "none"
    assert await translator.translate(WHERE_EN, "en", "en-US") == WHERE_EN
    assert await translator.translate(WHERE_RU, "ru", "en") is None


def test_make_empty_spec_is_none():
    assert isinstance(make_translator("", env={}), NoTranslator)
    assert isinstance(make_translator(" + ", env={}), NoTranslator)


@pytest.mark.parametrize("name", sorted(PROVIDER_ENVS))
def test_make_each_provider(name, http):
    translator = make_translator(name, env=PROVIDER_ENVS[name])
    try:
        assert isinstance(translator, ProviderTranslator)
        assert translator.name == name
        assert translator.timeout == 8.0 and translator.retries == 1 and translator.cooldown == 60.0
        assert len(http.calls) == 0  # nothing is contacted before the first message
    finally:
        translator._pool.shutdown()


@pytest.mark.parametrize(
    "name, needs",
    [
        ("deepl", "KEFU_DEEPL_API_KEY"),
        ("microsoft", "KEFU_MICROSOFT_API_KEY"),
        ("libre", "KEFU_LIBRE_URL"),
    ],
)
def test_make_provider_without_its_key(name, needs, monkeypatch):
    # The env passed in is what counts, not the process environment.
    monkeypatch.setenv(needs, "present-in-os-environ-but-not-passed")
    with pytest.raises(TranslatorError, match=needs) as caught:
        make_translator(name, env={})
    assert "needs" in str(caught.value)


def test_make_libre_error_explains_the_url():
    with pytest.raises(TranslatorError, match=r"KEFU_LIBRE_URL \(your server's address, e\.g\. http://localhost:5000/\)"):
        make_translator("libre", env={"KEFU_LIBRE_API_KEY": "key"})


def test_make_microsoft_error_mentions_the_region():
    with pytest.raises(TranslatorError, match="KEFU_MICROSOFT_REGION"):
        make_translator("microsoft", env={"KEFU_MICROSOFT_REGION": "westeurope"})


def test_make_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("KEFU_DEEPL_API_KEY", "from-environ")
    translator = make_translator("deepl")
    try:
        assert isinstance(translator, ProviderTranslator) and translator.name == "deepl"
    finally:
        translator._pool.shutdown()
    monkeypatch.delenv("KEFU_DEEPL_API_KEY")
    with pytest.raises(TranslatorError, match="KEFU_DEEPL_API_KEY"):
        make_translator("deepl")


async def test_make_table():
    translator = make_translator(f"table:{PINS}", env={})
    assert isinstance(translator, TableTranslator)
    assert translator.name == f"table:{PINS}"
    assert await translator.translate(WHERE_RU, "ru", "en") == WHERE_EN


async def test_make_table_then_google_chain(http, providers):
    http.get(GOOGLE_URL, body=google_page("Thank you very much", original="Большое спасибо"))
    translator = make_translator(f" table:{PINS} + google ", env={})
    try:
        assert isinstance(translator, ChainTranslator)
        assert translator.name == f"table:{PINS}+google"
        table, google = translator.translators
        assert isinstance(table, TableTranslator) and isinstance(google, ProviderTranslator) and google.name == "google"

        # A pinned phrase never reaches the provider.
        assert await translator.translate("где  МОЙ заказ?", "ru", "en") == WHERE_EN
        assert len(http.calls) == 0
        # Anything else does.
        assert await translator.translate("Большое спасибо", "ru", "en") == "Thank you very much"
        assert len(http.calls) == 1
        assert query(http.calls[0])["q"] == "Большое спасибо"
    finally:
        translator.translators[1]._pool.shutdown()


async def test_chain_returns_none_when_nobody_knows():
    chain = ChainTranslator([TableTranslator(PINS), NoTranslator()])
    assert chain.name == f"table:{PINS}+none"
    assert await chain.translate("Неизвестная фраза", "ru", "en") is None
    assert await chain.translate(WHERE_RU, "ru", "en") == WHERE_EN


@pytest.mark.parametrize("spec", ["bing", "Google", "table", f"table:{PINS}+yandex"])
def test_make_unknown_name_lists_valid_ones(spec):
    with pytest.raises(TranslatorError) as caught:
        make_translator(spec, env={})
    message = str(caught.value)
    assert "unknown translator" in message
    assert "none, google, deepl, microsoft, libre, mymemory, table:PATH" in message


def test_make_table_with_missing_file(tmp_path):
    with pytest.raises(TranslatorError, match="cannot read translation table"):
        make_translator(f"table:{tmp_path / 'nope.tsv'}+google", env={})


# -- TableTranslator -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, source, target, expected",
    [
        (WHERE_RU, "ru", "en", WHERE_EN),
        ("  где   МОЙ  ЗАКАЗ? ", "ru", "en", WHERE_EN),  # case and spaces ignored
        ("где мой\tзаказ?", "RU", "en-US", WHERE_EN),  # language codes by their base, any case
        ("¿dónde está mi PEDIDO?", "es", "en", WHERE_EN),  # a row written with "ES"
        ("where is my order?", "en", "ru", WHERE_RU),
        ("Thank you for your order", "en", "zh-cn", "感谢您的订单"),
        ("Где мой заказ", "ru", "en", None),  # no question mark: not the pinned phrase
        (WHERE_RU, "ru", "de", None),  # no row for this pair
    ],
)
async def test_table_lookup(text, source, target, expected):
    assert await TableTranslator(PINS).translate(text, source, target) == expected


async def test_table_same_language_returns_text():
    table = TableTranslator(PINS)
    assert await table.translate("  not in the table  ", "en", "en") == "  not in the table  "
    assert await table.translate(WHERE_EN, "en-GB", "en-US") == WHERE_EN


def test_table_skips_comments_and_blank_lines():
    table = TableTranslator(PINS)
    assert len(table.rows) == 4
    assert ("ru", "en", "где мой заказ?") in table.rows


def test_table_row_with_three_fields_names_file_and_line():
    with pytest.raises(TranslatorError) as caught:
        TableTranslator(BROKEN)
    assert str(caught.value) == f"{BROKEN}:3: expected 4 tab-separated fields, got 3"


def test_table_missing_file(tmp_path):
    missing = tmp_path / "missing.tsv"
    with pytest.raises(TranslatorError) as caught:
        TableTranslator(missing)
    assert str(caught.value) == f"cannot read translation table {missing}: No such file or directory"


def test_table_not_utf8(tmp_path):
    latin1 = tmp_path / "latin1.tsv"
    latin1.write_bytes("es\ten\t¿Dónde está mi pedido?\tWhere is my order?\n".encode("latin-1"))
    with pytest.raises(TranslatorError, match="not UTF-8 text"):
        TableTranslator(latin1)


async def test_table_keeps_simplified_and_traditional_apart(tmp_path):
    pins = tmp_path / "zh.tsv"
    pins.write_text("en\tzh-cn\tThank you\t谢谢\nen\tzh-tw\tThank you\t謝謝\n", encoding="utf-8")
    table = TableTranslator(pins)
    assert await table.translate("Thank you", "en", "zh-cn") == "谢谢"
    assert await table.translate("Thank you", "en", "zh-tw") == "謝謝"


# -- Google through deep-translator ------------------------------------------------------------


async def test_google_success(http, providers):
    http.get(GOOGLE_URL, body=google_page(WHERE_EN), content_type="text/html; charset=UTF-8")
    google = providers("google")
    assert await google.translate(f"  {WHERE_RU} ", "ru", "en") == WHERE_EN
    assert len(http.calls) == 1
    call = http.calls[0]
    assert call.request.method == "GET"
    assert endpoint(call) == GOOGLE_URL
    assert query(call) == {"tl": "en", "sl": "ru", "q": WHERE_RU}  # deep-translator strips the text


@pytest.mark.parametrize(
    "source, target, sl, tl",
    [("zh-cn", "en", "zh-CN", "en"), ("zh-tw", "en", "zh-TW", "en"), ("en", "he", "en", "iw")],
)
async def test_google_language_codes(http, providers, source, target, sl, tl):
    http.get(GOOGLE_URL, body=google_page("translated"))
    assert await providers("google").translate("some text", source, target) == "translated"
    assert (query(http.calls[0])["sl"], query(http.calls[0])["tl"]) == (sl, tl)


async def test_google_same_language_makes_no_request(http, providers):
    assert await providers("google").translate(WHERE_EN, "en-GB", "en") == WHERE_EN
    assert len(http.calls) == 0


async def test_google_429_retries_once_then_cools_down(http, providers, fake_monotonic, caplog):
    http.get(GOOGLE_URL, status=429, body="<html><body>Our systems have detected unusual traffic</body></html>")
    google = providers("google")
    with caplog.at_level(logging.WARNING, logger="bot.language.translate"):
        assert await google.translate(WHERE_RU, "ru", "en") is None
    assert len(http.calls) == 2  # the call and one retry
    assert "TooManyRequests" in caplog.text and "attempt 2" in caplog.text

    # During the cooldown the provider is not contacted at all.
    fake_monotonic[0] += 59
    assert await google.translate(WHERE_RU, "ru", "en") is None
    assert await google.translate("Спасибо", "ru", "en") is None
    assert len(http.calls) == 2

    # Once the cooldown is over, it is tried again.
    fake_monotonic[0] += 2
    http.replace(responses.GET, GOOGLE_URL, body=google_page(WHERE_EN))
    assert await google.translate(WHERE_RU, "ru", "en") == WHERE_EN
    assert len(http.calls) == 3


async def test_google_connect_timeout(http, providers):
    attempts = []

    def refuse(request):
        attempts.append(request.url)
        raise requests.exceptions.ConnectTimeout("connect timed out")

    http.add_callback(responses.GET, GOOGLE_URL, callback=refuse)
    google = providers("google", timeout=0.2)
    started = time.perf_counter()
    assert await google.translate(WHERE_RU, "ru", "en") is None
    assert time.perf_counter() - started < 1.0
    assert len(attempts) == 2
    assert await google.translate(WHERE_RU, "ru", "en") is None  # cooling down
    assert len(attempts) == 2


async def test_google_slow_answer_is_abandoned(http, providers, caplog):
    release = threading.Event()
    attempts = []

    def slow(request):
        attempts.append(request.url)
        release.wait(5)  # much longer than the translator waits
        return 200, {"Content-Type": "text/html"}, google_page(WHERE_EN)

    http.add_callback(responses.GET, GOOGLE_URL, callback=slow)
    google = providers("google", timeout=0.2)
    try:
        started = time.perf_counter()
        with caplog.at_level(logging.WARNING, logger="bot.language.translate"):
            assert await google.translate(WHERE_RU, "ru", "en") is None
        elapsed = time.perf_counter() - started
        assert 0.35 < elapsed < 1.5  # two attempts of 0.2 s each, not 5 s
        assert len(attempts) == 2
        assert caplog.text.count("timed out") == 2
    finally:
        release.set()  # let the abandoned threads finish before the pool is shut down


async def test_google_page_without_result_is_none(http, providers):
    http.get(GOOGLE_URL, body=google_page(None))
    google = providers("google")
    assert await google.translate(WHERE_RU, "ru", "en") is None
    assert len(http.calls) == 2


async def test_google_server_error_is_none(http, providers):
    http.get(GOOGLE_URL, status=503, body="Service Unavailable")
    assert await providers("google", cooldown=0).translate(WHERE_RU, "ru", "en") is None
    assert len(http.calls) == 2


# -- DeepL, Microsoft, LibreTranslate, MyMemory ---------------------------------------------------


async def test_deepl_free_key(http, providers):
    http.post(DEEPL_FREE_URL, json={"translations": [{"detected_source_language": "ZH", "text": WHERE_EN}]})
    deepl = providers("deepl", {"KEFU_DEEPL_API_KEY": "0f1e2d3c-4b5a:fx"})
    assert await deepl.translate(WHERE_ZH, "zh-cn", "en") == WHERE_EN
    assert len(http.calls) == 1
    call = http.calls[0]
    assert call.request.method == "POST"
    assert endpoint(call) == DEEPL_FREE_URL  # a ":fx" key means the free API host
    assert call.request.headers["Authorization"] == "DeepL-Auth-Key 0f1e2d3c-4b5a:fx"
    assert parse_qs(call.request.body) == {"source_lang": ["zh"], "target_lang": ["en"], "text": [WHERE_ZH]}


async def test_deepl_pro_key(http, providers):
    http.post(DEEPL_PRO_URL, json={"translations": [{"detected_source_language": "RU", "text": WHERE_EN}]})
    deepl = providers("deepl", {"KEFU_DEEPL_API_KEY": "pro-key-123"})
    assert await deepl.translate(WHERE_RU, "ru", "en") == WHERE_EN
    call = http.calls[0]
    assert endpoint(call) == DEEPL_PRO_URL
    assert call.request.headers["Authorization"] == "DeepL-Auth-Key pro-key-123"
    assert parse_qs(call.request.body)["source_lang"] == ["ru"]


async def test_deepl_forbidden_is_none(http, providers):
    http.post(DEEPL_PRO_URL, status=403, json={"message": "Forbidden"})
    assert await providers("deepl", {"KEFU_DEEPL_API_KEY": "bad"}).translate(WHERE_RU, "ru", "en") is None
    assert len(http.calls) == 2


async def test_deepl_sends_key_in_authorization_header(http, providers):
    http.add(responses.POST, DEEPL_PRO_URL, json={"translations": [{"detected_source_language": "RU", "text": WHERE_EN}]})
    assert await providers("deepl", {"KEFU_DEEPL_API_KEY": "pro-key-123"}).translate(WHERE_RU, "ru", "en") == WHERE_EN
    call = http.calls[-1]
    assert call.request.headers.get("Authorization") == "DeepL-Auth-Key pro-key-123"
    assert "pro-key-123" not in call.request.url


async def test_unsupported_language_does_not_cool_the_provider_down(http, providers):
    http.post(DEEPL_PRO_URL, json={"translations": [{"detected_source_language": "RU", "text": WHERE_EN}]})
    deepl = providers("deepl", {"KEFU_DEEPL_API_KEY": "pro-key-123"})
    assert await deepl.translate("주문이 어디에 있나요?", "ko", "en") is None  # not in deep-translator's DeepL list
    assert len(http.calls) == 0
    assert await deepl.translate(WHERE_RU, "ru", "en") == WHERE_EN


async def test_microsoft(http, providers):
    http.get(MICROSOFT_LANGUAGES_URL, json=MICROSOFT_LANGUAGES)
    http.post(MICROSOFT_URL, json=[{"translations": [{"text": WHERE_EN, "to": "en"}]}])
    microsoft = providers("microsoft", {"KEFU_MICROSOFT_API_KEY": "ms-secret", "KEFU_MICROSOFT_REGION": "westeurope"})
    assert await microsoft.translate(WHERE_RU, "ru", "en") == WHERE_EN

    # deep-translator fetches the language list when a client is built, then translates.
    assert [(c.request.method, endpoint(c)) for c in http.calls] == [("GET", MICROSOFT_LANGUAGES_URL), ("POST", MICROSOFT_URL)]
    assert query(http.calls[0])["api-version"] == "3.0"
    call = http.calls[1]
    assert query(call) == {"api-version": "3.0", "from": "ru", "to": "en"}
    assert call.request.headers["Ocp-Apim-Subscription-Key"] == "ms-secret"
    assert call.request.headers["Ocp-Apim-Subscription-Region"] == "westeurope"
    assert json.loads(call.request.body) == [{"text": WHERE_RU}]

    # The client for a language pair is built once: the next message is one request.
    assert await microsoft.translate("Спасибо", "ru", "en") == WHERE_EN
    assert [c.request.method for c in http.calls] == ["GET", "POST", "POST"]


async def test_microsoft_without_region_sends_no_region_header(http, providers):
    http.get(MICROSOFT_LANGUAGES_URL, json=MICROSOFT_LANGUAGES)
    http.post(MICROSOFT_URL, json=[{"translations": [{"text": "איפה ההזמנה שלי?", "to": "he"}]}])
    microsoft = providers("microsoft", {"KEFU_MICROSOFT_API_KEY": "ms-secret"})
    assert await microsoft.translate(WHERE_EN, "en", "he") == "איפה ההזמנה שלי?"
    call = http.calls[-1]
    assert "Ocp-Apim-Subscription-Region" not in call.request.headers
    assert (query(call)["from"], query(call)["to"]) == ("en", "he")


async def test_microsoft_error_is_none(http, providers):
    http.get(MICROSOFT_LANGUAGES_URL, json=MICROSOFT_LANGUAGES)
    http.post(MICROSOFT_URL, status=401, json={"error": {"code": 401000, "message": "The request is not authorized"}})
    microsoft = providers("microsoft", {"KEFU_MICROSOFT_API_KEY": "wrong"})
    assert await microsoft.translate(WHERE_RU, "ru", "en") is None


async def test_microsoft_simplified_chinese(http, providers):
    http.get(MICROSOFT_LANGUAGES_URL, json=MICROSOFT_LANGUAGES)
    http.post(MICROSOFT_URL, json=[{"translations": [{"text": WHERE_EN, "to": "en"}]}])
    microsoft = providers("microsoft", {"KEFU_MICROSOFT_API_KEY": "ms-secret"})
    assert await microsoft.translate(WHERE_ZH, "zh-cn", "en") == WHERE_EN
    assert query(http.calls[-1])["from"].lower() == "zh-hans"


async def test_libre_custom_url(http, providers):
    http.post("http://libre.internal:5000/translate", json={"translatedText": WHERE_ZH})
    libre = providers("libre", {"KEFU_LIBRE_URL": "http://libre.internal:5000"})  # no trailing slash
    assert await libre.translate(WHERE_EN, "en", "zh-cn") == WHERE_ZH
    assert len(http.calls) == 1
    call = http.calls[0]
    assert call.request.method == "POST"
    assert endpoint(call) == "http://libre.internal:5000/translate"
    # A server without keys ignores the placeholder deep-translator insists on.
    assert query(call) == {"q": WHERE_EN, "source": "en", "target": "zh", "format": "text", "api_key": "no-key"}


async def test_libre_with_api_key(http, providers):
    http.post("https://libre.example.org/translate", json={"translatedText": WHERE_EN})
    libre = providers("libre", {"KEFU_LIBRE_URL": "https://libre.example.org/", "KEFU_LIBRE_API_KEY": "lt-key"})
    assert await libre.translate(WHERE_RU, "ru", "en") == WHERE_EN
    assert query(http.calls[0])["api_key"] == "lt-key"
    assert endpoint(http.calls[0]) == "https://libre.example.org/translate"


async def test_mymemory(http, providers):
    http.get(MYMEMORY_URL, json=mymemory_answer("zh-CN", "en-GB", WHERE_ZH, WHERE_EN))
    mymemory = providers("mymemory", {"KEFU_MYMEMORY_EMAIL": "shop@example.com"})
    assert await mymemory.translate(WHERE_ZH, "zh-cn", "en") == WHERE_EN
    assert len(http.calls) == 1
    call = http.calls[0]
    assert call.request.method == "GET"
    assert endpoint(call) == MYMEMORY_URL
    assert query(call) == {"langpair": "zh-CN|en-GB", "q": WHERE_ZH, "de": "shop@example.com"}


async def test_mymemory_without_email(http, providers):
    http.get(MYMEMORY_URL, json=mymemory_answer("en-GB", "zh-TW", WHERE_EN, "我的訂單在哪裡？"))
    assert await providers("mymemory").translate(WHERE_EN, "en", "zh-tw") == "我的訂單在哪裡？"
    assert query(http.calls[0]) == {"langpair": "en-GB|zh-TW", "q": WHERE_EN}


async def test_mymemory_russian(http, providers):
    http.get(MYMEMORY_URL, json=mymemory_answer("ru-RU", "en-GB", WHERE_RU, WHERE_EN))
    assert await providers("mymemory").translate(WHERE_RU, "ru", "en") == WHERE_EN
    assert query(http.calls[0])["langpair"] == "ru-RU|en-GB"


# -- MemoryTranslator over the store ---------------------------------------------------------------


async def test_memory_sends_a_text_to_the_provider_once(db_url, clock, http, providers):
    http.get(GOOGLE_URL, body=google_page(WHERE_EN))
    store = await Store.open(db_url)
    try:
        memory = MemoryTranslator(providers("google"), store, clock)
        assert memory.name == "google"
        assert await memory.translate(WHERE_RU, "ru", "en") == WHERE_EN
        assert await memory.translate(WHERE_RU, "ru", "en") == WHERE_EN
        assert len(http.calls) == 1

        async with store.session() as session:
            rows = (await session.scalars(select(TranslationMemory))).all()
        assert [(r.source_lang, r.target_lang, r.source, r.translation, r.provider) for r in rows] == [
            ("ru", "en", WHERE_RU, WHERE_EN, "google")
        ]
        assert rows[0].created_at == clock()
    finally:
        await store.close()

    # The memory survives reopening the store: a new bot process does not ask again.
    store = await Store.open(db_url)
    try:
        memory = MemoryTranslator(providers("google"), store, clock)
        assert await memory.translate(WHERE_RU, "ru-RU", "en") == WHERE_EN
        assert len(http.calls) == 1
        # Another text, or the same text towards another language, is new.
        http.replace(responses.GET, GOOGLE_URL, body=google_page("Wo ist meine Bestellung?"))
        assert await memory.translate(WHERE_RU, "ru", "de") == "Wo ist meine Bestellung?"
        assert len(http.calls) == 2
    finally:
        await store.close()


async def test_memory_does_not_remember_failures(db_url, clock, http, providers):
    http.get(GOOGLE_URL, status=500, body="Internal Server Error")
    store = await Store.open(db_url)
    try:
        memory = MemoryTranslator(providers("google", cooldown=0), store, clock)
        assert await memory.translate(WHERE_RU, "ru", "en") is None
        assert await store.remembered("ru", "en", WHERE_RU) is None
        http.replace(responses.GET, GOOGLE_URL, body=google_page(WHERE_EN))
        assert await memory.translate(WHERE_RU, "ru", "en") == WHERE_EN
        assert len(http.calls) == 3  # two failed attempts, then the answer
        assert await store.remembered("ru", "en", WHERE_RU) == WHERE_EN
    finally:
        await store.close()


async def test_memory_same_language_touches_nothing(tmp_path, clock, http, providers):
    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    try:
        memory = MemoryTranslator(providers("google"), store, clock)
        assert await memory.translate(WHERE_EN, "en", "en-US") == WHERE_EN
        assert len(http.calls) == 0
        assert await store.remembered("en", "en", WHERE_EN) is None
    finally:
        await store.close()


async def test_memory_keeps_simplified_and_traditional_apart(tmp_path, clock, http, providers):
    http.get(GOOGLE_URL, body=google_page("谢谢"))
    store = await Store.open(f"sqlite:///{tmp_path / 'kefu.db'}")
    try:
        memory = MemoryTranslator(providers("google"), store, clock)
        assert await memory.translate("Thank you", "en", "zh-cn") == "谢谢"
        http.replace(responses.GET, GOOGLE_URL, body=google_page("謝謝"))
        assert await memory.translate("Thank you", "en", "zh-tw") == "謝謝"
    finally:
        await store.close()
