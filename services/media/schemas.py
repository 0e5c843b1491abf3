"""What the media API accepts and returns (the table models never leave the service).

The media response workflow's activities are this API's clients and use these same models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from meria.inputs import Day, Id, Moment, NotNull

Medium = Literal["print", "tv", "radio", "online", "agency"]
MEDIA: tuple[str, ...] = Medium.__args__  # type: ignore[attr-defined]
ConsentPurpose = Literal["press_distribution", "accreditation", "enquiries", "contact"]
ConsentMethod = Literal["written", "email", "public_form", "verbal_recorded"]
AccreditationRole = Literal["journalist", "photographer", "camera_operator", "technician"]
Sentiment = Literal["positive", "neutral", "negative"]
ResponseChannel = Literal["statement", "outlet"]
DistributedType = Literal["press_release", "announcement"]
DISTRIBUTED_TYPES: tuple[DistributedType, ...] = ("press_release", "announcement")
EnquiryKind = Literal["question", "interview_request"]
EnquiryChannel = Literal["email", "phone", "in_person", "social_media"]
LibraryKind = Literal["photo", "video", "file"]
Licence = Literal[
    "all_rights_reserved", "cc_by_4.0", "cc_by_sa_4.0", "cc0", "press_use_only", "internal_only"
]
PeopleConsent = Literal["not_needed", "obtained", "not_obtained", "public_event"]
TOPICS = (
    "governance",
    "infrastructure",
    "tourism",
    "agriculture",
    "education",
    "health",
    "culture",
    "social",
    "environment",
    "emergencies",
    "international",
    "other",
)
Topic = Literal[
    "governance",
    "infrastructure",
    "tourism",
    "agriculture",
    "education",
    "health",
    "culture",
    "social",
    "environment",
    "emergencies",
    "international",
    "other",
]

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]
Email = Annotated[str, Field(max_length=300, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")]
Phone = Annotated[str, Field(max_length=50, pattern=r"^\+?[0-9 ()-]{5,50}$")]
Name = Annotated[str, Field(min_length=2, max_length=200)]
Reason = Annotated[str, Field(min_length=3, max_length=5000)]
Account = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Outlets.


class OutletFields(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    region: str | None = Field(None, max_length=100, examples=["კახეთი", "national"])
    website: HttpUrl | None = None
    newsroom_email: Email | None = None
    newsroom_phone: Phone | None = None


class OutletCreate(OutletFields):
    medium: Medium


class OutletUpdate(Strict):
    name_ka: NotNull[str] = Field(None, min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    medium: NotNull[Medium] = None
    region: str | None = Field(None, max_length=100)
    website: HttpUrl | None = None
    newsroom_email: Email | None = None
    newsroom_phone: Phone | None = None
    verified: NotNull[bool] = None


class OutletPublic(Public):
    id: int
    name_ka: str
    name_en: str | None
    medium: str
    region: str | None
    website: str | None
    newsroom_email: str | None
    newsroom_phone: str | None
    verified: bool


class OutletRef(Public):
    id: int
    name_ka: str
    name_en: str | None
    medium: str


# Journalists and their consent.


class ConsentCreate(Strict):
    purpose: ConsentPurpose
    given_on: Day
    method: ConsentMethod
    wording: str | None = Field(None, max_length=5000)


class ConsentPublic(Public):
    id: int
    purpose: str
    given_on: date
    method: str
    wording: str | None
    recorded_by: str
    recorded_at: datetime
    withdrawn_at: datetime | None


class JournalistFields(Strict):
    outlet_id: Id | None = None
    position: str | None = Field(None, max_length=200)
    beats: list[Key] = Field(default_factory=list, max_length=20, examples=[["tourism"]])
    languages: list[Language] = Field(default_factory=lambda: ["ka"], max_length=10)
    email: Email | None = None
    phone: Phone | None = None
    notes: str | None = Field(None, max_length=20_000)


class JournalistCreate(JournalistFields):
    full_name: Name
    consents: list[ConsentCreate] = Field(
        default_factory=list,
        description="The consents on whose grounds the contact details are kept",
    )

    @model_validator(mode="after")
    def _contacts_need_consent(self) -> JournalistCreate:
        if (self.email or self.phone) and not self.consents:
            raise ValueError(
                "contact details are kept only with a recorded consent (its date and purpose)"
            )
        return self


class JournalistUpdate(Strict):
    full_name: NotNull[Name] = None
    outlet_id: Id | None = None
    position: str | None = Field(None, max_length=200)
    beats: NotNull[list[Key]] = Field(None, max_length=20)
    languages: NotNull[list[Language]] = Field(None, max_length=10)
    email: Email | None = None
    phone: Phone | None = None
    notes: str | None = Field(None, max_length=20_000)


class Erasure(Strict):
    reason: Reason = Field(examples=["The journalist asked by letter of 3 December."])


class JournalistImport(Strict):
    MAX_ENTRIES: ClassVar[int] = 10_000

    journalists: list[JournalistCreate] = Field(min_length=1, max_length=MAX_ENTRIES)


class JournalistPublic(Public):
    id: int
    full_name: str
    outlet: OutletRef | None
    position: str | None
    beats: list[str]
    languages: list[str]
    contacts_visible: bool = Field(
        description="Whether the asker may see e-mail and phone (press roles and the head)"
    )
    email: str | None = Field(description="None when not on record or not for the asker")
    phone: str | None = Field(description="None when not on record or not for the asker")
    notes: str | None
    email_bounced_at: datetime | None
    unsubscribed_at: datetime | None
    consents: list[ConsentPublic]
    consented_purposes: list[str]
    erased: bool = Field(False, description="Erased at their request: nothing of them is kept")
    created_at: datetime
    updated_at: datetime


class RecordEntryPublic(Public):
    id: int
    at: datetime
    actor: str
    action: str
    accreditation_id: int | None
    enquiry_id: int | None
    response_id: int | None
    note: str | None
    details: dict[str, Any]


# Distribution lists.


class ListRule(Strict):
    """A journalist is on a rule's list when every part given matches (empty = any)."""

    media: list[Medium] = Field(default_factory=list)
    beats: list[Key] = Field(default_factory=list)
    languages: list[Language] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    outlet_ids: list[Id] = Field(default_factory=list, max_length=1000)


