"""A decided task leaves the inbox with the decision, not when its workflow gets round to
closing: under load the close waits for the case to hear of it, which took seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from meria.auth import User
from meria.temporal import ASSIGNEE, AWAITING, connect
from meria.testing.servers import TemporalDevServer
from services.portal.inbox import InboxFilter, task_query
from tests.support.stack import wait_until
from workflows.human_task import HumanTaskWorkflow, TaskDecision, TaskInput
from workflows.worker import sandbox_runner

PROTOCOL = User(id="mariam.chokheli", roles=frozenset({"protocol_officer"}))


async def test_a_decided_task_leaves_the_inbox_before_its_workflow_closes(
    temporal_server: TemporalDevServer,
) -> None:
    client = await connect(temporal_server.address, "meria")
    queue = f"inbox-{uuid.uuid4().hex[:8]}"
    task_id = f"visit-{queue}-task-accommodation"
    mine = f"{task_query(PROTOCOL, InboxFilter())} AND WorkflowId = '{task_id}'"

    async def listed() -> bool:
        return [e.id async for e in client.list_workflows(mine)] == [task_id]

    worker = Worker(
        client,
        task_queue=queue,
        workflows=[HumanTaskWorkflow],
        workflow_runner=sandbox_runner(),
    )
    async with worker:
        handle = await client.start_workflow(
            HumanTaskWorkflow.run,
            TaskInput(
                task_id=task_id,
                # The case it reports to is not running: its workflow cannot close yet.
                case_workflow_id=f"visit-{queue}",
                case_ref="visit:1",
                service="visits",
                notice_path="/visits/1/task-notices",
                step="accommodation",
                subject="სასტუმრო ბირშტონასის დელეგაციისთვის",
                awaiting=["protocol_officer"],
                due_at=datetime.now(UTC) + timedelta(days=14),
                outcomes=["done", "waived"],
                report_to_case=True,
            ),
            id=task_id,
            task_queue=queue,
        )
        await wait_until(listed, what="the task in the protocol officer's inbox")
        await handle.execute_update(
            HumanTaskWorkflow.decide,
            TaskDecision(user=PROTOCOL.id, roles=["protocol_officer"], outcome="done"),
        )
    # The worker is gone before the workflow could tell its case and close.

    async def gone() -> bool:
        return not await listed()

    await wait_until(gone, timeout=3, what="the decided task out of the inbox")
    # Out of the inbox by the decision itself: the search attributes are unset among the
    # commands of the workflow task that completed the update, not by a later close. (The
    # history says so whether or not the stopping worker took one more task.)
    events = [event async for event in handle.fetch_history_events()]
    kinds = [event.event_type for event in events]
    completed = kinds.index(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
    task_done = max(
        i for i in range(completed) if kinds[i] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    assert not {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
    } & set(kinds[:completed])
    upserts = [
        event.upsert_workflow_search_attributes_event_attributes.search_attributes
        for event in events[task_done:completed]
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    unset = {name for attributes in upserts for name in attributes.indexed_fields}
    assert {AWAITING.name, ASSIGNEE.name} <= unset
    description = await handle.describe()
    if description.status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate("the test ended")
