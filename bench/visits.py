"""How many delegation visits the stack carries at once, on the stack as `make run` starts it.

Run: `.venv/bin/python bench/visits.py [--visits 200] [--concurrency 50]`

The benchmark starts nats-server, the Temporal dev server (as `meria run temporal` does),
and the publishing and visits services and the workflow worker as separate processes
(`meria run …`), all in a temporary folder on free ports. A script plays the staff over
HTTP: it requests the visits (each an official delegation landing today, its twelve
logistics tasks due in two hours), the mayor approves them, their owners complete every
task, the delegations' flights are moved to land a few seconds later and leave a few
seconds after that, and the reports are written, so that each visit ends closed with its
press release submitted in publishing. It prints one JSON line per case:

- `trivial`: a workflow of one do-nothing activity, N of them started at once on the same
  Temporal server by this process: workflows per minute. The baseline, measured in the
  same run, because this machine is shared and its speed varies.
- `inbox_baseline`: for trivial workflows, from the result to the workflow's leaving the
  list of running ones (Temporal's visibility): the least an inbox can lag.
- `visits_preparation`: N visits at once from the mayor's approval to `ready` (the
  approval and twelve tasks each, every one an Update through the visits API): tasks
  completed per minute, visits ready per minute, and workflows per minute (a visit runs
  fourteen: itself, the approval, twelve tasks) against `trivial`.
- `visits_closing`: from each delegation's departure to its `visits.visit.completed`
  event (report due, report written and done, press release created and submitted):
  p50, p99, and visits closed per minute.
- `inbox_latency`: for one task of each visit, from the completion's HTTP answer to the
  task's leaving the inbox (no longer a running workflow with `MeriaKind = 'task'`).
- `worker_memory`: the worker process's resident memory idle and at its peak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import nats
from temporalio.client import Client
from temporalio.worker import Worker

from meria.auth import User, issue_token
from meria.config import Settings
from meria.temporal import AWAITING, KIND, connect
from meria.testing.servers import (
    NatsServer,
    TemporalDevServer,
    free_port,
    listener_account,
    wait_for_port,
)

sys.path.insert(0, str(Path(__file__).parent))
from trivial_workflow import Trivial, nothing

from workflows.worker import sandbox_runner

ROOT = Path(__file__).resolve().parents[1]
MERIA = str(Path(sys.executable).parent / "meria")
TBILISI = ZoneInfo("Asia/Tbilisi")
PEOPLE = {
    "protocol_officer": "bench.protocol",
    "head_of_department": "bench.head",
    "media_officer": "bench.media",
    "mayor": "bench.mayor",
}


def emit(**fields: Any) -> None:
    """One JSON line, with the machine and its load when the case ended (it is shared)."""
    fields |= {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    for process in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    children = [int(child) for child in found]
    return children + [grandchild for child in children for grandchild in _children(child)]


class Office:
    """The staff's HTTP desks, one token per role."""

    def __init__(
        self, settings: Settings, base_url: str, http: httpx.AsyncClient, requests: int
    ) -> None:
        self.base = base_url
        self.http = http
        # Requests in flight at once: the staff's browsers, not an unbounded flood.
        self.gate = asyncio.Semaphore(requests)
        self.headers = {
            role: {
                "Authorization": "Bearer "
                + issue_token(settings, User(id=user, roles=frozenset({role})), 7200)  # type: ignore[arg-type]
            }
            for role, user in PEOPLE.items()
        }

    async def call(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        async with self.gate:
            response = await self.http.request(
                method, f"{self.base}{path}", headers=self.headers[role], **kwargs
            )
        response.raise_for_status()
        return response.json() if response.content else None

    async def until_accepted(
        self, role: str, method: str, path: str, *, also: tuple[int, ...] = (), **kwargs: Any
    ) -> Any:
        """Send until the workflow is there to take it (a task not yet started answers 409,
        and the report's task does not exist before the departure: `also` 404)."""
        for _ in range(3000):
            try:
                async with self.gate:
                    response = await self.http.request(
                        method, f"{self.base}{path}", headers=self.headers[role], **kwargs
                    )
            except httpx.TransportError:
                await asyncio.sleep(0.1)  # sent again; done already answers "Task closed"
                continue
            if response.status_code == 409 and (
                response.json()["title"] == "Task closed"
                or "already been decided" in response.json().get("detail", "")
            ):
                return None  # a retry after a timeout found it done
            if response.status_code not in (409, 503, *also):
                response.raise_for_status()
                return response.json() if response.content else None
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{method} {path} never accepted: {response.text}")


class Events:
    """When each visit's events arrived on the bus."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], float] = {}
        self.waiters: dict[tuple[str, int], asyncio.Future[float]] = {}

    async def listen(self, nats_url: str) -> Any:
        _, credentials = listener_account()
        client = await nats.connect(
            nats_url, user=credentials.user, password=credentials.password.get_secret_value()
        )

        async def on_message(message: Any) -> None:
            event = json.loads(message.data)
            key = (message.subject.split(".", 1)[1], event["data"]["visit_id"])
            moment = time.time()
            self.seen.setdefault(key, moment)
            waiter = self.waiters.get(key)
            if waiter is not None and not waiter.done():
                waiter.set_result(moment)

        await client.subscribe("visits.visit.*", cb=on_message)
        return client

    async def wait(self, verb: str, visit_id: int) -> float:
        key = (f"visit.{verb}", visit_id)
        if key in self.seen:
            return self.seen[key]
        waiter = self.waiters.setdefault(key, asyncio.get_running_loop().create_future())
        return await waiter


async def trivial_case(client: Client, count: int) -> tuple[float, list[float]]:
    """Trivial workflows per minute, and for a few, result → gone from visibility (ms)."""
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    lags: list[float] = []
    async with Worker(
        client,
        task_queue=queue,
        workflows=[Trivial],
        activities=[nothing],
        workflow_runner=sandbox_runner(),
    ):
        started = time.perf_counter()
        handles = await asyncio.gather(
            *(
                client.start_workflow(Trivial.run, i, id=f"trivial-{queue}-{i}", task_queue=queue)
                for i in range(count)
            )
        )
        await asyncio.gather(*(handle.result() for handle in handles))
        per_minute = count / (time.perf_counter() - started) * 60
        for i in range(20):
            handle = await client.start_workflow(
                Trivial.run, i, id=f"trivial-lag-{queue}-{i}", task_queue=queue
            )
            await handle.result()
            done = time.perf_counter()
            query = f"WorkflowId = '{handle.id}' AND ExecutionStatus = 'Running'"
            while (await client.count_workflows(query)).count:
                await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - done) * 1000)
    return per_minute, lags


def delegation(index: int, today: Any, arrives: datetime, departs: datetime) -> dict[str, Any]:
    return {
        "kind": "incoming_official",
        "title_ka": f"საბენჩმარკო დელეგაციის ვიზიტი ახმეტაში №{index}",
        "purpose_ka": "თანამშრომლობა ტურიზმში.",
        "country": "LT",
        "arrival_on": today.isoformat(),
        "departure_on": today.isoformat(),
        "arrives_at": arrives.isoformat(),
        "departs_at": departs.isoformat(),
        "responsible": PEOPLE["protocol_officer"],
        "press_editor": "bench.editor",
    }


async def measure(arguments: argparse.Namespace) -> None:
    now = datetime.now(TBILISI)
    if (now + timedelta(minutes=30)).date() != now.date():
        raise SystemExit("bench/visits.py needs half an hour before midnight in Tbilisi")
    folder = Path(tempfile.mkdtemp(prefix="meria-bench-visits-"))
    hears_visits = listener_account("visits.visit.*")
    nats_server = NatsServer(folder / "nats", extra_users=[hears_visits]).start()
    temporal = TemporalDevServer(folder / "temporal").start()
    ports = {name: free_port() for name in ("publishing", "visits", "worker")}
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(folder / "var"),
        "MERIA_NATS_URL": nats_server.url,
        "MERIA_TEMPORAL_ADDRESS": temporal.address,
        "MERIA_LOG_LEVEL": "WARNING",
        # The gate at the hour of landing: no notice about tasks before they had a chance.
        "MERIA_VISITS_READINESS_GATE_DAYS": "0",
    }
    for name, port in ports.items():
        env[f"MERIA_{name.upper()}_PORT"] = str(port)
        env[f"MERIA_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    subprocess.run(
        [MERIA, "migrate", "publishing", "visits"], env=env, cwd=ROOT, check=True,
        capture_output=True,
    )  # fmt: skip
    processes = {
        name: subprocess.Popen(
            [MERIA, "run", name],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"{name}.log").open("wb"),
        )
        for name in ports
    }
    sampling = True
    peak = 0.0

    async def sample_memory() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss_mb(processes["worker"].pid))
            await asyncio.sleep(0.25)

    try:
        for port in ports.values():
            wait_for_port(port, timeout=180)
        settings = Settings(_env_file=None)
        client = await connect(temporal.address, "meria")
        # Idle connections are dropped before uvicorn's five-second keep-alive ends, so
        # none is reused just as the server closes it.
        limits = httpx.Limits(max_connections=arguments.requests, keepalive_expiry=2)
        async with httpx.AsyncClient(timeout=300, limits=limits) as http:
            for port in ports.values():
                for _ in range(600):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz/ready")).is_success:
                        break
                    await asyncio.sleep(0.1)
            office = Office(
                settings, f"http://127.0.0.1:{ports['visits']}", http, arguments.requests
            )
            events = Events()
            listener = await events.listen(nats_server.url)
            idle = rss_mb(processes["worker"].pid)
            sampler = asyncio.create_task(sample_memory())

            trivial, lags = await trivial_case(client, arguments.visits)
            emit(case="trivial", workflows=arguments.visits,
                 workflows_per_minute=round(trivial, 1))  # fmt: skip
            emit(case="inbox_baseline", samples=len(lags),
                 p50_ms=round(statistics.median(lags), 1),
                 p99_ms=round(percentile(lags, 0.99), 1))  # fmt: skip

            # Requests, with every task due in two hours (untimed: the staff's typing).
            today = datetime.now(TBILISI).date()
            later = datetime.now(TBILISI) + timedelta(minutes=25)
            due = (datetime.now(TBILISI) + timedelta(hours=2)).isoformat()
            limit = asyncio.Semaphore(arguments.concurrency)
            visits: list[dict[str, Any]] = []

            async def request(index: int) -> None:
                async with limit:
                    body = delegation(index, today, later, later + timedelta(minutes=1))
                    visit = await office.call("protocol_officer", "POST", "/visits", json=body)
                    for task in visit["tasks"]:
                        await office.call(
                            "protocol_officer",
                            "PATCH",
                            f"/visits/{visit['id']}/tasks/{task['key']}",
                            json={"due_at": due},
                        )
                    visits.append(visit)

            await asyncio.gather(*(request(i) for i in range(1, arguments.visits + 1)))
            task_count = sum(len(visit["tasks"]) for visit in visits)

            inbox_ms: list[float] = []
            # Sampled tasks not yet seen gone from their owner's inbox: id → when the
            # completion was answered.
            watched: dict[str, float] = {}
            owners: set[str] = set()
            watching = asyncio.Event()

            async def watch_inboxes() -> None:
                """Ask what the owner's inbox asks (a running task waiting on the role),
                for every watched task in one query every 25 ms: the dashboard's and
                every inbox's visibility queries share the namespace's ration, so a
                poller per task would measure its own throttling."""
                while watching.is_set() or watched:
                    batch = list(watched)[:200]
                    if batch:
                        ids = ", ".join(f"'{task_id}'" for task_id in batch)
                        query = (
                            f"WorkflowId IN ({ids}) AND {KIND.name} = 'task' AND "
                            f"ExecutionStatus = 'Running' AND {AWAITING.name} IN "
                            f"({', '.join(repr(role) for role in sorted(owners))})"
                        )
                        shown = {found.id async for found in client.list_workflows(query)}
                        seen = time.perf_counter()
                        for task_id in batch:
                            if task_id not in shown:
                                inbox_ms.append((seen - watched.pop(task_id)) * 1000)
                    await asyncio.sleep(0.025)

            watching.set()
            samplers: list[asyncio.Task[None]] = [asyncio.create_task(watch_inboxes())]

            async def prepare(visit: dict[str, Any]) -> None:
                async with limit:
                    visit_id = visit["id"]
                    await office.until_accepted(
                        "mayor",
                        "POST",
                        f"/visits/{visit_id}/decisions",
                        json={"outcome": "approve"},
                    )

                    async def complete(task: dict[str, Any], sampled: bool) -> None:
                        await office.until_accepted(
                            task["owner_role"],
                            "POST",
                            f"/visits/{visit_id}/tasks/{task['key']}/complete",
                            json={},
                        )
                        if sampled:
                            owners.add(task["owner_role"])
                            watched[f"visit-{visit_id}-task-{task['key']}"] = time.perf_counter()

                    await asyncio.gather(
                        *(complete(task, task["key"] == "security") for task in visit["tasks"])
                    )
                    await events.wait("ready", visit_id)

            started = time.perf_counter()
            await asyncio.gather(*(prepare(visit) for visit in visits))
            elapsed = time.perf_counter() - started
            per_minute = len(visits) * 14 / elapsed * 60
            emit(
                case="visits_preparation",
                visits=len(visits),
                tasks=task_count,
                seconds=round(elapsed, 1),
                tasks_completed_per_minute=round(task_count / elapsed * 60, 1),
                visits_ready_per_minute=round(len(visits) / elapsed * 60, 1),
                workflows_per_minute=round(per_minute, 1),
                ratio_to_trivial=round(per_minute / trivial, 3),
                concurrency=arguments.concurrency,
                requests_in_flight=arguments.requests,
            )
            watching.clear()
            await asyncio.gather(*samplers)
            emit(
                case="inbox_latency",
                samples=len(inbox_ms),
                p50_ms=round(statistics.median(inbox_ms), 1),
                p95_ms=round(percentile(inbox_ms, 0.95), 1),
                p99_ms=round(percentile(inbox_ms, 0.99), 1),
                max_ms=round(max(inbox_ms), 1),
            )

            # The flights move: every delegation lands in a few seconds and leaves soon after.
            lands = datetime.now(TBILISI) + timedelta(seconds=20)
            leaves = lands + timedelta(seconds=10)

            async def move(visit: dict[str, Any]) -> None:
                async with limit:
                    await office.call(
                        "protocol_officer",
                        "PUT",
                        f"/visits/{visit['id']}/dates",
                        json={
                            "arrival_on": today.isoformat(),
                            "departure_on": today.isoformat(),
                            "arrives_at": lands.isoformat(),
                            "departs_at": leaves.isoformat(),
                            "reason": "რეისი შეიცვალა",
                        },
                    )

            await asyncio.gather(*(move(visit) for visit in visits))
            report = {"outcomes_ka": "შეთანხმდა ერთობლივი ტურისტული მარშრუტი."}

            async def close(visit: dict[str, Any]) -> float:
                visit_id = visit["id"]
                async with limit:
                    await office.until_accepted(
                        "protocol_officer", "PUT", f"/visits/{visit_id}/report", json=report
                    )
                    await office.until_accepted(
                        "protocol_officer",
                        "POST",
                        f"/visits/{visit_id}/tasks/report/complete",
                        json={},
                        also=(404,),
                    )
                completed = await events.wait("completed", visit_id)
                return (completed - leaves.timestamp()) * 1000

            await asyncio.sleep(max(0.0, leaves.timestamp() - time.time()))
            closing = await asyncio.gather(*(close(visit) for visit in visits))
            last = max(closing) / 1000
            emit(
                case="visits_closing",
                visits=len(closing),
                p50_ms=round(statistics.median(closing), 1),
                p99_ms=round(percentile(closing, 0.99), 1),
                max_ms=round(max(closing), 1),
                visits_closed_per_minute=round(len(closing) / last * 60, 1),
            )
            sampling = False
            await sampler
            emit(
                case="worker_memory",
                idle_mb=round(idle, 1),
                peak_mb=round(peak, 1),
                visits=len(visits),
                workflows=len(visits) * 15,
            )
            await listener.close()
    finally:
        sampling = False
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        temporal.stop()
        nats_server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=200)
    parser.add_argument(
        "--concurrency", type=int, default=50, help="visits in flight at once in each phase"
    )
    parser.add_argument("--requests", type=int, default=32, help="HTTP requests in flight")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
