"""A consumer process killed inside its handler: the event is redelivered and applied once.

The handler has written its effect but not committed when SIGKILL arrives. The database
throws the open transaction away (SQLite: the kernel drops the dead process's locks and
readers ignore WAL frames without a commit; PostgreSQL aborts the dead connection's
transaction), JetStream redelivers after ack_wait, and the restarted process applies
the event exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from meria.bus import Bus, Outbox
from meria.db import Database
from meria.testing.servers import NatsServer
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until

pytestmark = pytest.mark.reliability

PROJECT = Path(__file__).resolve().parents[2]
ACK_WAIT_SECONDS = 2.0
PAUSED_PARCEL = 1


class ConsumerProcess:
    """`python -m tests.support.bus_app` as a separate OS process, logging to a file."""

    def __init__(self, database_url: str, nats_url: str, folder: Path, pause: Path) -> None:
        self.command = [
            sys.executable,
            "-m",
            "tests.support.bus_app",
            database_url,
            nats_url,
            str(ACK_WAIT_SECONDS),
        ]
        self.env = {**os.environ, "MERIA_TEST_HANDLER_PAUSE": str(pause)}
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        with (self.folder / f"consumer-{self.runs}.log").open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.folder.glob("consumer-*.log"))
        )


@pytest.fixture
def consumer_process(
    database_url: str, nats_server: NatsServer, tmp_path: Path
) -> Iterator[ConsumerProcess]:
    process = ConsumerProcess(database_url, nats_server.url, tmp_path, tmp_path / "pause")
    yield process
    process.kill()


async def applied_per_event(database: Database) -> dict[str, int]:
    applied = bus_app.applied
    async with database.session() as session:
        rows = await session.execute(
            select(applied.c.event_id, func.count()).group_by(applied.c.event_id)
        )
    return {event_id: count for event_id, count in rows.tuples()}


async def only_event_id(database: Database) -> str:
    """The id of the one event recorded so far."""
    async with database.session() as session:
        [event_id] = (await session.scalars(select(bus_app.tables.outbox.c.event_id))).all()
    return str(event_id)


async def test_event_is_applied_once_after_the_consumer_dies_mid_handler(
    database: Database,
    bus: Bus,
    reader: Bus,
    outbox: Outbox,
    consumer_process: ConsumerProcess,
    tmp_path: Path,
) -> None:
    pause = tmp_path / "pause"
    pause.write_text(str(PAUSED_PARCEL))
    entered = tmp_path / "handler-entered"
    relay = bus_app.make_relay(database, bus, outbox)

    async with running(relay.run()):
        consumer_process.start()
        await bus_app.record_parcel(database, outbox, PAUSED_PARCEL)
        paused_event = await only_event_id(database)

        async def handler_entered() -> bool:
            assert consumer_process.alive(), consumer_process.log()
            return entered.exists()

        # On SQLite the paused process holds the write lock, so the relay's "published"
        # mark waits on the busy timeout meanwhile; the kill releases it.
        await wait_until(handler_entered, what="the handler paused mid-transaction")
        consumer_process.kill()
        pause.unlink()
        # Its effect was written inside the open transaction, never committed.
        assert await bus_app.applied_counts(database) == (0, 0)

        consumer_process.start()

        async def paused_event_applied() -> bool:
            assert consumer_process.alive(), consumer_process.log()
            return await bus_app.applied_counts(database) == (1, 1)

        # Redelivered once ack_wait has passed since the first delivery.
        await wait_until(paused_event_applied, what="the paused event applied after restart")

        for number in range(2, 6):
            await bus_app.record_parcel(database, outbox, number)

        async def later_events_applied() -> bool:
            assert consumer_process.alive(), consumer_process.log()
            return await bus_app.applied_counts(database) == (5, 5)

        await wait_until(later_events_applied, what="the later events applied")

    counts = await applied_per_event(database)
    assert counts[paused_event] == 1
    assert set(counts.values()) == {1}
    info = await reader.js.consumer_info("PUBLISHING", "testsink-count-parcel")
    assert info.num_ack_pending == 0
    assert info.num_pending == 0
    # Five events, at least six deliveries: the paused one came again after the kill.
    assert info.delivered.consumer_seq >= 6
