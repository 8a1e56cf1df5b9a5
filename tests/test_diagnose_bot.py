"""/diagnose inside the running bot: the service's own GigaChat client, its limit, a busy key."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.emulators.contract import forced_function, function_reply
from tests.emulators.gigachat import ChatReply, GigaChatEmulator
from tests.emulators.places_model import PlacesModel
from tests.harness import ADMIN, MANAGER, running_bot
from tests.workbooks import unknown_places, write_xlsx

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


SECOND_ADMIN = ADMIN + 1


async def test_a_busy_key_is_a_warning_and_diagnose_does_not_wait(tmp_path: Path) -> None:
    def busy(gigachat: GigaChatEmulator) -> None:
        gigachat.rate_limit("chat", retry_after=30, times=5)

    async with running_bot(tmp_path, tune=busy) as h:
        started = time.monotonic()
        mark = h.tg.mark()
        h.tg.send_command(ADMIN, "diagnose")
        report = await h.reply(ADMIN, after=mark, contains="Диагностика GigaChat")
        elapsed = time.monotonic() - started
        text = report.params["text"]
        assert "занят" in text
        assert "❌" not in text  # not a failure: the bot's own work may hold the stream
        assert "вторая копия" in text
        chat_calls = len(h.gigachat.calls("chat"))  # locals: a failing assert never prints the harness (its key)
        assert chat_calls == 1  # no retry, and no function call after a busy answer
        assert elapsed < 10  # Retry-After 30 was not waited for


async def test_diagnose_shares_the_bot_limit(tmp_path: Path) -> None:
    """Two admins at once: with the service's client and a personal key, one request at a time."""

    def slow(gigachat: GigaChatEmulator) -> None:
        gigachat.latency = 0.3

    async with running_bot(tmp_path, tune=slow, admin_ids=(ADMIN, SECOND_ADMIN)) as h:
        mark = h.tg.mark()
        h.tg.send_command(ADMIN, "diagnose")
        h.tg.send_command(SECOND_ADMIN, "diagnose")
        reports = await asyncio.gather(
            h.reply(ADMIN, after=mark, contains="Диагностика GigaChat", wait=20),
            h.reply(SECOND_ADMIN, after=mark, contains="Диагностика GigaChat", wait=20),
        )
        for report in reports:
            assert "GigaChat готов к работе" in report.params["text"], report.params["text"]
        chat_calls, peak = len(h.gigachat.calls("chat")), h.gigachat.max_in_flight
        assert chat_calls == 4  # a text and a function call each
        assert peak == 1
        with sqlite3.connect(h.settings.database_path) as db:  # the service's client records its usage
            rows = db.execute("SELECT purpose, model FROM llm_usage").fetchall()
        assert rows == [("diagnose", "GigaChat")] * 4


async def test_diagnose_during_a_job_waits_its_turn(tmp_path: Path) -> None:
    """A running import and /diagnose together: one request in flight at a time, and no failure."""
    places = write_xlsx(tmp_path / "slow.xlsx", unknown_places(400)).read_bytes()
    model = PlacesModel()

    def respond(body: dict[str, Any]) -> ChatReply:
        if forced_function(body) == "ping":
            return function_reply("ping", {"reply": "работает"})
        return model(body)

    def tune(gigachat: GigaChatEmulator) -> None:
        gigachat.responder = respond
        gigachat.latency = 0.2

    async with running_bot(tmp_path, roles={MANAGER: "manager"}, tune=tune) as h:
        mark = h.tg.mark()
        h.tg.send_document(MANAGER, places, "slow.xlsx")
        started = await h.reply(MANAGER, after=mark, contains="Импорт «slow.xlsx»")
        for _ in range(100):  # until the job is talking to GigaChat
            if sum(model.calls.values()):
                break
            await asyncio.sleep(0.05)
        diagnose_mark = h.tg.mark()
        h.tg.send_command(ADMIN, "diagnose")
        report = await h.reply(ADMIN, after=diagnose_mark, contains="Диагностика GigaChat", wait=30)
        text = report.params["text"]
        assert "❌" not in text, text
        chats = h.gigachat.calls("chat")
        ping = next(i for i, c in enumerate(chats) if forced_function(c.json) == "ping")
        job_calls = [i for i, c in enumerate(chats) if forced_function(c.json) not in (None, "ping")]
        assert job_calls[0] < ping  # diagnose really ran while the job was calling GigaChat
        peak = h.gigachat.max_in_flight
        assert peak == 1

        stop_mark = h.tg.mark()
        h.tg.press_button(MANAGER, "Остановить", message_id=started.result["message_id"])
        await h.tg.wait_for(
            "editMessageText",
            MANAGER,
            after=stop_mark,
            predicate=lambda c: "остановлен" in c.params["text"],
            timeout=20,
        )
