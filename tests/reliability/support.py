"""Helpers of the reliability scenarios: reading dead letters."""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from meria.bus.streams import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM


async def dead_letter_count(js: JetStreamContext) -> int:
    return int((await js.stream_info(DEAD_LETTER_STREAM)).state.messages)


async def dead_letters(js: JetStreamContext) -> list[Msg]:
    """Every message on the DEADLETTER stream, in order.

    Read through a consumer, not `js.get_msg`: nats-py parses the headers of `get_msg`
    as e-mail headers and returns a non-ASCII value (a Georgian reason) as an
    `email.header.Header` instead of a string.
    """
    count = await dead_letter_count(js)
    if not count:
        return []
    subscription = await js.pull_subscribe(
        f"{DEAD_LETTER_PREFIX}.>",
        stream=DEAD_LETTER_STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE),
    )
    letters: list[Msg] = []
    try:
        while len(letters) < count:
            letters += await subscription.fetch(count - len(letters), timeout=5)
    finally:
        await subscription.unsubscribe()
    return letters
