"""The events service's tables: official events with their series, venues and officials,
the bookings that conflict detection reads, participants and invitations, agenda, minutes,
briefing notes and follow-up actions, the history of every change, the visits it mirrors,
and the bus outbox and inbox beside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata
from meria.idempotency import define_idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
idempotency_keys = define_idempotency_table(Base.metadata)


class Venue(Base):
    """A place events are held: the city hall's conference hall, the culture house, a square."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Listed by name, a page at a time.
    name_ka: Mapped[str] = mapped_column(String(300), index=True)
    name_en: Mapped[str | None] = mapped_column(String(300))
    address_ka: Mapped[str | None] = mapped_column(String(500))
    address_en: Mapped[str | None] = mapped_column(String(500))
    capacity: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Official(Base):
    """An official of the municipality whose time events book: the mayor, a deputy, the
    chair of the council. Public figures: their names travel on the bus."""

    __tablename__ = "officials"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    position_ka: Mapped[str | None] = mapped_column(String(300))
    position_en: Mapped[str | None] = mapped_column(String(300))


class Series(Base):
    """A recurring event: its rule (RFC 5545 RRULE, expanded in Tbilisi wall time) from
    its first start. The occurrences are events of their own; a series split by an edit
    to "this and following" ends where its successor begins."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rrule: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int] = mapped_column(Integer)
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Event(Base):
    """An official event of the municipality, or one occurrence of a recurring one.

    A rescheduled event keeps its row (state `rescheduled`, linked to its successor); the
    successor carries the case on (`case_id`, the first event's id), so a press
    conference's or a meeting's workflow follows it to its new date.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    description_ka: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    organiser_ka: Mapped[str | None] = mapped_column(String(300))
    organiser_en: Mapped[str | None] = mapped_column(String(300))
    # For a meeting: the foundation or NGO met.
    partner_ka: Mapped[str | None] = mapped_column(String(300))
    partner_en: Mapped[str | None] = mapped_column(String(300))
    # The partner in the visits service's register, when picked from it (its names above
    # are copied at the time, so the event reads without asking that service).
    partner_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The staff member who carries it: the press officer of a press conference (advisory,
    # release), the author of a meeting's briefing note and minutes.
    responsible: Mapped[str | None] = mapped_column(String(200))
    follow_up_kind: Mapped[str | None] = mapped_column(String(20))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    place_ka: Mapped[str | None] = mapped_column(String(500))
    place_en: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    expected_attendance: Mapped[int | None] = mapped_column(Integer)
    # The gallery: library photos with their alt text (`meria.pictures.PhotoChoice`); and
    # the recording, from an allowed video host. Chosen at any stage, held or not.
    photos: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    video_url: Mapped[str | None] = mapped_column(String(1000))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    # The start the series' rule gave this occurrence (iCalendar's RECURRENCE-ID).
    recurrence_id: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changed on its own ("this one"): it no longer follows its series' rule exactly.
    detached: Mapped[bool] = mapped_column(Boolean, default=False)
    rescheduled_from_id: Mapped[int | None] = mapped_column(Integer)
    rescheduled_to_id: Mapped[int | None] = mapped_column(Integer)
    status_reason: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(20), default="staff")
    visit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    visit_item_id: Mapped[int | None] = mapped_column(Integer)
    advisory_document_id: Mapped[int | None] = mapped_column(Integer)
    notice_document_id: Mapped[int | None] = mapped_column(Integer)
    follow_up_document_id: Mapped[int | None] = mapped_column(Integer)
    follow_up_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes_ka: Mapped[str | None] = mapped_column(Text)
    minutes_en: Mapped[str | None] = mapped_column(Text)
    minutes_by: Mapped[str | None] = mapped_column(String(200))
    minutes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    venue: Mapped[Venue | None] = relationship(lazy="selectin")
    series: Mapped[Series | None] = relationship(lazy="selectin")
    officials: Mapped[list[EventOfficial]] = relationship(
        back_populates="event",
        order_by="EventOfficial.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="event",
        order_by="AgendaItem.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        # The month view and the feeds read by time; venue conflicts by venue and time.
        Index("ix_events_starts_at", "starts_at", "ends_at"),
        Index("ix_events_venue_starts", "venue_id", "starts_at"),
        # The feeds' fingerprint: the latest change of any event, from the index's end.
        Index("ix_events_updated_at", "updated_at"),
    )

    @property
    def case(self) -> int:
        return self.case_id or self.id

    @property
    def official_codes(self) -> list[str]:
        return [booking.official_code for booking in self.officials]


class EventOfficial(Base):
    """An official booked by an event. The event's times and whether it holds the time
    are copied here, so finding an official's conflicts reads one index."""

    __tablename__ = "event_officials"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    official_code: Mapped[str] = mapped_column(ForeignKey("officials.code"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    holds_time: Mapped[bool] = mapped_column(Boolean, default=True)

    event: Mapped[Event] = relationship(back_populates="officials")
    official: Mapped[Official] = relationship(lazy="selectin")

    __table_args__ = (Index("ix_event_officials_booking", "official_code", "starts_at"),)


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    presenter: Mapped[str | None] = mapped_column(String(300))
    duration_minutes: Mapped[int | None] = mapped_column(Integer)

    event: Mapped[Event] = relationship(back_populates="agenda")


class Participant(Base):
    """Someone invited to an event, with their answer. Personal data: it stays here."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The invitation's email: "pending" until the SMTP server accepts it ("sent"), or
    # "failed" with the server's answer; the sender reads pending ones by this index.
    invitation_status: Mapped[str | None] = mapped_column(String(20), index=True)
    invitation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    invitation_error: Mapped[str | None] = mapped_column(String(2000))
    invitation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    invitation_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rsvp: Mapped[str] = mapped_column(String(20), default="pending")
    rsvp_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rsvp_note: Mapped[str | None] = mapped_column(String(1000))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BriefingNote(Base):
    """The briefing note for the officials before a meeting with a foundation or an NGO:
    who the partner is, what they want, what the municipality asks. One per case."""

    __tablename__ = "briefing_notes"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    author: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body_ka: Mapped[str | None] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="due")
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FollowUpAction(Base):
    """Something a meeting decided that someone must do by a date: tracked until done,
    or dropped with a reason."""

    __tablename__ = "follow_up_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    owner: Mapped[str] = mapped_column(String(200), index=True)
    owner_role: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="open")
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_note: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HistoryEntry(Base):
    """Every change of an event: who, when, from what to what, and why."""

    __tablename__ = "event_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What a workflow's activity sent; a retried activity finds its entry instead.
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class VisitMirror(Base):
    """What the bus told of a visit: its latest programme and whether it is approved.
    Programme items of an approved visit become linked events; the two facts arrive on
    different subjects in any order, so each keeps the time of the event it came from."""

    __tablename__ = "visit_mirrors"

    visit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))
    status_as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    programme: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    programme_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime())
