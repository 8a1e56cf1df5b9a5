"""The shared connection: a batch is all or nothing even while other people's writes go on."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import Database


async def test_a_failed_batch_leaves_nothing_even_with_other_writers(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as db:
        job = await db.jobs.create_job(
            kind="places", user_id=1, chat_id=1, file_name="a.xlsx", file_path="a", sha256="x", status="running"
        )
        batch = db.places.save_batch(
            job,
            inserts=[(2, {"name": "Кафе", "name_key": "кафе"}), (3, {"name": "Бар", "name_key": "бар"})],
            updates=[(4, 1, {"no_such_column": 1})],  # fails after the inserts
            rows=[],
            processed=3,
            counters="{}",
        )
        original = db._conn.executemany

        async def slow_executemany(*args: object, **kwargs: object) -> object:
            result = await original(*args, **kwargs)
            await asyncio.sleep(0.05)  # a slow disk: other writers get their turn in the middle of the batch
            return result

        db._conn.executemany = slow_executemany  # type: ignore[method-assign,assignment]
        failing = asyncio.create_task(batch)
        await asyncio.sleep(0.01)
        others = [asyncio.create_task(db.users.touch_user(n, f"User {n}", None)) for n in range(5)]
        with pytest.raises(sqlite3.OperationalError):
            await failing
        await asyncio.gather(*others)
        assert await db.places.iter_places() == []
        assert len(await db.users.list_users()) == 5
        assert (await db.jobs.get_job(job)).processed == 0  # type: ignore[union-attr]


async def test_stats_count_tokens_per_imported_place_and_per_review(tmp_path: Path) -> None:
    async with Database.open(tmp_path / "bot.sqlite3") as db:
        assert await db.llm.tokens_per_item("2000-01-01") == (None, None)
        job = await db.jobs.create_job(
            kind="places", user_id=1, chat_id=1, file_name="a.xlsx", file_path="a", sha256="x", status="done"
        )
        await db.jobs.update_job(job, counters='{"imported": 30, "updated": 10, "duplicates": 5}')
        for purpose, tokens in (("import", 1000), ("mapping", 200), ("reviews_file", 450), ("diagnose", 99)):
            await db.llm.record_usage(
                user_id=1, job_id=job, purpose=purpose, model="GigaChat-2", prompt_tokens=tokens,
                completion_tokens=0, total_tokens=tokens, latency_ms=5, cause=None, precached_tokens=10,
            )  # fmt: skip
        review = {"text": "Вкусно", "text_hash": "h", "analysis": "{}", "sentiment": "positive", "rating": 5}
        await db.reviews.add_reviews([{**review, "verdict": "approve", "reasons": "[]", "source": "llm"}] * 3)
        # (1000 + 200) tokens over 40 places; 450 over 3 reviews; diagnose counts for neither
        assert await db.llm.tokens_per_item("2000-01-01") == (30.0, 150.0)
        assert await db.llm.tokens_per_item("2999-01-01") == (None, None)
