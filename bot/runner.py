"""`kefu run`: the configured channels, the agent desks and housekeeping, in one process.

A channel is configured by its environment variables (see README); each can
also be started alone (`kefu run telegram`). Every channel reconnects with
back-off on its own (adapters/base.py), so one broken channel does not stop
the others. An agent desk (docs/agent-desk.md) starts when its variable is
set: KEFU_SLACK_DESK_CHANNEL, KEFU_TELEGRAM_DESK_CHAT. It listens to the
pipeline for handoffs and sends agents' replies through the buyer channels.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Callable, Mapping

from adapters.base import Channel, Handler
from bot.app import App
from bot.desk import AgentDesk
from bot.notices import send_notices
from bot.models import Conversation
from bot.message import Message, Reply, Style
from bot.translate import base, localize
from replies.render import message_body

if TYPE_CHECKING:
    from adapters.desk_base import DeskChannel

log = logging.getLogger(__name__)

CHANNELS = ("telegram", "slack", "email")
DESKS = {"slack": "KEFU_SLACK_DESK_CHANNEL", "telegram": "KEFU_TELEGRAM_DESK_CHAT"}
IDLE_CHECK_SECONDS = 60


NOTHING_CONFIGURED = (
    "no channel is configured: set KEFU_TELEGRAM_TOKEN, KEFU_SLACK_BOT_TOKEN (+ KEFU_SLACK_SIGNING_SECRET) "
    "or KEFU_IMAP_HOST and KEFU_SMTP_HOST (see README), or talk to the bot with `kefu chat`"
)


class NothingToRun(Exception):
    """No channel is configured; the message says how to configure one."""


def configured_channels(environ: Mapping[str, str]) -> list[str]:
    """Channels whose required settings are present in the environment."""
    names = []
    if environ.get("KEFU_TELEGRAM_TOKEN"):
        names.append("telegram")
    if environ.get("KEFU_SLACK_BOT_TOKEN"):
        names.append("slack")
    if environ.get("KEFU_IMAP_HOST") and environ.get("KEFU_SMTP_HOST"):
        names.append("email")
    return names


def make_channel(name: str, handle: Handler, help_text: Callable, environ: Mapping[str, str]) -> Channel:
    """Build one channel from its environment settings (imported here: each SDK loads only when used)."""
    if name == "telegram":
        from adapters.telegram import TelegramChannel, TelegramSettings

        return TelegramChannel(handle, TelegramSettings.from_env(environ), help_text=help_text)
    if name == "slack":
        from adapters.slack import SlackChannel, SlackSettings

        return SlackChannel(handle, SlackSettings.from_env(environ))
    if name == "email":
        from adapters.email import EmailChannel
        from adapters.mailconfig import EmailSettings

        return EmailChannel(handle, EmailSettings.from_env(environ))
    raise NothingToRun(f"unknown channel {name!r}; channels are: {', '.join(CHANNELS)}")


def configured_desks(environ: Mapping[str, str]) -> list[str]:
    """Agent desks whose variable is set."""
    return [name for name, variable in DESKS.items() if environ.get(variable, "").strip()]


def make_desk(
    name: str, desk: AgentDesk, channels: Mapping[str, Channel], environ: Mapping[str, str],
    takes: Callable[[Conversation], bool] | None = None,
) -> DeskChannel:
    """Build one desk; it rides on the buyer channel of the same service when it speaks as the same app or bot."""
    if name == "slack":
        from adapters.desk_slack import SlackDesk, SlackDeskSettings
        from adapters.slack import SlackChannel

        slack = SlackDeskSettings.from_env(environ)
        buyers = channels.get("slack")
        app = buyers.app if slack.shared and isinstance(buyers, SlackChannel) else None
        if app is not None:
            buyers.serves_desk = True  # its start-up check then asks for the desk's scopes too
        return SlackDesk(desk, slack, app=app, takes=takes)
    if name == "telegram":
        from adapters.desk_telegram import TelegramDesk, TelegramDeskSettings
        from adapters.telegram import TelegramChannel

        telegram = TelegramDeskSettings.from_env(environ)
        buyers = channels.get("telegram")
        application = buyers.application if telegram.shared and isinstance(buyers, TelegramChannel) else None
        return TelegramDesk(desk, telegram, application=application, takes=takes)
    raise NothingToRun(f"unknown desk {name!r}; desks are: {', '.join(DESKS)}")


def _takes(name: str, names: list[str]) -> Callable[[Conversation], bool] | None:
    """With both desks running, Telegram buyers are shown on the Telegram desk and everyone else on Slack."""
    if len(names) < 2:
        return None
    if name == "telegram":
        return lambda conversation: conversation.channel == "telegram"
    return lambda conversation: conversation.channel != "telegram"


class Runner:
    def __init__(self, kefu: App, names: list[str], environ: Mapping[str, str] | None = None) -> None:
        self.kefu = kefu
        self.environ = dict(os.environ) if environ is None else environ
        if not names:
            raise NothingToRun(NOTHING_CONFIGURED)
        self.channels: dict[str, Channel] = {
            name: make_channel(name, self._handle, self._help_text, self.environ) for name in names
        }
        for channel in self.channels.values():
            channel.reject = kefu.pipeline.reject  # what a channel cannot read is kept in the store
        pipeline = kefu.pipeline
        self.desk = AgentDesk(
            kefu.store, kefu.brains, pipeline.detector, pipeline.translator, kefu.settings, pipeline.clock, self.send
        )
        desks = configured_desks(self.environ)
        self.desks: dict[str, DeskChannel] = {
            name: make_desk(name, self.desk, self.channels, self.environ, _takes(name, desks)) for name in desks
        }
        for desk in self.desks.values():
            desk.reject = kefu.pipeline.reject  # refused desk actions are kept, like unreadable payloads
            pipeline.listeners.append(desk.on_event)

    async def _handle(self, message: Message, style: Style) -> Reply:
        return await self.kefu.pipeline.handle(message, style)

    async def _help_text(self, hint: str | None) -> str:
        language = base(hint) if hint else "en"
        rendered = message_body(self.kefu.brains.brain.answers, "help", language)
        return await localize(self.kefu.pipeline.translator, rendered.text, rendered.language, language) or rendered.text

    async def send(self, channel: str, conversation: str, text: str, *, by_person: bool = False) -> None:
        """The outbox agents' replies and the bot's notices go through."""
        target = self.channels.get(channel)
        if target is None:
            log.warning("no %s channel running: message to %s kept in the store only", channel, conversation)
            return
        for part in target.split(text):  # until the outbox sends parts and remembers which went out
            await target.send_text(conversation, part, by_person=by_person)

    async def release_idle(self) -> list[int]:
        """Give chats nobody answers back to the bot, and tell the desks showing them."""
        released = await self.desk.release_idle()
        if released:
            log.info("gave %d idle conversation(s) back to the bot", len(released))
        for conversation_id in released:
            for desk in self.desks.values():
                await desk.released_idle(conversation_id, self.kefu.settings.idle_release_minutes)
        return released

    async def _housekeeping(self) -> None:
        """Every minute: idle chats back to the bot, proactive order notices out."""
        while True:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            for chore in (self.release_idle, self.send_notices):
                try:
                    await chore()
                except Exception:  # noqa: BLE001 - housekeeping must not stop the channels
                    log.exception("%s failed", chore.__name__)

    async def send_notices(self) -> int:
        pipeline = self.kefu.pipeline
        sent = await send_notices(self.kefu.store, self.kefu.brains, pipeline.translator, self.send, pipeline.clock())
        if sent:
            log.info("sent %d order notice(s)", sent)
        return sent

    async def run(self) -> None:
        tasks = [asyncio.create_task(ch.serve_forever(), name=f"kefu-{name}") for name, ch in self.channels.items()]
        tasks += [asyncio.create_task(desk.serve_forever(), name=f"kefu-{name}-desk") for name, desk in self.desks.items()]
        tasks.append(asyncio.create_task(self._housekeeping(), name="kefu-housekeeping"))
        log.info("kefu is serving: %s", ", ".join([*self.channels, *(f"{name} desk" for name in self.desks)]))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
