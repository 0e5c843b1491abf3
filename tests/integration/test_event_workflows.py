"""The press-conference and meeting workflows with their real activities against the running
events, publishing and media services, on Temporal's time-skipping server: the days
between the announcement and the press release pass in an instant, and the rest is
real — HTTP, SQLite or PostgreSQL, nats-server, an SMTP server the journalists' reminder
reaches, the Updates the events service sends with the verified user."""

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
from tests.support.events import (
    TBILISI,
    EventsDesk,
    at,
    bus_events,
    foundation_meeting,
    press_conference,
    setup_office,
    subject,
    wait_for_bus,
)
from tests.support.media import IMEDI, Mailbox, MediaDesk, smtp_server
from tests.support.stack import Stack, running_stack
from workflows.human_task import HumanTaskWorkflow
from workflows.worker import build_worker

pytestmark = pytest.mark.database


@dataclass
class Office:
    env: WorkflowEnvironment
    stack: Stack
    http: httpx.AsyncClient
    mailbox: Mailbox
    media: EventsDesk
    editor: EventsDesk
    protocol: EventsDesk
    colleague: EventsDesk
    head: EventsDesk
    press_office: MediaDesk
    venues: dict[str, int]

    async def today(self) -> date:
        return (await self.env.get_current_time()).astimezone(TBILISI).date()

    async def sleep_until(self, moment: datetime) -> None:
        """Let the workflows' clock run to `moment`, firing every timer on the way."""
        now = await self.env.get_current_time()
        if moment > now:
            await self.env.sleep(moment - now)
        await asyncio.sleep(0.5)

    async def task_state(self, task_id: str) -> TaskState:
        state: TaskState = await self.env.client.get_workflow_handle(task_id).query(
            HumanTaskWorkflow.state
        )
        return state

    async def document(self, document_id: int) -> dict[str, Any]:
        response = await self.http.get(
            f"{self.stack.urls['publishing']}/documents/{document_id}",
            headers=self.stack.headers("editor", user="giorgi.media"),
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def window(self, case_id: int) -> dict[str, Any]:
        response = await self.press_office.call("GET", f"/accreditation-windows/{case_id}")
        found: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return found


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    time_skipping_server: WorkflowEnvironment,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    env = time_skipping_server
    with smtp_server() as (mailbox, port):
        async with (
            running_stack(
                ["publishing", "media", "events"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                new_database=new_database,
                temporal_namespace=env.client.namespace,
                temporal_address=env.client.service_client.config.target_host,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_poll_seconds=0.1,
            ) as stack,
            httpx.AsyncClient(timeout=30) as http,
        ):
            worker = build_worker(
                env.client, stack.worker_settings(), stack.shared["temporal_task_queue"]
            )
            async with worker:
                protocol = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
                head = EventsDesk(stack, http, "tamar.gelashvili", "head_of_department")
                yield Office(
                    env,
                    stack,
                    http,
                    mailbox,
                    media=EventsDesk(stack, http, "giorgi.media", "media_officer"),
                    editor=EventsDesk(stack, http, "nino.beridze", "editor"),
                    protocol=protocol,
                    colleague=EventsDesk(stack, http, "levan.protocol", "protocol_officer"),
                    head=head,
                    press_office=MediaDesk(stack, http, "giorgi.media", "media_officer"),
                    venues=await setup_office(head, protocol),
                )


async def test_a_press_conference_from_its_advisory_to_the_press_release(office: Office) -> None:
    media = office.media
    day = await office.today() + timedelta(days=4)
    conference = await media.create(press_conference(day, office.venues["hall"], schedule=True))
    event_id = conference["id"]
    assert conference["workflow_id"] == f"press-conference-{event_id}"

    # The media advisory is written and submitted in publishing, in the press officer's name.
    status = await media.wait_for(
        event_id, lambda s: s["advisory_document_id"] is not None, "had its advisory"
    )
    advisory = await office.document(status["advisory_document_id"])
    assert advisory["document_type"] == "announcement"
    assert advisory["created_by"] == "giorgi.media"
    assert advisory["state"] in ("submitted", "in_review")
    assert advisory["title_ka"] == (
        "მედია-ანონსი: მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ"
    )
    body = advisory["current"]["body_ka"]
    assert f"{day.day} " in body and "11:00" in body and "ახმეტის მერიის სხდომათა დარბაზი" in body
    assert advisory["current"]["title_en"].startswith("Media advisory: Mayor's press conference")
    assert (await media.event(event_id))["advisory_document_id"] == advisory["id"]

    # The accreditation window opens in the media service until two hours before the start.
    window = await office.press_office.wait_for(
        f"/accreditation-windows/{event_id}", lambda w: w["status"] == "open", "opened"
    )
    assert datetime.fromisoformat(window["closes_at"]) == at(day, 9)
    assert window["title_ka"].startswith("მერის პრესკონფერენცია")

    # A journalist applies through the public form, and the media officer accredits her.
    outlet = await office.press_office.ok("POST", "/outlets", json=IMEDI)
    receipt = await office.press_office.ok(
        "POST",
        f"/public/accreditation-windows/{event_id}/requests",
        json={"full_name": "მარიამ ლომიძე", "outlet": outlet["name_ka"],
              "email": "mariam.lomidze@imedi.ge", "consent": True},
    )  # fmt: skip
    requests = await office.press_office.ok("GET", f"/accreditations?event_id={event_id}")
    (request,) = [r for r in requests if r["journalist_name"] == "მარიამ ლომიძე"]
    assert receipt["status"] == "requested"
    await office.press_office.ok("POST", f"/accreditations/{request['id']}/approve")

    # The day before, the accredited journalists are reminded by email; not a moment earlier
    # (what she got at once is the confirmation with her badge).
    def reminders() -> list[Any]:
        mail = office.mailbox.to("mariam.lomidze@imedi.ge")
        return [m for m in mail if "შეხსენება" in str(m["Subject"])]

    await office.sleep_until(at(day, 10) - timedelta(days=1))
    assert reminders() == []
    await office.sleep_until(at(day, 11, 5) - timedelta(days=1))
    await _until(reminders, "reminded the journalist")
    (reminder,) = reminders()
    assert "შეხსენება" in str(reminder["Subject"])
    assert "11:00" in reminder.get_body(("plain",)).get_content()

    # Held: completed on the bus, and the press release is due from the press officer.
    await office.sleep_until(at(day, 12, 1))
    status = await media.wait_for_stage(event_id, "follow_up", tasks=1)
    (task,) = status["tasks"]
    assert task["key"] == "press_release" and task["assignee"] == "giorgi.media"
    assert task["task_id"] == f"press-conference-{event_id}-task-press_release"
    assert (await media.event(event_id))["state"] == "completed"
    state = await office.task_state(task["task_id"])
    assert state.case_ref == f"event:{event_id}" and state.awaiting == ["media_officer", "editor"]
    await wait_for_bus(
        office.stack, lambda found: "event.completed" in map(subject, found), "completed it"
    )

    # Someone else's task is not theirs to close.
    not_mine = await office.editor.call(
        "POST", f"/events/{event_id}/press-follow-up", json={"note": "გამოქვეყნდა"}
    )
    assert not_mine.status_code == 409
    done = await media.ok(
        "POST",
        f"/events/{event_id}/press-follow-up",
        json={"document_id": advisory["id"], "note": "პრესრელიზი მომზადდა"},
    )
    assert done["outcome"] == "done" and done["decided_by"] == "giorgi.media"
    status = await media.wait_for_stage(event_id, "done")
    assert status["decisions"][0]["comment"] == "პრესრელიზი მომზადდა"
    event = await media.event(event_id)
    assert event["follow_up_closed_at"] is not None
    assert event["follow_up_document_id"] == advisory["id"]
    history = [
        (h["action"], h["actor"]) for h in await media.ok("GET", f"/events/{event_id}/history")
    ]
    assert ("advisory_created", "meria-worker") in history
    assert ("complete", "meria-worker") in history
    assert ("close_follow_up", "meria-worker") in history


async def test_a_late_press_release_is_reminded_then_escalated(office: Office) -> None:
    media = office.media
    day = await office.today() + timedelta(days=2)
    conference = await media.create(press_conference(day, office.venues["hall"], schedule=True))
    event_id = conference["id"]
    await office.sleep_until(at(day, 12, 1))
    status = await media.wait_for_stage(event_id, "follow_up", tasks=1)
    task_id = status["tasks"][0]["task_id"]

    # A day is allowed: half of it gone, a reminder; all of it, the head of department.
    await office.sleep_until(at(day, 12, 5) + timedelta(hours=12))
    found = await wait_for_bus(
        office.stack,
        lambda events: "task.reminder_due" in map(subject, events),
        "reminded the press officer",
    )
    reminder = next(e for e in found if subject(e) == "task.reminder_due")["data"]
    assert reminder["task_id"] == task_id and reminder["responsible"] == "giorgi.media"
    assert reminder["event_title"]["ka"].startswith("მერის პრესკონფერენცია")
    await office.sleep_until(at(day, 12, 5) + timedelta(hours=24))
    await wait_for_bus(
        office.stack, lambda events: "task.overdue" in map(subject, events), "escalated"
    )
    state = await office.task_state(task_id)
    assert state.escalated and "head_of_department" in state.awaiting

    # The head of department closes it in the press officer's place.
    closed = await office.head.ok(
        "POST", f"/events/{event_id}/press-follow-up", json={"note": "ჩანაწერი გამოქვეყნდა"}
    )
    assert closed["escalated"] is True
    await media.wait_for_stage(event_id, "done")


async def test_postponed_moved_and_cancelled_its_timers_follow_and_a_notice_goes_out(
    office: Office,
) -> None:
    media = office.media
    day = await office.today() + timedelta(days=5)
    conference = await media.create(press_conference(day, office.venues["hall"], schedule=True))
    event_id = conference["id"]
    first = await media.wait_for(
        event_id, lambda s: s["advisory_document_id"] is not None, "had its advisory"
    )
    await office.press_office.wait_for(
        f"/accreditation-windows/{event_id}", lambda w: w["status"] == "open", "opened"
    )
    # Postponed: nothing falls due while it waits for a date.
    await media.ok(
        "POST", f"/events/{event_id}/postpone", json={"reason": "მერი თბილისში იბარებენ"}
    )
    await media.wait_for_stage(event_id, "postponed")
    await office.sleep_until(at(day, 13))
    assert await _reminders(office, event_id) == 0
    assert (await media.event(event_id))["state"] == "postponed"
    refused = await media.call("POST", f"/events/{event_id}/postpone", json={"reason": "კიდევ"})
    assert refused.status_code == 409

    # A new date: a new event of the same case, a new advisory, the window moved with it.
    new_day = day + timedelta(days=7)
    moved = await media.ok(
        "POST",
        f"/events/{event_id}/reschedule",
        json={
            "starts_at": at(new_day, 11).isoformat(),
            "ends_at": at(new_day, 12).isoformat(),
            "reason": "ახალი თარიღი შეთანხმდა",
        },
    )
    new_id = moved["events"][1]["id"]
    status = await media.wait_for(
        event_id,
        lambda s: (
            s["event_id"] == new_id
            and s["advisory_document_id"] not in (None, first["advisory_document_id"])
        ),
        "announced the new date",
    )
    assert status["stage"] == "scheduled"
    new_advisory = await office.document(status["advisory_document_id"])
    assert f"{new_day.day} " in new_advisory["current"]["body_ka"]
    # The old date's advisory is off publishing's route, back with its author, with the
    # reason: no one can approve it any more, so it is never published nor mailed.
    on_its_way = ("submitted", "in_review", "approved", "scheduled", "published")
    old_id = first["advisory_document_id"]
    await _until_async(
        lambda: office.document(old_id), lambda d: d["state"] not in on_its_way, "withdrew it"
    )
    trail = (
        await office.http.get(
            f"{office.stack.urls['publishing']}/documents/{old_id}/audit",
            headers=office.stack.headers("editor", user="giorgi.media"),
        )
    ).json()
    assert any(
        entry["action"] == "withdraw" and "ახალი თარიღი შეთანხმდა" in (entry["comment"] or "")
        for entry in trail
    ), trail
    # The case's window (its first event's id) moves with it.
    window = await office.press_office.wait_for(
        f"/accreditation-windows/{event_id}",
        lambda w: datetime.fromisoformat(w["closes_at"]) == at(new_day, 9),
        "moved to the new date",
    )
    assert window["status"] == "open"

    # Cancelled two days before: the window closes, the public is told, nothing is due.
    await office.sleep_until(at(new_day, 9) - timedelta(days=2))
    await media.ok(
        "POST",
        f"/events/{new_id}/cancel",
        json={"reason": "გზა ისევ ჩაიკეტა მეწყრის გამო"},
    )
    status = await media.wait_for_stage(new_id, "cancelled")
    assert status["notice_document_id"] is not None
    notice = await office.document(status["notice_document_id"])
    assert notice["document_type"] == "announcement"
    assert notice["title_ka"].startswith("გაუქმდა: მერის პრესკონფერენცია")
    assert "გზა ისევ ჩაიკეტა მეწყრის გამო" in notice["current"]["body_ka"]
    assert notice["state"] in ("submitted", "in_review")
    window = await office.window(event_id)
    assert window["status"] == "closed"
    assert window["close_reason"] == "გზა ისევ ჩაიკეტა მეწყრის გამო"
    await office.sleep_until(at(new_day, 13))
    assert await _reminders(office, event_id) == 0
    assert (await media.event(new_id))["state"] == "cancelled"
    story = [subject(e) for e in await bus_events(office.stack)]
    assert story[:4] == ["event.scheduled", "event.postponed", "event.rescheduled",
                         "event.scheduled"]  # fmt: skip
    assert story[-1] == "event.cancelled"


async def _reminders(office: Office, event_id: int) -> int:
    """How many reminders the media service made for the case's window."""
    mailings = await office.press_office.ok("GET", "/mailings?kind=accreditation_reminder")
    return len([m for m in mailings if m["event_id"] == event_id])


async def _until_async(read: Any, check: Any, what: str, timeout: float = 20) -> Any:
    found = None
    try:
        async with asyncio.timeout(timeout):
            while not check(found := await read()):
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"never: {what}: {found}") from None
    return found


async def _until(check: Any, what: str, timeout: float = 20) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not check():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"never: {what}") from None


