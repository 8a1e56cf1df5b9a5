"""Callback data factories and inline keyboard builders."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot import texts


class GrantCallback(CallbackData, prefix="grant"):
    """An admin grants a role to a stranger who knocked."""

    user_id: int
    role: str


class DiagnoseCallback(CallbackData, prefix="diag"):
    """Run the diagnose checks again."""

    action: str = "retry"


def grant_keyboard(user_id: int) -> InlineKeyboardMarkup:
    """Buttons to grant each role to one person."""
    builder = InlineKeyboardBuilder()
    for role in ("manager", "moderator", "admin"):
        builder.button(text=texts.BTN_ROLE[role], callback_data=GrantCallback(user_id=user_id, role=role))
    builder.adjust(2, 1)
    return builder.as_markup()


def diagnose_keyboard() -> InlineKeyboardMarkup:
    """The «🔁 Повторить» button under a diagnose report."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_RETRY, callback_data=DiagnoseCallback())
    return builder.as_markup()


class MapCallback(CallbackData, prefix="map"):
    """A button of the mapping dialog: ok, edit, col, sheets, sheet, back, cancel."""

    action: str
    job: int
    arg: int = -1


class FieldCallback(CallbackData, prefix="mf"):
    """Set one column of an upload to a field ("-" means: do not import)."""

    job: int
    index: int
    field: str


def mapping_keyboard(job: int, *, can_confirm: bool, several_sheets: bool) -> InlineKeyboardMarkup:
    """✅ / ✏️ / 📄 / ❌ under the mapping message."""
    builder = InlineKeyboardBuilder()
    if can_confirm:
        builder.button(text=texts.BTN_CONFIRM, callback_data=MapCallback(action="ok", job=job))
    builder.button(text=texts.BTN_EDIT, callback_data=MapCallback(action="edit", job=job))
    if several_sheets:
        builder.button(text=texts.BTN_OTHER_SHEET, callback_data=MapCallback(action="sheets", job=job))
    builder.button(text=texts.BTN_CANCEL, callback_data=MapCallback(action="cancel", job=job))
    builder.adjust(2)
    return builder.as_markup()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def columns_keyboard(job: int, columns: list[tuple[int, str, str | None]]) -> InlineKeyboardMarkup:
    """One button per column: «3. Тел. → Телефон»."""
    builder = InlineKeyboardBuilder()
    for n, (index, header, field) in enumerate(columns[:95], start=1):
        target = texts.FIELD_LABELS[field] if field else "—"
        builder.button(
            text=_short(f"{n}. {header} → {target}", 60),
            callback_data=MapCallback(action="col", job=job, arg=index),
        )
    builder.button(text=texts.BTN_BACK, callback_data=MapCallback(action="back", job=job))
    builder.adjust(1)
    return builder.as_markup()


def fields_keyboard(job: int, index: int) -> InlineKeyboardMarkup:
    """Every field, plus «не импортировать» and back."""
    builder = InlineKeyboardBuilder()
    for key, label in texts.FIELD_LABELS.items():
        builder.button(text=_short(label, 30), callback_data=FieldCallback(job=job, index=index, field=key))
    builder.button(text=texts.BTN_SKIP_COLUMN, callback_data=FieldCallback(job=job, index=index, field="-"))
    builder.button(text=texts.BTN_BACK, callback_data=MapCallback(action="edit", job=job))
    builder.adjust(2)
    return builder.as_markup()


def sheets_keyboard(job: int, sheets: list[str]) -> InlineKeyboardMarkup:
    """One button per visible sheet."""
    builder = InlineKeyboardBuilder()
    for n, name in enumerate(sheets[:95]):
        builder.button(text=_short(name, 50), callback_data=MapCallback(action="sheet", job=job, arg=n))
    builder.button(text=texts.BTN_BACK, callback_data=MapCallback(action="back", job=job))
    builder.adjust(1)
    return builder.as_markup()


class JobCallback(CallbackData, prefix="job"):
    """A button about a job: stop, result, resume, again, resend."""

    action: str
    job: int


def stop_keyboard(job: int) -> InlineKeyboardMarkup:
    """«⏹ Остановить» under the progress message."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_STOP, callback_data=JobCallback(action="stop", job=job))
    return builder.as_markup()


def same_file_keyboard(job: int, previous: int) -> InlineKeyboardMarkup:
    """The same file again: import again, or resend the last result."""
    builder = InlineKeyboardBuilder()
    builder.button(text=texts.BTN_IMPORT_AGAIN, callback_data=JobCallback(action="again", job=job))
    builder.button(text=texts.BTN_RESEND, callback_data=JobCallback(action="resend", job=previous))
    builder.adjust(1)
    return builder.as_markup()


def jobs_keyboard(rows: list[tuple[int, str, str]]) -> InlineKeyboardMarkup | None:
    """Per job: «📎 №12» to resend a result, «▶️ №13» to resume."""
    builder = InlineKeyboardBuilder()
    for job, action, label in rows:
        builder.button(text=label, callback_data=JobCallback(action=action, job=job))
    builder.adjust(2)
    return builder.as_markup() if rows else None


class PageCallback(CallbackData, prefix="pg"):
    """A page of /places results (the query is kept server-side under `token`)."""

    token: str
    offset: int


def pages_keyboard(token: str, offset: int, total: int, size: int) -> InlineKeyboardMarkup | None:
    """◀️ / ▶️ for a paginated list."""
    builder = InlineKeyboardBuilder()
    if offset > 0:
        builder.button(text="◀️", callback_data=PageCallback(token=token, offset=max(0, offset - size)))
    if offset + size < total:
        builder.button(text="▶️", callback_data=PageCallback(token=token, offset=offset + size))
    return builder.as_markup() if offset > 0 or offset + size < total else None
