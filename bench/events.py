"""How fast the events service answers the month view and the conflict check with 20,000
events on its calendar.

Run: `.venv/bin/python bench/events.py [--events 20000] [--requests 300]`

The events service runs as production runs it: `meria migrate events`, then
`meria run events` in a process of its own (with a real nats-server, started here, for
its consumers), on an embedded SQLite database in a temporary folder, on a free port. On
a machine with two or more CPUs the service is pinned to one CPU and this client to
another.

The calendar is filled directly, not through the API, so that 20,000 events take
seconds: after the migration the benchmark inserts the rows the service itself would
write (`services.events.scale`: events over two years around today, about 27 a day, with
venues, officials and their bookings; a fixed random seed makes every run the same).

One client sends the requests one after another over one keep-alive connection (closed
loop, one at a time: the latency of one person's browser, not of a saturated server).
Cases, one JSON line each, every line with the commit of the measured code (`-dirty` when
the work tree differs), the CPU count and the load average (this machine may be shared:
read the figures next to it):

- `baseline`: `GET /healthz/live` of the same process — the floor every answer stands
  on (HTTP, the app's middleware, the request log); measured before and after the cases.
- `month_view`: `GET /events?month=…` for the busiest month, as the portal's calendar
  asks (every event of the month, about 830), with a staff token: p50/p99 ms and the
  answer's size; `ratio_p50` is its p50 over the baseline's.
- `month_view_official`: the same month filtered to one official (their calendar).
- `conflict_check`: `POST /conflicts` for a random two-hour booking of a venue and two
  officials within the two years: p50/p99 ms and how many conflicts it found on average.
- `create_checked`: `POST /events` of a draft at a random time with a venue and two
  officials, booked despite any conflict with a reason: the conflict check, the insert,
  the history entry and the answer together.
- `internal_feed`: `GET /calendars/internal.ics`, every event from half a year back to two
  years ahead as iCalendar: `first_ms` for the first request (every VEVENT written), then
  ten more while nothing changed (the file kept, behind a fingerprint query), then
  `after_change_ms` for the first request after one more event. Meanwhile `/healthz/live`
  is asked every 50 ms on a connection of its own (`liveness_during_first`,
  `liveness_after_change`), and `loop_held_max_ms` is the longest the service's event
  loop was held in the minute of the first request, from its /metrics (absent before
  the loop monitor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from reporting import context, percentile

from meria.auth import User, issue_token
from meria.config import Settings
from meria.db import Database
from meria.testing.servers import NatsServer, free_port, wait_for_port
from services.events import scale
from services.events.scale import OFFICIALS, VENUES

ROOT = Path(__file__).resolve().parents[1]
MERIA = str(ROOT / ".venv" / "bin" / "meria")
TBILISI = ZoneInfo("Asia/Tbilisi")


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def cpus() -> tuple[set[int], set[int]] | None:
    """(the service's CPU, everyone else's), when there are two CPUs to split."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return {available[-1]}, set(available[:-1])


def pin(cpu_set: set[int] | None) -> Callable[[], None] | None:
    if cpu_set is None:
        return None
    chosen = set(cpu_set)
    return lambda: os.sched_setaffinity(0, chosen)


def service_env(folder: Path, database: Path, port: int, nats_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    return env | {
        "MERIA_VAR_DIR": str(folder / "var"),
        "MERIA_EVENTS_DATABASE_URL": f"sqlite:///{database}",
        "MERIA_EVENTS_PORT": str(port),
        "MERIA_EVENTS_URL": f"http://127.0.0.1:{port}",
        "MERIA_NATS_URL": nats_url,
        "MERIA_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "MERIA_LOG_LEVEL": "WARNING",
    }


def fill(database: Path, count: int) -> date:
    """The calendar, written as the service writes it (services.events.scale); returns the
    busiest month's first day."""

    async def filled() -> date:
        target = Database(f"sqlite:///{database}")
        try:
            return await scale.fill(target, count)
        finally:
            await target.dispose()

    return asyncio.run(filled())


class Liveness:
    """`GET /healthz/live` every 50 ms on a connection of its own, in a thread, while the
    client waits on something long: how the service's loop answers meanwhile."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def _probe(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as probe:
            while not self._stop.wait(0.05):
                started = time.perf_counter()
                probe.get("/healthz/live")
                self.latencies.append(time.perf_counter() - started)

    def __enter__(self) -> Liveness:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def loop_held_max(http: httpx.Client) -> float:
    """The longest the service's loop was held in the last minute, from its /metrics."""
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("meria_event_loop_lag_max_seconds "):
            return float(line.split()[1])
    return float("nan")


def timed(call: Callable[[], httpx.Response], times: int) -> tuple[list[float], httpx.Response]:
    for _ in range(5):
        call()  # warm-up, uncounted
    latencies = []
    response = call()
    for _ in range(times):
        started = time.perf_counter()
        response = call()
        latencies.append(time.perf_counter() - started)
        if response.status_code >= 300:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
    return latencies, response


def described(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"requests": 0}
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


def booking(rng: random.Random, first_day: date) -> dict[str, Any]:
    day = first_day + timedelta(days=rng.randrange(730))
    starts = datetime(day.year, day.month, day.day, rng.randrange(9, 18), tzinfo=TBILISI)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "venue_id": rng.randrange(1, len(VENUES) + 1),
        "officials": [code for code, _ in rng.sample(OFFICIALS, 2)],
    }


