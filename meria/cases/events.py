"""The contract between the events service and the workflows of its cases: a press
conference's (`PressConferenceWorkflow`, `press-conference-<case id>`) and a meeting's
(`MeetingWorkflow`, `meeting-<case id>`). What the workflows read of an event, the
transitions they record, what staff send them through the service when they postpone,
move or cancel the event, and what the workflows answer about their tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from meria import cases
from meria.cases import Actor, DecisionRecord, Handler, Reasoned

PRESS_CONFERENCE = "PressConferenceWorkflow"
MEETING = "MeetingWorkflow"


class ActionSpec(BaseModel):
    id: int
    key: str
    title_ka: str
    owner: str
    owner_role: str
    due_at: datetime
    status: str


class EventCase(BaseModel):
    """What a press conference's or a meeting's workflow needs, read at its start and
    after each transition it records."""

    event_id: int = Field(description="The case's current event (a new date, a new event)")
    case_id: int
    kind: str
    state: str
    subject: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    public: bool
    responsible: str | None
    created_by: str
    follow_up_kind: str | None
    reminder_lead_hours: float
    accreditation_closes_hours: float
    follow_up_due_hours: float
    briefing_required: bool
    briefing_due_at: datetime | None
    briefing_status: str | None
    minutes_due_hours: float
    minutes_written: bool
    follow_up_closed: bool
    advisory_document_id: int | None
    notice_document_id: int | None
    actions: list[ActionSpec]


class AnnouncementDraft(BaseModel):
    """A media advisory or a notice of cancellation, ready for the publishing service."""

    purpose: Literal["advisory", "notice"]
    author: str
    document_id: int | None
    title_ka: str
    title_en: str | None
    summary_ka: str
    summary_en: str | None
    body_ka: str
    body_en: str | None


class TransitionRequest(cases.TransitionRequest):
    action: Literal["complete", "close_follow_up"]


class PressConferenceInput(BaseModel):
    case_id: int
    event_id: int


class MeetingInput(BaseModel):
    case_id: int
    event_id: int


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


class NewAction(Actor):
    """A follow-up action staff recorded, as the events service stored it."""

    action: ActionSpec


STATUS = Handler("status", CaseStatus)
POSTPONE = Handler("postpone", CaseStatus)
RESCHEDULE = Handler("reschedule", CaseStatus)
CANCEL = Handler("cancel", CaseStatus)
ADD_ACTION = Handler("add_action", CaseStatus)
