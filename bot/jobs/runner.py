"""Background jobs of both kinds — imports of places and files of reviews — resumed after a restart.

Imports: one at a time per manager, stoppable. Review files: each in its own task; what was stored
before a restart is kept and the file goes on from there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from bot import texts
from bot.core.config import Settings
from bot.core.errors import UserFacingError
from bot.gigachat.client import GigaChatClient
from bot.places.job import Describe, ImportJob, JobOutcome, JobProgress
from bot.places.plan import Plan
from bot.places.taxonomy import Taxonomy
from bot.reviews.service import FileOutcome, ReviewService
from bot.storage.db import Database, JobRow

log = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any], str], "asyncio.Task[Any]"]


class Notifier(Protocol):
    """How a running job talks to its owner (the Telegram side implements it)."""

    async def queued(self, job: JobRow, ahead: str) -> None: ...
    async def started(self, job: JobRow, resumed: bool) -> int | None: ...
    async def progress(self, job: JobRow, progress: JobProgress) -> None: ...
    async def finished(self, job: JobRow, outcome: JobOutcome) -> None: ...
    async def failed(self, job: JobRow, error_text: str) -> None: ...


class FileReporter(Protocol):
    """How a file of reviews talks to its owner (the Telegram side implements it)."""

    async def started(self, resumed: bool) -> None: ...
    async def progress(self, done: int, total: int) -> None: ...
    async def finished(self, outcome: FileOutcome) -> None: ...
    async def failed(self, error_text: str) -> None: ...


@dataclass
class _Running:
    stop: asyncio.Event
    file_name: str


class JobRunner:
    """Starts jobs as background tasks; a manager's second file waits for the first."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        llm: GigaChatClient | None,
        taxonomy: Taxonomy,
        spawn: Spawn,
        reviews: ReviewService,
    ) -> None:
        self.settings, self.db, self.llm, self.taxonomy, self.reviews = settings, db, llm, taxonomy, reviews
        self._spawn = spawn
        self._locks: dict[int, asyncio.Lock] = {}
        self._running: dict[int, _Running] = {}
        self._active: dict[int, str] = {}  # manager → the file their running job works on

    async def recent(self, user_id: int | None, limit: int = 10) -> list[JobRow]:
        """The newest jobs of one person (None: everybody's)."""
        return await self.db.jobs.recent_jobs(user_id, limit=limit)

    async def get(self, job_id: int) -> JobRow | None:
        """One job, or None when there is no such job."""
        return await self.db.jobs.get_job(job_id)

    def running_for(self, user_id: int) -> str | None:
        """The file a manager's current job is working on, if any."""
        return self._active.get(user_id)

    async def start(
        self, job_id: int, notifier: Notifier, *, describe: Describe = "empty", resumed: bool = False
    ) -> None:
        """Queue a confirmed job; it starts when the manager's previous job ends."""
        job = await self._job(job_id)
        lock = self._locks.setdefault(job.user_id, asyncio.Lock())
        await self.db.jobs.update_job(job_id, status="queued", options=describe)
        if lock.locked():
            await notifier.queued(job, self.running_for(job.user_id) or "")
        self._running[job_id] = _Running(asyncio.Event(), job.file_name)
        self._spawn(self._run(job_id, lock, notifier, describe, resumed), f"import-{job_id}")

    def stop(self, job_id: int) -> bool:
        """Ask a running job to stop after its current batch."""
        running = self._running.get(job_id)
        if running is None:
            return False
        running.stop.set()
        return True

    async def _job(self, job_id: int) -> JobRow:
        job = await self.db.jobs.get_job(job_id)
        if job is None or job.plan is None:
            raise UserFacingError(texts.MAPPING_GONE)
        return job

    async def _run(
        self, job_id: int, lock: asyncio.Lock, notifier: Notifier, describe: Describe, resumed: bool
    ) -> None:
        async with lock:
            job = await self._job(job_id)
            self._active[job.user_id] = job.file_name
            try:
                await self._run_locked(job, notifier, describe, resumed)
            finally:
                self._active.pop(job.user_id, None)

    async def _run_locked(self, job: JobRow, notifier: Notifier, describe: Describe, resumed: bool) -> None:
        job_id = job.id
        message_id = await notifier.started(job, resumed)
        if message_id is not None:
            await self.db.jobs.update_job(job_id, message_id=message_id)
        job = await self._job(job_id)

        async def report(progress: JobProgress) -> None:
            await notifier.progress(job, progress)

        runner = ImportJob(
            db=self.db, llm=self.llm, taxonomy=self.taxonomy, settings=self.settings, job=job,
            plan=Plan.load(job.plan or ""), describe=describe, progress=report, stop=self._running[job_id].stop,
        )  # fmt: skip
        try:
            outcome = await runner.run()
        except UserFacingError as error:
            await self.db.jobs.update_job(job_id, status="failed", error=error.message)
            await notifier.failed(job, error.message)
            return
        except Exception:
            log.exception("import job %s failed", job_id)
            await self.db.jobs.update_job(job_id, status="failed", error="internal error")
            await notifier.failed(job, texts.JOB_CRASHED)
            return
        finally:
            self._running.pop(job_id, None)
        await notifier.finished(await self._job(job_id), outcome)

    def start_reviews(self, job_id: int, reporter: FileReporter, *, resumed: bool = False) -> None:
        """Analyse a registered file of reviews in the background."""
        self._spawn(self._run_reviews(job_id, reporter, resumed), f"reviews-{job_id}")

    async def _run_reviews(self, job_id: int, reporter: FileReporter, resumed: bool) -> None:
        """Analyse the file and report; every failure is told to the moderator."""
        try:
            await reporter.started(resumed)
            outcome = await self.reviews.run_file(job_id, reporter.progress)
        except UserFacingError as error:
            await self.db.jobs.update_job(job_id, status="failed", error=error.message)
            await reporter.failed(error.message + (f" {error.fix}" if error.fix else ""))
            return
        except Exception:
            log.exception("reviews job %s failed", job_id)
            await self.db.jobs.update_job(job_id, status="failed", error="internal error")
            await reporter.failed(texts.REVIEWS_FILE_CRASHED)
            return
        await reporter.finished(outcome)

    async def resume_all(
        self,
        notifier_for: Callable[[JobRow], Awaitable[Notifier]],
        reporter_for: Callable[[JobRow], Awaitable[FileReporter]] | None = None,
    ) -> int:
        """Start again every job a restart interrupted (imports, and files of reviews); return how many."""
        jobs = await self.db.jobs.unfinished_jobs()
        for job in jobs:
            describe: Describe = job.options if job.options in ("empty", "all", "none") else "empty"  # type: ignore[assignment]
            await self.start(job.id, await notifier_for(job), describe=describe, resumed=True)
        files = await self.db.jobs.unfinished_review_jobs() if reporter_for is not None else []
        for job in files:
            assert reporter_for is not None
            self.start_reviews(job.id, await reporter_for(job), resumed=True)
        return len(jobs) + len(files)
