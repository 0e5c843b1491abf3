"""Case contracts: what a service and the worker say to each other about a case.

A case (a document's edition, an event, a visit, a media response, an information
request, a month's digest) lives in its owning service and runs in a workflow on the
worker. Both sides import these models and neither imports the other: the service starts
the workflow and sends it Updates by the names written here, and the workflow's
activities call the service's case endpoints with the bodies written here. They cross
Temporal and HTTP by their field names, so a field renamed here is a change to every
running case and every recorded history.

This module holds what every case shares; `meria.cases.tasks` holds the human task, and
a module per kind of case its own inputs, answers and transitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from meria.inputs import Moment

WORKER = "meria-worker"
"""Who a transition names when the workflow did it itself."""

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Handler(Generic[Answer]):
    """A workflow's query or Update as a service calls it: by its name, with the type its
    answer is read into (`meria.temporal.query_status`, `send_update`)."""

    name: str
    answer: type[Answer]


def case_ref(kind: str, case_id: int | str) -> str:
    """The case a task or a search belongs to, e.g. `event:42` or `digest:2026-11`
    (`MeriaRef`): the service that starts the workflow and the workflow say it alike."""
    return f"{kind}:{case_id}"


class Actor(BaseModel):
    """A person acting on a case, as its service verified them from their token."""

    user: str
    roles: list[str]


class DecisionRecord(BaseModel):
    """A decision on one of a case's tasks, known by the task's key (an event's or a
    visit's checklist)."""

    key: str
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None = None


class Reasoned(Actor):
    """A person's change to a case that needs a reason (a postponement, a cancellation)."""

    reason: str = Field(min_length=1)


class Edge(BaseModel):
    """A body the worker posts to a service: a field too many is a mistake, not a
    newer sender, so it is refused."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TransitionRequest(Edge):
    """A transition a case's workflow records in its service."""

    action: str
    actor: str = Field(WORKER, min_length=1, max_length=200)
    reason: str | None = Field(None, max_length=5000)
    details: dict[str, Any] = Field(default_factory=dict)


class TaskOutcome(Edge):
    """How one of a case's tasks ended, for the service's record of it."""

    outcome: str = Field(pattern=r"^[a-z_]{2,30}$")
    actor: str = Field(min_length=1, max_length=200)
    comment: str | None = Field(None, max_length=5000)
    at: Moment


class TaskNotice(Edge):
    """A reminder or an escalation from a task's HumanTaskWorkflow, posted to its case's
    service (`<case path>/task-notices`), which turns it into an event."""

    kind: Literal["reminder", "escalation"]
    task_id: str
    step: str
    awaiting: list[str]
    due_at: Moment
