"""`meria events tail`: print bus events live, one line each, for integrators.

It reads as the read-only NATS user: it can follow every stream and change none. A stream
that does not exist yet (its service has never started) is followed once it appears.
"""

from __future__ import annotations

import asyncio
import json

from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from nats.js.errors import NotFoundError

from meria.bus import Bus
from meria.bus.streams import DEAD_LETTER_PREFIX, PRODUCERS
from meria.config import ReaderSettings


def format_message(message: Msg) -> str:
    headers = message.headers or {}
    try:
        envelope = json.loads(message.data)
        about = envelope.get("subject") or ""
        data = json.dumps(envelope.get("data"), ensure_ascii=False, separators=(",", ":"))
        time = str(envelope.get("time", ""))[:19]
    except (ValueError, AttributeError):
        about, data, time = "", message.data[:200].decode("utf-8", "replace"), ""
    reason = headers.get("Meria-Dead-Letter-Reason")
    suffix = f"  reason: {reason}" if reason else ""
    return f"{time} {message.subject} {about} {data}{suffix}".strip()


async def tail(settings: ReaderSettings, subject: str | None, *, replay: bool = False) -> None:
    bus = Bus(settings.nats_url, "meria-events-tail", settings.bus_credentials())
    await bus.connect(max_backoff=2.0)
    subjects = [subject] if subject else [f"{name}.>" for name in (*PRODUCERS, DEAD_LETTER_PREFIX)]
    policy = DeliverPolicy.ALL if replay else DeliverPolicy.NEW

    async def show(message: Msg) -> None:
        print(format_message(message), flush=True)

    async def follow(each: str) -> None:
        while True:
            try:
                await bus.js.subscribe(each, cb=show, ordered_consumer=True, deliver_policy=policy)
                return
            except NotFoundError:  # no stream carries it yet
                await asyncio.sleep(2)

    try:
        await asyncio.gather(*(follow(each) for each in subjects))
        await asyncio.Future()  # until Ctrl-C
    finally:
        await bus.close()
