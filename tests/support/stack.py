"""Run Meria's own processes inside the test's event loop, on real HTTP ports.

Each process is the same FastAPI app `meria run` serves, under uvicorn on a free port,
with its own freshly migrated database and the test's NATS and Temporal servers; on NATS
each is its own user, and the test reads the streams as the read-only user.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from temporalio.service import RPCError, RPCStatusCode

from meria import municipality
from meria.auth import User, issue_token, service_token
from meria.bus import INSTALLER, READER, Bus
from meria.bus.streams import stream_for_subject
from meria.config import ServiceSettings, Settings, bus_credentials_of
from meria.contracts import CloudEvent, Event
from meria.db import Database, migrate
from meria.processes import PROCESSES
from meria.runtime import Runtime
from meria.temporal import connect
from meria.testing.servers import free_port


@dataclass
class Stack:
    """The processes a test started, and what they share."""

    shared: dict[str, Any]
    urls: dict[str, str] = field(default_factory=dict)
    apps: dict[str, FastAPI] = field(default_factory=dict)
    _reader: Bus | None = None

    async def reader(self) -> Bus:
        """A connection as the read-only NATS user, for the test to read the streams."""
        if self._reader is None:
            bus = Bus(self.shared["nats_url"], "test-reader", bus_credentials_of(READER))
            await bus.connect()
            self._reader = bus
        return self._reader

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()

    def runtime(self, name: str) -> Runtime:
        runtime: Runtime = self.apps[name].state.runtime
        return runtime

    def settings(self, name: str) -> ServiceSettings:
        return self.runtime(name).settings

    def operator_settings(self) -> Settings:
        """The command line's settings (`meria seed`, `meria token`): the operator."""
        return Settings(**self.shared)

    def token(self, *roles: str, user: str = "nino.beridze") -> str:
        """A person's token, as the operator's command line makes them."""
        subject = User(id=user, name="ნინო ბერიძე", roles=frozenset(roles))  # type: ignore[arg-type]
        return issue_token(self.operator_settings(), subject)

    def headers(self, *roles: str, user: str = "nino.beridze") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*roles, user=user)}"}

    def worker_settings(self) -> ServiceSettings:
        """The worker's settings, for a test that runs the worker itself."""
        return PROCESSES["worker"].settings_class()(**self.shared)

    def service_headers(self, process: str = "worker") -> dict[str, str]:
        """What a Meria process sends in its own name (the worker calling a service)."""
        settings = PROCESSES[process].settings_class()(**self.shared)
        return {"Authorization": f"Bearer {service_token(settings)}"}


@asynccontextmanager
async def serve(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="on",
            # As `meria run` serves: the peer is the client, whatever X-Forwarded-For says;
            # a service believes the header only from its MERIA_TRUSTED_PROXIES.
            proxy_headers=False,
            # Longer than any pause between a test's requests: a keep-alive connection the
            # server closes just as the client reuses it fails the request.
            timeout_keep_alive=60,
        )
    )
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server stopped before starting")
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def install_municipality(nats_url: str, profile: municipality.Municipality) -> None:
    """Install `profile` on the bus as `meria municipality set` does (the installer)."""
    bus = Bus(nats_url, "test-installer", bus_credentials_of(INSTALLER))
    await bus.connect()
    try:
        await municipality.write(bus.js, profile)
    finally:
        await bus.close()


@asynccontextmanager
async def running_stack(
    names: list[str],
    *,
    tmp_path: Path,
    nats_url: str,
    temporal_address: str | None = None,
    new_database: Callable[[str], Awaitable[str]],
    profile: municipality.Municipality | None = None,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    """Start the named processes (in order), each migrated and ready, and stop them after.
    The municipality is the one the test's NATS server was given (Akhmeta), unless
    `profile` is installed instead."""
    if profile is not None:
        await install_municipality(nats_url, profile)
    ports = {name: free_port() for name in names}
    shared: dict[str, Any] = {
        "nats_url": nats_url,
        "temporal_task_queue": f"test-{uuid.uuid4().hex[:10]}",
        "var_dir": tmp_path / "var",
        **{f"{name}_url": f"http://127.0.0.1:{port}" for name, port in ports.items()},
        **overrides,
    }
    if temporal_address:
        shared["temporal_address"] = temporal_address
    stack = Stack(shared)
    async with AsyncExitStack() as exits:
        exits.push_async_callback(stack.close)
        for name in names:
            spec = PROCESSES[name]
            parts = spec.parts()
            database_url = await new_database(name) if parts.metadata is not None else ""
            settings = spec.settings_class()(**shared, port=ports[name], database_url=database_url)
            if parts.metadata is not None and parts.migrations is not None:
                database = Database(settings.database_url)
                await migrate(database, parts.migrations, parts.metadata)
                await database.dispose()
            app = spec.load().create_app(settings)
            await exits.enter_async_context(serve(app, ports[name]))
            stack.apps[name] = app
            stack.urls[name] = f"http://127.0.0.1:{ports[name]}"
        if temporal_address:
            exits.push_async_callback(
                end_workflows, temporal_address, shared["temporal_task_queue"]
            )
        yield stack


async def publish_event(nats_url: str, event: Event, *, about: str | None = None) -> str:
    """Put `event` on the bus as its service's relay would (a CloudEvent with its id as
    `Nats-Msg-Id`), connected with that service's credentials; returns the event id."""
    envelope = CloudEvent.wrap(event, about=about)
    service = event.service()
    bus = Bus(
        nats_url,
        f"test-{service}",
        bus_credentials_of(service),
        streams=[stream_for_subject(event.subject)],
    )
    await bus.connect()
    try:
        await bus.js.publish(
            event.subject,
            envelope.model_dump_json().encode(),
            headers={"Nats-Msg-Id": envelope.id},
        )
    finally:
        await bus.close()
    return envelope.id


async def end_workflows(address: str, task_queue: str) -> None:
    """Workflow ids come from case ids, and every test's databases count from 1 again:
    end what a test left running on the shared server, so the next test starts afresh."""
    client = await connect(address, "meria")
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    try:
        async for execution in client.list_workflows(query):
            with contextlib.suppress(RPCError):
                await client.get_workflow_handle(execution.id, run_id=execution.run_id).terminate(
                    "the test ended"
                )
    except RPCError as error:
        # The time-skipping server lists nothing; a test that uses one has it to itself.
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, what: str = "condition"
) -> None:
    """Poll `predicate` until it holds; fail the test, saying `what`, after `timeout` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.05)
