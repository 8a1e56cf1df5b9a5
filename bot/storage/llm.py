"""GigaChat: cached final decisions and every call's usage."""

from __future__ import annotations

from bot.storage.base import Repository, writes
from bot.storage.rows import now_iso


class LLMRepository(Repository):
    """GigaChat: cached final decisions and every call's usage."""

    async def cache_get(self, keys: list[str]) -> dict[str, str]:
        """Cached answers by key."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            async with self._conn.execute(f"SELECT key, answer FROM llm_cache WHERE key IN ({marks})", chunk) as cursor:
                found.update({str(r[0]): str(r[1]) for r in await cursor.fetchall()})
        return found

    @writes
    async def cache_put(self, answers: dict[str, str]) -> None:
        """Store answers by key."""
        stamp = now_iso()
        await self._conn.executemany(
            "INSERT OR REPLACE INTO llm_cache (key, answer, created_at) VALUES (?, ?, ?)",
            [(key, answer, stamp) for key, answer in answers.items()],
        )
        await self._conn.commit()

    @writes
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
