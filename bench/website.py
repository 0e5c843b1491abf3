"""How fast the public website answers: its pages under load, and search over 100,000 acts.

Run: `.venv/bin/python bench/website.py [--acts 10000 --news 5000 --search-acts 100000]`
(`--cases pages` or `--cases search` runs one part; `--data DIR` keeps the generated
databases there and reuses them on the next run; `--help` for the rest).

The read model is normally written only by the website's bus handlers. Here it is filled
directly, so that tens of thousands of documents take a minute and not hours: after
`meria migrate website`, the benchmark inserts the read model as the scale dataset
writes it (`bench/scale_data.py`, `fill_website`): `PublicDocument` rows (with their
`PublicEdition`s, a PDF `PublicAttachment` on a third of the acts, standing pages for
the menu) and indexes every document with the search module's own `index_document`, as
the handler does. The texts are Georgian only (no English editions), made from a
vocabulary of real Georgian: the villages of Akhmeta municipality and the city hall's
services in their case forms, titles and bodies of mayor's orders and ordinances (issuer,
register number `N/YYYY` per issuer, type and year, date signed, the legal preamble,
numbered clauses) and of news items, over six years; as in the department, the newest
few are still on their route (not yet public), a few were corrected by a second edition,
withdrawn or unpublished. A fixed random seed makes every run generate the same
documents. Nothing runs
ANALYZE on the databases (neither does `meria migrate`), so SQLite plans its queries
without statistics, as on a site that was migrated and then filled by its handlers.

The website runs as production runs it: `meria run website` in a process of its own,
with a real nats-server (started here) so that its consumers run and it is ready, in a
temporary folder, on a free port. On a machine with two or more CPUs the server is
pinned to one CPU and the load generator (and everything else here) to another.

Cases, one JSON line each:

- `page` (home `/`, an act page `/acts/{id}`, a search `/search?q=ახმეტა`): `wrk`, the
  HTTP load generator (installed with `apt-get install wrk`), with 1 thread and 16
  connections for 10 s after a 2 s warm-up: requests/s and latency p50/p90/p99/max from
  wrk's own histogram (closed loop: the latency of a saturated server). Each page is
  measured next to a baseline in the same run: a tiny FastAPI app under the same
  uvicorn settings (same CPU, same loop and HTTP parser) answering the very bytes the
  website returned for that page, prepared in advance. The baseline runs before and
  after the page (two runs, so the reader sees the noise); `ratio` is the page's
  requests/s over the mean of the two baselines (`ratio_range` over each).
  Target: ratio ≥ 0.5 for the home and act pages. The same path asked again and again
  is what the site's page cache is for: after the first request (and once a minute)
  the website answers it from memory, ahead of its routing, tracing and request log,
  so this case measures that path. What the page costs when it is not kept is
  `render_ms`: the median of five requests one at a time, each with a distinct unused
  parameter. The line also carries the server's CPU time per request (from /proc) and
  its share of one CPU over the run, so a client-bound run would show. If wrk is not
  installed the benchmark says so and, only then, uses an asyncio client over raw
  sockets with the same connection count (`load_generator` names what was used).
- `search_http`: a second database with `--search-acts` acts (no news) indexed; one
  client sends 20 different Georgian queries in inflected forms (frequent words such as
  ახმეტაში, found in every act, and rare ones) one after another over one keep-alive
  connection, `--rounds` times (after one uncounted round): p50/p95/p99/max of the
  HTTP request in ms (the whole `/search` page), and per query its median and its
  number of hits (the site counts them up to its cap, `RANKED` in the search module;
  `more_hits` says there were more, of which the newest `RANKED` were shown), and the
  server's CPU time per search and share of one CPU over the counted rounds. Each
  request carries a distinct unused parameter, so that the site's page cache cannot
  answer it. Target: p95 ≤ 50 ms (embedded SQLite, the default).
- `search_function`: the same queries through `services.website.search.search` called in
  this process on the same database, so the HTTP and template share can be told apart;
  the time spent in SQL statements is split out (`sql_ms` by statement) from SQLAlchemy's
  cursor events.

Every line carries the commit of the measured code (`-dirty` when the work tree
differs), the CPU count, the load average (this machine may be shared: read the figures
next to it), the machine and the SQLite version; nothing is adjusted after the fact.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reporting import context, percentile
from sqlalchemy import event as sa_event

from meria.db import Database
from meria.testing.servers import NatsServer, free_port, wait_for_port
from services.website.search import RANKED, search

sys.path.insert(0, str(Path(__file__).parent))
from scale_data import STANDING_PAGES, document_plans, fill_website

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
MERIA = str(Path(sys.executable).parent / "meria")
SEED = 20261127
DATA_VERSION = 2  # bump when the generated documents change, so kept data is rebuilt
MIGRATIONS = ROOT / "services" / "website" / "migrations"
TARGET_RATIO = 0.5
TARGET_SEARCH_P95_MS = 50.0

# What the search case asks: inflected forms, frequent and rare.
QUERIES = ["ახმეტაში", "მერიის", "სკოლების", "ბიუჯეტის", "ფანჯრის", "მატანში", "ომალოს",
           "ხიდის", "რეაბილიტაციის", "დახმარების", "წყლით", "სტადიონზე", "კაპანაძის",
           "შესყიდვების", "ფესტივალზე", "თუშეთში", "გზების", "ამბულატორიაში",
           "ზემო ალვანში სკოლის", "ტრანსპორტირების"]  # fmt: skip


# ---------------------------------------------------------------------------------------
# The read model, filled directly.


@dataclass
class Loaded:
    acts: int
    news: int
    seconds: float
    act_ids: list[int] = field(default_factory=list)


async def fill(url: str, acts: int, news: int) -> Loaded:
    """`acts` legal acts and `news` news items (and the menu's pages) in a migrated
    website database, as the scale dataset writes its read model (`bench/scale_data.py`):
    indexed for search as the bus handler indexes them."""
    started = time.perf_counter()
    total = acts + news + len(STANDING_PAGES)
    filled = await fill_website(url, document_plans({"act": acts, "news": news}), total)
    return Loaded(acts, news, time.perf_counter() - started, filled.ids["act_ids"])


# ---------------------------------------------------------------------------------------
# Processes: nats-server, the website, the baseline app.


def cpus() -> tuple[set[int], set[int]] | None:
    """(the server's CPU, everyone else's), when there are two CPUs to split."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return {available[-1]}, set(available[:-1])


def pin(cpu_set: set[int] | None) -> Callable[[], None] | None:
    if cpu_set is None:
        return None
    chosen = set(cpu_set)
    return lambda: os.sched_setaffinity(0, chosen)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def website_env(folder: Path, database: Path, port: int, nats_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    return env | {
        "MERIA_VAR_DIR": str(folder / "var"),
        "MERIA_WEBSITE_DATABASE_URL": f"sqlite:///{database}",
        "MERIA_WEBSITE_PORT": str(port),
        "MERIA_WEBSITE_URL": f"http://127.0.0.1:{port}",
        "MERIA_WEBSITE_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "MERIA_NATS_URL": nats_url,
        "MERIA_LOG_LEVEL": "WARNING",
    }


def migrate(folder: Path, database: Path, nats_url: str) -> None:
    subprocess.run(
        [MERIA, "migrate", "website"],
        env=website_env(folder, database, free_port(), nats_url),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def start_website(
    folder: Path, database: Path, nats_url: str, cpu_set: set[int] | None
) -> tuple[Server, dict[str, Any]]:
    """`meria run website` on the database; returns once it answers, with its readiness."""
    port = free_port()
    log = folder / f"website-{port}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [MERIA, "run", "website"],
            env=website_env(folder, database, port, nats_url),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=pin(cpu_set),
        )
    server = Server("website", port, process)
    try:
        wait_for_port(port, timeout=60, process=process)
    except (RuntimeError, TimeoutError) as error:
        server.stop()
        raise RuntimeError(f"{error}; its log ends:\n{log.read_text()[-3000:]}") from None
    readiness: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, body = get(port, "/healthz/ready")
        readiness = json.loads(body)
        if status == 200:
            break
        time.sleep(0.2)
    return server, readiness


def start_baseline(folder: Path, pages: dict[str, bytes], cpu_set: set[int] | None) -> Server:
    pages_dir = folder / "baseline-pages"
    pages_dir.mkdir(exist_ok=True)
    for name, body in pages.items():
        (pages_dir / name).write_bytes(body)
    port = free_port()
    command = [PYTHON, str(Path(__file__).resolve()), "--serve-baseline", str(pages_dir),
               "--port", str(port)]  # fmt: skip
    with (folder / "baseline.log").open("wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=pin(cpu_set),
        )
    wait_for_port(port, timeout=60, process=process)
    return Server("baseline", port, process)


def serve_baseline(pages_dir: Path, port: int) -> None:
    """The baseline: a FastAPI app answering fixed bytes, under `meria run`'s uvicorn
    settings."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import Response

    pages = {path.name: path.read_bytes() for path in pages_dir.iterdir()}
    app = FastAPI()

    @app.get("/{name}")
    async def page(name: str) -> Response:
        return Response(pages[name], media_type="text/html; charset=utf-8")

    uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="on",
            proxy_headers=False,
            timeout_graceful_shutdown=10,
        )
    ).run()


def get(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def render_ms(port: int, path: str, times: int = 5) -> float:
    """The median time of a page the site has not kept, asked one request at a time."""
    values = []
    for number in range(times):
        separator = "&" if "?" in path else "?"
        started = time.perf_counter()
        status, body = get(port, f"{path}{separator}render={number}")
        values.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
    return round(statistics.median(values), 2)


# ---------------------------------------------------------------------------------------
# Load generators.

WRK_REPORT = """\
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %.0f, "p90_us": %.0f, "p99_us": %.0f, "max_us": %.0f, "mean_us": %.1f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean))
end
"""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    server_cpu_seconds: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


class Load:
    """wrk when installed; otherwise (and only then) an asyncio client."""

    def __init__(self, folder: Path, connections: int, cpu_set: set[int] | None) -> None:
        self.wrk = shutil.which("wrk")
        self.connections = connections
        self.cpu_set = cpu_set
        self.script = folder / "report.lua"
        self.script.write_text(WRK_REPORT)

    @property
    def name(self) -> str:
        return "wrk" if self.wrk else "python-asyncio (wrk not installed)"

    def run(self, server: Server, path: str, seconds: float) -> LoadResult:
        before = cpu_seconds(server.process.pid)
        if self.wrk:
            result = self._wrk(server.port, path, seconds)
        else:
            result = asyncio.run(self._asyncio(server.port, path, seconds))
        result.server_cpu_seconds = cpu_seconds(server.process.pid) - before
        return result

    def _wrk(self, port: int, path: str, seconds: float) -> LoadResult:
        assert self.wrk is not None
        url = f"http://127.0.0.1:{port}{path}"
        duration = f"-d{max(1, round(seconds))}s"
        command = [self.wrk, "-t1", f"-c{self.connections}", duration, "--latency",
                   "--timeout", "10s", "-s", str(self.script), url]  # fmt: skip
        output = subprocess.run(
            command, check=True, capture_output=True, text=True, preexec_fn=pin(self.cpu_set)
        ).stdout
        line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
        data = json.loads(line.removeprefix("WRKJSON "))
        errors = sum(data[key] for key in ("connect_errors", "read_errors", "write_errors",
                                           "status_errors", "timeouts"))  # fmt: skip
        return LoadResult(
            requests=data["requests"],
            seconds=data["duration_us"] / 1e6,
            p50_ms=data["p50_us"] / 1000,
            p90_ms=data["p90_us"] / 1000,
            p99_ms=data["p99_us"] / 1000,
            max_ms=data["max_us"] / 1000,
            errors=errors,
            server_cpu_seconds=0.0,
        )

    async def _asyncio(self, port: int, path: str, seconds: float) -> LoadResult:
        request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds

        async def connection() -> None:
            nonlocal errors
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                while time.perf_counter() < deadline:
                    sent = time.perf_counter()
                    writer.write(request)
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for header in head.split(b"\r\n"):
                        if header.lower().startswith(b"content-length:"):
                            length = int(header.split(b":", 1)[1])
                    await reader.readexactly(length)
                    if not head.startswith(b"HTTP/1.1 200"):
                        errors += 1
                    latencies.append(time.perf_counter() - sent)
            finally:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(self.connections)))
        elapsed = time.perf_counter() - started
        return LoadResult(
            requests=len(latencies),
            seconds=elapsed,
            p50_ms=percentile(latencies, 0.5) * 1000,
            p90_ms=percentile(latencies, 0.9) * 1000,
            p99_ms=percentile(latencies, 0.99) * 1000,
            max_ms=max(latencies) * 1000,
            errors=errors,
            server_cpu_seconds=0.0,
        )


# ---------------------------------------------------------------------------------------
# Cases.


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def described(result: LoadResult) -> dict[str, Any]:
    return {
        "rps": round(result.rps, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "max_ms": round(result.max_ms, 2),
        "requests": result.requests,
        "errors": result.errors,
        "server_cpu_ms_per_request": round(
            result.server_cpu_seconds * 1000 / max(1, result.requests), 3
        ),
        "server_cpu_share": round(result.server_cpu_seconds / result.seconds, 2),
    }


def ensure_database(
    folder: Path, data: Path | None, name: str, acts: int, news: int, nats_url: str
) -> tuple[Path, Loaded, bool]:
    """A migrated, filled database; reused from `data` when one of the same size is there."""
    home = data if data is not None else folder
    home.mkdir(parents=True, exist_ok=True)
    database = home / f"{name}.db"
    marker = home / f"{name}.json"
    # The same documents on the same schema (the website's migrations, by name).
    made_of = {"acts": acts, "news": news, "seed": SEED, "data_version": DATA_VERSION,
               "migrations": sorted(path.name for path in MIGRATIONS.glob("*.py"))}  # fmt: skip
    if data is not None and database.exists() and marker.exists():
        saved = json.loads(marker.read_text())
        if saved.get("made_of") == made_of:
            return database, Loaded(acts, news, saved["seconds"], saved["act_ids"]), True
    for stale in (database, home / f"{name}.db-wal", home / f"{name}.db-shm"):
        stale.unlink(missing_ok=True)
    migrate(folder, database, nats_url)
    loaded = asyncio.run(fill(f"sqlite:///{database}", acts, news))
    marker.write_text(json.dumps({"made_of": made_of, **loaded.__dict__}))
    return database, loaded, False


def pages_case(
    arguments: argparse.Namespace,
    folder: Path,
    nats_url: str,
    split: tuple[set[int], set[int]] | None,
) -> None:
    server_cpus, client_cpus = split if split else (None, None)
    database, loaded, reused = ensure_database(
        folder, arguments.data, "pages", arguments.acts, arguments.news, nats_url
    )
    load = Load(folder, arguments.connections, client_cpus)
    if not load.wrk:
        print("wrk is not installed (apt-get install wrk): falling back to the asyncio "
              "client, whose own cost limits what it can measure", file=sys.stderr)  # fmt: skip
    website, readiness = start_website(folder, database, nats_url, server_cpus)
    act_id = loaded.act_ids[len(loaded.act_ids) // 2]
    paths = {
        "home": "/",
        "act": f"/acts/{act_id}",
        "search": "/search?q=" + urllib.parse.quote(arguments.page_query),
    }
    try:
        bodies: dict[str, bytes] = {}
        for name, path in paths.items():
            status, body = get(website.port, path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
            bodies[name] = body
        rendering = {name: render_ms(website.port, path) for name, path in paths.items()}
        baseline = start_baseline(folder, bodies, server_cpus)
        try:
            for name, path in paths.items():
                load.run(website, path, arguments.warmup)
                load.run(baseline, f"/{name}", arguments.warmup)
                runs = [
                    load.run(baseline, f"/{name}", arguments.seconds),
                    load.run(website, path, arguments.seconds),
                    load.run(baseline, f"/{name}", arguments.seconds),
                ]
                before, page, after = runs
                mean_baseline = (before.rps + after.rps) / 2
                ratio = page.rps / mean_baseline
                fields: dict[str, Any] = {
                    "case": "page",
                    "page": name,
                    "path": urllib.parse.unquote(path),
                    "body_bytes": len(bodies[name]),
                    "load_generator": load.name,
                    "connections": arguments.connections,
                    "seconds": arguments.seconds,
                    "page_result": described(page),
                    "baseline_runs": [described(before), described(after)],
                    "render_ms": rendering[name],
                    "ratio": round(ratio, 3),
                    "ratio_range": [
                        round(page.rps / max(before.rps, after.rps), 3),
                        round(page.rps / min(before.rps, after.rps), 3),
                    ],
                }
                if name in ("home", "act"):
                    fields |= {"target_ratio": TARGET_RATIO, "target_met": ratio >= TARGET_RATIO}
                emit(
                    **fields,
                    documents={"acts": loaded.acts, "news": loaded.news},
                    load_seconds=round(loaded.seconds, 1),
                    reused_data=reused,
                    pinned={"server": sorted(server_cpus or []),
                            "client": sorted(client_cpus or [])},
                    website_ready=readiness.get("status") == "ready",
                    **context(),
                )  # fmt: skip
        finally:
            baseline.stop()
    finally:
        website.stop()


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 0.5), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
        "mean_ms": round(statistics.fmean(values), 2),
    }


def search_case(
    arguments: argparse.Namespace,
    folder: Path,
    nats_url: str,
    split: tuple[set[int], set[int]] | None,
) -> None:
    server_cpus, client_cpus = split if split else (None, None)
    database, loaded, reused = ensure_database(
        folder, arguments.data, "search", arguments.search_acts, 0, nats_url
    )
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)
    queries = QUERIES[: arguments.queries]
    rounds = arguments.rounds
    shared = {
        "documents": {"acts": loaded.acts, "news": 0},
        "load_seconds": round(loaded.seconds, 1),
        "reused_data": reused,
        "queries": len(queries),
        "rounds": rounds,
        "database_mb": round(database.stat().st_size / 2**20, 1),
    }

    # Over HTTP: one client, one keep-alive connection, one request at a time.
    website, readiness = start_website(folder, database, nats_url, server_cpus)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", website.port, timeout=60)
        timings: dict[str, list[float]] = {query: [] for query in queries}
        number = 0
        cpu_before = wall_before = 0.0
        for round_number in range(rounds + 1):
            if round_number == 1:
                cpu_before = cpu_seconds(website.process.pid)
                wall_before = time.perf_counter()
            for query in queries:
                started = time.perf_counter()
                # A distinct unused parameter on every request: the site's page cache must
                # not turn this into a measurement of the cache.
                number += 1
                connection.request("GET", f"/search?q={urllib.parse.quote(query)}&n={number}")
                response = connection.getresponse()
                body = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 200:
                    raise RuntimeError(
                        f"search {query!r} answered {response.status}: {body[:300]!r}"
                    )
                if round_number > 0:  # the first round warms up
                    timings[query].append(elapsed)
        server_cpu = cpu_seconds(website.process.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        connection.close()
    finally:
        website.stop()
    everything = [value for values in timings.values() for value in values]
    http_summary = summary(everything)
    # The server's own CPU time per search: a latency far above it means the server
    # waited, for the client or for a CPU it shares with the rest of the machine.
    http_summary |= {
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, len(everything)), 2),
        "server_cpu_share": round(server_cpu / max(wall, 1e-9), 2),
    }

    # The search function itself, in this process, with SQL time split out.
    hits_of: dict[str, int] = {}
    function_timings: dict[str, list[float]] = {query: [] for query in queries}
    sql_ms: dict[str, float] = {}
    asyncio.run(time_search_function(database, queries, rounds, function_timings, hits_of, sql_ms))
    function_all = [value for values in function_timings.values() for value in values]
    per_query = {
        query: {
            "hits": min(hits_of[query], RANKED),
            "more_hits": hits_of[query] > RANKED,
            "http_p50_ms": round(statistics.median(timings[query]), 2),
            "function_p50_ms": round(statistics.median(function_timings[query]), 2),
        }
        for query in queries
    }
    p95 = http_summary["p95_ms"]
    emit(
        case="search_http",
        **http_summary,
        requests=len(everything),
        target_p95_ms=TARGET_SEARCH_P95_MS,
        target_met=p95 <= TARGET_SEARCH_P95_MS,
        per_query=per_query,
        website_ready=readiness.get("status") == "ready",
        **shared,
        **context(),
    )
    calls = len(function_all)
    emit(
        case="search_function",
        **summary(function_all),
        calls=calls,
        sql_ms_per_call={name: round(total / calls, 2) for name, total in sql_ms.items()},
        python_ms_per_call=round((sum(function_all) - sum(sql_ms.values())) / calls, 2),
        **shared,
        **context(),
    )


async def time_search_function(
    database_path: Path,
    queries: list[str],
    rounds: int,
    timings: dict[str, list[float]],
    hits_of: dict[str, int],
    sql_ms: dict[str, float],
) -> None:
    database = Database(f"sqlite:///{database_path}")
    counting = False
    started_at: dict[int, float] = {}

    def kind(statement: str) -> str:
        text = " ".join(statement.split()).lower()
        if text.startswith("select count(*)"):
            return "count"
        if "search_fts match" in text or " @@ " in text:
            return "ranked"  # the page's hits, by relevance or newest first
        if "from search_entries" in text:
            return "entries"
        if "from public_documents" in text:
            return "documents"
        return "other"

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started_at[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        begun = started_at.pop(id(cursor), None)
        if counting and begun is not None:
            name = kind(statement)
            sql_ms[name] = sql_ms.get(name, 0.0) + (time.perf_counter() - begun) * 1000

    sa_event.listen(database.engine.sync_engine, "before_cursor_execute", before)
    sa_event.listen(database.engine.sync_engine, "after_cursor_execute", after)
    try:
        for round_number in range(rounds + 1):
            counting = round_number > 0
            for query in queries:
                started = time.perf_counter()
                async with database.session() as session:
                    found = await search(session, query, limit=20)
                elapsed = (time.perf_counter() - started) * 1000
                hits_of[query] = found.total
                if counting:
                    timings[query].append(elapsed)
    finally:
        await database.dispose()


@contextmanager
def nats(folder: Path) -> Iterator[NatsServer]:
    server = NatsServer(folder / "nats")
    original = os.sched_getaffinity(0)
    split = cpus()
    if split:  # the idle nats-server stays off the server's CPU
        os.sched_setaffinity(0, split[1])
    try:
        server.start()
    finally:
        os.sched_setaffinity(0, original)
    try:
        yield server
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--acts", type=int, default=10_000)
    parser.add_argument("--news", type=int, default=5_000)
    parser.add_argument("--search-acts", type=int, default=100_000)
    parser.add_argument("--cases", choices=["all", "pages", "search"], default="all")
    parser.add_argument("--seconds", type=int, default=10, help="each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="uncounted run before each")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--page-query", default="ახმეტა", help="the search in the page case")
    parser.add_argument("--queries", type=int, default=len(QUERIES))
    parser.add_argument("--rounds", type=int, default=10, help="search case: rounds of queries")
    parser.add_argument("--data", type=Path, help="keep (and reuse) the databases here")
    parser.add_argument("--serve-baseline", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve_baseline:
        serve_baseline(arguments.serve_baseline, arguments.port)
        return
    folder = Path(tempfile.mkdtemp(prefix="meria-bench-website-"))
    split = cpus()
    try:
        with nats(folder) as nats_server:
            if arguments.cases in ("all", "pages"):
                pages_case(arguments, folder, nats_server.url, split)
            if arguments.cases in ("all", "search"):
                search_case(arguments, folder, nats_server.url, split)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
