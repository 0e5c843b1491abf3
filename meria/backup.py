"""Backups that restore: every database, the bus's streams, the stored files and
Temporal's state in one dated archive with a manifest of checksums.

What an archive holds (`meria-backup-<UTC time>.tar.gz`):

    manifest.json              what was taken, when, by which version; each file's size
                               and SHA-256
    databases/<service>.sqlite SQLite's online backup of the file (consistent while the
                               service writes), or
    databases/<service>.pgdump pg_dump's custom format of the service's PostgreSQL database
    temporal/temporal.sqlite   the Temporal dev server's SQLite file, or
    temporal/<db>.pgdump       a Temporal server's PostgreSQL databases
    streams/<STREAM>.json      the stream's configuration and state
    streams/<STREAM>.snapshot  JetStream's own snapshot of it, its consumers' state included
    files/<service>/<area>/…   attachments, the media library (local or S3), the signing key

The parts are taken in the order that keeps a restore safe while cases run: Temporal
first, then the databases, the streams, the files. A workflow restored from before a
service's database then repeats at most an activity the service already answered, and
the service's idempotency keys answer it the same again; a stream taken after its
producer's database holds every event the outbox counts as sent (what it holds beyond,
a consumer's inbox skips); every file a database row names is in the archive.

A restore checks every file against the manifest before it touches anything, and refuses
a damaged archive; it wants the stack stopped, NATS alone running (its streams are
restored through the JetStream API, replacing a stream of the same name).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client as NATS
from sqlalchemy.engine import URL, make_url

from meria.bus.users import inbox_prefix
from meria.config import BackupSettings, load_settings
from meria.runtime import FileArea

FORMAT = 1
MANIFEST = "manifest.json"
LATEST = "latest.json"
CHUNK = 128 * 1024
# The longest a pg_dump or pg_restore may take: a department's databases take seconds;
# one that hangs (a lock never released, a server that stopped answering) must not hold
# the nightly backup, and the alert on the backup's age, forever.
PG_TOOL_TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """Why a backup or a restore cannot go on, in one line for the operator."""


@dataclass
class Plan:
    """What a backup takes and a restore puts back, read from the stack's settings."""

    settings: BackupSettings
    databases: dict[str, str] = field(default_factory=dict)
    file_areas: dict[str, FileArea] = field(default_factory=dict)
    # The processes' addresses: a restore wants none of them answering.
    process_urls: dict[str, str] = field(default_factory=dict)


def plan_from_settings() -> Plan:
    """Every process's database and files, as each process reads its settings."""
    from meria.processes import PROCESSES

    plan = Plan(load_settings(BackupSettings))
    for name, spec in PROCESSES.items():
        parts = spec.parts()
        settings = load_settings(spec.settings_class())
        plan.process_urls[name] = getattr(plan.settings, f"{name}_url")
        if parts.metadata is not None:
            plan.databases[name] = settings.database_url
        if parts.file_areas is not None:
            for area in parts.file_areas(settings):
                plan.file_areas[f"{name}/{area.name}"] = area
    return plan


# Taking


