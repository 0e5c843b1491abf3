"""Messages a consumer can never apply are dead-lettered with a reason, and the rest flow.

They are published straight to the subject with nats-py, bypassing the outbox, as a
misbehaving producer (or a hand-typed `nats pub` with the producer's credentials) would.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from meria.bus import Bus
from meria.contracts import CloudEvent
from meria.db import Database
from tests.reliability.support import dead_letter_count, dead_letters
from tests.support import bus_app
from tests.support.bus_app import running
from tests.support.stack import wait_until

pytestmark = pytest.mark.reliability

SUBJECT = bus_app.ParcelRecorded.subject


def cloud_event(type_name: str, data: dict[str, Any]) -> bytes:
    envelope = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "/meria/publishing",
        "type": type_name,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    return json.dumps(envelope).encode()


# (payload, expected Meria-Dead-Letter-Kind, text the reason must contain)
CASES: list[tuple[bytes, str, str]] = [
    (b"this is not json {", "malformed", "Invalid JSON"),
    (b"\xff\xfe\x00garbage", "malformed", "Invalid JSON"),
    (b"", "malformed", "Invalid JSON"),
    (b'{"hello": "world"}', "malformed", "not a CloudEvents JSON envelope: id: Field required"),
    (b"[1, 2, 3]", "malformed", "Input should be an object"),
    (
        cloud_event("ge.meria.publishing.parcel.vanished.v1", {"number": 1}),
        "unknown_type",
        "unknown event type 'ge.meria.publishing.parcel.vanished.v1'",
    ),
    (
        # Georgian text travels into the reason header, which must stay readable.
        cloud_event("ge.meria.publishing.ამანათი.v1", {"number": 1}),
        "unknown_type",
        "unknown event type 'ge.meria.publishing.ამანათი.v1'",
    ),
    (
        cloud_event(bus_app.ParcelRejected.type_name(), {"number": 1}),
        "unexpected_type",
        f"{bus_app.ParcelRejected.type_name()!r} is not what testsink-count-parcel handles",
    ),
    (
        cloud_event(bus_app.ParcelRecorded.type_name(), {"number": "abc"}),
        "schema",
        f"data does not match {bus_app.ParcelRecorded.type_name()}: number: Input should be "
        "a valid integer",
    ),
    (
        # A field name with a line break ends up in the reason; it must not break the
        # NATS header block of the dead letter.
        cloud_event(bus_app.ParcelRecorded.type_name(), {"number": 1, "bad\r\nkey": 1}),
        "schema",
        "Extra inputs are not permitted",
    ),
]


async def test_malformed_messages_are_dead_lettered_and_valid_ones_applied(
    database: Database, bus: Bus, sink: Bus, reader: Bus
) -> None:
    consumer = bus_app.make_consumer(database, sink, ack_wait_seconds=5.0)
    async with running(consumer.run()) as [task]:
        sequences = [(await bus.js.publish(SUBJECT, payload)).seq for payload, _, _ in CASES]

        async def all_dead_lettered() -> bool:
            return await dead_letter_count(reader.js) >= len(CASES)

        await wait_until(all_dead_lettered, what="every malformed message dead-lettered")
        letters = await dead_letters(reader.js)
        assert len(letters) == len(CASES)
        for letter, sequence, (payload, kind, reason) in zip(
            letters, sequences, CASES, strict=True
        ):
            headers = letter.headers or {}
            assert (
                letter.subject == consumer.dead_letter_subject == "deadletter.testsink-count-parcel"
            )
            assert headers["Meria-Dead-Letter-Kind"] == kind, headers
            assert reason in headers["Meria-Dead-Letter-Reason"], headers
            assert "\n" not in headers["Meria-Dead-Letter-Reason"]
            assert headers["Meria-Consumer"] == consumer.durable
            assert headers["Meria-Original-Subject"] == SUBJECT
            assert headers["Meria-Original-Stream"] == "PUBLISHING"
            assert headers["Meria-Original-Sequence"] == str(sequence)
            # Refused at once: a malformed message is not retried.
            assert headers["Meria-Deliveries"] == "1"
            assert letter.data == payload

        # A valid event published after all of them is applied, by the same consumer task.
        envelope = CloudEvent.wrap(bus_app.ParcelRecorded(number=42))
        await bus.js.publish(
            SUBJECT, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": envelope.id}
        )

        async def applied() -> bool:
            return await bus_app.applied_counts(database) == (1, 1)

        await wait_until(applied, what="the valid event applied")
        assert not task.done()

        # Nothing is left pending or waiting for an ack: each malformed message was
        # terminated after its dead letter was stored, and none is redelivered.
        info = await reader.js.consumer_info("PUBLISHING", consumer.durable)
        assert info.num_pending == 0
        assert info.num_ack_pending == 0
        assert info.num_redelivered == 0
        assert await dead_letter_count(reader.js) == len(CASES)
