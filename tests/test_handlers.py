"""Handlers through the production Dispatcher, fed Updates directly, with a recording session.

The cheap tier: no HTTP and no emulator; each story runs in milliseconds. The same factory
(`create_dispatcher`) builds the Dispatcher here and in production.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiogram import Bot, Dispatcher

from bot.core.config import load_settings
from bot.services import Services, open_services
from bot.telegram.app import create_dispatcher
from tests.recording_bot import TOKEN, RecordingSession, recording_bot, text_update

ADMIN, MANAGER, MODERATOR, STRANGER = 1001, 2002, 3003, 4004


@dataclass
class Tier:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    services: Services

    async def say(self, user_id: int, text: str) -> list[str]:
        """Send a text as a person; return what the bot sent to that person in answer."""
        before = len(self.session.requests)
        await self.dp.feed_update(self.bot, text_update(user_id, text))
        return self.session.texts_to(user_id, before)


@asynccontextmanager
async def tier(tmp_path: Path) -> AsyncIterator[Tier]:
    settings = load_settings(env_file=None, bot_token=TOKEN, admin_ids=(ADMIN,), database_path=tmp_path / "bot.sqlite3")
    async with open_services(settings, offline=True) as services:
        for user_id, role in ((MANAGER, "manager"), (MODERATOR, "moderator")):
            await services.db.users.set_role(user_id, role, None)
        bot, session = recording_bot()
        yield Tier(create_dispatcher(services), bot, session, services)


async def test_a_stranger_learns_their_id_and_the_admin_hears_once(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        [start] = await t.say(STRANGER, "/start")
        assert str(STRANGER) in start
        alerts = [text for text in t.session.texts_to(ADMIN) if "Просит доступ" in text]
        assert len(alerts) == 1 and str(STRANGER) in alerts[0]
        refusals = [text for word in ("привет", "ау") for text in await t.say(STRANGER, word)]
        assert sum("нет доступа" in text for text in refusals) == 1, "one refusal, not one per message"
        assert [text for text in t.session.texts_to(ADMIN) if "Просит доступ" in text] == alerts


async def test_each_role_gets_its_own_help(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        [manager] = await t.say(MANAGER, "/help")
        [moderator] = await t.say(MODERATOR, "/help")
        assert "Менеджер" in manager and "Модератор" in moderator


async def test_a_review_text_gets_a_card_from_the_rules_without_gigachat(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        replies = await t.say(MODERATOR, "Ужасный сервис, официант хамил, суп принесли холодным. Больше не придём.")
        card = next(text for text in replies if "Тональность" in text or "тональность" in text)
        assert "отрицательная" in card
        rejected = await t.say(MODERATOR, "Звоните 8 912 345 67 89, скидки каждый день")
        assert any("Отклонить" in text or "отклон" in text.lower() for text in rejected)


async def test_a_manager_cannot_run_admin_commands(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        replies = await t.say(MANAGER, "/users")
        assert replies and not any(str(ADMIN) in text for text in replies)
        assert "Не знаю такой команды" in replies[0] or "только" in replies[0]
