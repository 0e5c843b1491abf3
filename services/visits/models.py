"""The visits service's tables: partners, visits with their members, programme, logistics
tasks, budget and report, agreements, international projects, the history of every
change, and the bus outbox and inbox beside them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata
from meria.idempotency import define_idempotency_table

Money = Numeric(14, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
idempotency_keys = define_idempotency_table(Base.metadata)


class Partner(Base):
    """A sister or partner city, a Georgian municipality, NALAG, an international
    organisation, a foundation or an NGO the mayor's office works with."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # The register is read by name, a page at a time.
    name_ka: Mapped[str] = mapped_column(String(300), index=True)
    name_en: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    # The organisation's contact desk (an office address, not a person's private data).
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(300))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    partnership_since: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Visit(Base):
    """An incoming delegation or an outgoing visit of the mayor's office."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(30), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    purpose_ka: Mapped[str] = mapped_column(Text)
    purpose_en: Mapped[str | None] = mapped_column(Text)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(200))
    places: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    arrival_on: Mapped[date] = mapped_column(Date, index=True)
    departure_on: Mapped[date] = mapped_column(Date)
    # When known, the hour the delegation lands or leaves: the visit begins and ends then
    # rather than at midnight.
    arrives_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    departs_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responsible: Mapped[str | None] = mapped_column(String(200))
    press_editor: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_reason: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    press_release_document_id: Mapped[int | None] = mapped_column(Integer)
    members_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_member_count: Mapped[int | None] = mapped_column(Integer)

    partner: Mapped[Partner | None] = relationship(lazy="selectin")
    members: Mapped[list[Member]] = relationship(
        back_populates="visit", order_by="Member.id", lazy="selectin", cascade="all"
    )
    programme: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="visit",
        order_by="(ProgrammeItem.starts_at, ProgrammeItem.id)",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    tasks: Mapped[list[LogisticsTask]] = relationship(
        back_populates="visit",
        order_by="(LogisticsTask.due_at, LogisticsTask.id)",
        lazy="selectin",
        cascade="all",
    )
    budget: Mapped[list[BudgetLine]] = relationship(
        back_populates="visit",
        order_by="BudgetLine.id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    report: Mapped[VisitReport | None] = relationship(lazy="selectin", cascade="all")

    @property
    def workflow_id(self) -> str:
        return f"visit-{self.id}"


class Member(Base):
    """A member of a delegation: personal data, seen by protocol roles only and deleted
    when the retention period after the visit ends."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(300))
    position: Mapped[str | None] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(300))
    country: Mapped[str | None] = mapped_column(String(2))
    delegation_role: Mapped[str] = mapped_column(String(40))
    dietary_needs: Mapped[str | None] = mapped_column(String(500))
    access_needs: Mapped[str | None] = mapped_column(String(500))
    interpretation_language: Mapped[str | None] = mapped_column(String(10))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    visit: Mapped[Visit] = relationship(back_populates="members", lazy="selectin")


class ProgrammeItem(Base):
    __tablename__ = "programme_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    place_ka: Mapped[str] = mapped_column(String(500))
    place_en: Mapped[str | None] = mapped_column(String(500))
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    # iCalendar's SEQUENCE: calendars replace an event they already hold when it grows.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    visit: Mapped[Visit] = relationship(back_populates="programme")


class LogisticsTask(Base):
    """One logistics task of a visit, from its checklist or added by hand."""

    __tablename__ = "logistics_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    title_ka: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_role: Mapped[str] = mapped_column(String(40))
    anchor: Mapped[str] = mapped_column(String(10))
    offset_days: Mapped[int] = mapped_column(Integer)
    # A due date set by hand moves with the dates by as much as its anchor moves.
    due_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    visit: Mapped[Visit] = relationship(back_populates="tasks")

    __table_args__ = (UniqueConstraint("visit_id", "key", name="uq_logistics_tasks_visit_key"),)

    @property
    def task_id(self) -> str:
        return f"visit-{self.visit_id}-task-{self.key}"


class BudgetLine(Base):
    """A line of a visit's budget in lari, planned and (afterwards) actual."""

    __tablename__ = "budget_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    description_ka: Mapped[str] = mapped_column(String(500))
    description_en: Mapped[str | None] = mapped_column(String(500))
    planned_gel: Mapped[Decimal] = mapped_column(Money)
    actual_gel: Mapped[Decimal | None] = mapped_column(Money)
    notes: Mapped[str | None] = mapped_column(Text)

    visit: Mapped[Visit] = relationship(back_populates="budget")


