"""Managers' files: upload → mapping shown with buttons → corrections → confirmation."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Document, InlineKeyboardMarkup, Message
from aiogram.utils.chat_action import ChatActionSender

from bot import texts
from bot.core.config import Settings
from bot.jobs.runner import JobRunner
from bot.places.mapping import sample_values
from bot.places.plan import ImportService, Plan
from bot.telegram.access import RoleFilter
from bot.telegram.handlers.jobs import TelegramNotifier
from bot.telegram.keyboards import (
    FieldCallback,
    JobCallback,
    MapCallback,
    columns_keyboard,
    fields_keyboard,
    mapping_keyboard,
    same_file_keyboard,
    sheets_keyboard,
)
from bot.telegram.uploads import receive_upload
from bot.users import Person, Role

log = logging.getLogger(__name__)
MESSAGE_BUDGET = 3800


def mapping_text(plan: Plan, *, footer: str | None = None) -> str:
    """The mapping message for a plan, kept under Telegram's limit."""
    rows = [(c.header, c.field, c.confidence, c.method, c.kind) for c in plan.columns]
    text = texts.format_mapping(
        file=plan.file_name, sheet=plan.sheet, sheets=len(plan.sheets), header_row=plan.header_row,
        rows=plan.rows, columns=rows,
    )  # fmt: skip
    if len(text) > MESSAGE_BUDGET:
        text = text[:MESSAGE_BUDGET].rsplit("\n", 1)[0] + "\n…"
    notes = [n for n in (plan.llm_note, None if plan.has_name else texts.MAPPING_NO_NAME, footer) if n]
    return "\n\n".join([text, *notes])


def mapping_markup(job_id: int, plan: Plan) -> InlineKeyboardMarkup:
    """Buttons under the mapping message."""
    return mapping_keyboard(job_id, can_confirm=plan.has_name, several_sheets=len(plan.sheets) > 1)


async def on_workbook(
    message: Message,
    document: Document,
    person: Person,
    imports: ImportService,
    jobs: JobRunner,
    settings: Settings,
    bot: Bot,
) -> None:
    """A manager sent a file: check it, download it, plan the import, show the mapping."""
    received = await receive_upload(message, document, settings, bot, imports.upload_path)
    if received is None:
        return
    path, name = received
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        job_id, plan = await imports.receive(path, file_name=name, user_id=person.telegram_id, chat_id=message.chat.id)
    previous = await imports.previous_result(job_id)
    if previous is not None:
        when = (previous.finished_at or "")[:16].replace("T", " ")
        await message.answer(
            texts.SAME_FILE.format(id=previous.id, when=when), reply_markup=same_file_keyboard(job_id, previous.id)
        )
        return
    await show_or_start(message.chat.id, job_id, plan, person, imports, jobs, bot)


async def show_or_start(
    chat_id: int, job_id: int, plan: Plan, person: Person, imports: ImportService, jobs: JobRunner, bot: Bot
) -> None:
    """Ask about the mapping, or — when every column is certain — start the import at once."""
    if plan.confident:
        plan = await imports.confirm(job_id, person.telegram_id)
        await bot.send_message(chat_id, mapping_text(plan, footer=texts.MAPPING_ALL_KNOWN))
        await jobs.start(job_id, TelegramNotifier(bot, chat_id))
        return
    await bot.send_message(
        chat_id, mapping_text(plan, footer=texts.MAPPING_ASK), reply_markup=mapping_markup(job_id, plan)
    )


async def on_same_file_again(
    query: CallbackQuery, callback_data: JobCallback, person: Person, imports: ImportService, jobs: JobRunner, bot: Bot
) -> None:
    """«🔁 Импортировать снова» for a file imported before."""
    await query.answer()
    plan = await imports.load(callback_data.job, person.telegram_id, is_admin=person.role is Role.ADMIN)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    chat_id = query.message.chat.id if query.message else person.telegram_id
    await show_or_start(chat_id, callback_data.job, plan, person, imports, jobs, bot)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    if isinstance(query.message, Message):
        await query.message.edit_text(text, reply_markup=markup)


async def on_mapping_button(
    query: CallbackQuery, callback_data: MapCallback, person: Person, imports: ImportService, jobs: JobRunner, bot: Bot
) -> None:
    """✅ / ✏️ / 📄 / ❌ and the navigation between the dialog's screens."""
    job, user = callback_data.job, person.telegram_id
    admin = person.role is Role.ADMIN
    action = callback_data.action
    await query.answer()
    if action == "cancel":
        await imports.cancel(job, user, is_admin=admin)
        await _edit(query, texts.MAPPING_CANCELLED, None)
        return
    if action == "ok":
        plan = await imports.confirm(job, user, is_admin=admin)
        await _edit(query, mapping_text(plan, footer=texts.MAPPING_SAVED), None)
        chat_id = query.message.chat.id if query.message else user
        await jobs.start(job, TelegramNotifier(bot, chat_id))
        return
    if action == "sheet":
        current = await imports.load(job, user, is_admin=admin)
        plan = await imports.use_sheet(job, user, current.sheets[callback_data.arg], is_admin=admin)
        await _edit(query, mapping_text(plan, footer=texts.MAPPING_ASK), mapping_markup(job, plan))
        return
    plan = await imports.load(job, user, is_admin=admin)
    if action == "edit":
        columns = [(c.index, c.header, c.field) for c in plan.columns]
        await _edit(query, mapping_text(plan, footer=texts.MAPPING_PICK_COLUMN), columns_keyboard(job, columns))
    elif action == "col":
        column = next(c for c in plan.columns if c.index == callback_data.arg)
        examples = ", ".join(sample_values(plan.samples, column.index))
        prompt = texts.MAPPING_PICK_FIELD.format(
            header=column.header, examples=texts.MAPPING_EXAMPLES.format(values=examples) if examples else ""
        )
        await _edit(query, prompt, fields_keyboard(job, column.index))
    elif action == "sheets":
        await _edit(query, texts.MAPPING_PICK_SHEET, sheets_keyboard(job, plan.sheets))
    else:  # back
        await _edit(query, mapping_text(plan, footer=texts.MAPPING_ASK), mapping_markup(job, plan))


async def on_field_button(
    query: CallbackQuery, callback_data: FieldCallback, person: Person, imports: ImportService
) -> None:
    """The user picked a field (or «не импортировать») for a column."""
    field = None if callback_data.field == "-" else callback_data.field
    plan = await imports.set_field(
        callback_data.job, person.telegram_id, callback_data.index, field, is_admin=person.role is Role.ADMIN
    )
    await query.answer()
    await _edit(query, mapping_text(plan, footer=texts.MAPPING_ASK), mapping_markup(callback_data.job, plan))


def build_router() -> Router:
    """Managers (and admins) upload files."""
    router = Router(name="imports")
    allowed = RoleFilter(Role.MANAGER, Role.ADMIN)
    router.message.filter(allowed)
    router.callback_query.filter(allowed)
    router.message.register(on_workbook, F.document.as_("document"))
    router.callback_query.register(on_mapping_button, MapCallback.filter())
    router.callback_query.register(on_field_button, FieldCallback.filter())
    router.callback_query.register(on_same_file_again, JobCallback.filter(F.action == "again"))
    return router
