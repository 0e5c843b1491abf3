"""The human task's contract: what a case's workflow starts a HumanTaskWorkflow with,
what a service sends it for the person who decides or claims, and what it answers.

Every piece of waiting work for a person is one of these tasks (`workflows/human_task.py`);
a service reaches one by its workflow id and the handlers named here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from meria.cases import Handler

HUMAN_TASK = "HumanTaskWorkflow"
"""The workflow type of every task."""


class TaskInput(BaseModel):
    task_id: str
    case_workflow_id: str
    case_ref: str = Field(description="The case, e.g. document:42")
    service: str = Field(description="Whose API hears the reminders and escalation")
    notice_path: str
    step: str
    subject: str
    awaiting: list[str] = Field(description="Roles that may decide")
    assignee: str | None = Field(None, description="The one person who decides, if named")
    author: str | None = Field(None, description="Never decides on their own case")
    revision: int = 1
    due_at: datetime
    escalate_to: str | None = None
    outcomes: list[str] = Field(default_factory=lambda: ["approve", "reject", "request_changes"])
    reason_required_for: list[str] = Field(
        default_factory=list, description="Outcomes that need a comment (a waiver, a refusal)"
    )
    report_to_case: bool = Field(
        False,
        description="Signal the case's workflow `task_finished` with the result, so a case "
        "that continues as new still hears of tasks it started",
    )


class TaskDecision(BaseModel):
    """A decision as the owning service verified it: the user and roles from their token."""

    user: str
    roles: list[str]
    outcome: str
    comment: str | None = None
    revision: int | None = None
    receipt: str | None = Field(
        None, description="The owning service's signed record of this decision (meria.auth)"
    )


class TaskResult(BaseModel):
    task_id: str
    step: str
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None = None
    escalated: bool = False
    receipt: str | None = None


class TaskEscalation(BaseModel):
    """What a task tells its case's workflow when its deadline passes."""

    task_id: str
    awaiting: list[str]


class TaskChange(BaseModel):
    """What the case's workflow changes in an open task: its due time (the visit's dates
    moved) or who it is assigned to."""

    due_at: datetime | None = None
    assignee: str | None = None


class TaskClaim(BaseModel):
    user: str
    roles: list[str]


class TaskState(BaseModel):
    task_id: str
    case_ref: str
    step: str
    subject: str
    awaiting: list[str]
    assignee: str | None
    claimed_by: str | None
    due_at: datetime
    reminded: bool
    escalated: bool
    revision: int
    result: TaskResult | None


DECIDE = Handler("decide", TaskResult)
CLAIM = Handler("claim", TaskState)
UNCLAIM = Handler("unclaim", TaskState)
STATE = Handler("state", TaskState)
