"""The website's calendar from the events service's bus events: public events appear as
they are scheduled, change, move to a new date, are cancelled and take place; internal
ones never do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, at, setup_office
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database


@dataclass
class Site:
    stack: Stack
    http: httpx.AsyncClient
    planner: EventsDesk
    venues: dict[str, int]

    async def calendar(self, month: str, lang: str = "") -> str:
        prefix = "/en" if lang == "en" else ""
        response = await self.http.get(
            f"{self.stack.urls['website']}{prefix}/calendar",
            params={"month": month, "view": "list"},
        )
        assert response.status_code == 200
        return response.text

    async def until(self, month: str, check: Callable[[str], bool], what: str) -> str:
        page = ""
        try:
            async with asyncio.timeout(20):
                while True:
                    page = await self.calendar(month)
                    if check(page):
                        return page
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"the calendar never {what}") from None


@pytest.fixture
async def site(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Site]:
    async with (
        running_stack(
            ["events", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        planner = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
        head = EventsDesk(stack, http, "tamar.gelashvili", "head_of_department")
        yield Site(stack, http, planner, await setup_office(head, planner))


async def test_public_events_reach_the_website_calendar_and_follow_every_change(
    site: Site,
) -> None:
    planner = site.planner
    day = datetime.now(TBILISI).date() + timedelta(days=40)
    month = f"{day:%Y-%m}"
    festival = await planner.create(
        {
            "kind": "festival",
            "title_ka": "ახმეტის ღვინის ფესტივალი",
            "title_en": "Akhmeta Wine Festival",
            "description_ka": "ახმეტელი მეღვინეების ღვინოები, მწვადი და ფოლკლორი.",
            "venue_id": site.venues["culture_house"],
            "starts_at": at(day, 12).isoformat(),
            "ends_at": at(day, 20).isoformat(),
            "public": True,
            "schedule": True,
        }
    )
    internal = await planner.create(
        {
            "kind": "foundation_meeting",
            "title_ka": "შეხვედრა USAID-ის პროექტის გუნდთან",
            "partner_ka": "USAID",
            "place_ka": "მერია",
            "starts_at": at(day, 10).isoformat(),
            "ends_at": at(day, 11).isoformat(),
            "public": False,
        }
    )
    assert internal["state"] == "draft"
    page = await site.until(month, lambda p: "ახმეტის ღვინის ფესტივალი" in p, "showed it")
    assert "USAID" not in page
    english = await site.calendar(month, "en")
    assert "Akhmeta Wine Festival" in english
    feed = Calendar.from_ical(
        (await site.http.get(f"{site.stack.urls['website']}/feeds/events.ics")).content
    )
    (vevent,) = feed.walk("VEVENT")
    assert vevent.decoded("dtstart").hour == 12
    assert "ახმეტის კულტურის ცენტრი" in str(vevent["location"])

    # A new title shows; a new date moves it to its new day and month.
    await planner.ok(
        "PATCH", f"/events/{festival['id']}", json={"title_ka": "ახმეტის ღვინის ფესტივალი 2027"}
    )
    await site.until(month, lambda p: "ახმეტის ღვინის ფესტივალი 2027" in p, "renamed it")
    later = day + timedelta(days=35)
    moved = await planner.ok(
        "POST",
        f"/events/{festival['id']}/reschedule",
        json={
            "starts_at": at(later, 12).isoformat(),
            "ends_at": at(later, 20).isoformat(),
            "reason": "რთველი გვიან დაიწყო",
        },
    )
    new_id = moved["events"][1]["id"]
    await site.until(month, lambda p: "ღვინის ფესტივალი" not in p, "took it off the old date")
    await site.until(f"{later:%Y-%m}", lambda p: "ღვინის ფესტივალი 2027" in p, "moved it")

    # Cancelled: still on its day, marked so, and cancelled in the feed.
    await planner.ok(
        "POST", f"/events/{new_id}/cancel", json={"reason": "სეტყვამ ვენახები დააზიანა"}
    )
    await site.until(
        f"{later:%Y-%m}", lambda p: "<s>ახმეტის ღვინის ფესტივალი 2027</s>" in p, "struck it through"
    )
    assert "(გაუქმებულია)" in await site.calendar(f"{later:%Y-%m}")
    feed = Calendar.from_ical(
        (await site.http.get(f"{site.stack.urls['website']}/feeds/events.ics")).content
    )
    (vevent,) = feed.walk("VEVENT")
    assert str(vevent["status"]) == "CANCELLED"

    # Made internal, an event leaves the public calendar.
    tour = await planner.create(
        {
            "kind": "tourism_event",
            "title_ka": "თუშეთის ცხენოსანთა ტური",
            "place_ka": "ომალო",
            "starts_at": at(day, 9).isoformat(),
            "ends_at": at(day, 18).isoformat(),
            "public": True,
            "schedule": True,
        }
    )
    await site.until(month, lambda p: "ცხენოსანთა ტური" in p, "showed the tour")
    await planner.ok("PATCH", f"/events/{tour['id']}", json={"public": False})
    await site.until(month, lambda p: "ცხენოსანთა ტური" not in p, "hid the internal tour")
