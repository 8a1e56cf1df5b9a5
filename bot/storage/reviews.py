"""Analysed reviews and moderators' decisions."""

from __future__ import annotations

from typing import Any

from bot.storage.base import Repository, writes
from bot.storage.rows import QueuedReview, ReviewRow, now_iso
from bot.storage.schema import REVIEW_COLUMNS


class ReviewRepository(Repository):
    """Analysed reviews and moderators' decisions."""

    @writes
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
                marks = sorted(set(review.get("marks") or ()))
                await self._conn.executemany(
                    "INSERT OR IGNORE INTO review_marks (mark, review_id) VALUES (?, ?)",
                    [(mark, cursor.lastrowid) for mark in marks],
                )
            if job_id is not None:
                await self._conn.execute(
                    "UPDATE jobs SET processed = ?, updated_at = ? WHERE id = ?", (processed, stamp, job_id)
                )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        return ids

    async def get_review(self, review_id: int) -> ReviewRow | None:
        """One stored review with the name of its place."""
        async with self._conn.execute(
            """
            SELECT r.id, r.analysis, r.status, r.place_id, coalesce(p.name, r.place_name), r.moderator_id,
                   r.decided_at
            FROM reviews r LEFT JOIN places p ON p.id = r.place_id WHERE r.id = ?
            """,
            (review_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return ReviewRow(*row) if row else None

    @writes
    async def decide_review(self, review_id: int, status: str, moderator_id: int) -> bool:
        """Record a moderator's decision (approved, rejected, or pending again); False when there is no such review.

        Every decision is also kept in `review_decisions` with the verdict and reasons the bot had
        given: the labelled examples the bot learns from.
        """
        stamp = now_iso()
        decided = (moderator_id, stamp) if status != "pending" else (None, None)
        await self._conn.execute("BEGIN")
        try:
            cursor = await self._conn.execute(
                "UPDATE reviews SET status = ?, moderator_id = ?, decided_at = ? WHERE id = ?",
                (status, *decided, review_id),
            )
            if cursor.rowcount == 1:
                await self._conn.execute(
                    """
                    INSERT INTO review_decisions (review_id, status, verdict, reasons, moderator_id, created_at)
                    SELECT id, ?, verdict, reasons, ?, ? FROM reviews WHERE id = ?
                    """,
                    (status, moderator_id, stamp, review_id),
                )
            await self._conn.commit()
        except BaseException:
            await self._conn.rollback()
            raise
        return cursor.rowcount == 1

    async def decisions(self, review_id: int) -> list[tuple[str, int, str]]:
        """Every decision on a review, oldest first: (status, moderator, when)."""
        async with self._conn.execute(
            "SELECT status, moderator_id, created_at FROM review_decisions WHERE review_id = ? ORDER BY id",
            (review_id,),
        ) as cursor:
            return [(str(r[0]), int(r[1]), str(r[2])) for r in await cursor.fetchall()]

    async def rejected_with_marks(self, marks: list[str]) -> dict[str, int]:
        """For each mark (a phone, a link, a promo code, a handle), the latest rejected review that has it."""
        if not marks:
            return {}
        found: dict[str, int] = {}
        for start in range(0, len(marks), 500):
            chunk = marks[start : start + 500]
            async with self._conn.execute(
                f"""
                SELECT m.mark, max(r.id) FROM review_marks m JOIN reviews r ON r.id = m.review_id
                WHERE r.status = 'rejected' AND m.mark IN ({", ".join("?" for _ in chunk)}) GROUP BY m.mark
                """,
                chunk,
            ) as cursor:
                found.update({str(r[0]): int(r[1]) for r in await cursor.fetchall()})
        return found

    async def recent_decided(self, limit: int) -> list[tuple[int, str, str, str]]:
        """The latest decided reviews: (id, text, status, reasons JSON), newest first."""
        async with self._conn.execute(
            """
            SELECT id, text, status, reasons FROM reviews WHERE status != 'pending'
            ORDER BY decided_at DESC, id DESC LIMIT ?
            """,
            (limit,),
        ) as cursor:
            return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in await cursor.fetchall()]

    @writes
    async def bind_review(self, review_id: int, place_id: int) -> bool:
        """Attach a review to a catalogue place."""
        cursor = await self._conn.execute(
            "UPDATE reviews SET place_id = ?, place_name = (SELECT name FROM places WHERE id = ?) WHERE id = ?",
            (place_id, place_id, review_id),
        )
        await self._conn.commit()
        return cursor.rowcount == 1

    async def review_queue(self, limit: int) -> tuple[int, list[QueuedReview]]:
        """Reviews waiting for a decision, those the rules doubt first: (total, first `limit`)."""
        async with self._conn.execute("SELECT count(*) FROM reviews WHERE status = 'pending'") as cursor:
            row = await cursor.fetchone()
            total = int(row[0]) if row else 0
        async with self._conn.execute(
            """
            SELECT id, text, verdict, place_name FROM reviews WHERE status = 'pending'
            ORDER BY verdict = 'approve', verdict = 'reject', id LIMIT ?
            """,
            (limit,),
        ) as cursor:
            return total, [QueuedReview(*r) for r in await cursor.fetchall()]

    async def place_review_analyses(self, place_id: int) -> list[str]:
        """The analyses (JSON) of every stored review of a place that was not rejected, oldest first."""
        async with self._conn.execute(
            "SELECT analysis FROM reviews WHERE place_id = ? AND status != 'rejected' ORDER BY id", (place_id,)
        ) as cursor:
            return [str(r[0]) for r in await cursor.fetchall()]

    async def job_review_analyses(self, job_id: int) -> list[str]:
        """The stored analyses of a file job's reviews, in file order (what a resumed job already did)."""
        async with self._conn.execute(
            "SELECT analysis FROM reviews WHERE source_job = ? ORDER BY id", (job_id,)
        ) as cursor:
            return [str(row[0]) for row in await cursor.fetchall()]
