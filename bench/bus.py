"""Throughput and latency of Meria's event bus, against raw JetStream on the same server.

Run: `.venv/bin/python bench/bus.py [--events N] [--sqlite-synchronous FULL|NORMAL]`
`[--postgres URL] [--producers K]` (each service's tables in a database of its own on that
PostgreSQL server instead of SQLite files; K use cases writing at once in the producer,
as a service's concurrent requests do, where PostgreSQL commits several in one flush).
(`--help` for the rest; `--cases latency --rate 50` measures latency alone at 50/s).

The benchmark starts its own nats-server (JetStream on file storage, `sync_interval:
always`, as in production) in a temporary folder and prints one JSON line per case:

- `raw` (run twice: before and after `meria`, so the reader sees run-to-run noise):
  plain nats-py on the same stream and server, in its fastest durable mode. The N
  payloads are real CloudEvent envelopes of the benchmark event (the bytes Meria would
  send). They are published with pipelined `js.publish_async`, whose PubAcks are
  awaited a window at a time, then consumed by a durable pull consumer with explicit
  ack (fetch a batch, ack each message). Figure: N / (first publish → last ack flushed).
- `meria`: the full path as services run it. The producer process writes each event in
  its own domain transaction (a domain row + the outbox row, `Outbox.add`) as fast as it
  can, while its `OutboxRelay` publishes to JetStream; the consumer process runs a
  `Consumer` that applies each event in a transaction together with its inbox row and
  acks after commit. Producer and consumer are separate OS processes with separate
  SQLite files, with production settings. Figure: N / (first write → last inbox
  commit), and its ratio to the mean of both raw runs (and to each, as a range).
- `meria_writes_alone`: the producer's write transactions alone, in a process of their
  own with nothing else running (no relay, no consumer; the committed rows stay in the
  outbox table). Its rate is the most the `meria` case could reach with a free relay,
  bus and consumer, so its ratio to the raw runs is a ceiling on the `meria` ratio: how
  much of the gap is the domain transaction itself (SQLAlchemy, the commit's fsync).
- `meria_latency`: the same processes, the producer offering a steady rate (default
  500 events/s) for a fixed time (default 10 s): event i is due at start + i / rate; a
  producer that falls behind writes back to back and stops at the deadline, and the
  achieved rate is reported (the target counts only if at least 95% of the offered rate
  was achieved). Latency of each event: from the end of its write transaction's commit
  (wall clock, in the producer) to the end of the consumer's inbox commit (wall clock,
  in an `after_commit` hook). The event carries its write time, so `from_write_ms`
  (which adds the producer's commit) is given too, and the relay's mark of each outbox
  row splits the latency into commit → marked sent and marked sent → inbox commit.
  Both processes read the same clock.

Both Meria cases first send uncounted warm-up events end to end (connections opened,
statements compiled). Each line also carries the CPU each process spent per event
(producer, consumer, nats-server), the load average (this machine may be shared), the
CPU count and SQLite's `synchronous`, and whether the target was met; nothing is
adjusted after the fact. `--profile DIR` writes cProfile statistics of the Meria
processes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, PubAck
from sqlalchemy import Column, Float, Integer, String, Table, insert, select

from meria.bus import (
    Bus,
    BusUser,
    Consumer,
    Delivery,
    Outbox,
    OutboxRelay,
    Subscriptions,
    define_bus_tables,
    stream_for_subject,
)
from meria.bus.streams import stream_configs
from meria.config import BusCredentials, Settings, bus_credentials_of
from meria.contracts import CloudEvent, Event, LocalizedText
from meria.db import Database, after_commit, new_metadata
from meria.logging import configure_logging
from meria.runtime import ServiceParts
from meria.servers import binary
from meria.testing.servers import NatsServer

sys.path.insert(0, str(Path(__file__).parent))
from postgres import drop_databases, new_database

RATIO_TARGET = 0.3
P99_TARGET_MS = 50.0
RAW_SUBJECT = "publishing.benchmark.raw"
RAW_DURABLE = "bench-raw"
CONSUMER_SERVICE = "benchsink"
TITLE = LocalizedText(
    ka="მერიამ გამოაქვეყნა ახალი განკარგულება ქალაქის ბიუჯეტის შესახებ",
    en="The mayor's office published a new order on the city budget",
)


class BenchmarkMeasured(Event):
    """Benchmark-only event, about the size of a real one (a published document)."""

    subject = "publishing.benchmark.measured"
    summary = "A benchmark measurement was recorded (benchmark only)."

    number: int
    written_at: float  # wall clock (seconds since the epoch) inside the write transaction
    title: LocalizedText


STREAM = stream_for_subject(BenchmarkMeasured.subject)

metadata = new_metadata()
tables = define_bus_tables(metadata)
measurements = Table(  # the producer's domain rows
    "benchmark_measurements",
    metadata,
    Column("number", Integer, primary_key=True),
    Column("written_at", Float, nullable=False),
    Column("title", String(200), nullable=False),
)
received = Table(  # the consumer's effect
    "benchmark_received",
    metadata,
    Column("number", Integer, primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("written_at", Float, nullable=False),
)


# ---------------------------------------------------------------------------- consumer side


@dataclass
class Applied:
    """What the consumer process saw, filled in by the handler's after-commit hook."""

    warmup: int = 0
    expected: int | None = None  # all events, warm-up included; known once they are written
    commits: dict[int, float] = field(default_factory=dict)  # number -> inbox commit time
    written: dict[int, float] = field(default_factory=dict)  # number -> write time it carried
    duplicates: int = 0
    warm: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def committed(self, number: int, written_at: float) -> None:
        now = time.time()
        if number in self.commits:
            self.duplicates += 1
            return
        self.commits[number] = now
        self.written[number] = written_at
        self.check()

    def expect(self, total: int) -> None:
        self.expected = total
        self.check()

    def check(self) -> None:
        if len(self.commits) >= self.warmup:
            self.warm.set()
        if self.expected is not None and len(self.commits) >= self.expected:
            self.done.set()


