"""One edited progress message for a long job of any kind: sent once, edited at most every few seconds,
replaced by the final line; a refused edit never breaks the job."""

from __future__ import annotations

import logging
import time

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineKeyboardMarkup, Message

log = logging.getLogger(__name__)

EDIT_EVERY = 3.0  # seconds between edits: Telegram allows about one edit a second per chat


class ProgressMessage:
    """The message a person watches while their job runs."""

    def __init__(self, bot: Bot, chat_id: int, message_id: int | None = None) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self._last_edit = 0.0

    async def send(self, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
        """A new message in the chat (None when Telegram refused it; the job goes on)."""
        try:
            return await self.bot.send_message(self.chat_id, text, reply_markup=markup)
        except TelegramAPIError as error:
            log.warning("job message to %s failed: %s", self.chat_id, error)
            return None

    async def start(self, text: str, markup: InlineKeyboardMarkup | None = None) -> int | None:
        """Send the progress message; return its id."""
        sent = await self.send(text, markup)
        self.message_id = sent.message_id if sent else None
        self._last_edit = time.monotonic()
        return self.message_id

    async def update(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Edit the progress, unless it was edited a moment ago."""
        now = time.monotonic()
        if self.message_id is None or now - self._last_edit < EDIT_EVERY:
            return
        self._last_edit = now
        try:
            await self.bot.edit_message_text(
                text, chat_id=self.chat_id, message_id=self.message_id, reply_markup=markup
            )
        except TelegramAPIError as error:
            log.info("progress edit failed: %s", error)

    async def replace(self, text: str) -> None:
        """Put the final line in place of the progress (a new message when it cannot be edited)."""
        if self.message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text, chat_id=self.chat_id, message_id=self.message_id, reply_markup=None
                )
                return
            except TelegramAPIError:
                pass
        await self.send(text)
