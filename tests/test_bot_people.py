"""The Telegram front end to end: strangers, roles, menus, invites, /diagnose, reliability."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.harness import ADMIN, MANAGER, MODERATOR, STRANGER, running_bot

pytestmark = pytest.mark.slow  # end-to-end through the emulators or a subprocess


def command_names(commands: list[dict[str, str]]) -> set[str]:
    return {c["command"] for c in commands}


async def test_stranger_gets_their_id_and_one_refusal_and_admins_hear_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        start = await h.command(STRANGER, "start")
        assert str(STRANGER) in start.params["text"]
        alert = await h.reply(ADMIN, after=0, contains="Просит доступ")
        assert str(STRANGER) in alert.params["text"]
        assert "Менеджер" in str(alert.params["reply_markup"])

        mark = h.tg.mark()
        for text in ("привет", "можно доступ?", "ау"):
            h.tg.send_text(STRANGER, text)
        await h.reply(STRANGER, after=mark, contains="нет доступа")
        await asyncio.sleep(0.5)
        refusals = [t for t in h.texts_to(STRANGER, mark) if "нет доступа" in t]
        assert len(refusals) == 1
        id_reply = await h.command(STRANGER, "id")
        assert str(STRANGER) in id_reply.params["text"]
        alerts = [t for t in h.texts_to(ADMIN) if "Просит доступ" in t]
        assert len(alerts) == 1


async def test_admin_grants_from_the_alert_and_the_menu_changes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        await h.command(STRANGER, "start")
        await h.reply(ADMIN, after=0, contains="Просит доступ")
        stranger_menu = command_names(h.tg.commands_for({"type": "default"}))
        assert stranger_menu == {"start", "id"}

        mark = h.tg.mark()
        h.tg.press_button(ADMIN, "Менеджер")
        notice = await h.reply(STRANGER, after=mark, contains="менеджер")
        assert "роль" in notice.params["text"]
        await h.tg.wait_for("editMessageText", ADMIN, after=mark)
        menu = command_names(h.tg.commands_for({"type": "chat", "chat_id": STRANGER}))
        assert {"start", "help", "id", "cancel"} <= menu
        assert "users" not in menu

        greeting = await h.command(STRANGER, "start")
        assert "менеджер" in greeting.params["text"]


async def test_grant_and_revoke_by_command(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        answer = await h.command(ADMIN, "grant", f"{MODERATOR} модератор")
        assert "модератор" in answer.params["text"]
        menu = command_names(h.tg.commands_for({"type": "chat", "chat_id": MODERATOR}))
        assert "help" in menu

        users = await h.command(ADMIN, "users")
        assert str(MODERATOR) in users.params["text"]
        assert "из ADMIN_IDS" in users.params["text"]

        revoked = await h.command(ADMIN, "revoke", str(MODERATOR))
        assert "больше нет доступа" in revoked.params["text"]
        assert h.tg.commands_for({"type": "chat", "chat_id": MODERATOR}) == []
        refusal = await h.command(MODERATOR, "help")
        assert "нет доступа" in refusal.params["text"]

        usage = await h.command(ADMIN, "grant", "кому-то")
        assert "/grant" in usage.params["text"]
        bad_role = await h.command(ADMIN, "grant", f"{MODERATOR} директор")
        assert "Не знаю роль" in bad_role.params["text"]


async def test_grant_by_replying_to_a_forwarded_message(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        forwarded = h.tg.send_text(ADMIN, "пересланное", forward_from=MANAGER)
        mark = h.tg.mark()
        h.tg.send_text(ADMIN, "/grant manager", reply_to=forwarded)
        answer = await h.reply(ADMIN, after=mark, contains="Готово")
        assert str(MANAGER) in answer.params["text"]


async def test_invite_link_works_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        link_reply = await h.command(ADMIN, "invite", "manager")
        text = link_reply.params["text"]
        assert "t.me/places_test_bot?start=" in text
        token = text.split("start=")[1].split()[0]

        welcome = await h.command(STRANGER, "start", token)
        assert "менеджер" in welcome.params["text"]
        help_reply = await h.command(STRANGER, "help")
        assert "Менеджер" in help_reply.params["text"]

        second = await h.command(STRANGER + 1, "start", token)
        assert "недействительно" in second.params["text"]


async def test_diagnose_for_admin_masks_the_key_and_refuses_a_manager(tmp_path: Path) -> None:
    async with running_bot(tmp_path, roles={MANAGER: "manager"}) as h:
        mark = h.tg.mark()
        h.tg.send_command(ADMIN, "diagnose")
        report = await h.reply(ADMIN, after=mark, contains="Диагностика GigaChat")
        text = report.params["text"]
        assert "✅" in text and "Токен (OAuth)" in text
        assert h.key not in text and h.key[4:-4] not in text
        assert "Повторить" in str(report.params["reply_markup"])
        typing = [c for c in h.tg.calls_of("sendChatAction", ADMIN) if c.params.get("action") == "typing"]
        assert typing

        retry_mark = h.tg.mark()
        h.tg.press_button(ADMIN, "Повторить")
        await h.reply(ADMIN, after=retry_mark, contains="Диагностика GigaChat")

        refused = await h.command(MANAGER, "diagnose")
        assert "только администраторам" in refused.params["text"]


async def test_diagnose_explains_a_rejected_key(tmp_path: Path) -> None:
    async with running_bot(tmp_path, tune=lambda g: g.oauth_error(6)) as h:
        mark = h.tg.mark()
        h.tg.send_command(ADMIN, "diagnose")
        report = await h.reply(ADMIN, after=mark, contains="Диагностика GigaChat")
        assert "❌" in report.params["text"]
        assert "Что исправить" in report.params["text"]


async def test_flood_control_delays_the_reply_but_it_arrives(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as h:
        h.tg.flood("sendMessage", retry_after=1)
        started = time.monotonic()
        reply = await h.command(ADMIN, "id")
        assert str(ADMIN) in reply.params["text"]
        assert time.monotonic() - started >= 1.0
        floods = [c for c in h.tg.calls_of("sendMessage", ADMIN) if not c.ok]
        assert len(floods) == 1


async def test_handler_error_gives_an_error_id_and_alerts_admins(tmp_path: Path) -> None:
    async with running_bot(tmp_path, roles={MANAGER: "manager"}) as h:
        h.tg.fail("sendMessage", 400, "Bad Request: something unexpected")
        mark = h.tg.mark()
        h.tg.send_command(MANAGER, "help")
        apology = await h.reply(MANAGER, after=mark, contains="Код ошибки")
        error_id = apology.params["text"].split("<code>")[1].split("</code>")[0]
        assert len(error_id) == 6
        alert = await h.reply(ADMIN, after=mark, contains="Ошибка")
        assert "TelegramBadRequest" in alert.params["text"]
        assert error_id in alert.params["text"]


async def test_unknown_command_and_plain_text_get_a_hint(tmp_path: Path) -> None:
    async with running_bot(tmp_path, roles={MANAGER: "manager"}) as h:
        unknown = await h.command(MANAGER, "frobnicate")
        assert "/help" in unknown.params["text"]
        cancel = await h.command(MANAGER, "cancel")
        assert "нечего отменять" in cancel.params["text"]
