"""Starting the bot: token checks, `python -m bot` against the emulator, webhook mode, users CLI."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot import texts
from bot.telegram.app import serve
from bot.telegram.session import ReliableRequests
from tests.conftest import make_key
from tests.emulators.gigachat import GigaChatEmulator
from tests.emulators.telegram import TelegramEmulator
from tests.harness import ADMIN, harness_settings

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIGACHAT_", "BOT_", "TELEGRAM_", "WEBHOOK_"))}
    env.pop("ADMIN_IDS", None)
    env.update(extra)
    return env


async def run_cli(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_without_a_token_it_explains_botfather_and_exits_2(tmp_path: Path) -> None:
    code, out, err = await run_cli(tmp_path, child_env())
    assert code == 2
    assert "@BotFather" in out
    assert "Traceback" not in out + err


async def test_malformed_token_is_explained(tmp_path: Path) -> None:
    code, out, _ = await run_cli(tmp_path, child_env(BOT_TOKEN="my-token"), "run")
    assert code == 2
    assert "не похож на токен" in out
    assert "my-token" not in out


async def test_python_m_bot_answers_through_the_emulator(tmp_path: Path) -> None:
    async with TelegramEmulator() as tg:
        env = child_env(BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.base_url, ADMIN_IDS=str(ADMIN))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await tg.wait_polling(timeout=30)
            mark = tg.mark()
            tg.send_command(ADMIN, "id")
            reply = await tg.wait_for("sendMessage", ADMIN, after=mark, timeout=15)
            assert str(ADMIN) in reply.params["text"]
            menu = {c["command"] for c in tg.commands_for({"type": "chat", "chat_id": ADMIN})}
            assert "diagnose" in menu
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(proc.communicate(), timeout=20)
        log = err.decode()
        assert "@places_test_bot" in log
        assert "GigaChat off (missing_credentials)" in log
        assert tg.token not in log
        assert proc.returncode == 0, log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_checks_the_secret(tmp_path: Path) -> None:
    async with TelegramEmulator() as tg, GigaChatEmulator() as gigachat:
        port = free_port()
        settings = harness_settings(
            tmp_path,
            tg,
            gigachat,
            make_key(),
            webhook_url="https://bot.example.org/hook",
            webhook_host="127.0.0.1",
            webhook_port=port,
            webhook_secret="s3cr3t-value-for-tests",
        )
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, stop, handle_signals=False))
        try:
            hook = await tg.wait_for("setWebhook", timeout=15)
            assert hook.params["url"] == "https://bot.example.org/hook"
            assert hook.params["secret_token"] == "s3cr3t-value-for-tests"
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "text": "/id",
                    "chat": {"id": ADMIN, "type": "private", "first_name": "A"},
                    "from": {"id": ADMIN, "is_bot": False, "first_name": "A"},
                    "entities": [{"type": "bot_command", "offset": 0, "length": 3}],
                },
            }
            url = f"http://127.0.0.1:{port}/hook"
            async with aiohttp.ClientSession() as http:
                async with http.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                    assert r.status == 401
                mark = tg.mark()
                headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-value-for-tests"}
                async with http.post(url, data=json.dumps(update), headers=headers) as r:
                    assert r.status == 200
            reply = await tg.wait_for("sendMessage", ADMIN, after=mark, timeout=10)
            assert str(ADMIN) in reply.params["text"]
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)


async def test_users_cli_grants_lists_and_revokes(tmp_path: Path) -> None:
    env = child_env(ADMIN_IDS="42")
    code, out, _ = await run_cli(tmp_path, env, "users", "grant", "777", "менеджер")
    assert code == 0 and "777" in out
    code, out, _ = await run_cli(tmp_path, env, "users", "list")
    assert code == 0
    assert "42\tадминистратор" in out and "777\tменеджер" in out
    code, out, _ = await run_cli(tmp_path, env, "users", "revoke", "777")
    assert code == 0
    code, _, err = await run_cli(tmp_path, env, "users", "grant", "777", "boss")
    assert code == 2 and "Не знаю роль" in err
    assert (tmp_path / "data" / "bot.sqlite3").exists()


async def test_edits_are_throttled_and_not_modified_is_ignored() -> None:
    async with TelegramEmulator() as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        session.middleware(ReliableRequests(edit_interval=0.3))
        bot = Bot(tg.token, session=session)
        try:
            tg.send_text(ADMIN, "hi")
            sent = await bot.send_message(ADMIN, "progress 0")
            for n in range(1, 4):
                await bot.edit_message_text(f"progress {n}", chat_id=ADMIN, message_id=sent.message_id)
            assert await bot.edit_message_text("progress 3", chat_id=ADMIN, message_id=sent.message_id) is True
        finally:
            await bot.session.close()
        edits = tg.calls_of("editMessageText", ADMIN)
        gaps = [b.time - a.time for a, b in itertools.pairwise(edits)]
        assert len(edits) == 4
        assert all(gap >= 0.28 for gap in gaps), gaps
        assert tg.messages_to(ADMIN)[-1]["text"] == "progress 3"


def test_long_texts_split_at_line_breaks() -> None:
    lines = [f"строка {n} " + "x" * 90 for n in range(120)]
    text = "\n".join(lines)
    parts = texts.split_message(text)
    assert len(parts) > 1
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    huge = "y" * 10000
    assert "".join(texts.split_message(huge)) == huge
