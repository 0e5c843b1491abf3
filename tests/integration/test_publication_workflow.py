"""The publication workflow's waiting on the time-skipping test server: days pass in an
instant, so deadlines, reminders, escalation and scheduled publication are tested at the
lengths the department really uses. Activities are stand-ins here; the workflow's tests
against the running publishing service are in test_publication_route.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support import workflow_stubs as stubs
from workflows.human_task import HumanTaskWorkflow, TaskDecision
from workflows.publication import DocumentPublicationWorkflow, PublicationInput
from workflows.worker import WORKFLOWS, sandbox_runner


@pytest.fixture
async def worker(time_skipping: WorkflowEnvironment) -> AsyncIterator[str]:
    task_queue = f"publication-{uuid.uuid4().hex[:8]}"
    stubs.NOTICES.clear()
    stubs.PUBLISHED.clear()
    stubs.TRANSITIONS.clear()
    async with Worker(
        time_skipping.client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=stubs.ACTIVITIES,
        workflow_runner=sandbox_runner(),
    ):
        yield task_queue


async def start(client: Client, task_queue: str, document_id: int) -> object:
    return await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=document_id, edition=1),
        id=f"document-{document_id}-edition-1-{task_queue}",
        task_queue=task_queue,
    )


async def test_a_scheduled_edition_waits_until_its_time(
    time_skipping: WorkflowEnvironment, worker: str
) -> None:
    client = time_skipping.client
    publish_at = await time_skipping.get_current_time() + timedelta(days=3)
    stubs.PUBLISH_AT[4] = publish_at
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=4, edition=1),
        id=f"document-4-edition-1-{worker}",
        task_queue=worker,
    )
    for user, role in (
        ("lawyer", "legal_reviewer"),
        ("head", "head_of_department"),
        ("mayor", "mayor"),
    ):
        await stubs.decide(client, handle, user, role, "approve")
    result = await handle.result()

    # Three days passed on the workflow's clock, then the edition was published once.
    assert result.stage == "published"
    assert [edition.document_id for edition, _ in stubs.PUBLISHED] == [4]
    assert stubs.PUBLISHED[0][1] >= publish_at
    actions = [item.transition.action for item in stubs.TRANSITIONS]
    assert actions[-2:] == ["approve", "schedule"]


async def test_a_two_day_step_reminds_at_one_day_and_escalates_at_two(
    time_skipping: WorkflowEnvironment, worker: str
) -> None:
    client = time_skipping.client
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=5, edition=1),
        id=f"document-5-edition-1-{worker}",
        task_queue=worker,
    )
    status = None
    for _ in range(100):
        status = await handle.query(DocumentPublicationWorkflow.status)
        if status.tasks:
            break
        await asyncio.sleep(0.05)
    assert status is not None and status.awaiting == ["head_of_department"]
    task = client.get_workflow_handle(status.tasks[0].task_id)

    # A day later: a reminder, no escalation yet.
    await time_skipping.sleep(timedelta(days=1, minutes=1))
    assert [notice["kind"] for notice in stubs.NOTICES] == ["reminder"]
    assert (await task.query(HumanTaskWorkflow.state)).escalated is False

    # Two days later: escalated to the mayor, who is now awaited too.
    await time_skipping.sleep(timedelta(days=1))
    assert [notice["kind"] for notice in stubs.NOTICES] == ["reminder", "escalation"]
    state = await task.query(HumanTaskWorkflow.state)
    assert state.escalated and state.awaiting == ["head_of_department", "mayor"]
    status = await handle.query(DocumentPublicationWorkflow.status)
    assert status.awaiting == ["head_of_department", "mayor"]

    # The mayor decides in the head of department's place.
    await task.execute_update(
        HumanTaskWorkflow.decide,
        TaskDecision(user="mayor.akhmeta", roles=["mayor"], outcome="approve"),
    )
    result = await handle.result()
    assert result.stage == "published"
    assert result.decisions[0].decided_by == "mayor.akhmeta"
