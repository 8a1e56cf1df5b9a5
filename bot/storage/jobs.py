"""Jobs (uploaded files and what became of them) and their per-row results."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from bot.storage.base import Repository, writes
from bot.storage.rows import JobRow, now_iso
from bot.storage.schema import JOB_COLUMNS


class JobRepository(Repository):
    """Jobs (uploaded files and what became of them) and their per-row results."""

    @writes
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

    @writes
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

    async def unfinished_jobs(self) -> list[JobRow]:
        """Telegram jobs that were running or queued when the process stopped (CLI jobs have chat 0)."""
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE status IN ('queued', 'running') AND chat_id != 0 ORDER BY id"
        ) as cursor:
            return [JobRow(*row) for row in await cursor.fetchall()]

    async def unfinished_review_jobs(self) -> list[JobRow]:
        """Telegram files of reviews that were being analysed when the process stopped."""
        async with self._conn.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE kind = 'reviews' AND status = 'reviewing' AND chat_id != 0"
            " ORDER BY id"
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
