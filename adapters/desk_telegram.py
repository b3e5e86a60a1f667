"""The agents' desk in Telegram: a forum topic per handoff in the agents' supergroup.

The card opens the topic, with Claim, Release and Close buttons (callback
queries, answered); agents answer the buyer by writing in the topic, and
`/commands` there do the rest (see docs/agent-desk.md). Telegram has no
messages only one member sees: a refused button press is answered with an
alert to whoever pressed, a refused command with a reply to that message.

Only the agents' group counts: a desk button pressed anywhere else (a
buyer's private chat with a forged callback) or by someone not in
KEFU_DESK_AGENTS is refused and kept in `rejected`. Posts wait for their
slot in the group's flood budget (adapters/telegram_send.py).

By default the desk is the shop's own bot and rides on the Telegram buyer
channel's Application; with KEFU_TELEGRAM_DESK_TOKEN it is a bot of its own
that polls by itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Mapping

from telegram import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update, User
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import Application, BaseUpdateProcessor, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from adapters import desk_format as fmt
from adapters import env as envvars
from adapters import telegram as buyer_channel
from adapters.chunks import split_text, utf16_units
from adapters.desk_base import DeskChannel, Notice, Takes, agents_from_env
from adapters.ordering import KeyedLocks
from adapters.telegram import MAX_UNITS, TokenRejected
from adapters.telegram_send import Pace, pacer_for, refusals
from bot.desk.actions import AgentDesk, Card

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]  # agents' messages and button presses
CALLBACK = "desk"  # callback_data "desk:claim:12", "desk:send:12:<draft>" (Telegram allows 64 bytes)
ALERT_CHARS = 200  # answerCallbackQuery's limit


@dataclass(frozen=True)
class TelegramDeskSettings:
    chat_id: int  # the agents' forum supergroup
    token: str = field(repr=False)
    shared: bool = True  # the shop's bot (KEFU_TELEGRAM_TOKEN), not one of its own
    base_url: str = "https://api.telegram.org/bot"
    agents: frozenset[str] | None = None  # user ids / usernames allowed to act; None: everyone in the group
    pace: Pace = Pace()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TelegramDeskSettings:
        env = os.environ if env is None else env
        chat = envvars.text(env, "KEFU_TELEGRAM_DESK_CHAT") or ""
        if not re.fullmatch(r"-\d+", chat):
            raise envvars.SettingsError(
                f"KEFU_TELEGRAM_DESK_CHAT must be the agents' supergroup id, a negative number like -1001234567890; got {chat!r}"
            )
        own, shop = envvars.text(env, "KEFU_TELEGRAM_DESK_TOKEN"), envvars.text(env, "KEFU_TELEGRAM_TOKEN")
        token = own or shop
        if not token:
            raise envvars.SettingsError(
                "the Telegram desk needs a bot: set KEFU_TELEGRAM_DESK_TOKEN, or KEFU_TELEGRAM_TOKEN to use the shop's bot"
            )
        base_url = envvars.text(env, "KEFU_TELEGRAM_DESK_API_URL") or envvars.text(env, "KEFU_TELEGRAM_API_URL")
        return cls(
            int(chat), token, shared=own in (None, shop), base_url=base_url or cls.base_url,
            agents=agents_from_env(env), pace=Pace.from_env(env),
        )


class _PerTopic(BaseUpdateProcessor):
    """Topics are served in parallel (a slow translation in one stalls no other), each topic in order."""

    def __init__(self, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        async with self._locks(_topic_of(update)):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _topic_of(update: object) -> tuple[int, int] | None:
    if not isinstance(update, Update):
        return None
    message = update.effective_message
    if message is None or not hasattr(message, "message_thread_id"):  # an inaccessible (old) message
        return None
    return message.chat_id, message.message_thread_id or 0


class TelegramDesk(DeskChannel):
    name = "telegram desk"
    prefix = "/"

    def __init__(
        self, desk: AgentDesk, settings: TelegramDeskSettings, *, application: Application | None = None,
        takes: Takes | None = None,
    ) -> None:
        """`application`: the Telegram buyer channel's, when the desk is the shop's bot (that channel then serves both)."""
        super().__init__(desk, takes, settings.agents)
        self.settings = settings
        self.pacer = pacer_for(settings.token, settings.pace)
        self.serves = application is None
        if application is None:
            buyer_channel.redact.tokens.add(settings.token)  # PTB and httpx log URLs, which hold the token
            builder = Application.builder().token(settings.token).base_url(settings.base_url)
            application = builder.concurrent_updates(_PerTopic()).build()
        self.application = application
        in_desk = filters.Chat(chat_id=settings.chat_id) & filters.UpdateType.MESSAGE & filters.TEXT
        application.add_handler(MessageHandler(in_desk, self._on_message))
        application.add_handler(CallbackQueryHandler(self._on_button, pattern=rf"^{CALLBACK}:"))
        self.ready = asyncio.Event()
        self._by_username: dict[str, str] = {}

    @property
    def bot(self) -> Any:
        return self.application.bot

    # ---- where things are ---------------------------------------------------------------------
    def _ref(self, thread_id: int) -> str:
        return f"telegram:{self.settings.chat_id}:{thread_id}"

    def owns(self, desk_ref: str) -> bool:
        return desk_ref.startswith(f"telegram:{self.settings.chat_id}:")

    @staticmethod
    def _thread(desk_ref: str) -> int:
        return int(desk_ref.rsplit(":", 1)[1])

    # ---- showing ------------------------------------------------------------------------------
    async def open_card(self, card: Card) -> str:
        async with self.pacer.slot(self.settings.chat_id):
            with refusals("new topic in the agents' group"):
                topic = await self.bot.create_forum_topic(chat_id=self.settings.chat_id, name=fmt.topic_name(card.conversation))
        await self._send(topic.message_thread_id, fmt.card_text(card, self.desk.agent_language), _card_keyboard(card.conversation.id))
        return self._ref(topic.message_thread_id)

    async def card_again(self, desk_ref: str, card: Card) -> None:
        text = fmt.handed_off_again(card) + "\n\n" + fmt.card_text(card, self.desk.agent_language)
        await self._send(self._thread(desk_ref), text, _card_keyboard(card.conversation.id))

    async def post(self, desk_ref: str, text: str) -> None:
        await self._send(self._thread(desk_ref), text)

    async def _send(self, thread: int, text: str, keyboard: InlineKeyboardMarkup | None = None, reply_to: int | None = None) -> None:
        pieces = split_text(text, MAX_UNITS, utf16_units)
        for number, piece in enumerate(pieces, 1):
            last = number == len(pieces)
            async with self.pacer.slot(self.settings.chat_id):
                with refusals(f"post in topic {thread} of the agents' group"):
                    await self.bot.send_message(
                        chat_id=self.settings.chat_id, message_thread_id=thread, text=piece,
                        reply_markup=keyboard if last else None,
                        reply_parameters=ReplyParameters(reply_to) if reply_to and number == 1 else None,
                    )

    # ---- agents -------------------------------------------------------------------------------
    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot or not message.is_topic_message or not message.text:
            return  # the General topic, or service messages
        conversation = await self.desk.find(self._ref(message.message_thread_id))
        if conversation is None:
            return
        if not self.is_agent((str(user.id), user.username or "")):
            await self.refuse(update.to_json(), f"a message in topic {message.message_thread_id} from {user.id}, not an agent")
            return
        notice = await self.agent_wrote(conversation, self._agent(user), message.text, self._resolve)
        if notice.private:
            await self._send(message.message_thread_id, notice.text, reply_to=message.message_id)
            return
        await self._show(notice, conversation.id, message.message_thread_id)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        _, action, conversation, *rest = (query.data or "").split(":") + ["", ""]
        if not conversation.isdigit():
            await query.answer()
            return
        where = query.message.chat.id if query.message is not None else None
        user = query.from_user
        if where != self.settings.chat_id or not self.is_agent((str(user.id), user.username or "")):
            await self.refuse(update.to_json(), f"button {query.data!r} pressed by {user.id} in chat {where}, not an agent in the desk")
            await query.answer("Only the shop's agents can do this, in their group.", show_alert=True)
            return
        agent = self._agent(query.from_user)
        if action == "send":
            notice = await self.send_anyway(rest[0], agent)
        else:
            notice = await self.act(action, int(conversation), agent)
        if notice.private:  # only the agent who pressed sees it
            await query.answer(fmt.clip(notice.text, ALERT_CHARS), show_alert=True)
            return
        await query.answer()
        message = query.message
        if action == "send" and message is not None and getattr(message, "text", None):
            await self._quietly(query.edit_message_text(f"{message.text}\n\n(sent anyway by {agent})"))  # no button left
        if notice.refresh and action != "send":  # the card pressed on shows who holds it now
            card = await self.desk.card(int(conversation))
            text = fmt.clip(fmt.card_text(card, self.desk.agent_language), MAX_UNITS - 96)  # room for emoji (2 units)
            await self._quietly(query.edit_message_text(text, reply_markup=_card_keyboard(card.conversation.id)))
        thread = getattr(message, "message_thread_id", None)
        if thread:
            await self._show(notice, int(conversation), thread)

    async def _show(self, notice: Notice, conversation_id: int, thread: int) -> None:
        keyboard = _keyboard(("Send anyway", f"{CALLBACK}:send:{conversation_id}:{notice.draft}")) if notice.draft else None
        await self._send(thread, notice.text, keyboard)

    @staticmethod
    async def _quietly(edit: Awaitable[Any]) -> None:
        try:
            await edit
        except BadRequest as exc:  # "message is not modified", or too old to edit: the notice says it anyway
            log.debug("telegram desk: could not edit a message (%s)", exc)

    def _agent(self, user: User) -> str:
        name = user.first_name or user.username or str(user.id)
        if user.username:
            self._by_username[user.username.lower()] = name
        return name

    async def _resolve(self, typed: str) -> str:
        """`/assign Wang`, or `/assign @wang_li` for an agent seen in the group (their first name)."""
        typed = typed.strip()
        if typed.startswith("@"):
            return self._by_username.get(typed[1:].lower(), typed[1:])
        return typed

    # ---- serving ------------------------------------------------------------------------------
    async def serve(self) -> None:
        if not self.serves:
            log.info("telegram desk: group %s, served by the Telegram buyer channel's bot", self.settings.chat_id)
            return
        application = self.application
        try:
            await application.initialize()
        except BaseException as exc:
            await application.bot.shutdown()
            if isinstance(exc, InvalidToken):
                raise TokenRejected("Telegram rejected the desk bot's token: check KEFU_TELEGRAM_DESK_TOKEN") from None
            raise
        try:
            await application.start()
            await self._set_menu()
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("telegram desk: polling for agents in group %s", self.settings.chat_id)
            self.ready.set()
            await asyncio.Future()  # until cancelled
        finally:
            self.ready.clear()
            if application.updater and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()

    async def _set_menu(self) -> None:
        """The commands, in the menu of the agents' group only."""
        commands = [BotCommand(name, what[:256]) for name, _, what in fmt.COMMANDS]
        try:
            await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(self.settings.chat_id))
        except TelegramError as exc:  # cosmetic: the commands work without the menu
            log.warning("telegram desk: could not set the command menu (%s)", exc)


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]])


def _card_keyboard(conversation_id: int) -> InlineKeyboardMarkup:
    return _keyboard(*((label, f"{CALLBACK}:{label.lower()}:{conversation_id}") for label in ("Claim", "Release", "Close")))
