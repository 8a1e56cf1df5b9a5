"""In-process fake of the Telegram Bot API for end-to-end tests.

The emulator is an aiohttp server listening on 127.0.0.1 with a random port.  The product's
real aiogram ``Dispatcher`` talks to it over HTTP with long polling::

    async with TelegramEmulator() as emu:
        bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(emu.base_url)))
        ...
        emu.send_text(42, "/start")
        call = await emu.wait_for("sendMessage", chat_id=42)

Bot API methods are served at ``POST /bot{token}/{method}`` (multipart/form-data,
application/x-www-form-urlencoded, JSON bodies and query strings are accepted) and files at
``GET /file/bot{token}/{file_path}``.  Responses follow the Bot API envelope
``{"ok": true, "result": ...}`` / ``{"ok": false, "error_code": N, "description": "..."}``
with the HTTP status equal to the error code, so aiogram raises its usual exceptions.

Every request is recorded as an :class:`ApiCall` (failed ones too).  Tests act as users with
:meth:`TelegramEmulator.send_text`, :meth:`TelegramEmulator.press_button`, ... which enqueue
updates for ``getUpdates``, and script faults with :meth:`TelegramEmulator.fail`,
:meth:`TelegramEmulator.flood`, :meth:`TelegramEmulator.block` and
:meth:`TelegramEmulator.delay`.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import mimetypes
import re
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import urlsplit

from aiohttp import web

__all__ = ["ApiCall", "HtmlParseError", "TelegramEmulator", "parse_html"]

JsonDict = dict[str, Any]
UploadedFiles = dict[str, tuple[str, bytes]]

MAX_MESSAGE_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024
MAX_UPLOAD_SIZE: Final = 50 * 1024 * 1024
MAX_CALLBACK_ANSWER_LENGTH: Final = 200

_NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_BLOCKED: Final = "Forbidden: bot was blocked by the user"

# Parameters whose values are always plain strings, even when they look like numbers or JSON.
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "action",
        "language_code",
        "url",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "emoji",
        "title",
        "description",
        "short_description",
        "name",
        "query",
        "custom_title",
        "sticker",
        "document",
        "photo",
        "video",
        "audio",
        "animation",
        "voice",
        "video_note",
        "thumbnail",
        "certificate",
        "address",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "question",
        "explanation",
        "payload",
        "currency",
        "provider_token",
        "start_parameter",
    }
)

_INLINE_BUTTON_ACTIONS: Final = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_SCOPE_TYPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)

_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?(?=\s|$)")
_INT_RE: Final = re.compile(r"-?\d+")
_FLOAT_RE: Final = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?")

# Methods whose sends/edits to a blocked chat answer 403.
_BLOCKABLE_PREFIXES: Final = ("send", "edit", "copy", "forward")


# --------------------------------------------------------------------------------------------
# Public records
# --------------------------------------------------------------------------------------------


@dataclass
class ApiCall:
    """One request the bot made to the emulator."""

    method: str
    """Canonical Bot API method name (``sendMessage``), or the requested name if unknown."""
    params: dict[str, Any]
    """Decoded parameters: JSON-looking fields parsed, numbers and booleans converted."""
    files: dict[str, tuple[str, bytes]]
    """Uploaded files: parameter name (``document``) -> (file name, bytes)."""
    time: float
    """``time.monotonic()`` when the request was received."""
    result: Any
    """The ``result`` sent back, or ``None`` for failed calls."""
    error: tuple[int, str] | None
    """``(error_code, description)`` for failed calls."""
    chat_id: int | None = None
    """Chat the call concerns (``chat_id`` parameter; for answerCallbackQuery the query's chat)."""

    @property
    def ok(self) -> bool:
        return self.error is None


class _ApiError(Exception):
    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {message}")


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str
    mime_type: str
    file_path: str
    size: int


@dataclass
class _Chat:
    info: JsonDict
    next_message_id: int = 1
    messages: dict[int, JsonDict] = field(default_factory=dict)

    def allocate_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


# --------------------------------------------------------------------------------------------
# Telegram HTML parsing (mirrors tdlib's parse_html: tags, entities and error messages)
# --------------------------------------------------------------------------------------------


class HtmlParseError(ValueError):
    """Raised for text Telegram would reject with "can't parse entities: ..."."""


_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    }
)
_HTML_SIMPLE_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_HTML_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE: Final = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{1,10});")


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start: int
    byte_offset: int


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY_RE.match(text, pos)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith("#"):
        code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), match.end()
    named = _HTML_NAMED_ENTITIES.get(body)
    if named is None:
        return None
    return named, match.end()


