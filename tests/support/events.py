"""A desk for events tests: the calls staff make, by role, over real HTTP; the venues,
officials and events of Akhmeta in Georgian and English."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.desk import ServiceDesk
from tests.support.stack import Stack

TBILISI = ZoneInfo("Asia/Tbilisi")

OFFICIALS = {
    "mayor": {
        "name_ka": "ახმეტის მუნიციპალიტეტის მერი",
        "name_en": "Mayor of Akhmeta Municipality",
        "position_ka": "მერი",
        "position_en": "Mayor",
    },
    "first-deputy-mayor": {
        "name_ka": "მერის პირველი მოადგილე",
        "name_en": "First Deputy Mayor",
        "position_ka": "პირველი მოადგილე",
        "position_en": "First Deputy Mayor",
    },
    "council-chair": {
        "name_ka": "ახმეტის მუნიციპალიტეტის საკრებულოს თავმჯდომარე",
        "name_en": "Chair of the Akhmeta Municipal Council",
    },
}

HALL = {
    "name_ka": "ახმეტის მერიის სხდომათა დარბაზი",
    "name_en": "Akhmeta City Hall assembly hall",
    "address_ka": "ახმეტა, ცოტნე დადიანის ქ. 6",
    "address_en": "6 Tsotne Dadiani St, Akhmeta",
    "capacity": 60,
}
CULTURE_HOUSE = {
    "name_ka": "ახმეტის კულტურის ცენტრი",
    "name_en": "Akhmeta Culture Centre",
    "address_ka": "ახმეტა, რუსთაველის ქ. 1",
    "capacity": 300,
}
OMALO = {
    "name_ka": "ომალოს ცენტრალური მოედანი",
    "name_en": "Omalo central square",
    "address_ka": "ომალო, თუშეთი",
    "address_en": "Omalo, Tusheti",
    "capacity": 2000,
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TBILISI)


def press_conference(day: date, venue_id: int, **fields: Any) -> dict[str, Any]:
    """The mayor on the opening of the Tusheti road season."""
    return {
        "kind": "press_conference",
        "title_ka": "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ",
        "title_en": "Mayor's press conference on the opening of the Tusheti road season",
        "description_ka": "აბანოს უღელტეხილის გზა ომალომდე გაიხსნა; მერი ისაუბრებს "
        "უსაფრთხოებაზე, ტრანსპორტზე და ტურისტულ სეზონზე.",
        "description_en": "The Abano pass road to Omalo is open; the mayor speaks about "
        "safety, transport and the tourist season.",
        "organiser_ka": "ახმეტის მუნიციპალიტეტის მერია",
        "organiser_en": "Akhmeta Municipality City Hall",
        "venue_id": venue_id,
        "starts_at": at(day, 11).isoformat(),
        "ends_at": at(day, 12).isoformat(),
        "public": True,
        "officials": ["mayor"],
        "responsible": "giorgi.media",
        **fields,
    }


def foundation_meeting(day: date, venue_id: int, **fields: Any) -> dict[str, Any]:
    """The mayor meets UNDP about its local development programme."""
    return {
        "kind": "foundation_meeting",
        "title_ka": "შეხვედრა გაეროს განვითარების პროგრამასთან ადგილობრივი ეკონომიკური "
        "განვითარების შესახებ",
        "title_en": "Meeting with UNDP on local economic development",
        "description_ka": "პანკისის ხეობისა და თუშეთის მცირე მეწარმეთა მხარდაჭერის ახალი ეტაპი.",
        "partner_ka": "გაეროს განვითარების პროგრამა (UNDP)",
        "partner_en": "United Nations Development Programme (UNDP)",
        "venue_id": venue_id,
        "starts_at": at(day, 15).isoformat(),
        "ends_at": at(day, 16, 30).isoformat(),
        "public": False,
        "officials": ["mayor", "first-deputy-mayor"],
        "responsible": "ana.protocol",
        **fields,
    }


def tushetoba(year: int, venue_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "festival",
        "title_ka": f"თუშეთობა {year}",
        "title_en": f"Tushetoba {year}",
        "description_ka": "თუშური სიმღერა, ცხენების დოღი და ხალხური რეწვა ომალოში.",
        "description_en": "Tushetian songs, horse racing and folk crafts in Omalo.",
        "organiser_ka": "ახმეტის მუნიციპალიტეტის მერია",
        "venue_id": venue_id,
        "starts_at": at(date(year, 8, 1), 11).isoformat(),
        "ends_at": at(date(year, 8, 2), 20).isoformat(),
        "public": True,
        "expected_attendance": 1500,
        "officials": ["mayor"],
        **fields,
    }


def wine_tours(first: date, count: int = 8, **fields: Any) -> dict[str, Any]:
    """Saturday wine tours in Akhmeta's marani, every week of the season."""
    return {
        "kind": "tourism_event",
        "title_ka": "ღვინის ტური ახმეტის მარნებში",
        "title_en": "Wine tour of Akhmeta's cellars",
        "place_ka": "ახმეტის ტურისტული საინფორმაციო ცენტრი",
        "place_en": "Akhmeta tourist information centre",
        "starts_at": at(first, 11).isoformat(),
        "ends_at": at(first, 15).isoformat(),
        "public": True,
        "recurrence": {"rrule": f"FREQ=WEEKLY;BYDAY=SA;COUNT={count}"},
        **fields,
    }


