"""Sending texts of any length: split at 4096 characters, or a file when it would flood the chat."""

from __future__ import annotations

import re

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, Message

from bot import texts

MAX_PARTS = 5


async def send_long(
    bot: Bot,
    chat_id: int,
    text: str,
    *,
    reply_markup: InlineKeyboardMarkup | None = None,
    file_name: str = "report.txt",
) -> list[Message]:
    """Send HTML text in as many messages as needed (buttons under the last one)."""
    parts = texts.split_message(text)
    if len(parts) > MAX_PARTS:
        plain = re.sub(r"<[^>]+>", "", text)
        document = BufferedInputFile(plain.encode("utf-8"), filename=file_name)
        return [await bot.send_document(chat_id, document, reply_markup=reply_markup)]
    sent = []
    for number, part in enumerate(parts, start=1):
        markup = reply_markup if number == len(parts) else None
        sent.append(await bot.send_message(chat_id, part, reply_markup=markup))
    return sent
