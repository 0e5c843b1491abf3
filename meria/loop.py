"""How long the event loop was held: a timer that wakes late says something kept the loop.

A service answers everyone from one event loop, so one request that computes for a
second without awaiting makes every other request, `/healthz/live` included, wait that
second. Each process runs one `LoopMonitor` on its loop (the runtime starts it): a task
that sleeps a short interval and measures how late it wakes. The lateness is how long
callbacks held the loop in that span; it goes to `/metrics` (`meria_event_loop_lag_seconds`
now, `meria_event_loop_lag_max_seconds` over the last minute, and every measure in the
`meria_event_loop_held_seconds` histogram, whose buckets above 0.1 s count the stalls).

A stall over `STALL_SECONDS` is logged with what is known of it: the requests that were
on the loop while it lasted (the web middleware notes them in `requests`, a dictionary
write each), the code the loop was running when the timer fell overdue (a watchdog
thread looks at the loop's thread from outside), the CPU time the loop's thread spent
(far less than the stall: it waited on a disk, a lock or other processes for the CPU,
rather than computed) and the garbage collector's share.

Tests ask the monitor of their loop (`monitor()`) for the longest hold since `reset()`:
`max_stall` in wall-clock time, and `max_stall_cpu`, the most CPU time the loop's thread
spent between two wakes of the timer. No callback computed longer than that, and other
processes on a busy machine do not inflate it, so a test can hold code to it strictly.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass
from types import FrameType
from weakref import WeakKeyDictionary

from meria.logging import get_logger
from meria.metrics import LOOP_HELD, LOOP_LAG, LOOP_LAG_MAX

log = get_logger(__name__)

# Longer than this, a hold is a stall: logged, and what the tests forbid a request.
STALL_SECONDS = 0.1
INTERVAL_SECONDS = 0.025
# The gauge of the longest hold covers the last minute, in ten-second buckets.
WINDOW_BUCKETS = 6
BUCKET_SECONDS = 10.0


@dataclass(frozen=True)
class Flight:
    """One request on the loop: what it asked and when it started and ended."""

    name: str
    request_id: str
    started: float
    ended: float | None = None


class Requests:
    """The requests in flight and the last few finished, to name a stall's suspects."""

    def __init__(self) -> None:
        self.running: dict[int, Flight] = {}
        self.finished: deque[Flight] = deque(maxlen=32)
        self._numbers = itertools.count()

    # One monotonic clock for flights and the monitor, so that they compare.

    def started(self, name: str, request_id: str) -> int:
        number = next(self._numbers)
        self.running[number] = Flight(name, request_id, time.monotonic())
        return number

    def ended(self, number: int) -> None:
        flight = self.running.pop(number, None)
        if flight is not None:
            self.finished.append(
                Flight(flight.name, flight.request_id, flight.started, ended=time.monotonic())
            )

    def during(self, start: float, end: float) -> list[Flight]:
        """The requests that were on the loop at some moment between `start` and `end`."""
        candidates = [*self.running.values(), *self.finished]
        return [
            flight
            for flight in candidates
            if flight.started <= end and (flight.ended is None or flight.ended >= start)
        ]


requests = Requests()


