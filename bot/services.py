"""The service objects the bot and the command line share: database, GigaChat, taxonomy, jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bot.core.config import Settings
from bot.core.errors import LLMUnavailable
from bot.gigachat.client import GigaChatClient, Usage, UsageSink
from bot.jobs.runner import JobRunner
from bot.places.catalogue import Catalogue
from bot.places.plan import ImportService
from bot.places.taxonomy import Taxonomy
from bot.reviews.service import ReviewService
from bot.storage.db import Database
from bot.users import UserService

log = logging.getLogger(__name__)


class BackgroundTasks:
    """Keeps a reference to every background task, so none is lost and all stop on shutdown."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Start a task and remember it until it ends."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def close(self, grace: float = 5.0) -> None:
        """Let running tasks finish for a moment, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


@dataclass
class Services:
    """Everything handlers may ask for, one object per concern."""

    settings: Settings
    db: Database
    users: UserService
    llm: GigaChatClient | None
    taxonomy: Taxonomy
    llm_problem: LLMUnavailable | None = None
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)
    imports: ImportService = field(init=False)
    jobs: JobRunner = field(init=False)
    catalogue: Catalogue = field(init=False)
    reviews: ReviewService = field(init=False)

    def __post_init__(self) -> None:
        self.imports = ImportService(self.settings, self.db, self.llm)
        self.catalogue = Catalogue(self.db, self.taxonomy, self.settings.database_path.parent / "exports")
        self.reviews = ReviewService(self.settings, self.db, self.llm)
        self.jobs = JobRunner(self.settings, self.db, self.llm, self.taxonomy, self.tasks.spawn, self.reviews)

    def gigachat_mode(self) -> str:
        """Describe how GigaChat is used, for the start-up log line."""
        if self.llm is not None:
            s = self.settings
            return f"GigaChat on ({s.gigachat_model}, {s.gigachat_scope}, {s.max_concurrency} stream(s))"
        cause = self.llm_problem.cause.value if self.llm_problem else "not configured"
        return f"GigaChat off ({cause}): offline rules"


def usage_recorder(db: Database) -> UsageSink:
    """Store every GigaChat call's tokens, attributed to the user and the job."""

    async def record(usage: Usage) -> None:
        context = usage.context
        await db.llm.record_usage(
            user_id=context.user_id, job_id=context.job_id, purpose=context.purpose, model=usage.model,
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            total_tokens=usage.total_tokens, latency_ms=int(usage.latency_s * 1000),
            cause=usage.cause.value if usage.cause else None, precached_tokens=usage.precached_tokens,
        )  # fmt: skip

    return record


@asynccontextmanager
async def open_services(settings: Settings, *, offline: bool = False) -> AsyncIterator[Services]:
    """Open the database and the GigaChat client (unless offline); close both on exit."""
    taxonomy = Taxonomy.load(settings.taxonomy_file)
    async with Database.open(settings.database_path) as db:
        llm: GigaChatClient | None = None
        problem: LLMUnavailable | None = None
        if not offline:
            try:
                llm = GigaChatClient.from_settings(settings, usage_sink=usage_recorder(db))
            except LLMUnavailable as error:
                problem = error
        services = Services(settings, db, UserService(db, settings.admin_ids), llm, taxonomy, problem)
        try:
            yield services
        finally:
            await services.tasks.close()
            if llm is not None:
                await llm.aclose()
