"""Fixtures that start real servers: nats-server, Temporal, SQLite or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from meria import municipality
from meria.bus import READER, Bus, Outbox
from meria.config import bus_credentials_of
from meria.db import Database
from meria.servers import binary
from meria.temporal import register_search_attributes
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.support import bus_app

AKHMETA = municipality.bundled("akhmeta")


@pytest.fixture(autouse=True)
def akhmeta() -> Iterator[municipality.Municipality]:
    """Every test serves Akhmeta unless it installs another municipality; whatever a test
    installed in this process is put back after it."""
    municipality.install(AKHMETA)
    yield AKHMETA
    municipality.install(AKHMETA)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A fresh nats-server per test: its streams, consumers and files are the test's own.
    Authorisation is on: the stack's users, and the bus test app's consumer process."""
    server = NatsServer(tmp_path / "nats", extra_users=[bus_app.sink_account()]).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    """One Temporal dev server for the session; tests use their own task queues and ids."""
    server = TemporalDevServer(tmp_path_factory.mktemp("temporal")).start()
    yield server
    server.stop()


@asynccontextmanager
async def time_skipping_environment() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server: timers of days pass in an instant."""
    environment = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=binary("temporal-test-server"),
    )
    # The inbox's search attributes must exist before a workflow may set them.
    await register_search_attributes(environment.client, environment.client.namespace)
    try:
        yield environment
    finally:
        await environment.shutdown()


@pytest.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the session, for workflows whose ids are the test's own."""
    async with time_skipping_environment() as environment:
        yield environment


@pytest.fixture
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own, for a test that runs a whole stack: case
    ids start at 1 in every test's fresh database, and so do the workflow ids made from
    them (`visit-1`, `meeting-1`), which one shared server would already know."""
    async with time_skipping_environment() as environment:
        yield environment


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
async def new_database(tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Make fresh, empty databases: SQLite files by default; PostgreSQL databases (created
    now, dropped after the test) when MERIA_TEST_DATABASE_URL points at a server."""
    server_url = os.environ.get("MERIA_TEST_DATABASE_URL")
    created: list[str] = []
    admin_dsn = ""
    if server_url:
        admin_dsn = (
            make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
        )

    async def make(name: str) -> str:
        if not server_url:
            return f"sqlite+aiosqlite:///{tmp_path / name}.db"
        database = f"meria_test_{name}_{uuid.uuid4().hex[:10]}"
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()
        created.append(database)
        return make_url(server_url).set(database=database).render_as_string(hide_password=False)

    yield make
    if created:
        admin = await asyncpg.connect(admin_dsn)
        try:
            for database in created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def database_url(new_database: DatabaseFactory) -> str:
    """One fresh database for the test."""
    return await new_database("test")


# The portal's screens over the services' APIs: what they add on PostgreSQL is covered by
# the services' own API tests beneath them, which run on both. The portal's own tables
# (accounts, sign-in throttling, notifications) keep their tests in the second pass.
SCREENS_OVER_APIS = {
    "test_portal.py",
    "test_portal_dashboard.py",
    "test_portal_dead_letters.py",
    "test_portal_events.py",
    "test_portal_form_limits.py",
    "test_portal_library.py",
    "test_portal_media_response.py",
    "test_portal_ops_gate.py",
    "test_portal_partners.py",
    "test_portal_press.py",
    "test_portal_request_page.py",
    "test_portal_visits.py",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Any test that uses a database runs again on PostgreSQL in CI (`-m database`),
    except the portal's screens over the services' APIs (`screens`)."""
    for item in items:
        if "new_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.database)
        if item.path.name in SCREENS_OVER_APIS:
            item.add_marker(pytest.mark.screens)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The bus test app's database (tests/support/bus_app.py), its schema created."""
    database = Database(database_url)
    await bus_app.create_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    """A connected bus on the test's nats-server as the publishing service, the bus test
    app's producer: it declares the PUBLISHING stream and may publish on it."""
    bus = Bus(
        nats_server.url,
        "test-publishing",
        bus_credentials_of("publishing"),
        streams=["PUBLISHING"],
    )
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def sink(nats_server: NatsServer) -> AsyncIterator[Bus]:
    """A connected bus as the bus test app's consumer process (`testsink`)."""
    bus = bus_app.sink_bus(nats_server.url)
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
async def reader(nats_server: NatsServer) -> AsyncIterator[Bus]:
    """A connected bus as the read-only user, for a test to look at streams and consumers."""
    bus = Bus(nats_server.url, "test-reader", bus_credentials_of(READER))
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
def outbox() -> Outbox:
    """The bus test app's outbox, publishing as the publishing service."""
    return Outbox(bus_app.tables.outbox, "publishing")
