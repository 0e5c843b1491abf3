"""What a service process runs beside its routes: database, bus, relay, consumers, Temporal.

A service declares its parts (`ServiceParts`); the runtime opens the database, connects
to NATS and Temporal in the background with backoff (a service starts before the
servers do and reports not-ready meanwhile), runs the outbox relay and one consumer per
subscription, and answers the readiness checks.

A process on the bus reads the municipality's profile from it and follows its changes
(meria/municipality.py); it is not ready until it has one, and when none is installed
within MERIA_MUNICIPALITY_WAIT_SECONDS it calls `on_missing` (`meria run` stops there,
naming the command to run).
"""

from __future__ import annotations

import asyncio
import functools
import gc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from temporalio.client import Client

from meria import municipality
from meria.bus import (
    Bus,
    BusTables,
    BusUser,
    Consumer,
    ConsumerOptions,
    Outbox,
    OutboxRelay,
    Subscriptions,
    durable_name,
    service_user,
)
from meria.config import ServiceSettings
from meria.db import Database, alembic_config
from meria.logging import get_logger
from meria.loop import LoopMonitor, monitor
from meria.problems import Problem
from meria.singleton import is_one_replica, run_alone
from meria.temporal import connect_with_retry

log = get_logger(__name__)


@dataclass(frozen=True)
class FileArea:
    """Files a service keeps outside its database: a folder (or one file) on an fsspec
    filesystem, local or S3."""

    name: str
    fs: Any
    root: str


