"""People, their roles and invites."""

from __future__ import annotations

from bot.storage.base import Repository, writes
from bot.storage.rows import UserRow, now_iso
from bot.storage.schema import USER_COLUMNS


class UserRepository(Repository):
    """People, their roles and invites."""

    @writes
    async def touch_user(self, telegram_id: int, full_name: str, username: str | None) -> UserRow:
        """Record that a person wrote to the bot (name and username refreshed); return the row."""
        stamp = now_iso()
        await self._conn.execute(
            """
            INSERT INTO users (telegram_id, full_name, username, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (telegram_id) DO UPDATE SET
                full_name = excluded.full_name, username = excluded.username
            """,
            (telegram_id, full_name, username, stamp, stamp),
        )
        await self._conn.commit()
        row = await self.get_user(telegram_id)
        assert row is not None
        return row

    async def get_user(self, telegram_id: int) -> UserRow | None:
        """Return one person or None."""
        async with self._conn.execute(
            f"SELECT {USER_COLUMNS} FROM users WHERE telegram_id = ?",
            (telegram_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return UserRow(*row) if row else None

    async def list_users(self) -> list[UserRow]:
        """Return everybody, people with a role first."""
        async with self._conn.execute(
            f"""
            SELECT {USER_COLUMNS} FROM users
            ORDER BY role IS NULL, role, full_name COLLATE NOCASE
            """
        ) as cursor:
            rows = await cursor.fetchall()
        return [UserRow(*row) for row in rows]

    @writes
    async def set_role(self, telegram_id: int, role: str | None, granted_by: int | None) -> None:
        """Give a person a role (None takes it away), creating the row when needed."""
        stamp = now_iso()
        await self._conn.execute(
            """
            INSERT INTO users (telegram_id, role, granted_by, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (telegram_id) DO UPDATE SET
                role = excluded.role, granted_by = excluded.granted_by, updated_at = excluded.updated_at
            """,
            (telegram_id, role, granted_by, stamp, stamp),
        )
        await self._conn.commit()

    @writes
    async def claim_knock_alert(self, telegram_id: int, not_before: str) -> bool:
        """Mark that admins were told about this stranger, unless they were told after `not_before`."""
        cursor = await self._conn.execute(
            """
            UPDATE users SET knock_alerted_at = ?
            WHERE telegram_id = ? AND (knock_alerted_at IS NULL OR knock_alerted_at < ?)
            """,
            (now_iso(), telegram_id, not_before),
        )
        await self._conn.commit()
        return cursor.rowcount == 1

    @writes
    async def create_invite(self, token: str, role: str, created_by: int, expires_at: str) -> None:
        """Store a single-use invite."""
        await self._conn.execute(
            "INSERT INTO invites (token, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (token, role, created_by, now_iso(), expires_at),
        )
        await self._conn.commit()

    @writes
    async def redeem_invite(self, token: str, user_id: int) -> str | None:
        """Use an invite once, atomically; return its role, or None when unknown, used or expired."""
        stamp = now_iso()
        async with self._conn.execute(
            """
            UPDATE invites SET used_by = ?, used_at = ?
            WHERE token = ? AND used_by IS NULL AND expires_at > ?
            RETURNING role
            """,
            (user_id, stamp, token, stamp),
        ) as cursor:
            row = await cursor.fetchone()
        await self._conn.commit()
        return str(row[0]) if row else None