def next_weekday(start: date, weekday: int) -> date:
    return start + timedelta(days=(weekday - start.weekday()) % 7 or 7)


class EventsDesk(ServiceDesk):
    """One person's HTTP session with the events service."""

    service = "events"

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """The first (or only) event created."""
        created: dict[str, Any] = (await self.ok("POST", "/events", json=body))["events"][0]
        return created

    async def event(self, event_id: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.ok("GET", f"/events/{event_id}")
        return found

    async def wait_for(
        self, event_id: int, check: Any, what: str, timeout: float = 30
    ) -> dict[str, Any]:
        """Poll the workflow's status until `check(status)` holds."""
        status: dict[str, Any] = await self.poll(
            f"/events/{event_id}/status", check, what, timeout, name=f"event {event_id}"
        )
        return status

    async def wait_for_stage(
        self, event_id: int, stage: str, *, tasks: int = 0, timeout: float = 30
    ) -> dict[str, Any]:
        return await self.wait_for(
            event_id,
            lambda s: s["stage"] == stage and len(s["tasks"]) >= tasks,
            f"reached {stage} with {tasks} open tasks",
            timeout,
        )


async def setup_office(admin: EventsDesk, planner: EventsDesk) -> dict[str, int]:
    """The officials and venues every test books."""
    for code, body in OFFICIALS.items():
        await admin.ok("PUT", f"/officials/{code}", json=body)
    venues = {}
    for name, body in (("hall", HALL), ("culture_house", CULTURE_HOUSE), ("omalo", OMALO)):
        venues[name] = (await planner.ok("POST", "/venues", json=body))["id"]
    return venues


async def bus_events(stack: Stack, stream: str = "EVENTS") -> list[dict[str, Any]]:
    """Every event of a stream so far, in order, as CloudEvents."""
    bus = await stack.reader()
    found: list[dict[str, Any]] = []
    info = await bus.js.stream_info(stream)
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg(stream, sequence)
        if message.data:
            found.append(json.loads(message.data))
    return found


async def wait_for_bus(
    stack: Stack, check: Any, what: str, timeout: float = 20
) -> list[dict[str, Any]]:
    """The events stream once `check(events)` holds."""
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                found = await bus_events(stack)
                if check(found):
                    return found
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"the bus never {what}: {[subject(e) for e in found]}") from None


def subject(event: dict[str, Any]) -> str:
    """`event.scheduled` from `ge.meria.events.event.scheduled.v1`."""
    return ".".join(event["type"].split(".")[3:5])
