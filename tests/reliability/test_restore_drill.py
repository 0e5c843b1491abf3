"""The restore drill: a stack with cases in flight is backed up, wiped and restored, and
everything goes on as if nothing had happened.

Publishing, the worker and the website run on real HTTP ports with a nats-server and a
Temporal dev server of the test's own (their stores are wiped too); the other services'
databases exist, migrated, as on a server. `meria backup` and `meria restore` run as the
operator runs them, as commands with the stack's settings in their environment.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import tarfile
import time
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from meria.db import Database, migrate
from meria.processes import PROCESSES
from meria.testing.servers import NatsServer, TemporalDevServer
from services.publishing import signing
from tests.conftest import DatabaseFactory
from tests.support.backup import SilentPorts, manifest_of, meria, wipe_database
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk, published_events
from tests.support.stack import Stack, running_stack

RUNNING = ["publishing", "worker", "website"]
NEWS = {
    "document_type": "news",
    "title_ka": "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
    "title_en": "A new kindergarten opens in Akhmeta",
    "body_ka": "<p>ბაღი ასოცდაათ ბავშვს მიიღებს.</p>",
}


def operator_env(
    stack: Stack, databases: dict[str, str], temporal: TemporalDevServer, silent: SilentPorts
) -> dict[str, str]:
    """The environment an operator's `meria backup` has: the stack's own settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(stack.shared["var_dir"]),
        "MERIA_NATS_URL": stack.shared["nats_url"],
        "MERIA_TEMPORAL_ADDRESS": temporal.address,
        "MERIA_BACKUP_TEMPORAL_SQLITE": str(temporal.folder / "temporal.db"),
    }
    for name in PROCESSES:
        url = stack.urls.get(name, f"http://127.0.0.1:{silent.take()}")
        env[f"MERIA_{name.upper()}_URL"] = url
        if name in databases:
            env[f"MERIA_{name.upper()}_DATABASE_URL"] = databases[name]
    return env


def verifies(edition: dict[str, Any], public_key: str) -> bool:
    record = edition["publication_record"]
    return bool(
        record
        and record["content_sha256"] == edition["content_sha256"]
        and signing.verify(public_key, record, edition["signature"])
    )


@dataclass
class Server:
    """The server the drill loses: its NATS, Temporal and databases, each service's."""

    tmp_path: Path
    nats: NatsServer
    temporal: TemporalDevServer
    databases: dict[str, str] = field(default_factory=dict)
    task_queue: str = field(default_factory=lambda: f"drill-{uuid.uuid4().hex[:8]}")
    silent: SilentPorts = field(default_factory=SilentPorts)

    async def set_up(self, new_database: DatabaseFactory) -> None:
        """Every service's database: three serve, the rest are migrated and wait, as on a
        server where the drill concerns publishing."""
        for name, spec in PROCESSES.items():
            parts = spec.parts()
            if parts.metadata is None or parts.migrations is None:
                continue
            self.databases[name] = await new_database(name)
            if name not in RUNNING:
                database = Database(self.databases[name])
                await migrate(database, parts.migrations, parts.metadata)
                await database.dispose()

    def stack(self) -> AbstractAsyncContextManager[Stack]:
        async def existing(name: str) -> str:
            return self.databases[name]

        return running_stack(
            RUNNING,
            tmp_path=self.tmp_path,
            nats_url=self.nats.url,
            temporal_address=self.temporal.address,
            new_database=existing,
            temporal_task_queue=self.task_queue,
        )

    async def lose_everything(self) -> None:
        self.nats.stop()
        self.temporal.stop()
        shutil.rmtree(self.tmp_path / "var")
        shutil.rmtree(self.tmp_path / "nats" / "jetstream")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.temporal.folder / 'temporal.db'}{suffix}").unlink(missing_ok=True)
        for url in self.databases.values():
            await wipe_database(url)


@dataclass(frozen=True)
class Cases:
    released: int
    act: int
    news: int
    publish_at: datetime
    signing_key: str


async def test_a_wiped_stack_comes_back_from_its_backup_with_its_cases_running(
    tmp_path: Path, new_database: DatabaseFactory
) -> None:
    server = Server(
        tmp_path, NatsServer(tmp_path / "nats").start(), TemporalDevServer(tmp_path / "temporal")
    )
    server.temporal.start()
    try:
        await server.set_up(new_database)
        async with server.stack() as stack, httpx.AsyncClient(timeout=20) as http:
            cases = await cases_in_flight(stack, http)
            # The nightly backup, while everything runs.
            env = operator_env(stack, server.databases, server.temporal, server.silent)
            started = time.monotonic()
            archive = take_backup(env, tmp_path / "backups", server.databases)
            backup_seconds = time.monotonic() - started

        # The server is lost: the stack stops, and every store is wiped.
        await server.lose_everything()

        # A damaged archive is refused with one line, and nothing is touched.
        damaged = tmp_path / "damaged.tar.gz"
        tamper(archive, damaged, "databases/publishing")
        server.nats.start()
        refused = meria(env, "restore", str(damaged))
        assert refused.returncode == 1
        last_line = refused.stderr.strip().splitlines()[-1]
        assert last_line.startswith("meria: damaged.tar.gz fails its checksums")
        assert not (tmp_path / "var" / "publishing").exists()

        # The restore, with NATS alone running; then Temporal and the services start again.
        started = time.monotonic()
        restored = meria(env, "restore", str(archive))
        restore_seconds = time.monotonic() - started
        assert restored.returncode == 0, restored.stderr
        server.temporal.start()
        size = archive.stat().st_size
        print(f"backup {backup_seconds:.1f} s, {size} bytes; restore {restore_seconds:.1f} s")

        async with server.stack() as stack, httpx.AsyncClient(timeout=20) as http:
            await cases_go_on(stack, http, cases)
    finally:
        server.silent.close()
        server.nats.stop()
        server.temporal.stop()


