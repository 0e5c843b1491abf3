"""The media service's tables: outlets and journalists with their consent, distribution
lists, accreditation windows and accreditations, mailings and their per-recipient
deliveries, media enquiries, monitoring items and feeds, responses, the media library,
each journalist's record, the public form's throttle counters, and the bus outbox and
inbox beside them."""

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from meria.bus import define_bus_tables
from meria.db import UTCDateTime, new_metadata
from meria.idempotency import define_idempotency_table
from meria.throttle import define_throttle_table


class Base(DeclarativeBase):
    metadata = new_metadata()


bus_tables = define_bus_tables(Base.metadata)
idempotency_keys = define_idempotency_table(Base.metadata)
# How many public form requests each address sent lately (meria.throttle).
throttle_counters = define_throttle_table(Base.metadata)


class Outlet(Base):
    """A newspaper, TV or radio station, online outlet or news agency."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    medium: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    # The newsroom's desk: an organisation's address, not a person's.
    newsroom_email: Mapped[str | None] = mapped_column(String(300))
    newsroom_phone: Mapped[str | None] = mapped_column(String(50))
    # Filled in by the public accreditation form; staff confirm it.
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# An erased journalist's name: one character, so no journalist can be given it (a name has
# two at least), and the row can stay where accreditations, deliveries and the record
# point to it, saying nothing of the person.
ERASED_NAME = "—"


class Journalist(Base):
    """A journalist, camera operator or editor the department is in touch with.

    Contact details are personal data (Georgia's Law on Personal Data Protection): they are
    kept on the grounds of a recorded consent and never travel on the bus.
    """

    __tablename__ = "journalists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    position: Mapped[str | None] = mapped_column(String(200))
    beats: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    email: Mapped[str | None] = mapped_column(String(300), index=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    notes: Mapped[str | None] = mapped_column(Text)
    # Set when the address refused mail for good (5xx); a new address clears it.
    email_bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by the one-click link in every release: no more releases to this address.
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    outlet: Mapped[Outlet | None] = relationship(lazy="selectin")
    consents: Mapped[list[Consent]] = relationship(
        back_populates="journalist", order_by="Consent.id", lazy="selectin"
    )

    # Journalists are listed by name a page at a time: from the index, without a sort.
    __table_args__ = (Index("ix_journalists_by_name", "full_name", "id"),)


class Consent(Base):
    """A consent to keep and use a journalist's contact details for one purpose, with its
    date and how it was given; withdrawing it is a date on the same record."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalists.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(40))
    wording: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    journalist: Mapped[Journalist] = relationship(back_populates="consents")


class DistributionList(Base):
    """Who receives what: a static list of journalists, or a rule over outlets' media,
    journalists' beats, languages and regions (all TV outlets, all who cover tourism).
    Its members are rows of `distribution_list_members`, counted here (services.media.lists)."""

    __tablename__ = "distribution_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Which published documents go to this list (press releases, media advisories).
    document_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # How many journalists are on the list, and how many of them a release reaches now.
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ListMember(Base):
    """A journalist on a list (named by a static list, or matching a rule list's rule),
    and whether a release reaches them now: an address, consent to press distribution,
    not unsubscribed, not bounced."""

    __tablename__ = "distribution_list_members"

    list_id: Mapped[int] = mapped_column(ForeignKey("distribution_lists.id"), primary_key=True)
    journalist_id: Mapped[int] = mapped_column(
        ForeignKey("journalists.id"), primary_key=True, index=True
    )
    reached: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        # A list's recipients, counted and paged in journalist order from the index alone.
        Index("ix_distribution_list_members_reached", "list_id", "reached", "journalist_id"),
    )


class AccreditationWindow(Base):
    """The period in which journalists may ask to attend one press conference or event
    of the events service (its id); the events service opens and closes it."""

    __tablename__ = "accreditation_windows"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10))
    close_reason: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Accreditation(Base):
    """One journalist's request to attend, its decision, badge and check-in at the door."""

    __tablename__ = "accreditations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("accreditation_windows.event_id"), index=True)
    journalist_id: Mapped[int] = mapped_column(ForeignKey("journalists.id"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"))
    # The outlet as the public form named it, until staff link it to a known one.
    outlet_name: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(30))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    # What the badge's QR code carries; unguessable, so a code cannot be made up at the door.
    badge_token: Mapped[str] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by: Mapped[str | None] = mapped_column(String(200))

    journalist: Mapped[Journalist] = relationship(lazy="selectin")
    outlet: Mapped[Outlet | None] = relationship(lazy="selectin")
    window: Mapped[AccreditationWindow] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("event_id", "journalist_id", name="uq_accreditations_event_journalist"),
    )


