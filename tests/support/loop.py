"""Watching a service's event loop while a test's requests run: the loop monitor's longest
hold, and `/healthz/live` asked every 50 ms on a connection of its own."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from meria.loop import STALL_SECONDS, LoopMonitor, monitor

# However busy the service, its liveness probe answers within this.
LIVENESS_SECONDS = 1.0
TEST_INTERVAL = 0.005


@dataclass
class LoopWatch:
    monitor: LoopMonitor
    liveness: list[float] = field(default_factory=list)
    # The longest holds while watching, kept when the watch ends (what the test does with
    # its answers afterwards, on the same loop, is not the service's doing).
    held: float = 0.0
    held_cpu: float = 0.0

    def assert_free(self) -> None:
        """No callback held the loop for STALL_SECONDS of CPU, and liveness answered in
        time throughout (on a busy machine wall-clock holds stretch; CPU time does not)."""
        assert self.held_cpu < STALL_SECONDS, (
            f"the loop was held for {self.held_cpu * 1000:.0f} ms of CPU "
            f"({self.held * 1000:.0f} ms of wall-clock time); see loop.stalled"
        )
        assert self.liveness, "liveness was never asked"
        assert max(self.liveness) < LIVENESS_SECONDS, (
            f"/healthz/live took {max(self.liveness):.2f} s"
        )


@asynccontextmanager
async def watching_the_loop(service_url: str) -> AsyncIterator[LoopWatch]:
    """Measure from now: what ran before (a test's data, written on the loop) is forgotten.

    The monitor wakes every 5 ms meanwhile, so that the CPU time between two wakes is the
    hold itself, give or take 5 ms (every 25 ms as processes run it)."""
    watch = LoopWatch(monitor())
    # The test session's heap (the whole suite's objects, the data just written) is not
    # the service's: out of the collector's way, as a process's start is (meria.runtime).
    gc.collect()
    gc.freeze()
    interval, watch.monitor.interval = watch.monitor.interval, TEST_INTERVAL
    await asyncio.sleep(interval * 2)
    watch.monitor.reset()
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as probe:

        async def probing() -> None:
            while True:
                started = time.perf_counter()
                answer = await probe.get("/healthz/live")
                watch.liveness.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                await asyncio.sleep(0.05)

        task = asyncio.create_task(probing())
        try:
            yield watch
        finally:
            watch.held, watch.held_cpu = watch.monitor.max_stall, watch.monitor.max_stall_cpu
            watch.monitor.interval = interval
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
