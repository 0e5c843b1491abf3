"""The loop monitor: a timer that wakes late measures how long something held the loop,
the longest hold is kept for tests, and a stall's suspects are the requests on the loop."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import REGISTRY

from meria.loop import STALL_SECONDS, LoopMonitor, Requests


def hold_the_loop(seconds: float) -> None:
    """Compute without awaiting, as a heavy request does."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def stalls_counted() -> float:
    """How many holds the histogram has counted above the stall threshold."""
    total = REGISTRY.get_sample_value("meria_event_loop_held_seconds_count") or 0.0
    below = REGISTRY.get_sample_value("meria_event_loop_held_seconds_bucket", {"le": "0.1"}) or 0.0
    return total - below


async def test_a_blocking_call_is_measured_as_a_stall_and_kept_until_reset() -> None:
    monitor = LoopMonitor(asyncio.get_running_loop(), interval=0.01)
    monitor.acquire()
    try:
        # Awaiting keeps the loop free: nothing near a stall. (The CPU held, not the time:
        # on a busy machine the timer may wake late for reasons of other processes.)
        await asyncio.sleep(0.1)
        assert monitor.max_stall_cpu < STALL_SECONDS
        stalls_before = stalls_counted()
        # A quarter second of work without an await holds the loop for all of it.
        hold_the_loop(0.25)
        await asyncio.sleep(0.05)
        assert monitor.max_stall >= 0.25
        assert 0.25 <= monitor.max_stall_cpu < 0.5
        assert stalls_counted() == stalls_before + 1
        # Reading the registry holds the loop too (a tenth of a second when a whole
        # suite's apps have registered their metrics): let its tick pass before the reset.
        await asyncio.sleep(0.05)
        assert monitor.reset() >= 0.2
        await asyncio.sleep(0.05)
        assert monitor.max_stall_cpu < STALL_SECONDS
    finally:
        await monitor.release()


async def test_the_monitor_runs_once_for_all_who_share_the_loop() -> None:
    monitor = LoopMonitor(asyncio.get_running_loop(), interval=0.01)
    monitor.acquire()
    monitor.acquire()
    await monitor.release()
    await asyncio.sleep(0.03)
    hold_the_loop(0.15)
    await asyncio.sleep(0.03)
    # One user left: still measuring.
    assert monitor.max_stall >= 0.1
    await monitor.release()
    monitor.reset()
    hold_the_loop(0.15)
    await asyncio.sleep(0.03)
    assert monitor.max_stall == 0.0


def test_a_stalls_suspects_are_the_requests_on_the_loop_while_it_lasted() -> None:
    requests = Requests()
    before = requests.started("GET /healthz/live", "a")
    requests.ended(before)
    time.sleep(0.01)
    start = time.monotonic()
    culprit = requests.started("GET /distribution-lists", "b")
    still = requests.started("GET /journalists", "c")
    requests.ended(culprit)
    end = time.monotonic()
    time.sleep(0.01)
    after = requests.started("GET /metrics", "d")
    names = [flight.name for flight in requests.during(start, end)]
    assert names == ["GET /journalists", "GET /distribution-lists"]
    requests.ended(still)
    requests.ended(after)
