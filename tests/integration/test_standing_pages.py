"""Standing pages kept by their owners, and publications taken down at a set time, against
the running publishing service, worker and website, a real Temporal dev server (whose
visibility the inbox asks) and a real nats-server. The dates are seconds away, so the
durable timers fire while the test waits; the waits of months run on the time-skipping
test server, whose visibility lists nothing (so the inbox is asked on the dev server)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from meria.auth import User
from meria.cases.pages import PageReviewInput, ReviewPlan, UnpublishPlan
from meria.cases.tasks import TaskDecision
from meria.temporal import connect_to
from meria.testing.servers import NatsServer, TemporalDevServer
from services.portal.i18n import TBILISI
from services.portal.inbox import InboxFilter, TaskRow, my_tasks
from tests.conftest import DatabaseFactory
from tests.support import workflow_stubs as stubs
from tests.support.portal import Person, add_account, create_staff
from tests.support.publishing import PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack
from workflows.human_task import HumanTaskWorkflow
from workflows.standing_pages import PageReviewWorkflow, ScheduledUnpublishWorkflow
from workflows.worker import WORKFLOWS, sandbox_runner

OWNER = "eka.lomidze"
CONTACTS_PAGE = {
    "document_type": "web_page",
    "slug": "contacts-of-the-city-hall",
    "nav_section": "contacts",
    "nav_order": 1,
    "title_ka": "მერიის კონტაქტები",
    "title_en": "Contacts of the City Hall",
    "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერია: რუსთაველის ქუჩა 27, ტელეფონი 0 (349) 27 24 "
    "72.</p>",
    "owner": OWNER,
    "review_every_months": 6,
}
FESTIVAL_NEWS = {
    **PRESS_RELEASE,
    "document_type": "news",
    "title_ka": "ახმეტაში ღვინის ფესტივალზე რეგისტრაცია დაიწყო",
    "title_en": "Registration opens for the Akhmeta wine festival",
    "body_ka": "<p>რეგისტრაცია ღიაა შაბათამდე.</p>",
}


@dataclass
class Office:
    stack: Stack
    http: httpx.AsyncClient
    editor: Desk
    head: Desk

    async def publish(self, document: dict[str, Any]) -> int:
        """Create, submit and approve along its route until the website shows it."""
        document_id: int = (await self.editor.create(document))["id"]
        await self.editor.submit(document_id)
        for _ in range(300):
            status = await self.editor.status(document_id)
            if status["stage"] == "published":
                break
            for task in status["tasks"]:
                await self.head.decide(document_id, task_id=task["task_id"])
            await asyncio.sleep(0.1)
        await self.editor.wait_for_state(document_id, "published")
        return document_id

    async def page(self, path: str) -> httpx.Response:
        return await self.http.get(f"{self.stack.urls['website']}{path}")

    async def until_page(self, path: str, done: Any, timeout: float = 20) -> httpx.Response:
        async with asyncio.timeout(timeout):
            while True:
                page = await self.page(path)
                if done(page):
                    return page
                await asyncio.sleep(0.1)

    async def inbox(self, user: str, *roles: str) -> list[TaskRow]:
        """The portal's inbox query, as it lists a person's tasks."""
        temporal = await connect_to(self.stack.worker_settings())
        person = User(id=user, roles=frozenset(roles))
        return await my_tasks(temporal, person, InboxFilter())


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "worker", "website", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, OWNER, "ეკა ლომიძე", ["editor"])
        yield Office(
            stack,
            http,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
        )


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def test_a_page_due_for_review_waits_in_its_owners_inbox_and_the_site_says_when(
    office: Office,
) -> None:
    editor = office.editor
    page_id = await office.publish(CONTACTS_PAGE)
    page = await editor.document(page_id)
    # Published: its first review is six months on, its owner's.
    assert page["owner"] == OWNER and page["review_every_months"] == 6
    first_due = datetime.fromisoformat(page["next_review_at"])
    assert timedelta(days=180) < first_due - datetime.now(UTC) < timedelta(days=185)

    # The editor brings the review forward to a few seconds from now: the reminder follows.
    await editor.ok("PUT", f"/documents/{page_id}/review-plan", json={"next_review_at": soon(3)})
    assert not [row for row in await office.inbox(OWNER, "editor") if row.case_id == str(page_id)]

    # When the date comes, the owner finds "review the page" in their inbox, and no one else.
    rows: list[TaskRow] = []
    async with asyncio.timeout(20):
        while not rows:
            rows = [r for r in await office.inbox(OWNER, "editor") if r.case_id == str(page_id)]
            await asyncio.sleep(0.2)
    assert rows[0].step == "page_review" and rows[0].subject == CONTACTS_PAGE["title_ka"]
    assert rows[0].assignee == OWNER
    for other, role in (("nino.beridze", "editor"), ("tamar.gelashvili", "head_of_department")):
        assert not [r for r in await office.inbox(other, role) if r.case_id == str(page_id)]

    # In the portal: the task is in the owner's inbox and opens on the page's keeping.
    eka, nino = Person(office.stack, OWNER), Person(office.stack, "nino.beridze")
    try:
        await eka.sign_in()
        await nino.sign_in()
        inbox = await eka.get("/inbox")
        assert f"/tasks/{rows[0].task_id}" in inbox.text
        assert rows[0].task_id not in (await nino.get("/inbox")).text
        opened = await eka.get(f"/tasks/{rows[0].task_id}")
        assert opened.headers["location"] == f"/documents/{page_id}#keeping"
        page_html = await eka.get(f"/documents/{page_id}")
        assert "ეკა ლომიძე" in page_html.text and 'id="page-review"' in page_html.text

        # Someone else cannot decide it; the owner finds it still correct.
        refused = await editor.refused(
            409, "POST", f"/documents/{page_id}/review", json={"outcome": "reviewed"}
        )
        assert "assigned to another person" in refused["detail"]
        refused_page = await nino.post(f"/documents/{page_id}/page-review", {"outcome": "reviewed"})
        assert refused_page.status_code == 409 and "assigned to another person" in refused_page.text
        decided = await eka.post(
            f"/documents/{page_id}/page-review", {"outcome": "reviewed", "comment": "სწორია"}
        )
        assert decided.status_code == 303, decided.text
    finally:
        await eka.close()
        await nino.close()

    # Publishing records who and when, and sets the next review six months on.
    page = await editor.poll(
        f"/documents/{page_id}", lambda d: d["last_reviewed_at"], "recorded the review"
    )
    assert page["reviewed_by"] == OWNER
    next_due = datetime.fromisoformat(page["next_review_at"])
    assert timedelta(days=180) < next_due - datetime.now(UTC) < timedelta(days=185)
    trail = [(e["action"], e["actor"]) for e in await editor.audit(page_id)]
    assert ("review_plan", "nino.beridze") in trail and ("page_reviewed", OWNER) in trail

    # The website says when it was last reviewed, in Georgian and in English.
    slug = CONTACTS_PAGE["slug"]
    shown = await office.until_page(f"/pages/{slug}", lambda p: "ბოლოს გადაიხედა" in p.text)
    assert "ბოლოს გადაიხედა" in shown.text
    english = await office.page(f"/en/pages/{slug}")
    assert "Last reviewed" in english.text
    # And the task has left the owner's inbox.
    assert not [r for r in await office.inbox(OWNER, "editor") if r.case_id == str(page_id)]


async def test_a_scheduled_unpublishing_takes_the_news_down_at_its_time_and_not_before(
    office: Office,
) -> None:
    editor, head = office.editor, office.head
    news_id = await office.publish(FESTIVAL_NEWS)
    path = f"/news/{news_id}"
    await office.until_page(path, lambda p: p.status_code == 200)

    # Refused, and nothing changes: an editor may not schedule it, nor anyone for the past.
    body = {"at": soon(4), "reason": "რეგისტრაცია დასრულდა"}
    problem = await editor.refused(
        403, "PUT", f"/documents/{news_id}/scheduled-unpublish", json=body
    )
    assert problem["status"] == 403
    past = {**body, "at": soon(-60)}
    problem = await head.refused(422, "PUT", f"/documents/{news_id}/scheduled-unpublish", json=past)
    assert "future" in problem["detail"]
    assert (await editor.document(news_id))["unpublish_at"] is None

    # The head of department schedules it, and calls it off: it stays.
    await head.ok("PUT", f"/documents/{news_id}/scheduled-unpublish", json={**body, "at": soon(2)})
    cancelled = await head.ok("DELETE", f"/documents/{news_id}/scheduled-unpublish")
    assert cancelled["unpublish_at"] is None
    # Scheduled again on the document's page in the portal, for a few minutes on, ...
    tamar = Person(office.stack, "tamar.gelashvili")
    try:
        await tamar.sign_in()
        assert 'name="at"' in (await tamar.get(f"/documents/{news_id}")).text
        later = (datetime.now(TBILISI) + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M")
        form = {"at": later, "reason": body["reason"]}
        scheduled = await tamar.post(f"/documents/{news_id}/scheduled-unpublish", form)
        assert scheduled.status_code == 303, scheduled.text
        assert 'id="unpublish-at"' in (await tamar.get(f"/documents/{news_id}")).text
    finally:
        await tamar.close()
    # ... then moved to a few seconds on: until then it stays.
    moved = await head.ok("PUT", f"/documents/{news_id}/scheduled-unpublish", json=body)
    assert datetime.fromisoformat(moved["unpublish_at"]) < datetime.now(UTC) + timedelta(seconds=5)
    await asyncio.sleep(2.5)
    assert (await office.page(path)).status_code == 200
    assert (await editor.document(news_id))["state"] == "published"

    # At its time it is taken down as an unpublishing is, by the worker, with the reason.
    gone = await office.until_page(path, lambda p: p.status_code == 410)
    assert "რეგისტრაცია დასრულდა" in gone.text
    document = await editor.document(news_id)
    assert document["state"] == "unpublished" and document["unpublish_at"] is None
    [entry] = [e for e in await editor.audit(news_id) if e["action"] == "unpublish"]
    assert entry["actor"] == "meria-worker" and entry["comment"] == "რეგისტრაცია დასრულდა"
    assert entry["details"]["scheduled"] is True
    assert entry["details"]["by"] == "tamar.gelashvili"


async def test_review_dates_are_a_pages_own_and_must_lie_ahead(office: Office) -> None:
    editor = office.editor
    # A news item takes no owner: a problem, and no document made.
    problem = await editor.refused(
        422, "POST", "/documents", json={**FESTIVAL_NEWS, "owner": OWNER}
    )
    assert "web_page" in problem["detail"]
    listed = await editor.ok("GET", "/documents")
    assert listed["total"] == 0
    # A page's review date in the past is refused, on creation and on change.
    past = {**CONTACTS_PAGE, "next_review_at": soon(-3600)}
    problem = await editor.refused(422, "POST", "/documents", json=past)
    assert "future" in problem["detail"]
    page_id = (await editor.create(CONTACTS_PAGE))["id"]
    await editor.refused(
        422, "PUT", f"/documents/{page_id}/review-plan", json={"next_review_at": soon(-60)}
    )
    # Only a known interval, and only staff who keep pages set it.
    await editor.refused(
        422, "PUT", f"/documents/{page_id}/review-plan", json={"review_every_months": 7}
    )
    await office.head.ok(
        "PUT", f"/documents/{page_id}/review-plan", json={"owner": "tamar.gelashvili"}
    )
    mayor = Desk(office.stack, office.http, "mayor.akhmeta", "mayor")
    await mayor.refused(403, "PUT", f"/documents/{page_id}/review-plan", json={"owner": OWNER})
    page = await editor.document(page_id)
    assert page["owner"] == "tamar.gelashvili" and page["next_review_at"] is None
    # What only the worker calls refuses every person, an administrator included.
    admin = Desk(office.stack, office.http, "admin", "admin")
    for desk in (editor, admin):
        await desk.refused(
            403, "POST", f"/documents/{page_id}/reviews", json={"outcome": "reviewed"}
        )
        await desk.refused(
            403,
            "POST",
            f"/documents/{page_id}/scheduled-unpublication",
            json={"document_id": page_id, "at": soon(60)},
        )
    assert (await editor.document(page_id))["last_reviewed_at"] is None


# The waits at the department's real lengths, on the time-skipping test server: months
# pass in an instant. Activities are stand-ins (tests/support/workflow_stubs.py).


@pytest.fixture
async def skipping_worker(time_skipping: WorkflowEnvironment) -> AsyncIterator[str]:
    task_queue = f"pages-{uuid.uuid4().hex[:8]}"
    stubs.NOTICES.clear()
    stubs.REVIEWS.clear()
    stubs.TAKEN_DOWN.clear()
    async with Worker(
        time_skipping.client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=stubs.ACTIVITIES,
        workflow_runner=sandbox_runner(),
    ):
        yield task_queue


async def test_a_six_month_review_reaches_a_new_owner_and_a_late_one_the_head(
    time_skipping: WorkflowEnvironment, skipping_worker: str
) -> None:
    client, queue = time_skipping.client, skipping_worker
    start = await time_skipping.get_current_time()
    plan = ReviewPlan(
        document_id=41,
        title="მერიის კონტაქტები",
        owner=OWNER,
        next_review_at=start + timedelta(days=182),
    )
    handle = await client.start_workflow(
        PageReviewWorkflow.run, PageReviewInput(plan=plan), id=f"page-{queue}", task_queue=queue
    )
    # Five months on nothing is due; the page changes hands.
    await time_skipping.sleep(timedelta(days=150))
    assert (await handle.query(PageReviewWorkflow.status)).task_id is None
    await handle.signal(PageReviewWorkflow.replan, plan.model_copy(update={"owner": "giorgi.b"}))
    # Six months on, the review is the new owner's, and only theirs.
    await time_skipping.sleep(timedelta(days=33))
    status = await handle.query(PageReviewWorkflow.status)
    assert status.task_id is not None
    task = client.get_workflow_handle(status.task_id)
    state = await task.query(HumanTaskWorkflow.state)
    assert state.assignee == "giorgi.b" and state.awaiting == [] and not state.escalated
    # Reminded after a week; two weeks on, the head of department is awaited too.
    await time_skipping.sleep(timedelta(days=8))
    assert [n["kind"] for n in stubs.NOTICES] == ["reminder"]
    await time_skipping.sleep(timedelta(days=7))
    state = await task.query(HumanTaskWorkflow.state)
    assert state.escalated and state.awaiting == ["head_of_department"]
    # The head of department reviews it; the next cycle waits for the date the service set.
    await task.execute_update(
        HumanTaskWorkflow.decide,
        TaskDecision(
            user="tamar.gelashvili",
            roles=["head_of_department"],
            outcome="reviewed",
            receipt="signed",
        ),
    )
    async with asyncio.timeout(10):
        while (await handle.query(PageReviewWorkflow.status)).cycle != 2:
            await asyncio.sleep(0.05)
    [review] = stubs.REVIEWS
    assert review.review.outcome == "reviewed" and review.review.receipt == "signed"
    status = await handle.query(PageReviewWorkflow.status)
    assert status.task_id is None and status.next_review_at > start + timedelta(days=360)
    # Unpublished: the cycle ends (and leaves nothing for the shared server to wait on).
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()


async def test_a_publication_comes_down_at_its_time_a_month_on_and_not_before(
    time_skipping: WorkflowEnvironment, skipping_worker: str
) -> None:
    client, queue = time_skipping.client, skipping_worker
    at = await time_skipping.get_current_time() + timedelta(days=30)
    handle = await client.start_workflow(
        ScheduledUnpublishWorkflow.run,
        UnpublishPlan(document_id=42, at=at),
        id=f"unpublish-{queue}",
        task_queue=queue,
    )
    await time_skipping.sleep(timedelta(days=29, hours=23))
    assert stubs.TAKEN_DOWN == []
    assert await handle.result() == "unpublished"
    assert [UnpublishPlan(document_id=42, at=at)] == stubs.TAKEN_DOWN
