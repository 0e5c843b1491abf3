"""The administrators' workflow dashboard over real HTTP, with publishing, the worker, NATS
and Temporal running: one row per case with its open tasks inside, filtered and counted;
the failing cases with their real last error and next try; a case's timeline in plain
words; cancelling and retrying, a case at a time or several at once, each with a reason."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from markupsafe import escape
from temporalio.client import Client

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TBILISI = ZoneInfo("Asia/Tbilisi")


@dataclass
class Office:
    stack: Stack
    editor: Desk
    lawyer: Desk
    head: Desk
    mayor: Desk


@asynccontextmanager
async def opened_office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    **settings: Any,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            **settings,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        office = Office(
            stack,
            editor=Desk(stack, http, STAFF["editor"][0], "editor"),
            lawyer=Desk(stack, http, STAFF["lawyer"][0], "legal_reviewer"),
            head=Desk(stack, http, STAFF["head"][0], "head_of_department"),
            mayor=Desk(stack, http, STAFF["mayor"][0], "mayor"),
        )
        issuer = {"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"}
        admin_desk = Desk(stack, http, "setup", "admin")
        await admin_desk.ok("PUT", "/issuers/mayor", json=issuer)
        yield office


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    # A failing publication is reported after two quick tries, not five slow ones.
    async with opened_office(
        tmp_path, nats_server, temporal_server, new_database,
        publish_attempts=2, publish_retry_seconds=0.2,
    ) as office:  # fmt: skip
        yield office


@pytest.fixture
async def patient_office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    # A failing publication is tried again a minute later: long enough to be seen failing,
    # and for a retry now to be told from the next try.
    async with opened_office(
        tmp_path, nats_server, temporal_server, new_database,
        publish_attempts=3, publish_retry_seconds=60,
    ) as office:  # fmt: skip
        yield office


async def signed_in(stack: Stack, who: str, *, english: bool = True) -> Person:
    person = Person(stack, STAFF[who][0])
    assert (await person.sign_in()).status_code == 303
    if english:  # the catalogs are merged later: read the English the code is written in
        assert (await person.get("/language", params={"to": "en", "next": "/"})).status_code == 303
    return person


def row_of(page: httpx.Response, link: str) -> str:
    """The table row holding a link."""
    for row in re.findall(r"<tr[ >].*?</tr>", page.text, flags=re.DOTALL):
        if link in row:
            return str(row)
    raise AssertionError(f"no row links to {link}")


async def test_the_dashboard_lists_filters_counts_and_tells_a_legal_act(office: Office) -> None:
    editor = office.editor
    document = await editor.create(LEGAL_ACT)
    document_id = document["id"]
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "legal_review")
    case_id = f"document-{document_id}-edition-1"
    task_id = f"{case_id}-task-legal_review-r1"
    admin = await signed_in(office.stack, "admin")

    # The running case is one row, its open task inside it (visibility follows within
    # moments); the task has no row of its own.
    listed = await admin.until(
        "/dashboard?status=running",
        lambda page: (
            f'data-case="{case_id}"' in page.text and f'data-task="{task_id}"' in page.text
        ),
    )
    assert listed.status_code == 200, listed.text
    found = re.search(rf"/cases/{case_id}\?run=([0-9a-f-]+)", listed.text)
    assert found
    run_id = found.group(1)
    case_link = f"/cases/{case_id}?run={run_id}"
    row = row_of(listed, case_link)
    assert LEGAL_ACT["title_ka"] in row and "Legal review" in row and "Legal reviewer" in row
    assert f'data-task="{task_id}"' in row and f'href="/cases/{task_id}"' in row
    assert f'data-case="{task_id}"' not in listed.text
    assert f'name="case" value="{case_id}"' in row  # chosen for the batch actions
    # The raw history is one click away in Temporal's own UI.
    ui = office.stack.settings("portal").temporal_ui_url
    assert f"{ui}/namespaces/meria/workflows/{case_id}/{run_id}/history" in row
    # Counts per stage are folded away, and counted when asked (a query per stage): the
    # case is in legal review, its task no longer counted beside it.
    assert '<details id="by-stage" class="add">' in listed.text
    assert "data-stage=" not in listed.text and "stages=1" in listed.text
    by_stage = await admin.get("/dashboard?status=running&stages=1")
    assert '<details id="by-stage" class="add" open>' in by_stage.text
    assert 'data-stage="legal_review">1<' in by_stage.text
    assert 'data-refresh="' in listed.text and 'id="live"' in listed.text

    async def shows(query: str) -> bool:
        page = await admin.get(f"/dashboard?{query}")
        assert page.status_code == 200, page.text
        assert f'data-case="{task_id}"' not in page.text
        return case_link in page.text

    assert await shows("kind=document&status=running")
    assert not await shows("status=completed&kind=document")
    assert await shows("status=running&stage=legal_review")
    assert not await shows("status=running&stage=signature")
    assert not await shows("status=running&overdue=1")
    # Text: a word of the Georgian title, the case reference, a task's id finds its case.
    assert await shows("status=running&text=სკოლების")
    assert not await shows("status=running&text=ზღვისპირეთის")
    assert await shows(f"status=running&text=document:{document_id}")
    assert await shows(f"text={task_id}")
    today = datetime.now(TBILISI).date()
    yesterday = today - timedelta(days=1)
    assert await shows(f"status=running&started_from={today}&started_to={today}")
    assert not await shows(f"status=running&started_to={yesterday}")
    counted = await admin.get("/dashboard?status=running&kind=document&stages=1")
    assert 'data-stage="legal_review">1<' in counted.text
    # Tasks are not a kind of case to list any more.
    tasks_only = await admin.get("/dashboard?kind=task")
    assert tasks_only.status_code == 422 and 'id="kind-error"' in tasks_only.text

    # A bad filter is named beside its field and lists nothing.
    bad = await admin.get("/dashboard?started_from=12.11.2026&kind=document")
    assert bad.status_code == 422 and 'id="started_from-error"' in bad.text
    assert 'aria-invalid="true"' in bad.text and case_link not in bad.text

    # One at a time: the next page continues the same list (a second case to page to).
    other = await editor.create(PRESS_RELEASE)
    await editor.submit(other["id"])
    await editor.wait_for_stage(other["id"], "department_review")
    other_case = f"document-{other['id']}-edition-1"
    await admin.until("/dashboard?status=running", lambda page: other_case in page.text)
    first = await admin.get("/dashboard?status=running&size=1")
    next_page = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert next_page, "a next page"
    second = await admin.get(next_page.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    pages = [
        {f'data-case="{case_id}"' in page.text, f'data-case="{other_case}"' in page.text}
        for page in (first, second)
    ]
    assert pages == [{True, False}, {True, False}]
    assert (f'data-case="{case_id}"' in first.text) != (f'data-case="{case_id}"' in second.text)

    # Only administrators see the dashboard and cases.
    author = await signed_in(office.stack, "editor")
    assert (await author.get("/dashboard")).status_code == 403
    assert (await author.get(f"/cases/{case_id}")).status_code == 403
    await author.close()

    # A task is not cancelled on its own: its case is.
    task_page = await admin.get(f"/cases/{task_id}")
    assert task_page.status_code == 200 and f'href="/cases/{case_id}"' in task_page.text
    refused = await admin.post(f"/cases/{task_id}/cancel", {"reason": "ზედმეტია"})
    assert refused.status_code == 409 and "belongs to its case" in refused.text
    withdrawn = await admin.post(f"/cases/{other_case}/cancel", {"reason": "აღარ არის საჭირო"})
    assert withdrawn.status_code == 303, withdrawn.text

    # Through the route to publication.
    lawyer_decision = await office.lawyer.decide(document_id, comment="სამართლებრივად გამართულია")
    assert lawyer_decision.status_code == 200, lawyer_decision.text
    for desk, step in ((office.head, "department_review"), (office.mayor, "signature")):
        await editor.wait_for_stage(document_id, step)
        assert (await desk.decide(document_id)).status_code == 200
    published = await editor.wait_for_state(document_id, "published")
    number = published["register_number"]
    assert number

    story = await admin.until(f"/cases/{case_id}", lambda page: "Case closed" in page.text)
    timeline = story.text[story.text.index('id="timeline-h"') :]
    lawyer_name = STAFF["lawyer"][1]
    assert f"Legal review approved by {lawyer_name}" in timeline
    assert "სამართლებრივად გამართულია" in timeline
    assert "Legal review opened, waiting on Legal reviewer" in timeline
    assert f"Published as {number}" in timeline
    assert "Case closed: Published" in timeline
    assert f"Register number</dt><dd>{number}" in story.text
    assert f"/workflows/{case_id}/" in story.text and 'action="/cases/' not in story.text
    # Each entry is told with its moment.
    assert re.search(r"approved by [^<]+ — <time datetime=", timeline)
    await admin.close()


async def test_an_administrator_cancels_a_case_and_retries_a_publication_with_reasons(
    office: Office,
) -> None:
    editor, head = office.editor, office.head
    admin = await signed_in(office.stack, "admin")

    # Cancelling a document's case withdraws it; a reason is required first.
    pending = await editor.create(PRESS_RELEASE)
    await editor.submit(pending["id"])
    await editor.wait_for_stage(pending["id"], "department_review")
    case_id = f"document-{pending['id']}-edition-1"
    page = await admin.get(f"/cases/{case_id}")
    assert page.status_code == 200 and f'action="/cases/{case_id}/cancel"' in page.text
    assert "Head of department" in page.text  # who it waits on
    no_reason = await admin.post(f"/cases/{case_id}/cancel", {"reason": "  "})
    assert no_reason.status_code == 422
    assert 'id="cancel_reason-error"' in no_reason.text and 'aria-invalid="true"' in no_reason.text
    assert (await editor.status(pending["id"]))["stage"] == "department_review"
    reason = "ღონისძიება გადაიდო, პრესრელიზი აღარ არის საჭირო"
    cancelled = await admin.post(f"/cases/{case_id}/cancel", {"reason": reason})
    assert cancelled.status_code == 303, cancelled.text
    assert cancelled.headers["location"] == f"/cases/{case_id}?done=cancelled"
    await editor.wait_for_state(pending["id"], "draft")
    withdrawn = [
        entry for entry in await editor.audit(pending["id"]) if entry["action"] == "withdraw"
    ]
    assert [(entry["actor"], entry["comment"]) for entry in withdrawn] == [
        (STAFF["admin"][0], reason)
    ]
    story = await admin.until(f"/cases/{case_id}", lambda page: "Case closed" in page.text)
    assert f"Withdrawn by {STAFF['admin'][1]}" in story.text and reason in story.text
    assert "Case closed: Withdrawn" in story.text
    again = await admin.post(f"/cases/{case_id}/cancel", {"reason": reason})
    assert again.status_code == 409 and "already ended" in again.text

    # A publication that fails waits for an administrator, who says why they retry.
    document = await editor.create({**PRESS_RELEASE, "title_ka": "ახმეტის ღვინის ფესტივალი"})
    document_id = document["id"]
    attached = await editor.call(
        "POST",
        f"/documents/{document_id}/attachments",
        files={"file": ("პროგრამა.pdf", PDF, "application/pdf")},
    )
    assert attached.status_code == 201, attached.text
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")
    folder = office.stack.settings("publishing").attachments_dir  # type: ignore[attr-defined]
    stored = next(iter(folder.iterdir()))
    hidden = stored.with_suffix(".hidden")
    stored.rename(hidden)
    assert (await head.decide(document_id)).status_code == 200
    await editor.wait_for_state(document_id, "failed_to_publish", timeout=60)
    case_id = f"document-{document_id}-edition-1"
    failed = await admin.until(
        f"/cases/{case_id}", lambda page: f'action="/cases/{case_id}/retry"' in page.text
    )
    assert "Publication failed" in failed.text and 'class="failure"' in failed.text
    assert "An administrator" in failed.text  # whom a failed publication waits on
    await admin.until(
        "/dashboard?stage=failed_to_publish&status=running", lambda page: case_id in page.text
    )
    by_stage = await admin.get("/dashboard?stage=failed_to_publish&status=running&stages=1")
    assert 'data-stage="failed_to_publish">1<' in by_stage.text

    no_reason = await admin.post(f"/cases/{case_id}/retry", {"reason": ""})
    assert no_reason.status_code == 422 and 'id="retry_reason-error"' in no_reason.text
    georgian = await signed_in(office.stack, "admin", english=False)
    page = await georgian.get("/dashboard?kind=document")
    assert page.status_code == 200 and 'lang="ka"' in page.text and case_id in page.text
    await georgian.close()
    author = await signed_in(office.stack, "editor", english=False)
    assert (await author.post(f"/cases/{case_id}/retry", {"reason": "ვცდი"})).status_code == 403
    await author.close()
    assert (await editor.document(document_id))["current"]["state"] == "failed_to_publish"

    hidden.rename(stored)
    retried = await admin.post(f"/cases/{case_id}/retry", {"reason": "ფაილი აღდგენილია"})
    assert retried.status_code == 303, retried.text
    await editor.wait_for_state(document_id, "published")
    story = await admin.until(f"/cases/{case_id}", lambda page: "Case closed" in page.text)
    assert f"Publication retried by {STAFF['admin'][1]}" in story.text
    assert "Case closed: Published" in story.text

    # A refused action shows the service's own message.
    late = await admin.post(f"/cases/{case_id}/retry", {"reason": "კიდევ ერთხელ"})
    assert late.status_code == 409 and "No publication of this document has failed" in late.text
    await admin.close()


async def test_a_case_with_two_open_tasks_is_one_row_with_both(office: Office) -> None:
    editor = office.editor
    # News is decided by two named members of an editorial board, both at once.
    board = {
        "key": "board",
        "role": "media_officer",
        "mode": "all",
        "people": ["ana", "beka"],
        "deadline_hours": 24,
        "label_ka": "სარედაქციო საბჭო",
        "label_en": "Editorial board",
    }
    admin_desk = Desk(office.stack, editor.http, "setup", "admin")
    await admin_desk.ok(
        "PUT", "/routes/news", json={"steps": [board], "reason": "სიახლეებს საბჭო ამტკიცებს"}
    )
    document = await editor.create({**PRESS_RELEASE, "document_type": "news"})
    await editor.submit(document["id"])
    status = await editor.wait_for_stage(document["id"], "board")
    tasks = sorted(task["task_id"] for task in status["tasks"])
    assert len(tasks) == 2
    case_id = f"document-{document['id']}-edition-1"
    admin = await signed_in(office.stack, "admin")

    # One row for the case, both tasks inside it, each with whom it waits on.
    page = await admin.until(
        f"/dashboard?status=running&text=document:{document['id']}",
        lambda page: all(f'data-task="{task}"' in page.text for task in tasks),
    )
    assert page.status_code == 200, page.text
    assert page.text.count("data-case=") == 1
    row = row_of(page, f'data-case="{case_id}"')
    for task_id, person in zip(tasks, ("ana", "beka"), strict=True):
        line = re.search(rf'<li data-task="{task_id}">(.*?)</li>', row, flags=re.DOTALL)
        assert line, row
        assert "Editorial board" in line.group(1) and "Media officer" in line.group(1)
        assert f"({person})" in line.group(1) and "<time datetime=" in line.group(1)
    assert "Overdue" not in row
    # In Georgian the route's own step is named by its Georgian label.
    georgian = await signed_in(office.stack, "admin", english=False)
    await georgian.get("/language", params={"to": "ka", "next": "/"})
    page = await georgian.get(f"/dashboard?status=running&text=document:{document['id']}")
    assert 'lang="ka"' in page.text
    assert "სარედაქციო საბჭო" in row_of(page, f'data-case="{case_id}"')
    assert "Editorial board" not in page.text
    await georgian.close()
    await admin.close()


async def published_before(editor: Desk, document_id: int, moment: datetime) -> bool:
    while datetime.now(UTC) < moment:
        if (await editor.document(document_id))["current"]["state"] == "published":
            return True
        await asyncio.sleep(0.2)
    return False


async def test_failing_cases_show_their_error_and_next_try_and_are_retried_together(
    patient_office: Office, temporal_server: TemporalDevServer
) -> None:
    office = patient_office
    editor, head = office.editor, office.head
    admin = await signed_in(office.stack, "admin")

    # A press release whose attachment has gone missing cannot be published: its
    # publication fails and is tried again a minute later.
    document = await editor.create({**PRESS_RELEASE, "title_ka": "ახმეტის ღვინის ფესტივალი"})
    document_id = document["id"]
    attached = await editor.call(
        "POST",
        f"/documents/{document_id}/attachments",
        files={"file": ("პროგრამა.pdf", PDF, "application/pdf")},
    )
    assert attached.status_code == 201, attached.text
    await editor.submit(document_id)
    await editor.wait_for_stage(document_id, "department_review")
    # Another case runs on, failing nothing.
    healthy = await editor.create(PRESS_RELEASE)
    await editor.submit(healthy["id"])
    await editor.wait_for_stage(healthy["id"], "department_review")
    healthy_case = f"document-{healthy['id']}-edition-1"
    folder = office.stack.settings("publishing").attachments_dir  # type: ignore[attr-defined]
    stored = next(iter(folder.iterdir()))
    hidden = stored.with_suffix(".hidden")
    stored.rename(hidden)
    assert (await head.decide(document_id)).status_code == 200
    case_id = f"document-{document_id}-edition-1"

    # Temporal's own account of the failure, for the dashboard to match.
    temporal = await Client.connect(temporal_server.address, namespace="meria")
    handle = temporal.get_workflow_handle(case_id)
    pending = None
    for _ in range(300):
        described = await handle.describe()
        found = described.raw_description.pending_activities
        if found and found[0].attempt > 1 and found[0].HasField("last_failure"):
            pending = found[0]
            break
        await asyncio.sleep(0.1)
    assert pending is not None, "the publication is being retried"
    error = pending.last_failure.message
    next_try = pending.next_attempt_schedule_time.ToDatetime(tzinfo=UTC)
    assert error and next_try > datetime.now(UTC) + timedelta(seconds=30)

    # Under "failing": the case, its real last error and the time of its next try; the
    # healthy case is not there.
    page = await admin.until("/dashboard?failing=1", lambda page: case_id in page.text)
    assert page.status_code == 200, page.text
    row = row_of(page, f'data-case="{case_id}"')
    assert 'data-failing="publishing.publish_edition"' in row and "Publication" in row
    # The service's own words, not the envelope they came in.
    assert "is missing" in error and '"detail"' in error
    detail = json.loads(error[error.index("{") :])["detail"]
    assert str(escape(detail)) in row and str(escape('"detail"')) not in row
    shown = re.search(r'<time datetime="([^"]+)" data-next-try>', row)
    assert shown and abs(datetime.fromisoformat(shown.group(1)) - next_try) < timedelta(seconds=1)
    assert "Attempt 2" in row
    assert healthy_case not in page.text
    everything = await admin.get("/dashboard?status=running")
    assert healthy_case in everything.text and "data-failing=" not in everything.text

    # Nothing is done without a reason.
    chosen = {"case": [case_id, healthy_case], "action": "retry"}
    no_reason = await admin.post("/dashboard/actions", {**chosen, "reason": " "})
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    assert 'aria-invalid="true"' in no_reason.text and f'value="{case_id}"' in no_reason.text
    # Nor by anyone but an administrator, nor without the form's CSRF token.
    author = await signed_in(office.stack, "editor")
    refused = await author.post("/dashboard/actions", {**chosen, "reason": "ვცდი"})
    assert refused.status_code == 403
    await author.close()
    forged = await admin.post("/dashboard/actions", {**chosen, "reason": "ვცდი"}, csrf=False)
    assert forged.status_code == 403
    described = await handle.describe()
    assert described.raw_description.pending_activities[0].attempt == pending.attempt

    # The file is back; retried now, the publication does not wait for its next try. A
    # case with nothing failing is refused, and says why.
    hidden.rename(stored)
    retried = await admin.post("/dashboard/actions", {**chosen, "reason": "ფაილი აღდგენილია"})
    assert retried.status_code == 200, retried.text
    assert re.search(rf'class="done" data-outcome="{case_id}">.*?done</strong>', retried.text)
    refusal = re.search(rf'class="refused" data-outcome="{healthy_case}">(.*?)</li>', retried.text)
    assert refusal and "Nothing in this case is failing" in refusal.group(1)
    assert "Done: 1. Refused: 1." in retried.text
    assert await published_before(editor, document_id, next_try - timedelta(seconds=5))
    assert (await editor.status(healthy["id"]))["stage"] == "department_review"
    await admin.close()


async def test_an_administrator_cancels_two_cases_at_once_with_a_reason(office: Office) -> None:
    editor = office.editor
    admin = await signed_in(office.stack, "admin")
    documents = []
    for title in ("ახმეტის ბიბლიოთეკის გახსნა", "ალაზნის სანაპიროს დასუფთავება"):
        document = await editor.create({**PRESS_RELEASE, "title_ka": title})
        await editor.submit(document["id"])
        documents.append(document["id"])
    for document_id in documents:
        await editor.wait_for_stage(document_id, "department_review")
    cases = [f"document-{document_id}-edition-1" for document_id in documents]
    await admin.until(
        "/dashboard?status=running", lambda page: all(case in page.text for case in cases)
    )
    reason = "ღონისძიებები გადაიდო, პრესრელიზები აღარ არის საჭირო"

    # Cancelling asks first, naming the cases; nothing is cancelled yet.
    asked = await admin.post(
        "/dashboard/actions",
        {"case": cases, "action": "cancel", "reason": reason, "back": "/dashboard?status=running"},
    )
    assert asked.status_code == 200, asked.text
    assert "You are about to cancel these 2 cases" in asked.text
    assert (
        "ახმეტის ბიბლიოთეკის გახსნა" in asked.text and 'name="confirmed" value="yes"' in asked.text
    )
    assert 'href="/dashboard?status=running"' in asked.text
    for document_id in documents:
        assert (await editor.status(document_id))["stage"] == "department_review"
    # A chosen value that is no case is refused before anything is done.
    odd = await admin.post(
        "/dashboard/actions",
        {"case": [*cases, "document-1'; drop"], "action": "cancel", "reason": reason,
         "confirmed": "yes"},
    )  # fmt: skip
    assert odd.status_code == 422 and "not a workflow id" in odd.text
    for document_id in documents:
        assert (await editor.status(document_id))["stage"] == "department_review"

    # Confirmed: both are withdrawn, each with the reason on its audit trail.
    confirmed = await admin.post(
        "/dashboard/actions",
        {"case": cases, "action": "cancel", "reason": reason, "confirmed": "yes"},
    )
    assert confirmed.status_code == 200, confirmed.text
    for case in cases:
        assert re.search(rf'class="done" data-outcome="{case}">', confirmed.text)
    for document_id in documents:
        await editor.wait_for_state(document_id, "draft")
        withdrawn = [
            entry for entry in await editor.audit(document_id) if entry["action"] == "withdraw"
        ]
        assert [(entry["actor"], entry["comment"]) for entry in withdrawn] == [
            (STAFF["admin"][0], reason)
        ]
    # Again: each is refused, saying it has ended.
    again = await admin.post(
        "/dashboard/actions",
        {"case": cases, "action": "cancel", "reason": reason, "confirmed": "yes"},
    )
    assert again.text.count("already ended") == 2 and "Done: 0. Refused: 2." in again.text
    await admin.close()