class VisitReport(Base):
    """What the visit achieved: outcomes, agreements reached, follow-up actions with owners."""

    __tablename__ = "visit_reports"

    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), primary_key=True)
    outcomes_ka: Mapped[str] = mapped_column(Text)
    outcomes_en: Mapped[str | None] = mapped_column(Text)
    agreements_reached_ka: Mapped[str | None] = mapped_column(Text)
    agreements_reached_en: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    written_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VisitHistoryEntry(Base):
    """Every decision and change of a visit: who, when, what, from what to what, and why."""

    __tablename__ = "visit_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    task_key: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the workflow's activity sent; a retried activity finds its entry instead of
    # writing a second one.
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class Agreement(Base):
    """A memorandum, twinning or cooperation agreement with a partner."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    parties: Mapped[list[str]] = mapped_column(JSON, default=list)
    signed_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    renewal_notice_days: Mapped[int] = mapped_column(Integer, default=90)
    status: Mapped[str] = mapped_column(String(20), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    # The expiry date whose renewal was last announced: a new term is announced again.
    renewal_reminded_for: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    partner: Mapped[Partner] = relationship(lazy="selectin")


class Project(Base):
    """An international project, from the idea through its funding application to its
    implementation and reports."""

    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    donor_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    donor: Mapped[str] = mapped_column(String(300))
    call: Mapped[str | None] = mapped_column(String(500))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(30), index=True)
    summary_ka: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))
    partner_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # What the municipality (or another source it names) puts in beside the donor's grant,
    # in the project's currency.
    cofinancing: Mapped[Decimal | None] = mapped_column(Money)
    cofinancing_source: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    donor_partner: Mapped[Partner | None] = relationship(lazy="selectin")
    deadlines: Mapped[list[ProjectDeadline]] = relationship(
        back_populates="project",
        order_by="(ProjectDeadline.due_on, ProjectDeadline.id)",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    tranches: Mapped[list[ProjectTranche]] = relationship(
        back_populates="project",
        order_by="(ProjectTranche.expected_on, ProjectTranche.id)",
        lazy="selectin",
        cascade="all, delete-orphan",
    )
    documents: Mapped[list[ProjectDocument]] = relationship(
        back_populates="project",
        order_by="ProjectDocument.id",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class ProjectDeadline(Base):
    """A date a project must meet: the application's submission, an interim or final report."""

    __tablename__ = "project_deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    met_on: Mapped[date | None] = mapped_column(Date)
    # Days-before thresholds already announced (e.g. [14, 3]), so each goes out once.
    reminded_days: Mapped[list[int]] = mapped_column(JSON, default=list)

    project: Mapped[Project] = relationship(back_populates="deadlines", lazy="selectin")


class ProjectTranche(Base):
    """A part of the grant the donor pays on a date (or on a report's approval), in the
    project's currency; received once the money is in the municipality's account."""

    __tablename__ = "project_tranches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    title_ka: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money)
    expected_on: Mapped[date] = mapped_column(Date)
    received_on: Mapped[date | None] = mapped_column(Date)

    project: Mapped[Project] = relationship(back_populates="tranches")


class ProjectDocument(Base):
    """A document of a project kept where the department keeps files (the concept note,
    the application, the budget, the contract, a report): its title and its address."""

    __tablename__ = "project_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(1000))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship(back_populates="documents")


class TourismFigure(Base):
    """One monthly figure for the tourism statistics: a metric (defined in the settings)
    at a place, for visitors from a country ("" for all), in a month."""

    __tablename__ = "tourism_figures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    place: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2), default="")
    metric: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("tourism_imports.id"))
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("month", "place", "country", "metric", name="uq_tourism_figure"),
    )


class TourismImport(Base):
    """A CSV file of figures imported whole (a file with an error imports nothing)."""

    __tablename__ = "tourism_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TourismPriority(Base):
    """A tourism priority the department sets (wine tourism, Tusheti's mountain season…)."""

    __tablename__ = "tourism_priorities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_ka: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description_ka: Mapped[str | None] = mapped_column(Text)
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TourismProposal(Base):
    """A programme or project proposal the department prepares for a priority, with the
    statistics it cites and, when it seeks outside funding, its international project."""

    __tablename__ = "tourism_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    priority_id: Mapped[int] = mapped_column(ForeignKey("tourism_priorities.id"), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ka: Mapped[str | None] = mapped_column(Text)
    budget_gel: Mapped[Decimal] = mapped_column(Money)
    funding_source: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), index=True)
    statistics_cited: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    priority: Mapped[TourismPriority] = relationship(lazy="selectin")
