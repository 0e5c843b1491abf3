"""Events of the events service: official events (ceremonies, meetings, press conferences,
festivals) as they are scheduled, changed, postponed, moved, cancelled and held, and the
reminders and overdue notices of meetings' follow-up actions and other event tasks.

The website's calendar is built from the event facts (public events only); participants
never travel on the bus. Staff are named by account id; officials, who are public
figures, by name. Subscribers on different subjects may see them out of order:
`changed_at` says which fact is the newer.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from meria.contracts.base import Event, LocalizedText, PhotoRef


class OfficialRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(examples=["mayor"])
    name: LocalizedText


class EventFacts(Event):
    """What every event about an official event tells: the event as it is now."""

    event_id: int = Field(gt=0)
    case_id: int = Field(gt=0, description="The first event of a rescheduled chain")
    kind: str = Field(examples=["press_conference", "festival", "foundation_meeting"])
    state: str = Field(examples=["scheduled", "postponed", "cancelled"])
    title: LocalizedText
    description: LocalizedText | None = None
    place: LocalizedText | None = None
    starts_at: datetime
    ends_at: datetime
    public: bool = Field(description="On the website's calendar; internal events are not")
    officials: list[OfficialRef] = Field(default_factory=list)
    series_id: int | None = None
    visit_id: int | None = Field(None, description="The visit whose programme item it is")
    revision: int = Field(ge=0)
    changed_at: datetime
    photos: list[PhotoRef] = Field(
        default_factory=list, description="The event's gallery, from the media library"
    )
    video_url: str | None = Field(None, description="Its recording, from an allowed host")


class EventScheduled(EventFacts):
    """An event was announced: scheduled, or scheduled at a new date in place of another."""

    subject = "events.event.scheduled"

    rescheduled_from: int | None = None


class EventUpdated(EventFacts):
    """An announced event changed: its title, place, officials or description."""

    subject = "events.event.updated"

    changed: list[str] = Field(examples=[["title", "place"]])


class EventPostponed(EventFacts):
    """The event is postponed until further notice."""

    subject = "events.event.postponed"

    reason: str


class EventRescheduled(EventFacts):
    """The event moved to a new date: this one stays on record, and the event at the new
    date (announced by its own `events.event.scheduled`) takes its place."""

    subject = "events.event.rescheduled"

    reason: str
    new_event_id: int
    new_starts_at: datetime
    new_ends_at: datetime


class EventCancelled(EventFacts):
    """The event is cancelled, with the reason."""

    subject = "events.event.cancelled"

    reason: str


class EventCompleted(EventFacts):
    """The event took place."""

    subject = "events.event.completed"


class ActionNotice(Event):
    """An event about one follow-up action of a meeting."""

    action_id: int = Field(gt=0)
    event_id: int = Field(gt=0)
    case_id: int = Field(gt=0)
    event_title: LocalizedText
    title: LocalizedText
    owner: str
    awaiting: list[str]
    due_at: datetime
    task_id: str = Field(examples=["meeting-12-task-action-3"])


class ActionReminderDue(ActionNotice):
    """Half an action's time is gone and it is still open: its owner is reminded."""

    subject = "events.action.reminder_due"


class ActionOverdue(ActionNotice):
    """An action passed its due date: the head of department is told."""

    subject = "events.action.overdue"


class EventTaskNotice(Event):
    """An event about another task of an event: a briefing note, the minutes, the press
    release or transcript after a press conference."""

    task_id: str = Field(examples=["meeting-12-task-briefing"])
    step: str = Field(examples=["briefing", "minutes", "press_release", "transcript"])
    event_id: int = Field(gt=0)
    case_id: int = Field(gt=0)
    event_title: LocalizedText
    responsible: str | None = None
    awaiting: list[str]
    due_at: datetime


class EventTaskReminderDue(EventTaskNotice):
    """Half a task's time is gone and it is still open: whoever it waits on is reminded."""

    subject = "events.task.reminder_due"


class EventTaskOverdue(EventTaskNotice):
    """A task passed its due time: the head of department is told."""

    subject = "events.task.overdue"
