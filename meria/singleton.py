"""Background jobs that must run in one replica of a service at a time.

A service runs two or more replicas beside each other (deploy/kubernetes/), and each
starts the same background jobs. A job that acts on the world from its database (the
mail senders, the sweeps, the fetching of the website's files) would then act twice: a
journalist would get every press release twice. Such a job is marked `@one_replica`;
the runtime runs it only in the replica that holds a PostgreSQL advisory lock of the
job's own, taken on a connection kept for it. The others try again every few seconds,
so when the holder dies (its connection closes, and PostgreSQL lets the lock go) another
takes the job over. The holder checks its connection every few seconds and stops the
job when it is lost, so no two replicas run it at once for longer than that.

On SQLite a service is one process by design (a file per service), so the job simply
runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy import text

from meria.db import Database
from meria.logging import get_logger

log = get_logger(__name__)

ONE_REPLICA = "_meria_one_replica"
Job = TypeVar("Job", bound=Callable[..., Coroutine[Any, Any, None]])


def one_replica(job: Job) -> Job:
    """Mark a background job to run in one replica of its service at a time."""
    setattr(job, ONE_REPLICA, True)
    return job


def is_one_replica(job: Callable[..., Any]) -> bool:
    return bool(getattr(job, ONE_REPLICA, False))


def lock_key(name: str) -> int:
    """The advisory lock of job `name`: a signed 64-bit number, the same in every replica."""
    digest = hashlib.sha256(f"meria one replica: {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


async def run_alone(
    database: Database,
    name: str,
    job: Callable[[], Coroutine[Any, Any, None]],
    *,
    retry_seconds: float = 5.0,
    check_seconds: float = 5.0,
) -> None:
    """Run `job()` while this replica holds job `name`'s lock; wait for it otherwise.
    Returns when the job returns (a job with nothing to do, as a sender without a mail
    server), letting the lock go."""
    if database.engine.dialect.name != "postgresql":
        await job()
        return
    key = lock_key(name)
    while True:
        try:
            if await _hold_and_run(database, name, key, job, check_seconds):
                return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("one_replica.failed", job=name, error=str(error), retry_in=retry_seconds)
        await asyncio.sleep(retry_seconds)


async def _hold_and_run(
    database: Database,
    name: str,
    key: int,
    job: Callable[[], Coroutine[Any, Any, None]],
    check_seconds: float,
) -> bool:
    """Run the job if the lock is free; True when the job ran to its end."""
    async with database.engine.connect() as connection:
        # Each statement on its own: the lock lasts for the session, and no transaction
        # stays open for as long as the job runs.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        held = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        if not held:
            return False
        log.info("one_replica.running", job=name)
        task = asyncio.create_task(job())
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=check_seconds)
                if done:
                    task.result()  # the job's failure is this attempt's
                    return True
                # Still the holder: the lock's session answers. If it does not, the lock
                # may be another's by now; the job stops here and waits its turn again.
                await asyncio.wait_for(connection.scalar(text("SELECT 1")), check_seconds)
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            # The lock goes with its session: the connection is closed, not pooled with
            # the lock still on it.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            log.info("one_replica.stopped", job=name)