def _decode_html_entities(text: str) -> str:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] == "&" and (decoded := _decode_html_entity(text, pos)) is not None:
            out.append(decoded[0])
            pos = decoded[1]
        else:
            out.append(text[pos])
            pos += 1
    return "".join(out)


def parse_html(text: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-flavoured HTML into (plain text, MessageEntity dicts).

    Raises :class:`HtmlParseError` with Telegram's wording for unsupported or unbalanced tags.
    Entity offsets and lengths are in UTF-16 code units, like the real API.
    """
    out: list[str] = []
    position = 0  # in UTF-16 code units
    stack: list[_OpenTag] = []
    entities: list[JsonDict] = []
    code_languages: dict[tuple[int, int], str] = {}
    size = len(text)
    i = 0
    while i < size:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                position += _utf16_len(decoded[0])
                i = decoded[1]
                continue
        if char != "<":
            out.append(char)
            position += _utf16_len(char)
            i += 1
            continue

        byte_offset = len(text[:i].encode())
        if i + 1 < size and text[i + 1] == "/":
            if not stack:
                raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset}")
            j = i + 2
            while j < size and not text[j].isspace() and text[j] != ">":
                j += 1
            end_name = text[i + 2 : j].lower()
            while j < size and text[j].isspace():
                j += 1
            if j >= size or text[j] != ">":
                raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset}")
            tag = stack.pop()
            if end_name and end_name != tag.name:
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {byte_offset}, expected "</{tag.name}>", found "</{end_name}>"'
                )
            _close_html_tag(tag, position, entities, code_languages)
            i = j + 1
            continue

        j = i + 1
        while j < size and not text[j].isspace() and text[j] != ">":
            j += 1
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
        attrs: dict[str, str] = {}
        while True:
            while j < size and text[j].isspace():
                j += 1
            if j >= size:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset}")
            if text[j] == ">":
                break
            attr_start = j
            while j < size and not text[j].isspace() and text[j] not in "=>":
                j += 1
            attr_name = text[attr_start:j].lower()
            if not attr_name:
                raise HtmlParseError(f'Empty attribute name in the tag "{name}" at byte offset {byte_offset}')
            while j < size and text[j].isspace():
                j += 1
            if j >= size:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset}")
            if text[j] != "=":
                attrs[attr_name] = ""
                continue
            j += 1
            while j < size and text[j].isspace():
                j += 1
            if j >= size:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset}")
            if text[j] in "'\"":
                end = text.find(text[j], j + 1)
                if end == -1:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset}")
                attrs[attr_name] = _decode_html_entities(text[j + 1 : end])
                j = end + 1
            else:
                value_start = j
                while j < size and (text[j].isalnum() or text[j] in ".-"):
                    j += 1
                attrs[attr_name] = text[value_start:j]
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}')
        stack.append(_OpenTag(name=name, attrs=attrs, start=position, byte_offset=byte_offset))
        i = j + 1

    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(out), entities


def _close_html_tag(
    tag: _OpenTag,
    position: int,
    entities: list[JsonDict],
    code_languages: dict[tuple[int, int], str],
) -> None:
    length = position - tag.start
    if length <= 0:
        return
    entity: JsonDict = {"offset": tag.start, "length": length}
    if tag.name in _HTML_SIMPLE_ENTITY_TYPES:
        entity["type"] = _HTML_SIMPLE_ENTITY_TYPES[tag.name]
    elif tag.name == "a":
        href = tag.attrs.get("href", "")
        if not href:
            return
        entity.update(type="text_link", url=href)
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
    elif tag.name == "tg-emoji":
        emoji_id = tag.attrs.get("emoji-id", "")
        if not emoji_id:
            return
        entity.update(type="custom_emoji", custom_emoji_id=emoji_id)
    else:  # pragma: no cover - every allowed tag is handled above
        return

    if tag.name == "code":
        css_class = tag.attrs.get("class", "")
        if css_class.startswith("language-"):
            code_languages[(tag.start, length)] = css_class.removeprefix("language-")
    elif tag.name == "pre":
        language = code_languages.get((tag.start, length))
        if language is not None:
            for index, other in enumerate(entities):
                if other["type"] == "code" and (other["offset"], other["length"]) == (tag.start, length):
                    del entities[index]
                    break
            entity["language"] = language
    entities.append(entity)


# --------------------------------------------------------------------------------------------
# Request decoding helpers
# --------------------------------------------------------------------------------------------


def _decode_param(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT_RE.fullmatch(value):
        return int(value)
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    if value.startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_int(params: JsonDict, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _bad_request(f"invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
        return int(value)
    raise _bad_request(f"invalid {name} specified")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG/JPEG/GIF image, or a plausible default."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                pos += 1
                continue
            marker = data[pos + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return int(width), int(height)
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            (segment_length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            pos += 2 + int(segment_length)
    return 800, 600


_Handler = Callable[[JsonDict, UploadedFiles], Awaitable[Any]]


# --------------------------------------------------------------------------------------------
# The emulator
# --------------------------------------------------------------------------------------------


class TelegramEmulator:
    """A fake Telegram Bot API server plus the user-side controls tests need."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz",
        bot_username: str = "places_test_bot",
        bot_id: int = 123456,
        bot_first_name: str = "Places Test Bot",
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = bot_first_name
        self.base_url = ""
        self.calls: list[ApiCall] = []

        self._runner: web.AppRunner | None = None
        self._closing = False
        self._closed_event = asyncio.Event()
        self._calls_changed = asyncio.Event()
        self._updates_changed = asyncio.Event()

        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._active_polls = 0
        self._webhook_url = ""
        self._webhook_allowed_updates: list[str] = []

        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, _Chat] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_counter = itertools.count(1)
        self._callback_counter = itertools.count(1)
        self._pending_callbacks: dict[str, int] = {}
        self._callback_chats: dict[str, int] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, JsonDict] = {}
        self._blocked: set[int] = set()
        self._faults: dict[str, deque[_ApiError]] = {}
        self._delays: dict[str, deque[float]] = {}

        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendChatAction": self._send_chat_action,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }
        self._handlers: dict[str, tuple[str, _Handler]] = {
            name.lower(): (name, handler) for name, handler in handlers.items()
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._closing = False
        self._closed_event = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_SIZE + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        port = int(runner.addresses[0][1])
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop the server; pending long polls and scripted delays are released at once."""
        runner = self._runner
        if runner is None:
            return
        self._closing = True
        self._closed_event.set()
        self._notify_updates()
        self._runner = None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- bot identity

    @property
    def bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ---------------------------------------------------------------- test-side: inspection

    def mark(self) -> int:
        """Current number of recorded calls; pass it as ``after`` to :meth:`wait_for`."""
        return len(self.calls)

    def calls_of(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        return [call for call in self.calls if self._call_matches(call, method, chat_id)]

    async def wait_for(
        self,
        method: str,
        chat_id: int | None = None,
        *,
        predicate: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the documented test API
        after: int = 0,
    ) -> ApiCall:
        """Wait for a recorded call (successful or not) with index >= ``after`` that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index = after
        while True:
            changed = self._calls_changed
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if self._call_matches(call, method, chat_id) and (predicate is None or predicate(call)):
                    return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                target = method + (f" to chat {chat_id}" if chat_id is not None else "")
                if predicate is not None:
                    target += " matching the predicate"
                raise AssertionError(
                    f"Timed out after {timeout:g}s waiting for {target} (calls from #{after}).\n"
                    + self._dump_calls(after, include_polls=method.lower() == "getupdates")
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def wait_polling(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a getUpdates long poll is in flight (the bot is listening for updates)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._active_polls:
            changed = self._updates_changed
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"No getUpdates long poll started within {timeout:g}s.\n" + self._dump_calls(0, include_polls=True)
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def messages_to(self, chat_id: int) -> list[JsonDict]:
        """Current bot messages in the chat (edits applied, deleted ones gone), oldest first."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return [
            copy.deepcopy(message)
            for message in chat.messages.values()
            if message.get("from", {}).get("id") == self.bot_id
        ]

    def commands_for(self, scope: dict[str, Any], language_code: str = "") -> list[dict[str, str]]:
        key = (self._scope_key(scope), language_code or "")
        return copy.deepcopy(self._commands.get(key, []))

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return copy.deepcopy(self._updates)

    # ---------------------------------------------------------------- test-side: user actions

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "User",
        username: str | None = None,
        forward_from: int | None = None,
        language_code: str | None = None,
        reply_to: JsonDict | None = None,
    ) -> JsonDict:
        """The user writes ``text`` to the bot in their private chat; returns the Message.

        ``reply_to`` is a message (as returned by an earlier call) this one replies to.
        """
        user = self._register_user(user_id, first_name, username, language_code)
        content: JsonDict = {"text": text}
        command = _BOT_COMMAND_RE.match(text)
        if command is not None:
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        if forward_from is not None:
            origin_user = copy.deepcopy(self._users.get(forward_from) or self._default_user(forward_from))
            now = int(time.time())
            content["forward_origin"] = {"type": "user", "sender_user": origin_user, "date": now}
            content["forward_from"] = origin_user
            content["forward_date"] = now
        if reply_to is not None:
            content["reply_to_message"] = copy.deepcopy(reply_to)
        message = self._store_message(user_id, user, content)
        self._enqueue({"message": message})
        return copy.deepcopy(message)

    def send_command(self, user_id: int, command: str, args: str = "", **kw: Any) -> JsonDict:
        """Shortcut for ``send_text(user_id, "/command args")``."""
        text = "/" + command.removeprefix("/")
        if args:
            text += " " + args
        return self.send_text(user_id, text, **kw)

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> JsonDict:
        """The user uploads a document; getFile and the file download will serve ``data``."""
        user = self._user_or_default(user_id)
        stored = self._store_file(data, file_name, mime_type, kind="documents")
        content: JsonDict = {"document": self._document_object(stored)}
        if caption is not None:
            content["caption"] = caption
        message = self._store_message(user_id, user, content)
        self._enqueue({"message": message})
        return copy.deepcopy(message)

    def press_button(self, user_id: int, text: str, *, message_id: int | None = None) -> JsonDict:
        """Press an inline button in the newest bot message (or ``message_id``) showing ``text``.

        An exact label match wins over a substring match within the same message.  Returns the
        CallbackQuery and enqueues it as an update.
        """
        chat = self._chats.get(user_id)
        bot_messages = [
            message
            for message in (chat.messages.values() if chat is not None else [])
            if message.get("from", {}).get("id") == self.bot_id
        ]
        if message_id is not None:
            bot_messages = [message for message in bot_messages if message["message_id"] == message_id]
        found: tuple[JsonDict, JsonDict] | None = None
        for message in reversed(bot_messages):
            buttons = self._inline_buttons(message)
            button = next((b for b in buttons if b.get("text") == text), None)
            if button is None:
                button = next((b for b in buttons if text in str(b.get("text", ""))), None)
            if button is not None:
                found = (message, button)
                break
        if found is None:
            available = [
                f"  message {message['message_id']}: {[b.get('text') for b in self._inline_buttons(message)]}"
                for message in bot_messages
                if self._inline_buttons(message)
            ]
            where = f"message {message_id}" if message_id is not None else f"bot messages to chat {user_id}"
            raise AssertionError(
                f"No inline button matching {text!r} in {where}. Available buttons:\n"
                + ("\n".join(available) if available else "  (none)")
            )
        message, button = found
        if "callback_data" not in button:
            raise AssertionError(f"Button {button.get('text')!r} has no callback_data: {button}")
        query_id = str(4_000_000_000_000_000 + next(self._callback_counter))
        query: JsonDict = {
            "id": query_id,
            "from": copy.deepcopy(self._user_or_default(user_id)),
            "message": copy.deepcopy(message),
            "chat_instance": str(-(8_000_000_000_000_000 + user_id * 1009 + self.bot_id)),
            "data": button["callback_data"],
        }
        self._pending_callbacks[query_id] = user_id
        self._callback_chats[query_id] = user_id
        self._enqueue({"callback_query": query})
        return copy.deepcopy(query)

    # ---------------------------------------------------------------- test-side: faults

    def fail(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error (FIFO per method)."""
        queue = self._faults.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(_ApiError(error_code, description, retry_after=retry_after))

    def flood(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        self.fail(method, 429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after, times=times)

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends and edits to this chat answer 403."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Delay the next ``times`` calls of ``method`` by ``seconds`` before answering."""
        queue = self._delays.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(seconds)

    # ---------------------------------------------------------------- internals: state

    def _notify_updates(self) -> None:
        event, self._updates_changed = self._updates_changed, asyncio.Event()
        event.set()

    def _notify_calls(self) -> None:
        event, self._calls_changed = self._calls_changed, asyncio.Event()
        event.set()

    def _enqueue(self, payload: JsonDict) -> None:
        update = {"update_id": next(self._update_ids), **copy.deepcopy(payload)}
        self._updates.append(update)
        self._notify_updates()

    @staticmethod
    def _default_user(user_id: int) -> JsonDict:
        return {"id": user_id, "is_bot": False, "first_name": "User"}

    def _user_or_default(self, user_id: int) -> JsonDict:
        user = self._users.get(user_id)
        if user is None:
            user = self._register_user(user_id, "User", None, None)
        return user

    def _register_user(
        self, user_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> JsonDict:
        user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        chat = self._chat(user_id)
        chat.info = self._private_chat_info(user)
        return user

    @staticmethod
    def _private_chat_info(user: JsonDict) -> JsonDict:
        info: JsonDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            info["username"] = user["username"]
        return info

    def _chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                user = self._users.get(chat_id) or self._default_user(chat_id)
                info = self._private_chat_info(user)
            else:
                info = {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}
            chat = self._chats[chat_id] = _Chat(info=info)
        return chat

    def _store_message(self, chat_id: int, sender: JsonDict, content: JsonDict) -> JsonDict:
        chat = self._chat(chat_id)
        message: JsonDict = {
            "message_id": chat.allocate_message_id(),
            "from": copy.deepcopy(sender),
            "chat": copy.deepcopy(chat.info),
            "date": int(time.time()),
            **content,
        }
        chat.messages[message["message_id"]] = message
        return message

    def _store_file(self, data: bytes, file_name: str, mime_type: str | None, *, kind: str) -> _StoredFile:
        number = next(self._file_counter)
        prefix = {"documents": "BQACAgIAAxkBAA", "photos": "AgACAgIAAxkBAA"}.get(kind, "CAACAgIAAxkBAA")
        file_id = f"{prefix}{number:08d}{self.bot_id:x}emu"
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else ""
        file_path = f"{kind}/file_{number}" + (f".{extension}" if extension else "")
        if mime_type is None:
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        stored = _StoredFile(
            file_id=file_id,
            file_unique_id=f"AgAD{number:06d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=file_path,
            size=len(data),
        )
        self._files[file_id] = stored
        self._files_by_path[file_path] = stored
        return stored

    @staticmethod
    def _document_object(stored: _StoredFile) -> JsonDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": stored.size,
        }

    @staticmethod
    def _inline_buttons(message: JsonDict) -> list[JsonDict]:
        markup = message.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or []
        return [button for row in rows for button in row if isinstance(button, dict)]

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if scope is None or scope == "":
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise _bad_request("can't parse BotCommandScope JSON object")
        normalized: JsonDict = {"type": scope["type"]}
        for key in ("chat_id", "user_id"):
            if key in scope:
                value = scope[key]
                if isinstance(value, str) and _INT_RE.fullmatch(value):
                    value = int(value)
                normalized[key] = value
        if normalized["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in normalized:
            raise _bad_request("chat_id is empty")
        if normalized["type"] == "chat_member" and "user_id" not in normalized:
            raise _bad_request("user_id is empty")
        return json.dumps(normalized, sort_keys=True)

    def _call_matches(self, call: ApiCall, method: str, chat_id: int | None) -> bool:
        if call.method.lower() != method.lower():
            return False
        return chat_id is None or call.chat_id == chat_id

    def _dump_calls(self, after: int, *, include_polls: bool) -> str:
        lines = []
        for index, call in enumerate(self.calls):
            if index < after or (call.method == "getUpdates" and not include_polls):
                continue
            params = json.dumps(call.params, ensure_ascii=False, default=str)
            if len(params) > 300:
                params = params[:300] + "..."
            status = f"ERROR {call.error[0]} {call.error[1]!r}" if call.error else "ok"
            lines.append(f"  #{index} {call.method} chat_id={call.chat_id} {status} params={params}")
        lines = lines[-30:]
        return "Recorded calls:\n" + ("\n".join(lines) if lines else "  (none)")

    # ---------------------------------------------------------------- internals: HTTP

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed_event.wait(), seconds)

    @staticmethod
    def _error_response(error: _ApiError) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": error.code, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.code)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            token, _, file_path = path.removeprefix("/file/bot").partition("/")
            return await self._download(token, file_path)
        if path.startswith("/bot"):
            token, _, method = path.removeprefix("/bot").partition("/")
            if method and "/" not in method:
                return await self._api(request, token, method)
        return self._error_response(_ApiError(404, "Not Found"))

    async def _download(self, token: str, file_path: str) -> web.StreamResponse:
        if token != self.token:
            return self._error_response(_ApiError(401, "Unauthorized"))
        stored = self._files_by_path.get(file_path)
        if stored is None or stored.size > MAX_DOWNLOAD_SIZE:
            return self._error_response(_ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _read_request(self, request: web.Request) -> tuple[JsonDict, UploadedFiles]:
        raw: JsonDict = dict(request.query)
        uploads: UploadedFiles = {}
        if request.can_read_body:
            content_type = request.content_type
            try:
                if content_type == "application/json":
                    body = await request.json()
                    if not isinstance(body, dict):
                        raise _bad_request("JSON object expected")
                    raw.update(body)
                elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                    form = await request.post()
                    for key, value in form.items():
                        if isinstance(value, web.FileField):
                            uploads[key] = (value.filename, value.file.read())
                        elif isinstance(value, (bytes, bytearray)):
                            raw[key] = bytes(value).decode("utf-8", errors="replace")
                        else:
                            raw[key] = value
            except web.HTTPRequestEntityTooLarge as exc:
                raise _ApiError(413, "Request Entity Too Large") from exc
            except ValueError as exc:
                raise _bad_request(f"can't parse request body: {exc}") from exc

        params = {key: _decode_param(key, value) if isinstance(value, str) else value for key, value in raw.items()}
        files: UploadedFiles = {}
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                upload = uploads.pop(value.removeprefix("attach://"), None)
                if upload is not None:
                    files[key] = upload
        files.update(uploads)  # files posted directly under the parameter name
        return params, files

    def _call_chat_id(self, method: str, params: JsonDict) -> int | None:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and not isinstance(chat_id, bool):
            return chat_id
        if method == "answerCallbackQuery":
            return self._callback_chats.get(str(params.get("callback_query_id", "")))
        return None

    async def _api(self, request: web.Request, token: str, method: str) -> web.StreamResponse:
        received = time.monotonic()
        entry = self._handlers.get(method.lower())
        canonical, handler = entry if entry is not None else (method, None)
        try:
            params, files = await self._read_request(request)
        except _ApiError as error:
            self._record(ApiCall(canonical, {}, {}, received, None, (error.code, error.description)))
            return self._error_response(error)

        call = ApiCall(
            method=canonical,
            params=params,
            files=files,
            time=received,
            result=None,
            error=None,
            chat_id=self._call_chat_id(canonical, params),
        )
        try:
            if token != self.token:
                raise _ApiError(401, "Unauthorized")
            if handler is None:
                raise _ApiError(404, "Not Found")
            delays = self._delays.get(method.lower())
            if delays:
                await self._sleep(delays.popleft())
            faults = self._faults.get(method.lower())
            if faults:
                raise faults.popleft()
            if call.chat_id in self._blocked and canonical.startswith(_BLOCKABLE_PREFIXES):
                raise _ApiError(403, _BLOCKED)
            try:
                result = await handler(params, files)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise _bad_request(f"invalid request parameters: {exc}") from exc
        except _ApiError as error:
            call.error = (error.code, error.description)
            self._record(call)
            return self._error_response(error)
        call.result = result
        self._record(call)
        return web.json_response({"ok": True, "result": result})

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        self._notify_calls()

    # ---------------------------------------------------------------- internals: validation

    def _target_chat(self, params: JsonDict) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool) or chat_id == 0:
            raise _bad_request("chat not found")
        return self._chat(chat_id)

    @staticmethod
    def _format_text(text: str, parse_mode: Any, entities: Any) -> tuple[str, list[JsonDict]]:
        mode = _as_text(parse_mode).lower()
        if not mode:
            return text, list(entities) if isinstance(entities, list) else []
        if mode == "html":
            try:
                return parse_html(text)
            except HtmlParseError as exc:
                raise _bad_request(f"can't parse entities: {exc}") from exc
        if mode in ("markdown", "markdownv2"):
            return text, []  # accepted but not parsed: the raw text is stored
        raise _bad_request("unsupported parse_mode")

    def _message_text(self, params: JsonDict) -> tuple[str, list[JsonDict]]:
        raw = _as_text(params.get("text"))
        if not raw:
            raise _bad_request("message text is empty")
        text, entities = self._format_text(raw, params.get("parse_mode"), params.get("entities"))
        if not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    def _caption(self, params: JsonDict) -> tuple[str | None, list[JsonDict]]:
        raw = params.get("caption")
        if raw is None or raw == "":
            return None, []
        text, entities = self._format_text(_as_text(raw), params.get("parse_mode"), params.get("caption_entities"))
        if len(text) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return text, entities

    @staticmethod
    def _inline_markup(params: JsonDict) -> JsonDict | None:
        """Validate reply_markup; return it when it is an inline keyboard (others are not echoed)."""
        markup = params.get("reply_markup")
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array')
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text must be a String")
                if not any(action in button for action in _INLINE_BUTTON_ACTIONS):
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = button["callback_data"]
                    if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad_request("BUTTON_DATA_INVALID")
                if "url" in button:
                    url = button["url"]
                    if not isinstance(url, str) or not url.strip():
                        raise _bad_request("BUTTON_URL_INVALID")
        return copy.deepcopy(markup)

    def _reply_to(self, chat: _Chat, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        message_id: int | None = None
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if isinstance(reply, dict):
            message_id = _as_int(reply, "message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") is not None:
            message_id = _as_int(params, "reply_to_message_id")
        if message_id is None:
            return None
        original = chat.messages.get(message_id)
        if original is None:
            if allow_missing:
                return None
            raise _bad_request("message to be replied not found")
        quoted = copy.deepcopy(original)
        quoted.pop("reply_to_message", None)
        return quoted

    def _new_bot_message(self, chat: _Chat, params: JsonDict, content: JsonDict) -> JsonDict:
        reply_to = self._reply_to(chat, params)
        if reply_to is not None:
            content = {"reply_to_message": reply_to, **content}
        markup = self._inline_markup(params)
        if markup is not None:
            content["reply_markup"] = markup
        message = self._store_message(chat.info["id"], self.bot_user, content)
        return copy.deepcopy(message)

    def _message_to_edit(self, params: JsonDict) -> JsonDict:
        if params.get("inline_message_id"):
            raise _bad_request("message to edit not found")
        chat = self._target_chat(params)
        message_id = _as_int(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None:
            raise _bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise _bad_request("message can't be edited")
        return message

    @staticmethod
    def _set_or_pop(message: JsonDict, key: str, value: Any) -> None:
        if value:
            message[key] = value
        else:
            message.pop(key, None)

    def _upload(self, params: JsonDict, files: UploadedFiles, name: str, kind: str) -> _StoredFile:
        upload = files.get(name)
        if upload is not None:
            file_name, data = upload
            if not data:
                raise _bad_request("file must be non-empty")
            if len(data) > MAX_UPLOAD_SIZE:
                raise _ApiError(413, "Request Entity Too Large")
            return self._store_file(data, file_name, None, kind=kind)
        reference = params.get(name)
        if reference is None or reference == "":
            raise _bad_request(f"there is no {name} in the request")
        reference = _as_text(reference)
        stored = self._files.get(reference)
        if stored is not None:
            return stored
        if reference.startswith(("http://", "https://")):
            file_name = urlsplit(reference).path.rsplit("/", 1)[-1] or "file"
            return self._store_file(b"", file_name, None, kind=kind)
        raise _bad_request("wrong file identifier/HTTP URL specified")

    # ---------------------------------------------------------------- Bot API methods

    async def _get_me(self, params: JsonDict, files: UploadedFiles) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JsonDict, files: UploadedFiles) -> Any:
        if self._webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params, "offset", 0) or 0
        limit = min(max(_as_int(params, "limit", 100) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]

        # A newer getUpdates terminates older pending ones, like the real server.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify_updates()

        if offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

        self._active_polls += 1
        try:
            return await self._poll(generation, limit, timeout)
        finally:
            self._active_polls -= 1

    async def _poll(self, generation: int, limit: int, wait_seconds: float) -> list[JsonDict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            changed = self._updates_changed
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if self._closing:
                return []
            if self._allowed_updates:
                self._updates = [
                    update for update in self._updates if any(kind in update for kind in self._allowed_updates)
                ]
            if self._updates:
                return copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def _set_webhook(self, params: JsonDict, files: UploadedFiles) -> Any:
        self._webhook_url = _as_text(params.get("url"))
        allowed = params.get("allowed_updates")
        self._webhook_allowed_updates = [str(kind) for kind in allowed] if isinstance(allowed, list) else []
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, params: JsonDict, files: UploadedFiles) -> Any:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JsonDict, files: UploadedFiles) -> Any:
        info: JsonDict = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook_url and self._webhook_allowed_updates:
            info["allowed_updates"] = list(self._webhook_allowed_updates)
        return info

    async def _send_message(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat = self._target_chat(params)
        text, entities = self._message_text(params)
        content: JsonDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(chat, params, content)

    async def _edit_message_text(self, params: JsonDict, files: UploadedFiles) -> Any:
        message = self._message_to_edit(params)
        if "text" not in message:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        markup = self._inline_markup(params)
        if (
            message["text"] == text
            and message.get("entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        message["text"] = text
        self._set_or_pop(message, "entities", entities)
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_caption(self, params: JsonDict, files: UploadedFiles) -> Any:
        message = self._message_to_edit(params)
        if not any(key in message for key in ("document", "photo", "video", "audio", "animation", "voice")):
            raise _bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._inline_markup(params)
        if (
            message.get("caption") == caption
            and message.get("caption_entities", []) == entities
            and message.get("reply_markup") == markup
        ):
            raise _ApiError(400, _NOT_MODIFIED)
        self._set_or_pop(message, "caption", caption)
        self._set_or_pop(message, "caption_entities", entities)
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _edit_message_reply_markup(self, params: JsonDict, files: UploadedFiles) -> Any:
        message = self._message_to_edit(params)
        markup = self._inline_markup(params)
        if message.get("reply_markup") == markup:
            raise _ApiError(400, _NOT_MODIFIED)
        self._set_or_pop(message, "reply_markup", markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    async def _delete_message(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat = self._target_chat(params)
        message_id = _as_int(params, "message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        if chat.messages.pop(message_id, None) is None:
            raise _bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat = self._target_chat(params)
        message_ids = params.get("message_ids")
        if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
            raise _bad_request("message identifiers are not specified")
        for message_id in message_ids:
            chat.messages.pop(int(message_id), None)
        return True

    async def _send_document(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat = self._target_chat(params)
        caption, entities = self._caption(params)
        stored = self._upload(params, files, "document", "documents")
        content: JsonDict = {"document": self._document_object(stored)}
        if caption is not None:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(chat, params, content)

    async def _send_photo(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat = self._target_chat(params)
        caption, entities = self._caption(params)
        stored = self._upload(params, files, "photo", "photos")
        width, height = _image_size(stored.data)
        scale = min(1.0, 90 / max(width, height, 1))
        sizes = [
            {
                "file_id": stored.file_id + "s",
                "file_unique_id": stored.file_unique_id + "s",
                "width": max(1, round(width * scale)),
                "height": max(1, round(height * scale)),
                "file_size": min(stored.size, 2048),
            },
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
                "file_size": stored.size,
            },
        ]
        self._files.setdefault(stored.file_id + "s", stored)
        content: JsonDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(chat, params, content)

    async def _get_file(self, params: JsonDict, files: UploadedFiles) -> Any:
        file_id = _as_text(params.get("file_id"))
        if not file_id:
            raise _bad_request("file_id not specified")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    async def _answer_callback_query(self, params: JsonDict, files: UploadedFiles) -> Any:
        query_id = _as_text(params.get("callback_query_id"))
        if not query_id:
            raise _bad_request("query_id is empty")
        if self._pending_callbacks.pop(query_id, None) is None:
            raise _ApiError(400, _QUERY_INVALID)
        if len(_as_text(params.get("text"))) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        return True

    async def _set_my_commands(self, params: JsonDict, files: UploadedFiles) -> Any:
        key = (self._scope_key(params.get("scope")), _as_text(params.get("language_code")))
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands")
        stored: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = _as_text(command.get("command"))
            description = _as_text(command.get("description"))
            if not _COMMAND_RE.fullmatch(name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            stored.append({"command": name, "description": description})
        if stored:
            self._commands[key] = stored
        else:
            self._commands.pop(key, None)
        return True

    async def _get_my_commands(self, params: JsonDict, files: UploadedFiles) -> Any:
        key = (self._scope_key(params.get("scope")), _as_text(params.get("language_code")))
        return copy.deepcopy(self._commands.get(key, []))

    async def _delete_my_commands(self, params: JsonDict, files: UploadedFiles) -> Any:
        key = (self._scope_key(params.get("scope")), _as_text(params.get("language_code")))
        self._commands.pop(key, None)
        return True

    async def _send_chat_action(self, params: JsonDict, files: UploadedFiles) -> Any:
        self._target_chat(params)
        if _as_text(params.get("action")) not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _set_chat_menu_button(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat_id = _as_int(params, "chat_id")
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise _bad_request("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = copy.deepcopy(button)
        return True

    async def _get_chat_menu_button(self, params: JsonDict, files: UploadedFiles) -> Any:
        chat_id = _as_int(params, "chat_id")
        button = self._menu_buttons.get(chat_id)
        if button is None or button.get("type") == "default":
            button = self._menu_buttons.get(None) if chat_id is not None else None
        if button is None or button.get("type") == "default":
            button = {"type": "commands"}
        return copy.deepcopy(button)
