"""A decided task leaves the inbox with the decision, not when its workflow gets round to
closing: under load the close waits for the case to hear of it, which took seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from meria.auth import User
from meria.temporal import connect
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
    # The worker is gone: the workflow stays open, waiting to tell its case.

    async def gone() -> bool:
        return not await listed()

    await wait_until(gone, timeout=3, what="the decided task out of the inbox")
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    await handle.terminate("the test ended")