async def take_backup(plan: Plan, folder: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Write the archive into `folder` (default MERIA_BACKUP_DIR); returns it and its
    manifest, and notes it as the latest backup for /metrics."""
    folder = folder or plan.settings.backups
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    now = datetime.now(UTC)
    name = f"meria-backup-{now:%Y-%m-%dT%H%M%SZ}"
    with tempfile.TemporaryDirectory(prefix=f".{name}-", dir=folder) as staging_dir:
        staging = Path(staging_dir)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "meria_version": version("meria"),
            "databases": {},
            "streams": {},
            "file_areas": {},
            "temporal": {},
        }
        manifest["temporal"] = await asyncio.to_thread(_take_temporal, plan, staging)
        for service, url in plan.databases.items():
            manifest["databases"][service] = await asyncio.to_thread(
                _take_database, service, url, staging
            )
        manifest["streams"] = await _take_streams(plan.settings, staging)
        for key, area in plan.file_areas.items():
            manifest["file_areas"][key] = await asyncio.to_thread(_take_files, key, area, staging)
        manifest["files"] = {
            path: {"size": (staging / path).stat().st_size, "sha256": _sha256(staging / path)}
            for path in sorted(_relative_files(staging))
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        archive = folder / f"{name}.tar.gz"
        partial = archive.with_name(archive.name + ".partial")
        await asyncio.to_thread(_write_tar, staging, partial)
        os.replace(partial, archive)
    seconds = round(time.monotonic() - started, 3)
    note = {
        "archive": archive.name,
        "finished_at": time.time(),
        "seconds": seconds,
        "size": archive.stat().st_size,
    }
    (folder / LATEST).write_text(json.dumps(note), encoding="utf-8")
    return archive, manifest


def _take_database(service: str, url: str, staging: Path) -> dict[str, Any]:
    parsed = make_url(url)
    target = staging / "databases"
    target.mkdir(exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        if not source.is_file():
            raise BackupError(f"{service}'s database {source} does not exist; run `meria migrate`")
        _sqlite_copy(source, target / f"{service}.sqlite")
        return {"engine": "sqlite", "file": f"databases/{service}.sqlite"}
    _pg_dump(parsed, target / f"{service}.pgdump", service)
    return {"engine": "postgresql", "file": f"databases/{service}.pgdump"}


def _take_temporal(plan: Plan, staging: Path) -> dict[str, Any]:
    settings = plan.settings
    target = staging / "temporal"
    if settings.temporal_database_urls:
        target.mkdir()
        files = []
        for url in settings.temporal_database_urls:
            parsed = make_url(url)
            path = target / f"{parsed.database}.pgdump"
            _pg_dump(parsed, path, f"Temporal's {parsed.database}")
            files.append({"url": _safe(parsed), "file": f"temporal/{path.name}"})
        return {"engine": "postgresql", "databases": files}
    source = settings.temporal_file
    if not source.is_file():
        return {"engine": "none", "reason": f"no {source}: Temporal keeps its state elsewhere"}
    target.mkdir()
    _sqlite_copy(source, target / "temporal.sqlite")
    return {"engine": "sqlite", "file": "temporal/temporal.sqlite"}


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy while others write (WAL or not)."""
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        copy.close()
        origin.close()


def _pg_environment(url: URL) -> tuple[list[str], dict[str, str]]:
    """libpq's connection options for `url`, the password in the environment (never on a
    command line other users can read)."""
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    options = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        options += ["--username", url.username]
    return [*options, "--dbname", url.database or ""], environment


def _pg_dump(url: URL, target: Path, what: str) -> None:
    tool = _pg_tool("pg_dump")
    options, environment = _pg_environment(url)
    command = [tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
    _run(command + options, environment, f"pg_dump of {what} ({_safe(url)})")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools "
            "(`apt-get install postgresql-client`)"
        )
    return found


def _run(
    command: list[str],
    environment: dict[str, str],
    what: str,
    timeout: float = PG_TOOL_TIMEOUT_SECONDS,
) -> None:
    try:
        done = subprocess.run(
            command,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what} did not finish in {timeout:g} s") from None
    if done.returncode != 0:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise BackupError(f"{what} failed: {first[:300]}")


def _safe(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=True)


def _take_files(key: str, area: FileArea, staging: Path) -> dict[str, Any]:
    fs, root = area.fs, area.root.rstrip("/")
    target = staging / "files" / key
    if not fs.exists(root):
        return {"kind": "empty", "root": root, "count": 0}
    if fs.isfile(root):
        target.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(root, str(target))
        return {"kind": "file", "root": root, "count": 1}
    count = 0
    for path in fs.find(root):
        relative = path[len(root) :].lstrip("/") if path.startswith(root) else Path(path).name
        local = target / relative
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(path, str(local))
        count += 1
    return {"kind": "folder", "root": root, "count": count}


# The bus: JetStream's own snapshots, through its API.


async def _connect(settings: BackupSettings) -> NATS:
    credentials = settings.bus_credentials()
    try:
        return await nats.connect(
            settings.nats_url,
            name="meria-backup",
            user=credentials.user,
            password=credentials.password.get_secret_value(),
            inbox_prefix=inbox_prefix(credentials.user),
            connect_timeout=3,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            pending_size=64 * 1024 * 1024,
        )
    except Exception as error:
        raise BackupError(f"NATS at {settings.nats_url} does not answer ({error})") from None


async def _api(client: NATS, subject: str, body: dict[str, Any], timeout: float = 30) -> Any:
    answer = await client.request(f"$JS.API.{subject}", json.dumps(body).encode(), timeout=timeout)
    data = json.loads(answer.data)
    if "error" in data:
        raise BackupError(f"JetStream refused {subject}: {data['error'].get('description')}")
    return data


async def _take_streams(settings: BackupSettings, staging: Path) -> dict[str, Any]:
    client = await _connect(settings)
    taken: dict[str, Any] = {}
    try:
        names = (await _api(client, "STREAM.NAMES", {})).get("streams") or []
        target = staging / "streams"
        target.mkdir()
        for name in sorted(names):
            taken[name] = await _snapshot(client, name, target)
    finally:
        await client.close()
    return taken


async def _snapshot(client: NATS, name: str, target: Path) -> dict[str, Any]:
    deliver = client.new_inbox()
    chunks = await client.subscribe(deliver)
    try:
        described = await _api(
            client, f"STREAM.SNAPSHOT.{name}", {"deliver_subject": deliver, "chunk_size": CHUNK}
        )
        with (target / f"{name}.snapshot").open("wb") as out:
            while True:
                message = await chunks.next_msg(timeout=30)
                # The server ends with an empty message; each chunk before it asks for an
                # acknowledgement, its flow control.
                if not message.data:
                    break
                out.write(message.data)
                if message.reply:
                    await client.publish(message.reply, b"")
    finally:
        await chunks.unsubscribe()
    (target / f"{name}.json").write_text(
        json.dumps({"config": described["config"], "state": described["state"]}, indent=2)
    )
    state = described["state"]
    return {"messages": state.get("messages", 0), "consumers": state.get("consumer_count", 0)}


async def _restore_streams(settings: BackupSettings, folder: Path, names: list[str]) -> None:
    client = await _connect(settings)
    try:
        existing = set((await _api(client, "STREAM.NAMES", {})).get("streams") or [])
        for name in names:
            described = json.loads((folder / "streams" / f"{name}.json").read_text())
            if name in existing:
                await _api(client, f"STREAM.DELETE.{name}", {})
            answer = await _api(client, f"STREAM.RESTORE.{name}", described)
            deliver = answer["deliver_subject"]
            with (folder / "streams" / f"{name}.snapshot").open("rb") as source:
                while chunk := source.read(CHUNK):
                    await client.request(deliver, chunk, timeout=30)
            done = json.loads((await client.request(deliver, b"", timeout=120)).data)
            if "error" in done:
                raise BackupError(
                    f"JetStream could not restore {name}: {done['error'].get('description')}"
                )
    finally:
        await client.close()


# Restoring


@dataclass(frozen=True)
class Restored:
    created_at: str
    databases: list[str]
    streams: list[str]
    file_areas: list[str]
    temporal: str


async def restore_backup(plan: Plan, archive: Path) -> Restored:
    """Put everything in `archive` back: checked first, then the databases, the files,
    Temporal's state and the streams, replacing what is there."""
    if not await asyncio.to_thread(archive.is_file):
        raise BackupError(f"no archive at {archive}")
    _refuse_running(plan)
    scratch = plan.settings.var_dir
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=scratch) as unpacked_dir:
        folder = Path(unpacked_dir)
        manifest = await asyncio.to_thread(unpack_and_check, archive, folder)
        for service, taken in manifest["databases"].items():
            await asyncio.to_thread(_restore_database, plan, service, taken, folder)
        for key, taken in manifest["file_areas"].items():
            await asyncio.to_thread(_restore_files, plan, key, taken, folder)
        await asyncio.to_thread(_restore_temporal, plan, manifest["temporal"], folder)
        streams = sorted(manifest["streams"])
        await _restore_streams(plan.settings, folder, streams)
    return Restored(
        created_at=manifest["created_at"],
        databases=sorted(manifest["databases"]),
        streams=streams,
        file_areas=sorted(manifest["file_areas"]),
        temporal=manifest["temporal"]["engine"],
    )