class DistributionListCreate(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    kind: Literal["static", "rule"]
    member_ids: list[Id] = Field(default_factory=list, max_length=20_000)
    rule: ListRule = Field(default_factory=ListRule)
    document_types: list[DistributedType] = Field(
        default_factory=lambda: list(DISTRIBUTED_TYPES),
        description="Published documents of these types go to the list",
    )

    @model_validator(mode="after")
    def _kind_fits(self) -> DistributionListCreate:
        if self.kind == "static" and self.rule != ListRule():
            raise ValueError("a static list names its members; a rule is for a rule list")
        if self.kind == "rule" and self.member_ids:
            raise ValueError("a rule list's members come from its rule, not from member_ids")
        return self


class DistributionListUpdate(Strict):
    name_ka: NotNull[str] = Field(None, min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    member_ids: NotNull[list[Id]] = Field(None, max_length=20_000)
    rule: NotNull[ListRule] = None
    document_types: NotNull[list[DistributedType]] = None


class DistributionListPublic(BaseModel):
    id: int
    name_ka: str
    name_en: str | None
    kind: str
    rule: ListRule
    document_types: list[str]
    member_count: int = Field(
        description="Journalists on the list (named, or matching the rule); "
        "GET /distribution-lists/{id}/members pages them"
    )
    recipient_count: int = Field(description="How many of them a release reaches now")
    created_at: datetime
    updated_at: datetime


class Recipient(BaseModel):
    journalist_id: int
    full_name: str
    email: str | None = Field(description="Only for press roles and the head of department")
    outlet: str | None
    receives_releases: bool = Field(
        description="Whether a release reaches them now (address, consent, not unsubscribed "
        "or bounced)"
    )


# Accreditation: the events service's contract first.


class WindowOpen(Strict):
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    starts_at: Moment
    closes_at: Moment

    @model_validator(mode="after")
    def _closes_by_start(self) -> WindowOpen:
        if self.closes_at > self.starts_at:
            raise ValueError("accreditation closes at the latest when the event starts")
        return self


class WindowClose(Strict):
    reason: Reason


class ReminderRequest(Strict):
    key: str = Field(min_length=1, max_length=300)


class ReminderResult(BaseModel):
    mailing_id: int
    recipients: int
    already_sent: bool


class WindowPublic(Public):
    event_id: int
    title_ka: str
    title_en: str | None
    starts_at: datetime
    closes_at: datetime
    status: str
    accepting: bool = False
    close_reason: str | None
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    public_form_url: str = ""
    requested: int = 0
    approved: int = 0


class AccreditationCreate(Strict):
    event_id: Id
    journalist_id: Id
    role: AccreditationRole = "journalist"


class PublicAccreditationRequest(Strict):
    """What the public form takes, and nothing more: name, outlet, contact, consent."""

    full_name: Name
    outlet: str = Field(min_length=2, max_length=300)
    email: Email
    phone: Phone | None = None
    consent: Literal[True] = Field(
        description="Consent to keep these details to handle the accreditation"
    )


SubscriptionTopic = Literal[
    "news", "acts:mayor_order", "acts:mayor_ordinance", "acts:official_document", "events"
]


class SubscriptionRequest(Strict):
    """A citizen asks for news, acts (by type) or events by e-mail: a confirmation mail
    follows, and nothing else until it is confirmed."""

    email: Email
    topics: list[SubscriptionTopic] = Field(min_length=1, max_length=5)
    cadence: Literal["immediate", "daily"] = "immediate"
    language: Literal["ka", "en"] = "ka"


class SubscriberPublic(BaseModel):
    """A citizen's subscription, as the media officers see it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    language: str
    topics: list[str]
    cadence: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class SubscriptionReceipt(BaseModel):
    message_ka: str
    message_en: str


class PublicAccreditationReceipt(BaseModel):
    reference: str
    event_id: int
    status: str
    message_ka: str
    message_en: str


class AccreditationRefusal(Strict):
    reason: Reason


class AccreditationPublic(BaseModel):
    id: int
    event_id: int
    event_title_ka: str
    journalist_id: int
    journalist_name: str
    outlet: OutletRef | None
    status: str
    source: str
    role: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None
    checked_in_at: datetime | None
    checked_in_by: str | None
    badge_url: str | None
    badge_code: str | None = Field(
        None, description="What the badge's QR code says (staff only; the door scans it)"
    )


class AccreditedJournalist(BaseModel):
    accreditation_id: int
    journalist_id: int
    full_name: str
    outlet: str | None
    medium: str | None
    role: str
    checked_in_at: datetime | None


class CheckIn(Strict):
    code: str = Field(min_length=8, max_length=300, description="What the badge's QR code says")


class CheckInResult(BaseModel):
    accreditation: AccreditationPublic
    already_checked_in: bool


# Mailings and deliveries.


class DeliveryPublic(Public):
    id: int
    journalist_id: int | None
    email: str | None = Field(description="Only for press roles and the head of department")
    name: str
    message_id: str
    status: str
    attempts: int
    smtp_answer: str | None
    sent_at: datetime | None


class MailingPublic(BaseModel):
    id: int
    kind: str
    key: str
    document_id: int | None
    edition: int | None
    document_type: str | None
    event_id: int | None
    subject_ka: str
    created_at: datetime
    completed_at: datetime | None
    counts: dict[str, int]


# Enquiries and responses.


class EnquiryCreate(Strict):
    kind: EnquiryKind
    journalist_id: Id | None = None
    outlet_id: Id | None = None
    subject: str = Field(min_length=3, max_length=500)
    question: str = Field(min_length=3, max_length=20_000)
    channel: EnquiryChannel
    received_at: Moment | None = None
    deadline: Moment
    owner: Account | None = None

    @model_validator(mode="after")
    def _someone_asked(self) -> EnquiryCreate:
        if self.journalist_id is None and self.outlet_id is None:
            raise ValueError("an enquiry comes from a journalist or an outlet")
        return self


class EnquiryPublic(BaseModel):
    id: int
    kind: str
    journalist_id: int | None
    journalist_name: str | None
    outlet: OutletRef | None
    subject: str
    question: str
    channel: str
    received_at: datetime
    deadline: datetime
    logged_by: str
    response_id: int | None
    response_status: str | None


class ResponseRequest(Strict):
    owner: Account | None = None
    due_at: Moment | None = None


class DraftWrite(Strict):
    channel: ResponseChannel
    text_ka: str = Field(min_length=3, max_length=50_000)
    text_en: str | None = Field(None, max_length=50_000)


class ResponseDecision(Strict):
    outcome: Literal["approve", "request_changes"]
    comment: str | None = Field(None, max_length=5000)


class ResponsePublic(Public):
    id: int
    item_id: int | None
    enquiry_id: int | None
    subject: str
    status: str
    owner: str | None
    due_at: datetime
    approval_required: bool
    channel: str | None
    text_ka: str | None
    text_en: str | None
    drafted_by: str | None
    drafted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    document_id: int | None
    mailing_id: int | None
    outcome: str | None
    outcome_note: str | None
    completed_at: datetime | None
    created_by: str
    created_at: datetime
    workflow_id: str
    on_time: bool | None = None


class StatementRecord(BaseModel):
    document_id: Id


# Monitoring.


class ItemFields(Strict):
    published_on: Day
    title: str = Field(min_length=3, max_length=1000)
    link: HttpUrl | None = None
    summary: str | None = Field(None, max_length=20_000)
    topic: Topic | None = None
    officials_mentioned: list[Annotated[str, Field(min_length=2, max_length=200)]] = Field(
        default_factory=list, max_length=30
    )
    sentiment: Sentiment | None = None
    response_needed: bool = False


class ItemCreate(ItemFields):
    outlet_id: Id
    medium: Medium | None = Field(None, description="The outlet's medium unless given")
    response_owner: Account | None = Field(None, description="Who drafts the response, if needed")
    response_due_at: Moment | None = None


class ItemUpdate(Strict):
    published_on: NotNull[Day] = None
    medium: NotNull[Medium] = None
    title: NotNull[str] = Field(None, min_length=3, max_length=1000)
    link: HttpUrl | None = None
    summary: str | None = Field(None, max_length=20_000)
    topic: Topic | None = None
    officials_mentioned: NotNull[list[Annotated[str, Field(min_length=2, max_length=200)]]] = None
    sentiment: Sentiment | None = None
    response_needed: NotNull[bool] = None
    response_owner: Account | None = None


class ItemPublic(BaseModel):
    id: int
    outlet: OutletRef
    published_on: date
    medium: str
    title: str
    link: str | None
    summary: str | None
    topic: str | None
    officials_mentioned: list[str]
    sentiment: str | None
    response_needed: bool
    source: str
    response_id: int | None
    response_status: str | None
    recorded_by: str
    recorded_at: datetime


class ItemPage(BaseModel):
    items: list[ItemPublic]
    total: int
    limit: int
    offset: int


class FeedCreate(Strict):
    outlet_id: Id
    url: HttpUrl
    keywords: list[Annotated[str, Field(min_length=2, max_length=100)]] = Field(
        default_factory=list, description="Words an entry must hold; the settings' when empty"
    )


class FeedPublic(Public):
    id: int
    outlet_id: int
    url: str
    keywords: list[str]
    active: bool
    last_read_at: datetime | None
    last_error: str | None
    items_found: int


class FeedReading(BaseModel):
    feed_id: int
    entries: int
    recorded: int
    duplicates: int
    not_about_us: int
    error: str | None = None


class Count(BaseModel):
    key: str
    label: str
    count: int


class CoverageReport(BaseModel):
    month: str
    total: int
    by_outlet: list[Count]
    by_medium: list[Count]
    by_topic: list[Count]
    by_sentiment: list[Count]
    responses_on_time: int
    responses_late: int
    responses_open: int


# The media library.


PersonShown = Annotated[str, Field(min_length=1, max_length=200)]
MAX_PEOPLE = 100


class LibraryItemPublic(BaseModel):
    id: int
    kind: str
    title_ka: str | None
    title_en: str | None
    caption_ka: str
    caption_en: str | None
    author: str
    taken_on: date | None
    place: str | None
    people: list[str]
    event_id: int | None
    visit_id: int | None
    licence: str
    consent: str
    consent_note: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    location_removed: bool
    public: bool = Field(
        description="A photo whose licence and people's consent let it be published: its "
        "public renditions are served, and documents and events may show it"
    )
    file_url: str
    thumbnail_url: str | None
    uploaded_by: str
    uploaded_at: datetime


class LibraryItemUpdate(Strict):
    title_ka: str | None = Field(None, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    caption_ka: NotNull[str] = Field(None, min_length=1, max_length=1000)
    caption_en: str | None = Field(None, max_length=1000)
    author: NotNull[str] = Field(None, min_length=1, max_length=200, description="Who took it")
    taken_on: Day | None = None
    place: str | None = Field(None, max_length=300, examples=["ალავერდის მონასტერი"])
    people: NotNull[list[PersonShown]] = Field(
        None, max_length=MAX_PEOPLE, description="The people shown, as they are named"
    )
    event_id: Id | None = None
    visit_id: Id | None = None
    licence: NotNull[Licence] = None
    consent: NotNull[PeopleConsent] = None
    consent_note: str | None = Field(None, max_length=5000)


# Information requests.


class InformationRequestCreate(Strict):
    """What the council or a mayor's office service asks the department to find."""

    requester_unit: str = Field(
        min_length=2, max_length=300, examples=["საკრებულოს აპარატი", "ფინანსური სამსახური"]
    )
    requester_name: str | None = Field(
        None, max_length=300, description="The asker's name as signed; their account's by default"
    )
    title: str = Field(min_length=3, max_length=500)
    question: str = Field(min_length=10, max_length=20_000)
    sources: list[Annotated[str, Field(min_length=2, max_length=300)]] = Field(
        default_factory=list, max_length=30, description="Where to look: registers, sites, units"
    )
    needed_by: Moment
    owner: str | None = Field(None, max_length=200, description="The department's staff member")


class AnswerWrite(Strict):
    text: str = Field(min_length=1, max_length=50_000)


class Declining(Strict):
    reason: str = Field(min_length=3, max_length=5000)


class InformationFilePublic(Public):
    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    added_by: str
    added_at: datetime


class InformationEntryPublic(Public):
    action: str
    actor: str
    note: str | None
    at: datetime


class SimilarAnswer(BaseModel):
    """An earlier answered request that shares words with this one: where to start."""

    request_id: int
    title: str
    requester_unit: str
    answered_at: datetime | None
    excerpt: str
    files: int
    shared_words: int


class InformationRequestPublic(Public):
    id: int
    requester: str
    requester_name: str
    requester_unit: str
    title: str
    question: str
    sources: list[str]
    needed_by: datetime
    status: str
    owner: str | None
    answer_text: str | None = Field(
        None, description="The draft for the department; the answer for the requester once sent"
    )
    answered_by: str | None
    answered_at: datetime | None
    close_reason: str | None
    created_at: datetime
    overdue: bool = False
    files: list[InformationFilePublic]
    history: list[InformationEntryPublic] = Field(default_factory=list)
    similar: list[SimilarAnswer] = Field(default_factory=list)
    workflow_id: str


class InformationPage(BaseModel):
    items: list[InformationRequestPublic]
    total: int
