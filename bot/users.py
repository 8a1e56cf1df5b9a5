"""People and roles: who may do what, invites, and when admins hear about strangers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot import texts
from bot.core.errors import UserFacingError
from bot.storage.db import Database

INVITE_TTL = timedelta(hours=24)
KNOCK_ALERT_EVERY = timedelta(days=1)


class Role(StrEnum):
    """What a person may do."""

    ADMIN = "admin"
    MANAGER = "manager"
    MODERATOR = "moderator"

    @classmethod
    def parse(cls, text: str) -> Role:
        """Read a role typed by an admin, in English or Russian; raise UserFacingError otherwise."""
        key = text.strip().lower()
        for role, words in texts.ROLE_WORDS.items():
            if key in words:
                return cls(role)
        raise UserFacingError(texts.ROLE_UNKNOWN.format(text=text[:40]))


@dataclass(frozen=True)
class Person:
    """A person with their role (None for strangers)."""

    telegram_id: int
    role: Role | None
    full_name: str
    username: str | None
    from_settings: bool = False


class UserService:
    """Roles from the database, with ADMIN_IDS always admins."""

    def __init__(self, db: Database, admin_ids: tuple[int, ...]) -> None:
        self._db = db
        self.admin_ids = frozenset(admin_ids)

    async def seen(self, telegram_id: int, full_name: str, username: str | None) -> Person:
        """Record a message from a person and return who they are."""
        row = await self._db.users.touch_user(telegram_id, full_name, username)
        return self._person(row.telegram_id, row.role, row.full_name, row.username)

    async def get(self, telegram_id: int) -> Person:
        """Return a person (a stranger when unknown)."""
        row = await self._db.users.get_user(telegram_id)
        if row is None:
            return self._person(telegram_id, None, "", None)
        return self._person(row.telegram_id, row.role, row.full_name, row.username)

    def _person(self, telegram_id: int, role: str | None, name: str, username: str | None) -> Person:
        if telegram_id in self.admin_ids:
            return Person(telegram_id, Role.ADMIN, name, username, from_settings=True)
        return Person(telegram_id, Role(role) if role else None, name, username)

    async def everyone(self) -> list[Person]:
        """Return everybody known: ADMIN_IDS first, then people with roles, then strangers."""
        rows = {row.telegram_id: row for row in await self._db.users.list_users()}
        people = [
            self._person(i, None, rows[i].full_name if i in rows else "", rows[i].username if i in rows else None)
            for i in sorted(self.admin_ids)
        ]
        people += [
            self._person(r.telegram_id, r.role, r.full_name, r.username)
            for r in rows.values()
            if r.telegram_id not in self.admin_ids
        ]
        return people

    async def admins(self) -> list[int]:
        """Return the Telegram IDs of every admin."""
        return [p.telegram_id for p in await self.everyone() if p.role is Role.ADMIN]

    async def grant(self, telegram_id: int, role: Role, by: int) -> Person:
        """Give a role."""
        if telegram_id in self.admin_ids and role is not Role.ADMIN:
            raise UserFacingError(texts.GRANT_CONFIG_ADMIN)
        await self._db.users.set_role(telegram_id, role.value, by)
        return await self.get(telegram_id)

    async def revoke(self, telegram_id: int, by: int) -> Person:
        """Take the role away."""
        if telegram_id in self.admin_ids:
            raise UserFacingError(texts.GRANT_CONFIG_ADMIN)
        if telegram_id == by:
            raise UserFacingError(texts.REVOKE_SELF)
        await self._db.users.set_role(telegram_id, None, by)
        return await self.get(telegram_id)

    async def create_invite(self, role: Role, by: int) -> str:
        """Create a single-use invite token valid for 24 hours."""
        token = secrets.token_urlsafe(12)
        expires = (datetime.now(UTC) + INVITE_TTL).isoformat(timespec="seconds")
        await self._db.users.create_invite(token, role.value, by, expires)
        return token

    async def redeem_invite(self, token: str, telegram_id: int) -> Role | None:
        """Use an invite: grant its role; None when it is unknown, used or expired."""
        role = await self._db.users.redeem_invite(token, telegram_id)
        if role is None:
            return None
        person = await self.get(telegram_id)
        if person.from_settings:
            return Role.ADMIN
        await self._db.users.set_role(telegram_id, role, None)
        return Role(role)

    async def claim_knock_alert(self, telegram_id: int) -> bool:
        """Return True when admins have not heard about this stranger in the last day."""
        not_before = (datetime.now(UTC) - KNOCK_ALERT_EVERY).isoformat(timespec="seconds")
        return await self._db.users.claim_knock_alert(telegram_id, not_before)
