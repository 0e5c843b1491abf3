"""Events of the visits service: delegations and foreign visits, their logistics, agreements
and international projects.

Staff are named by their account id only. Delegation members never travel on the bus:
an event says how many there are, and whoever may see them asks the visits service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from meria.contracts.base import Event, LocalizedText


class VisitEvent(Event):
    """What every event about a visit names: the visit, its title, its kind and dates, and
    the staff member responsible for it (the portal tells them)."""

    visit_id: int = Field(gt=0)
    title: LocalizedText
    kind: str = Field(examples=["incoming_official", "outgoing_study"])
    direction: str = Field(examples=["incoming", "outgoing"])
    arrival_on: date
    departure_on: date
    responsible: str | None = Field(None, description="Account id of the protocol officer")


class VisitRequested(VisitEvent):
    """A visit was requested: an incoming delegation or an outgoing visit awaits the mayor."""

    subject = "visits.visit.requested"

    requested_by: str
    partner_id: int | None = None
    country: str = Field(examples=["PL", "LT"])


class VisitApproved(VisitEvent):
    """The mayor approved the visit; its logistics tasks start."""

    subject = "visits.visit.approved"

    approved_by: str


class ProgrammeEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    title: LocalizedText
    place: LocalizedText


class VisitProgrammeChanged(VisitEvent):
    """The visit's programme changed; the event carries it whole (no personal data)."""

    subject = "visits.visit.programme_changed"

    programme: list[ProgrammeEntry]


class VisitRescheduled(VisitEvent):
    """The visit's dates changed, and with them the due dates of its open tasks."""

    subject = "visits.visit.rescheduled"

    previous_arrival_on: date
    previous_departure_on: date
    changed_by: str


class OpenTaskRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    title: LocalizedText
    owner: str | None
    due_at: datetime


class VisitNotReady(VisitEvent):
    """The readiness gate found required tasks still open: the head of department gets
    the list."""

    subject = "visits.visit.not_ready"

    open_tasks: list[OpenTaskRef]
    awaiting: list[str] = Field(default_factory=lambda: ["head_of_department"])


class VisitReady(VisitEvent):
    """Every required logistics task is done or waived with a reason."""

    subject = "visits.visit.ready"


class VisitPostponed(VisitEvent):
    """The visit was postponed: to new dates (in the event's dates), or until further notice."""

    subject = "visits.visit.postponed"

    postponed_by: str
    reason: str
    until_further_notice: bool


class VisitCancelled(VisitEvent):
    """The visit was cancelled (or the mayor declined it); its open tasks are closed."""

    subject = "visits.visit.cancelled"

    cancelled_by: str
    reason: str
    declined: bool = False


class VisitCompleted(VisitEvent):
    """The visit took place, its report is written and its press release is on its way."""

    subject = "visits.visit.completed"

    press_release_document_id: int | None = None
    member_count: int = Field(ge=0)
    budget_planned_gel: Decimal
    budget_actual_gel: Decimal


class VisitTaskEvent(VisitEvent):
    """An event about one logistics task of a visit."""

    task_key: str
    task_id: str = Field(examples=["visit-7-task-accommodation"])
    task_title: LocalizedText
    owner: str | None = None
    awaiting: list[str]
    due_at: datetime


class VisitTaskReminderDue(VisitTaskEvent):
    """Half a task's time is gone and it is still open: its owner is reminded."""

    subject = "visits.task.reminder_due"


class VisitTaskOverdue(VisitTaskEvent):
    """A task passed its due date: it is escalated to the head of department."""

    subject = "visits.task.overdue"

    escalated_to: list[str] = Field(default_factory=lambda: ["head_of_department"])


class AgreementRenewalDue(Event):
    """An agreement with a partner expires soon: time to renew it or let it lapse."""

    subject = "visits.agreement.renewal_due"

    agreement_id: int = Field(gt=0)
    partner_id: int = Field(gt=0)
    partner_name: LocalizedText
    title: LocalizedText
    kind: str = Field(examples=["memorandum", "twinning"])
    expires_on: date
    days_left: int


class ProjectDeadlineDue(Event):
    """A project's deadline (its application, a report) falls due soon."""

    subject = "visits.project.deadline_due"

    project_id: int = Field(gt=0)
    deadline_id: int = Field(gt=0)
    title: LocalizedText
    deadline_kind: str = Field(examples=["application", "interim_report", "final_report"])
    deadline_title: LocalizedText
    donor: str
    stage: str
    due_on: date
    days_left: int
    responsible: str | None = None


class TourismStatisticsImported(Event):
    """Monthly tourism figures were imported from a CSV file (all of its lines)."""

    subject = "visits.tourism_statistics.imported"

    import_id: int = Field(gt=0)
    filename: str
    rows: int = Field(ge=1)
    months: list[str] = Field(description="The months the file has figures for")
    metrics: list[str]
    imported_by: str


class ProposalEvent(Event):
    """What every tourism proposal event names: the proposal and the priority it serves."""

    proposal_id: int = Field(gt=0)
    priority_id: int = Field(gt=0)
    title: LocalizedText
    status: str
    budget_gel: Decimal
    funding_source: str
    project_id: int | None = None


class ProposalCreated(ProposalEvent):
    """A programme or project proposal was registered."""

    subject = "visits.proposal.created"

    created_by: str


class ProposalStatusChanged(ProposalEvent):
    """A proposal moved on (drafted, submitted, approved, rejected, implemented)."""

    subject = "visits.proposal.status_changed"

    previous_status: str
    changed_by: str
