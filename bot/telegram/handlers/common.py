"""Commands for everyone: /start (with invites), /help, /id, /cancel, and the fallbacks."""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot import texts
from bot.telegram.menus import set_person_menu
from bot.users import Person, UserService


async def cmd_start(message: Message, command: CommandObject, person: Person, users: UserService, bot: Bot) -> None:
    """Greet by role; a deep-link payload is an invite."""
    if command.args:
        role = await users.redeem_invite(command.args.strip(), person.telegram_id)
        if role is None:
            await message.answer(texts.INVITE_BAD)
            return
        await set_person_menu(bot, person.telegram_id, role)
        await message.answer(texts.INVITE_OK.format(role=texts.ROLE_LABELS[role.value]))
        return
    if person.role is None:
        await message.answer(texts.START_STRANGER.format(id=person.telegram_id))
        return
    name = escape(person.full_name or texts.NOBODY_NAME)
    await message.answer(texts.START_ROLE[person.role.value].format(name=name))


async def cmd_id(message: Message, person: Person) -> None:
    """Tell the sender their Telegram ID."""
    await message.answer(texts.ID_TEXT.format(id=person.telegram_id))


async def cmd_help(message: Message, person: Person) -> None:
    """Explain what this person's role can do, with examples."""
    if person.role is None:
        await message.answer(texts.START_STRANGER.format(id=person.telegram_id))
        return
    await message.answer(texts.HELP_ROLE[person.role.value] + texts.HELP_COMMON)


async def cmd_cancel(message: Message, state: FSMContext) -> None:
    """Leave whatever dialog is in progress."""
    if await state.get_state() is None:
        await message.answer(texts.NOTHING_TO_CANCEL)
        return
    await state.clear()
    await message.answer(texts.CANCELLED)


async def on_admin_command_by_other(message: Message) -> None:
    """A non-admin tried an admin command."""
    await message.answer(texts.ADMIN_ONLY)


async def on_unknown_command(message: Message) -> None:
    """A command nobody handles."""
    await message.answer(texts.UNKNOWN_COMMAND)


async def on_other_message(message: Message) -> None:
    """Anything else nobody handles."""
    await message.answer(texts.PLAIN_TEXT_HINT)


def build_router() -> Router:
    """Commands for everyone."""
    router = Router(name="common")
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_id, Command("id"))
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_cancel, Command("cancel"))
    return router


def build_fallback_router() -> Router:
    """The last router: explain instead of staying silent."""
    router = Router(name="fallback")
    admin_commands = [command for command, _ in texts.ROLE_COMMANDS["admin"]]
    router.message.register(on_admin_command_by_other, Command(*admin_commands))
    router.message.register(on_unknown_command, F.text.startswith("/"))
    router.message.register(on_other_message)
    return router
