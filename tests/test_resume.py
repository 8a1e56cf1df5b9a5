"""A bot killed in the middle of an import resumes on start-up: every row exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.storage.db import Database
from tests.conftest import make_key
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.places_model import PlacesModel
from tests.emulators.telegram import TelegramEmulator
from tests.harness import MANAGER
from tests.workbooks import unknown_places, write_xlsx

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


ROWS = 600


async def start_bot(
    tmp_path: Path, tg: TelegramEmulator, gigachat: GigaChatEmulator, key: str
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIGACHAT_", "BOT_", "TELEGRAM_"))}
    env.update(
        BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.base_url, DATABASE_PATH=str(tmp_path / "bot.sqlite3"),
        GIGACHAT_CREDENTIALS=key, GIGACHAT_BASE_URL=gigachat.base_url, GIGACHAT_AUTH_URL=gigachat.auth_url,
        GIGACHAT_FALLBACK_URLS="", ADMIN_IDS="1",
    )  # fmt: skip
    with (tmp_path / "bot.log").open("ab") as log:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
        )  # fmt: skip


async def job_progress(db_path: Path) -> int:
    async with Database.open(db_path) as db:
        jobs = await db.jobs.recent_jobs(None, limit=1)
        return jobs[0].processed if jobs else 0


async def test_killed_mid_job_resumes_and_writes_every_row_once(tmp_path: Path) -> None:
    db_path = tmp_path / "bot.sqlite3"
    async with Database.open(db_path) as db:
        await db.users.set_role(MANAGER, "manager", None)
    source = write_xlsx(tmp_path / "big.xlsx", unknown_places(ROWS))
    async with TelegramEmulator() as tg, GigaChatEmulator(latency=0.03) as gigachat:
        gigachat.responder = PlacesModel()
        key = make_key()
        first = await start_bot(tmp_path, tg, gigachat, key)
        try:
            await tg.wait_polling(timeout=30)
            tg.send_document(MANAGER, source.read_bytes(), "big.xlsx")
            for _ in range(600):
                processed = await job_progress(db_path)
                if processed >= 200:
                    break
                await asyncio.sleep(0.05)
            assert 200 <= processed < ROWS, processed
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()

        mark = tg.mark()
        second = await start_bot(tmp_path, tg, gigachat, key)
        try:
            resumed = await tg.wait_for(
                "sendMessage",
                MANAGER,
                after=mark,
                predicate=lambda c: "продолжаю импорт" in c.params["text"],
                timeout=30,
            )
            assert "big.xlsx" in resumed.params["text"]
            await tg.wait_for("sendDocument", MANAGER, after=mark, timeout=90)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()

    async with Database.open(db_path) as db:
        places = await db.places.iter_places()
        [job] = await db.jobs.recent_jobs(None, limit=1)
        results = await db.jobs.job_results(job.id)
    names = [p.name for p in places]
    assert len(names) == ROWS and len(set(names)) == ROWS, "every row exactly once"
    assert [r[0] for r in results] == list(range(2, ROWS + 2))
    assert job.status == "done" and job.processed == ROWS
