"""The producer side: the transactional outbox and the relay that empties it into JetStream.

A service writes its event into `bus_outbox` in the same transaction as the domain
change, so an event exists exactly when the change does. The relay publishes pending
rows with `Nats-Msg-Id` set to the event id and marks a row sent only after JetStream's
PubAck (acknowledged means on disk with `sync_interval: always`). A crash between the
PubAck and the mark resends the row; JetStream's duplicate window drops the copy, and
consumers' inboxes drop whatever gets past it.

Rows this process commits are also handed to its relay in memory, in commit order, so
the relay publishes them without reading them back; the table stays the truth. The
relay reads it when it starts, after any failure, when the hand-over overflows, and
every `poll_seconds` (rows another process wrote), so a row the memory lost is sent all
the same, and a row sent twice is dropped by JetStream's duplicate window.

Replicas of a service share its table. Each publishes what it commits itself; its look
at the table every `poll_seconds` takes only rows older than `others_after` seconds,
which their own replica has had time to send: the rows of a replica that died, or of a
process without a relay (the command line). So two live replicas do not both send a
row (unless one lags that long behind its commits), and no row waits for a replica that
is gone. At its start, and after a failure,
the relay reads every pending row (its own among them); a row that another replica
sends at that moment may go twice, and JetStream's duplicate window drops the copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from nats.js.api import PubAck
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria.bus.connection import Bus, stop_if_cancelled
from meria.contracts import CloudEvent, Event
from meria.db import Database, after_commit
from meria.logging import get_logger
from meria.metrics import BUS_OUTBOX_BACKLOG, BUS_PUBLISHED
from meria.telemetry import inject_headers

log = get_logger(__name__)

BACKLOG_REPORT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An outbox row as the relay publishes it."""

    event_id: str
    subject: str
    payload: bytes
    headers: dict[str, str]


class Outbox:
    """Where a service's use cases record the events their transaction produces."""

    # Committed rows waiting in memory for the relay; beyond this (JetStream away for a
    # long time), new rows wait only in the table, where the relay finds them.
    MEMORY_LIMIT = 10_000

    def __init__(self, table: Table, service: str) -> None:
        self.table = table
        self.service = service
        self.wakeup = asyncio.Event()
        # Built once: the values come as parameters, so each add only binds them.
        self._insert = insert(table)
        # This process's committed rows in commit order, by event id, until the relay
        # takes them; `overflowed` tells the relay to read the table instead.
        self.committed: OrderedDict[str, PendingEvent] = OrderedDict()
        self.overflowed = False

    async def add(
        self, session: AsyncSession, event: Event, *, about: str | None = None
    ) -> CloudEvent:
        """Record `event` in the session's transaction; the relay publishes it after commit."""
        if event.service() != self.service:
            raise ValueError(f"{self.service} cannot publish {event.subject}")
        headers: dict[str, str] = {}
        inject_headers(headers)
        envelope = CloudEvent.wrap(event, about=about, traceparent=headers.get("traceparent"))
        pending = PendingEvent(
            envelope.id, event.subject, envelope.model_dump_json().encode(), headers
        )
        await session.execute(
            self._insert,
            {
                "event_id": pending.event_id,
                "subject": pending.subject,
                "payload": pending.payload,
                "headers": headers,
                "created_at": envelope.time,
                "attempts": 0,
            },
        )
        after_commit(session, partial(self._hand_over, pending))
        return envelope

    def _hand_over(self, pending: PendingEvent) -> None:
        if len(self.committed) < self.MEMORY_LIMIT:
            self.committed[pending.event_id] = pending
        else:
            self.overflowed = True
        self.wakeup.set()

    def take_committed(self, limit: int) -> list[PendingEvent]:
        """Up to `limit` of the oldest committed rows handed over, now the caller's."""
        taken: list[PendingEvent] = []
        while self.committed and len(taken) < limit:
            taken.append(self.committed.popitem(last=False)[1])
        return taken


