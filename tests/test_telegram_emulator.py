"""Tests for the Telegram Bot API emulator, driven by the real aiogram client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Message,
)

from tests.emulators.telegram import TelegramEmulator, parse_html

USER = 1001


def make_bot(emu: TelegramEmulator, token: str | None = None) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url))
    return Bot(token or emu.token, session=session)


async def close_bot(bot: Bot) -> None:
    """Close the bot's HTTP session without AiohttpSession.close()'s 250 ms grace sleep."""
    session = bot.session
    assert isinstance(session, AiohttpSession)
    if session._session is not None:
        await session._session.close()


def make_router() -> Router:
    router = Router()

    @router.message(Command("start"))
    async def start(message: Message, command: CommandObject) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Alpha", callback_data="pick:alpha"),
                    InlineKeyboardButton(text="Beta ✨", callback_data="pick:beta"),
                ],
                [InlineKeyboardButton(text="Site", url="https://example.org")],
            ]
        )
        await message.answer(f"Choose ({command.args or 'no args'}):", reply_markup=keyboard)

    @router.callback_query(F.data.startswith("pick:"))
    async def pick(callback: CallbackQuery) -> None:
        assert callback.data is not None
        assert isinstance(callback.message, Message)
        await callback.answer("ok")
        await callback.message.edit_text(f"<b>Picked</b> {callback.data.removeprefix('pick:')}", parse_mode="HTML")

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        data = await bot.download(message.document)
        assert data is not None
        await message.answer(f"size={len(data.read())} name={message.document.file_name}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        assert message.text is not None
        who = message.forward_origin.type if message.forward_origin else "direct"
        await message.answer(f"echo: {message.text} ({who})")

    return router


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    bot = make_bot(emu)
    try:
        yield bot
    finally:
        await close_bot(bot)


@pytest.fixture
async def polling(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    bot = make_bot(emu)
    dp = Dispatcher()
    dp.include_router(make_router())
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=5, close_bot_session=False))
    try:
        await emu.wait_polling()
        yield bot
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 5)
        await close_bot(bot)


# ------------------------------------------------------------------ end-to-end with a Dispatcher


async def test_echo_command_callback_and_document(emu: TelegramEmulator, polling: Bot) -> None:
    assert (await polling.me()).username == "places_test_bot"

    sent = emu.send_text(USER, "hello", first_name="Anna", username="anna")
    reply = await emu.wait_for("sendMessage", chat_id=USER)
    assert reply.params["text"] == "echo: hello (direct)"
    assert reply.error is None
    assert reply.result["chat"] == {"id": USER, "type": "private", "first_name": "Anna", "username": "anna"}
    assert reply.result["from"]["is_bot"] is True
    assert reply.result["message_id"] == sent["message_id"] + 1

    mark = emu.mark()
    emu.send_command(USER, "start", "deep-link")
    menu = await emu.wait_for("sendMessage", chat_id=USER, after=mark)
    assert menu.params["text"] == "Choose (deep-link):"
    assert menu.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Alpha",
        "callback_data": "pick:alpha",
    }

    mark = emu.mark()
    query = emu.press_button(USER, "Beta")  # substring match
    assert query["data"] == "pick:beta"
    answer = await emu.wait_for("answerCallbackQuery", chat_id=USER, after=mark)
    assert answer.params["text"] == "ok"
    assert answer.ok
    edit = await emu.wait_for("editMessageText", chat_id=USER, after=mark)
    assert edit.ok, edit.error
    state = emu.messages_to(USER)
    assert [m["text"] for m in state] == ["echo: hello (direct)", "Picked beta"]
    assert state[1]["entities"] == [{"offset": 0, "length": 6, "type": "bold"}]
    assert "reply_markup" not in state[1]  # edit_text without markup removes the keyboard

    mark = emu.mark()
    emu.send_document(USER, b"x" * 1234, "places.xlsx", caption="import")
    size_reply = await emu.wait_for("sendMessage", chat_id=USER, after=mark)
    assert size_reply.params["text"] == "size=1234 name=places.xlsx"
    assert emu.calls_of("getFile")[0].result["file_path"].endswith(".xlsx")

    mark = emu.mark()
    emu.send_text(USER, "fwd", forward_from=2002)
    forwarded = await emu.wait_for("sendMessage", chat_id=USER, after=mark)
    assert forwarded.params["text"] == "echo: fwd (user)"


async def test_press_button_errors(emu: TelegramEmulator, polling: Bot) -> None:
    emu.send_command(USER, "start")
    await emu.wait_for("sendMessage", chat_id=USER)
    with pytest.raises(AssertionError, match=r"Available buttons:\n.*'Alpha', 'Beta ✨', 'Site'"):
        emu.press_button(USER, "Gamma")
    with pytest.raises(AssertionError, match="no callback_data"):
        emu.press_button(USER, "Site")
    with pytest.raises(AssertionError, match="none"):
        emu.press_button(999, "Alpha")


async def test_wait_for_timeout_dumps_calls(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_message(USER, "something else")
    with pytest.raises(AssertionError, match=r"(?s)sendPhoto.*sendMessage chat_id=1001 ok"):
        await emu.wait_for("sendPhoto", timeout=0.05)
    found = await emu.wait_for("sendMessage", predicate=lambda call: "else" in call.params["text"])
    assert found.chat_id == USER


# ------------------------------------------------------------------ long polling


async def test_get_updates_long_poll(emu: TelegramEmulator, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2

    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    emu.send_text(USER, "ping")
    updates = await poll
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates if u.message] == ["ping"]

    emu.send_text(USER, "pong")
    both = await bot.get_updates(timeout=0)
    assert [u.update_id for u in both] == [updates[0].update_id, updates[0].update_id + 1]
    rest = await bot.get_updates(offset=both[-1].update_id, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["pong"]
    assert await bot.get_updates(offset=both[-1].update_id + 1, timeout=0) == []
    assert emu.pending_updates == []


async def test_allowed_updates_filter(emu: TelegramEmulator, bot: Bot) -> None:
    emu.send_text(USER, "/start")
    await bot.send_message(USER, "menu", reply_markup=_keyboard("k", "data"))
    emu.press_button(USER, "k")
    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    assert len(updates) == 1
    assert updates[0].callback_query is not None
    assert updates[0].callback_query.data == "data"


async def test_newer_poll_terminates_older_one(emu: TelegramEmulator, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    assert await bot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await first


async def test_stop_releases_pending_long_poll() -> None:
    emu = TelegramEmulator()
    await emu.start()
    bot = make_bot(emu)
    try:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emu.stop()
        assert await asyncio.wait_for(poll, 2) == []
        assert time.monotonic() - started < 1.5
    finally:
        await close_bot(bot)


async def test_webhook_methods(emu: TelegramEmulator, bot: Bot) -> None:
    assert await bot.set_webhook("https://example.org/hook")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates(timeout=0)
    emu.send_text(USER, "x")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    assert await bot.get_updates(timeout=0) == []


# ------------------------------------------------------------------ messages


def _keyboard(text: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data)]])


async def test_send_message_validation(emu: TelegramEmulator, bot: Bot) -> None:
    ok = await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "a" * 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER, "<b></b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "div" at byte offset 0'):
        await bot.send_message(USER, "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"can't parse entities: Can't find end tag .* \"b\""):
        await bot.send_message(USER, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match=r"Unmatched end tag at byte offset 7, expected \"</i>\""):
        await bot.send_message(USER, "<b><i>x</b></i>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "kb", reply_markup=_keyboard("long", "x" * 65))
    await bot.send_message(USER, "kb", reply_markup=_keyboard("max", "я" * 32))  # 64 bytes is fine
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message("@nobody", "hi")
    failed = emu.calls_of("sendMessage", chat_id=USER)
    assert sum(call.error is not None for call in failed) == 6
    assert failed[-1].result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "я" * 32


async def test_edit_and_delete(emu: TelegramEmulator, bot: Bot) -> None:
    message = await bot.send_message(USER, "v1", reply_markup=_keyboard("a", "a"))
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new message content"):
        await bot.edit_message_text(
            text="v1", chat_id=USER, message_id=message.message_id, reply_markup=_keyboard("a", "a")
        )
    edited = await bot.edit_message_text(text="v1", chat_id=USER, message_id=message.message_id)
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="v2", chat_id=USER, message_id=999)
    await bot.edit_message_reply_markup(chat_id=USER, message_id=message.message_id, reply_markup=_keyboard("b", "b"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=USER, message_id=message.message_id, reply_markup=_keyboard("b", "b")
        )
    user_message = emu.send_text(USER, "mine")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(text="x", chat_id=USER, message_id=user_message["message_id"])

    second = await bot.send_message(USER, "second")
    assert second.message_id == user_message["message_id"] + 1
    assert await bot.delete_message(USER, message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, message.message_id)
    assert [m["text"] for m in emu.messages_to(USER)] == ["second"]


async def test_documents_photos_and_files(emu: TelegramEmulator, bot: Bot) -> None:
    data = bytes(range(256)) * 10
    sent = await bot.send_document(
        USER, BufferedInputFile(data, filename="report.csv"), caption="<i>report</i>", parse_mode="HTML"
    )
    assert sent.document is not None
    assert sent.document.file_name == "report.csv"
    assert sent.document.file_size == len(data)
    assert sent.caption == "report"
    call = emu.calls_of("sendDocument")[0]
    assert call.files["document"] == ("report.csv", data)
    downloaded = await bot.download(sent.document.file_id)
    assert downloaded is not None
    assert downloaded.read() == data
    assert emu.messages_to(USER)[0]["document"]["file_name"] == "report.csv"

    resent = await bot.send_document(USER, sent.document.file_id)
    assert resent.document is not None
    assert resent.document.file_unique_id == sent.document.file_unique_id

    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(USER, BufferedInputFile(b"1", filename="a.txt"), caption="c" * 1025)

    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    photo = await bot.send_photo(USER, BufferedInputFile(png, filename="p.png"))
    assert photo.photo is not None
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)

    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")


async def test_get_file_too_big(emu: TelegramEmulator, bot: Bot) -> None:
    message = emu.send_document(USER, b"\0" * (20 * 1024 * 1024 + 1), "huge.bin")
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(message["document"]["file_id"])
    small = emu.send_document(USER, b"\0" * (20 * 1024 * 1024), "ok.bin", mime_type="application/x-test")
    assert small["document"]["mime_type"] == "application/x-test"
    assert (await bot.get_file(small["document"]["file_id"])).file_size == 20 * 1024 * 1024


async def test_callback_answer_only_once(emu: TelegramEmulator, bot: Bot) -> None:
    await bot.send_message(USER, "menu", reply_markup=_keyboard("Go", "go"))
    query = emu.press_button(USER, "Go")
    assert query["message"]["text"] == "menu"
    assert await bot.answer_callback_query(query["id"], text="done")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query["id"])


# ------------------------------------------------------------------ commands, actions, menu


async def test_commands_per_scope(emu: TelegramEmulator, bot: Bot) -> None:
    user_commands = [BotCommand(command="start", description="Start")]
    admin_commands = [*user_commands, BotCommand(command="import", description="Import Excel")]
    assert await bot.set_my_commands(user_commands, scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(admin_commands, scope=BotCommandScopeChat(chat_id=42))
    assert await bot.set_my_commands(user_commands, scope=BotCommandScopeChat(chat_id=42), language_code="en")
    await bot.set_my_commands(user_commands)

    assert emu.commands_for({"type": "chat", "chat_id": 42}) == [
        {"command": "start", "description": "Start"},
        {"command": "import", "description": "Import Excel"},
    ]
    assert len(emu.commands_for({"type": "chat", "chat_id": 42}, "en")) == 1
    assert emu.commands_for({"type": "all_private_chats"}) == [{"command": "start", "description": "Start"}]
    assert emu.commands_for({"type": "default"}) == [{"command": "start", "description": "Start"}]
    assert emu.commands_for({"type": "chat", "chat_id": 7}) == []
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=42))] == [
        "start",
        "import",
    ]
    assert emu.calls_of("setMyCommands")[1].params["scope"] == {"type": "chat", "chat_id": 42}

    assert await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=42))
    assert emu.commands_for({"type": "chat", "chat_id": 42}) == []
    assert await bot.get_my_commands(scope=BotCommandScopeDefault()) != []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_chat_action_and_menu_button(emu: TelegramEmulator, bot: Bot) -> None:
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    assert await bot.set_chat_menu_button(chat_id=USER, menu_button=MenuButtonCommands())
    assert (await bot.get_chat_menu_button(chat_id=USER)).type == "commands"
    assert (await bot.get_chat_menu_button()).type == "commands"


# ------------------------------------------------------------------ faults


async def test_flood_fail_block_and_delay(emu: TelegramEmulator, bot: Bot) -> None:
    emu.flood("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await bot.send_message(USER, "x")
    assert flood.value.retry_after == 3
    assert "Too Many Requests: retry after 3" in flood.value.message
    await bot.send_message(USER, "x")  # the fault is consumed

    emu.fail("sendMessage", 500, "Internal Server Error", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(USER, "y")
    await bot.send_message(USER, "y")

    emu.block(USER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "z")
    await bot.send_message(USER + 1, "other chat is fine")
    emu.unblock(USER)
    await bot.send_message(USER, "z")

    emu.delay("getMe", 0.3)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started >= 0.3
    errors = [call.error for call in emu.calls_of("sendMessage", chat_id=USER) if call.error]
    assert [code for code, _ in errors] == [429, 500, 500, 403]


async def test_raw_http_edge_cases(emu: TelegramEmulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}/bot{emu.token}/fooBar") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.post(
            f"{emu.base_url}/bot{emu.token}/sendMessage",
            json={"chat_id": USER, "text": "123", "reply_markup": {"inline_keyboard": [[{"text": "t"}]]}},
        ) as resp:
            body: dict[str, Any] = await resp.json()
            assert resp.status == 400
            assert "Text buttons are unallowed" in body["description"]
        async with http.post(
            f"{emu.base_url}/bot{emu.token}/sendmessage", data={"chat_id": str(USER), "text": "123"}
        ) as resp:
            body = await resp.json()
            assert body["ok"] is True
            assert body["result"]["text"] == "123"
        async with http.get(f"{emu.base_url}/file/bot{emu.token}/documents/missing") as resp:
            assert resp.status == 404
    assert emu.calls_of("sendMessage")[-1].params == {"chat_id": USER, "text": "123"}
    assert emu.calls[0].method == "fooBar"


async def test_wrong_token_is_unauthorized(emu: TelegramEmulator) -> None:
    bot = make_bot(emu, token="42:wrong-token")
    try:
        with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
            await bot.get_me()
    finally:
        await close_bot(bot)
    assert emu.calls[-1].error == (401, "Unauthorized")


def test_parse_html_entities() -> None:
    text, entities = parse_html(
        '<a href="https://x.org/?a=1&amp;b=2">link</a> &lt;tag&gt; 😀<i>é</i> '
        '<pre><code class="language-python">x = 1</code></pre><span class="tg-spoiler">s</span>'
    )
    assert text == "link <tag> 😀é x = 1s"
    assert entities == [
        {"offset": 0, "length": 4, "type": "text_link", "url": "https://x.org/?a=1&b=2"},
        {"offset": 13, "length": 1, "type": "italic"},
        {"offset": 15, "length": 5, "type": "pre", "language": "python"},
        {"offset": 20, "length": 1, "type": "spoiler"},
    ]
    with pytest.raises(ValueError, match='Tag "span" must have class "tg-spoiler"'):
        parse_html("<span>x</span>")
    with pytest.raises(ValueError, match="Unexpected end tag at byte offset 1"):
        parse_html("x</b>")
    assert parse_html("a &nbsp; b")[0] == "a &nbsp; b"
