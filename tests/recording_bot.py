"""A Bot whose session answers every Bot API method in memory and records it: the cheap tier.

Updates go straight into the production Dispatcher (`dp.feed_update`); what the bot would have sent
is in `session.requests`. No HTTP, no emulator: a story runs in milliseconds. The end-to-end
stories through `tests/emulators/telegram.py` stay for what only real HTTP shows.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import GetMe, SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User

BOT_USER = User(id=42, is_bot=True, first_name="Места", username="places_test_bot")
TOKEN = "42:TEST-token-for-the-recording-session"


class RecordingSession(BaseSession):
    """Remembers every method the bot calls and answers it the way Telegram would, minimally."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        """Nothing to close."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        self.requests.append(method)
        if isinstance(method, GetMe):
            return BOT_USER  # type: ignore[return-value]
        chat_id = getattr(method, "chat_id", None)
        if method.__returning__ is Message or isinstance(method, SendMessage):
            chat = Chat(id=int(chat_id or 0), type="private")
            text = getattr(method, "text", None)
            message = Message(message_id=next(self._ids), date=dt.datetime.now(dt.UTC), chat=chat, text=text)
            return message.as_(bot)  # type: ignore[return-value]
        if isinstance(method.__returning__, type) and issubclass(method.__returning__, list):
            return []  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    def buttons_to(self, chat_id: int, since: int = 0) -> list[list[tuple[str, str]]]:
        """The inline buttons (text, callback data) of each message sent or edited in a chat, in order."""
        markups = []
        for m in self.requests[since:]:
            markup = getattr(m, "reply_markup", None)
            if getattr(m, "chat_id", None) == chat_id and isinstance(markup, InlineKeyboardMarkup):
                markups.append([(b.text, str(b.callback_data)) for row in markup.inline_keyboard for b in row])
        return markups

    def texts_to(self, chat_id: int, since: int = 0) -> list[str]:
        """Texts of the messages sent (or edited) in one chat from request number `since` on, in order."""
        return [
            str(getattr(m, "text", ""))
            for m in self.requests[since:]
            if getattr(m, "chat_id", None) == chat_id and isinstance(getattr(m, "text", None), str)
        ]


def recording_bot() -> tuple[Bot, RecordingSession]:
    """A Bot with HTML by default, as in production, on the recording session."""
    session = RecordingSession()
    return Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)), session


_update_ids = itertools.count(1)


def text_update(user_id: int, text: str, *, first_name: str = "Гость") -> Update:
    """A private message from a person, as Telegram delivers it."""
    user = User(id=user_id, is_bot=False, first_name=first_name)
    message = Message(
        message_id=next(_update_ids),
        date=dt.datetime.now(dt.UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=next(_update_ids), message=message)


def callback_update(user_id: int, data: str, *, message_text: str = "карточка") -> Update:
    """A press of an inline button under a message the bot sent to a person."""
    user = User(id=user_id, is_bot=False, first_name="Модератор")
    message = Message(
        message_id=next(_update_ids), date=dt.datetime.now(dt.UTC), chat=Chat(id=user_id, type="private"),
        text=message_text,
    )  # fmt: skip
    query = CallbackQuery(id=str(next(_update_ids)), from_user=user, chat_instance="chat", message=message, data=data)
    return Update(update_id=next(_update_ids), callback_query=query)
