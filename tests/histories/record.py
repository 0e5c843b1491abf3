"""Record histories of each workflow's scenarios, from the code as it is now.

    .venv/bin/python -m tests.histories.record

Writes `tests/histories/<scenario>.json` for every scenario that has no file yet: the
histories already committed were recorded from earlier code and stay as they are, so
the replay test keeps proving that today's code can continue those cases. Activities are
stand-ins here (a history holds their results, not their code).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowContinuedAsNewError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from meria.cases import Reasoned
from meria.cases.digest import DigestInput, digest_id, start_digest
from meria.cases.documents import Actor, PublicationInput
from meria.cases.events import ActionSpec, MeetingInput, Moved, NewAction, PressConferenceInput
from meria.cases.media import (
    Cancellation,
    InformationRequestInput,
    InformationWorkflowStatus,
    ResponseInput,
    Withdrawal,
)
from meria.cases.pages import PageReviewInput, ReviewPlan, UnpublishPlan
from meria.cases.tasks import TaskDecision, TaskInput
from meria.cases.visits import DatesMoved, VisitInput
from meria.servers import binary
from meria.temporal import register_search_attributes
from tests.support import workflow_stubs as stubs
from workflows.digest import DigestScheduleWorkflow, MonthlyDigestWorkflow, ScheduledRun
from workflows.digest_calendar import TBILISI, previous_month
from workflows.human_task import HumanTaskWorkflow
from workflows.information_request import InformationRequestWorkflow
from workflows.media_response import MediaResponseWorkflow
from workflows.meeting import MeetingWorkflow
from workflows.press_conference import PressConferenceWorkflow
from workflows.publication import DocumentPublicationWorkflow
from workflows.standing_pages import PageReviewWorkflow, ScheduledUnpublishWorkflow
from workflows.visit import DelegationVisitWorkflow
from workflows.worker import WORKFLOWS, sandbox_runner

HERE = Path(__file__).parent


# A scenario gets the client, the task queue, the environment and the workflow id to use:
# the file's name, so that replay runs under the same id (children's ids derive from it).
# It answers the run to record when it is not the last (a workflow that continued as new).
Scenario = Callable[[Client, str, WorkflowEnvironment, str], Awaitable[str | None]]


async def press_release(client: Client, queue: str, _: WorkflowEnvironment, id: str) -> None:
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=1, edition=1),
        id=id,
        task_queue=queue,
    )
    await stubs.decide(client, handle, "tamar.gelashvili", "head_of_department", "approve")
    await handle.result()


async def legal_act_with_changes(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    stubs.PUBLISH_AT[2] = await env.get_current_time() + timedelta(days=3)
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=2, edition=1),
        id=id,
        task_queue=queue,
    )
    await stubs.decide(client, handle, "levan.kapanadze", "legal_reviewer", "request_changes")
    for _ in range(200):
        if (await handle.query(DocumentPublicationWorkflow.status)).stage == "changes_requested":
            break
        await asyncio.sleep(0.05)
    await handle.execute_update(
        DocumentPublicationWorkflow.resubmit, Actor(user="nino.beridze", roles=["editor"])
    )
    await stubs.decide(client, handle, "levan.kapanadze", "legal_reviewer", "approve")
    await stubs.decide(client, handle, "tamar.gelashvili", "head_of_department", "approve")
    await stubs.decide(client, handle, "mayor.akhmeta", "mayor", "approve")
    await handle.result()


async def consolidation(client: Client, queue: str, _: WorkflowEnvironment, id: str) -> None:
    """A legal act's consolidated text: its legal review alone, then published unsigned."""
    stubs.CONSOLIDATIONS.add(4)
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=4, edition=2),
        id=id,
        task_queue=queue,
    )
    await stubs.decide(client, handle, "levan.kapanadze", "legal_reviewer", "approve")
    await handle.result()


async def escalated_task(client: Client, queue: str, env: WorkflowEnvironment, id: str) -> None:
    now = await env.get_current_time()
    case = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=3, edition=1),
        id=f"document-3-edition-1-{queue}",
        task_queue=queue,
    )
    task_id = id
    handle = await client.start_workflow(
        HumanTaskWorkflow.run,
        TaskInput(
            task_id=task_id,
            case_workflow_id=case.id,
            case_ref="document:3",
            service="publishing",
            notice_path="/documents/3/editions/1/task-notices",
            step="department_review",
            subject="ახმეტის მერის ბრძანება",
            awaiting=["head_of_department"],
            author="nino.beridze",
            due_at=now + timedelta(days=2),
            escalate_to="mayor",
        ),
        id=task_id,
        task_queue=queue,
    )
    await env.sleep(timedelta(days=2, hours=1))
    await handle.execute_update(
        HumanTaskWorkflow.decide,
        TaskDecision(user="mayor.akhmeta", roles=["mayor"], outcome="approve"),
    )
    await handle.result()


