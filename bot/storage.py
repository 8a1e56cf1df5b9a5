"""SQLite through aiosqlite: the schema, its migrations (`PRAGMA user_version`) and every query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE users (
        telegram_id INTEGER PRIMARY KEY,
        role TEXT CHECK (role IN ('admin', 'manager', 'moderator')),
        full_name TEXT NOT NULL DEFAULT '',
        username TEXT,
        granted_by INTEGER,
        knock_alerted_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE invites (
        token TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'moderator')),
        created_by INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_by INTEGER,
        used_at TEXT
    );
    """,
)


USER_COLUMNS = "telegram_id, role, full_name, username, knock_alerted_at"


def now_iso() -> str:
    """Return the current UTC time as ISO text (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class UserRow:
    """A person the bot has seen or been told about."""

    telegram_id: int
    role: str | None
    full_name: str
    username: str | None
    knock_alerted_at: str | None


class Database:
    """One aiosqlite connection in WAL mode; every query of the project lives here."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    @classmethod
    @asynccontextmanager
    async def open(cls, path: Path) -> AsyncIterator[Database]:
        """Open (creating folders as needed), migrate, and close on exit."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            db = cls(conn)
            await db.migrate()
            yield db
        finally:
            await conn.close()

    async def schema_version(self) -> int:
        """Return `PRAGMA user_version`."""
        async with self._conn.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> None:
        """Apply every migration newer than the database, each in its own transaction."""
        version = await self.schema_version()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            await self._conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")

    # --- users ---------------------------------------------------------------------------------

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

    # --- invites -------------------------------------------------------------------------------

    async def create_invite(self, token: str, role: str, created_by: int, expires_at: str) -> None:
        """Store a single-use invite."""
        await self._conn.execute(
            "INSERT INTO invites (token, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (token, role, created_by, now_iso(), expires_at),
        )
        await self._conn.commit()

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