class Mailing(Base):
    """One message to many: a press release or media advisory to its lists, a reminder to
    the accredited journalists, an answer to an outlet. Its `key` makes asking twice
    harmless (the same publication, the same reminder)."""

    __tablename__ = "mailings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)
    edition: Mapped[int | None] = mapped_column(Integer)
    document_type: Mapped[str | None] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(Integer)
    subject_ka: Mapped[str] = mapped_column(String(500))
    subject_en: Mapped[str | None] = mapped_column(String(500))
    text_ka: Mapped[str] = mapped_column(Text, default="")
    text_en: Mapped[str | None] = mapped_column(Text)
    html_ka: Mapped[str | None] = mapped_column(Text)
    html_en: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(1000))
    list_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Releases carry the one-click unsubscribe link; a personal answer does not.
    unsubscribable: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the last delivery was settled (sent, bounced or failed) and the event told so.
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Subscriber(Base):
    """A citizen who asked for the municipality's news, legal acts (by type) or events by
    e-mail. Nothing but the confirmation is sent to an address until its owner confirms
    (double opt-in); an unsubscribed address keeps its row, so it is never mailed again
    by a late item, until its owner subscribes and confirms anew."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(300), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    # news, events, acts:<type> (services.media.citizens.TOPICS)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    cadence: Mapped[str] = mapped_column(String(10))  # immediate or daily
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last item a daily digest has told this subscriber of (SubscriptionItem.id).
    digest_through: Mapped[int] = mapped_column(Integer, default=0)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_subscribers_reached", "cadence", "confirmed_at", "unsubscribed_at", "id"),
    )


class SubscriptionItem(Base):
    """Something published that subscribers hear of (a document's edition, a public event),
    recorded once, as the bus told it, for the daily digests."""

    __tablename__ = "subscription_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)  # document:12:1, event:5
    topic: Mapped[str] = mapped_column(String(40), index=True)
    title_ka: Mapped[str] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    summary_ka: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(1000))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One message to one recipient: its stable Message-ID and what became of it."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id"), index=True)
    journalist_id: Mapped[int | None] = mapped_column(ForeignKey("journalists.id"), index=True)
    # A citizen's subscription mail: whose, so that an unsubscription stops it.
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id"), index=True)
    email: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5))
    message_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    smtp_answer: Mapped[str | None] = mapped_column(String(2000))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    mailing: Mapped[Mailing] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("mailing_id", "email", name="uq_deliveries_mailing_email"),
        Index("ix_deliveries_due", "status", "not_before", "id"),
        # A mailing's counts by status, from the index alone.
        Index("ix_deliveries_mailing_status", "mailing_id", "status"),
    )


class Enquiry(Base):
    """A journalist's question or interview request, logged with its outlet and deadline;
    its answer is a media response like any other."""

    __tablename__ = "enquiries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    journalist_id: Mapped[int | None] = mapped_column(ForeignKey("journalists.id"), index=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    question: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    logged_by: Mapped[str] = mapped_column(String(200))
    response_id: Mapped[int | None] = mapped_column(Integer)

    journalist: Mapped[Journalist | None] = relationship(lazy="selectin")
    outlet: Mapped[Outlet | None] = relationship(lazy="selectin")


class MonitoringFeed(Base):
    """An outlet's RSS or Atom feed, read on a schedule for items about the municipality."""

    __tablename__ = "monitoring_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(300))
    modified: Mapped[str | None] = mapped_column(String(100))
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(1000))
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    outlet: Mapped[Outlet] = relationship(lazy="selectin")


class MonitoringItem(Base):
    """What an outlet published about the municipality: a story, a broadcast, a post."""

    __tablename__ = "monitoring_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id"), index=True)
    published_on: Mapped[date] = mapped_column(Date, index=True)
    medium: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(1000))
    summary: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(60), index=True)
    officials_mentioned: Mapped[list[str]] = mapped_column(JSON, default=list)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    response_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(10))
    # The feed entry's id (or its link): the same story read twice is one item.
    guid: Mapped[str | None] = mapped_column(String(1000))
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("monitoring_feeds.id"))
    response_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    outlet: Mapped[Outlet] = relationship(lazy="selectin")

    __table_args__ = (
        UniqueConstraint("outlet_id", "guid", name="uq_monitoring_items_guid"),
        # Newest first, a page at a time, without sorting the whole table.
        Index("ix_monitoring_items_newest", "published_on", "id"),
    )