async def delegation_visit(client: Client, queue: str, env: WorkflowEnvironment, id: str) -> None:
    """Approval, new dates, an escalated task, the readiness gate, the visit, its report."""
    handle = await client.start_workflow(
        DelegationVisitWorkflow.run, VisitInput(visit_id=7), id=id, task_queue=queue
    )

    async def task(key: str, user: str, role: str, outcome: str, comment: str | None) -> None:
        for _ in range(200):
            status = await handle.query(DelegationVisitWorkflow.status)
            found = [t for t in status.tasks if t.key == key]
            if found:
                await client.get_workflow_handle(found[0].task_id).execute_update(
                    HumanTaskWorkflow.decide,
                    TaskDecision(user=user, roles=[role], outcome=outcome, comment=comment),
                )
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no open task {key}")

    await task("approval", "mayor.akhmeta", "mayor", "approve", None)
    await task("invitation_letter", "ana.protocol", "protocol_officer", "done", None)
    status = await handle.query(DelegationVisitWorkflow.status)
    assert status.arrival_at is not None and status.end_at is not None
    week = timedelta(days=7)
    await handle.execute_update(
        DelegationVisitWorkflow.change_dates,
        DatesMoved(
            user="ana.protocol",
            roles=["protocol_officer"],
            reason="ერთი კვირით გადაიდო",
            arrival_at=status.arrival_at + week,
            end_at=status.end_at + week,
            dues={t.key: t.due_at + week for t in status.tasks},
        ),
    )
    # The accommodation runs late and escalates; the gate finds it open.
    await env.sleep(timedelta(days=24))
    await task("accommodation", "tamar.gelashvili", "head_of_department", "done", "დაიჯავშნა")
    await task("gifts", "ana.protocol", "protocol_officer", "waived", "საჭირო არ არის")
    await env.sleep(timedelta(days=6))
    await task("report", "ana.protocol", "protocol_officer", "done", None)
    await handle.result()


async def _open_task(
    client: Client, handle: Any, query: Any, key: str, user: str, role: str, outcome: str
) -> None:
    for _ in range(200):
        status = await handle.query(query)
        found = [t for t in status.tasks if t.key == key]
        if found:
            await client.get_workflow_handle(found[0].task_id).execute_update(
                HumanTaskWorkflow.decide,
                TaskDecision(user=user, roles=[role], outcome=outcome, comment="შესრულდა"),
            )
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"no open task {key}")


