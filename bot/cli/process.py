"""`python -m bot process`: the import job from a terminal, with a progress bar."""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import TextIO

from bot import texts
from bot.core.config import Settings
from bot.places.job import Describe, ImportJob, JobOutcome, JobProgress
from bot.places.plan import Plan
from bot.places.report import write_jsonl
from bot.services import Services, open_services


def progress_bar(progress: JobProgress, width: int = 30) -> str:
    """«[██████░░░░] 60% 600/1000, осталось ~12 с»."""
    share = progress.processed / progress.total if progress.total else 1.0
    filled = int(width * min(share, 1.0))
    eta = f", {texts.ETA.format(eta=texts.format_duration(progress.eta))}" if progress.eta is not None else ""
    return f"[{'█' * filled}{'░' * (width - filled)}] {share:.0%} {progress.processed}/{progress.total}{eta}"


def _ask(question: str, *, default: bool) -> bool:
    if not sys.stdin or not sys.stdin.isatty():
        return default
    answer = input(f"{question} ").strip().lower()
    return default if not answer else answer in ("y", "yes", "д", "да")


async def run_process(
    settings: Settings,
    source: Path,
    *,
    sheet: str | None,
    offline: bool,
    describe: Describe,
    output: Path | None,
    jsonl: Path | None,
    yes: bool,
    err: TextIO = sys.stderr,
) -> int:
    """Copy the file in, plan, confirm, run the job with a progress bar, write the outputs."""
    async with open_services(settings, offline=offline) as services:
        if services.llm is None:
            print(texts.JOB_NO_LLM, file=err)
        upload = services.imports.upload_path(source.name)
        await asyncio.to_thread(shutil.copyfile, source, upload)
        job_id, plan = await services.imports.receive(upload, file_name=source.name, user_id=0, chat_id=0)
        previous = await services.imports.previous_result(job_id)
        if previous is not None and not yes:
            print(texts.CLI_SAME_FILE.format(id=previous.id, when=previous.finished_at), file=err)
            if not _ask(texts.CLI_AGAIN, default=True):
                return 0
        if sheet:
            plan = await services.imports.use_sheet(job_id, 0, sheet)
        print(texts.format_mapping_plain(plan.to_json()), file=err)
        if plan.llm_note:
            print(plan.llm_note, file=err)
        if not plan.has_name:
            print(texts.MAPPING_NO_NAME_CLI, file=err)
            return 2
        if not plan.confident and not yes and not _ask(texts.CLI_CONFIRM, default=True):
            await services.imports.cancel(job_id, 0)
            return 0
        plan = await services.imports.confirm(job_id, 0)
        outcome = await _run_job(services, job_id, plan, describe, err)
        return await _write_outputs(services, outcome, source, output, jsonl, err)


async def _run_job(services: Services, job_id: int, plan: Plan, describe: Describe, err: TextIO) -> JobOutcome:
    job = await services.db.jobs.get_job(job_id)
    assert job is not None

    async def show(progress: JobProgress) -> None:
        print(f"\r{progress_bar(progress)}", end="", file=err, flush=True)

    runner = ImportJob(
        db=services.db, llm=services.llm, taxonomy=services.taxonomy, settings=services.settings, job=job,
        plan=plan, describe=describe, progress=show,
    )  # fmt: skip
    try:
        outcome = await runner.run()
    except asyncio.CancelledError:  # Ctrl+C: what was committed stays; the job is marked stopped
        await services.db.jobs.update_job(job_id, status="stopped")
        raise
    print(file=err)
    return outcome


async def _write_outputs(
    services: Services, outcome: JobOutcome, source: Path, output: Path | None, jsonl: Path | None, err: TextIO
) -> int:
    target = output or source.with_name(f"{source.stem}_enriched.xlsx")
    if outcome.result_path is not None:
        await asyncio.to_thread(shutil.copyfile, outcome.result_path, target)
    if jsonl is not None:
        await write_jsonl(services.db, outcome.job_id, jsonl)
    print(texts.format_job_summary_plain(outcome), file=err)
    print(texts.CLI_WROTE.format(path=target), file=err)
    return 0
