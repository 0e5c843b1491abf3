"""How fast documents travel their approval route, on the stack as `make run` starts it.

Run: `.venv/bin/python bench/publication.py [--documents 200] [--latency-seconds 60]`
`[--postgres URL]` (the services' tables on that PostgreSQL server instead of SQLite).

The benchmark starts nats-server, the Temporal dev server (the same command and SQLite
pragmas `meria run temporal` uses), and the publishing service and the workflow worker as
separate processes (`meria run publishing`, `meria run worker`), all in a temporary
folder on free ports. It drives them over HTTP as staff would, and prints one JSON line
per case:

- `trivial`: a workflow of one do-nothing activity, N of them started at once on the
  same Temporal server by this process: workflows per minute. The baseline, measured
  in the same run, because this machine is shared and its speed varies.
- `legal_act_throughput`: N mayor's orders through the full legal-act route (legal
  review → head of department → the mayor's signature → number → signature → published),
  every decision sent by a script as soon as the step is open: documents per minute
  from the first submission to the last `published` event, and the ratio to `trivial`.
- `legal_act_latency`: one document a second for a while; for each, from the final
  approval's HTTP answer to its `publishing.document.published` event on the bus:
  p50, p95, p99, max. Target: p99 ≤ 1 s.
- `approval_to_website`: documents one after another; from the final approval's answer
  to the act's page on the website (`meria run website`, fed by the bus) answering 200.
  Target: p99 ≤ 1 s.
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
from pathlib import Path
from typing import Any

import httpx
import nats
from temporalio.client import Client
from temporalio.worker import Worker

from meria.auth import User, issue_token
from meria.config import Settings
from meria.temporal import connect
from meria.testing.servers import (
    NatsServer,
    TemporalDevServer,
    free_port,
    listener_account,
    wait_for_port,
)

sys.path.insert(0, str(Path(__file__).parent))
from postgres import create_database, remove_databases
from trivial_workflow import Trivial, nothing

from workflows.worker import sandbox_runner

ROOT = Path(__file__).resolve().parents[1]
MERIA = str(Path(sys.executable).parent / "meria")
STEPS = {"legal_review": "legal_reviewer", "department_review": "head_of_department",
         "signature": "mayor"}  # fmt: skip


class Office:
    """The staff's HTTP desks, one token per role."""

    def __init__(self, settings: Settings, base_url: str, http: httpx.AsyncClient) -> None:
        self.base = base_url
        self.http = http
        people = {
            "editor": "bench.editor",
            "legal_reviewer": "bench.lawyer",
            "head_of_department": "bench.head",
            "mayor": "bench.mayor",
            "admin": "bench.admin",
        }
        self.headers = {
            role: {
                "Authorization": "Bearer "
                + issue_token(settings, User(id=user, roles=frozenset({role})), 7200)
            }
            for role, user in people.items()
        }

    async def call(self, role: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(
            method, f"{self.base}{path}", headers=self.headers[role], **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None

    async def open_task(self, document_id: int, decided: set[str]) -> dict[str, Any] | None:
        while True:
            response = await self.http.get(
                f"{self.base}/documents/{document_id}/status", headers=self.headers["editor"]
            )
            if response.status_code == 200:
                status = response.json()
                tasks: list[dict[str, Any]] = [
                    t for t in status["tasks"] if t["task_id"] not in decided
                ]
                if tasks:
                    return tasks[0]
                if status["stage"] in ("approved", "publishing", "published", "scheduled"):
                    return None
            await asyncio.sleep(0.02)

    async def through_the_route(self, index: int) -> float:
        """Create, submit and approve one act; returns when the final approval answered."""
        created = await self.call(
            "editor",
            "POST",
            "/documents",
            json={
                "document_type": "mayor_order",
                "issuer_code": "mayor",
                "title_ka": f"მერის ბრძანება ბენჩმარკისთვის №{index}",
                "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერის ბრძანება.</p>",
            },
        )
        document_id = created["id"]
        await self.call("editor", "POST", f"/documents/{document_id}/submit", json={})
        decided: set[str] = set()
        final_at = 0.0
        while (task := await self.open_task(document_id, decided)) is not None:
            await self.call(
                STEPS[task["step"]],
                "POST",
                f"/documents/{document_id}/decisions",
                json={"outcome": "approve", "task_id": task["task_id"]},
            )
            final_at = time.time()
            decided.add(task["task_id"])
        return final_at


async def published_listener(nats_url: str, seen: dict[int, float]) -> Any:
    _, credentials = listener_account()
    client = await nats.connect(
        nats_url, user=credentials.user, password=credentials.password.get_secret_value()
    )

    async def on_message(message: Any) -> None:
        data = json.loads(message.data)["data"]
        seen.setdefault(data["document_id"], time.time())

    await client.subscribe("publishing.document.published", cb=on_message)
    return client


def emit(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def trivial_case(client: Client, count: int) -> float:
    queue = f"bench-{uuid.uuid4().hex[:8]}"
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
        return count / (time.perf_counter() - started) * 60


async def measure(arguments: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="meria-bench-publication-"))
    nats_server = NatsServer(
        folder / "nats", extra_users=[listener_account("publishing.document.published")]
    ).start()
    temporal = TemporalDevServer(folder / "temporal").start()
    publishing_port, worker_port, website_port = free_port(), free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(folder / "var"),
        "MERIA_NATS_URL": nats_server.url,
        "MERIA_TEMPORAL_ADDRESS": temporal.address,
        "MERIA_PUBLISHING_PORT": str(publishing_port),
        "MERIA_PUBLISHING_URL": f"http://127.0.0.1:{publishing_port}",
        "MERIA_WORKER_PORT": str(worker_port),
        "MERIA_WORKER_URL": f"http://127.0.0.1:{worker_port}",
        "MERIA_WEBSITE_PORT": str(website_port),
        "MERIA_WEBSITE_URL": f"http://127.0.0.1:{website_port}",
        "MERIA_LOG_LEVEL": "WARNING",
    }
    made: list[str] = []
    if arguments.postgres:
        # Each service's tables in a database of its own, as on a PostgreSQL server.
        for service in ("publishing", "website"):
            made.append(f"bench_publication_{service}_{os.getpid()}")
            env[f"MERIA_{service.upper()}_DATABASE_URL"] = await create_database(
                arguments.postgres, made[-1]
            )
    subprocess.run(
        [MERIA, "migrate", "publishing", "website"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    processes = [
        subprocess.Popen(
            [MERIA, "run", name],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"{name}.log").open("wb"),
        )
        for name in ("publishing", "worker", "website")
    ]
    try:
        wait_for_port(publishing_port, timeout=60)
        wait_for_port(worker_port, timeout=60)
        wait_for_port(website_port, timeout=60)
        settings = Settings(_env_file=None)
        client = await connect(temporal.address, "meria")
        async with httpx.AsyncClient(timeout=60) as http:
            for port in (publishing_port, worker_port, website_port):
                for _ in range(600):
                    ready = await http.get(f"http://127.0.0.1:{port}/healthz/ready")
                    if ready.status_code == 200:
                        break
                    await asyncio.sleep(0.1)
            office = Office(settings, f"http://127.0.0.1:{publishing_port}", http)
            await office.call("admin", "PUT", "/issuers/mayor", json={"name_ka": "ახმეტის მერი"})
            seen: dict[int, float] = {}
            listener = await published_listener(nats_server.url, seen)
            context = {
                "cpus": os.cpu_count(),
                "machine": platform.machine(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "database": "postgresql" if arguments.postgres else "sqlite",
            }

            # Warm up: one document end to end (connections, caches, compiled statements).
            await office.through_the_route(0)
            while len(seen) < 1:
                await asyncio.sleep(0.05)

            trivial = await trivial_case(client, arguments.documents)
            emit(
                case="trivial",
                workflows=arguments.documents,
                workflows_per_minute=round(trivial, 1),
                **context,
            )

            started = time.perf_counter()
            before = len(seen)
            limit = asyncio.Semaphore(arguments.concurrency)

            async def one(index: int) -> None:
                async with limit:
                    await office.through_the_route(index)

            await asyncio.gather(*(one(i) for i in range(1, arguments.documents + 1)))
            while len(seen) < before + arguments.documents:
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            per_minute = arguments.documents / elapsed * 60
            emit(
                case="legal_act_throughput",
                documents=arguments.documents,
                documents_per_minute=round(per_minute, 1),
                ratio_to_trivial=round(per_minute / trivial, 3),
                seconds=round(elapsed, 1),
                concurrency=arguments.concurrency,
                **context,
            )

            latencies: list[float] = []
            base = 10_000
            pending: dict[int, float] = {}

            async def timed(index: int) -> None:
                final_at = await office.through_the_route(base + index)
                pending[index] = final_at

            tasks = []
            for index in range(arguments.latency_seconds):
                tasks.append(asyncio.create_task(timed(index)))
                await asyncio.sleep(1.0)
            await asyncio.gather(*tasks)
            documents = await office.call("editor", "GET", "/documents", params={"limit": 500})
            ids = {item["title_ka"]: item["id"] for item in documents["items"]}
            for index, final_at in pending.items():
                document_id = ids[f"მერის ბრძანება ბენჩმარკისთვის №{base + index}"]
                while document_id not in seen:
                    await asyncio.sleep(0.05)
                latencies.append((seen[document_id] - final_at) * 1000)
            p99 = percentile(latencies, 0.99)
            emit(
                case="legal_act_latency",
                documents=len(latencies),
                p50_ms=round(statistics.median(latencies), 1),
                p95_ms=round(percentile(latencies, 0.95), 1),
                p99_ms=round(p99, 1),
                max_ms=round(max(latencies), 1),
                target_p99_ms=1000,
                target_met=p99 <= 1000,
                **context,
            )
            # Approval → visible: from the final approval's answer to the act's page on the
            # website answering 200 (through the bus, the website's consumer, its read model).
            visible_ms: list[float] = []
            website = f"http://127.0.0.1:{website_port}"

            async def until_visible(index: int) -> None:
                final_at = await office.through_the_route(base * 2 + index)
                documents = await office.call("editor", "GET", "/documents", params={"limit": 1})
                document_id = documents["items"][0]["id"]
                while (await http.get(f"{website}/acts/{document_id}")).status_code != 200:
                    await asyncio.sleep(0.01)
                visible_ms.append((time.time() - final_at) * 1000)

            for index in range(arguments.visible_documents):
                await until_visible(index)
            p99_visible = percentile(visible_ms, 0.99)
            emit(
                case="approval_to_website",
                documents=len(visible_ms),
                p50_ms=round(statistics.median(visible_ms), 1),
                p99_ms=round(p99_visible, 1),
                max_ms=round(max(visible_ms), 1),
                target_p99_ms=1000,
                target_met=p99_visible <= 1000,
                **context,
            )
            await listener.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        temporal.stop()
        nats_server.stop()
        if made:
            await remove_databases(arguments.postgres, made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument(
        "--concurrency", type=int, default=50, help="documents in flight in the throughput case"
    )
    parser.add_argument("--latency-seconds", type=int, default=60)
    parser.add_argument("--visible-documents", type=int, default=30)
    parser.add_argument(
        "--postgres",
        help="a PostgreSQL server (postgresql+asyncpg://user:password@host/db) to keep the "
        "services' tables in, in databases the benchmark makes, instead of SQLite files",
    )
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    main()
