"""Helpers of the reliability scenarios: reading dead letters."""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from meria.bus.streams import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM


async def dead_letter_count(js: JetStreamContext) -> int:
    return int((await js.stream_info(DEAD_LETTER_STREAM)).state.messages)


async def dead_letters(js: JetStreamContext) -> list[Msg]:
    """Every message on the DEADLETTER stream, in order, read as the read-only user.

    Read through a consumer, not `js.get_msg`: nats-py parses the headers of `get_msg`
    as e-mail headers and returns a non-ASCII value (a Georgian reason) as an
    `email.header.Header` instead of a string. An ordered (ephemeral) consumer, the only
    kind the read-only user may make.
    """
    count = await dead_letter_count(js)
    if not count:
        return []
    subscription = await js.subscribe(
        f"{DEAD_LETTER_PREFIX}.>",
        stream=DEAD_LETTER_STREAM,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
    )
    letters: list[Msg] = []
    try:
        while len(letters) < count:
            letters.append(await subscription.next_msg(timeout=5))
    finally:
        await subscription.unsubscribe()
    return letters
