"""A file of reviews interrupted by a restart goes on where it stopped: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.jobs.runner import FileReporter
from bot.reviews.service import FILE_BATCH, FileOutcome
from bot.services import open_services
from bot.storage.db import JobRow
from tests.conftest import SettingsFactory
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.reviews_model import ReviewsModel, sample_reviews

COUNT = FILE_BATCH + 40


class Restart(Exception):
    """Stands for the process being killed in the middle of the file."""


class Recorder:
    """A reporter that remembers what the moderator would have been told."""

    def __init__(self) -> None:
        self.resumed: bool | None = None
        self.outcome: FileOutcome | None = None
        self.done = asyncio.Event()
        self.errors: list[str] = []

    async def started(self, resumed: bool) -> None:
        self.resumed = resumed

    async def progress(self, done: int, total: int) -> None:
        pass

    async def finished(self, outcome: FileOutcome) -> None:
        self.outcome = outcome
        self.done.set()

    async def failed(self, error_text: str) -> None:
        self.errors.append(error_text)
        self.done.set()


def reviews_csv(path: Path) -> Path:
    lines = ["Место;Отзыв"] + [f'"Кафе «Ромашка»";"{text}"' for text in sample_reviews(COUNT)]
    path.write_text("\n".join(lines), "utf-8")
    return path


async def test_a_review_file_resumes_after_a_restart(
    gigachat: GigaChatEmulator, make_settings: SettingsFactory, tmp_path: Path
) -> None:
    model = ReviewsModel()
    gigachat.responder = model
    settings = make_settings()
    source = reviews_csv(tmp_path / "отзывы.csv")
    async with open_services(settings) as services:
        upload = services.reviews.upload_path(source.name)
        shutil.copyfile(source, upload)
        job_id = await services.reviews.create_job(upload, file_name=source.name, user_id=5, chat_id=5)

        async def killed_in_the_second_step(done: int, total: int) -> None:
            if done > FILE_BATCH:
                raise Restart

        with pytest.raises(Restart):
            await services.reviews.run_file(job_id, killed_in_the_second_step)
        first_run_items = model.items_seen["analyze_reviews"]
        job = await services.db.jobs.get_job(job_id)
        assert job is not None and job.processed == FILE_BATCH, "the first step was committed with its reviews"

    async with open_services(settings) as services:  # the bot starts again
        recorder = Recorder()

        async def notifier_for(job: JobRow) -> Any:
            raise AssertionError(f"no import to resume, got {job.file_name}")

        async def reporter_for(job: JobRow) -> FileReporter:
            assert job.id == job_id
            return recorder

        assert await services.jobs.resume_all(notifier_for, reporter_for) == 1
        await asyncio.wait_for(recorder.done.wait(), 30)
        assert recorder.errors == [] and recorder.resumed is True
        assert recorder.outcome is not None and recorder.outcome.total == COUNT
        stored = await services.db.reviews.job_review_analyses(job_id)
    assert len(stored) == COUNT, "every review stored exactly once"
    second_run_items = model.items_seen["analyze_reviews"] - first_run_items
    assert second_run_items <= COUNT - FILE_BATCH, "the stored step was not asked of GigaChat again"
