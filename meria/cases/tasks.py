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


class TaskReassignment(BaseModel):
    """A task handed to a named person, with a note for them (who may: its validator)."""

    user: str
    roles: list[str]
    to: str = Field(min_length=1, max_length=100)
    note: str = Field(min_length=1, max_length=2000)


class TaskFollowUp(BaseModel):
    """When the task's holder means to look at it again; until then it waits outside
    their inbox's first list. None takes the date away."""

    user: str
    roles: list[str]
    at: datetime | None


class TaskNote(BaseModel):
    """A line of the task's own story: who handed it to whom, and why."""

    at: datetime
    by: str
    text: str
    assigned_to: str | None = None


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
    follow_up_at: datetime | None = None
    notes: list[TaskNote] = []


DECIDE = Handler("decide", TaskResult)
CLAIM = Handler("claim", TaskState)
UNCLAIM = Handler("unclaim", TaskState)
REASSIGN = Handler("reassign", TaskState)
FOLLOW_UP = Handler("follow_up", TaskState)
STATE = Handler("state", TaskState)
