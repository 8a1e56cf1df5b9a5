"""Coroutines run side by side leave nothing behind when one of them fails."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.tasks import gather_or_cancel


async def test_a_failure_cancels_the_siblings_and_is_raised_as_it_is() -> None:
    finished: list[str] = []

    async def slow() -> str:
        await asyncio.sleep(5)
        finished.append("slow")
        return "slow"

    async def broken() -> str:
        await asyncio.sleep(0.01)
        raise KeyError("broken")

    with pytest.raises(KeyError):
        await asyncio.wait_for(gather_or_cancel([slow(), broken()]), 2)
    await asyncio.sleep(0.05)
    assert finished == [], "the slow sibling did not go on after its caller gave up"


async def test_results_come_in_order() -> None:
    async def value(n: int) -> int:
        await asyncio.sleep(0.01 * (3 - n))
        return n

    assert await gather_or_cancel(value(n) for n in range(3)) == [0, 1, 2]
