"""The contract between the publishing service and the workflows that keep a published
document after its publication: a standing page's review cycle (`PageReviewWorkflow`, id
`document-<id>-review`) and a scheduled unpublishing (`ScheduledUnpublishWorkflow`, id
`document-<id>-unpublish`). Both are started by the service with the plan as it stands
and told of every change by a signal carrying the new plan; both end when the document
is taken down."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from meria.cases import Handler
from meria.inputs import Id

PAGE_REVIEW = "PageReviewWorkflow"
SCHEDULED_UNPUBLISH = "ScheduledUnpublishWorkflow"
REVIEW_STEP = "page_review"
"""The step of a review task: the portal opens it on the document's page."""

ReviewOutcome = Literal["reviewed", "needs_changes"]
REVIEW_OUTCOMES: list[str] = ["reviewed", "needs_changes"]


def review_workflow_id(document_id: int) -> str:
    return f"document-{document_id}-review"


def unpublish_workflow_id(document_id: int) -> str:
    return f"document-{document_id}-unpublish"


class ReviewPlan(BaseModel):
    """A standing page's review as the service has it: who reviews it and when."""

    document_id: Id
    title: str
    owner: str
    next_review_at: datetime
    answer_within_hours: float = Field(
        14 * 24,
        gt=0,
        description="How long the owner has for a review once it is due; "
        "then the head of department is awaited too",
    )


class PageReviewInput(BaseModel):
    plan: ReviewPlan
    cycle: int = Field(1, description="The review's count, carried over continue-as-new")


class ReviewRecord(BaseModel):
    """A review the owner decided, as the workflow asks the service to record it; the
    person is named by the service's own receipt of their decision."""

    outcome: ReviewOutcome
    receipt: str | None = Field(None, max_length=4000)
    comment: str | None = Field(None, max_length=5000)


class PageReviewStatus(BaseModel):
    document_id: Id
    owner: str
    next_review_at: datetime
    cycle: int
    task_id: str | None = Field(None, description="The open review task, if one is due")


class UnpublishPlan(BaseModel):
    """When a publication is taken down."""

    document_id: Id
    at: datetime


REVIEW_STATUS = Handler("status", PageReviewStatus)
