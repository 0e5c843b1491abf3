"""Activities of a published document's keeping, through the publishing service's API:
recording a standing page's review, and taking a publication down at its time."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from meria.cases.pages import ReviewPlan, ReviewRecord, UnpublishPlan
from workflows.activities.clients import ServiceClient, activity_key


class RecordReview(BaseModel):
    document_id: int
    review: ReviewRecord


class PageActivities:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    @activity.defn(name="publishing.record_review")
    async def record_review(self, request: RecordReview) -> ReviewPlan:
        """The review recorded; the answer is the page's plan with its next date."""
        response = await self.client.request(
            "POST",
            f"/documents/{request.document_id}/reviews",
            idempotency_key=activity_key(),
            json=request.review.model_dump(mode="json"),
        )
        return ReviewPlan.model_validate(response.json())

    @activity.defn(name="publishing.unpublish_on_schedule")
    async def unpublish_on_schedule(self, plan: UnpublishPlan) -> None:
        await self.client.request(
            "POST",
            f"/documents/{plan.document_id}/scheduled-unpublication",
            idempotency_key=activity_key(),
            json=plan.model_dump(mode="json"),
        )
