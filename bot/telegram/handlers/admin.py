"""Admin commands: people and roles, invites, and /diagnose."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, MessageOriginHiddenUser, MessageOriginUser
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.deep_linking import create_start_link

from bot import texts
from bot.core.config import Settings
from bot.core.errors import UserFacingError
from bot.gigachat.client import GigaChatClient
from bot.gigachat.diagnose import run_diagnose
from bot.telegram.access import RoleFilter, describe_user
from bot.telegram.keyboards import DiagnoseCallback, GrantCallback, diagnose_keyboard
from bot.telegram.menus import set_person_menu
from bot.telegram.replies import send_long
from bot.users import Person, Role, UserService

log = logging.getLogger(__name__)


def _role_label(person: Person) -> str:
    if person.role is None:
        return "—"
    label = texts.ROLE_LABELS[person.role.value]
    return label + (texts.USERS_FROM_SETTINGS if person.from_settings else "")


def format_people(people: list[Person]) -> str:
    """Render /users."""
    if not people:
        return texts.USERS_EMPTY
    with_role = [p for p in people if p.role is not None]
    waiting = [p for p in people if p.role is None]
    lines = [texts.USERS_HEADER]
    lines += [f"• {describe_user(p)} — <code>{p.telegram_id}</code> — {_role_label(p)}" for p in with_role]
    if waiting:
        lines += ["", texts.USERS_WAITING]
        lines += [f"• {describe_user(p)} — <code>{p.telegram_id}</code>" for p in waiting]
    return "\n".join(lines)


async def cmd_users(message: Message, users: UserService, bot: Bot) -> None:
    """List people and roles."""
    await send_long(bot, message.chat.id, format_people(await users.everyone()))


async def _apply_role(bot: Bot, users: UserService, target: int, role: Role | None, by: int) -> str:
    """Grant or revoke, tell the person, refresh their menu; return the admin's confirmation."""
    if role is None:
        person = await users.revoke(target, by)
        notice, answer = texts.REVOKED_NOTICE, texts.REVOKED.format(who=_who(person))
    else:
        person = await users.grant(target, role, by)
        label = texts.ROLE_LABELS[role.value]
        notice, answer = (
            texts.GRANTED_NOTICE.format(role=label),
            texts.GRANTED.format(who=_who(person), role=label),
        )
    await set_person_menu(bot, target, person.role)
    try:
        await bot.send_message(target, notice)
    except TelegramAPIError as error:  # they may have never opened the bot, or blocked it
        log.info("role notice to %s not delivered: %s", target, error)
    return answer


def _who(person: Person) -> str:
    name = describe_user(person) if person.full_name else ""
    return f"{name} (<code>{person.telegram_id}</code>)" if name else f"<code>{person.telegram_id}</code>"


def _forwarded_user(message: Message) -> int | None:
    reply = message.reply_to_message
    if reply is None:
        return None
    origin = reply.forward_origin
    if isinstance(origin, MessageOriginUser):
        return origin.sender_user.id
    if isinstance(origin, MessageOriginHiddenUser):
        raise UserFacingError(texts.GRANT_HIDDEN_FORWARD)
    return None


def _parse_grant(message: Message, args: str | None) -> tuple[int, Role]:
    words = (args or "").split()
    forwarded = _forwarded_user(message)
    if forwarded is not None and len(words) == 1:
        return forwarded, Role.parse(words[0])
    if len(words) == 2 and words[0].lstrip("-").isdigit():
        return int(words[0]), Role.parse(words[1])
    raise UserFacingError(texts.GRANT_USAGE)


async def cmd_grant(message: Message, command: CommandObject, users: UserService, bot: Bot, person: Person) -> None:
    """/grant <id> <role>, or /grant <role> in reply to a forwarded message."""
    target, role = _parse_grant(message, command.args)
    await message.answer(await _apply_role(bot, users, target, role, person.telegram_id))


async def cmd_revoke(message: Message, command: CommandObject, users: UserService, bot: Bot, person: Person) -> None:
    """/revoke <id>."""
    words = (command.args or "").split()
    forwarded = _forwarded_user(message)
    if forwarded is not None and not words:
        target = forwarded
    elif len(words) == 1 and words[0].lstrip("-").isdigit():
        target = int(words[0])
    else:
        raise UserFacingError(texts.REVOKE_USAGE)
    await message.answer(await _apply_role(bot, users, target, None, person.telegram_id))


async def cmd_invite(message: Message, command: CommandObject, users: UserService, bot: Bot, person: Person) -> None:
    """/invite <role>: a single-use deep link valid for 24 hours."""
    if not command.args:
        raise UserFacingError(texts.INVITE_USAGE)
    role = Role.parse(command.args)
    token = await users.create_invite(role, person.telegram_id)
    link = await create_start_link(bot, token)
    await message.answer(texts.INVITE_LINK.format(role=texts.ROLE_LABELS[role.value], link=escape(link)))


async def on_grant_button(
    query: CallbackQuery, callback_data: GrantCallback, users: UserService, bot: Bot, person: Person
) -> None:
    """An admin pressed a role button under a knock alert."""
    answer = await _apply_role(bot, users, callback_data.user_id, Role(callback_data.role), person.telegram_id)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(f"{query.message.html_text}\n\n{answer}", reply_markup=None)


async def _diagnose_to(bot: Bot, chat_id: int, settings: Settings, llm: GigaChatClient | None) -> None:
    # The service's own client: diagnose waits its turn under the process-wide limit instead of
    # opening a second stream next to a running job.
    async with ChatActionSender.typing(bot=bot, chat_id=chat_id):
        report = await run_diagnose(settings, client=llm)
    text = texts.format_diagnose_html(report.rows())
    await send_long(bot, chat_id, text, reply_markup=diagnose_keyboard(), file_name="diagnose.txt")


async def cmd_diagnose(message: Message, bot: Bot, settings: Settings, llm: GigaChatClient | None) -> None:
    """Run every GigaChat check and show the report."""
    await _diagnose_to(bot, message.chat.id, settings, llm)


async def on_diagnose_retry(query: CallbackQuery, bot: Bot, settings: Settings, llm: GigaChatClient | None) -> None:
    """«🔁 Повторить» under a report."""
    await query.answer(texts.DIAG_RUNNING)
    if query.message is not None:
        await _diagnose_to(bot, query.message.chat.id, settings, llm)


def build_router() -> Router:
    """Admin-only commands and buttons."""
    router = Router(name="admin")
    admin_only = RoleFilter(Role.ADMIN)
    router.message.filter(admin_only)
    router.callback_query.filter(admin_only)
    router.message.register(cmd_users, Command("users"))
    router.message.register(cmd_grant, Command("grant"))
    router.message.register(cmd_revoke, Command("revoke"))
    router.message.register(cmd_invite, Command("invite"))
    router.message.register(cmd_diagnose, Command("diagnose"))
    router.callback_query.register(on_grant_button, GrantCallback.filter())
    router.callback_query.register(on_diagnose_retry, DiagnoseCallback.filter())
    return router