class MediaResponse(Base):
    """The department's answer to a story or an enquiry: drafted by its owner by a
    deadline, approved by the head of department, then published as a statement or sent
    to the outlet. `MediaResponseWorkflow` (`media-response-<id>`) runs it."""

    __tablename__ = "media_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitoring_items.id"), unique=True, index=True
    )
    enquiry_id: Mapped[int | None] = mapped_column(
        ForeignKey("enquiries.id"), unique=True, index=True
    )
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approval_required: Mapped[bool] = mapped_column(Boolean, default=True)
    channel: Mapped[str | None] = mapped_column(String(20))
    text_ka: Mapped[str | None] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    drafted_by: Mapped[str | None] = mapped_column(String(200))
    drafted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_id: Mapped[int | None] = mapped_column(Integer)
    mailing_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def workflow_id(self) -> str:
        return f"media-response-{self.id}"


class LibraryItem(Base):
    """A photo, video or file of the department's media library."""

    __tablename__ = "library_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    title_ka: Mapped[str | None] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    caption_ka: Mapped[str] = mapped_column(String(1000))
    caption_en: Mapped[str | None] = mapped_column(String(1000))
    author: Mapped[str] = mapped_column(String(200))
    taken_on: Mapped[date | None] = mapped_column(Date, index=True)
    place: Mapped[str | None] = mapped_column(String(300))
    # The people shown, as named; found through their keys (`LibraryKey`).
    people: Mapped[list[str]] = mapped_column(JSON, default=list)
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    visit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    licence: Mapped[str] = mapped_column(String(40))
    consent: Mapped[str] = mapped_column(String(30))
    consent_note: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(300))
    stored_name: Mapped[str] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    thumbnail_name: Mapped[str | None] = mapped_column(String(100))
    location_removed: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    # The library lists newest first: a page is read along this index, not sorted.
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LibraryKey(Base):
    """One search key of a library item: a word of its texts (`word`), of its place
    (`place`) or of a person shown (`person`), as the Georgian stemmer makes it, so that
    თბილისში finds თბილისის. A search is a lookup along (facet, key), never a scan."""

    __tablename__ = "library_keys"
    __table_args__ = (
        UniqueConstraint("item_id", "facet", "key"),
        Index("ix_library_keys_lookup", "facet", "key", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("library_items.id", ondelete="CASCADE"))
    facet: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(100))


class RecordEntry(Base):
    """Every fact about a journalist kept on their record: consents, accreditations and
    check-ins, enquiries, bounces, unsubscribing; and the idempotency keys of what the
    workflows and the events service asked for."""

    __tablename__ = "record_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journalist_id: Mapped[int | None] = mapped_column(ForeignKey("journalists.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    accreditation_id: Mapped[int | None] = mapped_column(Integer)
    enquiry_id: Mapped[int | None] = mapped_column(Integer)
    response_id: Mapped[int | None] = mapped_column(Integer, index=True)
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)


class InformationRequest(Base):
    """A request of the municipal council (Sakrebulo) or a mayor's office service for the
    department to find and select information: what, by when, where to look. The answer
    (text and files) goes back to whoever asked and is kept, so the next similar request
    starts from it. `InformationRequestWorkflow` (`information-request-<id>`) runs it."""

    __tablename__ = "information_requests"
    # Similar earlier answers are sought among the newest answered first, and the search
    # stops after a bounded number of candidates, however many years are kept.
    __table_args__ = (Index("ix_information_requests_answered", "status", "answered_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester: Mapped[str] = mapped_column(String(200), index=True)
    requester_name: Mapped[str] = mapped_column(String(300))
    requester_unit: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    question: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    needed_by: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), index=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_drafted_by: Mapped[str | None] = mapped_column(String(200))
    answered_by: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    close_reason: Mapped[str | None] = mapped_column(Text)
    search_keys: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    files: Mapped[list[InformationFile]] = relationship(
        lazy="selectin", order_by="InformationFile.id", cascade="all, delete-orphan"
    )
    entries: Mapped[list[InformationEntry]] = relationship(
        lazy="selectin", order_by="InformationEntry.id", cascade="all, delete-orphan"
    )

    @property
    def workflow_id(self) -> str:
        return f"information-request-{self.id}"


class InformationFile(Base):
    """A file of an answer, checked by its content and kept with its SHA-256."""

    __tablename__ = "information_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InformationEntry(Base):
    """One step in a request's life (received, answered, reminded, overdue, …), keyed
    so that a workflow activity retried after a crash records it once."""

    __tablename__ = "information_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str | None] = mapped_column(String(300), unique=True)
