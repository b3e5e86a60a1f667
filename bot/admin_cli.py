"""Admin commands: `kefu intents …`, `kefu eval`, `kefu misses`, `kefu stats`."""

from __future__ import annotations

from bot.cli import app  # noqa: F401 - commands below register on it