APPLIED = Applied()
subscriptions = Subscriptions()


@subscriptions.handler
async def record_measurement(event: BenchmarkMeasured, delivery: Delivery) -> None:
    await delivery.session.execute(
        insert(received).values(
            number=event.number, event_id=delivery.envelope.id, written_at=event.written_at
        )
    )

    # As services do: the kernel's hook, run once the handler's transaction commits.
    after_commit(delivery.session, partial(APPLIED.committed, event.number, event.written_at))


# On NATS the producer is the publishing service's user (the event is on its stream) and
# the consumer a process of its own with a user made from its subscription, as a
# service's is. Raw JetStream, the baseline, and the setup between cases (purging the
# stream, dropping its consumers) run as a user without restrictions.
SINK = ServiceParts(name=CONSUMER_SERVICE, subscriptions=subscriptions)
ADMIN = BusUser("bench", (">",), (">",))


def accounts() -> list[tuple[BusUser, BusCredentials]]:
    """The benchmark's own NATS users, beside the stack's."""
    return [
        (SINK.bus_user(), bus_credentials_of(CONSUMER_SERVICE)),
        (ADMIN, bus_credentials_of(ADMIN.name)),
    ]


@dataclass(frozen=True)
class ProcessConfig:
    database_url: str
    nats_url: str
    sqlite_synchronous: str
    warmup: int = 0
    timeout: float = 120.0
    producers: int = 1  # use cases writing at once (each its own transaction)
    profile: str | None = None  # write the process's cProfile statistics to this file


