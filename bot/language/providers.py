"""The translation services, reached with deep-translator's clients over one `requests` session with timeouts.

deep-translator 1.11.4 checks language codes and knows each service's address,
but every one of its calls is a bare `requests.get`/`post` with no timeout
(Microsoft's even fetches its language list that way when a client is built):
a server that accepts and never answers holds the calling thread forever. So
each client here keeps deep-translator's constructor and replaces the call
itself with the same request made through the translator's session, with a
timeout that ends it. The requests sent are those deep-translator sends.
"""

from __future__ import annotations

from typing import Any, Callable

import requests

# Environment variables holding each provider's settings.
PROVIDER_ENV = {
    "deepl": {"api_key": "KEFU_DEEPL_API_KEY"},
    "microsoft": {"api_key": "KEFU_MICROSOFT_API_KEY", "region": "KEFU_MICROSOFT_REGION"},
    "libre": {"base_url": "KEFU_LIBRE_URL", "api_key": "KEFU_LIBRE_API_KEY"},
    "mymemory": {"email": "KEFU_MYMEMORY_EMAIL"},
}
# deep-translator spells some languages its own way.
PROVIDER_CODES = {
    "google": {"zh-cn": "zh-CN", "zh-tw": "zh-TW", "he": "iw"},
    "deepl": {"zh-cn": "zh", "zh-tw": "zh", "pt": "pt"},
    "microsoft": {"zh-cn": "zh-hans", "zh-tw": "zh-hant"},  # deep-translator lower-cases Microsoft's codes
    "libre": {"zh-cn": "zh", "zh-tw": "zh"},
    # MyMemory wants locales.
    "mymemory": {
        "en": "en-GB", "zh-cn": "zh-CN", "zh-tw": "zh-TW", "es": "es-ES", "ru": "ru-RU", "pt": "pt-PT", "fr": "fr-FR",
        "de": "de-DE", "it": "it-IT", "pl": "pl-PL", "tr": "tr-TR", "ar": "ar-SA", "ja": "ja-JP", "ko": "ko-KR",
        "uk": "uk-UA", "he": "he-IL", "nl": "nl-NL", "cs": "cs-CZ", "ro": "ro-RO", "vi": "vi-VN", "th": "th-TH",
        "id": "id-ID", "sv": "sv-SE", "el": "el-GR", "hi": "hi-IN", "fa": "fa-IR", "bg": "bg-BG", "sk": "sk-SK",
        "hu": "hu-HU", "da": "da-DK", "fi": "fi-FI", "no": "nb-NO",
    },
}
MICROSOFT_LANGUAGES_URL = "https://api.cognitive.microsofttranslator.com/languages"

# A client: built once per language pair (it may call the service to check the pair),
# then `client.translate(text, timeout=seconds)` from any thread.
MakeClient = Callable[[str, str, requests.Session, float], Any]


class ProviderConfigError(Exception):
    """A provider's settings are missing (the message names the environment variable)."""


def provider_factory(name: str, env: dict[str, str]) -> MakeClient:
    """A function (source, target, session, timeout) -> a client, with keys from `env`."""
    settings = {key: env.get(var) for key, var in PROVIDER_ENV.get(name, {}).items()}
    if name == "deepl" and not settings["api_key"]:
        raise ProviderConfigError("the DeepL translator needs KEFU_DEEPL_API_KEY")
    if name == "microsoft" and not settings["api_key"]:
        raise ProviderConfigError("the Microsoft translator needs KEFU_MICROSOFT_API_KEY (and KEFU_MICROSOFT_REGION)")
    if name == "libre" and not settings["base_url"]:
        raise ProviderConfigError("the LibreTranslate translator needs KEFU_LIBRE_URL (your server's address, e.g. http://localhost:5000/)")
    codes = PROVIDER_CODES.get(name, {})

    def make(source: str, target: str, session: requests.Session, timeout: float) -> Any:
        src, tgt = codes.get(source, source), codes.get(target, target)
        classes = _clients()
        if name == "google":
            client = classes["google"](source=src, target=tgt)
        elif name == "deepl":
            free = settings["api_key"].endswith(":fx")
            client = classes["deepl"](api_key=settings["api_key"], source=src, target=tgt, use_free_api=free)
        elif name == "microsoft":
            client = classes["microsoft"](
                session=session, timeout=timeout, api_key=settings["api_key"], region=settings["region"], source=src, target=tgt
            )
        elif name == "libre":
            # deep-translator insists on a key; a server run without keys ignores it.
            url = settings["base_url"].rstrip("/") + "/"
            client = classes["libre"](source=src, target=tgt, custom_url=url, api_key=settings["api_key"] or "no-key")
        else:
            client = classes["mymemory"](source=src, target=tgt, email=settings["email"])
        client.session = session
        return client

    return make


