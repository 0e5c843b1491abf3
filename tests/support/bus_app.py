"""A small producer/consumer pair on the real bus kernel, for bus and reliability tests.

Its event is a test-only contract on the publishing stream; its effect is one appended
row per application, so a second application of the same event would show as a
duplicate row (the table has no unique key on purpose).

On NATS the producer is the publishing service's user (the outbox is publishing's), and
the consumer side is a process of its own, `testsink`, with a user made from its
subscriptions as a service's is: the bus tests run under the real permissions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, func, insert, select

from meria.bus import (
    Bus,
    BusUser,
    Consumer,
    ConsumerOptions,
    Delivery,
    Outbox,
    OutboxRelay,
    Subscriptions,
    define_bus_tables,
)
from meria.config import BusCredentials, bus_credentials_of
from meria.contracts import Event
from meria.db import Database, new_metadata
from meria.runtime import ServiceParts


class ParcelRecorded(Event):
    """Test-only event: a numbered parcel was recorded."""

    subject = "publishing.parcel.recorded"

    number: int
    note: str = ""


class ParcelRejected(Event):
    """Test-only event that a test consumer always fails on."""

    subject = "publishing.parcel.rejected"

    number: int


metadata = new_metadata()
tables = define_bus_tables(metadata)
applied = Table(
    "applied_parcels",
    metadata,
    Column("row", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("number", Integer, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
parcels = Table(
    "parcels",
    metadata,
    Column("number", Integer, primary_key=True),
    Column("note", String(200), nullable=False),
)

subscriptions = Subscriptions()
HANDLER_PAUSE = Path(os.environ.get("MERIA_TEST_HANDLER_PAUSE", "/nonexistent"))


@subscriptions.handler
async def count_parcel(event: ParcelRecorded, delivery: Delivery) -> None:
    await delivery.session.execute(
        insert(applied).values(
            event_id=delivery.envelope.id, number=event.number, applied_at=datetime.now(UTC)
        )
    )
    # A test touches this file to hold the handler mid-transaction, then kills the process.
    if HANDLER_PAUSE.exists() and event.number == int(HANDLER_PAUSE.read_text() or -1):
        (HANDLER_PAUSE.parent / "handler-entered").write_text(str(event.number))
        await asyncio.sleep(3600)


failing = Subscriptions()


@failing.handler
async def refuse_parcel(event: ParcelRejected, delivery: Delivery) -> None:
    raise RuntimeError(f"parcel {event.number} cannot be accepted")


fussy = Subscriptions()


@fussy.handler
async def refuse_parcel_three(event: ParcelRecorded, delivery: Delivery) -> None:
    """Applies every parcel but number 3, which fails every time."""
    if event.number == 3:
        raise RuntimeError("parcel 3 cannot be accepted")
    await count_parcel(event, delivery)


answering = Subscriptions()


@answering.handler
async def answer_parcel(event: ParcelRecorded, delivery: Delivery) -> None:
    """Records each parcel and answers with an event of its own, then fails on number 3."""
    await count_parcel(event, delivery)
    assert delivery.outbox is not None
    await delivery.outbox.add(delivery.session, ParcelRejected(number=event.number))
    if event.number == 3:
        raise RuntimeError("parcel 3 cannot be accepted")


# The consumer process: its NATS user allows exactly these subscriptions' consumers.
SINK = "testsink"
PARTS = ServiceParts(
    name=SINK,
    metadata=metadata,
    tables=tables,
    subscriptions=Subscriptions(
        [*subscriptions.items, *failing.items, *fussy.items, *answering.items]
    ),
)


def sink_account() -> tuple[BusUser, BusCredentials]:
    """The consumer process's NATS user and its (development) credentials."""
    return PARTS.bus_user(), bus_credentials_of(SINK)


def sink_bus(nats_url: str, name: str = SINK) -> Bus:
    """A connection as the consumer process: it declares the dead-letter stream."""
    user, credentials = sink_account()
    return Bus(nats_url, name, credentials, streams=user.streams)


async def create_schema(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


async def record_parcel(database: Database, outbox: Outbox, number: int) -> None:
    """A use case: the domain row and its event in one transaction."""
    async with database.transaction() as session:
        await session.execute(insert(parcels).values(number=number, note=f"ამანათი {number}"))
        await outbox.add(session, ParcelRecorded(number=number), about=f"parcel:{number}")


async def applied_counts(database: Database) -> tuple[int, int]:
    """(rows applied, distinct events applied)."""
    async with database.session() as session:
        total = await session.scalar(select(func.count()).select_from(applied))
        distinct = await session.scalar(select(func.count(func.distinct(applied.c.event_id))))
    return int(total or 0), int(distinct or 0)


def make_relay(database: Database, bus: Bus, outbox: Outbox) -> OutboxRelay:
    return OutboxRelay(database, outbox, bus, poll_seconds=0.2)


def make_consumer(
    database: Database, bus: Bus, *, subs: Subscriptions = subscriptions, **options: object
) -> Consumer:
    return Consumer(
        SINK,
        subs.items[0],
        database=database,
        tables=tables,
        bus=bus,
        options=ConsumerOptions(**options),  # type: ignore[arg-type]
    )


async def run_consumer_process(database_url: str, nats_url: str, ack_wait: float) -> None:
    """Entry point of the consumer as a separate OS process (reliability test 2)."""
    database = Database(database_url)
    bus = sink_bus(nats_url, "testsink-process")
    await bus.connect()
    consumer = make_consumer(database, bus, ack_wait_seconds=ack_wait)
    await consumer.run()


@contextlib.asynccontextmanager
async def running(
    *coroutines: Coroutine[Any, Any, None],
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Run relays and consumers in the background; a task that died is a test failure."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        yield tasks
        for task in tasks:
            assert not task.done(), f"{task.get_coro()!r} stopped: {task}"
    finally:
        for task in tasks:
            task.cancel()
        # Bounded: a loop that fails to stop fails the test in seconds instead of hanging it.
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)


if __name__ == "__main__":
    import sys

    asyncio.run(run_consumer_process(sys.argv[1], sys.argv[2], float(sys.argv[3])))