async def create_schema(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


def quiet_logging(process: str) -> None:
    configure_logging(Settings(log_level="WARNING", log_format="console"), process)


def child(role: str, config: ProcessConfig, pipe: Connection) -> None:
    """Entry point of a benchmark process (`consumer` or `producer`), optionally profiled."""
    main = {"consumer": run_consumer, "producer": run_producer, "writer": run_writer}[role]
    if config.profile is None:
        asyncio.run(main(config, pipe))
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(main(config, pipe))
    finally:
        profiler.disable()
        profiler.dump_stats(config.profile)


async def run_consumer(config: ProcessConfig, pipe: Connection) -> None:
    quiet_logging("bench-consumer")
    APPLIED.warmup = config.warmup
    database = Database(config.database_url, sqlite_synchronous=config.sqlite_synchronous)
    await create_schema(database)
    bus = Bus(
        config.nats_url,
        "bench-consumer",
        bus_credentials_of(CONSUMER_SERVICE),
        streams=SINK.bus_user().streams,
    )
    await bus.connect()
    consumer = Consumer(
        CONSUMER_SERVICE, subscriptions.items[0], database=database, tables=tables, bus=bus
    )
    # The durable exists before the first event is published, as in a deployed system.
    await bus.js.add_consumer(consumer.stream, config=consumer.consumer_config())
    task = asyncio.create_task(consumer.run())
    pipe.send(("ready", None))
    cpu = 0.0
    try:
        await asyncio.wait_for(APPLIED.warm.wait(), timeout=config.timeout)
        pipe.send(("warm", None))
        cpu = time.process_time()
        if not await asyncio.to_thread(pipe.poll, config.timeout):
            raise TimeoutError("the producer did not say how many events it wrote")
        _, total = pipe.recv()
        APPLIED.expect(total)
        await asyncio.wait_for(APPLIED.done.wait(), timeout=config.timeout)
        cpu = time.process_time() - cpu
        status = "done"
        await until_acknowledged(bus.js, consumer.stream, consumer.durable, config.timeout)
    except TimeoutError:
        status = "timeout"
    pipe.send(
        (
            status,
            {
                "commits": APPLIED.commits,
                "written": APPLIED.written,
                "duplicates": APPLIED.duplicates,
                "cpu_seconds": cpu,
            },
        )
    )
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await bus.client.close()
    await database.dispose()


async def until_acknowledged(
    js: JetStreamContext, stream: str, durable: str, timeout: float
) -> None:
    """Wait until JetStream holds no unacknowledged or undelivered message for `durable`."""
    deadline = time.monotonic() + timeout
    while True:
        info = await js.consumer_info(stream, durable)
        if not info.num_ack_pending and not info.num_pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{durable} still has messages pending after {timeout} s")
        await asyncio.sleep(0.05)


# ---------------------------------------------------------------------------- producer side


async def record_measurement_use_case(database: Database, outbox: Outbox, number: int) -> None:
    """What a service's use case does: the domain row and its event in one transaction."""
    written_at = time.time()
    async with database.transaction() as session:
        await session.execute(
            insert(measurements).values(number=number, written_at=written_at, title=TITLE.ka)
        )
        await outbox.add(
            session,
            BenchmarkMeasured(number=number, written_at=written_at, title=TITLE),
            about=f"measurement:{number}",
        )


async def write_events(
    database: Database,
    outbox: Outbox,
    first: int,
    count: int,
    rate: float,
    seconds: float,
    writers: int,
) -> dict[int, float]:
    """Events `first`… written by `writers` use cases at once, each event due at start + i /
    rate when there is a rate, none after start + seconds when there is a limit; when each
    committed, by number."""
    commits: dict[int, float] = {}
    started = time.time()
    numbers = iter(range(count))

    async def writing() -> None:
        for offset in numbers:
            if seconds > 0 and time.time() - started >= seconds:
                break
            if rate > 0:
                delay = started + offset / rate - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await record_measurement_use_case(database, outbox, first + offset)
            commits[first + offset] = time.time()

    await asyncio.gather(*(writing() for _ in range(writers)))
    return commits


async def run_producer(config: ProcessConfig, pipe: Connection) -> None:
    """Writes on command (`write`, first number, count, rate, seconds) until told to `stop`.

    With a rate, event i is due at start + i / rate (an open loop: a producer that falls
    behind writes back to back); with seconds, writing stops at start + seconds.
    """
    quiet_logging("bench-producer")
    database = Database(config.database_url, sqlite_synchronous=config.sqlite_synchronous)
    await create_schema(database)
    bus = Bus(
        config.nats_url,
        "bench-producer",
        bus_credentials_of(BenchmarkMeasured.service()),
        streams=[STREAM],
    )
    await bus.connect()
    outbox = Outbox(tables.outbox, BenchmarkMeasured.service())
    relay = OutboxRelay(database, outbox, bus)  # production defaults
    task = asyncio.create_task(relay.run())
    pipe.send(("ready", None))
    while True:
        command, first, count, rate, seconds = await asyncio.to_thread(pipe.recv)
        if command == "stop":
            break
        cpu = time.process_time()
        started = time.time()
        writers = config.producers if first >= config.warmup else 1
        # Warm-up from one writer; the counted events from as many as asked.
        commits = await write_events(database, outbox, first, count, rate, seconds, writers)
        written = time.time()
        # Only the database shows what the relay has published; poll it.
        while await relay.backlog() > 0:
            await asyncio.sleep(0.005)
        relayed = time.time()
        cpu = time.process_time() - cpu
        pipe.send(
            (
                "written",
                {
                    "started": started,
                    "written": written,
                    "relayed": relayed,
                    "commits": commits,
                    "marked_sent": await marked_sent_times(database, set(commits)),
                    "cpu_seconds": cpu,
                },
            )
        )
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await bus.client.close()
    await database.dispose()


async def run_writer(config: ProcessConfig, pipe: Connection) -> None:
    """Writes `config.warmup` uncounted events, then the count it is sent, and reports."""
    quiet_logging("bench-writer")
    database = Database(config.database_url, sqlite_synchronous=config.sqlite_synchronous)
    await create_schema(database)
    outbox = Outbox(tables.outbox, BenchmarkMeasured.service())
    for number in range(config.warmup):
        await record_measurement_use_case(database, outbox, number)
    count = await asyncio.to_thread(pipe.recv)
    cpu = time.process_time()
    started = time.perf_counter()
    numbers = iter(range(config.warmup, config.warmup + count))

    async def writing() -> None:
        for number in numbers:
            await record_measurement_use_case(database, outbox, number)

    await asyncio.gather(*(writing() for _ in range(config.producers)))
    seconds = time.perf_counter() - started
    pipe.send(("written", {"seconds": seconds, "cpu_seconds": time.process_time() - cpu}))
    await database.dispose()


async def marked_sent_times(database: Database, numbers: set[int]) -> dict[int, float]:
    """When the relay marked each event sent (just after its PubAck), by event number."""
    table = tables.outbox
    async with database.session() as session:
        rows = (await session.execute(select(table.c.payload, table.c.published_at))).all()
    times: dict[int, float] = {}
    for payload, published_at in rows:
        number = json.loads(payload)["data"]["number"]
        if number in numbers and published_at is not None:
            # SQLite gives back the naive UTC time the relay stored.
            if published_at.tzinfo is None:
                published_at = published_at.replace(tzinfo=UTC)
            times[number] = published_at.timestamp()
    return times


# ---------------------------------------------------------------------------- the cases


def envelopes(count: int) -> list[bytes]:
    """The same bytes Meria's outbox would send for `count` benchmark events."""
    now = time.time()
    return [
        CloudEvent.wrap(
            BenchmarkMeasured(number=number, written_at=now, title=TITLE),
            about=f"measurement:{number}",
        )
        .model_dump_json()
        .encode()
        for number in range(count)
    ]


async def reset_stream(js: JetStreamContext) -> None:
    """Empty the stream and drop its consumers, so each case starts from nothing."""
    for info in await js.consumers_info(STREAM):
        await js.delete_consumer(STREAM, info.name)
    await js.purge_stream(STREAM)


async def connect(url: str) -> tuple[Any, JetStreamContext]:
    credentials = bus_credentials_of(ADMIN.name)
    client = await nats.connect(
        url,
        user=credentials.user,
        password=credentials.password.get_secret_value(),
        pending_size=64 * 1024 * 1024,
    )
    return client, client.jetstream(timeout=10, publish_async_max_pending=4000)


async def prepare(url: str) -> None:
    """Declare Meria's streams (as `Bus.connect` does) and empty the benchmark's."""
    every = [stream.name for stream in stream_configs() if stream.name]
    bus = Bus(url, "bench-setup", bus_credentials_of(ADMIN.name), streams=every)
    await bus.connect()
    try:
        await reset_stream(bus.js)
    finally:
        await bus.close()


async def run_raw(url: str, payloads: list[bytes], window: int, fetch_batch: int) -> dict[str, Any]:
    await prepare(url)
    client, js = await connect(url)
    try:
        await js.add_consumer(
            STREAM,
            config=ConsumerConfig(
                durable_name=RAW_DURABLE,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                filter_subject=RAW_SUBJECT,
                max_ack_pending=max(1000, fetch_batch),
            ),
        )
        subscription = await js.pull_subscribe(RAW_SUBJECT, durable=RAW_DURABLE, stream=STREAM)
        started = time.perf_counter()
        for offset in range(0, len(payloads), window):
            futures = [
                await js.publish_async(RAW_SUBJECT, payload)
                for payload in payloads[offset : offset + window]
            ]
            for result in await asyncio.gather(*futures, return_exceptions=True):
                if not isinstance(result, PubAck):
                    raise RuntimeError(f"publish not acknowledged: {result!r}")
        published = time.perf_counter()
        consumed = 0
        while consumed < len(payloads):
            messages = await subscription.fetch(fetch_batch, timeout=5)
            for message in messages:
                await message.ack()
            consumed += len(messages)
        await client.flush()
        finished = time.perf_counter()
    finally:
        await client.close()
    return {
        "events_per_s": round(len(payloads) / (finished - started), 1),
        "publish_events_per_s": round(len(payloads) / (published - started), 1),
        "consume_events_per_s": round(len(payloads) / (finished - published), 1),
        "seconds": round(finished - started, 3),
        "publish_window": window,
        "fetch_batch": fetch_batch,
    }


@dataclass
class MeriaRun:
    """The raw records of one Meria run: per event, producer commit and inbox commit."""

    count: int
    status: str
    started: float  # wall clock of the first measured write
    written: float  # wall clock after the last write committed
    relayed: float  # wall clock when the producer saw its outbox empty
    producer_commits: dict[int, float]
    marked_sent: dict[int, float]
    consumer_commits: dict[int, float]
    carried_write_times: dict[int, float]
    duplicates: int
    cpu_seconds: dict[str, float]

    @property
    def finished(self) -> float:
        return max(self.consumer_commits.values(), default=math.nan)

    def cpu_ms_per_event(self) -> dict[str, float]:
        return {name: ms(seconds / self.count) for name, seconds in self.cpu_seconds.items()}


def database_url(options: Options, folder: Path, role: str) -> str:
    """A new, empty database for one process of one case: a SQLite file in the case's
    folder, or a database of its own on the PostgreSQL server `--postgres` names."""
    if options.postgres is None:
        return f"sqlite+aiosqlite:///{folder / role}.db"
    name = f"bench_bus_{folder.name.replace('-', '_')}_{role}_{os.getpid()}"
    MADE_DATABASES.append(name)
    return new_database(options.postgres, name)


MADE_DATABASES: list[str] = []


def run_meria(
    folder: Path, server: NatsServer, options: Options, count: int, rate: float, seconds: float
) -> MeriaRun:
    """Start consumer and producer processes, warm them up, then write up to `count` events
    (at `rate` per second if given, for at most `seconds` if given) and wait until all are
    applied."""
    asyncio.run(prepare(server.url))
    folder.mkdir(parents=True)
    context = multiprocessing.get_context("spawn")
    timeout = 120.0 + count / 20  # failing, not slow: Meria does far more than 20 events/s

    def config(role: str) -> ProcessConfig:
        profile = None
        if options.profile is not None:
            options.profile.mkdir(parents=True, exist_ok=True)
            profile = str(options.profile / f"{folder.name}-{role}.prof")
        return ProcessConfig(
            database_url=database_url(options, folder, role),
            nats_url=server.url,
            sqlite_synchronous=options.sqlite_synchronous,
            warmup=options.warmup,
            timeout=timeout,
            profile=profile,
            producers=options.producers,
        )

    consumer_pipe, consumer_end = context.Pipe()
    producer_pipe, producer_end = context.Pipe()
    consumer = context.Process(target=child, args=("consumer", config("consumer"), consumer_end))
    producer = context.Process(target=child, args=("producer", config("producer"), producer_end))
    consumer.start()
    try:
        expect(consumer_pipe, "ready", timeout)
        producer.start()
        expect(producer_pipe, "ready", timeout)
        producer_pipe.send(("write", 0, options.warmup, 0.0, 0.0))
        expect(producer_pipe, "written", timeout)
        expect(consumer_pipe, "warm", timeout)
        server_cpu = process_cpu_seconds(server)
        producer_pipe.send(("write", options.warmup, count, rate, seconds))
        written = expect(producer_pipe, "written", timeout)
        consumer_pipe.send(("expect", options.warmup + len(written["commits"])))
        status, applied = consumer_pipe.recv() if consumer_pipe.poll(timeout) else ("timeout", {})
        server_cpu = process_cpu_seconds(server) - server_cpu
        producer_pipe.send(("stop", 0, 0, 0.0, 0.0))
    finally:
        for process in (producer, consumer):
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join()
    commits: dict[int, float] = applied.get("commits", {})
    return MeriaRun(
        count=len(written["commits"]),
        status=status,
        started=written["started"],
        written=written["written"],
        relayed=written["relayed"],
        producer_commits=written["commits"],
        marked_sent=written["marked_sent"],
        consumer_commits={n: t for n, t in commits.items() if n >= options.warmup},
        carried_write_times=applied.get("written", {}),
        duplicates=applied.get("duplicates", 0),
        cpu_seconds={
            "producer": written["cpu_seconds"],
            "consumer": applied.get("cpu_seconds", math.nan),
            "nats_server": server_cpu,
        },
    )


def run_writes_alone(folder: Path, options: Options, count: int) -> dict[str, float]:
    """The producer's write transactions alone, in a process of their own."""
    folder.mkdir(parents=True)
    config = ProcessConfig(
        database_url=database_url(options, folder, "writer"),
        nats_url="",
        sqlite_synchronous=options.sqlite_synchronous,
        warmup=options.warmup,
        producers=options.producers,
    )
    context = multiprocessing.get_context("spawn")
    pipe, end = context.Pipe()
    writer = context.Process(target=child, args=("writer", config, end))
    writer.start()
    try:
        pipe.send(count)
        result: dict[str, float] = expect(pipe, "written", 120.0 + count / 20)
    finally:
        writer.join(timeout=30)
        if writer.is_alive():
            writer.terminate()
            writer.join()
    return result


def expect(pipe: Connection, wanted: str, timeout: float) -> Any:
    if not pipe.poll(timeout):
        raise TimeoutError(f"no {wanted!r} from a benchmark process after {timeout} s")
    status, payload = pipe.recv()
    if status != wanted:
        raise RuntimeError(f"expected {wanted!r} from a benchmark process, got {status!r}")
    return payload


def process_cpu_seconds(server: NatsServer) -> float:
    """User + system CPU the nats-server process has used so far (Linux /proc)."""
    if server.process is None:
        return math.nan
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def summarize_latency(run: MeriaRun) -> dict[str, Any]:
    numbers = sorted(set(run.producer_commits) & set(run.consumer_commits))
    if not numbers:
        return {"error": "no event went end to end"}
    from_commit = sorted(run.consumer_commits[n] - run.producer_commits[n] for n in numbers)
    from_write = sorted(run.consumer_commits[n] - run.carried_write_times[n] for n in numbers)
    relayed = [n for n in numbers if n in run.marked_sent]
    in_outbox = sorted(run.marked_sent[n] - run.producer_commits[n] for n in relayed)
    after_outbox = sorted(run.consumer_commits[n] - run.marked_sent[n] for n in relayed)
    return {
        "p50_ms": ms(percentile(from_commit, 0.50)),
        "p95_ms": ms(percentile(from_commit, 0.95)),
        "p99_ms": ms(percentile(from_commit, 0.99)),
        "max_ms": ms(from_commit[-1]),
        "mean_ms": ms(statistics.fmean(from_commit)),
        "from_write_ms": spread(from_write),
        # Where the time goes: commit → marked sent (relay: select, publish, PubAck, mark)
        # and marked sent → inbox commit (delivery, handler transaction). The mark comes
        # after the PubAck, so the second part can be slightly negative.
        "commit_to_marked_sent_ms": spread(in_outbox),
        "marked_sent_to_inbox_ms": spread(after_outbox),
        "events": len(numbers),
    }


def spread(ordered: list[float]) -> dict[str, float]:
    if not ordered:
        return {}
    return {
        "p50": ms(percentile(ordered, 0.50)),
        "p99": ms(percentile(ordered, 0.99)),
        "max": ms(ordered[-1]),
    }


def completeness(run: MeriaRun) -> dict[str, Any]:
    return {
        "status": run.status,
        "applied": len(run.consumer_commits),
        "missing": run.count - len(run.consumer_commits),
        "duplicates_applied": run.duplicates,
    }


# ---------------------------------------------------------------------------- main


@dataclass(frozen=True)
class Options:
    events: int
    sqlite_synchronous: str
    rate: float
    seconds: float
    window: int
    fetch_batch: int
    warmup: int
    cases: tuple[str, ...]
    profile: Path | None
    postgres: str | None = None
    producers: int = 1


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description="Throughput and latency of Meria's event bus.")
    parser.add_argument("--events", type=int, default=3000, help="events per throughput case")
    parser.add_argument(
        "--sqlite-synchronous",
        choices=["FULL", "NORMAL"],
        default="FULL",
        help="PRAGMA synchronous of both services' SQLite files (Meria's default: FULL)",
    )
    parser.add_argument("--rate", type=float, default=500.0, help="offered rate, events/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--window", type=int, default=500, help="raw: PubAcks awaited per window")
    parser.add_argument("--fetch-batch", type=int, default=500, help="raw: messages per fetch")
    parser.add_argument("--warmup", type=int, default=200, help="uncounted warm-up events")
    parser.add_argument(
        "--cases",
        default="throughput,latency",
        help="throughput (raw, meria, raw again) and/or latency (meria_latency)",
    )
    parser.add_argument(
        "--profile", type=Path, help="write cProfile statistics of the Meria processes here"
    )
    parser.add_argument(
        "--postgres",
        help="a PostgreSQL server (postgresql+asyncpg://user:password@host/db) to keep each "
        "process's tables in, in databases the benchmark makes, instead of SQLite files",
    )
    parser.add_argument(
        "--producers", type=int, default=1, help="use cases writing at once in the producer"
    )
    args = parser.parse_args()
    cases = tuple(case.strip() for case in args.cases.split(","))
    if not cases or not set(cases) <= {"throughput", "latency"}:
        parser.error("--cases takes throughput, latency or both, separated by a comma")
    return Options(
        events=args.events,
        sqlite_synchronous=args.sqlite_synchronous,
        rate=args.rate,
        seconds=args.seconds,
        window=args.window,
        fetch_batch=args.fetch_batch,
        warmup=args.warmup,
        cases=cases,
        profile=args.profile,
        postgres=args.postgres,
        producers=max(1, args.producers),
    )


