"""The administrators' workflow dashboard over real HTTP, with publishing, the worker, NATS
and Temporal running: every case and task listed, filtered and counted; a case's timeline
in plain words; cancelling a case and retrying a failed publication, each with a reason."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

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


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            # A failing publication is reported after two quick tries, not five slow ones.
            publish_attempts=2,
            publish_retry_seconds=0.2,
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

    # The running case and its task are both listed (visibility follows within moments).
    listed = await admin.until(
        "/dashboard?status=running",
        lambda page: (
            f"/cases/{case_id}?run=" in page.text and f"/cases/{task_id}?run=" in page.text
        ),
    )
    assert listed.status_code == 200, listed.text
    found = re.search(rf"/cases/{case_id}\?run=([0-9a-f-]+)", listed.text)
    assert found
    run_id = found.group(1)
    case_link = f"/cases/{case_id}?run={run_id}"
    task_link = f"/cases/{task_id}?run="
    row = row_of(listed, case_link)
    assert LEGAL_ACT["title_ka"] in row and "Legal review" in row and "Legal reviewer" in row
    # The raw history is one click away in Temporal's own UI.
    ui = office.stack.settings("portal").temporal_ui_url
    assert f"{ui}/namespaces/meria/workflows/{case_id}/{run_id}/history" in row
    # Counts per stage, when asked (a query per stage): both are in legal review.
    assert "data-stage=" not in listed.text and "stages=1" in listed.text
    by_stage = await admin.get("/dashboard?status=running&stages=1")
    assert 'data-stage="legal_review">2<' in by_stage.text
    assert 'data-refresh="' in listed.text and 'id="live"' in listed.text

    async def shows(query: str) -> tuple[bool, bool]:
        page = await admin.get(f"/dashboard?{query}")
        assert page.status_code == 200, page.text
        return case_link in page.text, task_link in page.text

    assert await shows("kind=document&status=running") == (True, False)
    assert await shows("kind=task&status=running") == (False, True)
    assert await shows("status=completed&kind=document") == (False, False)
    assert await shows("status=running&stage=legal_review") == (True, True)
    assert await shows("status=running&stage=signature") == (False, False)
    assert await shows("status=running&overdue=1") == (False, False)
    # Text: a word of the Georgian title, the case reference, the start of a workflow id.
    assert await shows("status=running&text=სკოლების") == (True, True)
    assert await shows("status=running&text=ზღვისპირეთის") == (False, False)
    assert await shows(f"status=running&text=document:{document_id}") == (True, True)
    assert await shows(f"text={task_id}") == (False, True)
    today = datetime.now(TBILISI).date()
    yesterday = today - timedelta(days=1)
    assert await shows(f"status=running&started_from={today}&started_to={today}") == (True, True)
    assert await shows(f"status=running&started_to={yesterday}") == (False, False)
    counted = await admin.get("/dashboard?status=running&kind=document&stages=1")
    assert 'data-stage="legal_review">1<' in counted.text

    # A bad filter is named beside its field and lists nothing.
    bad = await admin.get("/dashboard?started_from=12.11.2026&kind=document")
    assert bad.status_code == 422 and 'id="started_from-error"' in bad.text
    assert 'aria-invalid="true"' in bad.text and case_link not in bad.text

    # One at a time: the next page continues the same list.
    first = await admin.get("/dashboard?status=running&size=1")
    next_page = re.search(r'<a href="([^"]+)" rel="next"', first.text)
    assert next_page, "a next page"
    second = await admin.get(next_page.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    on_first = {case_link in first.text, task_link in first.text}
    on_second = {case_link in second.text, task_link in second.text}
    assert on_first == on_second == {True, False}
    assert (case_link in first.text) != (case_link in second.text)

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
