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
        """Record a moderator's decision (approved or rejected); False when there is no such review."""
        cursor = await self._conn.execute(
            "UPDATE reviews SET status = ?, moderator_id = ?, decided_at = ? WHERE id = ?",
            (status, moderator_id, now_iso(), review_id),
        )
        await self._conn.commit()
        return cursor.rowcount == 1

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