async def test_a_meeting_with_a_foundation_from_its_briefing_note_to_its_last_action(
    office: Office,
) -> None:
    protocol, colleague, editor = office.protocol, office.colleague, office.editor
    day = await office.today() + timedelta(days=6)
    meeting = await protocol.create(foundation_meeting(day, office.venues["hall"], schedule=True))
    event_id = meeting["id"]
    assert meeting["workflow_id"] == f"meeting-{event_id}"

    # The briefing note is due two days before, from the one who carries the meeting.
    status = await protocol.wait_for_stage(event_id, "scheduled", tasks=1)
    (briefing,) = status["tasks"]
    assert briefing["key"] == "briefing" and briefing["assignee"] == "ana.protocol"
    assert briefing["task_id"] == f"meeting-{event_id}-task-briefing"
    assert datetime.fromisoformat(briefing["due_at"]) == at(day, 15) - timedelta(days=2)
    note = await protocol.ok("GET", f"/events/{event_id}/briefing-note")
    assert note["status"] == "due" and note["author"] == "ana.protocol"

    # Nothing to submit before it is written; a colleague's submission is refused.
    empty = await protocol.call("POST", f"/events/{event_id}/briefing-note/submit")
    assert empty.status_code == 409
    await colleague.ok(
        "PUT",
        f"/events/{event_id}/briefing-note",
        json={
            "body_ka": "UNDP-ის პროგრამა „ადგილობრივი ეკონომიკური განვითარება“ 2027 წელს "
            "ახმეტის მუნიციპალიტეტს მცირე გრანტებს სთავაზობს. ვითხოვთ თუშეთის "
            "სასტუმროების მხარდაჭერას.",
            "body_en": "UNDP's local economic development programme offers small grants.",
        },
    )
    refused = await colleague.call("POST", f"/events/{event_id}/briefing-note/submit")
    assert refused.status_code == 409 and "assigned" in refused.json()["detail"]
    assert (await protocol.ok("GET", f"/events/{event_id}/briefing-note"))["status"] == "written"
    submitted = await protocol.ok("POST", f"/events/{event_id}/briefing-note/submit")
    assert submitted["status"] == "submitted" and submitted["submitted_by"] == "ana.protocol"
    status = await protocol.wait_for(event_id, lambda s: not s["tasks"], "closed the briefing")
    assert status["decisions"][0]["key"] == "briefing"

    # After the meeting: the minutes are due; the meeting decides two actions.
    await office.sleep_until(at(day, 16, 31))
    status = await protocol.wait_for_stage(event_id, "follow_up", tasks=1)
    assert status["tasks"][0]["key"] == "minutes"
    assert (await protocol.event(event_id))["state"] == "completed"
    later = await office.today()
    hotels = await protocol.ok(
        "POST",
        f"/events/{event_id}/actions",
        json={
            "title_ka": "თუშეთის სასტუმროების სიის გაგზავნა UNDP-ისთვის",
            "title_en": "Send UNDP the list of Tusheti guesthouses",
            "owner": "levan.protocol",
            "owner_role": "protocol_officer",
            "due_at": at(later + timedelta(days=10), 18).isoformat(),
        },
    )
    release = await protocol.ok(
        "POST",
        f"/events/{event_id}/actions",
        json={
            "title_ka": "პრესრელიზი შეხვედრის შედეგებზე",
            "owner": "nino.beridze",
            "owner_role": "editor",
            "due_at": at(later + timedelta(days=2), 18).isoformat(),
        },
    )
    status = await protocol.wait_for_stage(event_id, "follow_up", tasks=3)
    keys = {t["key"]: t for t in status["tasks"]}
    assert keys[f"action-{hotels['id']}"]["assignee"] == "levan.protocol"
    assert keys[f"action-{release['id']}"]["awaiting"] == ["editor"]

    # The press release runs late: its owner is reminded, then the head of department told.
    await office.sleep_until(at(later + timedelta(days=2), 18, 5))
    found = await wait_for_bus(
        office.stack,
        lambda events: {"action.reminder_due", "action.overdue"} <= set(map(subject, events)),
        "reminded and escalated the action",
    )
    overdue = next(e for e in found if subject(e) == "action.overdue")["data"]
    assert overdue["action_id"] == release["id"] and overdue["owner"] == "nino.beridze"
    assert overdue["title"]["ka"] == "პრესრელიზი შეხვედრის შედეგებზე"
    assert "head_of_department" in overdue["awaiting"]
    actions = {a["id"]: a for a in await protocol.ok("GET", f"/events/{event_id}/actions")}
    assert actions[release["id"]]["overdue_at"] is not None

    # Minutes, one action done, the other dropped with its reason: the meeting closes.
    await protocol.ok(
        "PUT",
        f"/events/{event_id}/minutes",
        json={"minutes_ka": "შეთანხმდა: სასტუმროების სია და ერთობლივი განაცხადი მარტამდე."},
    )
    no_reason = await editor.call(
        "POST", f"/events/{event_id}/actions/{release['id']}/drop", json={}
    )
    assert no_reason.status_code == 422
    not_mine = await protocol.call(
        "POST", f"/events/{event_id}/actions/{hotels['id']}/complete", json={}
    )
    assert not_mine.status_code == 409
    await colleague.ok(
        "POST",
        f"/events/{event_id}/actions/{hotels['id']}/complete",
        json={"notes": "სია გაიგზავნა ელფოსტით"},
    )
    assert (await protocol.event(event_id))["follow_up_closed_at"] is None
    await editor.ok(
        "POST",
        f"/events/{event_id}/actions/{release['id']}/drop",
        json={"reason": "UNDP თავად გამოაქვეყნებს ერთობლივ განცხადებას"},
    )
    status = await protocol.wait_for_stage(event_id, "closed")
    assert {d["key"] for d in status["decisions"]} == {
        "briefing", "minutes", f"action-{hotels['id']}", f"action-{release['id']}",
    }  # fmt: skip
    event = await protocol.event(event_id)
    assert event["follow_up_closed_at"] is not None
    actions = {a["id"]: a for a in await protocol.ok("GET", f"/events/{event_id}/actions")}
    assert actions[hotels["id"]]["status"] == "done"
    assert actions[release["id"]]["status"] == "dropped"
    assert actions[release["id"]]["close_note"].startswith("UNDP თავად")
    late = await protocol.call(
        "POST",
        f"/events/{event_id}/actions",
        json={
            "title_ka": "კიდევ ერთი",
            "owner": "ana.protocol",
            "due_at": at(later, 18).isoformat(),
        },
    )
    assert late.status_code == 409


