"""The bus end to end on a real nats-server: outbox → relay → JetStream → consumer → inbox."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from meria.bus import Bus, Consumer, ConsumerOptions, Outbox, OutboxRelay
from meria.db import Database
from tests.reliability.support import dead_letter_count, dead_letters
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until


async def test_event_written_in_a_transaction_is_applied_once(
    database: Database, bus: Bus, sink: Bus, reader: Bus, outbox: Outbox
) -> None:
    async with running(
        bus_app.make_relay(database, bus, outbox).run(),
        bus_app.make_consumer(database, sink).run(),
    ):
        for number in range(1, 11):
            await bus_app.record_parcel(database, outbox, number)

        async def all_applied() -> bool:
            return await bus_app.applied_counts(database) == (10, 10)

        await wait_until(all_applied)
        message = await reader.js.get_msg("PUBLISHING", 1)
        envelope = json.loads(message.data or b"")
        assert envelope["specversion"] == "1.0"
        assert envelope["type"] == "ge.meria.publishing.parcel.recorded.v1"
        assert envelope["data"] == {"number": 1, "note": ""}
        assert message.headers and message.headers["Nats-Msg-Id"] == envelope["id"]


async def stream_numbers(bus: Bus) -> list[int]:
    """The parcel numbers on the stream, in stream order."""
    info = await bus.js.stream_info("PUBLISHING")
    numbers = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg("PUBLISHING", sequence)
        numbers.append(json.loads(message.data or b"")["data"]["number"])
    return numbers


async def test_relay_sends_what_this_process_committed_in_order_and_what_others_wrote(
    database: Database, bus: Bus, reader: Bus, outbox: Outbox
) -> None:
    """Rows this process commits reach the relay in memory, in commit order; rows it never
    saw (left from before it started, written by another process, or beyond what memory
    holds) are read from the table: each is published once."""
    elsewhere = Outbox(bus_app.tables.outbox, "publishing")  # another process's outbox
    for number in range(1, 4):  # written before the relay starts
        await bus_app.record_parcel(database, elsewhere, number)
    # Small batches, so that reading the table and taking from memory both go round.
    relay = OutboxRelay(database, outbox, bus, poll_seconds=0.2, batch_size=4)
    async with running(relay.run()):
        for number in range(4, 24):
            await bus_app.record_parcel(database, outbox, number)
        await bus_app.record_parcel(database, elsewhere, 24)
        outbox.MEMORY_LIMIT = 3  # the rest overflows to the table
        for number in range(25, 41):
            await bus_app.record_parcel(database, outbox, number)

        async def all_sent() -> bool:
            return await relay.backlog() == 0 and len(await stream_numbers(reader)) >= 40

        await wait_until(all_sent)
        numbers = await stream_numbers(reader)
        assert sorted(numbers) == list(range(1, 41))  # each once
        assert numbers[:23] == list(range(1, 24))  # the table's, then memory's in order


async def test_a_relay_reading_its_table_often_still_sends_its_own_rows_at_once(
    database: Database, bus: Bus, reader: Bus, outbox: Outbox
) -> None:
    """The table's reads leave fresh rows to the replica that wrote them, so this
    process's own fresh rows must go from memory even in a round that read the table:
    here every round reads it, and no row waits the five seconds another replica's would."""
    relay = OutboxRelay(database, outbox, bus, poll_seconds=0.01, others_after=5.0)
    async with running(relay.run()):
        await asyncio.sleep(0.3)  # its first read, of every pending row, is behind it
        started = asyncio.get_running_loop().time()
        for number in range(1, 11):
            await bus_app.record_parcel(database, outbox, number)
            await asyncio.sleep(0.05)

        async def all_sent() -> bool:
            return len(await stream_numbers(reader)) >= 10

        await wait_until(all_sent, timeout=10)
        assert asyncio.get_running_loop().time() - started < 3.0
        assert sorted(await stream_numbers(reader)) == list(range(1, 11))


async def test_a_failing_event_in_a_batch_leaves_its_neighbours_applied_once(
    database: Database, bus: Bus, sink: Bus, reader: Bus, outbox: Outbox
) -> None:
    async with running(bus_app.make_relay(database, bus, outbox).run()):
        for number in range(1, 11):
            await bus_app.record_parcel(database, outbox, number)
        await wait_until(lambda: _stream_has(reader, 10))
        # Started after all ten are on the stream, the consumer fetches them as one batch.
        consumer = bus_app.make_consumer(
            database, sink, subs=bus_app.fussy, max_deliver=2, ack_wait_seconds=1.0
        )
        async with running(consumer.run()):

            async def dead_lettered() -> bool:
                return await dead_letter_count(reader.js) >= 1

            await wait_until(dead_lettered)
            [letter] = await dead_letters(reader.js)
            assert letter.subject == "deadletter.testsink-refuse-parcel-three"
            assert json.loads(letter.data)["data"]["number"] == 3
            assert letter.headers is not None
            assert "parcel 3 cannot be accepted" in letter.headers["Meria-Dead-Letter-Reason"]

            async def nine_applied() -> bool:
                return await bus_app.applied_counts(database) == (9, 9)

            await wait_until(nine_applied)
            async with database.session() as session:
                numbers = set((await session.scalars(select(bus_app.applied.c.number))).all())
            assert numbers == set(range(1, 11)) - {3}


async def _stream_has(bus: Bus, count: int) -> bool:
    return (await bus.js.stream_info("PUBLISHING")).state.messages >= count


async def test_a_handler_that_fails_in_a_batch_sends_none_of_its_events(
    database: Database, bus: Bus, sink: Bus, reader: Bus, outbox: Outbox
) -> None:
    """Its event was written under a savepoint that rolled back: it must never be sent,
    while its neighbours' events are, once each."""
    relay = bus_app.make_relay(database, bus, outbox)
    async with running(relay.run()):
        for number in range(1, 7):
            await bus_app.record_parcel(database, outbox, number)
        await wait_until(lambda: _stream_has(reader, 6))
        consumer = Consumer(
            bus_app.SINK,
            bus_app.answering.items[0],
            database=database,
            tables=bus_app.tables,
            bus=sink,
            outbox=outbox,
            options=ConsumerOptions(max_deliver=2, ack_wait_seconds=1.0),
        )
        async with running(consumer.run()):

            async def answered() -> bool:
                return await relay.backlog() == 0 and await _stream_has(reader, 11)

            await wait_until(answered)
            await asyncio.sleep(1.5)  # time enough for a wrongly kept event to go out too
            numbers = await stream_numbers(reader)
            assert sorted(numbers[6:]) == [1, 2, 4, 5, 6]  # the answers, once each, none for 3
            async with database.session() as session:
                rows = (await session.scalars(select(bus_app.tables.outbox.c.subject))).all()
            assert rows.count("publishing.parcel.rejected") == 5
