"""The consumer side: durable pull consumers, the inbox, and the dead-letter subject.

Each subscription is a durable JetStream consumer with explicit ack. A handler runs in
one database transaction together with the inbox row `(consumer, event id)`, and the
message is acknowledged only after that commit, so an event is applied exactly once
however often it is delivered. A message that cannot be applied (malformed, unknown
type, wrong schema, or a handler that keeps failing) goes to `deadletter.<consumer>`
with the reason in its headers, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast, get_type_hints

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import ValidationError
from sqlalchemy import CursorResult, Table, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from meria.bus.connection import Bus, stop_if_cancelled
from meria.bus.outbox import Outbox
from meria.bus.streams import DEAD_LETTER_PREFIX, stream_for_subject
from meria.bus.tables import BusTables, record_dead_letter
from meria.config import ServiceSettings
from meria.contracts import CloudEvent, Event, event_for_type
from meria.db import Database
from meria.logging import get_logger
from meria.metrics import (
    BUS_APPLIED,
    BUS_DEAD_LETTERED,
    BUS_DELIVERED,
    BUS_DUPLICATES,
    BUS_REDELIVERED,
)
from meria.telemetry import extract_context

log = get_logger(__name__)
tracer = trace.get_tracer("meria.bus")
STREAM_NOT_FOUND = 10059  # JetStream's error code

E = TypeVar("E", bound=Event)


@dataclass
class Delivery:
    """What a handler gets beside the event: its transaction and the envelope, and the
    settings of its process where a handler's effects depend on them."""

    session: AsyncSession
    envelope: CloudEvent
    outbox: Outbox | None
    deliveries: int
    settings: ServiceSettings | None = None


Handler = Callable[[Any, Delivery], Awaitable[None]]


@dataclass
class Subscription:
    name: str
    event: type[Event]
    handler: Handler

    @property
    def subject(self) -> str:
        return self.event.subject


def durable_name(service: str, subscription: Subscription) -> str:
    """The durable JetStream consumer of one subscription of one service."""
    return f"{service}-{subscription.name}".replace("_", "-")


@dataclass
class Subscriptions:
    """The subscriptions of one service, declared next to their handlers.

    subscriptions = Subscriptions()

    @subscriptions.handler
    async def show_published_document(event: DocumentPublished, delivery: Delivery): ...
    """

    items: list[Subscription] = field(default_factory=list)

    def handler(self, function: Callable[[E, Delivery], Awaitable[None]]) -> Handler:
        hints = get_type_hints(function)
        first = next(iter(inspect.signature(function).parameters))
        model = hints.get(first)
        if not (isinstance(model, type) and issubclass(model, Event)):
            raise TypeError(f"{function.__name__}: annotate its first parameter with an Event")
        self.items.append(Subscription(function.__name__, model, function))
        return function


@dataclass
class _Work:
    """One message on its way through a batch, and what became of it."""

    message: Msg | None
    subject: str
    headers: dict[str, str] | None
    deliveries: int
    envelope: CloudEvent
    event: Event
    outcome: bool | Exception | None = None


def insert_unless_present(table: Table) -> TextClause:
    """`INSERT … ON CONFLICT DO NOTHING` for every column of `table`, in the words SQLite and
    PostgreSQL share. Written as text because SQLAlchemy's dialect-specific `on_conflict`
    constructs cannot be cached and were compiled anew for every event."""
    names = [column.name for column in table.columns]
    return text(
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"VALUES ({', '.join(':' + name for name in names)}) ON CONFLICT DO NOTHING"
    ).bindparams(*(bindparam(column.name, type_=column.type) for column in table.columns))


