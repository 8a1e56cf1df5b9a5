"""SQLite through aiosqlite: the schema, its migrations (`PRAGMA user_version`) and every query."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

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
    """
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL DEFAULT 'places',
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        file_name TEXT NOT NULL,
        file_path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        sheet TEXT,
        plan TEXT,
        options TEXT,
        message_id INTEGER,
        total INTEGER NOT NULL DEFAULT 0,
        processed INTEGER NOT NULL DEFAULT 0,
        counters TEXT,
        result_path TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
    );
    CREATE INDEX jobs_user ON jobs (user_id, created_at);
    CREATE INDEX jobs_sha ON jobs (sha256);
    CREATE TABLE mapping_memory (
        signature TEXT NOT NULL,
        owner INTEGER NOT NULL,
        mapping TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (signature, owner)
    );
    CREATE TABLE header_memory (
        header TEXT PRIMARY KEY,
        field TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE value_memory (
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        result TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, value)
    );
    """,
    """
    CREATE TABLE places (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        category TEXT,
        subcategory TEXT,
        description TEXT,
        address TEXT,
        city TEXT,
        region TEXT,
        district TEXT,
        phone TEXT,
        email TEXT,
        website TEXT,
        working_hours TEXT,
        latitude REAL,
        longitude REAL,
        rating REAL,
        price TEXT,
        social TEXT,
        notes TEXT,
        external_id TEXT,
        extra TEXT NOT NULL DEFAULT '{}',
        name_key TEXT NOT NULL,
        dedupe_key TEXT,
        category_source TEXT,
        needs_review INTEGER NOT NULL DEFAULT 0,
        source_job INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX places_dedupe ON places (dedupe_key);
    CREATE INDEX places_name ON places (name_key);
    CREATE INDEX places_category ON places (category, subcategory);
    CREATE TABLE job_rows (
        job_id INTEGER NOT NULL,
        row INTEGER NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        place_id INTEGER,
        result TEXT NOT NULL,
        PRIMARY KEY (job_id, row)
    );
    CREATE TABLE llm_cache (
        key TEXT PRIMARY KEY,
        answer TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER,
        job_id INTEGER,
        purpose TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        latency_ms INTEGER NOT NULL,
        cause TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX llm_usage_job ON llm_usage (job_id);
    CREATE INDEX llm_usage_user ON llm_usage (user_id, created_at);
    """,
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        place_id INTEGER REFERENCES places (id) ON DELETE SET NULL,
        place_name TEXT,
        author TEXT,
        review_date TEXT,
        stated_rating INTEGER,
        analysis TEXT NOT NULL,
        sentiment TEXT NOT NULL,
        rating INTEGER NOT NULL,
        verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'needs_review', 'reject')),
        reasons TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
        moderator_id INTEGER,
        decided_at TEXT,
        source_job INTEGER,
        created_by INTEGER,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reviews_place ON reviews (place_id, status);
    CREATE INDEX reviews_status ON reviews (status, id);
    CREATE INDEX reviews_hash ON reviews (text_hash);
    """,
    """
    ALTER TABLE llm_usage ADD COLUMN precached_tokens INTEGER NOT NULL DEFAULT 0;
    """,
)

PLACE_COLUMNS = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district", "phone",
    "email", "website", "working_hours", "latitude", "longitude", "rating", "price", "social", "notes",
    "external_id",
)  # fmt: skip

TEAM = 0  # owner of mappings shared by the whole team

JOB_COLUMNS = (
    "id, kind, user_id, chat_id, file_name, file_path, sha256, status, sheet, plan, options, message_id, "
    "total, processed, counters, result_path, error, created_at, updated_at, started_at, finished_at"
)
P = ParamSpec("P")
R = TypeVar("R")