class LoopMonitor:
    """Measures one event loop's holds; started once however many apps share the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = INTERVAL_SECONDS):
        self.loop = loop
        self.interval = interval
        self.max_stall = 0.0
        self.max_stall_cpu = 0.0
        self._users = 0
        self._task: asyncio.Task[None] | None = None
        self._window: deque[tuple[int, float]] = deque(maxlen=WINDOW_BUCKETS)
        self._watchdog: Watchdog | None = None
        self._collecting = 0.0
        self._collected = 0.0

    def reset(self) -> float:
        """Forget the longest hold so far, and say what it was."""
        longest, self.max_stall, self.max_stall_cpu = self.max_stall, 0.0, 0.0
        return longest

    def acquire(self) -> None:
        self._users += 1
        if self._task is None:
            self._watchdog = Watchdog(threading.get_ident(), self.interval)
            self._watchdog.start()
            gc.callbacks.append(self._collection)
            self._task = self.loop.create_task(self._run(), name="meria-loop-monitor")

    async def release(self) -> None:
        self._users -= 1
        if self._users > 0 or self._task is None:
            return
        task, self._task = self._task, None
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        gc.callbacks.remove(self._collection)

    def _collection(self, phase: str, _: dict[str, int]) -> None:
        """The garbage collector's time, which holds the loop like any computation."""
        if phase == "start":
            self._collecting = time.perf_counter()
        elif self._collecting:
            self._collected += time.perf_counter() - self._collecting
            self._collecting = 0.0

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            if self._watchdog is not None:
                self._watchdog.due = before + self.interval
            cpu = time.thread_time()
            self._collected = 0.0
            await asyncio.sleep(self.interval)
            woke = time.monotonic()
            held = max(0.0, woke - before - self.interval)
            self.observe(held, woke, cpu=time.thread_time() - cpu, collecting=self._collected)

    def observe(
        self, held: float, woke: float, *, cpu: float | None = None, collecting: float = 0.0
    ) -> None:
        LOOP_LAG.set(held)
        LOOP_HELD.observe(held)
        LOOP_LAG_MAX.set(self._longest_lately(held, woke))
        self.max_stall = max(self.max_stall, held)
        if cpu is not None:
            self.max_stall_cpu = max(self.max_stall_cpu, cpu)
        if held <= STALL_SECONDS:
            return
        suspects = requests.during(woke - held, woke)
        where = self._watchdog.seen() if self._watchdog is not None else None
        log.warning(
            "loop.stalled",
            ms=round(held * 1000),
            # Far less than `ms`: the loop waited (on a lock, a disk, other processes for
            # the CPU) rather than computed.
            cpu_ms=None if cpu is None else round(cpu * 1000),
            # Of which the garbage collector's.
            gc_ms=round(collecting * 1000),
            requests=[f"{flight.name} ({flight.request_id})" for flight in suspects[:5]],
            where=where,
        )

    def _longest_lately(self, held: float, woke: float) -> float:
        bucket = int(woke // BUCKET_SECONDS)
        if self._window and self._window[-1][0] == bucket:
            if held > self._window[-1][1]:
                self._window[-1] = (bucket, held)
        else:
            self._window.append((bucket, held))
        oldest = bucket - WINDOW_BUCKETS + 1
        return max(longest for number, longest in self._window if number >= oldest)


class Watchdog(threading.Thread):
    """Looks at the loop's thread from outside: when the monitor's timer is overdue by a
    stall, it notes the code the loop is running then, for the stall's log line."""

    def __init__(self, loop_thread: int, interval: float) -> None:
        super().__init__(name="meria-loop-watchdog", daemon=True)
        self.loop_thread = loop_thread
        self.interval = interval
        self.due = 0.0
        self._where: list[str] | None = None
        self._stopped = threading.Event()

    def run(self) -> None:
        sampled = 0.0
        while not self._stopped.wait(self.interval):
            due = self.due
            if due != sampled and time.monotonic() - due > STALL_SECONDS:
                sampled = due
                frame = sys._current_frames().get(self.loop_thread)
                if frame is not None:
                    self._where = where(frame)

    def seen(self) -> list[str] | None:
        found, self._where = self._where, None
        return found

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=1)


OURS = ("meria", "services", "workflows")


def where(frame: FrameType, depth: int = 6) -> list[str]:
    """The innermost frame, and the innermost of Meria's own that led to it."""
    stack = traceback.extract_stack(frame)
    innermost = stack[-1]
    found = [f"{innermost.filename.rsplit('/', 2)[-1]}:{innermost.lineno} {innermost.name}"]
    for entry in reversed(stack[:-1]):
        parts = entry.filename.replace("\\", "/").split("/")
        for index, part in enumerate(parts[:-1]):
            if part in OURS and "site-packages" not in parts:
                found.append(f"{'/'.join(parts[index:])}:{entry.lineno} {entry.name}")
                break
        if len(found) >= depth:
            break
    return found


_MONITORS: WeakKeyDictionary[asyncio.AbstractEventLoop, LoopMonitor] = WeakKeyDictionary()


def monitor() -> LoopMonitor:
    """The monitor of the running loop (made on first use; `acquire` starts it)."""
    loop = asyncio.get_running_loop()
    found = _MONITORS.get(loop)
    if found is None:
        found = _MONITORS[loop] = LoopMonitor(loop)
    return found


__all__ = ["STALL_SECONDS", "LoopMonitor", "monitor", "requests"]
