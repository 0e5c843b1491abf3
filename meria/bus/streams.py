"""JetStream streams: one per producing service, and one for dead letters.

Streams keep events on file with no age limit, so a read model (the website) can be
rebuilt by replaying them. The duplicate window is what lets the outbox relay resend
after a crash: JetStream drops a second message with the same `Nats-Msg-Id`.
"""

from __future__ import annotations

from collections.abc import Collection

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

DUPLICATE_WINDOW_SECONDS = 300.0
PRODUCERS = ("publishing", "events", "visits", "media", "portal")
DEAD_LETTER_STREAM = "DEADLETTER"
DEAD_LETTER_PREFIX = "deadletter"


def stream_name(service: str) -> str:
    return service.upper()


def stream_for_subject(subject: str) -> str:
    head = subject.split(".", 1)[0]
    if head == DEAD_LETTER_PREFIX:
        return DEAD_LETTER_STREAM
    if head not in PRODUCERS:
        raise ValueError(f"no stream carries subject {subject!r}")
    return stream_name(head)


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    """Every stream's configuration; `replicas` is how many servers of a NATS cluster keep
    each (1 on one server, 3 on a three-node cluster)."""
    configs = [
        StreamConfig(
            name=stream_name(service),
            subjects=[f"{service}.>"],
            description=f"Domain events of the {service} service",
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        )
        for service in PRODUCERS
    ]
    configs.append(
        StreamConfig(
            name=DEAD_LETTER_STREAM,
            subjects=[f"{DEAD_LETTER_PREFIX}.>"],
            description="Messages a consumer could not apply, with the reason in headers",
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        )
    )
    return configs


async def ensure_streams(
    js: JetStreamContext, names: Collection[str], *, replicas: int = 1
) -> None:
    """Declare the named streams (those a process may: its own, and the dead letters of
    a process that consumes); harmless to repeat, and updates a stream whose config changed
    (a stream of one replica grown to three, when the server became a cluster)."""
    for config in stream_configs(replicas):
        if config.name not in names:
            continue
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
