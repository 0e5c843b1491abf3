"""How the media service answers with a busy press office's contacts: 10,000 journalists in
50 distribution lists, and whether its event loop stays free meanwhile.

Run: `.venv/bin/python bench/media_lists.py [--journalists 10000] [--lists 50] [--requests 100]`

The media service runs as production runs it: `meria migrate media`, then `meria run
media` in a process of its own (with a real nats-server, started here), on an embedded
SQLite database in a temporary folder, on a free port; on a machine with two or more CPUs
the service is pinned to one CPU and this client to another. The contacts are written
straight into the tables (`services.media.scale`: 300 outlets, the journalists with
their consents, the lists, four in five of them rules), then the service's own code
works out who is on each list.

One client sends the requests one after another over one keep-alive connection. While
the long ones run (`new_rule_list`, `import`), `/healthz/live` is asked every 50 ms on a
connection of its own. Cases, one JSON line each, every line with the commit of the
measured code, the CPU count and the load average (this machine may be shared: read the
figures next to it):

- `baseline`: `GET /healthz/live`, the floor every answer stands on; before and after.
- `lists`: `GET /distribution-lists`, the 50 lists with their counts; `ratio_p50` over
  the baseline's.
- `recipients_page`: `GET /distribution-lists/{largest}/recipients`, 100 from the middle.
- `journalists_by_beat`: `GET /journalists?beat=tourism`, a page of 100.
- `new_rule_list`: `POST /distribution-lists` of a rule over everyone (every journalist
  gone over), with liveness meanwhile.
- `import`: `POST /journalists/import` of `--import` journalists (all or none), with
  liveness meanwhile.
- `loop`: the longest the service's event loop was held in the last minute and the
  stalls over 0.1 s its histogram counted, from its /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from reporting import CODE_VERSION, percentile

from meria.auth import User, issue_token
from meria.config import Settings
from meria.db import Database
from meria.testing.servers import NatsServer, free_port, wait_for_port
from services.media import scale

ROOT = Path(__file__).resolve().parents[1]
MERIA = str(ROOT / ".venv" / "bin" / "meria")


def emit(**fields: Any) -> None:
    fields |= {
        "code": CODE_VERSION,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def described(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"requests": 0}
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


def timed(call: Callable[[], httpx.Response], times: int) -> tuple[list[float], httpx.Response]:
    for _ in range(3):
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


class Liveness:
    """`GET /healthz/live` every 50 ms on a connection of its own, in a thread, while the
    client waits on something long: how the service's loop answers meanwhile."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.latencies: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def _probe(self) -> None:
        with httpx.Client(base_url=self.base, timeout=600) as probe:
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


def long_call(base: str, call: Callable[[], httpx.Response]) -> dict[str, Any]:
    with Liveness(base) as probe:
        started = time.perf_counter()
        answer = call()
        took = time.perf_counter() - started
    if answer.status_code >= 300:
        raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
    return {"ms": round(took * 1000, 1), "liveness_meanwhile": described(probe.latencies)}


