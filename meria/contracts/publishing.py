"""Events of the publishing service: documents and their editions on their way to the public.

Staff are named by their account id only; comments made during review stay in the
service. What is public once published (the text, the register data, the attachments'
addresses and hashes, the signed publication record) travels in full, because the
website builds its pages from these events alone.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from meria.contracts.base import Event, LocalizedText, PhotoRef


class EditionEvent(Event):
    """What every publishing event names: the document, its edition and its type."""

    document_id: int = Field(gt=0)
    edition: int = Field(ge=1)
    document_type: str = Field(examples=["press_release", "mayor_order"])


class CaseEvent(EditionEvent):
    """An event about an edition on its route that its people are told of: it names the
    edition's title and authors too. Both are absent from events made before they were
    carried, so a consumer falls back to the document's id."""

    title: LocalizedText | None = None
    authors: list[str] = Field(
        default_factory=list,
        description="Account ids of who wrote the edition and who submitted it",
    )


class DocumentSubmitted(EditionEvent):
    """An edition was submitted for approval along its document type's route."""

    subject = "publishing.document.submitted"

    title: LocalizedText
    submitted_by: str
    publish_at: datetime | None = None


class DocumentStepApproved(CaseEvent):
    """One step of the approval route approved the edition (or approved it afterwards)."""

    subject = "publishing.document.step_approved"

    step: str
    decided_by: str
    retrospective: bool = False


class DocumentChangesRequested(CaseEvent):
    """A reviewer sent the edition back to its author for changes."""

    subject = "publishing.document.changes_requested"

    step: str
    decided_by: str


class DocumentRejected(CaseEvent):
    """A reviewer rejected the edition; it is a draft again."""

    subject = "publishing.document.rejected"

    step: str
    decided_by: str


class DocumentApproved(CaseEvent):
    """The whole route approved the edition, or the head of department forced it through."""

    subject = "publishing.document.approved"

    register_number: str | None = None
    forced: bool = False
    skipped_roles: list[str] = Field(default_factory=list)


class DocumentScheduled(EditionEvent):
    """The approved edition waits for its publication time."""

    subject = "publishing.document.scheduled"

    publish_at: datetime


class Issuer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: LocalizedText


class AttachmentRef(BaseModel):
    """A file of a published edition: fetch it once from `url` and check its hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    filename: str
    media_type: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str
    signer_name: str | None = Field(
        None,
        description="The act's signed original (PAdES): its signer, as the certificate names them",
    )
    signed_at: datetime | None = Field(None, description="When the signed original was signed")


class EntryIntoForce(BaseModel):
    """When a legal act takes effect: on its publication, on a date, or on a condition
    (its text; the day the condition was met comes later, in `DocumentEnteredIntoForce`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["publication", "date", "condition"]
    on: date | None = Field(None, description="The day, when `kind` is date")
    condition: LocalizedText | None = Field(
        None, description="The condition, when `kind` is condition"
    )


class ActChange(BaseModel):
    """What a legal act does to an earlier act: amends, repeals or suspends it, whole or
    the named articles, from a day (or, when none is named, from the day the changing act
    itself enters into force)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["amends", "repeals", "suspends"]
    target_document_id: int = Field(gt=0)
    target_register_number: str
    target_document_type: str
    articles: list[str] = Field(
        default_factory=list, description='The articles changed ("2", "3.1"); none: the whole act'
    )
    effective_on: date | None = None


class DocumentPublished(CaseEvent):
    """An edition became public; the website shows it and media distribute it."""

    subject = "publishing.document.published"
    summary = "An edition of a legal act, press release, news item or page was published."

    title: LocalizedText
    summary_text: LocalizedText | None = None
    body_html: LocalizedText | None = None
    translation_pending: bool = False
    published_at: datetime
    requested_publish_at: datetime | None = None
    issuer: Issuer | None = None
    register_number: str | None = None
    date_signed: date | None = None
    external_registration_code: str | None = None
    change_note: str | None = None
    change_kind: str | None = None
    supersedes_edition: int | None = None
    slug: str | None = None
    nav_section: str | None = None
    nav_order: int | None = None
    attachments: list[AttachmentRef] = Field(default_factory=list)
    photos: list[PhotoRef] = Field(
        default_factory=list, description="Photos from the media library, the first on top"
    )
    video_url: str | None = Field(
        None, description="A press conference's recording, embedded from an allowed host"
    )
    content_sha256: str | None = None
    publication_record: dict[str, Any] | None = None
    signature: str | None = None
    signing_key_pem: str | None = Field(
        None, description="The municipality's Ed25519 public key that verifies `signature`"
    )
    signing_ca_pem: str | None = Field(
        None,
        description="The root certificates (PEM) that validate the signed original's chain",
    )
    force_published: bool = False
    review_pending_roles: list[str] = Field(default_factory=list)
    entry_into_force: EntryIntoForce | None = Field(
        None, description="A legal act's entry into force; none: on its publication"
    )
    changes: list[ActChange] = Field(
        default_factory=list, description="What this legal act does to earlier acts"
    )
    consolidated_as_of: date | None = Field(
        None,
        description="This edition is the act's consolidated text as it stands on this day, "
        "with the amendments in `incorporates` applied",
    )
    incorporates: list[int] = Field(
        default_factory=list,
        description="The amending acts (document ids) a consolidated text applies",
    )


class DocumentEnteredIntoForce(EditionEvent):
    """A legal act whose entry into force waited on a condition: the condition was met."""

    subject = "publishing.document.entered_into_force"
    summary = "A legal act that waited on a condition entered into force."

    in_force_on: date
    recorded_by: str


class DocumentPublicationFailed(CaseEvent):
    """Publishing the approved edition kept failing; an administrator is to retry."""

    subject = "publishing.document.publication_failed"

    error: str


class DocumentWithdrawn(EditionEvent):
    """The edition was withdrawn: before publication, from its route; after it, from
    currency, with a public explanation the page keeps showing."""

    subject = "publishing.document.withdrawn"

    was_published: bool
    public_explanation: str | None = None


class DocumentUnpublished(EditionEvent):
    """A publication made in error was taken down: the page answers 410 or redirects."""

    subject = "publishing.document.unpublished"

    explanation: str
    redirect_url: str | None = None


class DocumentReviewed(EditionEvent):
    """A standing page's owner reviewed it and found it still correct; the page says when."""

    subject = "publishing.document.reviewed"
    summary = "A standing page was reviewed by its owner and is still correct."

    reviewed_at: datetime


class DocumentReminderDue(CaseEvent):
    """Half of a review step's time has passed without a decision."""

    subject = "publishing.document.reminder_due"

    task_id: str
    step: str
    awaiting: list[str]
    due_at: datetime


class DocumentEscalated(CaseEvent):
    """A review step's deadline passed; the escalation role now decides too."""

    subject = "publishing.document.escalated"

    task_id: str
    step: str
    awaiting: list[str]
    due_at: datetime


class DigestCompiled(Event):
    """The monthly press digest of a month was compiled from the services and created as
    a `press_digest` document, submitted for the normal approval to publication."""

    subject = "publishing.digest.compiled"

    document_id: int = Field(gt=0)
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    entries: dict[str, int] = Field(
        description="How many entries each section has (acts, press_releases, …)"
    )
    requested_by: str | None = Field(None, description="Who started it; absent for the schedule")
