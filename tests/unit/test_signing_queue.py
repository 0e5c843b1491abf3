"""Signing legal acts in turn: at most a few at once, each edition once, and a request
that goes away leaves its signing to finish."""

from __future__ import annotations

import asyncio
from typing import Any

from services.publishing.signed_originals import SigningQueue


async def test_acts_are_signed_in_turn_each_once_even_when_asked_again() -> None:
    queue = SigningQueue(concurrency=2)
    running = 0
    most = 0
    signed: list[tuple[int, int]] = []

    def signer(edition: tuple[int, int]) -> Any:
        async def sign() -> Any:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1
            signed.append(edition)
            return f"signed {edition}"

        return sign

    editions = [(document, 1) for document in range(1, 11)]
    # Every edition asked for twice at once: the worker's retry of a timed-out call.
    answers = await asyncio.gather(
        *(queue.once(edition, signer(edition)) for edition in editions + editions)
    )
    assert answers == [f"signed {edition}" for edition in editions + editions]
    assert sorted(signed) == editions  # each once
    assert most == 2
    assert queue.waiting == 0


async def test_a_request_that_goes_away_leaves_its_signing_to_finish() -> None:
    queue = SigningQueue(concurrency=1)
    finished = asyncio.Event()

    async def sign() -> Any:
        await asyncio.sleep(0.05)
        finished.set()
        return "signed"

    asked = asyncio.create_task(queue.once((7, 2), sign))
    await asyncio.sleep(0.01)
    asked.cancel()  # the HTTP client timed out and went away
    await asyncio.wait_for(finished.wait(), 1)
    # Nothing is left waiting: the next request finds the kept signed original.
    assert queue.waiting == 0
