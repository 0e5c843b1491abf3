"""The contract between the visits service and the delegation visit workflow
(`DelegationVisitWorkflow`, `visit-<id>`): what the workflow reads of a visit and its
logistics tasks, the transitions it records, what staff send it through the service,
and what it answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from meria import cases
from meria.cases import Actor, DecisionRecord, Handler, Reasoned
from meria.cases.tasks import TaskResult

VISIT = "DelegationVisitWorkflow"


class TaskSpec(BaseModel):
    """A logistics task as the visit workflow runs it."""

    key: str
    title_ka: str
    owner: str | None
    owner_role: str
    due_at: datetime
    required: bool
    status: str = "open"


class VisitCase(BaseModel):
    visit_id: int
    subject: str
    status: str
    kind: str
    arrival_on: date
    departure_on: date
    arrival_at: datetime = Field(description="Midnight of the arrival day, Tbilisi time")
    end_at: datetime = Field(description="Midnight after the departure day, Tbilisi time")
    created_by: str
    responsible: str | None
    tasks: list[TaskSpec]
    approval_hours: float
    readiness_gate_days: float
    report_due_days: float
    report_written: bool
    press_release_document_id: int | None
    history_limit: int


class PressReleaseDraft(BaseModel):
    """What the press release about a visit's results says, from its report."""

    title_ka: str
    title_en: str | None
    summary_ka: str
    summary_en: str | None
    body_ka: str
    body_en: str | None
    author: str
    document_id: int | None


class TaskOutcome(cases.TaskOutcome):
    outcome: Literal["done", "waived", "cancelled"]


class DatesMoved(Reasoned):
    """New dates as the visits service recorded them, with every task's new due time."""

    arrival_at: datetime
    end_at: datetime
    dues: dict[str, datetime] = Field(default_factory=dict)


class TaskAmendment(Actor):
    """A logistics task added or changed by staff (owner, due time, required or not)."""

    task: TaskSpec


class OpenTask(BaseModel):
    task_id: str
    key: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime
    required: bool
    escalated: bool = False


class Carried(BaseModel):
    """What a visit's workflow hands to itself when it continues as new."""

    stage: str
    arrival_at: datetime
    end_at: datetime
    specs: dict[str, TaskSpec] | None
    open: dict[str, OpenTask]
    outcomes: dict[str, str]
    amended: dict[str, TaskSpec]
    decisions: list[DecisionRecord]
    gate_reported: bool
    round: int
    approval: TaskResult | None = None
    press_release_document_id: int | None = None


class VisitInput(BaseModel):
    visit_id: int
    carried: Carried | None = None


class VisitWorkflowStatus(BaseModel):
    visit_id: int
    stage: str
    awaiting: list[str]
    due_at: datetime | None
    tasks: list[OpenTask]
    decisions: list[DecisionRecord]
    arrival_at: datetime | None
    end_at: datetime | None
    gate_at: datetime | None
    press_release_document_id: int | None = None
    continued: int = 0


STATUS = Handler("status", VisitWorkflowStatus)
CHANGE_DATES = Handler("change_dates", VisitWorkflowStatus)
POSTPONE = Handler("postpone", VisitWorkflowStatus)
CANCEL = Handler("cancel", VisitWorkflowStatus)
AMEND_TASK = Handler("amend_task", VisitWorkflowStatus)
