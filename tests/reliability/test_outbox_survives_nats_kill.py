"""nats-server killed with SIGKILL, repeatedly, while events stream through the outbox.

2,000 use-case transactions each write a domain row and its event; meanwhile the server
is frozen, killed and restarted (same port, same store) three times. The relay keeps
the rows until their PubAck and resends the rest; JetStream and the consumer's inbox
drop what was sent twice. Every event must be applied exactly once and the outbox end
empty.
"""

from __future__ import annotations

import asyncio
import signal

import pytest
from sqlalchemy import func, select

from meria.bus import Bus, Outbox, OutboxRelay
from meria.db import Database
from meria.testing.servers import NatsServer
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until

pytestmark = pytest.mark.reliability

EVENTS = 2000
# Kill the server once this many events have been written; it stays down while the
# writer goes on, so the outbox fills up and the relay meets a dead connection.
KILL_AFTER = (400, 1000, 1600)
FROZEN_SECONDS = 0.5
DOWN_SECONDS = 1.0


async def applied_numbers(database: Database) -> list[int]:
    async with database.session() as session:
        return list((await session.scalars(select(bus_app.applied.c.number))).all())


async def test_every_event_is_applied_once_across_nats_kills(
    nats_server: NatsServer, database: Database, bus: Bus, sink: Bus, reader: Bus, outbox: Outbox
) -> None:
    # A short ack timeout: a batch whose PubAcks died with the server is resent soon.
    relay = OutboxRelay(database, outbox, bus, poll_seconds=0.2, ack_timeout=3.0)
    # A short ack_wait: deliveries the killed server never saw acknowledged come back soon.
    consumer = bus_app.make_consumer(database, sink, ack_wait_seconds=5.0)
    written = 0
    progress: list[tuple[int, tuple[int, int], int]] = []

    async def write_events() -> None:
        nonlocal written
        for number in range(1, EVENTS + 1):
            await bus_app.record_parcel(database, outbox, number)
            written = number
            # A steady stream, as services write, so that every kill lands mid-stream.
            await asyncio.sleep(0.002)

    async def kill_and_restart(after: int) -> None:
        async def reached() -> bool:
            return written >= after

        await wait_until(reached, timeout=60, what=f"{after} events written")
        applied = await bus_app.applied_counts(database)
        progress.append((written, applied, await relay.backlog()))
        # Freeze the server first: on a local socket a bare SIGKILL seldom lands while
        # publishes and acks are in flight, but now the ones sent during the freeze are
        # sure to die unacknowledged with the process.
        assert nats_server.process is not None
        nats_server.process.send_signal(signal.SIGSTOP)
        await asyncio.sleep(FROZEN_SECONDS)
        # Blocking process calls off the event loop: the relay, consumer and writer go on.
        await asyncio.to_thread(nats_server.kill)
        await asyncio.sleep(DOWN_SECONDS)
        await asyncio.to_thread(nats_server.start)

    async with running(relay.run(), consumer.run()):
        writer = asyncio.create_task(write_events())
        try:
            for after in KILL_AFTER:
                await kill_and_restart(after)
            await writer
        finally:
            writer.cancel()

        async def outbox_empty() -> bool:
            return await relay.backlog() == 0

        async def consumer_caught_up() -> bool:
            info = await reader.js.consumer_info("PUBLISHING", consumer.durable)
            return (info.num_pending, info.num_ack_pending) == (0, 0)

        # Everything is in the stream, then everything in the stream is acknowledged,
        # that is applied: from here on nothing more can arrive.
        await wait_until(outbox_empty, timeout=60, what="an empty outbox")
        await wait_until(consumer_caught_up, timeout=60, what="the consumer caught up")

    # Each kill happened mid-stream: more events were still to be written and applied.
    assert len(progress) == len(KILL_AFTER)
    for written_then, (applied_then, _), _ in progress:
        assert applied_then < EVENTS and written_then < EVENTS, progress

    assert await bus_app.applied_counts(database) == (EVENTS, EVENTS)
    numbers = await applied_numbers(database)
    assert len(numbers) == EVENTS
    assert set(numbers) == set(range(1, EVENTS + 1))
    assert await relay.backlog() == 0
    inbox = bus_app.tables.inbox
    async with database.session() as session:
        handled = await session.scalar(
            select(func.count()).select_from(inbox).where(inbox.c.consumer == consumer.durable)
        )
    assert handled == EVENTS
    # Batches resent after a kill were dropped by JetStream's duplicate window, which
    # survived the restarts: the stream holds each event once.
    stream = await reader.js.stream_info("PUBLISHING")
    assert stream.state.messages == EVENTS
