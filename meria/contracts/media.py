"""Events of the media service: accreditation, monitoring items, media responses and press
distribution.

Journalists are named by their id only: their names and contact details are personal
data that stays in the media service (whoever may see them asks it). Outlets are
organisations and are named.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from meria.contracts.base import Event, LocalizedText


class AccreditationEvent(Event):
    """What every accreditation event names: the request, the event it is for, the
    journalist (by id) and their outlet."""

    accreditation_id: int = Field(gt=0)
    event_id: int = Field(gt=0, description="The press conference or event (events service)")
    journalist_id: int = Field(gt=0)
    outlet_id: int | None = None
    outlet: LocalizedText | None = None
    role: str = Field(examples=["journalist", "camera_operator"])


class AccreditationRequested(AccreditationEvent):
    """A journalist asked to attend, through staff or the public form."""

    subject = "media.accreditation.requested"

    source: str = Field(examples=["staff", "public_form"])


class AccreditationApproved(AccreditationEvent):
    """The request was approved: the journalist gets a badge with a QR code."""

    subject = "media.accreditation.approved"

    decided_by: str


class AccreditationRefused(AccreditationEvent):
    """The request was refused (or an approval taken back); the reason stays in the
    service, on the journalist's record."""

    subject = "media.accreditation.refused"

    decided_by: str


class MonitoringItemRecorded(Event):
    """Something an outlet published about the municipality was recorded, by staff or
    from the outlet's feed."""

    subject = "media.item.recorded"

    item_id: int = Field(gt=0)
    outlet_id: int = Field(gt=0)
    outlet: LocalizedText
    medium: str = Field(examples=["tv", "online"])
    published_on: date
    title: str
    link: str | None = None
    topic: str | None = None
    source: str = Field(examples=["staff", "feed"])
    response_needed: bool = False


class ResponseEvent(Event):
    """What every media response event names: the response, what it answers, its owner."""

    response_id: int = Field(gt=0)
    item_id: int | None = None
    enquiry_id: int | None = None
    subject_text: str = Field(description="What the response is about (a story's title)")
    owner: str | None = Field(None, description="Account id of the staff member who drafts it")


class ResponseRequested(ResponseEvent):
    """A response is needed; its draft is due by `due_at`."""

    subject = "media.response.requested"

    due_at: datetime
    requested_by: str


class ResponseSubmitted(ResponseEvent):
    """The owner submitted the draft; it waits for the head of department."""

    subject = "media.response.submitted"

    drafted_by: str
    channel: str


class ResponseChangesRequested(ResponseEvent):
    """The head of department sent the draft back to its owner."""

    subject = "media.response.changes_requested"

    decided_by: str


class ResponseApproved(ResponseEvent):
    """The response was approved (or needed no approval) and goes out now."""

    subject = "media.response.approved"

    decided_by: str
    channel: str


class ResponsePublished(ResponseEvent):
    """The response became a statement, created and submitted in the publishing service."""

    subject = "media.response.published"

    document_id: int
    on_time: bool


class ResponseSent(ResponseEvent):
    """The response was emailed to the outlet or the journalist who asked."""

    subject = "media.response.sent"

    mailing_id: int
    on_time: bool


class ResponseCancelled(ResponseEvent):
    """No response after all; the reason stays in the service."""

    subject = "media.response.cancelled"

    cancelled_by: str


class ResponseReminderDue(ResponseEvent):
    """Half of a response step's time has passed."""

    subject = "media.response.reminder_due"

    task_id: str
    step: str
    awaiting: list[str]
    due_at: datetime


class ResponseEscalated(ResponseEvent):
    """A response step's deadline passed; the head of department is told and may act."""

    subject = "media.response.escalated"

    task_id: str
    step: str
    awaiting: list[str]
    due_at: datetime


class DistributionSent(Event):
    """Every recipient of a mailing has its outcome: sent, bounced, failed, unsubscribed
    (not sent: the journalist unsubscribed after the mailing was made) or suppressed (not
    sent: the address bounced before, or the journalist was erased)."""

    subject = "media.distribution.sent"

    mailing_id: int = Field(gt=0)
    kind: str = Field(examples=["release", "accreditation_reminder", "response"])
    document_id: int | None = None
    edition: int | None = None
    document_type: str | None = None
    event_id: int | None = None
    recipients: int = Field(ge=0)
    sent: int = Field(ge=0)
    bounced: int = Field(ge=0)
    failed: int = Field(ge=0)
    suppressed: int = Field(0, ge=0)
    unsubscribed: int = Field(0, ge=0)


class InformationRequestEvent(Event):
    """What every information request event names: the request, who asked (an account of
    the municipal council or a mayor's office service) and what about."""

    request_id: int = Field(gt=0)
    requester: str = Field(description="Account id of whoever asked")
    requester_unit: str = Field(examples=["საკრებულოს აპარატი"])
    title: str
    needed_by: datetime


class InformationRequestReceived(InformationRequestEvent):
    """The department received a request to find and select information; it is a task
    for the department with its deadline."""

    subject = "media.information_request.received"

    sources: list[str] = Field(default_factory=list)


class InformationRequestAnswered(InformationRequestEvent):
    """The answer (text and files) went back to the requester."""

    subject = "media.information_request.answered"

    answered_by: str
    files: int = Field(ge=0)
    on_time: bool


class InformationRequestDeclined(InformationRequestEvent):
    """The department cannot answer (not its information, or not held); the reason goes
    back to the requester."""

    subject = "media.information_request.declined"

    declined_by: str
    reason: str


class InformationRequestWithdrawn(InformationRequestEvent):
    """The requester no longer needs the information."""

    subject = "media.information_request.withdrawn"

    withdrawn_by: str


class InformationRequestOverdue(InformationRequestEvent):
    """The request's deadline passed unanswered; the head of department is told."""

    subject = "media.information_request.overdue"

    task_id: str
    awaiting: list[str]
