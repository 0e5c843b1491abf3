"""The media response workflow with its real activities against the running media and
publishing services, on Temporal's time-skipping server: a story marked "response
needed" becomes a draft in its owner's inbox, the head of department sends it back and
then approves it, and it is published as a statement through the publishing service; a
journalist's enquiry is answered by email through a real SMTP server; a draft left
waiting is reminded and escalated, and the month's coverage counts it late."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from meria.cases.tasks import TaskState
from meria.testing.servers import NatsServer
from tests.conftest import DatabaseFactory
from tests.support.media import (
    IMEDI,
    INTERPRESSNEWS,
    Mailbox,
    MediaDesk,
    journalist,
    kind,
    smtp_server,
    wait_for_events,
)
from tests.support.stack import Stack, running_stack
from workflows.human_task import HumanTaskWorkflow
from workflows.worker import build_worker

pytestmark = pytest.mark.database

STORY = {
    "published_on": "2026-11-16",
    "title": "იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?",
    "link": "https://imedinews.ge/ge/tusheti-road",
    "summary": "სიუჟეტში მოსახლეობა გზის მდგომარეობას აკრიტიკებს.",
    "topic": "infrastructure",
    "officials_mentioned": ["ახმეტის მერი"],
}
ANSWER_KA = (
    "ომალოს გზის შეკეთება გრაფიკით მიმდინარეობს და 1 დეკემბრამდე დასრულდება.\n\n"
    "მერია მოსახლეობას ყოველკვირეულად აცნობებს სამუშაოების მიმდინარეობას."
)


@dataclass
class Office:
    env: WorkflowEnvironment
    stack: Stack
    mailbox: Mailbox
    owner: MediaDesk
    colleague: MediaDesk
    head: MediaDesk
    editor: MediaDesk

    async def task(self, task_id: str) -> TaskState:
        state: TaskState = await self.env.client.get_workflow_handle(task_id).query(
            HumanTaskWorkflow.state
        )
        return state

    async def status(self, response_id: int, stage: str, *, task: bool = True) -> Any:
        return await self.owner.wait_for(
            f"/responses/{response_id}/status",
            lambda s: s["stage"] == stage and (s["task"] is not None) == task,
            f"reached {stage}",
        )


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
                ["publishing", "media"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                new_database=new_database,
                temporal_namespace=env.client.namespace,
                temporal_address=env.client.service_client.config.target_host,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_poll_seconds=0.1,
                relay_poll_seconds=0.1,
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
                    mailbox,
                    owner=MediaDesk(stack, http, "giorgi.media", "media_officer"),
                    colleague=MediaDesk(stack, http, "eka.media", "media_officer"),
                    head=MediaDesk(stack, http, "tamar.gelashvili", "head_of_department"),
                    editor=MediaDesk(stack, http, "nino.beridze", "editor"),
                )


async def test_a_story_answered_by_a_statement_after_changes(office: Office) -> None:
    imedi = await office.owner.ok("POST", "/outlets", json=IMEDI)
    item = await office.owner.ok(
        "POST", "/monitoring-items", json={**STORY, "outlet_id": imedi["id"]}
    )
    assert item["response_id"] is None

    # Staff judge the story negative and ask for a response, owned by Giorgi.
    item = await office.owner.ok(
        "PATCH",
        f"/monitoring-items/{item['id']}",
        json={"sentiment": "negative", "response_needed": True, "response_owner": "giorgi.media"},
    )
    response_id = item["response_id"]
    assert item["response_status"] == "drafting"
    status = await office.status(response_id, "drafting")
    task = status["task"]
    assert task["task_id"] == f"media-response-{response_id}-task-draft"
    assert task["assignee"] == "giorgi.media" and task["awaiting"] == ["media_officer"]
    # The draft is due by default 24 hours after the response was asked for.
    created = await office.env.get_current_time()
    state = await office.task(task["task_id"])
    assert timedelta(hours=23) < state.due_at - created < timedelta(hours=24, minutes=1)

    # Nobody else writes Giorgi's draft; nothing is submitted without text.
    await office.owner.refused(409, "POST", f"/responses/{response_id}/submit")
    await office.editor.refused(
        403, "PUT", f"/responses/{response_id}/draft",
        json={"channel": "statement", "text_ka": ANSWER_KA},
    )  # fmt: skip
    await office.colleague.refused(
        403, "PUT", f"/responses/{response_id}/draft",
        json={"channel": "statement", "text_ka": ANSWER_KA},
    )  # fmt: skip
    await office.owner.ok(
        "PUT",
        f"/responses/{response_id}/draft",
        json={"channel": "statement", "text_ka": "ომალოს გზა შეკეთდება."},
    )
    await office.owner.ok("POST", f"/responses/{response_id}/submit")
    status = await office.status(response_id, "awaiting_approval")
    assert status["task"]["awaiting"] == ["head_of_department"]

    # The head of department sends it back (with a reason), then approves the new text.
    await office.owner.refused(
        409, "POST", f"/responses/{response_id}/decisions", json={"outcome": "approve"}
    )
    no_reason = await office.head.refused(
        409, "POST", f"/responses/{response_id}/decisions", json={"outcome": "request_changes"}
    )
    assert "reason" in no_reason["detail"]
    await office.head.ok(
        "POST",
        f"/responses/{response_id}/decisions",
        json={"outcome": "request_changes", "comment": "დაამატეთ ვადა და ინფორმირების გეგმა."},
    )
    status = await office.status(response_id, "drafting")
    assert status["task"]["task_id"] == f"media-response-{response_id}-task-draft-r1"
    await office.owner.ok(
        "PUT",
        f"/responses/{response_id}/draft",
        json={"channel": "statement", "text_ka": ANSWER_KA},
    )
    await office.owner.ok("POST", f"/responses/{response_id}/submit")
    await office.status(response_id, "awaiting_approval")
    await office.head.ok("POST", f"/responses/{response_id}/decisions", json={"outcome": "approve"})

    # Published as a statement: a press release created and submitted in publishing.
    status = await office.status(response_id, "published", task=False)
    document_id = status["document_id"]
    response = await office.owner.ok("GET", f"/responses/{response_id}")
    assert response["status"] == "published" and response["document_id"] == document_id
    assert response["outcome"] == "published" and response["on_time"] is True
    assert response["approved_by"] == "tamar.gelashvili"
    publishing = office.stack.urls["publishing"]
    async with httpx.AsyncClient() as http:
        document = (
            await http.get(
                f"{publishing}/documents/{document_id}",
                headers=office.stack.headers("editor", user="nino.beridze"),
            )
        ).json()
    assert document["document_type"] == "press_release"
    assert document["state"] in ("submitted", "in_review")
    assert document["title_ka"] == f"განცხადება: {STORY['title']}"
    assert "1 დეკემბრამდე" in document["current"]["body_ka"]
    assert document["created_by"] == "giorgi.media"

    events = await wait_for_events(
        office.stack,
        {"response.requested", "response.submitted", "response.changes_requested",
         "response.approved", "response.published", "item.recorded"},
    )  # fmt: skip
    published = next(e["data"] for e in events if kind(e) == "response.published")
    assert published == {
        "response_id": response_id, "item_id": item["id"], "enquiry_id": None,
        "subject_text": STORY["title"], "owner": "giorgi.media", "document_id": document_id,
        "on_time": True,
    }  # fmt: skip


async def test_an_enquiry_is_answered_by_email_and_a_late_draft_escalates(office: Office) -> None:
    ipn = await office.owner.ok("POST", "/outlets", json=INTERPRESSNEWS)
    natia = await office.owner.ok(
        "POST", "/journalists", json=journalist("ნათია ჩიკვაიძე", "natia@ipn.ge", ipn["id"])
    )
    now = await office.env.get_current_time()
    enquiry = await office.owner.ok(
        "POST",
        "/enquiries",
        json={
            "kind": "question",
            "journalist_id": natia["id"],
            "subject": "რამდენი ოჯახი ცხოვრობს ზამთარში თუშეთში?",
            "question": "გთხოვთ, მოგვაწოდოთ ზამთარში თუშეთში დარჩენილი ოჯახების რაოდენობა.",
            "channel": "email",
            "deadline": (now + timedelta(hours=6)).isoformat(),
        },
    )
    response_id = enquiry["response_id"]
    assert enquiry["outlet"]["id"] == ipn["id"] and enquiry["response_status"] == "drafting"
    status = await office.status(response_id, "drafting")
    task_id = status["task"]["task_id"]
    assert status["task"]["assignee"] is None  # anyone of the media officers may take it

    # Nobody drafts in time: a reminder at half time, then the head of department is told.
    await office.env.sleep(timedelta(hours=7))
    await asyncio.sleep(0.5)
    state = await office.task(task_id)
    assert state.reminded and state.escalated
    assert "head_of_department" in state.awaiting
    events = await wait_for_events(office.stack, {"response.reminder_due", "response.escalated"})
    escalated = next(e["data"] for e in events if kind(e) == "response.escalated")
    assert escalated["task_id"] == task_id and escalated["step"] == "response_draft"

    # Eka takes it from the inbox; it is hers now, and nobody else's to take.
    claimed = await office.colleague.ok("POST", f"/tasks/{task_id}/claim")
    assert claimed["claimed_by"] == "eka.media"
    await office.owner.refused(409, "POST", f"/tasks/{task_id}/claim")
    await office.editor.refused(403, "POST", f"/tasks/{task_id}/claim")

    # Late, but answered: by email to the journalist who asked, after approval.
    await office.colleague.ok(
        "PUT",
        f"/responses/{response_id}/draft",
        json={"channel": "outlet", "text_ka": "ზამთარში თუშეთში 38 ოჯახი რჩება.",
              "text_en": "38 families stay in Tusheti over the winter."},
    )  # fmt: skip
    await office.colleague.ok("POST", f"/responses/{response_id}/submit")
    await office.status(response_id, "awaiting_approval")
    refused = await office.colleague.call(
        "POST", f"/responses/{response_id}/decisions", json={"outcome": "approve"}
    )
    assert refused.status_code == 409
    await office.head.ok("POST", f"/responses/{response_id}/decisions", json={"outcome": "approve"})
    await office.status(response_id, "sent", task=False)
    response = await office.owner.wait_for(
        f"/responses/{response_id}", lambda r: r["mailing_id"] is not None, "recorded its mail"
    )
    assert response["on_time"] is False
    await office.owner.wait_for(
        f"/mailings/{response['mailing_id']}", lambda m: m["completed_at"], "sent"
    )
    [answer] = office.mailbox.to("natia@ipn.ge")
    assert answer["Subject"] == "Re: რამდენი ოჯახი ცხოვრობს ზამთარში თუშეთში?"
    assert "38 ოჯახი" in answer.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "List-Unsubscribe" not in answer

    # Kept on Natia's record.
    record = await office.owner.ok("GET", f"/journalists/{natia['id']}/record")
    actions = [entry["action"] for entry in record]
    assert actions[-5:] == [
        "enquiry_logged",
        "response_requested",
        "response_draft_submitted",
        "response_approved",
        "response_sent",
    ]

    # A response no longer needed is cancelled with its reason; its task leaves the inbox.
    imedi = await office.owner.ok("POST", "/outlets", json=IMEDI)
    other = await office.owner.ok(
        "POST",
        "/monitoring-items",
        json={**STORY, "outlet_id": imedi["id"], "response_needed": True},
    )
    await office.status(other["response_id"], "drafting")
    await office.editor.refused(
        403, "POST", f"/responses/{other['response_id']}/cancel", json={"reason": "არ ღირს"}
    )
    await office.owner.ok(
        "POST",
        f"/responses/{other['response_id']}/cancel",
        json={"reason": "იმედმა სიუჟეტი გამოასწორა"},
    )
    await office.status(other["response_id"], "cancelled", task=False)
    cancelled = await office.owner.ok("GET", f"/responses/{other['response_id']}")
    assert cancelled["outcome"] == "cancelled"
    assert cancelled["outcome_note"] == "იმედმა სიუჟეტი გამოასწორა"

    month = datetime.now(UTC).strftime("%Y-%m")
    coverage = await office.owner.ok("GET", f"/coverage?month={month}")
    assert coverage["responses_late"] == 1 and coverage["responses_on_time"] == 0
    story_month = await office.owner.ok("GET", "/coverage?month=2026-11")
    assert story_month["total"] == 1
    assert story_month["by_medium"] == [{"key": "tv", "label": "ტელევიზია", "count": 1}]
