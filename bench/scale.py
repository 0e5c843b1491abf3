"""How fast every list and every page answers on a department after years of work.

Run: `.venv/bin/python bench/scale.py [--scale 1] [--data DIR] [--requests 100]`
(`--scale 0.1` for a quick run; `--data DIR` keeps the generated databases there and
reuses them; `--only media,portal` measures some processes; `--markdown FILE` writes the
summary table there as well; `--help` for the rest).

The dataset is `bench/scale_data.py`'s: at scale 1, 100,000 documents with their editions
and audit trail (and the website's read model of every one published), 20,000 events,
2,000 visits with their tasks, 500 partners and projects, 10,000 journalists in 50
lists, 50,000 monitored stories, 20,000 library files, 5,000 information requests, and
the staff's notifications. It is built once per scale and data version (how long it took
is on the `dataset` line), brought to the code's schema by its migrations when kept from
an earlier run, and copied afresh for each run, so what a run changes (sign-ins, sweeps)
never reaches the next one.

Every process runs as production runs it: `meria run <name>` in a process of its own, on
the copied databases, with a real nats-server (a user per process) and the Temporal dev
server (the portal's inbox and dashboard read its visibility). Then, process by process,
one client sends the requests one after another over one keep-alive connection (closed
loop: one person's browser, not a saturated server):

- `baseline`: `GET /healthz/live` of the same process, before and after its cases.
- `list`: every GET operation of each API's OpenAPI document without path parameters,
  and those with one id, asked with an existing one (the newest published document, an
  upcoming visit, …), with a token of a person holding every staff role and `admin`
  (the worker's own token where only the worker is admitted); a few variants a desk
  uses every day beside them (a text search, a deep page, the busiest month).
- `page`: every portal page (GET routes of the portal's app, ids filled in the same
  way), signed in as an administrator and as a member of staff whose role the page
  serves; every page of the public website, each request with a distinct unused
  parameter so the site's page cache never answers it (what a page costs when it is not
  kept, as for the first reader).

Each case: a warm-up request, then up to `--requests` requests or `--seconds` of them
(at least `--least`); a case whose first request takes over two seconds is asked three
times only, and one that takes over `--timeout` seconds once. Figures: p50, p95, p99 and
max in ms, the answer's size, and `ratio_p95` over the process's baseline p95 (the mean
of before and after). Goal (issue 16): p95 ≤ 200 ms and ≤ 20 × the baseline; a case over
it is marked (`over_goal` with the reasons).

Output: one JSON line per case on stdout, each with the commit of the measured code
(`-dirty` when the work tree differs), the CPU count and the load average (this machine
may be shared: read the figures next to it), then a Markdown table of every case on
stderr (and in `--markdown FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
import scale_data
from reporting import CODE_VERSION, context, percentile

from meria.auth import User, issue_token, service_token
from meria.config import Settings
from meria.processes import PROCESSES
from meria.testing.servers import NatsServer, TemporalDevServer, free_port, wait_for_port
from services.portal.settings import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
MERIA = str(Path(sys.executable).parent / "meria")
DATA_VERSION = 2  # bump when scale_data's rows change, so kept data is rebuilt
GOAL_P95_MS = 200.0
GOAL_RATIO = 20.0
# Measured in this order: the portal before media, whose distribution lists are known to
# hold its event loop for minutes (issue 16); within a process, these paths come last.
ORDER = ("website", "publishing", "events", "visits", "portal", "media")
LAST = ("/distribution-lists", "/calendars/")
HEAVY_SECONDS = 2.0
STAFF_ROLES = frozenset(
    {"editor", "legal_reviewer", "head_of_department", "mayor", "protocol_officer",
     "media_officer", "admin"}
)  # fmt: skip
# The portal's people: the administrator, then staff by the role a page serves.
PORTAL_PEOPLE = {
    "admin": "portal.admin",
    "head": "tamar.gelashvili",
    "editor": "nino.beridze",
    "protocol": "mariam.chokheli",
    "media": "giorgi.khizanishvili",
    "requester": "eka.buchukuri",
}
# Portal and website routes that are not pages: files, feeds of a single visit, sign-in
# through the identity provider, the language switch.
# Not asked: the process's own plumbing; and what answers only for a case whose workflow
# runs (a status, a workflow's draft) or a token made with the building run's secret: the
# dataset's cases have no workflows on the run's fresh Temporal server, so those answer
# 404 or 409 by design, which says nothing of speed.
NOT_ASKED = re.compile(
    r"^/(healthz|metrics|docs|openapi|\.well-known)|/status$|-draft$|^/public/badges/"
)
NOT_PAGES = re.compile(
    r"(/sign-in/oidc|/oidc/|/language$|\.pdf$|\.ics$|\.svg$|\.csv$|/files/|/attachments/"
    r"|^/static|/healthz|/metrics|^/docs|^/openapi|jwks)"
)


# ---------------------------------------------------------------------------------------
# Lines.


def emit(**fields: Any) -> None:
    print(json.dumps(fields | context(), ensure_ascii=False, default=str), flush=True)


# ---------------------------------------------------------------------------------------
# The dataset, built once and copied for each run.


def dataset(data: Path | None, scale: scale_data.Scale) -> tuple[Path, dict[str, Any], bool]:
    """The built department for `scale` (under `data`, or a temporary folder); reused
    when one of the same scale, seed, data version and migrations is there."""
    home = (data or Path(tempfile.mkdtemp(prefix="meria-scale-data-"))) / f"scale-{scale.factor:g}"
    marker = home / "dataset.json"
    made_of = {"scale": scale.factor, "seed": scale_data.SEED, "data_version": DATA_VERSION}
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved.get("made_of") == made_of:
            upgrade(home)
            return home, saved["facts"], True
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    started = time.perf_counter()
    facts = asyncio.run(scale_data.build(home, scale, DEMO_PASSWORD))
    facts["build_seconds"] = round(time.perf_counter() - started, 1)
    marker.write_text(json.dumps({"made_of": made_of, "facts": facts}, ensure_ascii=False))
    return home, facts, False


def upgrade(home: Path) -> None:
    """Kept databases brought to the code's schema, as `meria migrate` brings a
    department's databases after an upgrade (once: the kept data stays upgraded)."""
    for service in scale_data.SERVICES:
        asyncio.run(scale_data.migrate_service(scale_data.database_url(home, service), service))


