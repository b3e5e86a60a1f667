"""`kefu run`: the configured channels, the agent desk and housekeeping, in one process.

A channel is configured by its environment variables (see README); each can
also be started alone (`kefu run telegram`). Every channel reconnects with
back-off on its own (adapters/base.py), so one broken channel does not stop
the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Callable, Mapping

from adapters.base import Channel, Handler
from bot.app import App
from bot.desk import AgentDesk
from bot.message import Message, Reply, Style
from bot.translate import base
from replies.render import message_body

log = logging.getLogger(__name__)

CHANNELS = ("telegram", "slack", "email")
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


class Runner:
    def __init__(self, kefu: App, names: list[str], environ: Mapping[str, str] | None = None) -> None:
        self.kefu = kefu
        self.environ = dict(os.environ) if environ is None else environ
        if not names:
            raise NothingToRun(NOTHING_CONFIGURED)
        self.channels: dict[str, Channel] = {
            name: make_channel(name, self._handle, self._help_text, self.environ) for name in names
        }
        pipeline = kefu.pipeline
        self.desk = AgentDesk(
            kefu.store, kefu.brains, pipeline.detector, pipeline.translator, kefu.settings, pipeline.clock, self.send
        )

    async def _handle(self, message: Message, style: Style) -> Reply:
        return await self.kefu.pipeline.handle(message, style)

    async def _help_text(self, hint: str | None) -> str:
        language = base(hint) if hint else "en"
        rendered = message_body(self.kefu.brains.brain.answers, "help", language)
        if base(rendered.language) != language:
            return await self.kefu.pipeline.translator.translate(rendered.text, rendered.language, language) or rendered.text
        return rendered.text

    async def send(self, channel: str, conversation: str, text: str) -> None:
        """The outbox agents' replies and the bot's notices go through."""
        target = self.channels.get(channel)
        if target is None:
            log.warning("no %s channel running: message to %s kept in the store only", channel, conversation)
            return
        await target.send_text(conversation, text)

    async def _release_idle(self) -> None:
        while True:
            await asyncio.sleep(IDLE_CHECK_SECONDS)
            try:
                released = await self.desk.release_idle()
                if released:
                    log.info("gave %d idle conversation(s) back to the bot", len(released))
            except Exception:  # noqa: BLE001 - housekeeping must not stop the channels
                log.exception("idle release failed")

    async def run(self) -> None:
        tasks = [asyncio.create_task(ch.serve_forever(), name=f"kefu-{name}") for name, ch in self.channels.items()]
        tasks.append(asyncio.create_task(self._release_idle(), name="kefu-idle-release"))
        log.info("kefu is serving: %s", ", ".join(self.channels))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
