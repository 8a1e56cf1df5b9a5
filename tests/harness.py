"""End-to-end harness: the real bot (`bot.telegram.app.serve`) polling the Telegram emulator, GigaChat emulated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.config import Settings, load_settings
from bot.storage.db import Database
from bot.telegram.app import serve
from tests.conftest import make_key
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.telegram import ApiCall, TelegramEmulator

ADMIN = 1001
MANAGER = 2002
MODERATOR = 3003
STRANGER = 4004


@dataclass
class BotHarness:
    """What a test drives and inspects."""

    tg: TelegramEmulator
    gigachat: GigaChatEmulator
    settings: Settings
    key: str

    async def reply(self, chat_id: int, *, after: int, contains: str | None = None, wait: float = 10.0) -> ApiCall:
        """Wait for a message the bot sent to a chat (optionally containing a text)."""

        def matches(call: ApiCall) -> bool:
            return call.ok and (contains is None or contains in str(call.params.get("text", "")))

        return await self.tg.wait_for("sendMessage", chat_id, predicate=matches, timeout=wait, after=after)

    def texts_to(self, chat_id: int, after: int = 0) -> list[str]:
        """Every text the bot sent to a chat since a mark."""
        return [
            str(c.params.get("text", ""))
            for c in self.tg.calls[after:]
            if c.method == "sendMessage" and c.chat_id == chat_id and c.ok
        ]

    async def command(self, user_id: int, command: str, args: str = "", *, contains: str | None = None) -> ApiCall:
        """Send a command and wait for the bot's answer to that chat."""
        mark = self.tg.mark()
        self.tg.send_command(user_id, command, args, first_name=f"User{user_id}")
        return await self.reply(user_id, after=mark, contains=contains)


def harness_settings(
    tmp_path: Path, tg: TelegramEmulator, gigachat: GigaChatEmulator, key: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "bot_token": tg.token,
        "telegram_api_url": tg.base_url,
        "admin_ids": (ADMIN,),
        "database_path": tmp_path / "bot.sqlite3",
        "gigachat_credentials": key,
        "gigachat_base_url": gigachat.base_url,
        "gigachat_auth_url": gigachat.auth_url,
        "gigachat_fallback_urls": (),
        "gigachat_timeout": 5.0,
    }
    values.update(overrides)
    return load_settings(env_file=None, **values)


async def set_roles(settings: Settings, roles: dict[int, str]) -> None:
    """Give people roles straight in the database, before the bot starts."""
    async with Database.open(settings.database_path) as db:
        for telegram_id, role in roles.items():
            await db.users.set_role(telegram_id, role, None)


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    *,
    roles: dict[int, str] | None = None,
    tune: Callable[[GigaChatEmulator], None] | None = None,
    **overrides: Any,
) -> AsyncIterator[BotHarness]:
    """Start both emulators and the real bot; stop everything on exit."""
    async with TelegramEmulator() as tg, GigaChatEmulator() as gigachat:
        if tune:
            tune(gigachat)
        key = make_key()
        settings = harness_settings(tmp_path, tg, gigachat, key, **overrides)
        if roles:
            await set_roles(settings, roles)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop, handle_signals=False))
        try:
            await tg.wait_polling(timeout=10)
            yield BotHarness(tg, gigachat, settings, key)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
