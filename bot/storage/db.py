"""SQLite through aiosqlite: opening the file, its pragmas and migrations; the repositories it holds.

Every query lives in a repository of this package (one per table or closely tied group), all on
one connection with one writer lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.storage.jobs import JobRepository
from bot.storage.llm import LLMRepository
from bot.storage.memory import MemoryRepository
from bot.storage.places import PlaceRepository
from bot.storage.reviews import ReviewRepository
from bot.storage.rows import JobRow, UserRow, fold, now_iso
from bot.storage.schema import MIGRATIONS, PLACE_COLUMNS, REVIEW_COLUMNS, TEAM
from bot.storage.users import UserRepository

__all__ = ["MIGRATIONS", "PLACE_COLUMNS", "REVIEW_COLUMNS", "TEAM", "Database", "JobRow", "UserRow", "now_iso"]


class Database:
    """One aiosqlite connection in WAL mode and the repositories that query it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._write_lock = asyncio.Lock()
        self.users = UserRepository(conn, self._write_lock)
        self.jobs = JobRepository(conn, self._write_lock)
        self.memory = MemoryRepository(conn, self._write_lock)
        self.places = PlaceRepository(conn, self._write_lock)
        self.llm = LLMRepository(conn, self._write_lock)
        self.reviews = ReviewRepository(conn, self._write_lock)

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
            # In WAL mode NORMAL never corrupts the file; it only skips an fsync per commit, which
            # otherwise costs milliseconds on every cached answer and every usage record.
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            # SQLite's lower() knows only ASCII; search needs Cyrillic folded too.
            await conn.create_function("fold", 1, fold, deterministic=True)
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
