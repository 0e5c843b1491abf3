"""A node of a three-node JetStream cluster killed with SIGKILL while events stream through.

Three real nats-servers on loopback form one cluster; the stream and the consumer are
kept by all three (MERIA_NATS_STREAM_REPLICAS=3, as the Kubernetes cluster overlay sets
it). 2,000 use-case transactions each write a domain row and its event through the
outbox; meanwhile the node leading the stream is frozen and killed, the way a machine
is lost, and stays down while the rest of the events go through the two left: the
relay's client moves to another node, the cluster elects a new leader, nothing waits
for the dead node. It comes back later on its own store and catches up. Every event
must be applied exactly once, the outbox end empty, and the stream hold each event once
on every node, the one that was killed too.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from meria.bus import READER, Bus, Outbox, OutboxRelay
from meria.config import bus_credentials_of
from meria.db import Database
from meria.testing.servers import NatsCluster, NatsServer
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until

pytestmark = pytest.mark.reliability

EVENTS = 2000
REPLICAS = 3
# The stream's leader is killed once this many events are written, and started again
# once this many more are applied: the cluster serves with two nodes in between.
KILL_AFTER = 700
SERVED_WHILE_DOWN = 500
FROZEN_SECONDS = 0.5


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    cluster = NatsCluster(tmp_path / "nats", REPLICAS, extra_users=[bus_app.sink_account()])
    cluster.start()
    yield cluster
    cluster.stop()


async def connected(bus: Bus) -> AsyncIterator[Bus]:
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.close()


@pytest.fixture
async def producer(nats_cluster: NatsCluster) -> AsyncIterator[Bus]:
    """The publishing service's connection, given every node, declaring its stream."""
    bus = Bus(
        nats_cluster.url,
        "test-publishing",
        bus_credentials_of("publishing"),
        streams=["PUBLISHING"],
        stream_replicas=REPLICAS,
    )
    async for each in connected(bus):
        yield each


@pytest.fixture
async def consumer_bus(nats_cluster: NatsCluster) -> AsyncIterator[Bus]:
    user, credentials = bus_app.sink_account()
    bus = Bus(
        nats_cluster.url,
        bus_app.SINK,
        credentials,
        streams=user.streams,
        stream_replicas=REPLICAS,
    )
    async for each in connected(bus):
        yield each


@pytest.fixture
async def watcher(nats_cluster: NatsCluster) -> AsyncIterator[Bus]:
    bus = Bus(nats_cluster.url, "test-reader", bus_credentials_of(READER))
    async for each in connected(bus):
        yield each


async def messages_on(node: NatsServer, stream: str) -> int:
    """How many messages `node`'s own replica of `stream` holds (its monitoring)."""
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(
            f"http://127.0.0.1:{node.monitor_port}/jsz", params={"streams": "true"}
        )
    response.raise_for_status()
    for account in response.json().get("account_details", []):
        for detail in account.get("stream_detail", []):
            if detail["name"] == stream:
                return int(detail["state"]["messages"])
    return 0


async def test_every_event_is_applied_once_when_a_cluster_node_dies(
    nats_cluster: NatsCluster,
    database: Database,
    producer: Bus,
    consumer_bus: Bus,
    watcher: Bus,
) -> None:
    outbox = Outbox(bus_app.tables.outbox, "publishing")
    relay = OutboxRelay(database, outbox, producer, poll_seconds=0.2, ack_timeout=3.0)
    consumer = bus_app.make_consumer(database, consumer_bus, ack_wait_seconds=5.0)
    stream = await watcher.js.stream_info("PUBLISHING")
    assert stream.config.num_replicas == REPLICAS
    assert stream.cluster is not None and len(stream.cluster.replicas or []) == REPLICAS - 1
    written = 0

    async def write_events() -> None:
        nonlocal written
        for number in range(1, EVENTS + 1):
            await bus_app.record_parcel(database, outbox, number)
            written = number
            await asyncio.sleep(0.002)

    async def reached(count: int) -> None:
        async def done() -> bool:
            return written >= count

        await wait_until(done, timeout=60, what=f"{count} events written")

    async with running(relay.run(), consumer.run()):
        writer = asyncio.create_task(write_events())
        try:
            await reached(KILL_AFTER)
            # The leader of the stream: losing it is the hardest case, a new one must
            # be elected before anything more is stored.
            info = await watcher.js.stream_info("PUBLISHING")
            assert info.cluster is not None and info.cluster.leader is not None
            victim = nats_cluster.node(info.cluster.leader)
            applied_then, _ = await bus_app.applied_counts(database)
            assert victim.process is not None
            victim.process.send_signal(signal.SIGSTOP)
            await asyncio.sleep(FROZEN_SECONDS)
            await asyncio.to_thread(victim.kill)

            # The two left elect a leader, then store and deliver what is written: the
            # node stays down until they have applied many more events.
            async def served_without_it() -> bool:
                applied, _ = await bus_app.applied_counts(database)
                return applied >= applied_then + SERVED_WHILE_DOWN

            await wait_until(served_without_it, timeout=60, what="two nodes serving")
            info = await watcher.js.stream_info("PUBLISHING")
            assert info.cluster is not None and info.cluster.leader != victim.name
            await asyncio.to_thread(victim.start)
            await writer
        finally:
            writer.cancel()

        async def outbox_empty() -> bool:
            return await relay.backlog() == 0

        async def consumer_caught_up() -> bool:
            info = await watcher.js.consumer_info("PUBLISHING", consumer.durable)
            return (info.num_pending, info.num_ack_pending) == (0, 0)

        await wait_until(outbox_empty, timeout=60, what="an empty outbox")
        await wait_until(consumer_caught_up, timeout=60, what="the consumer caught up")

    assert applied_then < EVENTS
    assert await bus_app.applied_counts(database) == (EVENTS, EVENTS)
    assert await relay.backlog() == 0
    stream = await watcher.js.stream_info("PUBLISHING")
    assert stream.state.messages == EVENTS

    # Every node holds the whole stream once, the one killed too once it caught up.
    async def every_node_has_all() -> bool:
        counts = [await messages_on(node, "PUBLISHING") for node in nats_cluster.nodes]
        return counts == [EVENTS] * REPLICAS

    await wait_until(every_node_has_all, timeout=30, what="every node caught up")
