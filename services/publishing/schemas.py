"""What the publishing API accepts and returns (the table models never leave the service).

The publication workflow's activities are this API's clients and use these same models.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    model_validator,
)

from meria.cases.documents import RouteStep
from meria.inputs import Count, Day, Id, Moment, Month, NotNull
from meria.legal_acts import ARTICLE
from meria.pictures import MAX_PHOTOS, PhotoChoice

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
# One of the site's navigation sections, which administrators keep (GET /site/sections).
NavSection = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)]
Outcome = Literal["approve", "reject", "request_changes"]

Title = Field(min_length=1, max_length=500)
ChangeKind = Literal["amends", "repeals", "suspends"]
Article = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ARTICLE)]
MAX_CHANGES = 50
MAX_ARTICLES = 100
# A consolidated text is an edition of its own kind, made only by
# POST /documents/{id}/consolidations; it is approved along its own route.
CONSOLIDATION = "consolidation"
RouteKey = Literal[DocumentType, "consolidation"]
"""Whose approval route: a document type's, or consolidated texts'."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EntryIntoForceTerms(Strict):
    """When a legal act enters into force: on its publication (the default), on a day
    (`on`), or when a condition is met (`condition_ka`, and `condition_en`); the day a
    condition was met is recorded later (POST /documents/{id}/entry-into-force)."""

    kind: Literal["publication", "date", "condition"] = "publication"
    on: Day | None = Field(None, description="The day, when `kind` is date")
    condition_ka: str | None = Field(None, min_length=1, max_length=2000)
    condition_en: str | None = Field(None, min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _fits_its_kind(self) -> EntryIntoForceTerms:
        if self.kind == "date" and self.on is None:
            raise ValueError("an act entering into force on a date needs the day (on)")
        if self.kind != "date" and self.on is not None:
            raise ValueError(f"a day (on) is for kind date, not {self.kind}")
        if self.kind == "condition" and not self.condition_ka:
            raise ValueError("an act entering into force on a condition needs it (condition_ka)")
        if self.kind != "condition" and (self.condition_ka or self.condition_en):
            raise ValueError(f"a condition is for kind condition, not {self.kind}")
        return self


class ActChangeCreate(Strict):
    """What this legal act does to an earlier, published legal act."""

    kind: ChangeKind
    target_document_id: Id
    articles: list[Article] = Field(
        default_factory=list,
        max_length=MAX_ARTICLES,
        description='The articles changed ("2", "3.1", "5 ა"); none: the whole act',
    )
    effective_on: Day | None = Field(
        None, description="From when; none: from the day this act enters into force"
    )


def _article_key(article: str) -> str:
    return re.sub(r"\s+", "", article)


def duplicate_change(changes: list[ActChangeCreate]) -> str | None:
    """Why a list of changes says something twice, naming the row, or None."""
    seen: dict[tuple[int, str, str | None], int] = {}
    for index, change in enumerate(changes):
        articles: list[str | None] = [_article_key(a) for a in change.articles] or [None]
        for article in articles:
            key = (change.target_document_id, change.kind, article)
            whole = (change.target_document_id, change.kind, None)
            what = f"article {article}" if article else "the whole act"
            if key in seen:
                return (
                    f"changes[{index}]: {change.kind} {what} of document "
                    f"{change.target_document_id} again (as changes[{seen[key]}] does)"
                )
            if article is not None and whole in seen:
                return (
                    f"changes[{index}]: {change.kind} article {article} of document "
                    f"{change.target_document_id}, whose whole act changes[{seen[whole]}] "
                    f"already {change.kind}"
                )
            seen.setdefault(key, index)
        if not change.articles:
            for (target, kind, article), earlier in seen.items():
                if target == change.target_document_id and kind == change.kind and article:
                    return (
                        f"changes[{index}]: {change.kind} the whole of document {target}, "
                        f"whose article {article} changes[{earlier}] already {kind}"
                    )
    return None


ActChanges = Annotated[list[ActChangeCreate], Field(max_length=MAX_CHANGES)]


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
    photos: list[PhotoChoice] = Field(
        default_factory=list,
        max_length=MAX_PHOTOS,
        description="Photos from the media library, each with its alt text; the first on top",
    )
    video_url: str | None = Field(
        None, max_length=1000, description="A recording embedded from an allowed video host"
    )


AccountId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$")]
REVIEW_INTERVALS = (1, 3, 6, 12, 24)


def _an_interval(months: int) -> int:
    if months not in REVIEW_INTERVALS:
        raise ValueError(f"a page is reviewed every {', '.join(map(str, REVIEW_INTERVALS))} months")
    return months


ReviewEvery = Annotated[int, Field(ge=1, le=24), AfterValidator(_an_interval)]
PLAN_FIELDS = {"owner", "review_every_months", "next_review_at"}


class ReviewPlanFields(Strict):
    """A standing page's keeping: its owner, reviewed every few months or on a date."""

    owner: AccountId | None = Field(None, description="The staff account that keeps the page")
    review_every_months: ReviewEvery | None = Field(
        None, description="Reviewed again this many months after each review"
    )
    next_review_at: Moment | None = Field(
        None, description="The next review; the interval from publication when absent"
    )

    def plan_given(self) -> bool:
        return bool(self.model_fields_set & PLAN_FIELDS)


class DocumentCreate(EditionContent, ReviewPlanFields):
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
    entry_into_force: EntryIntoForceTerms | None = Field(
        None, description="A legal act's entry into force; on its publication when absent"
    )
    changes: ActChanges = Field(
        default_factory=list, description="What this legal act amends, repeals or suspends"
    )

    @model_validator(mode="after")
    def _fits_its_type(self) -> DocumentCreate:
        if self.document_type in LEGAL_ACT_TYPES and not self.issuer_code:
            raise ValueError("a legal act needs its issuer (issuer_code)")
        if self.document_type == "web_page" and not (self.slug and self.nav_section):
            raise ValueError("a web page needs its slug and its navigation section")
        if self.document_type != "web_page" and self.plan_given():
            raise ValueError(
                f"only a standing page (web_page) has an owner and review dates; a "
                f"{self.document_type} takes no owner, review_every_months or next_review_at"
            )
        if self.document_type not in LEGAL_ACT_TYPES and (self.entry_into_force or self.changes):
            raise ValueError(
                f"only a legal act enters into force and changes other acts; a "
                f"{self.document_type} takes no entry_into_force or changes"
            )
        duplicate = duplicate_change(self.changes)
        if duplicate:
            raise ValueError(duplicate)
        return self


class DocumentUpdate(ReviewPlanFields):
    """Changes to the edition in progress; in review they restart the route. A standing
    page's owner and review dates change at once, whatever its edition's state."""

    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    summary_ka: str | None = Field(None, max_length=5000)
    summary_en: str | None = Field(None, max_length=5000)
    body_ka: NotNull[str] = Field(None, max_length=2_000_000)
    body_en: str | None = Field(None, max_length=2_000_000)
    translation_pending: NotNull[bool] = None
    photos: NotNull[list[PhotoChoice]] = Field(
        None, max_length=MAX_PHOTOS, description="The photos, the whole list"
    )
    video_url: str | None = Field(None, max_length=1000)
    publish_at: Moment | None = None
    reason: str | None = Field(
        None, max_length=2000, description="Why it changed; required while in review"
    )
    entry_into_force: NotNull[EntryIntoForceTerms] = Field(
        None, description="A legal act's entry into force"
    )
    changes: NotNull[ActChanges] = Field(
        None, description="What this legal act amends, repeals or suspends: the whole list"
    )

    @model_validator(mode="after")
    def _no_duplicate_change(self) -> DocumentUpdate:
        duplicate = duplicate_change(self.changes or [])
        if duplicate:
            raise ValueError(duplicate)
        return self


class EditionCreate(Strict):
    change_note: str = Field(min_length=1, max_length=5000)
    change_kind: Literal["major", "minor"]


class ConsolidationCreate(Strict):
    """A consolidated text of a legal act as it stands on a day, with the amendments
    effective by then applied."""

    as_of: Day = Field(description="The day the consolidated text states the act as of")
    change_note: str = Field(min_length=1, max_length=5000)


class EntryIntoForceRecord(Strict):
    """The day the condition an act's entry into force waited on was met."""

    on: Day
    note: str | None = Field(None, max_length=5000)


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


class ReviewPlanUpdate(ReviewPlanFields):
    """A standing page's owner and review dates, changed on their own."""


class ReviewDecision(Strict):
    """The owner's review of their page."""

    outcome: Literal["reviewed", "needs_changes"]
    comment: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _say_what(self) -> ReviewDecision:
        if self.outcome == "needs_changes" and not self.comment:
            raise ValueError("say in the comment what needs to change")
        return self


class UnpublishSchedule(Strict):
    """Take the publication down at this time, with this reason (public, as an unpublished
    page's explanation)."""

    at: Moment
    reason: str = Field(min_length=3, max_length=5000)


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
    document_type: str = Field(
        description="The document type, or `consolidation`: the route of consolidated texts"
    )
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


class ActChangePublic(BaseModel):
    """A change this act makes, with the act it changes as it cites it."""

    kind: ChangeKind
    target_document_id: int
    target_register_number: str | None
    target_document_type: str
    target_title_ka: str
    articles: list[str]
    effective_on: date | None


class ChangedBy(BaseModel):
    """A published act whose published edition changes this act."""

    document_id: int
    register_number: str | None
    document_type: str
    title_ka: str
    kind: ChangeKind
    articles: list[str]
    effective_on: date | None
    takes_effect_on: date | None = Field(
        description="`effective_on`, else the day the changing act entered (or enters) into "
        "force; none while that act waits on its condition"
    )


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
    photos: list[PhotoChoice] = Field(default_factory=list)
    video_url: str | None = None
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
    entry_into_force: EntryIntoForceTerms | None = Field(
        description="A legal act's entry into force; none for other documents"
    )
    changes: list[ActChangePublic]
    consolidated_as_of: date | None = Field(
        description="A consolidated text: the day it states the act as of"
    )
    incorporates: list[int] = Field(
        description="A consolidated text: the amending acts (document ids) it applies"
    )


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
    changed_by: list[ChangedBy] = Field(
        description="The published acts whose published edition changes this act"
    )
    in_force_on: date | None = Field(
        description="A legal act: the day it entered (or enters) into force, when known"
    )
    owner: str | None = None
    review_every_months: int | None = None
    next_review_at: datetime | None = None
    last_reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    unpublish_at: datetime | None = None
    unpublish_reason: str | None = None


class EditionSummary(BaseModel):
    number: int
    state: str
    change_note: str | None
    change_kind: str | None
    published_at: datetime | None
    consolidated_as_of: date | None = None


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


class DiffSegment(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class EditionDiff(BaseModel):
    """An edition's Georgian text against the previous published edition, word by word;
    paragraphs end in a line break."""

    against: int | None = Field(description="The edition compared with; none: the first")
    changes: list[DiffSegment]
    truncated: bool = Field(
        False, description="A text was longer than a comparison reads: only its start is compared"
    )


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
