"""The website's read model: what has been published, as the bus told it.

Nothing here is written except by the bus handlers (and `meria website rebuild`, which
replays the same events through the same handlers), so the site can always be rebuilt
from the streams.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)


class PublicDocument(Base):
    """A document as the public sees it now: its current public edition, or why it is gone."""

    __tablename__ = "public_documents"

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    edition: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(40))
    # published, withdrawn (still shown, explanation on top) or unpublished (410/redirect)
    status: Mapped[str] = mapped_column(String(20), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ka: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    body_html_ka: Mapped[str | None] = mapped_column(Text)
    body_html_en: Mapped[str | None] = mapped_column(Text)
    translation_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    issuer_code: Mapped[str | None] = mapped_column(String(40), index=True)
    issuer_name_ka: Mapped[str | None] = mapped_column(String(300))
    issuer_name_en: Mapped[str | None] = mapped_column(String(300))
    register_number: Mapped[str | None] = mapped_column(String(40), index=True)
    register_year: Mapped[int | None] = mapped_column(Integer, index=True)
    register_sequence: Mapped[int | None] = mapped_column(Integer)
    date_signed: Mapped[date | None] = mapped_column(Date)
    external_registration_code: Mapped[str | None] = mapped_column(String(100))
    slug: Mapped[str | None] = mapped_column(String(200), unique=True)
    nav_section: Mapped[str | None] = mapped_column(String(40))
    nav_order: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    first_published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    publication_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signature: Mapped[str | None] = mapped_column(String(200))
    signing_key_pem: Mapped[str | None] = mapped_column(Text)
    force_published: Mapped[bool] = mapped_column(Boolean, default=False)
    public_explanation: Mapped[str | None] = mapped_column(Text)
    redirect_url: Mapped[str | None] = mapped_column(String(1000))
    # Library photos as the bus gave them (`meria.contracts.PhotoRef`), the first on top;
    # each shown through the media service's public renditions. And a recording.
    photos: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    video_url: Mapped[str | None] = mapped_column(String(1000))
    # A standing page's last review by its owner ("Last reviewed" on the page).
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    # Lists and the registry pick their rows on these indexes alone and read whole rows
    # (about 4 KB of text each) only for the page shown; sorting whole rows read every
    # candidate's text. Each holds every column its queries filter and sort on.
    __table_args__ = (
        Index("ix_public_documents_listing", "document_type", "published_at", "status"),
        Index(
            "ix_public_documents_registry",
            "document_type",
            "date_signed",
            "register_sequence",
            "status",
            "issuer_code",
            "register_year",
            "register_number",
        ),
    )


class PublicEdition(Base):
    """Every edition ever published, for the edition history and authenticity checks."""

    __tablename__ = "public_editions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    edition: Mapped[int] = mapped_column(Integer)
    title_ka: Mapped[str] = mapped_column(String(500))
    change_note: Mapped[str | None] = mapped_column(Text)
    change_kind: Mapped[str | None] = mapped_column(String(10))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    publication_record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    signature: Mapped[str | None] = mapped_column(String(200))
    signing_key_pem: Mapped[str | None] = mapped_column(Text)
    # The roots that validate the signed original's certificate chain (PEM), as published
    # with the edition; the site serves them at /ca.pem and checks uploads against them.
    signing_ca_pem: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("document_id", "edition", name="uq_public_editions"),)


class PublicAttachment(Base):
    """A file of a published edition; the website keeps its own copy, checked by hash."""

    __tablename__ = "public_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attachment_id: Mapped[int] = mapped_column(Integer)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    edition: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_url: Mapped[str] = mapped_column(String(1000))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    fetch_error: Mapped[str | None] = mapped_column(String(500))
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set on a legal act's signed original (PAdES): its signer and when they signed.
    signer_name: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("document_id", "edition", "attachment_id", name="uq_public_attachments"),
    )


class SearchEntry(Base):
    """What search finds: one row per document and language, its words as stems."""

    __tablename__ = "search_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer, index=True)
    language: Mapped[str] = mapped_column(String(2))
    title: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    stems: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("document_id", "language", name="uq_search_entries"),
        Index("ix_search_entries_published", "published_at"),
    )


class PublicEvent(Base):
    """A public event of the municipality, for the calendar (filled by the events service)."""

    __tablename__ = "public_events"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    description_ka: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    place_ka: Mapped[str | None] = mapped_column(String(300))
    place_en: Mapped[str | None] = mapped_column(String(300))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(40))
    photos: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    video_url: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReadModelVersion(Base):
    """How often the read model has changed: one row, counted up in the transaction of
    every change, so each website process (and a rebuild run beside it) can tell that
    the pages it rendered are out of date."""

    __tablename__ = "read_model_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Legal acts as the law treats them (meria.legal_acts): when each entered into force,
# what later acts did to it, and the text of every edition, so any day's text can be shown.


class ActEntry(Base):
    """When a legal act enters into force, as its current edition says, and the day it did
    (or will): for `publication` the first day it was published (Tbilisi), for `date` the
    named day, for `condition` the day the condition was recorded as met. The row is also
    what every handler touching the act's changes locks first, so that a publication and
    the news of its condition met, applied side by side, see each other."""

    __tablename__ = "act_entries"

    document_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # The edition whose facts these are; None while only `DocumentEnteredIntoForce` is known.
    edition: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(12))  # publication, date or condition
    named_on: Mapped[date | None] = mapped_column(Date)
    condition_ka: Mapped[str | None] = mapped_column(Text)
    condition_en: Mapped[str | None] = mapped_column(Text)
    condition_met_on: Mapped[date | None] = mapped_column(Date)
    first_published_on: Mapped[date | None] = mapped_column(Date)
    in_force_on: Mapped[date | None] = mapped_column(Date)
    # The current edition is the act's consolidated text as it stands on this day.
    consolidated_as_of: Mapped[date | None] = mapped_column(Date)


class ActVersion(Base):
    """One published edition of a legal act, its own text kept: the text that stood from
    `valid_from` (a consolidated text's day, else the act's entry into force, else the
    edition's publication day)."""

    __tablename__ = "act_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(Integer)
    edition: Mapped[int] = mapped_column(Integer)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    body_html_ka: Mapped[str | None] = mapped_column(Text)
    body_html_en: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consolidated_as_of: Mapped[date | None] = mapped_column(Date)
    # The amending acts (document ids) a consolidated text applies.
    incorporates: Mapped[list[int]] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("document_id", "edition", name="uq_act_versions"),)