def working_copy(home: Path, run: Path) -> None:
    """The databases copied, so each run starts from the same rows; files are read where
    they were built. The staff sign in with today's demo password, whatever it was when
    the kept data was built (a password is no part of what is measured)."""
    from services.portal.accounts import hash_password

    for service in scale_data.SERVICES:
        shutil.copyfile(home / f"{service}.db", run / f"{service}.db")
    with contextlib.closing(sqlite3.connect(run / "portal.db")) as portal, portal:
        portal.execute("UPDATE accounts SET password_hash = ?", (hash_password(DEMO_PASSWORD),))


# ---------------------------------------------------------------------------------------
# The stack, as production runs it.


@dataclass
class Process:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Stack:
    run: Path
    ports: dict[str, int]
    env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


def stack_env(home: Path, run: Path, ports: dict[str, int], nats: str, temporal: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(run / "var"),
        "MERIA_NATS_URL": nats,
        "MERIA_TEMPORAL_ADDRESS": temporal,
        "MERIA_LOG_LEVEL": "WARNING",
        "MERIA_PUBLISHING_ATTACHMENTS_DIR": str(home / "var" / "publishing" / "attachments"),
        "MERIA_MEDIA_LIBRARY_URL": str(home / "var" / "media" / "library"),
        "MERIA_WEBSITE_PUBLIC_URL": f"http://127.0.0.1:{ports['website']}",
    }
    for name, port in ports.items():
        env[f"MERIA_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        env[f"MERIA_{name.upper()}_PORT"] = str(port)
        env[f"MERIA_{name.upper()}_DATABASE_URL"] = scale_data.database_url(run, name)
    return env


def start(stack: Stack, name: str) -> Process:
    log = stack.run / f"{name}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [MERIA, "run", name], env=stack.env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=stderr,
        )  # fmt: skip
    started = Process(name, stack.ports[name], process, log)
    stack.processes[name] = started
    wait_for_port(started.port, timeout=120, process=process)
    return started