def unpack_and_check(archive: Path, folder: Path) -> dict[str, Any]:
    """Unpack `archive` into `folder` and check every file against the manifest: a file
    missing, added or changed refuses the archive."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(folder, filter="data")
        manifest: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        raise BackupError(f"{archive.name} is not a readable Meria backup ({error})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive.name} is of format {manifest.get('format')}, not {FORMAT}")
    listed: dict[str, dict[str, Any]] = manifest.get("files", {})
    present = set(_relative_files(folder)) - {MANIFEST}
    if missing := sorted(set(listed) - present):
        raise BackupError(f"{archive.name} fails its checksums: {missing[0]} is missing")
    if added := sorted(present - set(listed)):
        raise BackupError(f"{archive.name} fails its checksums: {added[0]} is not in the manifest")
    for path, expected in listed.items():
        if _sha256(folder / path) != expected["sha256"]:
            raise BackupError(f"{archive.name} fails its checksums: {path} has changed")
    return manifest


def _refuse_running(plan: Plan) -> None:
    """A restore replaces what running processes hold open: they must be stopped."""
    for name, url in plan.process_urls.items():
        if _answers(url):
            raise BackupError(f"{name} is running at {url}; stop the stack (all but NATS) first")
    temporal = plan.settings.temporal_address
    if not plan.settings.temporal_database_urls and _answers(f"tcp://{temporal}"):
        raise BackupError(f"Temporal is running at {temporal}; stop it before restoring its state")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def _restore_database(plan: Plan, service: str, taken: dict[str, Any], folder: Path) -> None:
    url = plan.databases.get(service)
    if url is None:
        raise BackupError(f"the archive has a database for {service}, which this Meria lacks")
    parsed = make_url(url)
    source = folder / taken["file"]
    if taken["engine"] == "sqlite":
        if parsed.get_backend_name() != "sqlite":
            raise BackupError(f"{service}'s archive is SQLite, its database now is not")
        _place_sqlite(source, Path(parsed.database or ""))
        return
    if parsed.get_backend_name() != "postgresql":
        raise BackupError(f"{service}'s archive is PostgreSQL, its database now is not")
    _pg_restore(parsed, source, service)


def _place_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm"), Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    staged = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, staged)
    os.replace(staged, target)


def _pg_restore(url: URL, source: Path, what: str) -> None:
    tool = _pg_tool("pg_restore")
    options, environment = _pg_environment(url)
    command = [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    command += ["--single-transaction", "--exit-on-error", *options, str(source)]
    _run(command, environment, f"pg_restore of {what} ({_safe(url)})")


def _restore_files(plan: Plan, key: str, taken: dict[str, Any], folder: Path) -> None:
    area = plan.file_areas.get(key)
    if area is None:
        raise BackupError(f"the archive has files for {key}, which this Meria keeps nowhere")
    fs, root = area.fs, area.root.rstrip("/")
    source = folder / "files" / key
    if taken["kind"] == "file":
        fs.makedirs(str(Path(root).parent), exist_ok=True)
        fs.put_file(str(source), root)
        return
    if fs.exists(root):
        fs.rm(root, recursive=True)
    if taken["kind"] == "empty":
        # Nothing was there, so nothing is made: the root may name a file not made yet (a
        # signing key), which a folder in its place would block; services make their
        # folders as they write.
        return
    fs.makedirs(root, exist_ok=True)
    for local in sorted(source.rglob("*")):
        if local.is_file():
            remote = f"{root}/{local.relative_to(source).as_posix()}"
            fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(local), remote)


def _restore_temporal(plan: Plan, taken: dict[str, Any], folder: Path) -> None:
    settings = plan.settings
    if taken["engine"] == "sqlite":
        _place_sqlite(folder / taken["file"], settings.temporal_file)
    elif taken["engine"] == "postgresql":
        urls = {make_url(url).database: make_url(url) for url in settings.temporal_database_urls}
        for database in taken["databases"]:
            name = Path(database["file"]).stem
            if name not in urls:
                raise BackupError(
                    f"the archive has Temporal's {name}; MERIA_BACKUP_TEMPORAL_DATABASE_URLS "
                    "does not name it"
                )
            _pg_restore(urls[name], folder / database["file"], f"Temporal's {name}")


# Helpers


def _relative_files(folder: Path) -> Iterator[str]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path.relative_to(folder).as_posix()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _write_tar(staging: Path, target: Path) -> None:
    # The manifest first, so a reader sees what the archive is before the rest.
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(staging / MANIFEST, arcname=MANIFEST)
        for path in sorted(_relative_files(staging)):
            if path != MANIFEST:
                tar.add(staging / path, arcname=path)


def latest_backup(folder: Path) -> dict[str, Any] | None:
    """The note `meria backup` leaves of its last archive, if any."""
    try:
        note: dict[str, Any] = json.loads((folder / LATEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return note


__all__ = [
    "BackupError",
    "Plan",
    "Restored",
    "latest_backup",
    "plan_from_settings",
    "restore_backup",
    "take_backup",
    "unpack_and_check",
]
