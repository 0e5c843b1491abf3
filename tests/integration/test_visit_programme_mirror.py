"""Programme items of approved visits appear in the events service as linked events of the
internal calendar, kept in step with the visits service by its events on the bus: real
visits and events services, the visit's workflow on a Temporal dev server, nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, at
from tests.support.stack import Stack, running_stack
from tests.support.visits import VisitsDesk, delegation
from workflows.worker import build_worker

pytestmark = pytest.mark.database


@dataclass
class Office:
    stack: Stack
    protocol: VisitsDesk
    mayor: VisitsDesk
    calendar: EventsDesk

    async def linked(
        self, visit_id: int, check: Callable[[list[dict[str, Any]]], bool], what: str
    ) -> list[dict[str, Any]]:
        """The visit's linked events once `check` holds of them."""
        found: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(20):
                while True:
                    page = await self.calendar.ok("GET", "/events", params={"visit_id": visit_id})
                    found = page["items"]
                    if check(found):
                        return found
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"the linked events never {what}: {found}") from None


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["visits", "events"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        client = await stack.runtime("visits").wait_temporal()
        async with build_worker(
            client, stack.worker_settings(), stack.shared["temporal_task_queue"]
        ):
            yield Office(
                stack,
                protocol=VisitsDesk(stack, http, "ana.protocol", "protocol_officer"),
                mayor=VisitsDesk(stack, http, "mayor.akhmeta", "mayor"),
                calendar=EventsDesk(stack, http, "ana.protocol", "protocol_officer"),
            )


async def test_an_approved_visits_programme_is_mirrored_and_kept_in_step(office: Office) -> None:
    protocol = office.protocol
    arrival = datetime.now(TBILISI).date() + timedelta(days=30)
    visit = await protocol.ok("POST", "/visits", json=delegation(arrival))
    visit_id = visit["id"]
    items = [
        {
            "kind": "meeting",
            "starts_at": at(arrival, 11).isoformat(),
            "ends_at": at(arrival, 12, 30).isoformat(),
            "title_ka": "შეხვედრა ახმეტის მერთან",
            "title_en": "Meeting with the Mayor of Akhmeta",
            "place_ka": "ახმეტის მერია",
            "place_en": "Akhmeta City Hall",
            "participants": ["მერი", "დელეგაციის ხელმძღვანელი"],
        },
        {
            "kind": "cultural",
            "starts_at": at(arrival + timedelta(days=1), 16).isoformat(),
            "ends_at": at(arrival + timedelta(days=1), 18).isoformat(),
            "title_ka": "ღვინის დეგუსტაცია ალავერდში",
            "place_ka": "ალავერდის მონასტრის მარანი",
        },
    ]
    made = [await protocol.ok("POST", f"/visits/{visit_id}/programme", json=i) for i in items]

    # Not yet approved: nothing in the calendar.
    await asyncio.sleep(1.0)
    assert (await office.calendar.ok("GET", "/events", params={"visit_id": visit_id}))[
        "items"
    ] == []

    await protocol.wait_for_stage(visit_id, "requested", tasks=1)
    approved = await office.mayor.call(
        "POST", f"/visits/{visit_id}/decisions", json={"outcome": "approve"}
    )
    assert approved.status_code == 200, approved.text
    linked = await office.linked(visit_id, lambda found: len(found) == 2, "appeared")
    meeting = next(e for e in linked if e["title_ka"] == "შეხვედრა ახმეტის მერთან")
    assert meeting["kind"] == "visit_programme" and meeting["source"] == "visit"
    assert meeting["state"] == "scheduled" and meeting["public"] is False
    assert datetime.fromisoformat(meeting["starts_at"]) == at(arrival, 11)
    detail = await office.calendar.event(meeting["id"])
    assert detail["visit_id"] == visit_id and detail["workflow_id"] is None
    assert detail["description_ka"] == visit["title_ka"]
    assert detail["place_en"] == "Akhmeta City Hall"
    # Participants are the visits service's to keep.
    assert "დელეგაციის ხელმძღვანელი" not in str(detail)

    # The meeting moves an hour later; the tasting leaves the programme; a dinner joins it.
    await protocol.ok(
        "PATCH",
        f"/visits/{visit_id}/programme/{made[0]['id']}",
        json={"starts_at": at(arrival, 12).isoformat(), "ends_at": at(arrival, 13).isoformat()},
    )
    await protocol.ok("DELETE", f"/visits/{visit_id}/programme/{made[1]['id']}")
    await protocol.ok(
        "POST",
        f"/visits/{visit_id}/programme",
        json={
            "kind": "meal",
            "starts_at": at(arrival, 19).isoformat(),
            "ends_at": at(arrival, 21).isoformat(),
            "title_ka": "ოფიციალური ვახშამი",
            "place_ka": "სასტუმრო „ახმეტა“",
        },
    )

    def in_step(found: list[dict[str, Any]]) -> bool:
        by_title = {e["title_ka"]: e for e in found}
        return (
            by_title.get("ღვინის დეგუსტაცია ალავერდში", {}).get("state") == "cancelled"
            and "ოფიციალური ვახშამი" in by_title
            and datetime.fromisoformat(by_title["შეხვედრა ახმეტის მერთან"]["starts_at"])
            == at(arrival, 12)
        )

    linked = await office.linked(visit_id, in_step, "followed the programme")
    tasting = next(e for e in linked if e["title_ka"] == "ღვინის დეგუსტაცია ალავერდში")
    assert "ამოღებულია" in (await office.calendar.event(tasting["id"]))["status_reason"]

    # Postponed with the visit until further notice, then cancelled with it.
    postponed = await protocol.call(
        "POST", f"/visits/{visit_id}/postpone", json={"reason": "სტუმრებს ფრენა გადაუტანეს"}
    )
    assert postponed.status_code == 200, postponed.text
    await office.linked(
        visit_id,
        lambda found: sorted(e["state"] for e in found) == ["cancelled", "postponed", "postponed"],
        "were postponed",
    )
    cancelled = await protocol.call(
        "POST", f"/visits/{visit_id}/cancel", json={"reason": "დელეგაციამ ვიზიტი გადადო"}
    )
    assert cancelled.status_code == 200, cancelled.text
    linked = await office.linked(
        visit_id, lambda found: {e["state"] for e in found} == {"cancelled"}, "were cancelled"
    )
    assert len(linked) == 3