def loop_figures(http: httpx.Client) -> dict[str, Any]:
    """The loop monitor's figures from /metrics (absent before it existed)."""
    samples: dict[str, float] = {}
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("meria_event_loop_"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    count = samples.get("meria_event_loop_held_seconds_count", 0.0)
    below = samples.get('meria_event_loop_held_seconds_bucket{le="0.1"}', 0.0)
    return {
        "held_max_last_minute_ms": round(
            samples.get("meria_event_loop_lag_max_seconds", float("nan")) * 1000, 1
        ),
        "stalls_over_100ms": int(count - below),
    }


def cpus() -> tuple[set[int] | None, set[int] | None]:
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return {available[-1]}, set(available[:-1])


def fill(database: Path, arguments: argparse.Namespace) -> None:
    async def filled() -> None:
        target = Database(f"sqlite:///{database}")
        try:
            await scale.fill(
                target, scale.Scale(journalists=arguments.journalists, lists=arguments.lists)
            )
        finally:
            await target.dispose()

    asyncio.run(filled())


def newcomers(count: int) -> list[dict[str, Any]]:
    consent = {"purpose": "press_distribution", "given_on": "2026-09-01", "method": "written"}
    return [
        {"full_name": f"ჟურნალისტი {n}", "email": f"new{n:05d}@kakheti.ge",
         "beats": ["tusheti"], "languages": ["ka"], "consents": [consent]}
        for n in range(count)
    ]  # fmt: skip


def measure(arguments: argparse.Namespace) -> None:
    service_cpus, client_cpus = cpus()
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    with tempfile.TemporaryDirectory(prefix="meria-bench-media-lists-") as temporary:
        folder = Path(temporary)
        database = folder / "media.db"
        nats = NatsServer(folder / "nats").start()
        process = None
        try:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("MERIA_")} | {
                "MERIA_VAR_DIR": str(folder / "var"),
                "MERIA_MEDIA_DATABASE_URL": f"sqlite:///{database}",
                "MERIA_MEDIA_PORT": str(port),
                "MERIA_MEDIA_URL": f"http://127.0.0.1:{port}",
                "MERIA_NATS_URL": nats.url,
                "MERIA_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
                "MERIA_LOG_LEVEL": "WARNING",
            }
            subprocess.run([MERIA, "migrate", "media"], env=env, cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            started = time.perf_counter()
            fill(database, arguments)
            emit(case="fill", seconds=round(time.perf_counter() - started, 2),
                 journalists=arguments.journalists, lists=arguments.lists)  # fmt: skip
            pin = (lambda: os.sched_setaffinity(0, service_cpus)) if service_cpus else None
            with (folder / "media.log").open("wb") as stderr:
                process = subprocess.Popen(
                    [MERIA, "run", "media"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                    stderr=stderr, preexec_fn=pin,
                )  # fmt: skip
            wait_for_port(port, timeout=60, process=process)
            user = User(id="bench", name="Bench", roles=frozenset({"media_officer"}))
            token = issue_token(Settings(), user, ttl_seconds=3600)
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=900
            ) as http:
                run_cases(http, base, arguments)
        finally:
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
            nats.stop()


def run_cases(http: httpx.Client, base: str, arguments: argparse.Namespace) -> None:
    requests = arguments.requests
    floor, _ = timed(lambda: http.get("/healthz/live"), requests)
    emit(case="baseline", when="before", **described(floor))
    # The first listing may find nothing kept (the code before kept nothing): timed alone.
    first = long_call(base, lambda: http.get("/distribution-lists"))
    emit(case="lists_first", **first)
    listed, answer = timed(lambda: http.get("/distribution-lists"), requests)
    lists = answer.json()
    emit(case="lists", lists=len(lists), **described(listed),
         ratio_p50=round(statistics.median(listed) / statistics.median(floor), 1))  # fmt: skip
    largest = max(lists, key=lambda found: found["recipient_count"])
    middle = largest["recipient_count"] // 2
    page, _ = timed(
        lambda: http.get(
            f"/distribution-lists/{largest['id']}/recipients",
            params={"limit": 100, "offset": middle},
        ),
        requests,
    )
    emit(case="recipients_page", list_recipients=largest["recipient_count"], **described(page),
         ratio_p50=round(statistics.median(page) / statistics.median(floor), 1))  # fmt: skip
    beat, _ = timed(lambda: http.get("/journalists", params={"beat": "tourism"}), requests)
    emit(case="journalists_by_beat", **described(beat),
         ratio_p50=round(statistics.median(beat) / statistics.median(floor), 1))  # fmt: skip
    body = {"name_ka": "ყველა", "kind": "rule", "rule": {}}
    emit(
        case="new_rule_list", **long_call(base, lambda: http.post("/distribution-lists", json=body))
    )
    people = {"journalists": newcomers(arguments.imported)}
    emit(case="import", journalists=arguments.imported,
         **long_call(base, lambda: http.post("/journalists/import", json=people)))  # fmt: skip
    emit(case="loop", **loop_figures(http))
    floor_after, _ = timed(lambda: http.get("/healthz/live"), requests)
    emit(case="baseline", when="after", **described(floor_after))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journalists", type=int, default=10_000)
    parser.add_argument("--lists", type=int, default=50)
    parser.add_argument("--import", dest="imported", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    measure(parser.parse_args())


if __name__ == "__main__":
    main()