class OutboxRelay:
    """Publishes a service's pending outbox rows to JetStream, in commit order."""

    def __init__(
        self,
        database: Database,
        outbox: Outbox,
        bus: Bus,
        *,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
        ack_timeout: float = 10.0,
        retention: timedelta = timedelta(days=7),
        mark_interval: float = 0.1,
        others_after: float = 5.0,
    ) -> None:
        self.database = database
        self.outbox = outbox
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.ack_timeout = ack_timeout
        self.retention = retention
        self.mark_interval = mark_interval
        self.others_after = others_after
        self._last_purge = datetime.min.replace(tzinfo=UTC)
        # Rows JetStream acknowledged but not yet marked sent, by event id: marking is one
        # write transaction for many rows, at most `mark_interval` later. A crash in
        # between only resends them, and JetStream's duplicate window drops the copies.
        self._acknowledged: list[str] = []
        self._last_mark = time.monotonic()
        self._last_backlog_report = -math.inf
        # Read the table, not only what this process handed over: at the start (rows left
        # by an earlier run), after a failure, and every `poll_seconds`.
        self._read_table = True
        self._last_read = -math.inf
        # Every pending row, not only those old enough to be no live replica's: at the
        # start (an earlier run's rows go first, in order), after a failure or an
        # overflow (this process's own rows are among them, only in the table).
        self._read_all = True

    async def run(self) -> None:
        await self.bus.wait_connected()
        backoff = 0.1
        while True:
            stop_if_cancelled()
            self.outbox.wakeup.clear()
            try:
                await self.publish_pending()
                await self._report_backlog()
                await self._purge_old()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox.relay_failed", error=str(error), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.1
            wait = self.mark_interval if self._acknowledged else self.poll_seconds
            try:
                await asyncio.wait_for(self.outbox.wakeup.wait(), timeout=wait)
            except TimeoutError:
                # Quiet for a moment: mark what was sent, so the table says so.
                with contextlib.suppress(Exception):
                    await self._mark_sent(force=True)

    async def publish_pending(self) -> int:
        """Publish until nothing is pending; returns how many rows were sent."""
        sent = 0
        while True:
            count = await self._publish_batch()
            sent += count
            if count < self.batch_size:
                return sent

    async def _publish_batch(self) -> int:
        outbox = self.outbox
        if outbox.overflowed or time.monotonic() - self._last_read >= self.poll_seconds:
            # Read the table until a read comes back short: everything pending is sent.
            self._read_all = self._read_all or outbox.overflowed
            outbox.overflowed = False
            self._read_table = True
        from_table = self._read_table
        rows = await self._read_pending() if from_table else outbox.take_committed(self.batch_size)
        if from_table and len(rows) < self.batch_size:
            self._read_table = self._read_all = False
            self._last_read = time.monotonic()
            # The table's read leaves this process's fresh rows out (another replica's
            # are alike to it): they are in memory, and go in the same round. Without
            # them, a read every poll found nothing and they waited to be old enough.
            read = {row.event_id for row in rows}
            rows += [
                row
                for row in outbox.take_committed(self.batch_size - len(rows))
                if row.event_id not in read
            ]
        if not rows:
            return 0
        try:
            await self._publish(rows)
        except BaseException:
            # Whatever was taken from memory is still in the table: read it from there.
            self._read_table = self._read_all = True
            raise
        if from_table:
            for row in rows:
                outbox.committed.pop(row.event_id, None)  # sent already, by this read
        await self._mark_sent()
        return len(rows)

    async def _read_pending(self) -> list[PendingEvent]:
        table = self.outbox.table
        query = select(table.c.event_id, table.c.subject, table.c.payload, table.c.headers).where(
            table.c.published_at.is_(None),
            # Not by a high-water mark: on PostgreSQL a lower sequence can commit after a
            # higher one, and must not be skipped.
            table.c.event_id.not_in(self._acknowledged),
        )
        if not self._read_all:
            # Another replica's fresh rows are its own relay's to send.
            since = datetime.now(UTC) - timedelta(seconds=self.others_after)
            query = query.where(table.c.created_at <= since)
        async with self.database.session() as session:
            rows = (
                await session.execute(query.order_by(table.c.sequence).limit(self.batch_size))
            ).all()
        return [
            PendingEvent(row.event_id, row.subject, row.payload, row.headers or {}) for row in rows
        ]

    async def _publish(self, rows: list[PendingEvent]) -> None:
        """Publish `rows` pipelined; raise unless JetStream acknowledged every one."""
        js = self.bus.js
        pending: list[asyncio.Future[PubAck]] = []
        try:
            for row in rows:
                headers = {**row.headers, "Nats-Msg-Id": row.event_id}
                pending.append(await js.publish_async(row.subject, row.payload, headers=headers))
            results = await asyncio.wait_for(
                asyncio.gather(*pending, return_exceptions=True), timeout=self.ack_timeout
            )
        except TimeoutError:
            # A bare TimeoutError logs as an empty string; say what went missing. This is
            # what a server killed mid-batch looks like: its PubAcks never come.
            raise TimeoutError(
                f"no PubAck within {self.ack_timeout} s for some of {len(rows)} events"
            ) from None
        finally:
            # Each unanswered publish holds one of nats-py's in-flight slots until done.
            for future in pending:
                future.cancel()
        failed: list[BaseException] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, PubAck):
                BUS_PUBLISHED.labels(self.outbox.service, row.subject).inc()
                self._acknowledged.append(row.event_id)
            else:
                failed.append(result)
        if failed:
            raise RuntimeError(
                f"{len(failed)} of {len(rows)} events not acknowledged: {failed[0]!r}"
            )

    async def _mark_sent(self, *, force: bool = False) -> None:
        if not self._acknowledged:
            return
        due = time.monotonic() - self._last_mark >= self.mark_interval
        if not (force or due or len(self._acknowledged) >= self.batch_size):
            return
        event_ids, self._acknowledged = self._acknowledged, []
        try:
            async with self.database.transaction() as session:
                await session.execute(
                    update(self.outbox.table)
                    .where(self.outbox.table.c.event_id.in_(event_ids))
                    .values(published_at=datetime.now(UTC))
                )
        except BaseException:
            self._acknowledged = event_ids + self._acknowledged
            raise
        self._last_mark = time.monotonic()

    async def backlog(self) -> int:
        table = self.outbox.table
        async with self.database.session() as session:
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c.published_at.is_(None))
            )
        return int(count or 0)

    async def _report_backlog(self) -> None:
        # Counting after every cycle cost one more query per batch sent (measured by
        # bench/bus.py); the gauge is scraped every few seconds, so once a second will do.
        now = time.monotonic()
        if now - self._last_backlog_report < BACKLOG_REPORT_SECONDS:
            return
        self._last_backlog_report = now
        BUS_OUTBOX_BACKLOG.labels(self.outbox.service).set(await self.backlog())

    async def _purge_old(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_purge < timedelta(hours=1):
            return
        self._last_purge = now
        table = self.outbox.table
        async with self.database.transaction() as session:
            await session.execute(delete(table).where(table.c.published_at < now - self.retention))