_CLASSES: dict[str, type] = {}


def _clients() -> dict[str, type]:
    """deep-translator's clients, each making its one request through `self.session` with a timeout."""
    if _CLASSES:
        return _CLASSES
    import deep_translator as dt
    from bs4 import BeautifulSoup
    from deep_translator.exceptions import (
        AuthorizationException, MicrosoftAPIerror, RequestError, ServerException, TooManyRequests, TranslationNotFound,
    )

    def checked(response: requests.Response) -> requests.Response:
        if response.status_code == 429:
            raise TooManyRequests()
        if response.status_code == 403:
            raise AuthorizationException("(the key in the environment)")
        if not 200 <= response.status_code < 300:
            raise ServerException(response.status_code) if response.status_code >= 500 else RequestError()
        return response

    class Google(dt.GoogleTranslator):
        """The result page of translate.google.com/m: the translation is div.t0 or div.result-container."""

        def translate(self, text: str, timeout: float | None = None, **_: Any) -> str:
            text = text.strip()
            if self._same_source_target() or not text:
                return text
            params = {"tl": self._target, "sl": self._source, "q": text}
            response = checked(self.session.get(self._base_url, params=params, timeout=timeout))
            soup = BeautifulSoup(response.text, "html.parser")
            element = soup.find("div", {"class": "t0"}) or soup.find("div", {"class": "result-container"})
            if not element:
                raise TranslationNotFound(text)
            return element.get_text(strip=True)

    class Deepl(dt.DeeplTranslator):
        """DeepL wants the key in the Authorization header since 2026 (deep-translator sends it in the query)."""

        def translate(self, text: str, timeout: float | None = None, **_: Any) -> str:
            if self._same_source_target() or not text.strip():
                return text
            response = checked(self.session.post(
                self._base_url + "translate",
                headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"},
                data={"source_lang": self._source, "target_lang": self._target, "text": text},
                timeout=timeout,
            ))
            translations = (response.json() or {}).get("translations")
            if not translations:
                raise TranslationNotFound(text)
            return translations[0]["text"]

    class Microsoft(dt.MicrosoftTranslator):
        """Fetches the language list (once, when built) and translates through the session."""

        def __init__(self, *, session: requests.Session, timeout: float, **kwargs: Any) -> None:
            self.session, self._timeout = session, timeout
            super().__init__(**kwargs)

        def _get_supported_languages(self) -> dict[str, str]:
            params = {"api-version": "3.0", "scope": "translation"}
            response = checked(self.session.get(MICROSOFT_LANGUAGES_URL, params=params, timeout=self._timeout))
            listed = response.json()["translation"]
            return {listed[code]["name"].lower(): code.lower() for code in listed}

        def translate(self, text: str, timeout: float | None = None, **_: Any) -> str:
            response = self.session.post(
                self._base_url, params={"from": self._source, "to": self._target},
                headers=self.headers, json=[{"text": text}], timeout=timeout,
            )
            body = response.json()
            if isinstance(body, dict):  # Microsoft's errors come as {"error": {...}}
                raise MicrosoftAPIerror(body.get("error"))
            return "\n".join(t["text"] for t in body[0]["translations"])

    class Libre(dt.LibreTranslator):
        def translate(self, text: str, timeout: float | None = None, **_: Any) -> str:
            if self._same_source_target() or not text.strip():
                return text
            params = {"q": text, "source": self._source, "target": self._target, "format": "text"}
            if self.api_key:
                params["api_key"] = self.api_key
            response = checked(self.session.post(self._base_url + "translate", params=params, timeout=timeout))
            answer = response.json()
            if not answer:
                raise TranslationNotFound(text)
            return answer["translatedText"]

    class MyMemory(dt.MyMemoryTranslator):
        def translate(self, text: str, timeout: float | None = None, **_: Any) -> str:
            text = text.strip()
            if self._same_source_target() or not text:
                return text
            params = {"langpair": f"{self._source}|{self._target}", "q": text}
            if self.email:
                params["de"] = self.email
            data = checked(self.session.get(self._base_url, params=params, timeout=timeout)).json() or {}
            translation = (data.get("responseData") or {}).get("translatedText")
            matches = [m.get("translation") for m in data.get("matches") or [] if m.get("translation")]
            if translation or matches:
                return translation or matches[0]
            raise TranslationNotFound(text)

    _CLASSES.update(google=Google, deepl=Deepl, microsoft=Microsoft, libre=Libre, mymemory=MyMemory)
    return _CLASSES
