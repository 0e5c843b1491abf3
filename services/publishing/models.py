"""Publishing's tables: documents, editions, attachments, the audit trail, approval routes,
the register of numbers, issuers, and the bus outbox and inbox beside them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata
from meria.idempotency import define_idempotency_table


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
idempotency_keys = define_idempotency_table(Base.metadata)


class Issuer(Base):
    """An official of the mayor's office who issues legal acts (the mayor, a deputy)."""

    __tablename__ = "issuers"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))


class Document(Base):
    """A document of the mayor's office: a legal act, press material, or a standing page.

    What it says lives in its editions; the document holds what does not change between
    editions: its type, its issuer, its register number once it has one, and for a web
    page its place in the site's navigation.
    """

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    issuer_code: Mapped[str | None] = mapped_column(ForeignKey("issuers.code"), index=True)
    slug: Mapped[str | None] = mapped_column(String(200), unique=True)
    nav_section: Mapped[str | None] = mapped_column(String(40))
    nav_order: Mapped[int | None] = mapped_column(Integer)
    register_number: Mapped[str | None] = mapped_column(String(40), index=True)
    register_year: Mapped[int | None] = mapped_column(Integer, index=True)
    register_sequence: Mapped[int | None] = mapped_column(Integer)
    external_registration_code: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A legal act whose entry into force waits on a condition: the day the condition was
    # met, recorded once by a legal reviewer (POST /documents/{id}/entry-into-force).
    condition_met_on: Mapped[date | None] = mapped_column(Date)
    # A standing page's keeping (services/publishing/standing.py): who owns it, how often
    # it is reviewed, when next, and when it last was and by whom.
    owner: Mapped[str | None] = mapped_column(String(200))
    review_every_months: Mapped[int | None] = mapped_column(Integer)
    next_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    # A publication taken down at a set time, by the worker, with this reason.
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    unpublish_reason: Mapped[str | None] = mapped_column(Text)
    unpublish_scheduled_by: Mapped[str | None] = mapped_column(String(200))

    editions: Mapped[list[Edition]] = relationship(
        back_populates="document", order_by="Edition.number", lazy="selectin"
    )
    issuer: Mapped[Issuer | None] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint(
            "document_type", "issuer_code", "register_year", "register_sequence",
            name="uq_documents_register",
        ),
        # The register's order (issuer, type, year, number): a page of it, however deep,
        # is read along this index instead of sorting every numbered act.
        Index(
            "ix_documents_register_order",
            "issuer_code", "document_type", "register_year", "register_sequence",
            sqlite_where=text("register_number IS NOT NULL"),
            postgresql_where=text("register_number IS NOT NULL"),
        ),
    )  # fmt: skip


class Edition(Base):
    """One version of a document's text, moving from draft to publication.

    A published edition never changes; a change is a new edition with a change note.
    """

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(30), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ka: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    body_ka: Mapped[str] = mapped_column(Text, default="")
    body_en: Mapped[str | None] = mapped_column(Text)
    translation_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    # Library photos with their alt text (`meria.pictures.PhotoChoice`), and a video.
    photos: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list)
    video_url: Mapped[str | None] = mapped_column(String(1000))
    change_note: Mapped[str | None] = mapped_column(Text)
    change_kind: Mapped[str | None] = mapped_column(String(20))
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    date_signed: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    force_published: Mapped[bool] = mapped_column(Boolean, default=False)
    review_pending_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    publication_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signature: Mapped[str | None] = mapped_column(String(200))
    public_explanation: Mapped[str | None] = mapped_column(Text)
    redirect_url: Mapped[str | None] = mapped_column(String(1000))
    # A legal act's entry into force: on its publication, on a day, or on a condition (its
    # text in Georgian and English). None for documents that are not legal acts.
    entry_into_force: Mapped[str | None] = mapped_column(String(12))
    entry_into_force_on: Mapped[date | None] = mapped_column(Date)
    entry_condition_ka: Mapped[str | None] = mapped_column(Text)
    entry_condition_en: Mapped[str | None] = mapped_column(Text)
    # A consolidated text: the day it states the act as of, the amending acts (their
    # document ids) it applies that no consolidated text before it applied, and exactly
    # which of their changes ([document id, kind, [articles]]): an act may amend an
    # article now and repeal another later, applied by two consolidated texts.
    consolidated_as_of: Mapped[date | None] = mapped_column(Date)
    incorporates: Mapped[list[int]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    incorporated_changes: Mapped[list[list[Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )

    document: Mapped[Document] = relationship(back_populates="editions", lazy="selectin")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="edition", order_by="Attachment.id", lazy="selectin"
    )
    changes: Mapped[list[ActChange]] = relationship(
        back_populates="edition",
        order_by="ActChange.position",
        lazy="selectin",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_editions_document_number"),
        # At most one edition of a document that is not yet public.
        Index(
            "uq_editions_one_unpublished",
            "document_id",
            unique=True,
            sqlite_where=text(
                "state IN ('draft','submitted','in_review','changes_requested',"
                "'approved','scheduled','failed_to_publish')"
            ),
            postgresql_where=text(
                "state IN ('draft','submitted','in_review','changes_requested',"
                "'approved','scheduled','failed_to_publish')"
            ),
        ),
    )

    @property
    def workflow_id(self) -> str:
        return f"document-{self.document_id}-edition-{self.number}"


class Attachment(Base):
    """A file of an edition, stored under a generated name, known by its SHA-256."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    # Editions share a file they both carry: files never change once stored.
    stored_name: Mapped[str] = mapped_column(String(100), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The act's signed original (PAdES): who signed it, the name their certificate gives,
    # and when. A new edition is signed anew, so it never carries the old one's.
    signed_by: Mapped[str | None] = mapped_column(String(200))
    signer_name: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    edition: Mapped[Edition] = relationship(back_populates="attachments")

    @property
    def is_signed_original(self) -> bool:
        return self.signed_by is not None


class ActChange(Base):
    """What an edition of a legal act does to an earlier act: amends, repeals or suspends
    it, whole (no articles) or the named articles, from a day or, with none, from the day
    the changing act enters into force.

    The target is cited as it stood when the change was written (its register number,
    type and Georgian title), as an act cites the acts it changes.
    """

    __tablename__ = "act_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    target_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    target_register_number: Mapped[str | None] = mapped_column(String(40))
    target_document_type: Mapped[str] = mapped_column(String(40))
    target_title_ka: Mapped[str] = mapped_column(String(500))
    articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    effective_on: Mapped[date | None] = mapped_column(Date)

    edition: Mapped[Edition] = relationship(back_populates="changes")


class AuditEntry(Base):
    """Every decision and transition: who, when, from what to what, and why."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    edition_number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    step: Mapped[str | None] = mapped_column(String(60))
    comment: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the workflow's activity sent; a retried activity finds its entry instead of
    # writing a second one.
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class ApprovalRoute(Base):
    """The ordered approval steps for one document type; administrators edit them."""

    __tablename__ = "approval_routes"

    document_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RouteChange(Base):
    """One change of a document type's approval route: who, when, why, and the steps
    before and after (so any past route can be told)."""

    __tablename__ = "route_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    steps_before: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    steps_after: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class RegisterCounter(Base):
    """The last number given in one register: per issuer, document type and year."""

    __tablename__ = "register_counters"

    issuer_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
