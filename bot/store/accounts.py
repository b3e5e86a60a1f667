"""Accounts of the web workspace and the key that signs its sessions: the store owns the SQL."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.store.models import Account, WebKey
from bot.store.views import snapshot, snapshots


class AccountExists(Exception):
    """An account of that name is already there."""


class Accounts:
    """Mixed into `Store`."""

    session: Any

    async def add_account(self, name: str, role: str, password_hash: str, language: str, at: datetime) -> Account:
        async with self.session() as session:
            row = Account(name=name, role=role, password_hash=password_hash, language=language, disabled=False,
                          session_epoch=0, created_at=at)
            session.add(row)
            try:
                await session.commit()
            except IntegrityError:
                raise AccountExists(name) from None
            return snapshot(row)

    async def account(self, name: str) -> Account | None:
        async with self.session() as session:
            return snapshot(await session.scalar(select(Account).where(Account.name == name)))

    async def account_by_id(self, account_id: int) -> Account | None:
        async with self.session() as session:
            return snapshot(await session.get(Account, account_id))

    async def accounts(self) -> Sequence[Account]:
        async with self.session() as session:
            return snapshots(await session.scalars(select(Account).order_by(Account.name)))

    async def change_account(self, name: str, *, end_sessions: bool = False, **values: Any) -> Account | None:
        """Set columns of an account; `end_sessions` makes every session signed so far invalid."""
        query = update(Account).where(Account.name == name)
        if end_sessions:
            values["session_epoch"] = Account.session_epoch + 1
        async with self.session() as session:
            changed = await session.execute(query.values(**values))
            await session.commit()
        return await self.account(name) if changed.rowcount else None

    async def web_secret(self) -> str:
        """The session-signing key; made (randomly) the first time it is asked for."""
        async with self.session() as session:
            found = await session.scalar(select(WebKey.secret).order_by(WebKey.id).limit(1))
            if found:
                return found
            session.add(WebKey(secret=secrets.token_urlsafe(48)))
            await session.commit()
        async with self.session() as session:  # two processes racing: both take the first row
            return await session.scalar(select(WebKey.secret).order_by(WebKey.id).limit(1))
