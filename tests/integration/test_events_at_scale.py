"""Years of a city hall's calendar: 20,000 events, about 15,000 of them in the feeds.

The internal calendar feed wrote its 15,000 VEVENTs on the event loop: 17 s in which the
events service answered no one. Here the feed is written in a thread while the month
view and liveness go on being answered; two readers of the feed wait for one making of
it; after one event changes, the next feed writes only that event again; and no
callback holds the loop for 100 ms of CPU.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer
from services.events import scale
from tests.conftest import DatabaseFactory
from tests.support.events import EventsDesk
from tests.support.loop import watching_the_loop
from tests.support.stack import running_stack

pytestmark = pytest.mark.database


async def test_the_internal_feed_of_twenty_thousand_events_holds_no_request_up(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> None:
    async with (
        running_stack(
            ["events"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
        ) as stack,
        httpx.AsyncClient(timeout=300) as http,
    ):
        # Two years of the calendar, written straight into the tables.
        busiest = await scale.fill(stack.runtime("events").db(), 20_000)
        protocol = EventsDesk(stack, http, "ana.protocol", "protocol_officer")

        async with watching_the_loop(stack.urls["events"]) as watch:
            # Two staff calendars subscribe at once: one making, the same file for both.
            started = time.perf_counter()
            first, second = await asyncio.gather(
                protocol.call("GET", "/calendars/internal.ics"),
                protocol.call("GET", "/calendars/internal.ics"),
            )
            made_in = time.perf_counter() - started
            assert first.status_code == 200 and second.status_code == 200
            month = await protocol.ok("GET", "/events", params={"month": f"{busiest:%Y-%m}"})
            assert month["total"] > 700

            # One event changes: the next feed writes that one again, and keeps the rest.
            [draft] = (await protocol.ok("GET", "/events", params={"state": "draft", "limit": 1}))[
                "items"
            ]
            await protocol.ok(
                "PATCH", f"/events/{draft['id']}", json={"title_ka": "ღვინის ფესტივალი ახმეტაში"}
            )
            started = time.perf_counter()
            changed = await protocol.call("GET", "/calendars/internal.ics")
            assert time.perf_counter() - started < made_in / 2

        watch.assert_free()
        # Both readers had the same file, of every event in the window; then the edit.
        assert first.content == second.content
        vevents = first.content.count(b"BEGIN:VEVENT")
        assert 14_000 < vevents < 16_000
        assert changed.content.count(b"BEGIN:VEVENT") == vevents
        unfolded = changed.content.replace(b"\r\n ", b"").decode()
        assert f"UID:event-{draft['case_id']}@akhmeta.meria" in unfolded
        assert "ღვინის ფესტივალი ახმეტაში" in unfolded
