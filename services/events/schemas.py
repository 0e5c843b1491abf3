"""What the events API accepts and returns (the table models never leave the service).

The press-conference and meeting workflows' activities are this API's clients and use
these same models. Times are aware datetimes (any offset; stored in UTC, shown in
Tbilisi time); a time without its zone is refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from meria.inputs import Id, Moment, NotNull
from meria.pictures import MAX_PHOTOS, PhotoChoice

EventKind = Literal[
    "ceremony",
    "official_meeting",
    "foundation_meeting",
    "press_conference",
    "festival",
    "tourism_event",
    # A programme item of an approved visit, kept in step with the visits service.
    "visit_programme",
]
EVENT_KINDS: tuple[str, ...] = EventKind.__args__  # type: ignore[attr-defined]
CreatableKind = Literal[
    "ceremony",
    "official_meeting",
    "foundation_meeting",
    "press_conference",
    "festival",
    "tourism_event",
]
MEETING_KINDS = frozenset({"official_meeting", "foundation_meeting"})
Scope = Literal["this", "following", "all"]
FollowUpKind = Literal["press_release", "transcript"]
ParticipantKind = Literal["official", "guest", "partner", "journalist", "staff"]
Rsvp = Literal["pending", "accepted", "declined", "tentative"]
StaffRole = Literal[
    "editor", "head_of_department", "mayor", "protocol_officer", "media_officer", "legal_reviewer"
]
Account = Field(min_length=1, max_length=200, pattern=r"^[\w.@-]+$")
OfficialCode = Field(pattern=r"^[a-z0-9_-]{2,40}$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Venues and officials.


class VenueCreate(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    address_ka: str | None = Field(None, max_length=500)
    address_en: str | None = Field(None, max_length=500)
    capacity: int = Field(gt=0, le=100_000)


class VenueUpdate(Strict):
    name_ka: NotNull[str] = Field(None, min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    address_ka: str | None = Field(None, max_length=500)
    address_en: str | None = Field(None, max_length=500)
    capacity: NotNull[int] = Field(None, gt=0, le=100_000)


class VenuePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name_ka: str
    name_en: str | None
    address_ka: str | None
    address_en: str | None
    capacity: int


class OfficialUpdate(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    position_ka: str | None = Field(None, max_length=300)
    position_en: str | None = Field(None, max_length=300)


class OfficialPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_ka: str
    name_en: str | None
    position_ka: str | None
    position_en: str | None


# Events.


class Recurrence(Strict):
    rrule: str = Field(
        min_length=6,
        max_length=500,
        description="RFC 5545 RRULE in Tbilisi wall time, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        examples=["FREQ=WEEKLY;BYDAY=MO;COUNT=10", "FREQ=MONTHLY;BYDAY=1FR;UNTIL=20271231"],
    )


class EventDetails(Strict):
    """What every event says of itself, in Georgian (required) and English."""

    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    description_ka: str | None = Field(None, max_length=20_000)
    description_en: str | None = Field(None, max_length=20_000)
    organiser_ka: str | None = Field(None, max_length=300)
    organiser_en: str | None = Field(None, max_length=300)
    partner_ka: str | None = Field(
        None, max_length=300, description="The foundation or NGO met (meetings)"
    )
    partner_en: str | None = Field(None, max_length=300)
    partner_id: Id | None = Field(
        None, description="The partner in the visits service's register (GET /partners)"
    )
    responsible: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Account of the staff member who carries it: the press officer of a "
        "press conference, the author of a meeting's briefing note and minutes",
    )
    follow_up_kind: FollowUpKind | None = Field(
        None, description="What is due after a press conference (press release by default)"
    )
    venue_id: Id | None = None
    place_ka: str | None = Field(None, max_length=500, description="Where, when not a venue")
    place_en: str | None = Field(None, max_length=500)
    starts_at: Moment
    ends_at: Moment
    public: bool = Field(False, description="Shown on the website's calendar and public feed")
    expected_attendance: int | None = Field(None, ge=0, le=1_000_000)
    officials: list[str] = Field(
        default_factory=list, max_length=30, description="Codes of the officials taking part"
    )

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> EventDetails:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if len(set(self.officials)) != len(self.officials):
            raise ValueError("an official is named twice")
        return self


class EventCreate(EventDetails):
    kind: CreatableKind
    recurrence: Recurrence | None = None
    schedule: bool = Field(False, description="Announce it at once (scheduled, not a draft)")
    conflict_override_reason: str | None = Field(
        None, min_length=3, max_length=2000, description="Book despite a conflict, and why"
    )

    @model_validator(mode="after")
    def _fits_its_kind(self) -> EventCreate:
        if self.kind == "foundation_meeting" and not self.partner_ka:
            raise ValueError("a meeting with a foundation or NGO names it (partner_ka)")
        if self.follow_up_kind and self.kind != "press_conference":
            raise ValueError("follow_up_kind belongs to press conferences")
        return self


class EventPictures(Strict):
    """An event's gallery (library photos, each with its alt text) and its recording."""

    photos: list[PhotoChoice] = Field(default_factory=list, max_length=MAX_PHOTOS)
    video_url: str | None = Field(
        None, max_length=1000, description="Embedded from an allowed video host"
    )


