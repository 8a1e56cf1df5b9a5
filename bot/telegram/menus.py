"""Per-role command menus (`setMyCommands` with a chat scope for every known person)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot import texts
from bot.users import Person, Role

log = logging.getLogger(__name__)


def commands_for(role: Role | None) -> list[BotCommand]:
    """Return the menu a role sees (strangers: /start and /id)."""
    pairs = texts.STRANGER_COMMANDS if role is None else texts.COMMON_COMMANDS + texts.ROLE_COMMANDS[role.value]
    return [BotCommand(command=command, description=description) for command, description in pairs]


async def set_default_menu(bot: Bot) -> None:
    """The menu of everybody without a personal one: strangers."""
    await bot.set_my_commands(commands_for(None), scope=BotCommandScopeDefault())


async def set_person_menu(bot: Bot, telegram_id: int, role: Role | None) -> None:
    """Give one person the menu of their role (a stranger falls back to the default menu)."""
    scope = BotCommandScopeChat(chat_id=telegram_id)
    try:
        if role is None:
            await bot.delete_my_commands(scope=scope)
        else:
            await bot.set_my_commands(commands_for(role), scope=scope)
    except TelegramAPIError as error:  # e.g. the person never opened the bot: "chat not found"
        log.info("menu for %s not set: %s", telegram_id, error)


async def refresh_menus(bot: Bot, people: list[Person]) -> None:
    """Set the default menu and every known person's menu."""
    await set_default_menu(bot)
    for person in people:
        if person.role is not None:
            await set_person_menu(bot, person.telegram_id, person.role)
