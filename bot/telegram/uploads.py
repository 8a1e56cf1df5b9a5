"""The one check and download of a file someone sent, for imports and for reviews alike."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from pathlib import Path

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Document, Message

from bot import texts
from bot.core.config import Settings
from bot.sheets import SUPPORTED_EXTENSIONS


async def receive_upload(
    message: Message, document: Document, settings: Settings, bot: Bot, destination: Callable[[str], Path]
) -> tuple[Path, str] | None:
    """Check the size and the format, download to `destination(name)`; (path, name), or None when told why."""
    name = document.file_name or "file"
    limit = settings.max_file_mb
    if document.file_size and document.file_size > limit * 1024 * 1024:
        await message.answer(texts.FILE_TOO_BIG_TG.format(size=document.file_size / 1024 / 1024, limit=limit))
        return None
    if Path(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
        formats = ", ".join(SUPPORTED_EXTENSIONS)
        await message.answer(texts.FILE_UNSUPPORTED.format(file=escape(name), formats=formats))
        return None
    path = destination(name)
    try:
        await bot.download(document, destination=path)
    except TelegramBadRequest as error:
        await message.answer(texts.FILE_DOWNLOAD_FAILED.format(reason=escape(error.message)))
        return None
    return path, name