async def cases_in_flight(stack: Stack, http: httpx.AsyncClient) -> Cases:
    """A press release published, a legal act waiting on a decision, news on a timer."""
    editor = Desk(stack, http, "nino.beridze", "editor")
    lawyer = Desk(stack, http, "levan.kapanadze", "legal_reviewer")
    head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
    admin = Desk(stack, http, "admin", "admin")
    await admin.ok(
        "PUT",
        "/issuers/mayor",
        json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
    )

    # A press release, published and on the website.
    released = (await editor.create(PRESS_RELEASE))["id"]
    await editor.submit(released)
    await head.wait_for_stage(released, "department_review")
    assert (await head.decide(released)).status_code == 200
    await editor.wait_for_state(released, "published")

    # A legal act, past its legal review, waiting on the head of department.
    act = (await editor.create(LEGAL_ACT))["id"]
    await editor.submit(act)
    await lawyer.wait_for_stage(act, "legal_review")
    assert (await lawyer.decide(act, comment="კანონიერია")).status_code == 200
    await head.wait_for_stage(act, "department_review")

    # News approved for publication in half a minute: a durable timer running.
    news = (await editor.create(NEWS))["id"]
    publish_at = datetime.now(UTC) + timedelta(seconds=30)
    await editor.submit(news, publish_at=publish_at.isoformat())
    await head.wait_for_stage(news, "department_review")
    assert (await head.decide(news)).status_code == 200
    await editor.wait_for_state(news, "scheduled")

    # The website has the press release from the bus.
    await wait_for_website(http, stack.urls["website"], 1)
    key = (await editor.call("GET", "/signing-key")).text
    return Cases(released, act, news, publish_at, key)


def take_backup(env: dict[str, str], folder: Path, databases: dict[str, str]) -> Path:
    """`meria backup`, as the nightly timer runs it; the archive it wrote."""
    taken = meria(env, "backup", "--to", str(folder))
    assert taken.returncode == 0, taken.stderr
    archives = sorted(folder.glob("meria-backup-*.tar.gz"))
    assert len(archives) == 1, taken.stdout
    manifest = manifest_of(archives[0])
    assert set(manifest["databases"]) == set(databases)
    assert manifest["streams"]["PUBLISHING"]["messages"] >= 1
    assert manifest["temporal"]["engine"] == "sqlite"
    assert manifest["file_areas"]["publishing/signing-key"]["count"] == 1
    assert json.loads((folder / "latest.json").read_text())["archive"] == archives[0].name
    return archives[0]


async def cases_go_on(stack: Stack, http: httpx.AsyncClient, cases: Cases) -> None:
    editor = Desk(stack, http, "nino.beridze", "editor")
    head = Desk(stack, http, "tamar.gelashvili", "head_of_department")
    mayor = Desk(stack, http, "mayor.akhmeta", "mayor")
    public_key = (await editor.call("GET", "/signing-key")).text
    assert public_key == cases.signing_key

    # What was published still verifies against the same key.
    assert verifies((await editor.document(cases.released))["current"], public_key)

    # The legal act goes on where it waited: the head of department, then the mayor.
    await head.wait_for_stage(cases.act, "department_review")
    assert (await head.decide(cases.act)).status_code == 200
    await mayor.wait_for_stage(cases.act, "signature")
    assert (await mayor.decide(cases.act)).status_code == 200
    done = await editor.wait_for_state(cases.act, "published")
    assert verifies(done["current"], public_key)
    assert done["register_number"] == f"1/{done['current']['date_signed'][:4]}"

    # The news is published at its time, by the timer the backup kept.
    news = await editor.wait_for_state(cases.news, "published", timeout=120)
    assert datetime.fromisoformat(news["current"]["published_at"]) >= cases.publish_at
    assert verifies(news["current"], public_key)

    # Nothing was published twice: one event per document on the bus, one entry each on
    # the website, and the website vouches for each.
    everything = sorted([cases.released, cases.act, cases.news])
    events = await published_events(stack)
    published = [
        event["data"]["document_id"]
        for event in events
        if event["type"].endswith("document.published.v1")
    ]
    assert sorted(published) == everything
    shown = await wait_for_website(http, stack.urls["website"], 3)
    assert sorted(item["document_id"] for item in shown) == everything
    for document_id in published:
        edition = (await editor.document(document_id))["current"]
        page = await http.post(
            f"{stack.urls['website']}/verify", data={"sha256": edition["content_sha256"]}
        )
        assert "ავთენტურია" in page.text, document_id


def tamper(archive: Path, target: Path, prefix: str) -> None:
    """A copy of `archive` with one byte of the first member under `prefix` flipped."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        flipped = False
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if not flipped and member.name.startswith(prefix):
                data = bytes([data[0] ^ 1]) + data[1:]
                flipped = True
            copy.addfile(member, io.BytesIO(data))
    assert flipped


async def wait_for_website(
    http: httpx.AsyncClient, website: str, count: int
) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for _ in range(600):
        shown = (await http.get(f"{website}/api/documents")).json()
        if len(shown) >= count:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"the website shows {len(shown)} documents, not {count}")