class ActChange(Base):
    """What one legal act (the changing act, as its current edition says) does to another:
    amends, repeals or suspends it, whole or some articles, from the day it names or else
    the day the changing act enters into force (`effective_on`, None while that waits)."""

    __tablename__ = "act_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changing_document_id: Mapped[int] = mapped_column(Integer)
    changing_edition: Mapped[int] = mapped_column(Integer)
    changing_document_type: Mapped[str] = mapped_column(String(40))
    changing_register_number: Mapped[str | None] = mapped_column(String(40))
    changing_title_ka: Mapped[str] = mapped_column(String(500))
    changing_title_en: Mapped[str | None] = mapped_column(String(500))
    target_document_id: Mapped[int] = mapped_column(Integer)
    target_register_number: Mapped[str] = mapped_column(String(40))
    target_document_type: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))  # amends, repeals or suspends
    articles: Mapped[list[str]] = mapped_column(JSON, default=list)
    whole: Mapped[bool] = mapped_column(Boolean)  # no articles named: the whole act
    named_on: Mapped[date | None] = mapped_column(Date)
    effective_on: Mapped[date | None] = mapped_column(Date)

    # "What changes act X (by a day)" and "what does act Y change".
    __table_args__ = (
        Index("ix_act_changes_target", "target_document_id", "effective_on", "kind", "whole"),
        Index("ix_act_changes_changing", "changing_document_id"),
    )