def machine_context(options: Options) -> dict[str, Any]:
    version = subprocess.run(
        [binary("nats-server"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": loadavg(),
        "database": "postgresql" if options.postgres else "sqlite",
        "sqlite_synchronous": None if options.postgres else options.sqlite_synchronous,
        "producers": options.producers,
        "nats_server": version,
        "jetstream": "file storage, sync_interval always",
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    options = parse_options()
    quiet_logging("bench")
    context = machine_context(options)
    with tempfile.TemporaryDirectory(prefix="meria-bench-bus-") as temporary:
        folder = Path(temporary)
        server = NatsServer(folder / "nats", extra_users=accounts()).start()
        try:
            if "throughput" in options.cases:
                throughput_cases(server, folder, options, context)
            if "latency" in options.cases:
                latency_case(server, folder, options, context)
        finally:
            server.stop()
            if options.postgres:
                drop_databases(options.postgres, MADE_DATABASES)


def throughput_cases(
    server: NatsServer, folder: Path, options: Options, context: dict[str, Any]
) -> None:
    """Raw JetStream, then Meria, its writes alone, and raw again (the machine's drift)."""
    payloads = envelopes(options.events)
    payload_bytes = round(statistics.fmean(len(payload) for payload in payloads))
    raw_rates: list[float] = []

    def raw(run: int) -> None:
        progress(f"raw run {run}: {options.events} events")
        result = asyncio.run(run_raw(server.url, payloads, options.window, options.fetch_batch))
        raw_rates.append(result["events_per_s"])
        emit(
            {
                "case": "raw",
                "run": run,
                "events": options.events,
                "payload_bytes": payload_bytes,
                **result,
                "loadavg": loadavg(),
                "context": context,
            }
        )

    raw(1)
    progress(f"meria: {options.events} events, one transaction each")
    run = run_meria(folder / "meria", server, options, options.events, 0.0, 0.0)
    progress(f"meria_writes_alone: {options.events} write transactions, nothing else")
    alone = run_writes_alone(folder / "writes-alone", options, options.events)
    raw(2)
    seconds = run.finished - run.started
    rate = run.count / seconds
    ratio = rate / statistics.fmean(raw_rates)
    emit(
        {
            "case": "meria",
            "events": run.count,
            "payload_bytes": payload_bytes,
            "events_per_s": round(rate, 1),
            "seconds": round(seconds, 3),
            "write_events_per_s": round(run.count / (run.written - run.started), 1),
            "outbox_empty_after_s": round(run.relayed - run.started, 3),
            "raw_events_per_s": raw_rates,
            "ratio": round(ratio, 3),
            "ratio_range": [round(rate / max(raw_rates), 3), round(rate / min(raw_rates), 3)],
            "cpu_ms_per_event": run.cpu_ms_per_event(),
            "latency_under_full_load": summarize_latency(run),
            **completeness(run),
            "target": f"ratio >= {RATIO_TARGET}",
            "target_met": ratio >= RATIO_TARGET and run.status == "done",
            "warmup_events": options.warmup,
            "loadavg": loadavg(),
            "context": context,
        }
    )
    alone_rate = options.events / alone["seconds"]
    emit(
        {
            "case": "meria_writes_alone",
            "events": options.events,
            "events_per_s": round(alone_rate, 1),
            "seconds": round(alone["seconds"], 3),
            "cpu_ms_per_event": ms(alone["cpu_seconds"] / options.events),
            "raw_events_per_s": raw_rates,
            # The `meria` case cannot beat its own writes: this bounds its ratio.
            "ratio_ceiling": round(alone_rate / statistics.fmean(raw_rates), 3),
            "meria_share_of_ceiling": round(rate / alone_rate, 3),
            "warmup_events": options.warmup,
            "loadavg": loadavg(),
            "context": context,
        }
    )


def latency_case(
    server: NatsServer, folder: Path, options: Options, context: dict[str, Any]
) -> None:
    """Meria at a steady offered rate; the target counts only if that rate was achieved."""
    progress(f"meria_latency: {options.rate:g} events/s offered for {options.seconds:g} s")
    count = round(options.rate * options.seconds)
    run = run_meria(folder / "meria-latency", server, options, count, options.rate, options.seconds)
    latency = summarize_latency(run)
    achieved = run.count / (run.written - run.started)
    emit(
        {
            "case": "meria_latency",
            "offered_events_per_s": options.rate,
            "achieved_write_events_per_s": round(achieved, 1),
            "seconds": options.seconds,
            "events_written": run.count,
            **latency,
            "cpu_ms_per_event": run.cpu_ms_per_event(),
            **completeness(run),
            "target": f"p99 <= {P99_TARGET_MS:g} ms at {options.rate:g} events/s",
            "target_met": latency.get("p99_ms", math.inf) <= P99_TARGET_MS
            and achieved >= 0.95 * options.rate
            and run.status == "done",
            "warmup_events": options.warmup,
            "loadavg": loadavg(),
            "context": context,
        }
    )


def loadavg() -> list[float]:
    return [round(load, 2) for load in os.getloadavg()]


if __name__ == "__main__":
    main()
