"""A cancelled occurrence of a series on the month calendars, over real HTTP with the
events service, the website and the portal: struck through and named cancelled in words,
in the staff portal and on the public site, while the others of its series stay as
they were."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, setup_office, wine_tours
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TITLE = "ღვინის ტური ახმეტის მარნებში"


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[Stack, EventsDesk, httpx.AsyncClient]]:
    async with (
        running_stack(
            ["events", "website", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        planner = EventsDesk(stack, http, STAFF["protocol"][0], "protocol_officer")
        head = EventsDesk(stack, http, "tamar.gelashvili", "head_of_department")
        await setup_office(head, planner)
        yield stack, planner, http


def entries(page: str) -> list[str]:
    """The month view's entries: each event's paragraph."""
    return re.findall(r'<p class="event [^"]*">.*?</p>', page, re.S)


async def test_a_cancelled_occurrence_is_struck_through_on_both_calendars(
    office: tuple[Stack, EventsDesk, httpx.AsyncClient],
) -> None:
    stack, planner, http = office
    # Three Saturday wine tours in one month, announced; the middle one is cancelled.
    month_start = (datetime.now(TBILISI).date() + timedelta(days=40)).replace(day=1)
    first = month_start + timedelta(days=(5 - month_start.weekday()) % 7)
    created = (await planner.ok("POST", "/events", json=wine_tours(first, 3)))["events"]
    ids = [event["id"] for event in created]
    await planner.ok("POST", f"/events/{ids[0]}/schedule", json={"scope": "all"})
    await planner.ok("POST", f"/events/{ids[1]}/cancel", json={"reason": "სეტყვამ დააზიანა"})
    month = f"{first:%Y-%m}"

    # The portal's month: the cancelled one struck through and named so; the others not.
    protocol = Person(stack, STAFF["protocol"][0])
    assert (await protocol.sign_in()).status_code == 303
    page = await protocol.get(f"/events?month={month}&view=month&lang=ka")
    shown = entries(page.text)
    cancelled = [entry for entry in shown if f'/events/{ids[1]}"' in entry]
    assert len(cancelled) == 1 and "state-cancelled" in cancelled[0]
    assert f"<s>{TITLE}</s>" in cancelled[0] and "(გაუქმებული)" in cancelled[0]
    others = [entry for entry in shown if entry not in cancelled]
    assert len(others) == 2 and not any("<s>" in entry for entry in others)
    await protocol.close()

    # The public month: the same, once the bus has brought the change.
    site = stack.urls["website"]
    for _ in range(100):
        public = await http.get(f"{site}/calendar", params={"month": month, "view": "month"})
        struck = [entry for entry in entries(public.text) if "<s>" in entry]
        if struck:
            break
        await asyncio.sleep(0.2)
    assert len(struck) == 1 and "status-cancelled" in struck[0]
    assert "(გაუქმებულია)" in struck[0]
    assert len(entries(public.text)) == 3