async def test_a_postponed_meeting_stops_its_briefing_clock_and_a_new_date_restarts_it(
    office: Office,
) -> None:
    protocol = office.protocol
    day = await office.today() + timedelta(days=8)
    meeting = await protocol.create(foundation_meeting(day, office.venues["hall"], schedule=True))
    event_id = meeting["id"]
    await protocol.wait_for_stage(event_id, "scheduled", tasks=1)

    await protocol.ok(
        "POST", f"/events/{event_id}/postpone", json={"reason": "UNDP-ის დელეგაცია ვერ ჩამოდის"}
    )
    status = await protocol.wait_for_stage(event_id, "postponed")
    assert status["tasks"] == []
    # Past the old due time, nobody is reminded of a note for a meeting with no date.
    await office.sleep_until(at(day, 15))
    assert "task.reminder_due" not in map(subject, await bus_events(office.stack))

    new_day = day + timedelta(days=14)
    moved = await protocol.ok(
        "POST",
        f"/events/{event_id}/reschedule",
        json={
            "starts_at": at(new_day, 15).isoformat(),
            "ends_at": at(new_day, 16).isoformat(),
            "reason": "ახალი თარიღი UNDP-სთან შეთანხმდა",
        },
    )
    new_id = moved["events"][1]["id"]
    status = await protocol.wait_for(
        event_id, lambda s: s["stage"] == "scheduled" and s["tasks"], "restarted the briefing"
    )
    (task,) = status["tasks"]
    assert task["task_id"] == f"meeting-{event_id}-task-briefing-r1"
    assert datetime.fromisoformat(task["due_at"]) == at(new_day, 15) - timedelta(days=2)
    assert status["event_id"] == new_id

    # Cancelled: its tasks leave the inbox.
    await protocol.ok("POST", f"/events/{new_id}/cancel", json={"reason": "პროგრამა შეჩერდა"})
    status = await protocol.wait_for_stage(event_id, "cancelled")
    assert status["tasks"] == []
    state = await office.env.client.get_workflow_handle(task["task_id"]).describe()
    assert state.status is not None and state.status.name == "CANCELED"
