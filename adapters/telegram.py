"""Telegram: python-telegram-bot updates in, plain-text messages out.

Buyers write to the bot in private chats. Long polling needs nothing but the
token; webhook mode serves Telegram's POSTs from our own uvicorn server and
checks the secret token Telegram echoes in `X-Telegram-Bot-Api-Secret-Token`.
Answers go out as plain text (no parse_mode), so nothing needs escaping, and
`split` cuts them at Telegram's 4096 UTF-16 units. Sends wait for their slot
(adapters/telegram_send.py) and never retry by themselves: a refusal is
raised as `RetryLater` or `Unreachable` for the outbox. Before reporting
ready the token is checked (getMe). The adapter holds PTB's `Application`;
it never subclasses the SDK.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import BotCommand, Update
from telegram.constants import ChatType
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, BaseUpdateProcessor, CommandHandler, ContextTypes, MessageHandler, filters

from adapters import env as envvars
from adapters.asgi import AsgiServer
from adapters.base import Channel, Handler, SendError
from adapters.chunks import split_text, utf16_units
from adapters.telegram_send import SEND_FAILURES, Pace, pacer_for, refusals
from adapters.ordering import KeyedLocks
from bot.message import Kind, Message, Style

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_UNITS = 4096  # Telegram's limit for one message, in UTF-16 code units
DOWNLOAD_SECONDS = 20.0  # a buyer's photo or file: downloaded before the message is stored, at most this long
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]  # callback queries: the agent desk's buttons; edits, reactions: not for the bot
MODES = ("polling", "webhook")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
# Commands become what a buyer would have typed, so the pipeline treats them like any message.
COMMAND_TEXT = {"start": "hello", "human": "I want to talk to a human agent"}
MENU = [BotCommand("help", "What I can help with"), BotCommand("human", "Talk to a person")]

# /help sends the answers' own help message, which the core owns: the wiring passes a
# `help_text(language)` in. Routed as a question instead ("what can you help me with"),
# it matches no intent and the buyer would be handed to a person; so without one,
# /help greets like /start, which at least invites the question.
HelpText = Callable[[str | None], Awaitable[str]]


class TokenRejected(envvars.CredentialsRejected):
    """Telegram refused the bot token. PTB's own error quotes the token; this one never does."""


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(repr=False)
    mode: str = "polling"
    webhook_url: str | None = None  # the public https URL Telegram posts to
    secret_token: str | None = field(default=None, repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443
    base_url: str = "https://api.telegram.org/bot"
    pace: Pace = Pace()
    attachment_folder: str = "telegram-attachments"  # photos and files buyers send, kept for agents
    attachment_max_bytes: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.token:
            raise envvars.SettingsError("KEFU_TELEGRAM_TOKEN is empty: set it to the token @BotFather gave you")
        envvars.choice(self.mode, "KEFU_TELEGRAM_MODE", MODES)
        envvars.check_port(self.port, "KEFU_TELEGRAM_PORT")
        if self.mode == "webhook":
            if not self.webhook_url:
                raise envvars.SettingsError("webhook mode needs KEFU_TELEGRAM_WEBHOOK_URL (the public https URL)")
            if not self.secret_token:
                raise envvars.SettingsError("webhook mode needs KEFU_TELEGRAM_SECRET, so strangers cannot post updates")
            if not _SECRET.fullmatch(self.secret_token):
                raise envvars.SettingsError("KEFU_TELEGRAM_SECRET may use only A-Z, a-z, 0-9, _ and - (1-256 characters)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramSettings:
        env = os.environ if env is None else env
        defaults = cls.__dataclass_fields__
        return cls(
            token=envvars.text(env, "KEFU_TELEGRAM_TOKEN") or "",
            mode=envvars.text(env, "KEFU_TELEGRAM_MODE") or defaults["mode"].default,
            webhook_url=envvars.text(env, "KEFU_TELEGRAM_WEBHOOK_URL"),
            secret_token=envvars.text(env, "KEFU_TELEGRAM_SECRET"),
            listen=envvars.text(env, "KEFU_TELEGRAM_LISTEN") or defaults["listen"].default,
            port=envvars.number(env, "KEFU_TELEGRAM_PORT", defaults["port"].default),
            base_url=envvars.text(env, "KEFU_TELEGRAM_API_URL") or defaults["base_url"].default,
            pace=Pace.from_env(env),
            attachment_folder=envvars.text(env, "KEFU_TELEGRAM_ATTACHMENT_FOLDER") or defaults["attachment_folder"].default,
        )

    @property
    def webhook_path(self) -> str:
        """The path Telegram posts to: the webhook URL's path, as a reverse proxy passes it on."""
        return urlsplit(self.webhook_url or "").path or "/telegram"

    @property
    def base_file_url(self) -> str:
        base = self.base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"


def to_message(update: Update, text: str | None = None) -> Message | None:
    """The buyer's message in a private chat, or None for anything the bot does not answer.

    `text` replaces what was typed (commands become plain requests).
    """
    msg = update.message
    if msg is None or msg.chat.type != ChatType.PRIVATE:
        return None
    kind = Kind.TEXT if text is not None else _kind(msg)
    if kind is None:
        return None
    user = msg.from_user
    return Message(
        channel=CHANNEL, conversation=str(msg.chat_id), sender=str(user.id if user else msg.chat_id),
        text=text if text is not None else (msg.text or msg.caption or ""), received_at=msg.date, kind=kind,
        sender_name=user.full_name if user else None, language_hint=user.language_code if user else None,
        external_id=f"{msg.chat_id}:{msg.message_id}", raw=update.to_dict(),
    )


def _kind(msg: Any) -> Kind | None:
    if msg.text is not None:
        return Kind.TEXT
    if msg.photo:
        return Kind.PHOTO
    if msg.sticker:
        return Kind.STICKER
    if msg.voice or msg.audio or msg.video_note:
        return Kind.VOICE
    if msg.document:
        return Kind.FILE
    if msg.effective_attachment is not None:  # video, location, contact, poll…
        return Kind.OTHER
    return None  # a service message (pinned, chat settings…): nobody said anything


class _PerChat(BaseUpdateProcessor):
    """Chats are served in parallel (a slow translation for one buyer stalls no one else), each chat in order."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        async with self._locks(chat.id):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


class _RedactTokens(logging.Filter):
    """Telegram's URLs contain the token, and httpx (INFO) and PTB's bot (DEBUG) log URLs."""

    LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(token in message for token in self.tokens):
            for token in self.tokens:
                message = message.replace(token, "<token>")
            record.msg, record.args = message, None
        return True


redact = _RedactTokens()


class TelegramChannel(Channel):
    name = CHANNEL
    style = Style.CHAT

    def __init__(self, handle: Handler, settings: TelegramSettings, *, help_text: HelpText | None = None) -> None:
        super().__init__(handle)
        redact.tokens.add(settings.token)  # before PTB builds its bot, which logs its URL
        self.settings = settings
        self.help_text = help_text
        self.application = self._build_application()
        self.pacer = pacer_for(settings.token, settings.pace)
        self.ready = asyncio.Event()  # set once updates can arrive
        self.server: AsgiServer | None = None
        self._failed: set[int] = set()  # webhook updates whose handling failed (answered 500)
        self.leader_only = settings.mode != "webhook"  # one poller per bot, or Telegram answers 409

    def _build_application(self) -> Application:
        s = self.settings
        builder = Application.builder().token(s.token).base_url(s.base_url).base_file_url(s.base_file_url)
        builder = builder.concurrent_updates(_PerChat())
        if s.mode == "webhook":
            builder = builder.updater(None)  # our own server feeds update_queue
        application = builder.build()
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        application.add_handler(CommandHandler("help", self._on_help, filters=private))
        application.add_handler(CommandHandler(list(COMMAND_TEXT), self._on_command, filters=private))
        application.add_handler(MessageHandler(private, self._on_message))
        application.add_error_handler(self._on_error)
        return application

    # ---- serving -----------------------------------------------------------------------------
    async def serve(self) -> None:
        try:
            await self.application.initialize()
        except BaseException as exc:
            await self.application.bot.shutdown()  # its HTTP client opened before the token was checked
            if isinstance(exc, InvalidToken):
                raise TokenRejected("Telegram rejected the bot token: check KEFU_TELEGRAM_TOKEN with @BotFather") from None
            raise
        try:
            await self.application.start()
            await self._set_menu()
            if self.settings.mode == "webhook":
                await self._serve_webhook()
            else:
                await self._serve_polling()
        finally:
            self.ready.clear()
            if self.application.updater and self.application.updater.running:
                await self.application.updater.stop()
            if self.application.running:
                await self.application.stop()
            await self.application.shutdown()

    async def _serve_polling(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        log.info("telegram: polling for updates")
        self.ready.set()
        await asyncio.Future()  # until cancelled

    async def _serve_webhook(self) -> None:
        s = self.settings
        routes = [Route(s.webhook_path, self._on_webhook, methods=["POST"])]
        self.server = AsgiServer(Starlette(routes=routes), s.listen, s.port, "telegram webhook")
        self.server.bind()  # listening before Telegram is told where to post
        await self.application.bot.set_webhook(
            url=s.webhook_url, secret_token=s.secret_token, allowed_updates=ALLOWED_UPDATES
        )
        self.ready.set()
        await self.server.serve()

    async def _set_menu(self) -> None:
        try:
            await self.application.bot.set_my_commands(MENU)
        except TelegramError as exc:  # a missing menu is cosmetic; never a reason not to serve
            log.warning("telegram: could not set the command menu (%s)", exc)

    async def _on_webhook(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), (self.settings.secret_token or "").encode()):
            log.warning("telegram webhook: refused a request without the right secret token (from %s)", _peer(request))
            return Response(status_code=403)
        body = await request.body()
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except Exception as exc:  # noqa: BLE001 - whatever was posted, the server keeps serving
            log.warning("telegram webhook: ignored a malformed update (%s: %s)", type(exc).__name__, exc)
            await self.rejected(body.decode("utf-8", "replace"), f"malformed update: {type(exc).__name__}: {exc}")
            return Response(status_code=400)
        # Answered only once the update is stored: a failure answers 500 and Telegram delivers it again.
        self._failed.discard(update.update_id)
        await self.application.process_update(update)
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return Response(status_code=500)
        return Response(status_code=200)

    # ---- updates → pipeline → replies --------------------------------------------------------
    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = to_message(update)
        if message is not None:
            await self._answer(await self._with_files(update, message))

    async def _with_files(self, update: Update, message: Message) -> Message:
        """A photo or a document is downloaded and kept for the agents (raw["attachments"], as e-mail's);
        one that cannot be had is listed with the reason, and the message goes on all the same."""
        msg = update.message
        found = msg.photo[-1] if msg.photo else msg.document  # the largest size of a photo
        if found is None:
            return message
        from adapters.email.files import AttachmentStore
        from adapters.email.parse import Attachment

        name = getattr(found, "file_name", None) or "photo.jpg"
        kind = getattr(found, "mime_type", None) or "image/jpeg"
        size = found.file_size or 0
        files = AttachmentStore(self.settings.attachment_folder, self.settings.attachment_max_bytes)
        if size > self.settings.attachment_max_bytes:
            kept = files.keep([Attachment(name, kind, size)])  # listed as too large, not downloaded
        else:
            try:
                data = bytes(await asyncio.wait_for((await found.get_file()).download_as_bytearray(), DOWNLOAD_SECONDS))
                kept = files.keep([Attachment(name, kind, len(data), data)])
            except (TelegramError, OSError, asyncio.TimeoutError) as exc:
                log.warning("telegram: could not download a file from chat %s: %s", message.conversation, exc)
                kept = [{"filename": name, "content_type": kind, "size": size, "not_stored": f"could not download it: {exc}"}]
        return dataclasses.replace(message, raw={**message.raw, "attachments": kept})

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        command = (update.message.text or "").split()[0].lstrip("/").split("@")[0].lower()
        message = to_message(update, text=COMMAND_TEXT[command])
        if message is not None:
            await self._answer(message)

    async def _on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if self.help_text is None:
            message = to_message(update, text=COMMAND_TEXT["start"])
            if message is not None:
                await self._answer(message)
            return
        user = update.effective_user
        await self._deliver(str(update.effective_chat.id), await self.help_text(user.language_code if user else None))

    async def _answer(self, message: Message) -> None:
        """Stored and decided; the answer is in the outbox, which sends it through `send_text`."""
        await self.handle(message, self.style)

    async def _deliver(self, conversation: str, text: str) -> None:
        """/help, which is not part of the conversation's record: sent at once, part by part; a
        refusal is logged (the buyer can ask again)."""
        for part in self.split(text):
            try:
                await self.send_text(conversation, part)
            except SEND_FAILURES as exc:
                reason = exc.reason if isinstance(exc, SendError) else f"{type(exc).__name__}: {exc}"
                log.warning("telegram: could not send help to chat %s (%s)", conversation, reason)
                return

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(context.error, SEND_FAILURES):  # the update was fine; sending was not
            log.warning("telegram: update %s: a send failed: %s", update_id, context.error)
            return
        if update_id is not None:
            self._failed.add(update_id)
        log.error("telegram: update %s failed: %r", update_id, context.error, exc_info=context.error)
        payload = update.to_json() if isinstance(update, Update) else repr(update)
        await self.rejected(payload, f"{type(context.error).__name__}: {context.error}")

    def split(self, text: str) -> list[str]:
        """Parts of at most 4096 UTF-16 code units: plain text, so what is counted is what Telegram counts."""
        return split_text(text, MAX_UNITS, utf16_units)

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        chat_id = int(conversation) if conversation.lstrip("-").isdigit() else conversation
        async with self.pacer.slot(chat_id):
            with refusals(f"message to chat {chat_id}"):
                await self.application.bot.send_message(chat_id=chat_id, text=text)


def _peer(request: Request) -> str:
    return request.client.host if request.client else "unknown"
