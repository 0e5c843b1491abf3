"""What the publishing API accepts and returns (the table models never leave the service).

The publication workflow's activities are this API's clients and use these same models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from meria.cases.documents import RouteStep
from meria.inputs import Count, Id, Moment, Month, NotNull

DocumentType = Literal[
    "mayor_order",
    "mayor_ordinance",
    "official_document",
    "press_release",
    "news",
    "announcement",
    "press_digest",
    "web_page",
]
LEGAL_ACT_TYPES: frozenset[str] = frozenset({"mayor_order", "mayor_ordinance", "official_document"})
NavSection = Literal["about", "structure", "contacts", "services"]
Outcome = Literal["approve", "reject", "request_changes"]

Title = Field(min_length=1, max_length=500)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EditionContent(Strict):
    """Title, summary and body in Georgian (required) and English (optional)."""

    title_ka: str = Title
    title_en: str | None = Field(None, max_length=500)
    summary_ka: str | None = Field(None, max_length=5000)
    summary_en: str | None = Field(None, max_length=5000)
    body_ka: str = Field("", max_length=2_000_000)
    body_en: str | None = Field(None, max_length=2_000_000)
    translation_pending: bool = Field(
        False, description="Publish with the English marked as a translation still to come"
    )


class DocumentCreate(EditionContent):
    document_type: DocumentType
    issuer_code: str | None = Field(None, pattern=r"^[a-z0-9_-]{2,40}$")
    slug: str | None = Field(None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=200)
    nav_section: NavSection | None = None
    nav_order: int | None = Field(None, ge=0, le=1000)
    external_registration_code: str | None = Field(None, max_length=100)
    publish_at: Moment | None = None
    author: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="The editor in whose name Meria's workflows write the document (a "
        "visit's press release, the monthly digest); only the worker may name one",
    )

    @model_validator(mode="after")
    def _fits_its_type(self) -> DocumentCreate:
        if self.document_type in LEGAL_ACT_TYPES and not self.issuer_code:
            raise ValueError("a legal act needs its issuer (issuer_code)")
        if self.document_type == "web_page" and not (self.slug and self.nav_section):
            raise ValueError("a web page needs its slug and its navigation section")
        return self


class DocumentUpdate(Strict):
    """Changes to the edition in progress; in review they restart the route."""

    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    summary_ka: str | None = Field(None, max_length=5000)
    summary_en: str | None = Field(None, max_length=5000)
    body_ka: NotNull[str] = Field(None, max_length=2_000_000)
    body_en: str | None = Field(None, max_length=2_000_000)
    translation_pending: NotNull[bool] = None
    publish_at: Moment | None = None
    reason: str | None = Field(
        None, max_length=2000, description="Why it changed; required while in review"
    )


class EditionCreate(Strict):
    change_note: str = Field(min_length=1, max_length=5000)
    change_kind: Literal["major", "minor"]


class SubmitRequest(Strict):
    publish_at: Moment | None = Field(
        None, description="When to publish; at approval when absent or already past"
    )


class DecisionRequest(Strict):
    outcome: Outcome
    comment: str | None = Field(None, max_length=5000)
    revision: Id | None = Field(None, description="The revision the decision is about")
    task_id: str | None = Field(None, max_length=300, description="The task, when several")

    @model_validator(mode="after")
    def _reason_for_no(self) -> DecisionRequest:
        if self.outcome != "approve" and not self.comment:
            raise ValueError("a rejection or a request for changes needs a comment")
        return self


class ReasonRequest(Strict):
    reason: str = Field(min_length=3, max_length=5000)


class WithdrawRequest(Strict):
    reason: str = Field(min_length=3, max_length=5000)
    public_explanation: str | None = Field(
        None, min_length=3, max_length=5000, description="Shown on the public page; required "
        "when the document is already published"
    )  # fmt: skip


class UnpublishRequest(Strict):
    reason: str = Field(min_length=3, max_length=5000)
    redirect_url: HttpUrl | None = None


class RetrospectiveApproval(Strict):
    comment: str | None = Field(None, max_length=5000)


class RouteUpdate(Strict):
    steps: list[RouteStep] = Field(min_length=1, max_length=10)
    reason: str = Field(
        min_length=3, max_length=2000, description="Why the route changes; kept on its audit trail"
    )

    @model_validator(mode="after")
    def _unique_keys(self) -> RouteUpdate:
        keys = [step.key for step in self.steps]
        if len(set(keys)) != len(keys):
            raise ValueError("step keys must be unique within a route")
        return self


class RoutePublic(BaseModel):
    document_type: str
    steps: list[RouteStep]
    default: bool
    updated_by: str | None = None
    updated_at: datetime | None = None


class RouteChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    document_type: str
    at: datetime
    actor: str
    reason: str
    steps_before: list[dict[str, Any]]
    steps_after: list[dict[str, Any]]


class IssuerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_ka: str
    name_en: str | None


class IssuerUpdate(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)


class AttachmentPublic(BaseModel):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    url: str
    signer_name: str | None = Field(
        None, description="Set on an act's signed original: who signed it (PAdES)"
    )
    signed_at: datetime | None = None


class EditionPublic(BaseModel):
    number: int
    state: str
    revision: int
    title_ka: str
    title_en: str | None
    summary_ka: str | None
    summary_en: str | None
    body_ka: str
    body_en: str | None
    translation_pending: bool
    change_note: str | None
    change_kind: str | None
    publish_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_at: datetime | None
    date_signed: date | None
    published_at: datetime | None
    force_published: bool
    review_pending_roles: list[str]
    content_sha256: str | None
    publication_record: dict[str, Any] | None
    signature: str | None
    public_explanation: str | None
    redirect_url: str | None
    workflow_id: str
    attachments: list[AttachmentPublic]
    allowed_actions: list[str]


class DocumentPublic(BaseModel):
    id: int
    document_type: str
    state: str
    issuer_code: str | None
    issuer: IssuerPublic | None
    slug: str | None
    nav_section: str | None
    nav_order: int | None
    register_number: str | None
    register_year: int | None
    external_registration_code: str | None
    created_by: str
    created_at: datetime
    title_ka: str
    title_en: str | None
    current: EditionPublic
    published_edition: int | None
    editions: list[EditionSummary]


class EditionSummary(BaseModel):
    number: int
    state: str
    change_note: str | None
    change_kind: str | None
    published_at: datetime | None


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    edition_number: int
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    step: str | None
    comment: str | None
    details: dict[str, Any]


class RegisterEntry(BaseModel):
    register_number: str
    document_id: int
    document_type: str
    issuer_code: str
    year: int
    sequence: int
    title_ka: str
    date_signed: date | None
    published_at: datetime | None
    state: str


class PreviewLink(BaseModel):
    url: str
    expires_at: datetime


# What the publication workflow's activities exchange with the service.


DocumentPublic.model_rebuild()


class DigestRecord(BaseModel):
    """The digest workflow's word that it compiled a month into a document."""

    month: Month
    entries: dict[str, Count] = Field(default_factory=dict)
    requested_by: str | None = Field(None, max_length=200)
