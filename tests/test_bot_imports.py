"""The manager's story in Telegram, end to end through both emulators."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.storage.db import Database
from tests.emulators.places_model import PlacesModel
from tests.harness import ADMIN, MANAGER, MODERATOR, BotHarness, running_bot
from tests.workbooks import unknown_places, write_csv, write_xlsx

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


MESSY_HEADERS = ["Наименование", "Тип заведения", "Адрес объекта", "Фишка", "Телефоны"]


def messy_rows() -> list[list[Any]]:
    return [
        ["Кофейня «Зерно»", "Кофейня", "Москва, Пятницкая, 12", "латте на кокосовом", "+7 495 123-45-67"],
        ["Музей истории города", "Музей", "Москва, Тверская, 5", "бесплатно по средам", ""],
        ["Объект 17", "", "Москва, Мира, 17", "", ""],
    ]


def with_model(gigachat: Any) -> None:
    gigachat.responder = PlacesModel()


async def catalogue_names(h: BotHarness) -> list[str]:
    async with Database.open(h.settings.database_path) as db:
        return sorted(p.name for p in await db.places.iter_places())


async def test_manager_story_mapping_edit_confirm_progress_summary_workbook(tmp_path: Path) -> None:
    data = write_xlsx(tmp_path / "src.xlsx", messy_rows(), MESSY_HEADERS, title="Места на ноябрь").read_bytes()
    async with running_bot(tmp_path, roles={MANAGER: "manager"}, tune=with_model) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, data, "места.xlsx")
        mapping = await h.reply(MANAGER, after=mark, contains="Колонки → поля каталога")
        text = mapping.params["text"]
        assert "Строка заголовков: 3" in text and "Строк с данными: 3" in text
        assert "Фишка → <b>Примечание</b> (GigaChat" in text
        assert "Всё верно" in str(mapping.params["reply_markup"])

        mark = h.tg.mark()
        h.tg.press_button(MANAGER, "Изменить")
        await h.tg.wait_for("editMessageText", MANAGER, after=mark)
        h.tg.press_button(MANAGER, "4. Фишка")
        picked = await h.tg.wait_for(
            "editMessageText", MANAGER, after=mark, predicate=lambda c: "Какое это поле" in c.params["text"]
        )
        assert "латте на кокосовом" in picked.params["text"]
        h.tg.press_button(MANAGER, "Описание")
        edited = await h.tg.wait_for(
            "editMessageText",
            MANAGER,
            after=mark,
            predicate=lambda c: "Фишка → <b>Описание</b> (запомнено)" in c.params["text"],
        )
        assert edited

        mark = h.tg.mark()
        h.tg.press_button(MANAGER, "Всё верно")
        progress = await h.reply(MANAGER, after=mark, contains="Импорт «места.xlsx»")
        assert "Остановить" in str(progress.params["reply_markup"])
        document = await h.tg.wait_for("sendDocument", MANAGER, after=mark, timeout=20)
        summary = await h.reply(MANAGER, after=mark, contains="Итоги")
        assert "Добавлено: 3" in summary.params["text"]
        assert any(c.params.get("action") == "upload_document" for c in h.tg.calls_of("sendChatAction", MANAGER))

        _, payload = document.files["document"]
        book = load_workbook(io.BytesIO(payload))
        sheet = book["Места"]
        assert [sheet.cell(3, c).value for c in range(6, 10)] == ["Категория", "Подкатегория", "Описание", "Статус"]
        assert sheet.cell(4, 8).value == "латте на кокосовом"  # the file's own text became the description
        assert sheet.cell(5, 6).value == "Культура" and sheet.cell(5, 7).value == "Музей"
        assert sheet.cell(6, 8).value, "a missing description was written"
        assert [sheet.cell(r, 9).value for r in (4, 5, 6)] == ["добавлено"] * 3
        assert await catalogue_names(h) == sorted(["Музей истории города", "Объект 17", "Кофейня «Зерно»"])

        # the same headers next time: no questions at all
        again = write_xlsx(
            tmp_path / "src2.xlsx",
            [["Бар «Хмель»", "бар", "Москва, Мясницкая, 20", "", ""]],
            MESSY_HEADERS,
            title="Ещё",
        )
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, again.read_bytes(), "ещё.xlsx")
        known = await h.reply(MANAGER, after=mark, contains="Колонки → поля каталога")
        assert "без вопросов" in known.params["text"] and known.params.get("reply_markup") is None
        await h.tg.wait_for("sendDocument", MANAGER, after=mark, timeout=20)


async def test_bad_files_are_explained(tmp_path: Path) -> None:
    async with running_bot(tmp_path, roles={MANAGER: "manager"}, max_file_mb=1) as h:
        cases = [
            (b"%PDF-1.4 not a table", "отчёт.xlsx", "PDF"),
            (b"", "пусто.xlsx", "пуст"),
            (b"hello", "картинка.png", "Не умею читать"),
            # a name that looks like markup is shown as it is, not sent as broken HTML (which Telegram refuses)
            (b"hello", "план <новый>.doc", "план &lt;новый&gt;.doc"),
            (b"x" * (1024 * 1024 + 10), "большой.csv", "больше лимита 1 МБ"),
        ]
        for data, name, expected in cases:
            mark = h.tg.mark()
            h.tg.send_document(MANAGER, data, name)
            reply = await h.reply(MANAGER, after=mark)
            assert expected in reply.params["text"], reply.params["text"]


async def test_a_second_file_waits_in_line_and_stop_works(tmp_path: Path) -> None:
    slow = write_xlsx(tmp_path / "slow.xlsx", unknown_places(400)).read_bytes()
    other = write_csv(tmp_path / "other.csv", unknown_places(3, start=1000)).read_bytes()

    def tune(gigachat: Any) -> None:
        gigachat.responder = PlacesModel()
        gigachat.latency = 0.3

    async with running_bot(tmp_path, roles={MANAGER: "manager"}, tune=tune) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, slow, "slow.xlsx")
        await h.reply(MANAGER, after=mark, contains="Импорт «slow.xlsx»")
        h.tg.send_document(MANAGER, other, "other.csv")
        queued = await h.reply(MANAGER, after=mark, contains="в очереди")
        assert "slow.xlsx" in queued.params["text"]
        progress_message = h.tg.calls_of("sendMessage", MANAGER)
        stop_mark = h.tg.mark()
        h.tg.press_button(
            MANAGER,
            "Остановить",
            message_id=next(
                c.result["message_id"] for c in progress_message if "Импорт «slow.xlsx»" in c.params["text"]
            ),
        )
        await h.tg.wait_for(
            "editMessageText",
            MANAGER,
            after=stop_mark,
            predicate=lambda c: "остановлен" in c.params["text"],
            timeout=20,
        )
        await h.reply(MANAGER, after=stop_mark, contains="Итоги «other.csv»", wait=20)
        jobs = await h.command(MANAGER, "jobs")
        assert "остановлен" in jobs.params["text"] and "готово" in jobs.params["text"]
        assert "▶️" in str(jobs.params["reply_markup"]) and "📎" in str(jobs.params["reply_markup"])


async def test_catalogue_commands(tmp_path: Path) -> None:
    source = write_xlsx(
        tmp_path / "c.xlsx",
        [
            ["Кофейня «Зерно»", "Кофейня", "Москва, Пятницкая, 12", "", "", ""],
            ["Музей истории", "Музей", "Москва, Тверская, 5", "", "", ""],
        ],
    )
    async with running_bot(tmp_path, roles={MANAGER: "manager", MODERATOR: "moderator"}) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, source.read_bytes(), "c.xlsx")
        await h.tg.wait_for("sendDocument", MANAGER, after=mark, timeout=20)

        found = await h.command(MANAGER, "places", "кофейня")
        assert "Кофейня «Зерно»" in found.params["text"] and "Найдено: 1" in found.params["text"]
        by_category = await h.command(MODERATOR, "places", "Культура")
        assert "Музей истории" in by_category.params["text"]

        mark = h.tg.mark()
        h.tg.send_command(MANAGER, "export", "Еда")
        export = await h.tg.wait_for("sendDocument", MANAGER, after=mark)
        book = load_workbook(io.BytesIO(export.files["document"][1]))
        names = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
        assert names == ["Кофейня «Зерно»"]

        mark = h.tg.mark()
        h.tg.send_command(MANAGER, "template")
        template = await h.tg.wait_for("sendDocument", MANAGER, after=mark)
        rows = list(load_workbook(io.BytesIO(template.files["document"][1])).active.iter_rows(values_only=True))
        assert rows[0][0] == "Название" and len(rows) == 3

        stats = await h.command(ADMIN, "stats")
        assert "Мест в каталоге: 2" in stats.params["text"]
        assert "Токенов на загруженное место:" in stats.params["text"]  # descriptions were asked of GigaChat
        refused = await h.command(MANAGER, "stats")
        assert "Не знаю такой команды" in refused.params["text"] or "только" in refused.params["text"]
        categories = await h.command(MANAGER, "categories")
        assert "food" in categories.params["text"] or "Еда" in categories.params["text"]


async def test_bot_answers_others_while_a_100k_row_job_runs(tmp_path: Path) -> None:
    big = write_csv(tmp_path / "big.csv", unknown_places(100_000))
    async with running_bot(tmp_path, roles={MANAGER: "manager"}, max_file_mb=50) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, big.read_bytes(), "big.csv")
        await h.reply(MANAGER, after=mark, contains="Импорт «big.csv»", wait=60)
        delays = []
        for _ in range(3):
            started = time.monotonic()
            await h.command(MODERATOR + 7, "start")
            delays.append(time.monotonic() - started)
            await asyncio.sleep(0.3)
        assert max(delays) < 2.0, delays
        h.tg.press_button(MANAGER, "Остановить")
        await h.tg.wait_for(
            "editMessageText", MANAGER, predicate=lambda c: "остановлен" in c.params["text"], timeout=60
        )


async def test_another_sheet_can_be_chosen(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Инструкция"
    notes.append(["Заполните лист «Места»"])
    moscow = book.create_sheet("Москва")
    moscow.append(["Название", "Адрес", "Фишка"])
    moscow.append(["Кафе «Уют»", "Москва, Арбат, 1", "камин"])
    spb = book.create_sheet("Петербург")
    spb.append(["Название", "Адрес", "Фишка"])
    spb.append(["Музей воды", "СПб, Шпалерная, 56", "экскурсии"])
    spb.append(["Бар «Кот»", "СПб, Рубинштейна, 3", "джаз"])
    hidden = book.create_sheet("Служебный")
    hidden.sheet_state = "hidden"
    path = tmp_path / "two.xlsx"
    book.save(path)
    async with running_bot(tmp_path, roles={MANAGER: "manager"}, tune=with_model) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, path.read_bytes(), "two.xlsx")
        first = await h.reply(MANAGER, after=mark, contains="Колонки → поля каталога")
        # both sheets look like places; the one with more data wins, the hidden one is never offered
        assert "Лист: «Петербург»" in first.params["text"] and "всего листов: 3" in first.params["text"]
        mark = h.tg.mark()
        h.tg.press_button(MANAGER, "Другой лист")
        choice = await h.tg.wait_for("editMessageText", MANAGER, after=mark)
        assert "Служебный" not in str(choice.params["reply_markup"])
        h.tg.press_button(MANAGER, "Москва")
        switched = await h.tg.wait_for(
            "editMessageText", MANAGER, after=mark, predicate=lambda c: "Лист: «Москва»" in c.params["text"]
        )
        assert "Строк с данными: 1" in switched.params["text"]