class EventUpdate(Strict):
    """Changes to an event; with `scope`, to its series too."""

    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    description_ka: str | None = Field(None, max_length=20_000)
    description_en: str | None = Field(None, max_length=20_000)
    organiser_ka: str | None = Field(None, max_length=300)
    organiser_en: str | None = Field(None, max_length=300)
    partner_ka: str | None = Field(None, max_length=300)
    partner_en: str | None = Field(None, max_length=300)
    partner_id: Id | None = None
    responsible: str | None = Field(None, min_length=1, max_length=200)
    follow_up_kind: FollowUpKind | None = None
    venue_id: Id | None = None
    place_ka: str | None = Field(None, max_length=500)
    place_en: str | None = Field(None, max_length=500)
    starts_at: NotNull[Moment] = Field(
        None, description="A draft's new time; a scheduled event moves by reschedule"
    )
    ends_at: NotNull[Moment] = None
    public: NotNull[bool] = None
    expected_attendance: int | None = Field(None, ge=0, le=1_000_000)
    officials: NotNull[list[str]] = Field(None, max_length=30)
    scope: Scope = Field("this", description="This event, this and the following, or all")
    conflict_override_reason: str | None = Field(None, min_length=3, max_length=2000)


class Scheduling(Strict):
    scope: Scope = "this"
    conflict_override_reason: str | None = Field(None, min_length=3, max_length=2000)


class Reasoned(Strict):
    reason: str = Field(min_length=3, max_length=5000)
    scope: Scope = "this"


class Rescheduling(Strict):
    """A new date: the event stays on record as rescheduled and a new one takes its place.
    For a series, the new time of this occurrence; the others in scope move by as much."""

    starts_at: Moment
    ends_at: Moment
    reason: str = Field(min_length=3, max_length=5000)
    scope: Scope = "this"
    conflict_override_reason: str | None = Field(None, min_length=3, max_length=2000)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Rescheduling:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class SeriesPublic(BaseModel):
    id: int
    rrule: str
    starts_at: datetime
    split_from_id: int | None


class EventPublic(BaseModel):
    id: int
    case_id: int
    kind: str
    state: str
    title_ka: str
    title_en: str | None
    description_ka: str | None
    description_en: str | None
    organiser_ka: str | None
    organiser_en: str | None
    partner_ka: str | None
    partner_en: str | None
    partner_id: int | None = None
    responsible: str | None
    follow_up_kind: str | None
    venue: VenuePublic | None
    place_ka: str | None
    place_en: str | None
    starts_at: datetime
    ends_at: datetime
    public: bool
    expected_attendance: int | None
    officials: list[OfficialPublic]
    photos: list[PhotoChoice] = Field(default_factory=list)
    video_url: str | None = None
    series: SeriesPublic | None
    recurrence_id: datetime | None
    detached: bool
    rescheduled_from_id: int | None
    rescheduled_to_id: int | None
    status_reason: str | None
    revision: int
    source: str
    visit_id: int | None
    advisory_document_id: int | None
    notice_document_id: int | None
    follow_up_document_id: int | None
    follow_up_closed_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    workflow_id: str | None
    allowed_actions: list[str]


class EventSummary(BaseModel):
    """An event as lists and the month view show it."""

    id: int
    case_id: int
    kind: str
    state: str
    title_ka: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    public: bool
    venue_id: int | None
    place_ka: str | None
    place_en: str | None
    officials: list[str]
    series_id: int | None
    source: str


class EventPage(BaseModel):
    items: list[EventSummary]
    total: int
    limit: int
    offset: int


class EventChanges(BaseModel):
    """What a change touched: the event asked about first, then the others in scope."""

    events: list[EventPublic]


