"""A bus loop stops when asked even if a library swallowed the cancellation."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from meria.bus.connection import stop_if_cancelled


async def test_a_swallowed_cancellation_still_stops_the_loop() -> None:
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            stop_if_cancelled()
            rounds += 1
            # What Python 3.11's wait_for can do when two things finish at once:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.01)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert rounds >= 1


async def test_a_task_not_asked_to_stop_goes_on() -> None:
    stop_if_cancelled()  # nothing asked: no error
