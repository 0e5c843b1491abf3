"""What the events service tells a press conference's or a meeting's workflow when staff
postpone, move or cancel the event: Updates carrying the verified user, so the
workflow's validators say who may, and what the workflows answer about their tasks."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Actor(BaseModel):
    """A person acting on the event, as the events service verified them."""

    user: str
    roles: list[str]


class Reasoned(Actor):
    reason: str = Field(min_length=1)


class Moved(Reasoned):
    """The event at its new date: a new event of the same case."""

    event_id: int
    starts_at: datetime
    ends_at: datetime


class OpenTask(BaseModel):
    task_id: str
    key: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime
    escalated: bool = False


class DecisionRecord(BaseModel):
    key: str
    outcome: str
    decided_by: str
    decided_at: datetime
    comment: str | None = None


class CaseStatus(BaseModel):
    """Where a press conference's or a meeting's workflow stands."""

    case_id: int
    event_id: int
    stage: str
    awaiting: list[str]
    due_at: datetime | None
    tasks: list[OpenTask]
    decisions: list[DecisionRecord]
    starts_at: datetime | None
    ends_at: datetime | None
    advisory_document_id: int | None = None
    notice_document_id: int | None = None
    reminders_sent: list[str] = Field(default_factory=list)


PLANNERS = ("protocol_officer", "media_officer", "head_of_department", "editor")