def measure(arguments: argparse.Namespace) -> None:
    rng = random.Random(20261127)
    split = cpus()
    service_cpus, client_cpus = split if split else (None, None)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    with tempfile.TemporaryDirectory(prefix="meria-bench-events-") as temporary:
        folder = Path(temporary)
        database = folder / "events.db"
        nats = NatsServer(folder / "nats").start()
        process = None
        try:
            port = free_port()
            env = service_env(folder, database, port, nats.url)
            subprocess.run([MERIA, "migrate", "events"], env=env, cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            started = time.perf_counter()
            busiest = fill(database, arguments.events)
            fill_seconds = time.perf_counter() - started
            log = folder / "events.log"
            with log.open("wb") as stderr:
                process = subprocess.Popen(
                    [MERIA, "run", "events"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                    stderr=stderr, preexec_fn=pin(service_cpus),
                )  # fmt: skip
            wait_for_port(port, timeout=60, process=process)
            settings = Settings()
            token = issue_token(
                settings,
                User(id="bench", name="Bench", roles=frozenset({"protocol_officer"})),
                ttl_seconds=3600,
            )
            headers = {"Authorization": f"Bearer {token}"}
            base = f"http://127.0.0.1:{port}"
            shared = {"events": arguments.events, **context()}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                emit(case="fill", seconds=round(fill_seconds, 2), **shared)
                floor, _ = timed(lambda: http.get("/healthz/live"), arguments.requests)
                baseline = described(floor)
                emit(case="baseline", when="before", **baseline, **shared)
                month = f"{busiest:%Y-%m}"
                view, answer = timed(
                    lambda: http.get("/events", params={"month": month, "limit": 2000}),
                    arguments.requests,
                )
                emit(
                    case="month_view", month=month, events_in_month=answer.json()["total"],
                    bytes=len(answer.content), **described(view),
                    ratio_p50=round(statistics.median(view) / statistics.median(floor), 1),
                    **shared,
                )  # fmt: skip
                official, answer = timed(
                    lambda: http.get(
                        "/events", params={"month": month, "official": "mayor", "limit": 2000}
                    ),
                    arguments.requests,
                )
                emit(case="month_view_official", month=month, official="mayor",
                     events_in_month=answer.json()["total"], **described(official),
                     **shared)  # fmt: skip
                first_day = datetime.now(TBILISI).date() - timedelta(days=365)
                found: list[int] = []

                def check() -> httpx.Response:
                    response = http.post("/conflicts", json=booking(rng, first_day))
                    found.append(len(response.json()))
                    return response

                conflicts, _ = timed(check, arguments.requests)
                emit(case="conflict_check", **described(conflicts),
                     conflicts_found_mean=round(statistics.mean(found), 2),
                     ratio_p50=round(statistics.median(conflicts) / statistics.median(floor), 1),
                     **shared)  # fmt: skip

                def create() -> httpx.Response:
                    body = {"kind": "ceremony", "title_ka": "ცერემონია ახმეტაში",
                            **booking(rng, first_day),
                            "conflict_override_reason": "საზომი ტესტი"}  # fmt: skip
                    return http.post("/events", json=body)

                created, _ = timed(create, min(arguments.requests, 200))
                emit(case="create_checked", **described(created), **shared)
                with Liveness(base) as probe:
                    started = time.perf_counter()
                    answer = http.get("/calendars/internal.ics", timeout=600)
                    cold = time.perf_counter() - started
                held = loop_held_max(http)
                feed, answer = timed(lambda: http.get("/calendars/internal.ics"), 10)
                create()
                with Liveness(base) as probe_after:
                    started = time.perf_counter()
                    http.get("/calendars/internal.ics", timeout=600)
                    changed = time.perf_counter() - started
                emit(case="internal_feed", first_ms=round(cold * 1000, 1),
                     after_change_ms=round(changed * 1000, 1), **described(feed),
                     bytes=len(answer.content), vevents=answer.text.count("BEGIN:VEVENT"),
                     liveness_during_first=described(probe.latencies),
                     liveness_after_change=described(probe_after.latencies),
                     loop_held_max_ms=round(held * 1000, 1), **shared)  # fmt: skip
                floor_after, _ = timed(lambda: http.get("/healthz/live"), arguments.requests)
                emit(case="baseline", when="after", **described(floor_after), **shared)
        finally:
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
            nats.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
