"""The moderator's story end to end: the real bot, the Telegram emulator and the GigaChat emulator."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.storage.db import Database
from bot.storage.rows import ReviewRow
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.reviews_model import PLACES, ReviewsModel, sample_reviews
from tests.harness import MANAGER, MODERATOR, BotHarness, running_bot

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


ROLES = {MODERATOR: "moderator", MANAGER: "manager"}


def with_model(model: ReviewsModel) -> object:
    def tune(gigachat: GigaChatEmulator) -> None:
        gigachat.responder = model

    return tune


async def add_place(h: BotHarness, name: str, address: str) -> None:
    async with Database.open(h.settings.database_path) as db:
        await db.places.save_batch(
            0, inserts=[(1, {"name": name, "address": address, "name_key": name.lower()})], updates=[], rows=[],
            processed=0, counters="{}",
        )  # fmt: skip


async def stored_review(h: BotHarness, review_id: int) -> ReviewRow:
    async with Database.open(h.settings.database_path) as db:
        row = await db.reviews.get_review(review_id)
    assert row is not None
    return row


async def test_text_card_publish_bind_and_summary(tmp_path: Path) -> None:
    model = ReviewsModel()
    async with running_bot(tmp_path, roles=ROLES, tune=with_model(model)) as h:  # type: ignore[arg-type]
        await add_place(h, "Кафе «Ромашка»", "Тверская, 1")
        mark = h.tg.mark()
        h.tg.send_text(MODERATOR, "Очень уютное кафе, персонал вежливый, кофе отличный! Обязательно вернёмся.")
        card = await h.reply(MODERATOR, after=mark, contains="Отзыв №1")
        text = card.params["text"]
        assert "положительная" in text and "можно публиковать" in text and "GigaChat" in text
        markup = str(card.params["reply_markup"])
        assert "Опубликовать" in markup and "Отклонить" in markup and "Привязать к месту" in markup
        assert any(c.params.get("action") == "typing" for c in h.tg.calls_of("sendChatAction", MODERATOR))

        mark = h.tg.mark()
        h.tg.press_button(MODERATOR, "Опубликовать")
        edited = await h.tg.wait_for("editMessageText", MODERATOR, after=mark)
        assert "опубликован" in edited.params["text"]
        row = await stored_review(h, 1)
        assert row.status == "approved" and row.moderator_id == MODERATOR

        mark = h.tg.mark()
        h.tg.press_button(MODERATOR, "Привязать к месту")
        await h.reply(MODERATOR, after=mark, contains="название места")
        mark = h.tg.mark()
        h.tg.send_text(MODERATOR, "ромашка")
        await h.reply(MODERATOR, after=mark, contains="Выберите место")
        mark = h.tg.mark()
        h.tg.press_button(MODERATOR, "Ромашка")
        bound = await h.reply(MODERATOR, after=mark, contains="Отзыв №1")
        assert "Кафе «Ромашка»" in bound.params["text"]
        assert (await stored_review(h, 1)).place_id == 1

        for review in sample_reviews(3, seed=1):
            mark = h.tg.mark()
            h.tg.send_command(MODERATOR, "review", review)
            await h.reply(MODERATOR, after=mark, contains="Отзыв №")
            h.tg.press_button(MODERATOR, "Привязать к месту")
            await h.reply(MODERATOR, after=mark, contains="название места")
            h.tg.send_text(MODERATOR, "Тверская")
            await h.reply(MODERATOR, after=mark, contains="Выберите место")
            h.tg.press_button(MODERATOR, "Ромашка")
            await h.reply(MODERATOR, after=mark, contains="Место: Кафе")

        summary = await h.command(MODERATOR, "summary", "Ромашка", contains="Отзывы о")
        text = summary.params["text"]
        assert "Отзывов: 4" in text and "Сводка:" in text and "Гости оставили отзывы" in text
        assert model.calls["summarize_place"] == 1

        queue = await h.command(MODERATOR, "queue")
        assert "Ждут решения: 3" in queue.params["text"]


async def test_bad_reviews_are_rejected_whatever_the_model_says(tmp_path: Path) -> None:
    model = ReviewsModel(verdict="approve")
    async with running_bot(tmp_path, roles=ROLES, tune=with_model(model)) as h:  # type: ignore[arg-type]
        cases = {
            "Бармен п*здец медленный, х у й дождёшься коктейля": "мат",
            "Администратор — идиот, а официантка хамка": "оскорбления",
            "Лучший кальян в городе, звоните +7 912 345-67-89": "личные данные",
            "Пишите на sale@bar-best.ru — скидка по коду BAR20": "реклама",
        }
        for text, reason in cases.items():
            mark = h.tg.mark()
            forwarded = h.tg.send_text(MODERATOR, text, forward_from=MANAGER)
            assert forwarded["forward_origin"]
            card = await h.reply(MODERATOR, after=mark, contains="Отзыв №")
            assert "отклонить" in card.params["text"] and reason in card.params["text"]
        assert model.calls["analyze_reviews"] == 0  # clear-cut rejects cost no call

        mark = h.tg.mark()
        h.tg.send_text(MODERATOR, "Нас встретила Кузнецова Ольга Викторовна, всё было вкусно")
        card = await h.reply(MODERATOR, after=mark, contains="Отзыв №")
        assert "нужна проверка" in card.params["text"] and "[имя скрыто]" in card.params["text"]
        h.tg.press_button(MODERATOR, "Отклонить")
        await h.tg.wait_for("editMessageText", MODERATOR, after=mark)

        hint = h.tg.mark()
        h.tg.send_text(MANAGER, "Очень вкусно")
        answer = await h.reply(MANAGER, after=hint)
        assert "Отзыв" not in answer.params["text"]


async def test_blacklist_and_offline_cards_say_so(tmp_path: Path) -> None:
    def refuse(gigachat: GigaChatEmulator) -> None:
        gigachat.reply(content="", finish_reason="blacklist")

    async with running_bot(tmp_path, roles=ROLES, tune=refuse) as h:
        mark = h.tg.mark()
        h.tg.send_text(MODERATOR, "Обсуждали за ужином острые темы, а суп был вкусный")
        card = await h.reply(MODERATOR, after=mark, contains="Отзыв №")
        assert "нужна проверка" in card.params["text"] and "фильтр" in card.params["text"]

    async with running_bot(tmp_path / "offline", roles=ROLES, gigachat_credentials=None) as h:
        mark = h.tg.mark()
        h.tg.send_text(MODERATOR, "Ужасный сервис, официант хамил, суп холодный")
        card = await h.reply(MODERATOR, after=mark, contains="Отзыв №")
        assert "без GigaChat" in card.params["text"] and "отрицательная" in card.params["text"]


async def test_file_of_reviews_comes_back_enriched(tmp_path: Path) -> None:
    model = ReviewsModel()
    async with running_bot(tmp_path, roles=ROLES, tune=with_model(model)) as h:  # type: ignore[arg-type]
        reviews = [*sample_reviews(25), "Официант х*й знает что принёс", "Звоните 8 912 345 67 89"]
        rows = [f'"{PLACES[n % 2]}","{text}",{1 + n % 5},Гость {n}' for n, text in enumerate(reviews)]
        lines = ["Место,Текст отзыва,Оценка,Автор", *rows]
        mark = h.tg.mark()
        h.tg.send_document(MODERATOR, "\n".join(lines).encode("utf-8"), "отзывы.csv")
        await h.reply(MODERATOR, after=mark, contains="Разбираю отзывы")
        report = await h.reply(MODERATOR, after=mark, contains="Итоги", wait=20)
        assert f"Отзывов: {len(reviews)}" in report.params["text"]
        assert " на отзыв)" in report.params["text"]  # tokens per review, next to the job's total
        document = await h.tg.wait_for("sendDocument", MODERATOR, after=mark, timeout=10)
        name, data = document.files["document"]
        assert name.endswith("_отзывы.xlsx")
        book = await asyncio.to_thread(load_workbook, io.BytesIO(data), read_only=True)
        assert book.sheetnames == ["Отзывы", "По местам"]
        places = list(book["По местам"].iter_rows(values_only=True))
        assert {row[0] for row in places[1:]} == set(PLACES[:2])
        assert model.calls["analyze_reviews"] <= -(-25 // 10) + 2
        queue = await h.command(MODERATOR, "queue")
        assert "Ждут решения" in queue.params["text"]
