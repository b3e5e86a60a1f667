"""Local fake Telegram Bot API / Slack Web API servers and payload factories for tests.

No test may reach the internet: production clients are pointed at these fakes by base URL.
"""

from ._server import Call, UploadedFile
from .slack_api import FakeSlack
from .telegram_api import DEFAULT_TOKEN, FakeTelegram

__all__ = ["Call", "DEFAULT_TOKEN", "FakeSlack", "FakeTelegram", "UploadedFile"]
