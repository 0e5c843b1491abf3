"""The delegation visit workflow with its real activities against the running visits and
publishing services, on Temporal's time-skipping server: the weeks between a request and
the report pass in an instant, and everything else is real — HTTP, SQLite or PostgreSQL,
nats-server, the Updates sent by the services with the verified user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from meria.cases.tasks import TaskState
from meria.testing.servers import NatsServer
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, running_stack
from tests.support.visits import (
    BIRSTONAS,
    TBILISI,
    VisitsDesk,
    delegation,
    kind,
    study_trip,
    wait_for_events,
)
from workflows.human_task import HumanTaskWorkflow
from workflows.worker import build_worker

pytestmark = pytest.mark.database

REPORT = {
    "outcomes_ka": "ახმეტამ და ბირშტონასმა შეათანხმეს ღვინის ტურიზმის ერთობლივი მარშრუტი.\n"
    "დაიგეგმა ახალგაზრდული გაცვლითი პროგრამა 2027 წლის ზაფხულში.",
    "outcomes_en": "Akhmeta and Birštonas agreed a joint wine tourism route.",
    "agreements_reached_ka": "ხელი მოეწერა განზრახვის ოქმს ტურიზმის სფეროში.",
    "follow_up": [
        {
            "action_ka": "ერთობლივი ტურისტული ბროშურის მომზადება",
            "owner": "ana.protocol",
            "due_on": "2027-03-01",
        }
    ],
}


@dataclass
class Office:
    env: WorkflowEnvironment
    stack: Stack
    protocol: VisitsDesk
    head: VisitsDesk
    mayor: VisitsDesk
    media: VisitsDesk
    editor: VisitsDesk
    admin: VisitsDesk

    async def today(self) -> date:
        return (await self.env.get_current_time()).astimezone(TBILISI).date()

    async def sleep_until(self, moment: datetime) -> None:
        """Let the workflows' clock run to `moment`, firing every timer on the way."""
        now = await self.env.get_current_time()
        if moment > now:
            await self.env.sleep(moment - now)
        # What the timers set off (activities over HTTP) settles before the test looks.
        await asyncio.sleep(0.5)

    async def task_state(self, task_id: str) -> TaskState:
        state: TaskState = await self.env.client.get_workflow_handle(task_id).query(
            HumanTaskWorkflow.state
        )
        return state