@dataclass
class ServiceParts:
    """What one service is made of, as far as the runtime is concerned."""

    name: str
    metadata: MetaData | None = None
    tables: BusTables | None = None
    migrations: Path | None = None
    subscriptions: Subscriptions | None = None
    produces_events: bool = False
    uses_temporal: bool = False
    uses_bus: bool = True
    background: list[Callable[[Runtime], Coroutine[Any, Any, None]]] = field(default_factory=list)
    # The files it keeps outside its database (attachments, a library, a key), which a
    # backup takes and a restore puts back (meria/backup.py).
    file_areas: Callable[[Any], list[FileArea]] | None = None
    # What it adds to /metrics just before a scrape (a count from its database…).
    scrape: list[Callable[[Runtime], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def bus_user(self) -> BusUser:
        """This service's NATS user: its own events, and its subscriptions' consumers."""
        items = self.subscriptions.items if self.subscriptions else []
        return service_user(
            self.name,
            produces=self.produces_events,
            consumes=[(durable_name(self.name, item), item.subject) for item in items],
        )


class Runtime:
    def __init__(self, settings: ServiceSettings, parts: ServiceParts) -> None:
        self.settings = settings
        self.parts = parts
        self.database = Database(settings.database_url) if parts.metadata is not None else None
        self.bus = Bus(
            settings.nats_url,
            f"meria-{parts.name}",
            # Asked only of a process that connects: production stops here, naming the
            # variable, when its NATS password is not set.
            settings.bus_credentials() if parts.uses_bus else None,
            streams=parts.bus_user().streams,
            stream_replicas=settings.nats_stream_replicas,
        )
        self.outbox: Outbox | None = None
        if parts.produces_events:
            if parts.tables is None:
                raise ValueError(f"{parts.name} produces events but has no outbox table")
            self.outbox = Outbox(parts.tables.outbox, parts.name)
        self._temporal: Client | None = None
        self._temporal_connected = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # The consumers running here, by durable name (a dead letter is re-driven by its).
        self.consumers: dict[str, Consumer] = {}
        self._loop_monitor: LoopMonitor | None = None
        # What background jobs report of themselves ("ok" or why not), for readiness.
        self.job_states: dict[str, str] = {}
        # What a service's background jobs hold for its routes (a pooled HTTP client…).
        self.state: dict[str, Any] = {}
        # Why the process has no municipality yet, if it has none; and what to do when
        # none is installed in time (`meria run` stops the process).
        self.municipality_state = "waiting for NATS"
        self.on_missing: Callable[[str], None] | None = None
        self._expected_revision = (
            ScriptDirectory.from_config(alembic_config(parts.migrations, "")).get_current_head()
            if parts.migrations
            else None
        )

    def db(self) -> Database:
        if self.database is None:
            raise RuntimeError(f"{self.parts.name} has no database")
        return self.database

    @property
    def temporal(self) -> Client:
        if self._temporal is None:
            raise Problem(503, "Workflows unavailable", "Temporal is not reachable yet; try again.")
        return self._temporal

    async def wait_temporal(self) -> Client:
        await self._temporal_connected.wait()
        return self.temporal

    async def start(self) -> None:
        parts = self.parts
        # How long anything holds the loop, in /metrics and the log (meria.loop).
        self._loop_monitor = monitor()
        self._loop_monitor.acquire()
        # What the process made to start (modules, classes, the app) lives as long as it
        # does: the garbage collector stops going over it, so that a full collection takes
        # milliseconds of the loop instead of hundreds. Garbage is collected first, or it
        # would be kept for good (a test session starts many services in one process).
        gc.collect()
        gc.freeze()
        if parts.uses_bus:
            self._spawn(self.bus.connect())
            self._spawn(self._follow_municipality())
        if self.outbox is not None:
            relay = OutboxRelay(
                self.db(), self.outbox, self.bus, poll_seconds=self.settings.relay_poll_seconds
            )
            self._spawn(relay.run())
        if parts.subscriptions is not None:
            assert parts.tables is not None
            options = ConsumerOptions(
                max_deliver=self.settings.consumer_max_deliver,
                ack_wait_seconds=self.settings.consumer_ack_wait_seconds,
            )
            for subscription in parts.subscriptions.items:
                consumer = Consumer(
                    parts.name,
                    subscription,
                    database=self.db(),
                    tables=parts.tables,
                    bus=self.bus,
                    outbox=self.outbox,
                    options=options,
                    settings=self.settings,
                )
                self.consumers[consumer.durable] = consumer
                self._spawn(consumer.run())
        if parts.uses_temporal:
            self._spawn(self._connect_temporal())
        for job in parts.background:
            if is_one_replica(job) and self.database is not None:
                name = f"{parts.name}.{job.__name__}"
                self._spawn(run_alone(self.database, name, functools.partial(self._here, job)))
            else:
                self._spawn(job(self))

    async def _here(self, job: Callable[[Runtime], Coroutine[Any, Any, None]]) -> None:
        """Run a job that runs in one replica at a time; when it stops here (another
        replica took it over), what it said of itself for readiness goes with it."""
        before = set(self.job_states)
        try:
            await job(self)
        finally:
            for key in set(self.job_states) - before:
                self.job_states.pop(key, None)

    async def _follow_municipality(self) -> None:
        await self.bus.wait_connected()
        self.municipality_state = "reading"

        def missing(reason: str) -> None:
            self.municipality_state = reason
            log.error("municipality.missing", reason=reason)
            if self.on_missing is not None:
                self.on_missing(reason)

        def installed(profile: municipality.Municipality, changed: bool) -> None:
            self.municipality_state = "ok"
            if changed:
                log.info("municipality.installed", code=profile.code)

        await municipality.keep_current(
            self.bus.js,
            wait_seconds=self.settings.municipality_wait_seconds,
            on_missing=missing,
            on_installed=installed,
        )

    async def _connect_temporal(self) -> None:
        self._temporal = await connect_with_retry(self.settings)
        self._temporal_connected.set()
        log.info("temporal.connected", address=self.settings.temporal_address)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        task.add_done_callback(self._task_ended)
        self._tasks.append(task)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("runtime.task_failed", error=repr(task.exception()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._loop_monitor is not None:
            await self._loop_monitor.release()
            self._loop_monitor = None
        await self.bus.close()
        if self.database is not None:
            await self.database.dispose()

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: "ok", or why it is not ready."""
        checks: dict[str, str] = {}
        if self.database is not None:
            checks["database"] = await self._check_database()
        if self.parts.uses_bus:
            checks["nats"] = "ok" if self.bus.ready else "not connected"
            checks["municipality"] = self.municipality_state
        if self.parts.uses_temporal:
            checks["temporal"] = "ok" if self._temporal is not None else "not connected"
        checks.update(self.job_states)
        return checks

    async def _check_database(self) -> str:
        assert self.database is not None
        try:
            async with self.database.engine.connect() as connection:
                if self._expected_revision is None:
                    await connection.execute(text("SELECT 1"))
                    return "ok"
                revision = (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
        except Exception as error:
            message = str(error).splitlines()[0]
            if "alembic_version" in message:
                return "not migrated: run `meria migrate`"
            return f"unreachable: {message[:200]}"
        if revision != self._expected_revision:
            return (
                f"at revision {revision}, expected {self._expected_revision}: run `meria migrate`"
            )
        return "ok"


async def wait_ready(runtime: Runtime) -> None:
    """Wait until every dependency of a runtime is ready; bound it with `asyncio.timeout`."""
    while True:
        checks = await runtime.readiness()
        if all(state == "ok" for state in checks.values()):
            return
        await asyncio.sleep(0.1)


__all__ = ["FileArea", "Runtime", "ServiceParts", "wait_ready"]
