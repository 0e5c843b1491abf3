"""Fixtures shared by the reliability scenarios: the test app's database, bus and outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from meria.bus import Bus, Outbox
from meria.db import Database
from meria.testing.servers import NatsServer
from tests.support import bus_app


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await bus_app.create_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
async def bus(nats_server: NatsServer) -> AsyncIterator[Bus]:
    bus = Bus(nats_server.url, "reliability-test")
    await bus.connect()
    yield bus
    await bus.close()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox(bus_app.tables.outbox, "publishing")
