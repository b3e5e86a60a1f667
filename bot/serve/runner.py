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
import functools
import logging
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Mapping

from adapters.asgi import AsgiServer
from adapters.base import Channel, Handler
from bot.app import App
from bot.desk.actions import AgentDesk
from bot.orders.notices import write_notices
from bot.serve.health import HealthReporter
from bot.serve.leader import Leadership
from bot.serve.outbox import OutboxSender
from bot.serve.retention import apply_retention
from bot.store.outbox import Delivery
from bot.store.views import Conversation
from bot.language.translate import base, localize
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
        from adapters.email import EmailChannel, EmailSettings

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
    """One `kefu run` process: channels, the outbox sender, desks, leader-only work.

    Several processes may run against one PostgreSQL (`kefu run --workers N`): each serves
    the webhook channels and sends outbox rows; the elected leader also polls (Telegram
    getUpdates, IMAP), runs the desks and housekeeping.
    """

    def __init__(self, kefu: App, names: list[str], environ: Mapping[str, str] | None = None, web: bool = True) -> None:
        self.kefu = kefu
        self.serve_web = web  # the web workspace, on web_host:web_port (every worker: the port is shared)
        self.web: AsgiServer | None = None
        self.web_app: Any = None
        self.environ = dict(os.environ) if environ is None else environ
        if not names:
            raise NothingToRun(NOTHING_CONFIGURED)
        pipeline = kefu.pipeline
        self.health = HealthReporter(kefu.store, names, pipeline.clock)
        handle = self.health.watching(pipeline.handle)
        self.channels: dict[str, Channel] = {
            name: make_channel(name, handle, self._help_text, self.environ) for name in names
        }
        for name, channel in self.channels.items():
            channel.reject = pipeline.reject  # what a channel cannot read is kept in the store
            channel.keep = kefu.store.keep  # what a channel will not answer (machines' mail, colleagues' notes) too
            channel.trouble = functools.partial(self.health.trouble, name)
        self.sender = OutboxSender(
            kefu.store, self.channels, pipeline.clock,
            give_up_after=timedelta(minutes=kefu.settings.give_up_sending_minutes),
        )
        self.health.sent, self.sender.trouble = self.sender.last_sent, self.health.trouble
        pipeline.written.append(self.sender.wake)
        self.desk = AgentDesk(
            kefu.store, kefu.brains, pipeline.detector, pipeline.translator, kefu.settings, pipeline.clock, self.sender.wake
        )
        desks = configured_desks(self.environ)
        self.desks: dict[str, DeskChannel] = {
            name: make_desk(name, self.desk, self.channels, self.environ, _takes(name, desks)) for name in desks
        }
        for desk in self.desks.values():
            desk.reject = kefu.pipeline.reject  # refused desk actions are kept, like unreadable payloads
            pipeline.listeners.append(desk.on_event)
        self.sender.on_failure = self._delivery_failed
        self.leadership = Leadership(kefu.store)

    async def _help_text(self, hint: str | None) -> str:
        language = base(hint) if hint else "en"
        rendered = message_body(self.kefu.brains.brain.answers, "help", language)
        return await localize(self.kefu.pipeline.translator, rendered.text, rendered.language, language) or rendered.text

    async def _delivery_failed(self, row: Delivery, error: str) -> None:
        for desk in self.desks.values():
            await desk.delivery_failed(row.conversation_id, error)

    async def release_idle(self) -> list[int]:
        """Give chats nobody answers back to the bot, and tell the desks showing them."""
        released = await self.desk.release_idle()
        if released:
            log.info("gave %d idle conversation(s) back to the bot", len(released))
        for conversation_id in released:
            for desk in self.desks.values():
                await desk.released_idle(conversation_id, self.kefu.settings.idle_release_minutes)
        return released

    async def write_notices(self) -> int:
        pipeline = self.kefu.pipeline
        written = await write_notices(self.kefu.store, self.kefu.brains, pipeline.translator, pipeline.clock())
        if written:
            log.info("%d order notice(s) in the outbox", written)
            self.sender.wake()
        return written

    async def expire_old(self) -> int:
        settings = self.kefu.settings
        return await apply_retention(self.kefu.store, settings.retention_days, settings.retention_mode, self.kefu.pipeline.clock())

    async def recover(self) -> int:
        """Messages left undecided by a crash or a kill: decided now (their answers go out)."""
        done = await self.kefu.pipeline.recover()
        if done:
            log.info("recovered %d message(s) left undecided", done)
        return done

    async def _housekeeping(self) -> None:
        """Leader only, every minute: recovery, idle chats back to the bot, order notices, retention."""
        while True:
            for chore in (self.recover, self.release_idle, self.write_notices, self.expire_old):
                try:
                    await chore()
                except Exception:  # noqa: BLE001 - housekeeping must not stop the channels
                    log.exception("%s failed", chore.__name__)
            await asyncio.sleep(IDLE_CHECK_SECONDS)

    async def _lead(self) -> None:
        """What only the leader runs, from the moment it is elected."""
        await self.leadership.elected.wait()
        tasks = [
            asyncio.create_task(ch.serve_forever(), name=f"kefu-{name}")
            for name, ch in self.channels.items() if ch.leader_only
        ]
        tasks += [asyncio.create_task(desk.serve_forever(), name=f"kefu-{name}-desk") for name, desk in self.desks.items()]
        tasks.append(asyncio.create_task(self._housekeeping(), name="kefu-housekeeping"))
        await _all(tasks)

    async def _web(self) -> None:
        """The web workspace; a port it cannot have costs the workspace, never the channels."""
        from bot.web.app import create_app

        settings = self.kefu.settings
        self.web_app = await create_app(self.kefu, written=self.sender.wake)
        self.web = AsgiServer(self.web_app, settings.web_host, settings.web_port, "web workspace")
        try:
            self.web.bind()
        except OSError as exc:
            log.error("the web workspace is not served: cannot listen on %s:%d (%s)", settings.web_host, settings.web_port, exc)
            return
        await self.web.serve()

    async def run(self) -> None:
        tasks = [
            asyncio.create_task(ch.serve_forever(), name=f"kefu-{name}")
            for name, ch in self.channels.items() if not ch.leader_only
        ]
        tasks += [
            asyncio.create_task(self.sender.run(), name="kefu-outbox"),
            asyncio.create_task(self.health.run(), name="kefu-health"),
            asyncio.create_task(self.leadership.campaign(), name="kefu-leadership"),
            asyncio.create_task(self._lead(), name="kefu-leader"),
        ]
        if self.serve_web:
            tasks.append(asyncio.create_task(self._web(), name="kefu-web"))
        log.info("kefu is serving: %s", ", ".join([*self.channels, *(f"{name} desk" for name in self.desks)]))
        await _all(tasks)


async def _all(tasks: list[asyncio.Task]) -> None:
    """Run the tasks until one fails (its error propagates) or all are cancelled."""
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