def _writes(
    method: Callable[Concatenate[Database, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Database, P], Coroutine[Any, Any, R]]:
    """One writer at a time on the shared connection, so no statement lands inside another's transaction
    (and no commit of one caller commits half of another's batch); a failed write is rolled back."""

    async def wrapper(self: Database, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._write_lock:
            try:
                return await method(self, *args, **kwargs)
            except BaseException:
                await self._conn.rollback()
                raise

    wrapper.__doc__, wrapper.__name__ = method.__doc__, method.__name__
    return wrapper


USER_COLUMNS = "telegram_id, role, full_name, username, knock_alerted_at"
REVIEW_COLUMNS = (
    "text", "text_hash", "place_id", "place_name", "author", "review_date", "stated_rating", "analysis",
    "sentiment", "rating", "verdict", "reasons", "source", "source_job", "created_by",
)  # fmt: skip


def _fold(value: object) -> str | None:
    return None if value is None else str(value).lower().replace("ё", "е")


def now_iso() -> str:
    """Return the current UTC time as ISO text (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRow:
    """An uploaded file and what became of it."""

    id: int
    kind: str
    user_id: int
    chat_id: int
    file_name: str
    file_path: str
    sha256: str
    status: str
    sheet: str | None
    plan: str | None
    options: str | None
    message_id: int | None
    total: int
    processed: int
    counters: str | None
    result_path: str | None
    error: str | None
    created_at: str
    updated_at: str
    started_at: str | None
    finished_at: str | None


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
        self._write_lock = asyncio.Lock()

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
            await conn.create_function("fold", 1, _fold, deterministic=True)
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

    @_writes
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

    @_writes
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

    @_writes
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

    @_writes
    async def create_invite(self, token: str, role: str, created_by: int, expires_at: str) -> None:
        """Store a single-use invite."""
        await self._conn.execute(
            "INSERT INTO invites (token, role, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (token, role, created_by, now_iso(), expires_at),
        )
        await self._conn.commit()

    @_writes
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

    # --- jobs ----------------------------------------------------------------------------------

    @_writes
    async def create_job(
        self,
        *,
        kind: str,
        user_id: int,
        chat_id: int,
        file_name: str,
        file_path: str,
        sha256: str,
        status: str,
    ) -> int:
        """Register an uploaded file; return the job id."""
        stamp = now_iso()
        cursor = await self._conn.execute(
            """
            INSERT INTO jobs (
                kind, user_id, chat_id, file_name, file_path, sha256, status, created_at, updated_at
            )
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (kind, user_id, chat_id, file_name, file_path, sha256, status, stamp, stamp),
        )
        await self._conn.commit()
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def get_job(self, job_id: int) -> JobRow | None:
        """Return one job."""
        async with self._conn.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)) as cursor:
            row = await cursor.fetchone()
        return JobRow(*row) if row else None

    @_writes
    async def update_job(self, job_id: int, /, **values: str | int | None) -> None:
        """Set some columns of a job (names are checked against the schema)."""
        allowed = set(JOB_COLUMNS.replace(" ", "").split(",")) - {"id", "created_at"}
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"unknown job columns: {unknown}")
        values["updated_at"] = now_iso()
        assignments = ", ".join(f"{name} = ?" for name in values)
        await self._conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values.values(), job_id))
        await self._conn.commit()

    async def recent_jobs(self, user_id: int | None, limit: int = 10) -> list[JobRow]:
        """Return the newest jobs (of one user, or everybody's)."""
        where, params = ("WHERE user_id = ?", (user_id, limit)) if user_id is not None else ("", (limit,))
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs {where} ORDER BY id DESC LIMIT ?", params
        ) as cursor:
            rows = await cursor.fetchall()
        return [JobRow(*row) for row in rows]

    # --- mapping memory ------------------------------------------------------------------------

    @_writes
    async def remember_mapping(self, signature: str, owner: int, mapping: str) -> None:
        """Store a confirmed mapping for a header signature (per person, and for the team)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO mapping_memory (signature, owner, mapping, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (signature, owner) DO UPDATE
            SET mapping = excluded.mapping, updated_at = excluded.updated_at
            """,
            [(signature, owner, mapping, stamp), (signature, TEAM, mapping, stamp)],
        )
        await self._conn.commit()

    async def recall_mapping(self, signature: str, owner: int) -> str | None:
        """Return the remembered mapping: the person's own first, then the team's."""
        async with self._conn.execute(
            """
            SELECT mapping FROM mapping_memory WHERE signature = ? AND owner IN (?, ?)
            ORDER BY owner = ? DESC LIMIT 1
            """,
            (signature, owner, TEAM, owner),
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    @_writes
    async def remember_headers(self, choices: dict[str, str | None]) -> None:
        """Remember which field each confirmed header feeds (None: not imported)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO header_memory (header, field, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (header) DO UPDATE SET field = excluded.field, updated_at = excluded.updated_at
            """,
            [(header, field, stamp) for header, field in choices.items()],
        )
        await self._conn.commit()

    async def recall_headers(self, headers: list[str]) -> dict[str, str | None]:
        """Return remembered fields for the given normalised headers."""
        if not headers:
            return {}
        marks = ", ".join("?" for _ in headers)
        async with self._conn.execute(
            f"SELECT header, field FROM header_memory WHERE header IN ({marks})", headers
        ) as cursor:
            rows = await cursor.fetchall()
        return {str(r[0]): (str(r[1]) if r[1] is not None else None) for r in rows}

    @_writes
    async def remember_values(self, kind: str, results: dict[str, str]) -> None:
        """Remember how values of a kind were resolved (e.g. a file's category → our keys)."""
        stamp = now_iso()
        await self._conn.executemany(
            """
            INSERT INTO value_memory (kind, value, result, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (kind, value) DO UPDATE SET result = excluded.result, updated_at = excluded.updated_at
            """,
            [(kind, value, result, stamp) for value, result in results.items()],
        )
        await self._conn.commit()

    async def recall_values(self, kind: str, values: list[str]) -> dict[str, str]:
        """Return remembered results for values of a kind."""
        if not values:
            return {}
        found: dict[str, str] = {}
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            async with self._conn.execute(
                f"SELECT value, result FROM value_memory WHERE kind = ? AND value IN ({marks})",
                (kind, *chunk),
            ) as cursor:
                found.update({str(r[0]): str(r[1]) for r in await cursor.fetchall()})
        return found

    # --- places --------------------------------------------------------------------------------

    async def find_places(self, *, dedupe_keys: list[str], name_keys: list[str]) -> list[dict[str, Any]]:
        """Return catalogue places sharing a dedupe key or a name key with the given ones."""
        found: dict[int, dict[str, Any]] = {}
        for column, keys in (("dedupe_key", dedupe_keys), ("name_key", name_keys)):
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                if not chunk:
                    continue
                marks = ", ".join("?" for _ in chunk)
                columns = f"id, {', '.join(PLACE_COLUMNS)}, extra, name_key, dedupe_key"
                sql = f"SELECT {columns} FROM places WHERE {column} IN ({marks})"
                async with self._conn.execute(sql, chunk) as cursor:
                    for row in await cursor.fetchall():
                        found[int(row["id"])] = dict(row)
        return list(found.values())

    @_writes
    async def save_batch(
        self,
        job_id: int,
        *,
        inserts: list[tuple[int, dict[str, Any]]],
        updates: list[tuple[int, int, dict[str, Any]]],
        rows: list[tuple[int, str, str | None, int | None, str]],
        processed: int,
        counters: str,
    ) -> dict[int, int]:
        """Write one batch atomically: new places, updated places, per-row results, job progress.

        `inserts` are (row, values); `updates` are (row, place_id, changed values); `rows` are
        (row, status, reason, place_id, result JSON) where place_id -1 means "the place inserted for
        this row". Returns row → place id for the inserted places.
        """
        stamp = now_iso()
        await self._conn.execute("BEGIN")
        try:
            inserted = await self._insert_places(inserts, stamp)
            for _row, place_id, values in updates:
                if values:
                    assignments = ", ".join(f"{name} = ?" for name in values)
                    await self._conn.execute(
                        f"UPDATE places SET {assignments}, updated_at = ? WHERE id = ?",
                        (*values.values(), stamp, place_id),
                    )
            await self._conn.executemany(
                """
                INSERT OR REPLACE INTO job_rows (job_id, row, status, reason, place_id, result)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    (job_id, row, status, reason, inserted.get(row) if place_id == -1 else place_id, result)
                    for row, status, reason, place_id, result in rows
                ],
            )
            await self._conn.execute(
                "UPDATE jobs SET processed = ?, counters = ?, updated_at = ? WHERE id = ?",
                (processed, counters, stamp, job_id),
            )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        return inserted

    async def _insert_places(self, inserts: list[tuple[int, dict[str, Any]]], stamp: str) -> dict[int, int]:
        """Insert new places inside the caller's transaction; return row → the id each one got."""
        if not inserts:
            return {}
        names = list(inserts[0][1])
        sql = (
            f"INSERT INTO places ({', '.join(names)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' for _ in names)}, ?, ?)"
        )
        async with self._conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'places'") as cursor:
            found = await cursor.fetchone()
        first_id = (int(found[0]) if found else 0) + 1
        # One writer inside one transaction: AUTOINCREMENT hands out consecutive ids.
        await self._conn.executemany(sql, [(*(values[name] for name in names), stamp, stamp) for _, values in inserts])
        return {row: first_id + n for n, (row, _) in enumerate(inserts)}

    async def done_rows(self, job_id: int) -> set[int]:
        """Row numbers of a job already committed (for resume)."""
        async with self._conn.execute("SELECT row FROM job_rows WHERE job_id = ?", (job_id,)) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}

    async def job_results(self, job_id: int) -> list[tuple[int, str, str | None, int | None, str]]:
        """Every row result of a job, in row order."""
        async with self._conn.execute(
            "SELECT row, status, reason, place_id, result FROM job_rows WHERE job_id = ? ORDER BY row",
            (job_id,),
        ) as cursor:
            return [(int(r[0]), str(r[1]), r[2], r[3], str(r[4])) for r in await cursor.fetchall()]

    async def iter_job_results(
        self, job_id: int, page: int = 2000
    ) -> AsyncIterator[list[tuple[int, str, str | None, int | None, str]]]:
        """A job's row results in row order, a page at a time (memory stays flat on big files)."""
        last = -1
        while True:
            async with self._conn.execute(
                """
                SELECT row, status, reason, place_id, result FROM job_rows
                WHERE job_id = ? AND row > ? ORDER BY row LIMIT ?
                """,
                (job_id, last, page),
            ) as cursor:
                rows = [(int(r[0]), str(r[1]), r[2], r[3], str(r[4])) for r in await cursor.fetchall()]
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    @staticmethod
    def read_job_results(path: Path, job_id: int, page: int = 2000) -> Iterator[tuple[int, str, str | None, str]]:
        """Blocking reader for worker threads: (row, status, reason, result) in row order.

        It opens its own connection; in WAL mode it reads while the bot keeps writing.
        """
        conn = sqlite3.connect(path)
        try:
            last = -1
            while True:
                rows = conn.execute(
                    "SELECT row, status, reason, result FROM job_rows WHERE job_id = ? AND row > ? ORDER BY row LIMIT ?",  # noqa: E501
                    (job_id, last, page),
                ).fetchall()
                if not rows:
                    return
                yield from ((int(r[0]), str(r[1]), r[2], str(r[3])) for r in rows)
                last = int(rows[-1][0])
        finally:
            conn.close()

    async def search_places(self, query: str, *, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
        """Places whose name, address or category contains the query; (total, page)."""
        like = f"%{_fold(query.strip())}%"
        where = "WHERE fold(name) LIKE ? OR fold(coalesce(address, '')) LIKE ? OR category LIKE ? OR subcategory LIKE ?"
        params = (like, like, like, like)
        async with self._conn.execute(f"SELECT count(*) FROM places {where}", params) as cursor:
            row = await cursor.fetchone()
            total = int(row[0]) if row else 0
        async with self._conn.execute(
            f"SELECT id, {', '.join(PLACE_COLUMNS)} FROM places {where} ORDER BY name COLLATE NOCASE LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ) as cursor:
            return total, [dict(r) for r in await cursor.fetchall()]

    async def iter_places(self, category: str | None = None) -> list[dict[str, Any]]:
        """Every place (optionally of one category), for export."""
        where, params = ("WHERE category = ?", (category,)) if category else ("", ())
        async with self._conn.execute(
            f"SELECT id, {', '.join(PLACE_COLUMNS)}, extra FROM places {where} ORDER BY id", params
        ) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def category_counts(self) -> list[tuple[str | None, int]]:
        """Places per category."""
        async with self._conn.execute(
            "SELECT category, count(*) FROM places GROUP BY category ORDER BY count(*) DESC"
        ) as cursor:
            return [(r[0], int(r[1])) for r in await cursor.fetchall()]

    # --- GigaChat cache and usage --------------------------------------------------------------

    async def cache_get(self, keys: list[str]) -> dict[str, str]:
        """Cached answers by key."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            async with self._conn.execute(f"SELECT key, answer FROM llm_cache WHERE key IN ({marks})", chunk) as cursor:
                found.update({str(r[0]): str(r[1]) for r in await cursor.fetchall()})
        return found

    @_writes
    async def cache_put(self, answers: dict[str, str]) -> None:
        """Store answers by key."""
        stamp = now_iso()
        await self._conn.executemany(
            "INSERT OR REPLACE INTO llm_cache (key, answer, created_at) VALUES (?, ?, ?)",
            [(key, answer, stamp) for key, answer in answers.items()],
        )
        await self._conn.commit()

    @_writes
    async def record_usage(
        self, *, user_id: int | None, job_id: int | None, purpose: str, model: str,
        prompt_tokens: int, completion_tokens: int, total_tokens: int, latency_ms: int, cause: str | None,
        precached_tokens: int = 0,
    ) -> None:  # fmt: skip
        """One GigaChat call's cost (`precached_tokens`: prompt tokens GigaChat served from its cache)."""
        await self._conn.execute(
            """
            INSERT INTO llm_usage (user_id, job_id, purpose, model, prompt_tokens, completion_tokens,
                                   total_tokens, latency_ms, cause, created_at, precached_tokens)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (
                user_id, job_id, purpose, model, prompt_tokens, completion_tokens, total_tokens, latency_ms,
                cause, now_iso(), precached_tokens,
            ),
        )  # fmt: skip
        await self._conn.commit()

    async def job_usage(self, job_id: int) -> tuple[int, int]:
        """(calls, tokens) spent on a job."""
        async with self._conn.execute(
            "SELECT count(*), coalesce(sum(total_tokens), 0) FROM llm_usage WHERE job_id = ? AND cause IS NULL",
            (job_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def usage_by_user(self, since: str) -> list[tuple[int | None, int, int]]:
        """(user, calls, tokens) since a moment."""
        async with self._conn.execute(
            """
            SELECT user_id, count(*), coalesce(sum(total_tokens), 0) FROM llm_usage
            WHERE created_at >= ? GROUP BY user_id ORDER BY 3 DESC
            """,
            (since,),
        ) as cursor:
            return [(r[0], int(r[1]), int(r[2])) for r in await cursor.fetchall()]

    async def tokens_per_item(self, since: str) -> tuple[float | None, float | None]:
        """Tokens per imported place and per analysed review since a moment (None when there were none)."""
        async with self._conn.execute(
            """
            SELECT
              (SELECT coalesce(sum(total_tokens), 0) FROM llm_usage
                WHERE created_at >= :since AND purpose IN ('import', 'mapping')),
              (SELECT coalesce(sum(coalesce(json_extract(counters, '$.imported'), 0)
                                   + coalesce(json_extract(counters, '$.updated'), 0)), 0)
                 FROM jobs WHERE kind = 'places' AND created_at >= :since),
              (SELECT coalesce(sum(total_tokens), 0) FROM llm_usage
                WHERE created_at >= :since AND purpose IN ('review', 'reviews_file', 'review_cli')),
              (SELECT count(*) FROM reviews WHERE created_at >= :since)
            """,
            {"since": since},
        ) as cursor:
            row = await cursor.fetchone()
        place_tokens, places, review_tokens, reviews = row if row else (0, 0, 0, 0)
        return (
            round(place_tokens / places, 1) if places else None,
            round(review_tokens / reviews, 1) if reviews else None,
        )

    async def job_review_analyses(self, job_id: int) -> list[str]:
        """The stored analyses of a file job's reviews, in file order (what a resumed job already did)."""
        async with self._conn.execute(
            "SELECT analysis FROM reviews WHERE source_job = ? ORDER BY id", (job_id,)
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]

    async def unfinished_review_jobs(self) -> list[JobRow]:
        """Telegram files of reviews that were being analysed when the process stopped."""
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE kind = 'reviews' AND status = 'reviewing' AND chat_id != 0"
            " ORDER BY id"
        ) as cursor:
            return [JobRow(*row) for row in await cursor.fetchall()]

    async def unfinished_jobs(self) -> list[JobRow]:
        """Telegram jobs that were running or queued when the process stopped (CLI jobs have chat 0)."""
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') AND chat_id != 0 ORDER BY id"
        ) as cursor:
            return [JobRow(*row) for row in await cursor.fetchall()]

    async def last_done_job_for(self, sha256: str) -> JobRow | None:
        """The newest finished job of the same file contents."""
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE sha256 = ? AND status = 'done' ORDER BY id DESC LIMIT 1",
            (sha256,),
        ) as cursor:
            row = await cursor.fetchone()
        return JobRow(*row) if row else None

    # --- reviews -------------------------------------------------------------------------------

    @_writes
    async def add_reviews(
        self, reviews: list[dict[str, Any]], *, job_id: int | None = None, processed: int | None = None
    ) -> list[int]:
        """Store analysed reviews (keys are `REVIEW_COLUMNS`) in one transaction; return their ids.

        With `job_id` the job's progress is committed in the same transaction, so a file job resumed
        after a restart neither loses nor doubles a review.
        """
        stamp = now_iso()
        ids: list[int] = []
        await self._conn.execute("BEGIN")
        try:
            for review in reviews:
                values = [review.get(name) for name in REVIEW_COLUMNS]
                cursor = await self._conn.execute(
                    f"INSERT INTO reviews ({', '.join(REVIEW_COLUMNS)}, created_at) "
                    f"VALUES ({', '.join('?' for _ in REVIEW_COLUMNS)}, ?)",
                    (*values, stamp),
                )
                assert cursor.lastrowid is not None
                ids.append(cursor.lastrowid)
            if job_id is not None:
                await self._conn.execute(
                    "UPDATE jobs SET processed = ?, updated_at = ? WHERE id = ?", (processed, stamp, job_id)
                )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        return ids

    async def get_review(self, review_id: int) -> dict[str, Any] | None:
        """One stored review with the name of its place."""
        async with self._conn.execute(
            f"""
            SELECT r.id, {", ".join("r." + c for c in REVIEW_COLUMNS)}, r.status, r.moderator_id, r.decided_at,
                   r.created_at, p.name AS catalogue_name
            FROM reviews r LEFT JOIN places p ON p.id = r.place_id WHERE r.id = ?
            """,
            (review_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return dict(row) if row else None

    @_writes
    async def decide_review(self, review_id: int, status: str, moderator_id: int) -> bool:
        """Record a moderator's decision (approved or rejected); False when there is no such review."""
        cursor = await self._conn.execute(
            "UPDATE reviews SET status = ?, moderator_id = ?, decided_at = ? WHERE id = ?",
            (status, moderator_id, now_iso(), review_id),
        )
        await self._conn.commit()
        return cursor.rowcount == 1

    @_writes
    async def bind_review(self, review_id: int, place_id: int) -> bool:
        """Attach a review to a catalogue place."""
        cursor = await self._conn.execute(
            "UPDATE reviews SET place_id = ?, place_name = (SELECT name FROM places WHERE id = ?) WHERE id = ?",
            (place_id, place_id, review_id),
        )
        await self._conn.commit()
        return cursor.rowcount == 1

    async def review_queue(self, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """Reviews waiting for a decision, those the rules doubt first: (total, first `limit`)."""
        async with self._conn.execute("SELECT count(*) FROM reviews WHERE status = 'pending'") as cursor:
            row = await cursor.fetchone()
            total = int(row[0]) if row else 0
        async with self._conn.execute(
            """
            SELECT id, text, verdict, reasons, place_name, created_at FROM reviews WHERE status = 'pending'
            ORDER BY verdict = 'approve', verdict = 'reject', id LIMIT ?
            """,
            (limit,),
        ) as cursor:
            return total, [dict(r) for r in await cursor.fetchall()]

    async def place_reviews(self, place_id: int) -> list[dict[str, Any]]:
        """Every stored review of a place that was not rejected, oldest first."""
        async with self._conn.execute(
            f"SELECT id, {', '.join(REVIEW_COLUMNS)}, status FROM reviews "
            "WHERE place_id = ? AND status != 'rejected' ORDER BY id",
            (place_id,),
        ) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def get_place(self, place_id: int) -> dict[str, Any] | None:
        """One catalogue place."""
        async with self._conn.execute(
            f"SELECT id, {', '.join(PLACE_COLUMNS)} FROM places WHERE id = ?", (place_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return dict(row) if row else None
