"""NATS trusts no one by default: on a real nats-server configured as `meria run nats`
configures it, a connection needs a process's credentials, and a process may publish
only its own events and read only through its own consumers.

A refused publish or subscription does not fail the call that made it: the server
answers `Permissions Violation` on the connection (nats-py hands it to the error
callback) and the request behind it times out. So each refusal is checked both ways:
the server's word, and that nothing arrived where it was aimed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig

from meria.bus import READER, Bus, BusUser
from meria.bus.users import inbox_prefix
from meria.config import bus_credentials_of
from meria.contracts import CloudEvent, DocumentPublished, LocalizedText
from meria.testing.servers import NatsServer

REFUSED = (NatsError, NatsTimeoutError, TimeoutError)


class Connection:
    """A raw nats-py connection as one NATS user, keeping what the server refused."""

    def __init__(self, client: Client, refusals: list[str]) -> None:
        self.client = client
        self.refusals = refusals
        self.js = client.jetstream(timeout=1.0)

    async def refused(self, what: str) -> bool:
        """Whether the server has refused `what` (a subject) on this connection."""
        for _ in range(40):
            if any(what.lower() in refusal.lower() for refusal in self.refusals):
                return True
            await asyncio.sleep(0.05)
        return False


@asynccontextmanager
async def connected_as(server: NatsServer, user: str) -> AsyncIterator[Connection]:
    credentials = bus_credentials_of(user)
    refusals: list[str] = []

    async def keep(error: Exception) -> None:
        refusals.append(str(error))

    client = await nats.connect(
        server.url,
        user=credentials.user,
        password=credentials.password.get_secret_value(),
        inbox_prefix=inbox_prefix(credentials.user),
        error_cb=keep,
        allow_reconnect=False,
    )
    try:
        yield Connection(client, refusals)
    finally:
        await client.close()


def forged_publication() -> bytes:
    event = DocumentPublished(
        document_id=990001,
        edition=1,
        document_type="news",
        title=LocalizedText(ka="ყალბი სიახლე ახმეტიდან"),
        body_html=LocalizedText(ka="<p>ყალბი</p><script>alert(1)</script>"),
        published_at=datetime.now(UTC),
    )
    return CloudEvent.wrap(event).model_dump_json().encode()


async def published_count(reader: Bus, stream: str) -> int:
    return int((await reader.js.stream_info(stream)).state.messages)


async def test_a_connection_without_credentials_or_with_a_wrong_password_is_refused(
    nats_server: NatsServer,
) -> None:
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(nats_server.url, allow_reconnect=False, connect_timeout=2)
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(
            nats_server.url,
            user="publishing",
            password="ახმეტა-not-the-password",
            allow_reconnect=False,
            connect_timeout=2,
        )
    # Another process's password is no better.
    with pytest.raises(NatsError, match="Authorization Violation"):
        await nats.connect(
            nats_server.url,
            user="publishing",
            password=bus_credentials_of("events").password.get_secret_value(),
            allow_reconnect=False,
            connect_timeout=2,
        )
    # The right password works.
    async with connected_as(nats_server, "publishing") as publishing:
        assert publishing.client.is_connected


async def test_one_service_cannot_publish_another_services_events(
    nats_server: NatsServer, bus: Bus, reader: Bus
) -> None:
    """`bus` is the publishing service: the PUBLISHING stream exists."""
    events_bus = Bus(
        nats_server.url, "test-events", bus_credentials_of("events"), streams=["EVENTS"]
    )
    await events_bus.connect()  # declares its own stream
    await events_bus.close()
    async with connected_as(nats_server, "events") as events:
        # The events service's credentials put a publication on the website's subject.
        with pytest.raises(REFUSED):
            await events.js.publish("publishing.document.published", forged_publication())
        assert await events.refused('publish to "publishing.document.published"')
        # Nor may it sneak it past its name, as a dead letter or a JetStream API call.
        for subject in ("deadletter.website-show-published-document", "visits.visit.approved"):
            with pytest.raises(REFUSED):
                await events.js.publish(subject, forged_publication())
            assert await events.refused(f'publish to "{subject}"')
        with pytest.raises(REFUSED):
            await events.js.delete_stream("PUBLISHING")
        assert await events.refused('publish to "$JS.API.STREAM.DELETE.PUBLISHING"')

        # Its own events go through.
        acknowledged = await events.js.publish("events.event.scheduled", b'{"test": true}')
        assert acknowledged.stream == "EVENTS"

    assert await published_count(reader, "PUBLISHING") == 0
    assert await published_count(reader, "EVENTS") == 1


async def test_a_service_cannot_read_what_it_does_not_consume(
    nats_server: NatsServer, bus: Bus, reader: Bus
) -> None:
    # The website has made its consumer of publications (as it does when it starts).
    website_bus = Bus(nats_server.url, "test-website", bus_credentials_of("website"))
    await website_bus.connect()
    await website_bus.js.pull_subscribe(
        "publishing.document.published",
        durable="website-show-published-document",
        stream="PUBLISHING",
        config=ConsumerConfig(filter_subject="publishing.document.published"),
    )
    await website_bus.close()

    async with connected_as(nats_server, "events") as events:
        # A plain subscription to the subject, and to another process's replies.
        seen = []

        async def spy(message: object) -> None:
            seen.append(message)

        for subject in ("publishing.>", "_INBOX.website.>"):
            await events.client.subscribe(subject, cb=spy)
            assert await events.refused(f'subscription to "{subject}"')
        # A consumer of its own on the stream.
        with pytest.raises(REFUSED):
            await events.js.pull_subscribe(
                "publishing.document.published", durable="events-spy", stream="PUBLISHING"
            )
        assert await events.refused('"$JS.API.CONSUMER.INFO.PUBLISHING.events-spy"')
        # Fetching from the website's consumer, to take its messages.
        with pytest.raises(REFUSED):
            await events.client.request(
                "$JS.API.CONSUMER.MSG.NEXT.PUBLISHING.website-show-published-document",
                json.dumps({"batch": 1}).encode(),
                timeout=1,
            )
        assert await events.refused("MSG.NEXT.PUBLISHING.website-show-published-document")

        await bus.js.publish("publishing.document.published", forged_publication())
        await asyncio.sleep(0.5)
        assert seen == []
    # The message waits for the website, untouched.
    info = await reader.js.consumer_info("PUBLISHING", "website-show-published-document")
    assert (info.num_pending, info.num_ack_pending) == (1, 0)


async def test_the_reader_reads_every_stream_and_writes_nothing(
    nats_server: NatsServer, bus: Bus, reader: Bus
) -> None:
    await bus.js.publish("publishing.document.published", forged_publication())
    async with connected_as(nats_server, READER) as tail:
        assert (await tail.js.get_msg("PUBLISHING", 1)).subject == "publishing.document.published"
        with pytest.raises(REFUSED):
            await tail.js.publish("publishing.document.published", forged_publication())
        assert await tail.refused('publish to "publishing.document.published"')
        # A durable consumer of its own would hold messages back from no one, but could
        # stand in for a service's: refused; so is deleting one.
        with pytest.raises(REFUSED):
            await tail.js.add_consumer("PUBLISHING", durable_name="website-show-published-document")
        with pytest.raises(REFUSED):
            await tail.js.purge_stream("PUBLISHING")
        assert await tail.refused('"$JS.API.STREAM.PURGE.PUBLISHING"')
    assert await published_count(reader, "PUBLISHING") == 1


async def test_a_user_allowed_to_publish_nothing_publishes_nothing(tmp_path: Path) -> None:
    """nats-server reads an empty allow list as no restriction: the configuration must
    say `deny` instead (the benchmarks' listener is such a user)."""
    mute = BusUser("listener", (), ("visits.>",))
    with NatsServer(
        tmp_path / "nats", extra_users=[(mute, bus_credentials_of(mute.name))]
    ) as server:
        async with connected_as(server, mute.name) as listener:
            heard: list[str] = []

            async def hear(message: Msg) -> None:
                heard.append(message.subject)

            await listener.client.subscribe("visits.>", cb=hear)
            await listener.client.publish("visits.visit.approved", b"{}")
            assert await listener.refused('publish to "visits.visit.approved"')
            assert heard == []
