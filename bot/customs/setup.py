"""The shop's own customs setup (`customs:` in kefu.yaml): what it registered for, where it ships DDP.

```yaml
customs:
  registrations: [ioss, uk_vat]   # the shop charges the tax at checkout where these apply
  ddp: [CA, CH]                   # destinations shipped with duties and taxes paid (a country, or EU)
  max_age_days: 180               # `kefu customs check`: entries checked longer ago than this
  origin: CN                      # where parcels ship from: never taken for the destination
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.customs.facts import REGISTRATIONS
from bot.datafiles import DataError, LineDict, expect

KEYS = ("registrations", "ddp", "max_age_days", "origin")


@dataclass(frozen=True)
class ShopSetup:
    registrations: frozenset[str] = frozenset()
    ddp: frozenset[str] = frozenset()
    max_age_days: int = 180
    origin: str = "CN"

    def ships_ddp(self, country: str, group: str) -> bool:
        return country in self.ddp or group in self.ddp


def parse_setup(value: Any, path: Path, line: int) -> ShopSetup:
    """`customs:` of kefu.yaml; a mistake names the file and line."""
    if isinstance(value, ShopSetup):
        return value
    expect(value, dict, path, line, "customs")
    data = value if isinstance(value, LineDict) else LineDict(value)
    for key in data:
        if key not in KEYS:
            raise DataError(path, _line(data, key, line), f"customs: unknown setting {key!r} (known: {', '.join(KEYS)})")
    registrations = _codes(data, "registrations", path, line)
    for name in registrations:
        if name not in REGISTRATIONS:
            raise DataError(path, _line(data, "registrations", line),
                            f"customs: unknown registration {name!r} (known: {', '.join(REGISTRATIONS)})")
    ddp = _codes(data, "ddp", path, line)
    for code in ddp:
        if code in ("True", "False"):
            raise DataError(path, _line(data, "ddp", line), "customs: YAML reads a plain NO (Norway) as false: write 'NO' in quotes")
        if not re.fullmatch(r"[A-Z]{2}", code):
            raise DataError(path, _line(data, "ddp", line), f"customs: ddp takes country codes like CA (or EU), got {code!r}")
    age = data.get("max_age_days", 180)
    if isinstance(age, bool) or not isinstance(age, int) or age < 1:
        raise DataError(path, _line(data, "max_age_days", line), f"customs: max_age_days must be a number of days, got {age!r}")
    origin = str(data.get("origin", "CN"))
    if not re.fullmatch(r"[A-Z]{2}", origin):
        raise DataError(path, _line(data, "origin", line), f"customs: origin must be a country code like CN, got {origin!r}")
    return ShopSetup(frozenset(registrations), frozenset(ddp), age, origin)


def _codes(data: LineDict, key: str, path: Path, line: int) -> list[str]:
    return [str(v) for v in expect(data.get(key) or [], list, path, _line(data, key, line), f"customs: {key}")]


def _line(data: LineDict, key: str, line: int) -> int:
    return data.key_lines.get(key, line) if hasattr(data, "key_lines") else line
