"""Watching a service's event loop while a test's requests run: the loop monitor's longest
hold, and `/healthz/live` asked every 50 ms on a connection of its own."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from meria.loop import STALL_SECONDS, LoopMonitor, monitor

# However busy the service, its liveness probe answers within this.
LIVENESS_SECONDS = 1.0


@dataclass
class LoopWatch:
    monitor: LoopMonitor
    liveness: list[float] = field(default_factory=list)

    def assert_free(self) -> None:
        """No callback held the loop for STALL_SECONDS of CPU, and liveness answered in
        time throughout (on a busy machine wall-clock holds stretch; CPU time does not)."""
        held = self.monitor.max_stall_cpu
        assert held < STALL_SECONDS, (
            f"the loop was held for {held * 1000:.0f} ms of CPU "
            f"({self.monitor.max_stall * 1000:.0f} ms of wall-clock time); see loop.stalled"
        )
        assert self.liveness, "liveness was never asked"
        assert max(self.liveness) < LIVENESS_SECONDS, (
            f"/healthz/live took {max(self.liveness):.2f} s"
        )


@asynccontextmanager
async def watching_the_loop(service_url: str) -> AsyncIterator[LoopWatch]:
    """Measure from now: what ran before (a test's data, written on the loop) is forgotten."""
    watch = LoopWatch(monitor())
    await asyncio.sleep(watch.monitor.interval * 3)
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
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
