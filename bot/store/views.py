"""What the store hands out: frozen snapshots of its rows, never ORM objects.

The rest of kefu (pipeline, desks, adapters, admin tools) reads these plain values; only
the store opens sessions and writes. Each view has exactly the columns of its table
(bot/store/models.py), so the two never drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from bot.store import models

T = TypeVar("T")


def _view_of(model: type) -> type:
    fields = [(column.key, Any) for column in model.__table__.columns]  # type: ignore[attr-defined]
    view = dataclasses.make_dataclass(model.__name__, fields, frozen=True)
    view.__module__ = __name__
    view.__doc__ = f"A snapshot of one row of `{model.__tablename__}`."  # type: ignore[attr-defined]
    return view


Conversation = _view_of(models.Conversation)
StoredMessage = _view_of(models.StoredMessage)
Order = _view_of(models.Order)
Rejected = _view_of(models.Rejected)
TranslationMemory = _view_of(models.TranslationMemory)
PrivacyAudit = _view_of(models.PrivacyAudit)
Account = _view_of(models.Account)
ChannelHealth = _view_of(models.ChannelHealth)

_VIEWS = {
    models.Conversation: Conversation, models.StoredMessage: StoredMessage, models.Order: Order,
    models.Rejected: Rejected, models.TranslationMemory: TranslationMemory, models.PrivacyAudit: PrivacyAudit,
    models.Account: Account,
    models.ChannelHealth: ChannelHealth,
}
_FIELDS = {model: [field.name for field in dataclasses.fields(view)] for model, view in _VIEWS.items()}


def snapshot(row: Any) -> Any:
    """The view of an ORM row (None stays None)."""
    if row is None:
        return None
    model = type(row)
    return _VIEWS[model](**{name: getattr(row, name) for name in _FIELDS[model]})


def row_view(model: type, row: Any) -> Any:
    """The view of a Core result row (a mapping with the table's columns) of `model`'s table."""
    return _VIEWS[model](**{name: row[name] for name in _FIELDS[model]})


def snapshots(rows: Any) -> list[Any]:
    return [snapshot(row) for row in rows]