def office_fixture(**settings: Any) -> Any:
    @pytest.fixture
    async def office(
        tmp_path: Path,
        nats_server: NatsServer,
        time_skipping_server: WorkflowEnvironment,
        new_database: DatabaseFactory,
    ) -> AsyncIterator[Office]:
        env = time_skipping_server
        async with (
            running_stack(
                ["publishing", "visits"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                new_database=new_database,
                temporal_namespace=env.client.namespace,
                member_retention_days=0,
                readiness_gate_days=3,
                report_due_days=7,
                **settings,
                temporal_address=env.client.service_client.config.target_host,
            ) as stack,
            httpx.AsyncClient(timeout=30) as http,
        ):
            worker = build_worker(
                env.client, stack.worker_settings(), stack.shared["temporal_task_queue"]
            )
            async with worker:
                yield Office(
                    env,
                    stack,
                    protocol=VisitsDesk(stack, http, "ana.protocol", "protocol_officer"),
                    head=VisitsDesk(stack, http, "tamar.gelashvili", "head_of_department"),
                    mayor=VisitsDesk(stack, http, "mayor.akhmeta", "mayor"),
                    media=VisitsDesk(stack, http, "giorgi.media", "media_officer"),
                    editor=VisitsDesk(stack, http, "nino.beridze", "editor"),
                    admin=VisitsDesk(stack, http, "admin", "admin"),
                )

    return office


office = office_fixture()


async def request_and_approve(office: Office, body: dict[str, Any]) -> dict[str, Any]:
    visit = await office.protocol.ok("POST", "/visits", json=body)
    await office.protocol.wait_for_stage(visit["id"], "requested", tasks=1)
    decided = await office.mayor.call(
        "POST", f"/visits/{visit['id']}/decisions", json={"outcome": "approve"}
    )
    assert decided.status_code == 200, decided.text
    open_tasks = len([t for t in visit["tasks"] if t["status"] == "open"])
    await office.protocol.wait_for_stage(visit["id"], "in_preparation", tasks=open_tasks)
    return visit


async def close_tasks(
    office: Office, visit_id: int, *, leave: tuple[str, ...] = (), waive: tuple[str, ...] = ()
) -> None:
    """Each task closed by whom it waits on: its owner, or a holder of its role."""
    desks = {
        "protocol_officer": office.protocol,
        "head_of_department": office.head,
        "media_officer": office.media,
    }
    visit = await office.protocol.visit(visit_id)
    for task in visit["tasks"]:
        if task["status"] != "open" or task["key"] in leave or task["key"] == "report":
            continue
        desk = desks[task["owner_role"]]
        if task["key"] in waive:
            path, body = "waive", {"reason": "ამ ვიზიტისთვის საჭირო არ არის"}
        else:
            path, body = "complete", {"notes": "შესრულებულია"}
        response = await desk.call(
            "POST", f"/visits/{visit_id}/tasks/{task['key']}/{path}", json=body
        )
        assert response.status_code == 200, f"{task['key']}: {response.text}"


async def test_an_incoming_delegation_from_request_to_closed_with_its_press_release(
    office: Office,
) -> None:
    protocol, mayor = office.protocol, office.mayor
    partner = await protocol.ok("POST", "/partners", json=BIRSTONAS)
    arrival = await office.today() + timedelta(days=40)
    visit = await protocol.ok("POST", "/visits", json=delegation(arrival, partner_id=partner["id"]))
    visit_id = visit["id"]
    await protocol.ok(
        "POST",
        f"/visits/{visit_id}/members",
        json={"full_name": "Rūta Jonaitienė", "delegation_role": "head", "country": "LT"},
    )

    # The request waits for the mayor, and only for the mayor.
    status = await protocol.wait_for_stage(visit_id, "requested", tasks=1)
    assert status["awaiting"] == ["mayor"]
    assert status["tasks"][0]["task_id"] == f"visit-{visit_id}-task-approval"
    refused = await office.head.call(
        "POST", f"/visits/{visit_id}/decisions", json={"outcome": "approve"}
    )
    assert refused.status_code == 409 and "mayor" in refused.json()["detail"]
    no_reason = await mayor.call(
        "POST", f"/visits/{visit_id}/decisions", json={"outcome": "decline"}
    )
    assert no_reason.status_code == 422
    approved = await mayor.call(
        "POST",
        f"/visits/{visit_id}/decisions",
        json={"outcome": "approve", "comment": "ვეთანხმები, კარგი შესაძლებლობაა"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "mayor.akhmeta"

    # Twelve logistics tasks, each a workflow of its own in the inbox.
    status = await protocol.wait_for_stage(visit_id, "in_preparation", tasks=12)
    accommodation = next(t for t in status["tasks"] if t["key"] == "accommodation")
    assert accommodation["task_id"] == f"visit-{visit_id}-task-accommodation"
    assert accommodation["assignee"] == "ana.protocol"
    state = await office.task_state(accommodation["task_id"])
    assert state.case_ref == f"visit:{visit_id}"
    assert state.subject.endswith("განთავსება სასტუმროში")
    assert (await protocol.visit(visit_id))["status"] == "in_preparation"

    # Someone else's task is not mine to complete; a waiver needs its reason.
    not_mine = await office.media.call(
        "POST", f"/visits/{visit_id}/tasks/accommodation/complete", json={}
    )
    assert not_mine.status_code == 409
    no_reason = await protocol.call("POST", f"/visits/{visit_id}/tasks/gifts/waive", json={})
    assert no_reason.status_code == 422

    await close_tasks(
        office, visit_id, waive=("gifts", "welcome_pack"), leave=("thank_you_letters",)
    )
    ready = await protocol.wait_for_status(visit_id, "ready")
    tasks = {task["key"]: task for task in ready["tasks"]}
    assert tasks["gifts"]["status"] == "waived"
    assert tasks["gifts"]["close_reason"] == "ამ ვიზიტისთვის საჭირო არ არის"
    assert tasks["accommodation"]["status"] == "done"
    assert tasks["accommodation"]["closed_by"] == "ana.protocol"
    assert tasks["thank_you_letters"]["status"] == "open"

    # The weeks pass: the delegation arrives, leaves, and the report falls due.
    await office.sleep_until(
        datetime.combine(arrival + timedelta(days=3), datetime.min.time(), TBILISI)
    )
    status = await protocol.wait_for_stage(visit_id, "report_due", tasks=2)
    report_task = next(t for t in status["tasks"] if t["key"] == "report")
    assert report_task["assignee"] == "ana.protocol"
    early = await protocol.call("POST", f"/visits/{visit_id}/tasks/report/complete", json={})
    assert early.status_code == 409 and "report" in early.json()["detail"]
    await protocol.ok("PUT", f"/visits/{visit_id}/report", json=REPORT)
    done = await protocol.call("POST", f"/visits/{visit_id}/tasks/report/complete", json={})
    assert done.status_code == 200, done.text

    # Closed, with a press release about the results submitted in publishing.
    closed = await protocol.wait_for_status(visit_id, "closed")
    document_id = closed["press_release_document_id"]
    assert document_id is not None
    assert {t["key"]: t["status"] for t in closed["tasks"]}["thank_you_letters"] == "cancelled"
    async with httpx.AsyncClient(timeout=20) as http:
        response = await http.get(
            f"{office.stack.urls['publishing']}/documents/{document_id}",
            headers=office.stack.headers("editor", user="nino.beridze"),
        )
    document = response.json()
    assert document["document_type"] == "press_release"
    assert document["created_by"] == "nino.beridze"
    assert document["state"] in ("submitted", "in_review")
    assert document["title_ka"].startswith(visit["title_ka"])
    assert "ბირშტონასის მუნიციპალიტეტი" in document["title_ka"]
    assert "ღვინის ტურიზმის ერთობლივი მარშრუტი" in document["current"]["body_ka"]
    assert "Rūta" not in str(document)

    # The story on the bus, in order.
    events = await wait_for_events(
        office.stack, {"visit.requested", "visit.approved", "visit.ready", "visit.completed"}
    )
    story = [kind(e) for e in events if kind(e).startswith("visit.")]
    assert story == ["visit.requested", "visit.approved", "visit.ready", "visit.completed"]
    completed = (
        events[-1]["data"]
        if kind(events[-1]) == "visit.completed"
        else next(e["data"] for e in events if kind(e) == "visit.completed")
    )
    assert completed["press_release_document_id"] == document_id
    assert completed["member_count"] == 1

    # The history keeps who decided what, and why.
    history = [(e["action"], e["actor"]) for e in await protocol.history(visit_id)]
    assert ("approve", "mayor.akhmeta") in history
    assert ("task_waived", "ana.protocol") in history
    assert ("close", "meria-worker") in history

    # Retention over (none in this test), the delegation's names are purged.
    swept = await office.admin.ok("POST", "/maintenance/sweep")
    assert swept["visits_purged"] == [visit_id]
    assert (await protocol.visit(visit_id))["members"] == []


async def test_an_outgoing_visit_runs_its_travel_tasks(office: Office) -> None:
    arrival = await office.today() + timedelta(days=35)
    visit = await request_and_approve(office, study_trip(arrival))
    status = await office.protocol.status(visit["id"])
    keys = {task["key"] for task in status["tasks"]}
    assert {"visas", "tickets", "per_diem", "briefing_materials", "travel_insurance"} <= keys
    per_diem = next(t for t in status["tasks"] if t["key"] == "per_diem")
    assert per_diem["awaiting"] == ["head_of_department"] and per_diem["assignee"] is None

    # A head of department settles the travel advance; the visas come through.
    await close_tasks(office, visit["id"], waive=("travel_insurance",))
    ready = await office.protocol.wait_for_status(visit["id"], "ready")
    tasks = {task["key"]: task for task in ready["tasks"]}
    assert tasks["per_diem"]["closed_by"] == "tamar.gelashvili"
    assert tasks["visas"]["status"] == "done"
    assert tasks["travel_insurance"]["status"] == "waived"


def at_tbilisi(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TBILISI)


async def test_a_late_task_is_reminded_then_escalated_to_the_head_of_department(
    office: Office,
) -> None:
    arrival = await office.today() + timedelta(days=40)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    task_id = f"visit-{visit_id}-task-accommodation"
    due = at_tbilisi(arrival - timedelta(days=14), 18)

    # Half its time gone: the owner is reminded; nobody else is awaited yet.
    now = await office.env.get_current_time()
    await office.sleep_until(now + (due - now) / 2 + timedelta(hours=1))
    state = await office.task_state(task_id)
    assert state.reminded and not state.escalated
    assert state.awaiting == ["protocol_officer"]

    # Past its due time: escalated to the head of department, who may now close it.
    await office.sleep_until(due + timedelta(hours=1))
    state = await office.task_state(task_id)
    assert state.escalated and state.awaiting == ["protocol_officer", "head_of_department"]
    status = await office.protocol.status(visit_id)
    task = next(t for t in status["tasks"] if t["key"] == "accommodation")
    assert task["escalated"] and "head_of_department" in task["awaiting"]
    seen = {t["key"]: t for t in (await office.protocol.visit(visit_id))["tasks"]}
    assert seen["accommodation"]["overdue"] is True
    assert seen["accommodation"]["reminded_at"] and seen["accommodation"]["overdue_at"]
    assert seen["interpretation"]["overdue"] is False

    events = await wait_for_events(office.stack, {"task.reminder_due", "task.overdue"})
    overdue = [e["data"] for e in events if kind(e) == "task.overdue"]
    late = next(e for e in overdue if e["task_key"] == "accommodation")
    assert late["task_title"]["ka"] == "განთავსება სასტუმროში"
    assert late["escalated_to"] == ["head_of_department"]
    assert late["owner"] == "ana.protocol"
    assert {e["task_key"] for e in overdue} == {
        "accommodation",
        "invitation_letter",
        "budget_approval",
    }

    media = await office.media.call(
        "POST", f"/visits/{visit_id}/tasks/accommodation/complete", json={}
    )
    assert media.status_code == 409
    head = await office.head.call(
        "POST",
        f"/visits/{visit_id}/tasks/accommodation/complete",
        json={"notes": "სასტუმრო „ალაზანი“ დაჯავშნილია"},
    )
    assert head.status_code == 200, head.text
    await office.protocol.wait_for(
        visit_id,
        lambda s: all(t["key"] != "accommodation" for t in s["tasks"]),
        "closed the accommodation task",
    )
    history = await office.protocol.history(visit_id)
    assert ("task_overdue", "accommodation") in [(e["action"], e["task_key"]) for e in history]


async def test_the_readiness_gate_tells_the_head_what_is_open_and_waits(office: Office) -> None:
    arrival = await office.today() + timedelta(days=30)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    optional = ("gifts", "media_coverage", "welcome_pack", "thank_you_letters")
    await close_tasks(office, visit_id, leave=("security", *optional))

    # Three days before arrival the gate finds security still open: the head is told.
    await office.sleep_until(at_tbilisi(arrival - timedelta(days=3), 1))
    events = await wait_for_events(office.stack, {"visit.not_ready"})
    not_ready = next(e["data"] for e in events if kind(e) == "visit.not_ready")
    assert [task["key"] for task in not_ready["open_tasks"]] == ["security"]
    assert not_ready["open_tasks"][0]["title"]["ka"] == "უსაფრთხოება"
    assert not_ready["awaiting"] == ["head_of_department"]
    assert (await office.protocol.visit(visit_id))["status"] == "in_preparation"
    assert "visit.ready" not in {kind(e) for e in events}

    # Ready only once the last required task is done; the optional ones do not hold it.
    await close_tasks(office, visit_id, leave=optional)
    ready = await office.protocol.wait_for_status(visit_id, "ready")
    assert {t["key"] for t in ready["tasks"] if t["status"] == "open"} == set(optional)
    history = [e["action"] for e in await office.protocol.history(visit_id)]
    assert history.count("not_ready") == 1

    # A required task added now takes readiness away until it is done.
    added = await office.protocol.call(
        "POST",
        f"/visits/{visit_id}/tasks",
        json={
            "key": "wine_tasting",
            "title_ka": "ღვინის დეგუსტაცია ალავერდის მარანში",
            "offset_days": -1,
            "owner": "ana.protocol",
        },
    )
    assert added.status_code == 201, added.text
    await office.protocol.wait_for_status(visit_id, "in_preparation")
    status = await office.protocol.wait_for(
        visit_id, lambda s: any(t["key"] == "wine_tasting" for t in s["tasks"]), "started it"
    )
    tasting = next(t for t in status["tasks"] if t["key"] == "wine_tasting")
    assert tasting["task_id"] == f"visit-{visit_id}-task-wine_tasting" and tasting["required"]
    await office.protocol.ok("POST", f"/visits/{visit_id}/tasks/wine_tasting/complete", json={})
    await office.protocol.wait_for_status(visit_id, "ready")


async def test_new_dates_move_every_due_date_and_timer(office: Office) -> None:
    arrival = await office.today() + timedelta(days=30)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    # A due time set by hand moves as far as its anchor does.
    set_by_hand = at_tbilisi(arrival - timedelta(days=20), 12)
    await office.protocol.ok(
        "PATCH",
        f"/visits/{visit_id}/tasks/transport",
        json={"due_at": set_by_hand.isoformat()},
    )
    state = await office.task_state(f"visit-{visit_id}-task-transport")
    assert state.due_at == set_by_hand

    # The delegation comes two weeks later.
    new_arrival = arrival + timedelta(days=14)
    postponed = await office.protocol.call(
        "POST",
        f"/visits/{visit_id}/postpone",
        json={
            "reason": "ბირშტონასის მერის თხოვნით ვიზიტი ორი კვირით გადაიდო",
            "arrival_on": new_arrival.isoformat(),
            "departure_on": (new_arrival + timedelta(days=2)).isoformat(),
        },
    )
    assert postponed.status_code == 200, postponed.text
    moved = postponed.json()
    assert moved["arrival_on"] == new_arrival.isoformat()
    assert moved["status"] == "in_preparation"
    tasks = {t["key"]: t for t in moved["tasks"]}
    accommodation_due = at_tbilisi(new_arrival - timedelta(days=14), 18)
    assert datetime.fromisoformat(tasks["accommodation"]["due_at"]) == accommodation_due
    assert datetime.fromisoformat(tasks["transport"]["due_at"]) == set_by_hand + timedelta(days=14)

    # The tasks' own timers moved with them, and so did the readiness gate.
    state = await office.task_state(f"visit-{visit_id}-task-accommodation")
    assert state.due_at == accommodation_due
    state = await office.task_state(f"visit-{visit_id}-task-transport")
    assert state.due_at == set_by_hand + timedelta(days=14)
    status = await office.protocol.status(visit_id)
    assert datetime.fromisoformat(status["gate_at"]) == at_tbilisi(new_arrival - timedelta(days=3))

    # The old due time passes quietly; the new one escalates.
    await office.sleep_until(at_tbilisi(arrival - timedelta(days=14), 20))
    assert not (await office.task_state(f"visit-{visit_id}-task-accommodation")).escalated
    await office.sleep_until(accommodation_due + timedelta(hours=2))
    assert (await office.task_state(f"visit-{visit_id}-task-accommodation")).escalated

    events = await wait_for_events(office.stack, {"visit.rescheduled", "visit.postponed"})
    postponement = next(e["data"] for e in events if kind(e) == "visit.postponed")
    assert postponement["until_further_notice"] is False
    assert postponement["reason"] == "ბირშტონასის მერის თხოვნით ვიზიტი ორი კვირით გადაიდო"
    rescheduled = next(e["data"] for e in events if kind(e) == "visit.rescheduled")
    assert rescheduled["previous_arrival_on"] == arrival.isoformat()

    # Dates in the wrong order are refused, and nothing moves.
    wrong = await office.protocol.call(
        "PUT",
        f"/visits/{visit_id}/dates",
        json={
            "arrival_on": new_arrival.isoformat(),
            "departure_on": (new_arrival - timedelta(days=1)).isoformat(),
            "reason": "შეცდომა",
        },
    )
    assert wrong.status_code == 422
    assert (await office.protocol.visit(visit_id))["arrival_on"] == new_arrival.isoformat()


async def test_postponed_until_further_notice_then_resumed_with_new_dates(
    office: Office,
) -> None:
    arrival = await office.today() + timedelta(days=30)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    await office.protocol.ok(
        "POST", f"/visits/{visit_id}/tasks/invitation_letter/complete", json={}
    )
    await office.protocol.wait_for(
        visit_id, lambda s: len(s["tasks"]) == 11, "closed the invitation letter"
    )

    postponed = await office.protocol.call(
        "POST", f"/visits/{visit_id}/postpone", json={"reason": "არჩევნების გამო გადაიდო"}
    )
    assert postponed.status_code == 200, postponed.text
    await office.protocol.wait_for_status(visit_id, "postponed")
    status = await office.protocol.wait_for_stage(visit_id, "postponed")
    # Nothing falls due while postponed: the tasks left the inbox.
    assert status["tasks"] == [] and status["awaiting"] == []
    handle = office.env.client.get_workflow_handle(f"visit-{visit_id}-task-accommodation")
    assert (await handle.describe()).status.name == "CANCELED"
    refused = await office.protocol.call(
        "POST", f"/visits/{visit_id}/tasks/accommodation/complete", json={}
    )
    assert refused.status_code == 409

    # New dates bring the visit back, its open tasks with new due times.
    new_arrival = arrival + timedelta(days=60)
    resumed = await office.protocol.call(
        "PUT",
        f"/visits/{visit_id}/dates",
        json={
            "arrival_on": new_arrival.isoformat(),
            "departure_on": (new_arrival + timedelta(days=2)).isoformat(),
            "reason": "ახალი თარიღები შეთანხმდა",
        },
    )
    assert resumed.status_code == 200, resumed.text
    status = await office.protocol.wait_for_stage(visit_id, "in_preparation", tasks=11)
    accommodation = next(t for t in status["tasks"] if t["key"] == "accommodation")
    assert accommodation["task_id"] == f"visit-{visit_id}-task-accommodation-r1"
    assert datetime.fromisoformat(accommodation["due_at"]) == at_tbilisi(
        new_arrival - timedelta(days=14), 18
    )
    tasks = {t["key"]: t for t in (await office.protocol.visit(visit_id))["tasks"]}
    assert tasks["invitation_letter"]["status"] == "done"
    done = await office.protocol.call(
        "POST", f"/visits/{visit_id}/tasks/accommodation/complete", json={}
    )
    assert done.status_code == 200, done.text
    events = await wait_for_events(office.stack, {"visit.postponed"})
    postponement = next(e["data"] for e in events if kind(e) == "visit.postponed")
    assert postponement["until_further_notice"] is True


async def test_cancellation_closes_the_open_tasks(office: Office) -> None:
    # Far enough ahead that no task is overdue the moment it is created (the invitation
    # letter is due 30 days before arrival), whatever the hour the test runs at.
    arrival = await office.today() + timedelta(days=45)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    no_reason = await office.head.call("POST", f"/visits/{visit_id}/cancel", json={})
    assert no_reason.status_code == 422
    editor = await office.editor.call(
        "POST", f"/visits/{visit_id}/cancel", json={"reason": "არ ვიცი"}
    )
    assert editor.status_code == 409 and "roles" in editor.json()["detail"]

    cancelled = await office.head.call(
        "POST",
        f"/visits/{visit_id}/cancel",
        json={"reason": "დელეგაციამ ვიზიტი გააუქმა ბიუჯეტის შემცირების გამო"},
    )
    assert cancelled.status_code == 200, cancelled.text
    seen = await office.protocol.wait_for_status(visit_id, "cancelled")
    assert seen["status_reason"] == "დელეგაციამ ვიზიტი გააუქმა ბიუჯეტის შემცირების გამო"
    assert {task["status"] for task in seen["tasks"]} == {"cancelled"}
    handle = office.env.client.get_workflow_handle(f"visit-{visit_id}-task-security")
    assert (await handle.describe()).status.name == "CANCELED"
    late = await office.protocol.call(
        "POST", f"/visits/{visit_id}/tasks/security/complete", json={}
    )
    assert late.status_code == 409
    again = await office.head.call("POST", f"/visits/{visit_id}/cancel", json={"reason": "ისევ"})
    assert again.status_code == 409

    # The mayor may decline a request, with the reason.
    other = await office.protocol.ok("POST", "/visits", json=study_trip(arrival))
    await office.protocol.wait_for_stage(other["id"], "requested", tasks=1)
    declined = await office.mayor.call(
        "POST",
        f"/visits/{other['id']}/decisions",
        json={"outcome": "decline", "comment": "ამ თარიღებში მერი ვერ გაემგზავრება"},
    )
    assert declined.status_code == 200, declined.text
    seen = await office.protocol.wait_for_status(other["id"], "cancelled")
    assert seen["status_reason"] == "ამ თარიღებში მერი ვერ გაემგზავრება"

    # A request the mayor leaves waiting is overdue after three days, and does not
    # happen once its arrival date has come.
    soon = await office.today() + timedelta(days=10)
    forgotten = await office.protocol.ok("POST", "/visits", json=delegation(soon))
    await office.protocol.wait_for_stage(forgotten["id"], "requested", tasks=1)
    await office.sleep_until(at_tbilisi(soon, 1))
    seen = await office.protocol.wait_for_status(forgotten["id"], "cancelled")
    assert "did not approve" in seen["status_reason"]

    events = await wait_for_events(office.stack, {"visit.cancelled", "task.overdue"})
    cancellations = [e["data"] for e in events if kind(e) == "visit.cancelled"]
    assert [(c["visit_id"], c["declined"]) for c in cancellations] == [
        (visit_id, False),
        (other["id"], True),
        (forgotten["id"], False),
    ]
    overdue = next(e["data"] for e in events if kind(e) == "task.overdue")
    assert overdue["visit_id"] == forgotten["id"] and overdue["task_key"] == "approval"
    assert overdue["task_title"]["ka"] == "მერის თანხმობა ვიზიტზე"
    assert overdue["awaiting"] == ["mayor"]


long_history_office = office_fixture(history_limit=100)


async def test_a_visit_with_a_long_history_continues_as_new_without_losing_its_tasks(
    long_history_office: Office,
) -> None:
    office = long_history_office
    arrival = await office.today() + timedelta(days=30)
    visit = await request_and_approve(office, delegation(arrival))
    visit_id = visit["id"]
    optional = ("gifts", "media_coverage", "welcome_pack", "thank_you_letters")
    await close_tasks(office, visit_id, leave=optional)
    ready = await office.protocol.wait_for_status(visit_id, "ready")
    assert ready["status"] == "ready"
    status = await office.protocol.wait_for(visit_id, lambda s: s["continued"] == 1, "continued")
    # Tasks started by the first run still report to the case.
    await office.protocol.ok("POST", f"/visits/{visit_id}/tasks/gifts/complete", json={})
    await office.protocol.wait_for(
        visit_id,
        lambda s: "gifts" not in {t["key"] for t in s["tasks"]},
        "heard of the gifts",
    )
    assert status["stage"] == "ready"
    # The workflow has heard; its activity records the task's end on the visit just after.
    for _ in range(100):
        tasks = {t["key"]: t for t in (await office.protocol.visit(visit_id))["tasks"]}
        if tasks["gifts"]["status"] == "done":
            break
        await asyncio.sleep(0.1)
    assert tasks["gifts"]["status"] == "done"
