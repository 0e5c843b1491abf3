"""The visits API as the department uses it before any workflow moves: requests and their
checklists, members seen only by protocol roles, the programme and its calendar, the
budget in lari, partners, agreements and projects, the sweep's reminders and purge, and
refusals that change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, running_stack
from tests.support.visits import (
    BIRSTONAS,
    NALAG,
    TBILISI,
    VisitsDesk,
    delegation,
    study_trip,
    tbilisi_time,
    wait_for_events,
)

pytestmark = pytest.mark.database


@dataclass
class Office:
    stack: Stack
    protocol: VisitsDesk
    head: VisitsDesk
    editor: VisitsDesk
    mayor: VisitsDesk
    admin: VisitsDesk


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["visits"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            member_retention_days=0,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        yield Office(
            stack,
            protocol=VisitsDesk(stack, http, "ana.protocol", "protocol_officer"),
            head=VisitsDesk(stack, http, "tamar.gelashvili", "head_of_department"),
            editor=VisitsDesk(stack, http, "nino.beridze", "editor"),
            mayor=VisitsDesk(stack, http, "mayor.akhmeta", "mayor"),
            admin=VisitsDesk(stack, http, "admin", "admin"),
        )


def in_days(days: int) -> date:
    return datetime.now(TBILISI).date() + timedelta(days=days)


async def test_a_request_gets_its_checklist_with_due_dates_counted_from_arrival(
    office: Office,
) -> None:
    partner = await office.protocol.ok("POST", "/partners", json=BIRSTONAS)
    arrival = in_days(60)
    visit = await office.protocol.ok(
        "POST", "/visits", json=delegation(arrival, partner_id=partner["id"])
    )

    assert visit["status"] == "requested" and visit["direction"] == "incoming"
    assert visit["title_ka"] == "ბირშტონასის მუნიციპალიტეტის დელეგაციის ვიზიტი ახმეტაში"
    assert visit["partner"]["name_ka"] == "ბირშტონასის მუნიციპალიტეტი"
    assert visit["workflow_id"] == f"visit-{visit['id']}"
    tasks = {task["key"]: task for task in visit["tasks"]}
    assert len(tasks) == 12
    # The invitation letter a month ahead, accommodation two weeks, transport a week: at
    # the end of the working day in Tbilisi (18:00, UTC+4).
    for key, days in (("invitation_letter", 30), ("accommodation", 14), ("transport", 7)):
        due = datetime.fromisoformat(tasks[key]["due_at"])
        assert due.astimezone(TBILISI) == datetime.combine(
            arrival - timedelta(days=days), datetime.min.time(), TBILISI
        ).replace(hour=18)
    assert tasks["accommodation"]["owner"] == "ana.protocol"
    assert tasks["budget_approval"]["owner_role"] == "head_of_department"
    assert tasks["thank_you_letters"]["anchor"] == "departure"
    assert not tasks["gifts"]["required"] and tasks["security"]["required"]
    assert tasks["accommodation"]["task_id"] == f"visit-{visit['id']}-task-accommodation"

    # The hour of landing, when known, is kept with the date.
    timed = await office.protocol.ok(
        "POST", "/visits", json=delegation(arrival, arrives_at=tbilisi_time(arrival, 14, 20))
    )
    assert datetime.fromisoformat(timed["arrives_at"]).astimezone(TBILISI).hour == 14
    assert timed["departs_at"] is None

    # An outgoing visit starts with the travel checklist.
    trip = await office.protocol.ok("POST", "/visits", json=study_trip(in_days(45)))
    keys = {task["key"] for task in trip["tasks"]}
    assert {"visas", "tickets", "per_diem", "briefing_materials"} <= keys
    assert "security" not in keys

    # The list filters by direction and finds Georgian words.
    listed = await office.editor.ok("GET", "/visits", params={"direction": "outgoing"})
    assert [item["id"] for item in listed["items"]] == [trip["id"]]
    found = await office.editor.ok("GET", "/visits", params={"text": "ბირშტონასის"})
    assert found["total"] == 2 and found["items"][0]["open_task_count"] == 12

    # The request went out on the bus, without anyone's personal data.
    events = await wait_for_events(office.stack, {"visit.requested"})
    requested = [e for e in events if e["type"].endswith("visit.requested.v1")]
    assert requested[0]["data"]["title"]["ka"] == visit["title_ka"]
    assert requested[0]["data"]["partner_id"] == partner["id"]


async def test_bad_requests_are_refused_and_change_nothing(office: Office) -> None:
    protocol = office.protocol
    arrival = in_days(30)
    refusals = [
        delegation(arrival, departure_on=(arrival - timedelta(days=1)).isoformat()),
        delegation(arrival, country="XX"),
        delegation(arrival, languages=["georgian"]),
        delegation(in_days(-3)),
        delegation(arrival, partner_id=999),
        # Python's last day: its tasks' due dates overflowed (a 500).
        delegation(date(9999, 12, 31), days=0),
        delegation(arrival, kind="holiday"),
        {**delegation(arrival), "title_ka": ""},
        # The landing hour falls on the arrival day, Tbilisi time.
        delegation(arrival, arrives_at=tbilisi_time(arrival + timedelta(days=1), 14)),
        delegation(
            arrival,
            days=1,
            arrives_at=tbilisi_time(arrival, 14),
            departs_at=tbilisi_time(arrival, 9),
        ),
    ]
    for body in refusals:
        response = await protocol.call("POST", "/visits", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    assert (await protocol.ok("GET", "/visits"))["total"] == 0

    # Who may not request a visit cannot.
    response = await office.editor.call("POST", "/visits", json=delegation(arrival))
    assert response.status_code == 403
    assert (await protocol.ok("GET", "/visits"))["total"] == 0


async def test_members_are_seen_by_protocol_roles_only_and_purged_after_retention(
    office: Office,
) -> None:
    visit = await office.protocol.ok("POST", "/visits", json=delegation(in_days(20)))
    path = f"/visits/{visit['id']}/members"
    for member in (
        {
            "full_name": "Rūta Jonaitienė",
            "position": "მერის მოადგილე",
            "organisation": "Birštono savivaldybė",
            "country": "LT",
            "delegation_role": "head",
            "dietary_needs": "ვეგეტარიანული კვება",
            "interpretation_language": "lt",
        },
        {"full_name": "Tomas Petrauskas", "delegation_role": "member", "country": "LT"},
    ):
        await office.protocol.ok("POST", path, json=member)

    # The protocol officer and the head of department see who is coming.
    for desk in (office.protocol, office.head):
        seen = await desk.visit(visit["id"])
        assert seen["members_visible"] is True
        assert [m["full_name"] for m in seen["members"]] == ["Rūta Jonaitienė", "Tomas Petrauskas"]
        assert seen["members"][0]["dietary_needs"] == "ვეგეტარიანული კვება"

    # Everyone else sees how many, never who.
    for desk in (office.editor, office.mayor):
        seen = await desk.visit(visit["id"])
        assert seen["members_visible"] is False and seen["members"] is None
        assert seen["member_count"] == 2
        assert "Rūta" not in (await desk.call("GET", f"/visits/{visit['id']}")).text
        assert (await desk.call("GET", path)).status_code == 403
        assert (await desk.call("POST", path, json={"full_name": "X"})).status_code == 403

    # Once the visit is finished and the retention period (here none) has passed, the
    # sweep deletes the members; the count stays.
    await _finish(office, visit["id"])
    swept = await office.admin.ok("POST", "/maintenance/sweep")
    assert swept["visits_purged"] == [visit["id"]]
    after = await office.protocol.visit(visit["id"])
    assert after["members"] == [] and after["member_count"] == 2
    assert after["members_purged_at"] is not None
    assert await office.protocol.ok("GET", path) == []
    # The history says that members were purged, and never who they were.
    history = await office.protocol.history(visit["id"])
    assert history[-1]["action"] == "members_purged"
    assert "Rūta" not in str(history)
    assert (await office.admin.ok("POST", "/maintenance/sweep"))["visits_purged"] == []


async def _finish(office: Office, visit_id: int) -> None:
    """Mark the visit closed as its workflow would (the workflow is tested elsewhere)."""
    from services.visits.models import Visit

    database = office.stack.runtime("visits").db()
    async with database.transaction() as session:
        visit = await session.get(Visit, visit_id)
        assert visit is not None
        visit.status = "closed"
        visit.closed_at = datetime.now(UTC) - timedelta(seconds=1)


async def test_the_programme_is_a_calendar_in_tbilisi_time(office: Office) -> None:
    arrival = in_days(15)
    visit = await office.protocol.ok("POST", "/visits", json=delegation(arrival))
    path = f"/visits/{visit['id']}/programme"
    meeting = await office.protocol.ok(
        "POST",
        path,
        json={
            "kind": "meeting",
            "starts_at": tbilisi_time(arrival, 11),
            "ends_at": tbilisi_time(arrival, 12, 30),
            "title_ka": "შეხვედრა ახმეტის მერთან",
            "title_en": "Meeting with the Mayor of Akhmeta",
            "place_ka": "ახმეტის მერია, სხდომათა დარბაზი",
            "place_en": "Akhmeta City Hall, meeting room",
            "participants": ["ახმეტის მერი", "დელეგაციის ხელმძღვანელი"],
        },
    )
    await office.protocol.ok(
        "POST",
        path,
        json={
            "kind": "cultural",
            "starts_at": tbilisi_time(arrival + timedelta(days=1), 10),
            "ends_at": tbilisi_time(arrival + timedelta(days=1), 14),
            "title_ka": "ალავერდის მონასტრის დათვალიერება",
            "place_ka": "ალავერდი",
        },
    )
    # An item outside the visit's dates, or ending before it starts, is refused.
    outside = await office.protocol.call(
        "POST",
        path,
        json={
            "kind": "meal",
            "starts_at": tbilisi_time(arrival - timedelta(days=1), 20),
            "ends_at": tbilisi_time(arrival - timedelta(days=1), 22),
            "title_ka": "ვახშამი",
            "place_ka": "ახმეტა",
        },
    )
    assert outside.status_code == 422, outside.text
    backwards = await office.protocol.call(
        "PATCH",
        f"{path}/{meeting['id']}",
        json={"ends_at": tbilisi_time(arrival, 10)},
    )
    assert backwards.status_code == 422
    moved = await office.protocol.ok(
        "PATCH", f"{path}/{meeting['id']}", json={"starts_at": tbilisi_time(arrival, 10, 30)}
    )
    assert moved["sequence"] == 1

    response = await office.editor.call("GET", f"/visits/{visit['id']}/programme.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert "Asia/Tbilisi" in [tz["TZID"] for tz in calendar.walk("VTIMEZONE")]
    events = calendar.walk("VEVENT")
    assert [str(event["SUMMARY"]) for event in events] == [
        "შეხვედრა ახმეტის მერთან",
        "ალავერდის მონასტრის დათვალიერება",
    ]
    first = events[0]
    assert first["DTSTART"].params["TZID"] == "Asia/Tbilisi"
    assert first["DTSTART"].dt.hour == 10 and first["DTSTART"].dt.minute == 30
    assert int(first["SEQUENCE"]) == 1
    assert "ახმეტის მერი" in str(first["DESCRIPTION"])
    english = Calendar.from_ical(
        (await office.editor.call("GET", f"/visits/{visit['id']}/programme.ics?lang=en")).content
    )
    assert str(english.walk("VEVENT")[0]["SUMMARY"]) == "Meeting with the Mayor of Akhmeta"
    # The third programme version is on the bus, without the participants.
    events_on_bus = await wait_for_events(office.stack, {"visit.programme_changed"})
    changes = [e for e in events_on_bus if e["type"].endswith("programme_changed.v1")]
    assert len(changes) == 3
    assert len(changes[-1]["data"]["programme"]) == 2
    assert "participants" not in changes[-1]["data"]["programme"][0]


async def test_the_budget_adds_up_in_lari(office: Office) -> None:
    visit = await office.protocol.ok("POST", "/visits", json=delegation(in_days(25)))
    path = f"/visits/{visit['id']}/budget"
    hotel = await office.protocol.ok(
        "POST",
        path,
        json={
            "category": "accommodation",
            "description_ka": "სასტუმრო ტელავში, 6 ნომერი, 2 ღამე",
            "planned_gel": "1250.50",
        },
    )
    await office.protocol.ok(
        "POST",
        path,
        json={"category": "gifts", "description_ka": "ახმეტური ღვინო", "planned_gel": "300.25"},
    )
    await office.protocol.ok("PATCH", f"{path}/{hotel['id']}", json={"actual_gel": "1199.99"})
    budget = (await office.editor.visit(visit["id"]))["budget"]
    assert Decimal(budget["planned_total_gel"]) == Decimal("1550.75")
    assert Decimal(budget["actual_total_gel"]) == Decimal("1199.99")
    assert budget["currency"] == "GEL"
    for bad in ({"planned_gel": "-5"}, {"planned_gel": "10.005"}, {"planned_gel": "abc"}):
        response = await office.protocol.call(
            "POST", path, json={"category": "other", "description_ka": "სხვა", **bad}
        )
        assert response.status_code == 422, bad
    assert len((await office.editor.visit(visit["id"]))["budget"]["lines"]) == 2


async def test_tasks_are_edited_before_approval(office: Office) -> None:
    arrival = in_days(40)
    visit = await office.protocol.ok("POST", "/visits", json=delegation(arrival))
    path = f"/visits/{visit['id']}/tasks"
    due = tbilisi_time(arrival - timedelta(days=20), 12)
    changed = await office.protocol.ok(
        "PATCH", f"{path}/accommodation", json={"due_at": due, "owner": "giorgi.protocol"}
    )
    assert changed["due_overridden"] is True and changed["owner"] == "giorgi.protocol"
    assert datetime.fromisoformat(changed["due_at"]) == datetime.fromisoformat(due)
    added = await office.protocol.ok(
        "POST",
        path,
        json={
            "key": "wine_tasting",
            "title_ka": "ღვინის დეგუსტაცია მარანში",
            "offset_days": -2,
            "required": False,
        },
    )
    assert added["title_ka"] == "ღვინის დეგუსტაცია მარანში"
    again = await office.protocol.call("POST", path, json={"key": "wine_tasting", "title_ka": "x"})
    assert again.status_code == 409
    await office.protocol.ok("DELETE", f"{path}/gifts")
    keys = [task["key"] for task in (await office.protocol.visit(visit["id"]))["tasks"]]
    assert "wine_tasting" in keys and "gifts" not in keys
    # Completing a task of a visit the mayor has not approved yet is refused.
    early = await office.protocol.call("POST", f"{path}/accommodation/complete", json={})
    assert early.status_code == 409


async def test_partners_agreements_and_projects_with_their_reminders(office: Office) -> None:
    protocol = office.protocol
    nalag = await protocol.ok("POST", "/partners", json=NALAG)
    birstonas = await protocol.ok("POST", "/partners", json=BIRSTONAS)
    listed = await office.editor.ok("GET", "/partners", params={"country": "GE"})
    assert [p["name_ka"] for p in listed] == [NALAG["name_ka"]]
    bad = await protocol.call("POST", "/partners", json={**NALAG, "contact_email": "nope"})
    assert bad.status_code == 422

    today = datetime.now(TBILISI).date()
    memorandum = await protocol.ok(
        "POST",
        "/agreements",
        json={
            "partner_id": birstonas["id"],
            "kind": "memorandum",
            "title_ka": "ურთიერთთანამშრომლობის მემორანდუმი ახმეტასა და ბირშტონასს შორის",
            "title_en": "Memorandum of cooperation between Akhmeta and Birštonas",
            "parties": ["ახმეტის მუნიციპალიტეტი", "Birštono savivaldybė"],
            "signed_on": (today - timedelta(days=3 * 365)).isoformat(),
            "expires_on": (today + timedelta(days=20)).isoformat(),
            "renewal_notice_days": 60,
        },
    )
    assert memorandum["renewal_due_on"] == (today - timedelta(days=40)).isoformat()
    later = await protocol.ok(
        "POST",
        "/agreements",
        json={
            "partner_id": nalag["id"],
            "kind": "cooperation",
            "title_ka": "თანამშრომლობის ხელშეკრულება NALAG-თან",
            "parties": ["ახმეტის მუნიციპალიტეტი", "NALAG"],
            "signed_on": today.isoformat(),
            "expires_on": (today + timedelta(days=700)).isoformat(),
        },
    )
    expired_too_early = await protocol.call(
        "POST",
        "/agreements",
        json={
            "partner_id": nalag["id"],
            "kind": "memorandum",
            "title_ka": "x",
            "parties": ["ა", "ბ"],
            "signed_on": today.isoformat(),
            "expires_on": (today - timedelta(days=1)).isoformat(),
        },
    )
    assert expired_too_early.status_code == 422

    project = await protocol.ok(
        "POST",
        "/projects",
        json={
            "title_ka": "ალაზნის ველის ღვინის გზის ტურისტული ინფრასტრუქტურა",
            "title_en": "Tourist infrastructure of the Alazani Valley wine route",
            "donor": "EU4Business / European Union",
            "call": "Mayors for Economic Growth, 2027 call",
            "amount": "180000.00",
            "currency": "EUR",
            "stage": "concept_note",
            "responsible": "ana.protocol",
            "partner_ids": [nalag["id"]],
            "deadlines": [
                {
                    "kind": "concept_note",
                    "title_ka": "საკონცეფციო ჩანაწერის წარდგენა",
                    "due_on": (today + timedelta(days=5)).isoformat(),
                },
                {
                    "kind": "final_report",
                    "title_ka": "საბოლოო ანგარიში",
                    "due_on": (today + timedelta(days=400)).isoformat(),
                },
            ],
        },
    )
    assert project["next_stages"] == ["application", "rejected", "withdrawn"]
    refused = await protocol.call(
        "POST", f"/projects/{project['id']}/stage", json={"stage": "implementation"}
    )
    assert refused.status_code == 409 and refused.json()["allowed"] == project["next_stages"]

    # The sweep announces the renewal due and the deadline in five days, once each.
    swept = await office.admin.ok("POST", "/maintenance/sweep")
    assert swept["agreements_reminded"] == [memorandum["id"]]
    assert swept["deadlines_reminded"] == [project["deadlines"][0]["id"]]
    again = await office.admin.ok("POST", "/maintenance/sweep")
    assert again["agreements_reminded"] == [] and again["deadlines_reminded"] == []
    assert later["id"] not in swept["agreements_reminded"]
    events = await wait_for_events(office.stack, {"agreement.renewal_due", "project.deadline_due"})
    renewal = next(e for e in events if e["type"].endswith("renewal_due.v1"))["data"]
    assert renewal["title"]["ka"] == memorandum["title_ka"]
    assert renewal["partner_name"]["ka"] == "ბირშტონასის მუნიციპალიტეტი"
    assert renewal["days_left"] == 20
    deadline = next(e for e in events if e["type"].endswith("deadline_due.v1"))["data"]
    assert deadline["deadline_title"]["ka"] == "საკონცეფციო ჩანაწერის წარდგენა"
    assert deadline["days_left"] == 5 and deadline["responsible"] == "ana.protocol"

    # A renewed agreement (a new expiry) is reminded again when its time comes.
    await protocol.ok(
        "PATCH",
        f"/agreements/{memorandum['id']}",
        json={"expires_on": (today + timedelta(days=10)).isoformat()},
    )
    assert (await office.admin.ok("POST", "/maintenance/sweep"))["agreements_reminded"] == [
        memorandum["id"]
    ]
    # A met deadline is never reminded; the partner's page gathers everything.
    await protocol.ok(
        "POST", f"/projects/{project['id']}/deadlines/{project['deadlines'][0]['id']}/met"
    )
    history = await office.editor.ok("GET", f"/partners/{nalag['id']}")
    assert [p["id"] for p in history["projects"]] == [project["id"]]
    assert [a["id"] for a in history["agreements"]] == [later["id"]]
    moved = await protocol.ok(
        "POST", f"/projects/{project['id']}/stage", json={"stage": "application"}
    )
    assert moved["stage"] == "application"


async def test_a_null_for_what_partners_agreements_and_projects_always_have_is_refused(
    office: Office,
) -> None:
    protocol = office.protocol
    nalag = await protocol.ok("POST", "/partners", json=NALAG)
    today = datetime.now(TBILISI).date()
    agreement = await protocol.ok(
        "POST",
        "/agreements",
        json={
            "partner_id": nalag["id"],
            "kind": "cooperation",
            "title_ka": "თანამშრომლობის ხელშეკრულება NALAG-თან",
            "parties": ["ახმეტის მუნიციპალიტეტი", "NALAG"],
            "signed_on": today.isoformat(),
        },
    )
    project = await protocol.ok(
        "POST", "/projects", json={"title_ka": "თუშეთის ბილიკების მონიშვნა", "donor": "USAID"}
    )

    # Each used to pass validation and fail in the database (a 500); now a 422 names it.
    for path, body in (
        (f"/partners/{nalag['id']}", {"name_ka": None}),
        (f"/partners/{nalag['id']}", {"kind": None}),
        (f"/agreements/{agreement['id']}", {"kind": None}),
        (f"/agreements/{agreement['id']}", {"parties": None}),
        (f"/projects/{project['id']}", {"title_ka": None}),
        (f"/projects/{project['id']}", {"currency": None}),
    ):
        refused = await protocol.call("PATCH", path, json=body)
        assert refused.status_code == 422, f"{path} {body}: {refused.text}"
        assert refused.json()["errors"][0]["field"] == next(iter(body))
    kept = await protocol.ok("GET", f"/partners/{nalag['id']}")
    assert kept["partner"]["name_ka"] == NALAG["name_ka"]
    assert (await protocol.ok("GET", f"/projects/{project['id']}"))["currency"] == "EUR"

    # What may be empty is emptied by a null, as before.
    cleared = await protocol.ok("PATCH", f"/partners/{nalag['id']}", json={"name_en": None})
    assert cleared["name_en"] is None


async def test_a_task_notice_names_a_task_of_its_own_visit(office: Office) -> None:
    visit = await office.protocol.ok("POST", "/visits", json=delegation(in_days(40)))
    worker = office.stack.service_headers()
    notice = {"kind": "reminder", "step": "logistics", "awaiting": ["protocol_officer"],
              "due_at": datetime.now(TBILISI).isoformat()}  # fmt: skip
    path = f"{office.stack.urls['visits']}/visits/{visit['id']}/task-notices"

    # Another visit's task, or no task id at all, is refused (it was an IndexError, a 500).
    for task_id in (f"visit-{visit['id'] + 1}-task-transport", "not-a-task", ""):
        refused = await office.protocol.http.post(
            path, headers=worker, json={**notice, "task_id": task_id}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "task_id"
    # A task the visit does not have is not found.
    missing = await office.protocol.http.post(
        path, headers=worker, json={**notice, "task_id": f"visit-{visit['id']}-task-balloon"}
    )
    assert missing.status_code == 404, missing.text
    # One it has is noted.
    noted = await office.protocol.http.post(
        path, headers=worker, json={**notice, "task_id": f"visit-{visit['id']}-task-transport"}
    )
    assert noted.status_code == 204, noted.text


async def test_an_idempotency_key_seen_before_records_nothing_twice(office: Office) -> None:
    first = await office.protocol.ok("POST", "/visits", json=delegation(in_days(40)))
    second = await office.protocol.ok("POST", "/visits", json=delegation(in_days(50)))
    worker = {**office.stack.service_headers(), "Idempotency-Key": "pr-1"}
    base = office.stack.urls["visits"]

    # The key recorded the first visit's press release; sent with another visit it is
    # refused and records nothing (its second history entry was a duplicate key: a 500).
    recorded = await office.protocol.http.post(
        f"{base}/visits/{first['id']}/press-release", headers=worker, json={"document_id": 7}
    )
    assert recorded.status_code == 204, recorded.text
    again = await office.protocol.http.post(
        f"{base}/visits/{second['id']}/press-release", headers=worker, json={"document_id": 7}
    )
    assert again.status_code == 422, again.text
    assert (await office.protocol.visit(first["id"]))["press_release_document_id"] == 7
    assert (await office.protocol.visit(second["id"]))["press_release_document_id"] is None
