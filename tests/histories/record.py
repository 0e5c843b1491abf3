"""Record histories of each workflow's scenarios, from the code as it is now.

    .venv/bin/python -m tests.histories.record

Writes `tests/histories/<scenario>.json` for every scenario that has no file yet: the
histories already committed were recorded from earlier code and stay as they are, so
the replay test keeps proving that today's code can continue those cases.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from meria.servers import binary
from meria.temporal import register_search_attributes
from workflows.activities.publishing import PublishedEdition, PublishEdition
from workflows.publication import DocumentPublicationWorkflow, PublicationInput
from workflows.worker import WORKFLOWS, sandbox_runner

HERE = Path(__file__).parent


@activity.defn(name="publishing.publish_edition")
async def publish_edition(request: PublishEdition) -> PublishedEdition:
    return PublishedEdition(
        document_id=request.document_id,
        edition=request.edition,
        published_at=activity.info().current_attempt_scheduled_time,
    )


Scenario = Callable[[Client, str, WorkflowEnvironment], Awaitable[str]]


async def publication_immediately(client: Client, queue: str, _: WorkflowEnvironment) -> str:
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=1, edition=1),
        id=f"document-1-edition-1-{queue}",
        task_queue=queue,
    )
    await handle.result()
    return handle.id


async def publication_scheduled(client: Client, queue: str, env: WorkflowEnvironment) -> str:
    publish_at = await env.get_current_time() + timedelta(days=2)
    handle = await client.start_workflow(
        DocumentPublicationWorkflow.run,
        PublicationInput(document_id=2, edition=1, publish_at=publish_at),
        id=f"document-2-edition-1-{queue}",
        task_queue=queue,
    )
    await handle.result()
    return handle.id


SCENARIOS: dict[str, Scenario] = {
    "document_publication-immediately": publication_immediately,
    "document_publication-scheduled": publication_scheduled,
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
            activities=[publish_edition],
            workflow_runner=sandbox_runner(),
        ):
            for name, scenario in SCENARIOS.items():
                path = HERE / f"{name}.json"
                if path.exists():
                    continue
                workflow_id = await scenario(env.client, queue, env)
                history = await env.client.get_workflow_handle(workflow_id).fetch_history()
                path.write_text(history.to_json(), encoding="utf-8")
                print(f"recorded {path.relative_to(HERE.parent.parent)}")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
