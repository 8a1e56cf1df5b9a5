"""Every schema version migrates up to the newest, and the data of the previous release survives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage.db import MIGRATIONS, Database

PREVIOUS_RELEASE = 4  # the schema the release before GigaChat's precached tokens were recorded created
STAMP = "2026-11-30T10:00:00+00:00"


def file_at_version(path: Path, version: int) -> Path:
    """A database file exactly as a release with `version` migrations left it."""
    with sqlite3.connect(path) as conn:
        for number, script in enumerate(MIGRATIONS[:version], start=1):
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return path


def tables(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: {r[1] for r in conn.execute(f"PRAGMA table_info({name})")} for name in names}


@pytest.mark.parametrize("version", range(len(MIGRATIONS)))
async def test_every_version_migrates_to_the_newest(tmp_path: Path, version: int) -> None:
    path = file_at_version(tmp_path / "bot.sqlite3", version)
    async with Database.open(path) as db:
        assert await db.schema_version() == len(MIGRATIONS)
    fresh = tmp_path / "fresh.sqlite3"
    async with Database.open(fresh):
        pass
    assert tables(path) == tables(fresh), "an upgraded file has the same tables and columns as a new one"


async def test_the_previous_release_keeps_its_data(tmp_path: Path) -> None:
    path = file_at_version(tmp_path / "bot.sqlite3", PREVIOUS_RELEASE)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO users (telegram_id, full_name, role, created_at, updated_at)"
            " VALUES (7, 'Анна', 'manager', ?, ?)",
            (STAMP, STAMP),
        )
        conn.execute(
            "INSERT INTO jobs (kind, user_id, chat_id, file_name, file_path, sha256, status, counters, created_at,"
            " updated_at) VALUES ('places', 7, 7, 'места.xlsx', 'x', 'h', 'done', '{\"imported\": 1}', ?, ?)",
            (STAMP, STAMP),
        )
        conn.execute(
            "INSERT INTO places (name, category, name_key, source_job, created_at, updated_at)"
            " VALUES ('Кофейня «Зерно»', 'food', 'кофейня зерно', 1, ?, ?)",
            (STAMP, STAMP),
        )
        conn.execute(
            "INSERT INTO llm_cache (key, answer, created_at) VALUES ('k', '{\"category\": \"food\"}', ?)", (STAMP,)
        )
        conn.execute(
            "INSERT INTO llm_usage (user_id, job_id, purpose, model, prompt_tokens, completion_tokens, total_tokens,"
            " latency_ms, cause, created_at) VALUES (7, 1, 'import', 'GigaChat', 900, 100, 1000, 1200, NULL, ?)",
            (STAMP,),
        )
    async with Database.open(path) as db:
        assert await db.schema_version() == len(MIGRATIONS)
        [user] = await db.users.list_users()
        assert (user.telegram_id, user.full_name, user.role) == (7, "Анна", "manager")
        [place] = await db.places.iter_places()
        assert place.name == "Кофейня «Зерно»" and place.category == "food"
        assert await db.llm.cache_get(["k"]) == {"k": '{"category": "food"}'}
        assert await db.llm.job_usage(1) == (1, 1000)
        assert await db.llm.tokens_per_item("2026-11-01") == (1000.0, None)
        async with db._conn.execute("SELECT precached_tokens FROM llm_usage") as cursor:
            assert [row[0] for row in await cursor.fetchall()] == [0], "old usage rows read as nothing precached"
