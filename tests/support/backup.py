"""`meria backup` and `meria restore` as the operator runs them: commands, with the
stack's settings in their environment; and what a lost server leaves of a database."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

MERIA = str(Path(sys.executable).parent / "meria")


def meria(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MERIA, *args], env=env, capture_output=True, text=True, check=False, timeout=300
    )


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as opened:
        member = opened.extractfile("manifest.json")
        assert member is not None
        found: dict[str, Any] = json.loads(member.read())
    return found


async def wipe_database(url: str) -> None:
    """What a lost server leaves: no file, or an empty database of the same name."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = await asyncpg.connect(
        parsed.set(drivername="postgresql", database="postgres").render_as_string(
            hide_password=False
        )
    )
    try:
        await admin.execute(f'DROP DATABASE "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


class SilentPorts:
    """Ports bound and never listened on, held until closed: nobody answers there, which
    a restore checks of every process's address (a port that was merely free may be taken
    by another test's server meanwhile, and the restore then refuses)."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []

    def take(self) -> int:
        held = socket.socket()
        held.bind(("127.0.0.1", 0))
        self.held.append(held)
        return int(held.getsockname()[1])

    def close(self) -> None:
        for held in self.held:
            held.close()
