"""What every repository shares: the one connection and the one writer lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

import aiosqlite

P = ParamSpec("P")
R = TypeVar("R")
Repo = TypeVar("Repo", bound="Repository")


class Repository:
    """Queries of one table (or one closely tied group) on the shared connection."""

    def __init__(self, conn: aiosqlite.Connection, write_lock: asyncio.Lock) -> None:
        self._conn = conn
        self._write_lock = write_lock


def writes(
    method: Callable[Concatenate[Repo, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[Repo, P], Coroutine[Any, Any, R]]:
    """One writer at a time on the shared connection, so no statement lands inside another's transaction
    (and no commit of one caller commits half of another's batch); a failed write is rolled back."""

    async def wrapper(self: Repo, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._write_lock:
            try:
                return await method(self, *args, **kwargs)
            except BaseException:
                await self._conn.rollback()
                raise

    wrapper.__doc__, wrapper.__name__ = method.__doc__, method.__name__
    return wrapper
