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
