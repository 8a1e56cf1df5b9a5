"""Who may see what: the outer role middleware, role filters, and strangers' knocks."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from html import escape
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User

from bot import texts
from bot.telegram.keyboards import grant_keyboard
from bot.users import Person, Role, UserService

log = logging.getLogger(__name__)

OPEN_COMMANDS = ("/start", "/id")


def describe_user(user: User | Person) -> str:
    """Name a person for admins: «Иван Петров (@ivan)»."""
    name = user.full_name or texts.NOBODY_NAME
    username = user.username
    return escape(f"{name} (@{username})" if username else name)


def is_open_command(message: Message) -> bool:
    """Return True for the commands strangers may use."""
    text = (message.text or "").strip()
    command = text.split(maxsplit=1)[0].split("@", 1)[0].lower() if text else ""
    return command in OPEN_COMMANDS


class AccessMiddleware(BaseMiddleware):
    """Resolve the sender's role into `person`; stop strangers at the door, politely and once."""

    def __init__(self, users: UserService, *, refusal_every: float = 60.0) -> None:
        self.users = users
        self.refusal_every = refusal_every
        self._last_refusal: dict[int, float] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return None
        person = await self.users.seen(user.id, user.full_name, user.username)
        data["person"] = person
        if person.role is not None:
            return await handler(event, data)
        await self._alert_admins(data["bot"], user)
        if isinstance(event, Message) and is_open_command(event):
            return await handler(event, data)
        await self._refuse(event, user)
        return None

    async def _refuse(self, event: TelegramObject, user: User) -> None:
        if isinstance(event, CallbackQuery):
            await event.answer(texts.REFUSAL_CALLBACK, show_alert=True)
            return
        now = time.monotonic()
        if now - self._last_refusal.get(user.id, -self.refusal_every) < self.refusal_every:
            return  # one refusal per burst, not one per message
        self._last_refusal[user.id] = now
        if isinstance(event, Message):
            await event.answer(texts.REFUSAL.format(id=user.id))

    async def _alert_admins(self, bot: Bot, user: User) -> None:
        if not await self.users.claim_knock_alert(user.id):
            return
        text = texts.KNOCK_ALERT.format(who=describe_user(user), id=user.id)
        for admin_id in await self.users.admins():
            try:
                await bot.send_message(admin_id, text, reply_markup=grant_keyboard(user.id))
            except TelegramAPIError as error:
                log.info("knock alert to %s failed: %s", admin_id, error)


class RoleFilter(Filter):
    """Pass only events from people with one of the given roles."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:  # noqa: ARG002 (aiogram passes it)
        return person is not None and person.role in self.roles
