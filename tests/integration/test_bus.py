"""The bus end to end on a real nats-server: outbox → relay → JetStream → consumer → inbox."""

from __future__ import annotations

import asyncio
import json

from meria.bus import Bus, Outbox
from meria.db import Database
from meria.testing.servers import NatsServer
from tests.support import bus_app


async def wait_until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_event_written_in_a_transaction_is_applied_once(
    nats_server: NatsServer, database_url: str
) -> None:
    database = Database(database_url)
    await bus_app.create_schema(database)
    bus = Bus(nats_server.url, "test")
    await bus.connect()
    outbox = Outbox(bus_app.tables.outbox, "publishing")
    tasks = [
        asyncio.create_task(bus_app.make_relay(database, bus, outbox).run()),
        asyncio.create_task(bus_app.make_consumer(database, bus).run()),
    ]
    try:
        for number in range(1, 11):
            await bus_app.record_parcel(database, outbox, number)

        async def all_applied() -> bool:
            return await bus_app.applied_counts(database) == (10, 10)

        await wait_until(all_applied)
        message = await bus.js.get_msg("PUBLISHING", 1)
        envelope = json.loads(message.data or b"")
        assert envelope["specversion"] == "1.0"
        assert envelope["type"] == "ge.meria.publishing.parcel.recorded.v1"
        assert envelope["data"] == {"number": 1, "note": ""}
        assert message.headers and message.headers["Nats-Msg-Id"] == envelope["id"]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bus.close()
        await database.dispose()
