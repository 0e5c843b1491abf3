"""A handler that always fails: its event is tried max_deliver times, then dead-lettered.

The bound is enforced by the consumer (JetStream's own max_deliver is off so that no
message can vanish without a dead letter), and other consumers keep flowing meanwhile.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from meria import dead_letters as dead_letter_desk
from meria.auth import User
from meria.bus import Bus, Delivery, Outbox, Subscription, Subscriptions
from meria.contracts import CloudEvent
from meria.db import Database
from meria.problems import Problem
from tests.reliability.support import dead_letter_count, dead_letters
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until

pytestmark = pytest.mark.reliability

MAX_DELIVER = 3


async def reject_parcel(database: Database, outbox: Outbox, number: int) -> CloudEvent:
    async with database.transaction() as session:
        return await outbox.add(session, bus_app.ParcelRejected(number=number))


async def test_failing_handler_is_dead_lettered_after_max_deliver(
    database: Database, bus: Bus, sink: Bus, reader: Bus, outbox: Outbox
) -> None:
    # The failing handler of the test app, wrapped to count its calls.
    refuse = bus_app.failing.items[0]
    calls: list[tuple[int, int]] = []
    fixed: list[bool] = []

    async def counted(event: bus_app.ParcelRejected, delivery: Delivery) -> None:
        calls.append((event.number, delivery.deliveries))
        if not fixed:
            await refuse.handler(event, delivery)

    failing = bus_app.make_consumer(
        database,
        sink,
        subs=Subscriptions([Subscription(refuse.name, refuse.event, counted)]),
        max_deliver=MAX_DELIVER,
        retry_delays=(0.1, 0.1, 0.1),
        ack_wait_seconds=5.0,
    )
    working = bus_app.make_consumer(database, sink, ack_wait_seconds=5.0)
    relay = bus_app.make_relay(database, bus, outbox)

    async def dead_lettered(count: int) -> None:
        async def arrived() -> bool:
            return await dead_letter_count(reader.js) >= count

        await wait_until(arrived, what=f"{count} dead letter(s)")

    async with running(relay.run(), failing.run(), working.run()) as tasks:
        first = await reject_parcel(database, outbox, 1)
        await dead_lettered(1)

        [letter] = await dead_letters(reader.js)
        headers = letter.headers or {}
        assert (
            letter.subject == f"deadletter.{failing.durable}" == "deadletter.testsink-refuse-parcel"
        )
        assert headers["Meria-Dead-Letter-Kind"] == "handler_failed"
        reason = headers["Meria-Dead-Letter-Reason"]
        assert f"handler failed {MAX_DELIVER} times" in reason
        assert "RuntimeError('parcel 1 cannot be accepted')" in reason
        assert headers["Meria-Deliveries"] == str(MAX_DELIVER)
        assert headers["Meria-Consumer"] == failing.durable
        assert headers["Meria-Original-Subject"] == bus_app.ParcelRejected.subject
        assert headers["Meria-Original-Stream"] == "PUBLISHING"
        assert json.loads(letter.data)["id"] == first.id
        assert calls == [(1, 1), (1, 2), (1, 3)]

        # Terminated after the dead letter: no fourth delivery comes.
        await asyncio.sleep(1.0)
        assert calls == [(1, 1), (1, 2), (1, 3)]
        info = await reader.js.consumer_info("PUBLISHING", failing.durable)
        assert info.delivered.consumer_seq == MAX_DELIVER
        assert info.num_ack_pending == 0
        assert info.num_pending == 0

        # Events published afterwards flow: to the working consumer, and the failing one
        # moves on to its next event instead of being stuck on the first.
        for number in range(1, 6):
            await bus_app.record_parcel(database, outbox, number)
        second = await reject_parcel(database, outbox, 2)

        async def applied() -> bool:
            return await bus_app.applied_counts(database) == (5, 5)

        await wait_until(applied, what="the later events applied")
        await dead_lettered(2)
        letters = await dead_letters(reader.js)
        assert len(letters) == 2
        assert json.loads(letters[1].data)["id"] == second.id
        assert calls[3:] == [(2, 1), (2, 2), (2, 3)]
        assert not any(task.done() for task in tasks)

    # A failed attempt rolls back with its inbox row: nothing marks event 1 or 2 handled.
    inbox = bus_app.tables.inbox
    async with database.session() as session:
        handled_by_failing = await session.scalar(
            select(func.count()).select_from(inbox).where(inbox.c.consumer == failing.durable)
        )
    assert handled_by_failing == 0

    # The letters are kept for people, with where they came from and why.
    kept = bus_app.tables.dead_letters
    page = await dead_letter_desk.page(
        database, kept, status="open", consumer=None, limit=10, offset=0
    )
    assert [(d.consumer, d.kind, d.stream) for d in page.items] == [
        (failing.durable, "handler_failed", "PUBLISHING")
    ] * 2
    second_letter, first_letter = page.items
    assert json.loads(first_letter.payload)["id"] == first.id
    assert "parcel 1 cannot be accepted" in first_letter.reason

    # Re-driven before the fault is fixed, it fails again and stays open, saying why.
    admin = User(id="tamar.admin", roles=frozenset({"admin"}))
    consumers = {failing.durable: failing}
    with pytest.raises(Problem) as again:
        await dead_letter_desk.redrive(database, kept, consumers, first_letter.id, admin, "retry")
    assert again.value.status == 409 and "parcel 1 cannot be accepted" in str(again.value.detail)
    # Fixed, it is applied once by the same handler; a second re-drive is refused.
    fixed.append(True)
    redriven = await dead_letter_desk.redrive(
        database, kept, consumers, first_letter.id, admin, "the parcel office reopened"
    )
    assert (redriven.status, redriven.decided_by) == ("redriven", "tamar.admin")
    assert calls[-1] == (1, 1)
    with pytest.raises(Problem, match=r"redriven by tamar\.admin"):
        await dead_letter_desk.redrive(database, kept, consumers, first_letter.id, admin, "again")
    async with database.session() as session:
        handled = await session.scalar(
            select(func.count()).select_from(inbox).where(inbox.c.consumer == failing.durable)
        )
    assert handled == 1
    # The other is given up with the reason, which stays on record.
    discarded = await dead_letter_desk.discard(
        database, kept, second_letter.id, admin, "ამანათი გაუქმდა"
    )
    assert (discarded.status, discarded.decision_reason) == ("discarded", "ამანათი გაუქმდა")
    left = await dead_letter_desk.page(
        database, kept, status="open", consumer=None, limit=10, offset=0
    )
    assert left.total == 0
