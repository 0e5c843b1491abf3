"""DocumentPublicationWorkflow: a submitted edition of a document, through to publication.

One workflow per submitted edition (`document-<id>-edition-<n>`). Today it waits until
the requested publication time and asks the publishing service to publish the edition;
the approval route (legal review, head of department, the mayor's signature) and
withdrawal are added in front of that wait.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from meria.temporal import STAGE
    from workflows.activities.publishing import PublishEdition, PublishingActivities


class PublicationInput(BaseModel):
    document_id: int
    edition: int
    publish_at: datetime | None = None


class PublicationState(BaseModel):
    document_id: int
    edition: int
    stage: str
    publish_at: datetime | None
    published_at: datetime | None = None


@workflow.defn
class DocumentPublicationWorkflow:
    @workflow.init
    def __init__(self, request: PublicationInput) -> None:
        self._state = PublicationState(
            document_id=request.document_id,
            edition=request.edition,
            stage="submitted",
            publish_at=request.publish_at,
        )

    @workflow.run
    async def run(self, request: PublicationInput) -> PublicationState:
        if request.publish_at is not None and request.publish_at > workflow.now():
            self._enter("scheduled")
            # A durable timer: the publication happens at the time asked for even if every
            # process restarts in between.
            await workflow.sleep(request.publish_at - workflow.now())
        self._enter("publishing")
        published = await workflow.execute_activity_method(
            PublishingActivities.publish_edition,
            PublishEdition(document_id=request.document_id, edition=request.edition),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        self._state.published_at = published.published_at
        self._enter("published")
        return self._state

    @workflow.query
    def state(self) -> PublicationState:
        return self._state

    def _enter(self, stage: str) -> None:
        self._state.stage = stage
        workflow.upsert_search_attributes([STAGE.value_set(stage)])
