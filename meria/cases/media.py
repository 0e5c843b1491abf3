"""The contract between the media service and the workflows of its cases: a media
response's (`MediaResponseWorkflow`, `media-response-<id>`) and an information
request's (`InformationRequestWorkflow`, `information-request-<id>`). What the workflows
read of a case, the transitions they record, what staff send them through the service,
and what they answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from meria.cases import Actor, Handler
from meria.inputs import Moment

MEDIA_RESPONSE = "MediaResponseWorkflow"
INFORMATION_REQUEST = "InformationRequestWorkflow"


# Media responses.


class ResponseCase(BaseModel):
    """What the media response workflow needs to run."""

    response_id: int
    subject: str
    status: str
    owner: str | None
    created_by: str
    due_at: datetime
    approval_required: bool
    approval_hours: float
    channel: str | None
    drafted_by: str | None
    document_id: int | None
    mailing_id: int | None


class ResponseTransition(BaseModel):
    action: Literal[
        "draft_submitted", "changes_requested", "approved", "published", "sent", "cancelled"
    ]
    actor: str
    comment: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: Moment | None = Field(None, description="When it happened, by the workflow's clock")


class StatementDraft(BaseModel):
    """The statement to create in the publishing service, in its author's name."""

    title_ka: str
    title_en: str | None
    summary_ka: str | None
    body_ka: str
    body_en: str | None
    author: str
    document_id: int | None


class ResponseInput(BaseModel):
    response_id: int


class Cancellation(Actor):
    """Who cancels the response, as the media service verified them, and why."""

    reason: str = Field(min_length=3)


class OpenStep(BaseModel):
    task_id: str
    step: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime
    escalated: bool = False


class StepRecord(BaseModel):
    step: str
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None = None
    escalated: bool = False


class ResponseWorkflowStatus(BaseModel):
    response_id: int
    stage: str
    awaiting: list[str]
    due_at: datetime | None
    task: OpenStep | None
    decisions: list[StepRecord]
    round: int
    document_id: int | None = None
    mailing_id: int | None = None


# Information requests.


class InformationCase(BaseModel):
    """What the information request workflow needs to run."""

    request_id: int
    title: str
    status: str
    owner: str | None
    requester: str
    needed_by: datetime


class InformationTransition(BaseModel):
    action: Literal["answered", "declined", "withdrawn"]
    actor: str
    comment: str | None = None
    at: Moment | None = None


class InformationRequestInput(BaseModel):
    request_id: int


class Withdrawal(Actor):
    """Who withdraws the request, as the media service verified them, and why."""

    reason: str = Field(min_length=3)


class OpenAnswer(BaseModel):
    task_id: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime
    escalated: bool = False


class InformationWorkflowStatus(BaseModel):
    request_id: int
    stage: str
    awaiting: list[str]
    due_at: datetime | None
    task: OpenAnswer | None
    outcome: str | None = None
    decided_by: str | None = None


RESPONSE_STATUS = Handler("status", ResponseWorkflowStatus)
CANCEL_RESPONSE = Handler("cancel", ResponseWorkflowStatus)
INFORMATION_STATUS = Handler("status", InformationWorkflowStatus)
WITHDRAW_REQUEST = Handler("withdraw", InformationWorkflowStatus)
