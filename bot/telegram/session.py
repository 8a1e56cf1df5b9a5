"""The Telegram session layer: flood-control retries, edit throttling, harmless errors ignored."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
from aiogram.methods import EditMessageReplyMarkup, EditMessageText, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"


class ReliableRequests(BaseRequestMiddleware):
    """Wait `retry_after` on 429 and retry (capped); retry 5xx; one edit per message per second."""

    def __init__(
        self,
        *,
        max_retries: int = 4,
        max_wait: float = 60.0,
        edit_interval: float = 1.0,
        server_error_delay: float = 1.0,
    ) -> None:
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.edit_interval = edit_interval
        self.server_error_delay = server_error_delay
        self._last_edit: dict[tuple[Any, Any], float] = {}
        self._edit_locks: dict[tuple[Any, Any], asyncio.Lock] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return await self._edit(make_request, bot, method)
        return await self._with_retries(make_request, bot, method)

    async def _with_retries(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: Any) -> Any:
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self.max_retries or error.retry_after > self.max_wait:
                    raise
                log.warning("flood control on %s: waiting %s s", type(method).__name__, error.retry_after)
                await asyncio.sleep(error.retry_after)
            except TelegramServerError:
                if attempt >= self.max_retries:
                    raise
                await asyncio.sleep(self.server_error_delay * 2**attempt)
            attempt += 1

    async def _edit(self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: Any) -> Any:
        key = (getattr(method, "chat_id", None), getattr(method, "message_id", None))
        lock = self._edit_locks.setdefault(key, asyncio.Lock())
        async with lock:
            wait = self._last_edit.get(key, 0.0) + self.edit_interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._with_retries(make_request, bot, method)
            except TelegramBadRequest as error:
                if NOT_MODIFIED in error.message:
                    return True
                raise
            finally:
                self._last_edit[key] = time.monotonic()
