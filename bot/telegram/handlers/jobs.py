"""Import jobs in the chat: the progress message, the result, /jobs, stop and resume."""

from __future__ import annotations

import asyncio
import logging
from html import escape
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.chat_action import ChatActionSender

from bot import texts
from bot.jobs.runner import JobRunner
from bot.places.job import Counters, JobOutcome, JobProgress
from bot.storage.rows import JobRow
from bot.telegram.access import RoleFilter
from bot.telegram.keyboards import JobCallback, jobs_keyboard, stop_keyboard
from bot.telegram.progress import ProgressMessage
from bot.users import Person, Role

log = logging.getLogger(__name__)
BAR_WIDTH = 12


def progress_text(file_name: str, progress: JobProgress, *, resumed: bool = False) -> str:
    """The progress message: a bar, counts and time left."""
    share = progress.processed / progress.total if progress.total else 1.0
    filled = round(BAR_WIDTH * min(share, 1.0))
    c = progress.counters
    eta = (
        texts.JOB_ETA.format(eta=texts.format_duration(progress.eta))
        if progress.eta is not None
        else texts.JOB_ETA_UNKNOWN
    )
    title = (texts.JOB_RESUMED if resumed else texts.JOB_STARTED).format(file=escape(file_name))
    return texts.JOB_PROGRESS.format(
        title=title, bar="▓" * filled + "░" * (BAR_WIDTH - filled), percent=share, processed=progress.processed,
        total=progress.total, imported=c.imported, updated=c.updated, duplicates=c.duplicates, skipped=c.skipped,
        eta=eta,
    )  # fmt: skip


def summary_text(job: JobRow, outcome: JobOutcome) -> str:
    """The end-of-job summary: counts, categories as a small text chart, what to check."""
    c = outcome.counters
    lines = [
        texts.JOB_SUMMARY.format(
            file=escape(job.file_name), imported=c.imported, updated=c.updated, duplicates=c.duplicates,
            skipped=c.skipped, described=c.described, calls=outcome.calls, tokens=outcome.tokens,
        )
    ]  # fmt: skip
    chart = texts.text_chart(outcome.categories)
    if chart:
        lines.append("<pre>" + escape("\n".join(chart)) + "</pre>")
    lines.append(texts.deciders_line(c))
    if c.unhelped:
        lines.append(texts.JOB_UNHELPED.format(count=c.unhelped))
    if outcome.review_rows:
        shown = ", ".join(str(r) for r in outcome.review_rows[:20]) + ("…" if len(outcome.review_rows) > 20 else "")
        lines.append(texts.JOB_CHECK.format(rows=shown))
    if c.skipped or outcome.review_rows:
        lines.append(texts.JOB_CHECK_ERRORS)
    if outcome.llm_note:
        lines.append(escape(outcome.llm_note))
    return "\n\n".join(lines)


class TelegramNotifier:
    """Tells a manager about their job through one edited progress message and a final report."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int | None = None) -> None:
        self.bot, self.chat_id = bot, chat_id
        self.message = ProgressMessage(bot, chat_id, message_id)
        self._resumed = False

    async def queued(self, job: JobRow, ahead: str) -> None:
        await self.message.send(texts.JOB_QUEUED.format(file=escape(job.file_name), ahead=escape(ahead)))

    async def started(self, job: JobRow, resumed: bool) -> int | None:
        self._resumed = resumed
        start = JobProgress(job.id, job.processed, job.total, Counters.from_json(job.counters), 0.0, None)
        return await self.message.start(progress_text(job.file_name, start, resumed=resumed), stop_keyboard(job.id))

    async def progress(self, job: JobRow, progress: JobProgress) -> None:
        text = progress_text(job.file_name, progress, resumed=self._resumed)
        await self.message.update(text, stop_keyboard(job.id))

    async def finished(self, job: JobRow, outcome: JobOutcome) -> None:
        title = texts.JOB_DONE_TITLE if outcome.status == "done" else texts.JOB_STOPPED_TITLE
        await self.message.replace(title.format(file=escape(job.file_name)))
        await self.message.send(summary_text(job, outcome))
        if outcome.result_path is not None:
            await send_result(self.bot, self.chat_id, outcome.result_path, job.file_name)

    async def failed(self, job: JobRow, error_text: str) -> None:
        await self.message.replace(texts.JOB_FAILED.format(file=escape(job.file_name), error=escape(error_text)))


async def send_result(bot: Bot, chat_id: int, path: Path, file_name: str) -> None:
    """Send the enriched workbook with an "uploading a document…" status while it goes."""
    name = f"{Path(file_name).stem}_обогащено.xlsx"
    async with ChatActionSender.upload_document(bot=bot, chat_id=chat_id):
        await bot.send_document(chat_id, FSInputFile(path, filename=name), caption=texts.JOB_CAPTION)


async def cmd_jobs(message: Message, person: Person, jobs: JobRunner) -> None:
    """Recent jobs with buttons to resend a result or resume."""
    recent = await jobs.recent(None if person.role is Role.ADMIN else person.telegram_id)
    if not recent:
        await message.answer(texts.JOBS_EMPTY)
        return
    lines = [texts.JOBS_HEADER]
    buttons: list[tuple[int, str, str]] = []
    for job in recent:
        progress = f" ({job.processed}/{job.total})" if job.status in ("running", "stopped", "failed", "queued") else ""
        when = (job.finished_at or job.created_at)[:16].replace("T", " ")
        status = texts.JOB_STATUS.get(job.status, job.status)
        lines.append(
            texts.JOB_LINE.format(id=job.id, file=escape(job.file_name), status=status, when=when, progress=progress)
        )
        if job.status == "done" and job.result_path:
            buttons.append((job.id, "result", f"📎 №{job.id}"))
        if job.status in ("stopped", "failed") and job.plan:
            buttons.append((job.id, "resume", f"▶️ №{job.id}"))
    await message.answer("\n".join(lines), reply_markup=jobs_keyboard(buttons))


async def on_job_button(
    query: CallbackQuery, callback_data: JobCallback, person: Person, jobs: JobRunner, bot: Bot
) -> None:
    """⏹ stop, 📎 resend the result, ▶️ resume."""
    job = await jobs.get(callback_data.job)
    if job is None or (job.user_id != person.telegram_id and person.role is not Role.ADMIN):
        await query.answer(texts.MAPPING_NOT_YOURS, show_alert=True)
        return
    chat_id = query.message.chat.id if query.message else person.telegram_id
    if callback_data.action == "stop":
        await query.answer(texts.JOB_STOPPING if jobs.stop(job.id) else texts.JOB_NOT_RUNNING)
    elif callback_data.action in ("result", "resend"):
        await query.answer()
        if not job.result_path or not await asyncio.to_thread(Path(job.result_path).is_file):
            await bot.send_message(chat_id, texts.JOB_RESULT_GONE)
            return
        await send_result(bot, chat_id, Path(job.result_path), job.file_name)
    elif callback_data.action == "resume":
        await query.answer(texts.JOB_RESUMING.format(id=job.id))
        await jobs.start(job.id, TelegramNotifier(bot, chat_id), resumed=True)


def build_router() -> Router:
    """Jobs for managers and admins."""
    router = Router(name="jobs")
    allowed = RoleFilter(Role.MANAGER, Role.ADMIN)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(cmd_jobs, Command("jobs"))
    router.callback_query.register(on_job_button, JobCallback.filter())
    return router