class DeadLetter(Exception):
    """The message can never be applied; move it aside with this reason."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass
class ConsumerOptions:
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    batch_size: int = 50
    fetch_timeout: float = 1.0
    retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0, 15.0, 30.0)


class Consumer:
    """Runs one subscription of one service against its durable JetStream consumer."""

    def __init__(
        self,
        service: str,
        subscription: Subscription,
        *,
        database: Database,
        tables: BusTables,
        bus: Bus,
        outbox: Outbox | None = None,
        options: ConsumerOptions | None = None,
        settings: ServiceSettings | None = None,
    ) -> None:
        self.service = service
        self.subscription = subscription
        self.database = database
        self.tables = tables
        self.bus = bus
        self.outbox = outbox
        self.options = options or ConsumerOptions()
        self.settings = settings
        self.durable = durable_name(service, subscription)
        self.stream = stream_for_subject(subscription.subject)
        self.dead_letter_subject = f"{DEAD_LETTER_PREFIX}.{self.durable}"
        self._record_in_inbox = insert_unless_present(tables.inbox)

    def consumer_config(self) -> ConsumerConfig:
        return ConsumerConfig(
            # Named as well as durable: created by name, the request's subject carries the
            # filter subject, which the service's NATS permissions pin.
            name=self.durable,
            durable_name=self.durable,
            description=f"{self.service}: {self.subscription.name}",
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self.subscription.subject,
            ack_wait=self.options.ack_wait_seconds,
            # JetStream itself never gives up on a message: a message it stopped delivering
            # would vanish without a dead letter. The bound is enforced here instead, so
            # every message ends applied or dead-lettered with a reason.
            max_deliver=-1,
            max_ack_pending=1000,
        )

    async def run(self) -> None:
        await self.bus.wait_connected()
        subscription = None
        backoff = 0.2
        try:
            while True:
                stop_if_cancelled()
                try:
                    if subscription is None:
                        subscription = await self.bus.js.pull_subscribe(
                            self.subscription.subject,
                            durable=self.durable,
                            stream=self.stream,
                            config=self.consumer_config(),
                        )
                        log.info("bus.consumer_started", consumer=self.durable)
                    try:
                        messages = await subscription.fetch(
                            self.options.batch_size, timeout=self.options.fetch_timeout
                        )
                    except (TimeoutError, NatsTimeoutError):
                        continue
                    await self.handle_batch(messages)
                    backoff = 0.2
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if isinstance(error, NotFoundError) and error.err_code == STREAM_NOT_FOUND:
                        # Its producer declares the stream, and has not started yet.
                        log.info("bus.consumer_waits_for_stream", consumer=self.durable)
                    else:
                        log.warning("bus.consumer_failed", consumer=self.durable, error=str(error))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    if not self.bus.ready:
                        subscription = None
        finally:
            if subscription is not None:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def handle_batch(self, messages: list[Msg]) -> None:
        """Apply, retry later, or dead-letter each message of a fetched batch; lose none.

        First deliveries share one transaction: one commit (one fsync) for the batch.
        Should one of them fail, the batch is applied again with a savepoint per message,
        so the one that fails rolls back alone. Redeliveries go one transaction each, so a
        message that crashes its process takes no innocent neighbours down with it. Acks
        follow the commit.
        """
        first: list[_Work] = []
        again: list[_Work] = []
        for message in messages:
            work = await self._prepare(message)
            if work is not None:
                (first if work.deliveries == 1 else again).append(work)
        if first:
            await self._apply_together(first)
        for work in again:
            await self._apply_together([work])

    async def handle(self, message: Msg) -> None:
        await self.handle_batch([message])

    async def _prepare(self, message: Msg) -> _Work | None:
        deliveries = message.metadata.num_delivered
        BUS_DELIVERED.labels(self.durable, message.subject).inc()
        if deliveries > 1:
            BUS_REDELIVERED.labels(self.durable, message.subject).inc()
        try:
            if deliveries > self.options.max_deliver:
                # Delivered again after its last try: the process applying it died
                # (a poison message). Stop here rather than crash once more.
                raise DeadLetter(
                    "poison",
                    f"delivered {deliveries} times without being applied; "
                    "the handler's process stopped while applying it",
                )
            envelope, event = self.parse(message)
        except DeadLetter as reason:
            await self.dead_letter(message, reason.kind, str(reason))
            return None
        return _Work(message, message.subject, message.headers, deliveries, envelope, event)

    async def _apply_together(self, batch: list[_Work]) -> None:
        applied = False
        if len(batch) > 1:
            # Most batches apply whole, so first without savepoints (two statements less per
            # message). Should anything fail, nothing of that transaction stays, and the
            # batch goes again below, a savepoint each, so the failure stays with its message.
            try:
                await self._apply_in_one(batch, shared=False)
                applied = True
            except Exception as error:
                log.info("bus.batch_retried_one_by_one", consumer=self.durable, error=str(error))
        if not applied:
            try:
                await self._apply_in_one(batch, shared=len(batch) > 1)
            except Exception as error:
                # The transaction itself failed (the commit, the database): nothing applied.
                for work in batch:
                    work.outcome = error
        for work in batch:
            await self._settle(work)

    async def _apply_in_one(self, batch: list[_Work], *, shared: bool) -> None:
        """Apply `batch` in one transaction. Not `shared`, the first failure rolls it all
        back and raises; `shared`, each message has a savepoint and its own outcome."""
        async with self.database.transaction() as session:
            for work in batch:
                work.outcome = await self._apply_one(session, work, shared=shared)

    async def _apply_one(
        self, session: AsyncSession, work: _Work, *, shared: bool
    ) -> bool | Exception:
        """Run the handler and record the event in the inbox; `shared`, under a savepoint
        that a failure rolls back alone (returned); otherwise a failure is raised."""
        subject = work.subject
        with tracer.start_as_current_span(
            f"{subject} process",
            context=extract_context(work.headers),
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "nats",
                "messaging.destination.name": subject,
                "messaging.consumer.group.name": self.durable,
                "messaging.message.id": work.envelope.id,
            },
        ) as span:
            try:
                # A batch of one needs no savepoint: its transaction is its own.
                isolation = session.begin_nested() if shared else contextlib.nullcontext()
                async with isolation:
                    # The inbox row goes in first and inserts nothing if the event was
                    # applied before: one statement instead of a look-up and an insert.
                    recorded = await session.execute(
                        self._record_in_inbox,
                        {
                            "consumer": self.durable,
                            "event_id": work.envelope.id,
                            "subject": work.event.subject,
                            "handled_at": datetime.now(UTC),
                        },
                    )
                    if cast("CursorResult[Any]", recorded).rowcount == 0:
                        return False
                    await self.subscription.handler(
                        work.event,
                        Delivery(
                            session, work.envelope, self.outbox, work.deliveries, self.settings
                        ),
                    )
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, str(error)))
                if not shared:
                    raise  # no savepoint: the whole transaction must roll back
                return error
        return True

    async def apply_stored(self, subject: str, data: bytes, headers: dict[str, str] | None) -> bool:
        """Apply a message read back from its stream (a rebuild of a read model), in a
        transaction of its own and through the inbox; raise if it cannot be applied."""
        envelope, event = self.parse_data(data)
        work = _Work(None, subject, headers, 1, envelope, event)
        async with self.database.transaction() as session:
            outcome = await self._apply_one(session, work, shared=False)
        return bool(outcome)

    async def _settle(self, work: _Work) -> None:
        message, deliveries, outcome = work.message, work.deliveries, work.outcome
        assert message is not None
        if isinstance(outcome, Exception):
            if deliveries >= self.options.max_deliver:
                await self.dead_letter(
                    message,
                    "handler_failed",
                    f"handler failed {deliveries} times; last error: {outcome!r}",
                )
                return
            delays = self.options.retry_delays
            delay = delays[min(deliveries, len(delays)) - 1]
            log.warning(
                "bus.handler_failed",
                consumer=self.durable,
                error=repr(outcome),
                deliveries=deliveries,
                retry_in=delay,
            )
            await message.nak(delay=delay)
            return
        await message.ack()
        counter = BUS_APPLIED if outcome else BUS_DUPLICATES
        counter.labels(self.durable, message.subject).inc()

    def parse(self, message: Msg) -> tuple[CloudEvent, Event]:
        return self.parse_data(message.data)

    def parse_data(self, data: bytes) -> tuple[CloudEvent, Event]:
        try:
            envelope = CloudEvent.model_validate_json(data)
        except ValidationError as error:
            raise DeadLetter(
                "malformed", f"not a CloudEvents JSON envelope: {_first_error(error)}"
            ) from None
        model = event_for_type(envelope.type)
        if model is None:
            raise DeadLetter("unknown_type", f"unknown event type {envelope.type!r}")
        if model is not self.subscription.event:
            raise DeadLetter(
                "unexpected_type", f"{envelope.type!r} is not what {self.durable} handles"
            )
        try:
            event = model.model_validate(envelope.data)
        except ValidationError as error:
            raise DeadLetter(
                "schema", f"data does not match {envelope.type}: {_first_error(error)}"
            ) from None
        return envelope, event

    async def dead_letter(self, message: Msg, kind: str, reason: str) -> None:
        """Keep the message for people (bus_dead_letters), say so on the bus, and stop
        its delivery: in that order, so a crash between leaves it delivered again and
        recorded once, never lost."""
        metadata = message.metadata
        stream_sequence = metadata.sequence.stream if metadata.sequence else 0
        async with self.database.transaction() as session:
            await record_dead_letter(
                session,
                self.tables.dead_letters,
                consumer=self.durable,
                stream=str(metadata.stream),
                stream_sequence=stream_sequence,
                subject=message.subject,
                kind=kind,
                reason=reason,
                deliveries=metadata.num_delivered,
                payload=message.data,
                headers={key: str(value) for key, value in (message.headers or {}).items()},
            )
        headers = {
            # Republishing after a crash must not make a second dead letter.
            "Nats-Msg-Id": f"{self.durable}:{metadata.stream}:{stream_sequence}",
            "Meria-Dead-Letter-Kind": kind,
            "Meria-Dead-Letter-Reason": reason[:2000],
            "Meria-Consumer": self.durable,
            "Meria-Original-Subject": message.subject,
            "Meria-Original-Stream": str(metadata.stream),
            "Meria-Original-Sequence": str(stream_sequence),
            "Meria-Deliveries": str(metadata.num_delivered),
        }
        await self.bus.js.publish(self.dead_letter_subject, message.data, headers=headers)
        await message.term()
        BUS_DEAD_LETTERED.labels(self.durable, kind).inc()
        log.error(
            "bus.dead_lettered",
            consumer=self.durable,
            subject=message.subject,
            sequence=stream_sequence,
            reason=reason,
        )


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"{where}: {first['msg']}"
