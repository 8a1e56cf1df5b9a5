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
from tests.recording_bot import TOKEN, RecordingSession, callback_update, recording_bot, text_update

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


async def _card(t: Tier, text: str) -> tuple[str, list[tuple[str, str]]]:
    before = len(t.session.requests)
    await t.dp.feed_update(t.bot, text_update(MODERATOR, text))
    card = next(x for x in t.session.texts_to(MODERATOR, before) if "Тональность" in x)
    return card, t.session.buttons_to(MODERATOR, before)[-1]


async def _press(t: Tier, data: str) -> tuple[list[str], list[list[tuple[str, str]]]]:
    before = len(t.session.requests)
    await t.dp.feed_update(t.bot, callback_update(MODERATOR, data))
    answers = [
        str(getattr(m, "text", "")) for m in t.session.requests[before:] if type(m).__name__ == "AnswerCallbackQuery"
    ]
    return answers, t.session.buttons_to(MODERATOR, before)


def _action(buttons: list[tuple[str, str]], label: str) -> str:
    return next(data for text, data in buttons if label in text)


async def test_a_decided_card_offers_only_what_makes_sense_next(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        _, buttons = await _card(t, "Уютное кафе, вкусный кофе и приветливый бариста. Придём ещё!")
        assert [text for text, _ in buttons] == ["✅ Опубликовать", "❌ Отклонить", "📍 Привязать к месту"]
        publish, reject = _action(buttons, "Опубликовать"), _action(buttons, "Отклонить")
        answers, [after] = await _press(t, reject)
        assert answers == ["❌ Отзыв №1 отклонён."]
        assert [text for text, _ in after] == ["↩️ Вернуть на проверку", "📍 Привязать к месту"]
        answers, [stale] = await _press(t, publish)  # an old copy of the card: nothing changes
        assert answers == ["Отзыв №1 уже отклонён: карточка обновлена."]
        assert [text for text, _ in stale] == ["↩️ Вернуть на проверку", "📍 Привязать к месту"]
        review = await t.services.reviews.get(1)
        assert review is not None and review.status == "rejected"
        answers, [reopened] = await _press(t, _action(after, "Вернуть"))
        assert answers == ["↩️ Отзыв №1 снова ждёт решения."]
        assert [text for text, _ in reopened][:2] == ["✅ Опубликовать", "❌ Отклонить"]
        review = await t.services.reviews.get(1)
        assert review is not None and review.status == "pending" and review.moderator_id is None
        history = await t.services.db.reviews.decisions(1)
        assert [(status, who) for status, who, _ in history] == [("rejected", MODERATOR), ("pending", MODERATOR)]


ADS = [
    "Шаурма Мастер на Ленина — лучшая шаурма в городе! Огромные порции, свежие овощи, всем советую Шаурма Мастер!",
    "Лучшая шаурма в городе только в Шаурма Мастер на Ленина! Свежие овощи, огромные порции, советую всем!",
    "Всем советую Шаурма Мастер на Ленина: лучшая шаурма в городе, порции огромные, овощи свежие!",
]


async def test_a_moderator_rejects_three_ads_and_the_fourth_variant_is_held_back(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        for ad in ADS:
            _, buttons = await _card(t, ad)
            await _press(t, _action(buttons, "Отклонить"))
        first = await t.services.reviews.get(1)
        assert first is not None and first.analysis.verdict == "approve"  # the rules alone would publish the ad
        card, _ = await _card(
            t, "Шаурма Мастер на Ленина — самая лучшая шаурма в городе, порции огромные и овощи свежие, советую!"
        )
        assert "похоже на отклонённый отзыв №" in card
        assert any(f"№{n}" in card for n in (1, 2, 3))
        held = await t.services.reviews.get(4)
        assert held is not None and held.analysis.verdict == "needs_review"
        assert held.analysis.reasons[-1] == "like_rejected"
        other, _ = await _card(t, "Уютная кофейня у парка: вкусный раф, тихая музыка и вежливый бариста.")
        assert "похоже на отклонённый" not in other  # an ordinary review is not held


async def test_a_review_with_the_promo_code_of_a_rejected_one_is_held_back(tmp_path: Path) -> None:
    async with tier(tmp_path) as t:
        _, buttons = await _card(t, "Классные роллы, берите с промокодом ROLL15 — выгодно")
        await _press(t, _action(buttons, "Отклонить"))
        card, _ = await _card(t, "Вкусно и недорого. Не забудьте промокод roll15 при заказе")
        assert "похоже на отклонённый отзыв №1" in card