class Conflict(BaseModel):
    event_id: int
    title_ka: str
    title_en: str | None
    starts_at: datetime
    ends_at: datetime
    state: str
    on: Literal["venue", "official"]
    venue_id: int | None = None
    official_code: str | None = None


class ConflictCheck(Strict):
    starts_at: Moment
    ends_at: Moment
    venue_id: Id | None = None
    officials: list[str] = Field(default_factory=list, max_length=30)
    exclude_event_id: Id | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> ConflictCheck:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class HistoryEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    event_id: int
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str | None
    details: dict[str, object]


# People, agenda, minutes, briefing notes and follow-up actions.


class ParticipantCreate(Strict):
    kind: ParticipantKind
    full_name: str = Field(min_length=1, max_length=300)
    organisation: str | None = Field(None, max_length=300)
    position: str | None = Field(None, max_length=300)
    email: str | None = Field(None, max_length=300, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ParticipantUpdate(Strict):
    kind: NotNull[ParticipantKind] = None
    full_name: NotNull[str] = Field(None, min_length=1, max_length=300)
    organisation: str | None = Field(None, max_length=300)
    position: str | None = Field(None, max_length=300)
    email: str | None = Field(None, max_length=300, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ParticipantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    kind: str
    full_name: str
    organisation: str | None
    position: str | None
    email: str | None
    invited_at: datetime | None
    invitation_status: str | None = Field(
        None, description="The invitation's email: pending, sent or failed"
    )
    invitation_error: str | None = None
    invitation_sent_at: datetime | None = None
    rsvp_url: str | None = Field(None, description="The invitee's personal link, once invited")
    rsvp: str
    rsvp_at: datetime | None
    rsvp_note: str | None


class Invitation(BaseModel):
    participant_id: int
    invited_at: datetime
    rsvp_url: str = Field(description="The invitee answers here, without an account")
    invitation_status: str = Field(
        description="The email: pending until the SMTP server accepts it; none without an "
        "address (the link is then handed over some other way)"
    )


class RsvpAnswer(Strict):
    response: Literal["accepted", "declined", "tentative"]
    note: str | None = Field(None, max_length=1000)


class RsvpCount(BaseModel):
    pending: int
    accepted: int
    declined: int
    tentative: int


class AgendaItemIn(Strict):
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    presenter: str | None = Field(None, max_length=300)
    duration_minutes: int | None = Field(None, gt=0, le=24 * 60)


class AgendaReplace(Strict):
    items: list[AgendaItemIn] = Field(max_length=60)


class AgendaItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    position: int
    title_ka: str
    title_en: str | None
    presenter: str | None
    duration_minutes: int | None


class MinutesWrite(Strict):
    minutes_ka: str = Field(min_length=1, max_length=200_000)
    minutes_en: str | None = Field(None, max_length=200_000)


class MinutesPublic(BaseModel):
    event_id: int
    minutes_ka: str | None
    minutes_en: str | None
    minutes_by: str | None
    minutes_at: datetime | None


class BriefingWrite(Strict):
    body_ka: str = Field(min_length=1, max_length=200_000)
    body_en: str | None = Field(None, max_length=200_000)


class BriefingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: int
    author: str | None
    due_at: datetime
    body_ka: str | None
    body_en: str | None
    status: str
    updated_by: str | None
    updated_at: datetime | None
    submitted_by: str | None
    submitted_at: datetime | None


class ActionCreate(Strict):
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    owner: str = Account
    owner_role: StaffRole = "protocol_officer"
    due_at: Moment


class ActionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    event_id: int
    title_ka: str
    title_en: str | None
    owner: str
    owner_role: str
    due_at: datetime
    status: str
    closed_by: str | None
    closed_at: datetime | None
    close_note: str | None
    reminded_at: datetime | None
    overdue_at: datetime | None


class ActionCompletion(Strict):
    notes: str | None = Field(None, max_length=5000)


class ActionDrop(Strict):
    reason: str = Field(min_length=3, max_length=5000)


class PressFollowUp(Strict):
    """The press release or transcript after a press conference is done."""

    document_id: Id | None = Field(
        None, description="The press release or transcript in the publishing service"
    )
    note: str | None = Field(None, max_length=5000)


class CalendarLink(BaseModel):
    name: str
    title_ka: str
    title_en: str
    url: str


# What the workflows' activities exchange with the service.


class DocumentRecord(Strict):
    purpose: Literal["advisory", "notice"]
    document_id: Id
