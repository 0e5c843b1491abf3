"""A desk for visits tests: the calls staff make, by role, over real HTTP; demo visits in
Georgian and English."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.support.desk import ServiceDesk
from tests.support.stack import Stack

TBILISI = ZoneInfo("Asia/Tbilisi")

BIRSTONAS = {
    "kind": "partner_city",
    "name_ka": "ბირშტონასის მუნიციპალიტეტი",
    "name_en": "Birštonas Municipality",
    "country": "LT",
    "city": "Birštonas",
    "website": "https://www.birstonas.lt/",
    "contact_name": "International relations office",
    "contact_email": "info@birstonas.lt",
    "partnership_since": "2019-05-14",
}
NALAG = {
    "kind": "national_association",
    "name_ka": "საქართველოს ადგილობრივ თვითმმართველობათა ეროვნული ასოციაცია",
    "name_en": "National Association of Local Authorities of Georgia (NALAG)",
    "country": "GE",
    "city": "Tbilisi",
}


def delegation(arrival_on: date, days: int = 3, **fields: Any) -> dict[str, Any]:
    """A delegation from the partner town in Lithuania, arriving in Akhmeta."""
    return {
        "kind": "incoming_official",
        "title_ka": "ბირშტონასის მუნიციპალიტეტის დელეგაციის ვიზიტი ახმეტაში",
        "title_en": "Visit of the Birštonas Municipality delegation to Akhmeta",
        "purpose_ka": "ტურიზმისა და ღვინის ტურიზმის სფეროში თანამშრომლობის გაღრმავება.",
        "purpose_en": "Deepening cooperation in tourism and wine tourism.",
        "country": "LT",
        "city": "ახმეტა",
        "places": ["ახმეტის მერია", "ალავერდის მონასტერი", "ზემო ალვანი"],
        "languages": ["ka", "lt", "en"],
        "arrival_on": arrival_on.isoformat(),
        "departure_on": (arrival_on + timedelta(days=days - 1)).isoformat(),
        "responsible": "ana.protocol",
        "press_editor": "nino.beridze",
        **fields,
    }


def study_trip(arrival_on: date, **fields: Any) -> dict[str, Any]:
    """An outgoing visit: the mayor's office to Poland."""
    return {
        "kind": "outgoing_official",
        "title_ka": "ახმეტის მერიის ოფიციალური ვიზიტი ნალენჩუვში",
        "title_en": "Official visit of Akhmeta City Hall to Nałęczów",
        "purpose_ka": "კურორტების მართვის გამოცდილების გაზიარება და თანამშრომლობის მემორანდუმი.",
        "purpose_en": "Sharing experience of managing spa resorts; a memorandum of cooperation.",
        "country": "PL",
        "city": "Nałęczów",
        "places": ["Nałęczów", "Lublin"],
        "languages": ["pl", "en"],
        "arrival_on": arrival_on.isoformat(),
        "departure_on": (arrival_on + timedelta(days=3)).isoformat(),
        "responsible": "ana.protocol",
        **fields,
    }


def tbilisi_time(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TBILISI).isoformat()


class VisitsDesk(ServiceDesk):
    """One person's HTTP session with the visits service."""

    service = "visits"

    async def visit(self, visit_id: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.ok("GET", f"/visits/{visit_id}")
        return found

    async def status(self, visit_id: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.ok("GET", f"/visits/{visit_id}/status")
        return found

    async def history(self, visit_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.ok("GET", f"/visits/{visit_id}/history")
        return found

    async def wait_for(
        self, visit_id: int, check: Any, what: str, timeout: float = 30
    ) -> dict[str, Any]:
        """Poll the workflow's status until `check(status)` holds."""
        status: dict[str, Any] = await self.poll(
            f"/visits/{visit_id}/status", check, what, timeout, name=f"visit {visit_id}"
        )
        return status

    async def wait_for_stage(
        self, visit_id: int, stage: str, *, tasks: int = 0, timeout: float = 30
    ) -> dict[str, Any]:
        return await self.wait_for(
            visit_id,
            lambda s: s["stage"] == stage and len(s["tasks"]) >= tasks,
            f"reached {stage} with {tasks} open tasks",
            timeout,
        )

    async def wait_for_status(
        self, visit_id: int, status: str, timeout: float = 30
    ) -> dict[str, Any]:
        visit: dict[str, Any] = await self.poll(
            f"/visits/{visit_id}",
            lambda found: found["status"] == status,
            f"became {status}",
            timeout,
            name=f"visit {visit_id}",
        )
        return visit


async def visit_events(stack: Stack, subject: str = "visits.>") -> list[dict[str, Any]]:
    """Every event of the visits stream so far, in order, as CloudEvents."""
    bus = await stack.reader()
    events: list[dict[str, Any]] = []
    info = await bus.js.stream_info("VISITS")
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg("VISITS", sequence)
        if message.data:
            events.append(json.loads(message.data))
    return events


async def wait_for_events(
    stack: Stack, kinds: set[str], timeout: float = 20
) -> list[dict[str, Any]]:
    """The visits stream once it carries every event type in `kinds` (e.g. "visit.ready")."""
    events: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                events = await visit_events(stack)
                if kinds <= {kind(event) for event in events}:
                    return events
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(
            f"missing events {kinds - {kind(e) for e in events}}; got {[kind(e) for e in events]}"
        ) from None


def kind(event: dict[str, Any]) -> str:
    """`visit.approved` from `ge.meria.visits.visit.approved.v1`."""
    return ".".join(event["type"].split(".")[3:5])


REPORT_TEXT = {
    "outcomes_ka": "ახმეტამ და ბირშტონასმა შეათანხმეს ღვინის ტურიზმის ერთობლივი მარშრუტი.",
    "outcomes_en": "Akhmeta and Birštonas agreed a joint wine tourism route.",
}
