"""Settings: a `kefu.yaml` file (optional) with environment variables on top.

Secrets (tokens, API keys) come from the environment only, so a config file
can be shared and committed without leaking them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.customs.setup import ShopSetup, parse_setup
from bot.datafiles import DataError, expect, load_yaml
from bot.language.detect import DEFAULT_EXPECTED, PRIMARY
from bot.language.safeguard import Glossary, parse_glossary
from intents import LISTS_DIR
from replies.answers import REPLIES_DIR

DEFAULT_DATABASE = "sqlite:///kefu.db"
RETENTION_MODES = ("anonymise", "delete")


@dataclass
class Settings:
    database_url: str = DEFAULT_DATABASE
    intents_dir: Path = LISTS_DIR
    replies_dir: Path = REPLIES_DIR
    translator: str = "google"
    translator_timeout: float = 5.0
    threshold: float | None = None  # None: what `kefu eval --tune` chose, else the matcher's default
    oos_probability: float | None = None  # likewise: the out-of-scope probability at which no intent is chosen
    encoder: bool = False  # the sentence-encoder stage of the matcher (pip install 'kefu[encoder]')
    languages: list[str] = field(default_factory=lambda: list(DEFAULT_EXPECTED))
    primary_languages: list[str] = field(default_factory=lambda: list(PRIMARY))
    agent_language: str = "en"
    key_customers: list[str] = field(default_factory=list)  # buyer ids/addresses always handed to a person
    key_customer_orders: int = 5  # or this many orders on record…
    key_customer_spend: float = 500.0  # …or this much spent
    idle_release_minutes: int = 120  # a held chat nobody answers goes back to the bot
    give_up_sending_minutes: int = 60  # an answer still not delivered after this goes to people, visibly
    retention_days: int = 0  # conversations with no message for this long expire (0: kept; see README)
    retention_mode: str = "anonymise"  # anonymise (counts and intents stay for stats) | delete
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-channel settings (see README)
    glossary: Glossary = field(default_factory=Glossary)  # names and terms translation must keep (see README)
    customs: ShopSetup = field(default_factory=ShopSetup)  # registrations and DDP destinations (see README)
    web_host: str = "127.0.0.1"  # the web workspace (`kefu web`, and inside `kefu run`)
    web_port: int = 8780
    source: Path | None = None

    @property
    def hours_file(self) -> Path:
        return self.replies_dir / "hours.yaml"

    @property
    def customs_file(self) -> Path:
        return self.replies_dir / "customs.yaml"


ENV = {
    "database_url": "KEFU_DATABASE_URL",
    "intents_dir": "KEFU_INTENTS_DIR",
    "replies_dir": "KEFU_REPLIES_DIR",
    "translator": "KEFU_TRANSLATOR",
    "agent_language": "KEFU_AGENT_LANGUAGE",
    "web_host": "KEFU_WEB_HOST",
    "web_port": "KEFU_WEB_PORT",
}


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read `path` (or $KEFU_CONFIG, or ./kefu.yaml when present), then the environment."""
    env = dict(os.environ) if env is None else env
    path = path or (Path(env["KEFU_CONFIG"]) if env.get("KEFU_CONFIG") else None)
    if path is None and Path("kefu.yaml").is_file():
        path = Path("kefu.yaml")
    settings = Settings()
    if path is not None:
        _apply_file(settings, path)
    for name, variable in ENV.items():
        if env.get(variable):
            setattr(settings, name, _coerce(name, env[variable], path or Path(variable), 0))
    return settings


def _apply_file(settings: Settings, path: Path) -> None:
    data = load_yaml(path) or {}
    expect(data, dict, path, 1, "the config file")
    known = {f.name for f in fields(Settings)} - {"source"}
    for key, value in data.items():
        if key not in known:
            raise DataError(path, data.line_of(key), f"unknown setting {key!r} (known: {', '.join(sorted(known))})")
        setattr(settings, key, _coerce(key, value, path, data.line_of(key)))
    if settings.retention_mode not in RETENTION_MODES:
        raise DataError(path, data.line_of("retention_mode"), f"retention_mode must be one of {', '.join(RETENTION_MODES)}")
    if settings.retention_days < 0:
        raise DataError(path, data.line_of("retention_days"), "retention_days must be 0 (off) or a number of days")
    settings.source = path


def _coerce(name: str, value: Any, path: Path, line: int) -> Any:
    default = getattr(Settings(), name)
    if name == "glossary":
        return parse_glossary(value, path, line)
    if name == "customs":
        return parse_setup(value, path, line)
    if name.endswith("_dir"):
        folder = Path(expect(value, str, path, line, name)).expanduser()
        if not folder.is_absolute() and path.suffix in (".yaml", ".yml"):
            folder = path.parent / folder
        return folder
    if isinstance(default, bool):
        return expect(value, bool, path, line, name)
    if isinstance(default, (int, float)) or name in ("threshold", "oos_probability"):
        try:
            return type(default)(value) if default is not None else float(value)
        except (TypeError, ValueError):
            raise DataError(path, line, f"{name} must be a number, got {value!r}") from None
    if isinstance(default, list):
        return [str(v) for v in expect(value, list, path, line, name)]
    if isinstance(default, dict):
        return dict(expect(value, dict, path, line, name))
    return str(expect(value, (str, int, float), path, line, name))