async def press_conference_held(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """Advisory, accreditation, the reminder the day before, held, the press release."""
    handle = await client.start_workflow(
        PressConferenceWorkflow.run,
        PressConferenceInput(case_id=1, event_id=1),
        id=id,
        task_queue=queue,
    )
    await env.sleep(timedelta(days=4, hours=2))
    await _open_task(
        client, handle, PressConferenceWorkflow.status, "press_release", "giorgi.media",
        "media_officer", "done",
    )  # fmt: skip
    await handle.result()


async def press_conference_moved_and_cancelled(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """Postponed, moved to a new event a week later, then cancelled with a notice."""
    handle = await client.start_workflow(
        PressConferenceWorkflow.run,
        PressConferenceInput(case_id=3, event_id=3),
        id=id,
        task_queue=queue,
    )
    planner = {"user": "giorgi.media", "roles": ["media_officer"]}
    await env.sleep(timedelta(hours=1))
    await handle.execute_update(
        PressConferenceWorkflow.postpone, Reasoned(**planner, reason="მერი თბილისშია")
    )
    await env.sleep(timedelta(days=5))
    starts_at = await env.get_current_time() + timedelta(days=7)
    stubs.EVENT_CASES[5] = stubs.event_case(5, "press_conference", starts_at, case_id=3)
    await handle.execute_update(
        PressConferenceWorkflow.reschedule,
        Moved(**planner, reason="ახალი თარიღი", event_id=5, starts_at=starts_at,
              ends_at=starts_at + timedelta(hours=1)),
    )  # fmt: skip
    await env.sleep(timedelta(days=3))
    await handle.execute_update(
        PressConferenceWorkflow.cancel, Reasoned(**planner, reason="გზა ჩაიკეტა")
    )
    await handle.result()


async def meeting_with_a_foundation(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """The briefing note, the meeting, the minutes and an action: closed."""
    handle = await client.start_workflow(
        MeetingWorkflow.run, MeetingInput(case_id=2, event_id=2), id=id, task_queue=queue
    )
    await _open_task(
        client, handle, MeetingWorkflow.status, "briefing", "ana.protocol", "protocol_officer",
        "done",
    )  # fmt: skip
    await env.sleep(timedelta(days=4, hours=2))
    now = await env.get_current_time()
    await handle.execute_update(
        MeetingWorkflow.add_action,
        NewAction(
            user="ana.protocol",
            roles=["protocol_officer"],
            action=ActionSpec(
                id=1, key="action-1", title_ka="სასტუმროების სია", owner="levan.protocol",
                owner_role="protocol_officer", due_at=now + timedelta(days=3), status="open",
            ),
        ),
    )  # fmt: skip
    await env.sleep(timedelta(days=2))
    await _open_task(
        client, handle, MeetingWorkflow.status, "minutes", "ana.protocol", "protocol_officer",
        "done",
    )  # fmt: skip
    await _open_task(
        client, handle, MeetingWorkflow.status, "action-1", "levan.protocol",
        "protocol_officer", "done",
    )  # fmt: skip
    await handle.result()


async def media_response_statement(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """A story's response: drafted late (reminded, escalated), sent back once, approved,
    published as a statement."""
    handle = await client.start_workflow(
        MediaResponseWorkflow.run, ResponseInput(response_id=1), id=id, task_queue=queue
    )

    async def step(name: str, user: str, role: str, outcome: str, comment: str | None) -> None:
        for _ in range(200):
            status = await handle.query(MediaResponseWorkflow.status)
            if status.task is not None and status.task.step == name:
                await client.get_workflow_handle(status.task.task_id).execute_update(
                    HumanTaskWorkflow.decide,
                    TaskDecision(user=user, roles=[role], outcome=outcome, comment=comment),
                )
                return
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no open step {name}")

    await env.sleep(timedelta(hours=30))
    await step("response_draft", "giorgi.media", "media_officer", "submitted", None)
    await step(
        "response_approval", "tamar.gelashvili", "head_of_department", "request_changes",
        "დაამატეთ ვადა",
    )  # fmt: skip
    await step("response_draft", "giorgi.media", "media_officer", "submitted", None)
    await step("response_approval", "tamar.gelashvili", "head_of_department", "approve", None)
    await handle.result()


async def media_response_cancelled(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """An enquiry's answer no longer needed: cancelled while it waits for its draft."""
    handle = await client.start_workflow(
        MediaResponseWorkflow.run, ResponseInput(response_id=2), id=id, task_queue=queue
    )
    for _ in range(200):
        if (await handle.query(MediaResponseWorkflow.status)).task is not None:
            break
        await asyncio.sleep(0.05)
    await handle.execute_update(
        MediaResponseWorkflow.cancel,
        Cancellation(user="giorgi.media", roles=["media_officer"], reason="სიუჟეტი გასწორდა"),
    )
    await handle.result()


async def _information_task(handle: Any) -> InformationWorkflowStatus:
    """The request's status once its answer is a task in the department's inbox."""
    for _ in range(200):
        status: InformationWorkflowStatus = await handle.query(InformationRequestWorkflow.status)
        if status.task is not None:
            return status
        await asyncio.sleep(0.05)
    raise TimeoutError("no answer task")


async def information_request_answered_late(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """The council's request, reminded at half time and escalated when due: the head of
    department sends the answer a day late."""
    handle = await client.start_workflow(
        InformationRequestWorkflow.run,
        InformationRequestInput(request_id=1),
        id=id,
        task_queue=queue,
    )
    await _information_task(handle)
    await env.sleep(timedelta(days=8))
    status = await _information_task(handle)
    assert status.task is not None and status.task.escalated
    await client.get_workflow_handle(status.task.task_id).execute_update(
        HumanTaskWorkflow.decide,
        TaskDecision(
            user="tamar.gelashvili",
            roles=["head_of_department"],
            outcome="answered",
            comment="2026 წელს თუშეთს 18 400 ტურისტი ეწვია, მათ შორის 6 200 უცხოელი.",
        ),
    )
    assert (await handle.result()).stage == "answered"


async def information_request_withdrawn(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """Reminded, then withdrawn by the council before anyone answered."""
    handle = await client.start_workflow(
        InformationRequestWorkflow.run,
        InformationRequestInput(request_id=2),
        id=id,
        task_queue=queue,
    )
    await _information_task(handle)
    await env.sleep(timedelta(days=4))
    await handle.execute_update(
        InformationRequestWorkflow.withdraw,
        Withdrawal(user="sakrebulo.aparati", roles=["requester"], reason="სხდომა გადაიდო."),
    )
    assert (await handle.result()).stage == "withdrawn"


async def digest_compiled(client: Client, queue: str, _: WorkflowEnvironment, id: str) -> None:
    """November's digest started by hand: gathered, created in publishing and submitted."""
    handle = await client.start_workflow(
        MonthlyDigestWorkflow.run,
        DigestInput(month="2026-11", requested_by="nino.beridze"),
        id=id,
        task_queue=queue,
    )
    status = await handle.result()
    assert status.stage == "submitted" and status.document_id is not None


async def digest_scheduled(client: Client, queue: str, _: WorkflowEnvironment, id: str) -> None:
    """The schedule's run on the first working day: it starts the month just ended."""
    handle = await client.start_workflow(
        DigestScheduleWorkflow.run, ScheduledRun(task_queue=queue), id=id, task_queue=queue
    )
    started = await handle.result()
    assert started.endswith(": started"), started
    month = started.split(":")[0]
    await client.get_workflow_handle(digest_id(month)).result()


async def digest_scheduled_after_by_hand(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """The schedule's run for a month someone compiled by hand already: nothing again."""
    month = previous_month((await env.get_current_time()).astimezone(TBILISI).date())
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await start_digest(client, queue, month, "nino.beridze")
    await client.get_workflow_handle(digest_id(month)).result()
    handle = await client.start_workflow(
        DigestScheduleWorkflow.run, ScheduledRun(task_queue=queue), id=id, task_queue=queue
    )
    assert await handle.result() == f"{month}: already compiled"


async def page_reviewed(client: Client, queue: str, env: WorkflowEnvironment, id: str) -> str:
    """A standing page's review comes due after three months; its owner finds it still
    correct, the next review is set, and the next cycle starts as a new run. The first
    run is the one recorded."""
    plan = ReviewPlan(
        document_id=7,
        title="მერიის კონტაქტები",
        owner="eka.lomidze",
        next_review_at=await env.get_current_time() + timedelta(days=91),
    )
    handle = await client.start_workflow(
        PageReviewWorkflow.run, PageReviewInput(plan=plan), id=id, task_queue=queue
    )
    await env.sleep(timedelta(days=91, hours=1))
    status = await handle.query(PageReviewWorkflow.status)
    assert status.task_id is not None
    await client.get_workflow_handle(status.task_id).execute_update(
        HumanTaskWorkflow.decide,
        TaskDecision(user="eka.lomidze", roles=["editor"], outcome="reviewed", receipt="r"),
    )
    with contextlib.suppress(WorkflowContinuedAsNewError):
        await handle.result(follow_runs=False)
    await client.get_workflow_handle(id).cancel()
    assert handle.result_run_id is not None
    return handle.result_run_id


async def unpublished_on_schedule(
    client: Client, queue: str, env: WorkflowEnvironment, id: str
) -> None:
    """A news item to come down in ten days; the time is moved two days on; it comes down."""
    moment = await env.get_current_time()
    handle = await client.start_workflow(
        ScheduledUnpublishWorkflow.run,
        UnpublishPlan(document_id=8, at=moment + timedelta(days=10)),
        id=id,
        task_queue=queue,
    )
    await handle.signal(
        ScheduledUnpublishWorkflow.reschedule,
        UnpublishPlan(document_id=8, at=moment + timedelta(days=12)),
    )
    assert await handle.result() == "unpublished"


SCENARIOS: dict[str, Scenario] = {
    "document_publication-press_release": press_release,
    "document_publication-legal_act_with_changes": legal_act_with_changes,
    "document_publication-consolidation": consolidation,
    "human_task-escalated": escalated_task,
    "delegation_visit-incoming": delegation_visit,
    "press_conference-held": press_conference_held,
    "press_conference-moved_and_cancelled": press_conference_moved_and_cancelled,
    # The same story since a move withdraws the old date's advisory (the patch's branch).
    "press_conference-moved_advisory_withdrawn": press_conference_moved_and_cancelled,
    "meeting-foundation": meeting_with_a_foundation,
    "media_response-statement": media_response_statement,
    "media_response-cancelled": media_response_cancelled,
    "information_request-answered_late": information_request_answered_late,
    "information_request-withdrawn": information_request_withdrawn,
    "digest-compiled": digest_compiled,
    "digest-scheduled": digest_scheduled,
    "digest-scheduled_after_by_hand": digest_scheduled_after_by_hand,
    "page_review-reviewed": page_reviewed,
    "scheduled_unpublish-at_its_time": unpublished_on_schedule,
}


async def record() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=binary("temporal-test-server"),
    )
    await register_search_attributes(env.client, env.client.namespace)
    queue = f"record-{uuid.uuid4().hex[:8]}"
    try:
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=list(WORKFLOWS),
            activities=stubs.ACTIVITIES,
            workflow_runner=sandbox_runner(),
        ):
            for name, scenario in SCENARIOS.items():
                path = HERE / f"{name}.json"
                if path.exists():
                    continue
                run_id = await scenario(env.client, queue, env, name)
                handle = env.client.get_workflow_handle(name, run_id=run_id)
                history = await handle.fetch_history()
                path.write_text(history.to_json(), encoding="utf-8")
                print(f"recorded {path.relative_to(HERE.parent.parent)}", flush=True)
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
