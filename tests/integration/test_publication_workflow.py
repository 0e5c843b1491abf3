"""DocumentPublicationWorkflow on the time-skipping test server: the scheduled wait."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.activities.publishing import PublishedEdition, PublishEdition
from workflows.publication import DocumentPublicationWorkflow, PublicationInput
from workflows.worker import sandbox_runner

published: list[PublishEdition] = []


@activity.defn(name="publishing.publish_edition")
async def publish_edition_stub(request: PublishEdition) -> PublishedEdition:
    published.append(request)
    return PublishedEdition(
        document_id=request.document_id,
        edition=request.edition,
        published_at=activity.info().current_attempt_scheduled_time,
    )


async def test_a_scheduled_edition_waits_until_its_time(time_skipping: WorkflowEnvironment) -> None:
    client = time_skipping.client
    task_queue = f"publication-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[DocumentPublicationWorkflow],
        activities=[publish_edition_stub],
        workflow_runner=sandbox_runner(),
    ):
        submitted_at = await time_skipping.get_current_time()
        publish_at = submitted_at + timedelta(days=3)
        handle = await client.start_workflow(
            DocumentPublicationWorkflow.run,
            PublicationInput(document_id=42, edition=1, publish_at=publish_at),
            id=f"document-42-edition-1-{task_queue}",
            task_queue=task_queue,
        )
        result = await handle.result()

    # Three days passed in the workflow's clock, and then the edition was published once.
    assert result.stage == "published"
    assert [(item.document_id, item.edition) for item in published] == [(42, 1)]
    assert result.published_at is not None and result.published_at >= publish_at
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.COMPLETED
