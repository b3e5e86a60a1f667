"""Orders: imported from the shop's export, so `order_status` is answered with facts.

`kefu orders import FILE.csv` reads a CSV with a header row:
order_id, buyer, items, amount, currency, status, carrier, tracking_number, parcel, placed_at, ship_country
(`buyer` is the buyer's id on a channel: an e-mail address, a Telegram user id…; `ship_country`
the shipping address's country code, which answers "will I pay import tax?").
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.customs.countries import real_countries
from bot.datafiles import DataError

if TYPE_CHECKING:  # the store (SQLAlchemy, ~0.3 s to import) is not needed to read an order file
    from bot.store.views import Order

COLUMNS = (
    "order_id", "buyer", "items", "amount", "currency", "status", "carrier", "tracking_number", "parcel", "placed_at",
    "ship_country",
)
REQUIRED = ("order_id", "buyer")
STATUSES = {"placed", "paid", "shipped", "delivered", "cancelled"}
PARCEL_STATES = {"not_found", "in_transit", "pickup", "delivered", "expired", "alert"}
# Order numbers as marketplaces print them: 6 or more digits, maybe after a '#'.
ORDER_NUMBER = re.compile(r"(?<!\d)#?(\d{6,20})(?!\d)")


def read_orders(path: Path, now: datetime) -> list[dict[str, Any]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(path, None, f"cannot read: {exc.strerror}") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(path, 1, f"missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        orders = []
        for row in reader:
            orders.append(_order(row, path, reader.line_num, now))
    return orders


def _order(row: dict[str, str], path: Path, line: int, now: datetime) -> dict[str, Any]:
    def text(key: str) -> str:
        return (row.get(key) or "").strip()

    if not text("order_id") or not text("buyer"):
        raise DataError(path, line, "order_id and buyer are required")
    try:
        amount = float(text("amount") or 0)
    except ValueError:
        raise DataError(path, line, f"amount {text('amount')!r} is not a number") from None
    status = text("status").lower() or "placed"
    if status not in STATUSES:
        raise DataError(path, line, f"status {status!r} is not one of {', '.join(sorted(STATUSES))}")
    parcel = text("parcel").lower() or None
    if parcel and parcel not in PARCEL_STATES:
        raise DataError(path, line, f"parcel {parcel!r} is not one of {', '.join(sorted(PARCEL_STATES))}")
    try:
        placed = datetime.fromisoformat(text("placed_at")) if text("placed_at") else now
    except ValueError:
        raise DataError(path, line, f"placed_at {text('placed_at')!r} is not a date like 2026-11-01") from None
    if placed.tzinfo is None:
        placed = placed.replace(tzinfo=timezone.utc)
    country = text("ship_country").upper() or None
    if country and country not in real_countries():
        raise DataError(path, line, f"ship_country {text('ship_country')!r} is not a two-letter country code like DE")
    return {
        "order_id": text("order_id").lstrip("#"), "buyer": text("buyer"), "items": text("items"), "amount": amount,
        "currency": text("currency") or "USD", "status": status, "carrier": text("carrier") or None,
        "tracking_number": text("tracking_number") or None, "parcel": parcel, "placed_at": placed, "updated_at": now,
        "ship_country": country,
    }


NOT_ON_RECORD = "order_not_on_record"  # the message names an order kefu has no record of: a person looks it up
HANDED_OFF = ("parcel_expired", "parcel_alert", NOT_ON_RECORD)  # order answers that bring in a person


def mentioned_order_ids(text: str) -> list[str]:
    return ORDER_NUMBER.findall(text)


def message_key(order: Order) -> str:
    """Which of the bot's messages tells this order's state."""
    if order.status == "cancelled":
        return "order_cancelled"
    if order.status in ("placed", "paid"):
        return f"order_{order.status}"
    return f"parcel_{order.parcel or 'in_transit'}"


def order_context(order: Order) -> dict[str, str]:
    return {
        "order_id": order.order_id, "carrier": order.carrier or "", "tracking_number": order.tracking_number or "",
        "order_status": order.status,
    }
