"""The one place unexpected errors end up: logged with an id, explained to the user, admins told."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from html import escape

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, User

from bot import texts
from bot.core.errors import UserFacingError
from bot.telegram.access import describe_user
from bot.users import UserService

log = logging.getLogger(__name__)


class AdminAlerts:
    """Tell admins about errors, at most once per interval (the rest are counted)."""

    def __init__(self, interval: float = 60.0, scrub: Callable[[str], str] = str) -> None:
        self.interval = interval
        self.scrub = scrub
        self._last = -interval
        self._suppressed = 0

    def claim(self) -> int | None:
        """Return how many alerts were suppressed since the last one, or None to stay silent."""
        now = time.monotonic()
        if now - self._last < self.interval:
            self._suppressed += 1
            return None
        self._last, suppressed, self._suppressed = now, self._suppressed, 0
        return suppressed


def _origin(event: ErrorEvent) -> tuple[int | None, User | None]:
    update = event.update
    if update.message is not None:
        return update.message.chat.id, update.message.from_user
    if update.callback_query is not None:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        return chat_id, query.from_user
    return None, None


async def _reply(bot: Bot, chat_id: int | None, text: str) -> None:
    if chat_id is None:
        return
    try:
        await bot.send_message(chat_id, text)
    except TelegramAPIError:
        log.warning("could not deliver an error message to %s", chat_id)


async def on_error(event: ErrorEvent, bot: Bot, users: UserService, alerts: AdminAlerts) -> bool:
    """Explain expected failures; log, number and report unexpected ones."""
    chat_id, user = _origin(event)
    error = event.exception
    if isinstance(error, UserFacingError):
        await _reply(bot, chat_id, escape(error.message) + (f"\n\n{escape(error.fix)}" if error.fix else ""))
        return True
    error_id = secrets.token_hex(3)
    log.error("unhandled error %s in update %s", error_id, event.update.update_id, exc_info=error)
    await _reply(bot, chat_id, texts.ERROR_FOR_USER.format(error_id=error_id))
    suppressed = alerts.claim()
    if suppressed is None:
        return True
    who = describe_user(user) if user else "?"
    text = texts.ERROR_FOR_ADMINS.format(
        error_id=error_id, who=who, error=escape(alerts.scrub(f"{type(error).__name__}: {error}")[:500])
    )
    if suppressed:
        text += texts.ERROR_SUPPRESSED.format(count=suppressed)
    for admin_id in await users.admins():
        if admin_id != chat_id:
            await _reply(bot, admin_id, text)
    return True


def build_router() -> Router:
    """The errors router."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