def wait_ready(process: Process, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    answer: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            response = httpx.get(f"{process.url}/healthz/ready", timeout=5)
            answer = response.json()
            if response.status_code == 200:
                break
        time.sleep(0.3)
    return answer


@contextmanager
def running(home: Path) -> Iterator[Stack]:
    run = Path(tempfile.mkdtemp(prefix="meria-scale-run-"))
    nats = NatsServer(run / "nats")
    temporal = TemporalDevServer(run / "temporal")
    stack: Stack | None = None
    try:
        working_copy(home, run)
        nats.start()
        temporal.start()
        ports = {name: free_port() for name in scale_data.SERVICES}
        stack = Stack(run, ports, stack_env(home, run, ports, nats.url, temporal.address))
        for name in scale_data.SERVICES:
            start(stack, name)
        for process in stack.processes.values():
            readiness = wait_ready(process)
            if readiness.get("status") != "ready":
                print(f"scale: {process.name} not ready: {readiness}", file=sys.stderr)
        yield stack
    finally:
        if stack is not None:
            for process in stack.processes.values():
                process.stop()
        temporal.stop()
        nats.stop()
        shutil.rmtree(run, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# What to ask: cases from each API's OpenAPI document and each HTML app's routes.


@dataclass
class Case:
    process: str
    kind: str  # list | page
    path: str  # the route, as declared
    url: str  # the path asked, ids filled in
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def ids_for(facts: dict[str, Any], process: str) -> dict[str, Any]:
    """Existing ids by path parameter name, per process."""
    ids = facts["ids"]
    this_year = datetime.now(UTC).year
    common = {"year": this_year}
    match process:
        case "publishing":
            return common | {"document_id": ids["publishing"]["document_id"]}
        case "events":
            return common | {"event_id": ids["events"]["meeting_id"], "code": "mayor"}
        case "visits":
            return common | ids["visits"]
        case "media":
            media = ids["media"]
            return common | media | {"event_id": media["window_event_id"],
                                     "token": media.get("badge_token", "unknown")}  # fmt: skip
        case "website":
            return common | ids["publishing"] | {"slug": "about", "name": "acts", "part": 20}
        case "portal":
            media = ids["media"]
            return common | {
                "document_id": ids["publishing"]["document_id"],
                "event_id": ids["events"]["press_conference_id"],
                "visit_id": ids["visits"]["visit_id"], "item_id": media["item_id"],
                "response_id": media["response_id"], "request_id": media["request_id"],
                "library_id": media["library_id"],
            }  # fmt: skip
    return common


def required_values() -> dict[str, Any]:
    """Values for required query parameters, by name."""
    return {"month": datetime.now(UTC).strftime("%Y-%m"), "year": datetime.now(UTC).year,
            "metric": "visitors"}  # fmt: skip


# Where routes name different things alike: the library's items are not monitored ones,
# and each section of the website shows documents of its own types.
SAME_NAME = {
    ("/library/", "item_id"): "library_id",
    ("/media/library/", "item_id"): "library_id",
    ("/acts/", "document_id"): "act_id",
    ("/news/", "document_id"): "news_id",
    ("/press-releases/", "document_id"): "press_release_id",
    ("/announcements/", "document_id"): "announcement_id",
    ("/digests/", "document_id"): "press_digest_id",
}


def filled(path: str, ids: dict[str, Any]) -> str | None:
    for (prefix, name), source in SAME_NAME.items():
        if path.removeprefix("/en").startswith(prefix) and source in ids:
            ids = ids | {name: ids[source]}
    names = re.findall(r"{(\w+)}", path)
    if len(names) > 1 or any(name not in ids for name in names):
        return None
    return re.sub(r"{(\w+)}", lambda found: str(ids[found.group(1)]), path)


def api_cases(process: str, schema: dict[str, Any], facts: dict[str, Any]) -> list[Case]:
    ids = ids_for(facts, process)
    values = required_values()
    cases = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or NOT_ASKED.search(path):
            continue
        url = filled(path, ids)
        if url is None:
            continue
        params = {}
        for parameter in get.get("parameters", []):
            if parameter.get("in") == "query" and parameter.get("required"):
                params[parameter["name"]] = values.get(parameter["name"], "")
        cases.append(Case(process, "list", path, url, params))
    return cases


def html_routes(process: str) -> list[str]:
    """Every GET route of a process's app (the portal's and the website's pages are not
    in their OpenAPI documents)."""
    from meria.config import load_settings

    spec = PROCESSES[process]
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MERIA_VAR_DIR"] = folder
        try:
            app = spec.load().create_app(load_settings(spec.settings_class()))
        finally:
            del os.environ["MERIA_VAR_DIR"]
    found: list[str] = []

    def walk(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(route.path)

    walk(app.router.routes)
    return list(dict.fromkeys(found))


def page_cases(process: str, facts: dict[str, Any], api: set[str]) -> list[Case]:
    ids = ids_for(facts, process)
    cases = []
    # Not asked: the sign-in form (no data behind it) and following a notification (it
    # marks the notification read, a write).
    for path in html_routes(process):
        if (
            path in api
            or NOT_PAGES.search(path)
            or path in ("/sign-in", "/notifications/{notification_id}")
        ):
            continue
        url = filled(path, ids)
        if url is not None:
            cases.append(Case(process, "page", path, url))
    return cases


def variants(facts: dict[str, Any]) -> list[Case]:
    """What a desk asks every day beside the plain lists: a word, a deep page, a month."""
    deep = facts["counts"]["publishing"]["documents"] // 2
    month = facts["ids"]["events"]["busiest_month"]
    word = "ახმეტის"
    return [
        Case("publishing", "list", "/documents", "/documents", {"text": word}, note="text"),
        Case("publishing", "list", "/documents", "/documents", {"offset": deep}, note="deep"),
        Case("publishing", "list", "/documents", "/documents",
             {"document_type": "mayor_order", "year": datetime.now(UTC).year - 1},
             note="type+year"),
        Case("events", "list", "/events", "/events", {"month": month, "limit": 2000},
             note="busiest month, as the portal's calendar"),
        Case("visits", "list", "/visits", "/visits", {"limit": 50}, note="as the portal's list"),
        Case("media", "list", "/journalists", "/journalists", {"text": "ბერიძე"}, note="text"),
        Case("media", "list", "/monitoring-items", "/monitoring-items", {"text": word},
             note="text"),
        Case("media", "list", "/library", "/library", {"text": "ფესტივალი"}, note="text"),
        Case("media", "list", "/information-requests", "/information-requests",
             {"text": "სკოლის"}, note="text"),
        # Acts are about half of the documents: the middle of their registry.
        Case("website", "page", "/acts", "/acts", {"page": deep // 40}, note="deep"),
        Case("website", "page", "/search", "/search", {"q": "ახმეტაში"}, note="frequent word"),
        Case("portal", "page", "/documents", "/documents", {"page": deep // 20}, note="deep"),
        Case("portal", "page", "/events", "/events", {"month": month}, note="busiest month"),
        Case("portal", "page", "/events", "/events", {"month": month, "view": "list"},
             note="busiest month, listed"),
        Case("portal", "page", "/dashboard", "/dashboard", {"stages": "1"}, note="by stage"),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------
# Asking.


@dataclass
class Measured:
    status: int
    latencies: list[float]
    size: int
    timed_out: bool = False
    unresponsive_s: float = 0.0


def ask(http: httpx.Client, case: Case, headers: dict[str, str], number: int) -> httpx.Response:
    params = dict(case.params)
    if case.process == "website":
        params["n"] = number  # a distinct unused parameter: never the page cache
    return http.get(case.url, params=params, headers=headers)


def measure(
    http: httpx.Client,
    case: Case,
    headers: dict[str, str],
    arguments: argparse.Namespace,
    live_url: str,
) -> Measured:
    number = 0

    def once() -> tuple[float, httpx.Response]:
        nonlocal number
        number += 1
        started = time.perf_counter()
        response = ask(http, case, headers, number)
        return time.perf_counter() - started, response

    try:
        first, response = once()
    except httpx.TimeoutException:
        return Measured(0, [arguments.timeout], 0, True, wait_live(live_url))
    if response.status_code >= 400:
        return Measured(response.status_code, [], len(response.content))
    if first > arguments.timeout / 2:
        return Measured(response.status_code, [first], len(response.content))
    wanted = 3 if first > HEAVY_SECONDS else arguments.requests
    latencies: list[float] = []
    deadline = time.monotonic() + arguments.seconds
    while len(latencies) < wanted and (
        time.monotonic() < deadline or len(latencies) < min(wanted, arguments.least)
    ):
        try:
            elapsed, response = once()
        except httpx.TimeoutException:
            return Measured(0, [*latencies, arguments.timeout], 0, True, wait_live(live_url))
        latencies.append(elapsed)
    return Measured(response.status_code, latencies, len(response.content))


def wait_live(url: str, seconds: float = 600) -> float:
    """How long the process took to answer its liveness again after a request timed out."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code == 200:
                break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def baseline(http: httpx.Client, requests: int) -> dict[str, float]:
    for _ in range(5):
        http.get("/healthz/live")
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        http.get("/healthz/live")
        latencies.append(time.perf_counter() - started)
    return summary(latencies)


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }


# ---------------------------------------------------------------------------------------
# Who asks.


def api_headers(settings: Settings) -> dict[str, dict[str, str]]:
    person = User(id="bench.staff", name="ბენჩი", roles=STAFF_ROLES)  # type: ignore[arg-type]
    worker = PROCESSES["worker"].settings_class()()
    return {
        "staff": {"Authorization": f"Bearer {issue_token(settings, person, ttl_seconds=8 * 3600)}"},
        "worker": {"Authorization": f"Bearer {service_token(worker)}"},
    }


CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')


def signed_in(base: str, username: str, timeout: float) -> httpx.Client:
    """A browser signed in to the portal as `username`."""
    browser = httpx.Client(base_url=base, timeout=timeout, follow_redirects=False)
    form = browser.get("/sign-in")
    token = CSRF_FIELD.search(form.text)
    answer = browser.post("/sign-in", data={
        "csrftoken": token.group(1) if token else "", "username": username,
        "password": DEMO_PASSWORD, "next": "/",
    })  # fmt: skip
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"{username} could not sign in: {answer.status_code}")
    return browser


# ---------------------------------------------------------------------------------------
# Running the cases.


@dataclass
class Row:
    case: Case
    measured: Measured
    baseline_p95: float
    who: str

    @property
    def figures(self) -> dict[str, float]:
        return summary(self.measured.latencies) if self.measured.latencies else {}

    @property
    def reasons(self) -> list[str]:
        figures = self.figures
        if self.measured.timed_out:
            return ["timed out"]
        if not figures:
            return [f"answered {self.measured.status}"]
        why = []
        if figures["p95_ms"] > GOAL_P95_MS:
            why.append(f"p95 > {GOAL_P95_MS:g} ms")
        if figures["p95_ms"] > GOAL_RATIO * self.baseline_p95:
            why.append(f"p95 > {GOAL_RATIO:g} × baseline")
        return why


def run_process(
    stack: Stack, name: str, cases: list[Case], arguments: argparse.Namespace, shared: dict
) -> list[Row]:
    """The process's cases between two baselines; a line for each."""
    process = stack.processes[name]
    live = f"{process.url}/healthz/live"
    http = httpx.Client(base_url=process.url, timeout=arguments.timeout)
    before = baseline(http, arguments.baseline_requests)
    emit(case="baseline", process=name, when="before", **before, **shared)
    rows: list[Row] = []
    cases = sorted(cases, key=lambda case: any(case.path.startswith(p) for p in LAST))
    try:
        people = identities(stack, name, arguments)
        for case in cases:
            rows += run_case(http, case, people, arguments, live)
    finally:
        after = baseline(http, arguments.baseline_requests)
        emit(case="baseline", process=name, when="after", **after, **shared)
        http.close()
    for row in rows:
        row.baseline_p95 = (before["p95_ms"] + after["p95_ms"]) / 2
        emit(**line(row), **shared)
    return rows


def identities(stack: Stack, name: str, arguments: argparse.Namespace) -> dict[str, Any]:
    """Headers (APIs) and, for the portal, signed-in browsers, by who they are."""
    people: dict[str, Any] = {"headers": api_headers(Settings())}
    if name == "portal":
        people["browsers"] = {
            who: signed_in(stack.url("portal"), username, arguments.timeout)
            for who, username in PORTAL_PEOPLE.items()
        }
    return people


def run_case(
    http: httpx.Client,
    case: Case,
    people: dict[str, Any],
    arguments: argparse.Namespace,
    live: str,
) -> list[Row]:
    if case.process == "portal" and case.kind == "page":
        return portal_case(case, people["browsers"], arguments, live)
    headers = people["headers"]
    if case.process == "website" and case.kind == "page":
        return [Row(case, measure(http, case, {}, arguments, live), 0, "public")]
    measured = measure(http, case, headers["staff"], arguments, live)
    if measured.status == 403:
        return [Row(case, measure(http, case, headers["worker"], arguments, live), 0, "worker")]
    return [Row(case, measured, 0, "staff")]


def portal_case(
    case: Case, browsers: dict[str, httpx.Client], arguments: argparse.Namespace, live: str
) -> list[Row]:
    """A page as the administrator, and as the first member of staff it admits (none for
    the administrator's own pages)."""
    measured = measure(browsers["admin"], case, {}, arguments, live)
    # The administrator is refused the department's own work (partners, venues) by design.
    rows = [Row(case, measured, 0, "admin")] if measured.status != 403 else []
    for who in ("head", "editor", "protocol", "media", "requester"):
        measured = measure(browsers[who], case, {}, arguments, live)
        if measured.status != 403:
            rows.append(Row(case, measured, 0, who))
            break
    return rows


def line(row: Row) -> dict[str, Any]:
    case = row.case
    figures = row.figures
    fields: dict[str, Any] = {
        "case": case.kind, "process": case.process, "path": case.path, "url": case.url,
        "params": case.params, "variant": case.note or None, "as": row.who,
        "status": row.measured.status, "requests": len(row.measured.latencies),
        **figures, "bytes": row.measured.size, "baseline_p95_ms": round(row.baseline_p95, 2),
    }  # fmt: skip
    if figures:
        fields["ratio_p95"] = round(figures["p95_ms"] / max(row.baseline_p95, 0.01), 1)
    if row.measured.timed_out:
        fields["timed_out"] = True
        fields["unresponsive_after_s"] = row.measured.unresponsive_s
    reasons = row.reasons
    fields["over_goal"] = bool(reasons)
    if reasons:
        fields["why"] = reasons
    return fields


def table(rows: list[Row], heading: str) -> str:
    out = [
        heading,
        "",
        "| process | case | as | status | n | p50 ms | p95 ms | p99 ms | base p95 | × base "
        "| goal |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        case, figures = row.case, row.figures
        label = case.url + (f"?{'&'.join(f'{k}={v}' for k, v in case.params.items())}"
                            if case.params else "")  # fmt: skip
        label = f"`{label}`" + (f" ({case.note})" if case.note else "")
        mark = "✗ " + ", ".join(row.reasons) if row.reasons else "ok"
        if figures:
            ratio = figures["p95_ms"] / max(row.baseline_p95, 0.01)
            numbers = (f"{len(row.measured.latencies)} | {figures['p50_ms']:.1f} | "
                       f"{figures['p95_ms']:.1f} | {figures['p99_ms']:.1f} | "
                       f"{row.baseline_p95:.1f} | {ratio:.1f}")  # fmt: skip
        else:
            numbers = f"0 | – | – | – | {row.baseline_p95:.1f} | –"
        out.append(f"| {case.process} | {label} | {row.who} | {row.measured.status} | "
                   f"{numbers} | {mark} |")  # fmt: skip
    return "\n".join(out)


def all_cases(stack: Stack, facts: dict[str, Any], chosen: set[str]) -> dict[str, list[Case]]:
    cases: dict[str, list[Case]] = {name: [] for name in ORDER if name in chosen}
    api_paths: dict[str, set[str]] = {}
    for name in cases:
        schema = httpx.get(f"{stack.url(name)}/openapi.json", timeout=60).json()
        api_paths[name] = set(schema["paths"])
        cases[name] += api_cases(name, schema, facts)
        if name in ("portal", "website"):
            cases[name] += page_cases(name, facts, api_paths[name])
    for variant in variants(facts):
        if variant.process in cases:
            cases[variant.process].append(variant)
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the department above")
    parser.add_argument("--data", type=Path, help="keep (and reuse) the built dataset here")
    parser.add_argument("--requests", type=int, default=100, help="most requests per case")
    parser.add_argument("--least", type=int, default=20, help="fewest requests per case")
    parser.add_argument("--seconds", type=float, default=15, help="time per case")
    parser.add_argument("--baseline-requests", type=int, default=300)
    parser.add_argument("--timeout", type=float, default=60, help="longest one request")
    parser.add_argument("--only", help="processes to measure, e.g. media,portal")
    parser.add_argument("--markdown", type=Path, help="also write the table here")
    parser.add_argument("--build-only", action="store_true", help="build --data and stop")
    arguments = parser.parse_args()
    scale = scale_data.Scale(arguments.scale)
    home, facts, reused = dataset(arguments.data, scale)
    shared = {"scale": scale.factor}
    emit(case="dataset", folder=str(home), reused=reused, counts=facts["counts"],
         build_seconds=facts.get("build_seconds"), fill_seconds=facts["seconds"])  # fmt: skip
    if arguments.build_only:
        return
    chosen = set(arguments.only.split(",")) if arguments.only else set(ORDER)
    rows: list[Row] = []
    try:
        with running(home) as stack:
            for name, cases in all_cases(stack, facts, chosen).items():
                rows += run_process(stack, name, cases, arguments, shared)
    finally:
        if arguments.data is None:
            shutil.rmtree(home.parent, ignore_errors=True)
    over = [row for row in rows if row.reasons]
    heading = (f"Scale {scale.factor:g} at {CODE_VERSION}, {os.cpu_count()} CPUs, load "
               f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}: {len(rows)} cases, "
               f"{len(over)} over the goal (p95 ≤ {GOAL_P95_MS:g} ms and ≤ "
               f"{GOAL_RATIO:g} × baseline)")  # fmt: skip
    text = table(rows, heading)
    print(text, file=sys.stderr)
    if arguments.markdown:
        arguments.markdown.write_text(text + "\n")


if __name__ == "__main__":
    main()
