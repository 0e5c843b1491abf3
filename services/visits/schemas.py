"""What the visits API accepts and returns (the table models never leave the service).

The visit workflow's activities are this API's clients and use these same models.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal

from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from meria.inputs import Day, Id, Moment, NotNull
from services.visits.checklists import TBILISI, Anchor, VisitKind

PartnerKind = Literal[
    "sister_city",
    "partner_city",
    "georgian_municipality",
    "national_association",
    "international_organisation",
    "foundation",
    "ngo",
    "government_agency",
    "other",
]
DelegationRole = Literal[
    "head", "deputy_head", "member", "interpreter", "journalist", "security", "staff"
]
ProgrammeKind = Literal["meeting", "site_visit", "meal", "cultural", "press_event", "travel"]
BudgetCategory = Literal[
    "accommodation",
    "transport",
    "tickets",
    "meals",
    "interpretation",
    "gifts",
    "per_diem",
    "visas",
    "venue",
    "printing",
    "other",
]
AgreementKind = Literal["memorandum", "twinning", "cooperation", "grant_agreement", "other"]
AgreementStatus = Literal["draft", "in_force", "expired", "terminated"]
ProjectStage = Literal[
    "idea",
    "concept_note",
    "application",
    "awarded",
    "rejected",
    "implementation",
    "reporting",
    "closed",
    "withdrawn",
]
DeadlineKind = Literal["concept_note", "application", "interim_report", "final_report", "other"]
DocumentKind = Literal[
    "call", "concept_note", "application", "budget", "contract", "report", "letter", "other"
]
OwnerRole = Literal["protocol_officer", "head_of_department", "media_officer", "editor"]

# Where a project may go from each stage: an application is awarded or rejected, and only
# an awarded one is implemented and reported on.
PROJECT_STAGES: dict[str, tuple[str, ...]] = {
    "idea": ("concept_note", "application", "withdrawn"),
    "concept_note": ("application", "rejected", "withdrawn"),
    "application": ("awarded", "rejected", "withdrawn"),
    "awarded": ("implementation",),
    "implementation": ("reporting",),
    "reporting": ("implementation", "closed"),
    "rejected": (),
    "closed": (),
    "withdrawn": (),
}


@cache
def _territories() -> frozenset[str]:
    codes = (str(code) for code in Locale("en").territories)
    # Babel's "unknown region" and other codes that name no country are left out.
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha()) - {
        "ZZ",
        "QO",
        "UN",
        "EZ",
    }


@cache
def _languages() -> frozenset[str]:
    return frozenset(str(code) for code in Locale("en").languages if "_" not in str(code))


def _country(code: str) -> str:
    if code not in _territories():
        raise ValueError(f"{code!r} is not an ISO 3166 country code (GE, PL, LT, …)")
    return code


def _language(code: str) -> str:
    if code not in _languages():
        raise ValueError(f"{code!r} is not an ISO 639 language code (ka, en, pl, …)")
    return code


Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]
Language = Annotated[str, Field(min_length=2, max_length=3), AfterValidator(_language)]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")]
Account = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(min_length=1, max_length=20_000)]
Reason = Annotated[str, Field(min_length=3, max_length=5000)]
# What max_digits allows, said as a bound the OpenAPI document shows.
MAX_GEL = Decimal("9999999999.99")
MAX_AMOUNT = Decimal("999999999999.99")
Gel = Annotated[Decimal, Field(ge=0, le=MAX_GEL, max_digits=12, decimal_places=2)]
Email = Annotated[str, Field(max_length=300, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Partners.


class PartnerFields(Strict):
    name_ka: str = Field(min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    city: str | None = Field(None, max_length=200)
    website: HttpUrl | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_email: Email | None = None
    contact_phone: str | None = Field(None, max_length=50, pattern=r"^\+?[0-9 ()-]{5,50}$")
    partnership_since: Day | None = None
    notes: str | None = Field(None, max_length=20_000)


class PartnerCreate(PartnerFields):
    kind: PartnerKind
    country: Country


class PartnerUpdate(Strict):
    kind: NotNull[PartnerKind] = None
    name_ka: NotNull[str] = Field(None, min_length=1, max_length=300)
    name_en: str | None = Field(None, max_length=300)
    country: NotNull[Country] = None
    city: str | None = Field(None, max_length=200)
    website: HttpUrl | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_email: Email | None = None
    contact_phone: str | None = Field(None, max_length=50, pattern=r"^\+?[0-9 ()-]{5,50}$")
    partnership_since: Day | None = None
    notes: str | None = Field(None, max_length=20_000)


class PartnerPublic(Public):
    id: int
    kind: str
    name_ka: str
    name_en: str | None
    country: str
    city: str | None
    website: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    partnership_since: date | None
    notes: str | None
    created_by: str
    created_at: datetime


class PartnerRef(Public):
    id: int
    kind: str
    name_ka: str
    name_en: str | None
    country: str


# Visits.


class VisitFields(Strict):
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    purpose_ka: Text
    purpose_en: str | None = Field(None, max_length=20_000)
    partner_id: Id | None = None
    city: str | None = Field(None, max_length=200)
    places: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=50
    )
    languages: list[Language] = Field(default_factory=list, max_length=10)
    responsible: Account | None = Field(None, description="The protocol officer in charge")
    press_editor: Account | None = Field(
        None, description="The editor the press release about the results is assigned to"
    )


def _check_dates(
    arrival_on: date | None,
    departure_on: date | None,
    arrives_at: datetime | None = None,
    departs_at: datetime | None = None,
) -> None:
    if arrival_on and departure_on and departure_on < arrival_on:
        raise ValueError("departure_on: the departure cannot come before the arrival")
    if arrival_on and departure_on and (departure_on - arrival_on).days > 90:
        raise ValueError("departure_on: a visit lasts at most 90 days")
    if arrives_at and arrives_at.astimezone(TBILISI).date() != arrival_on:
        raise ValueError("arrives_at: the arrival time falls on the arrival day (Tbilisi time)")
    if departs_at and departs_at.astimezone(TBILISI).date() != departure_on:
        raise ValueError("departs_at: the departure time falls on the departure day (Tbilisi time)")
    if arrives_at and departs_at and departs_at <= arrives_at:
        raise ValueError("departs_at: the delegation leaves after it arrives")


class VisitTimes(Strict):
    arrives_at: Moment | None = Field(
        None, description="The hour of arrival, when known (a flight's landing)"
    )
    departs_at: Moment | None = Field(None, description="The hour of departure")


class VisitCreate(VisitFields, VisitTimes):
    """A visit request: an incoming delegation or an outgoing visit, for the mayor to approve."""

    kind: VisitKind
    country: Country
    arrival_on: Day = Field(description="Arrival in the municipality, or at the destination")
    departure_on: Day = Field(
        description="Departure from the municipality, or from the destination"
    )

    @model_validator(mode="after")
    def _dates(self) -> VisitCreate:
        _check_dates(self.arrival_on, self.departure_on, self.arrives_at, self.departs_at)
        return self


class VisitUpdate(Strict):
    """Changes that move no date: the dates change through their own endpoint."""

    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    purpose_ka: NotNull[str] = Field(None, min_length=1, max_length=20_000)
    purpose_en: str | None = Field(None, max_length=20_000)
    partner_id: Id | None = None
    country: NotNull[Country] = None
    city: str | None = Field(None, max_length=200)
    places: NotNull[list[Annotated[str, Field(min_length=1, max_length=300)]]] = Field(
        None, max_length=50
    )
    languages: NotNull[list[Language]] = Field(None, max_length=10)
    responsible: Account | None = None
    press_editor: Account | None = None


class DatesChange(VisitTimes):
    arrival_on: Day
    departure_on: Day
    reason: Reason

    @model_validator(mode="after")
    def _dates(self) -> DatesChange:
        _check_dates(self.arrival_on, self.departure_on, self.arrives_at, self.departs_at)
        return self


class Postponement(VisitTimes):
    reason: Reason
    arrival_on: Day | None = Field(
        None, description="The new arrival; absent: until further notice"
    )
    departure_on: Day | None = None

    @model_validator(mode="after")
    def _dates(self) -> Postponement:
        if (self.arrival_on is None) != (self.departure_on is None):
            raise ValueError("arrival_on and departure_on: give both new dates, or neither")
        _check_dates(self.arrival_on, self.departure_on, self.arrives_at, self.departs_at)
        return self


class Cancellation(Strict):
    reason: Reason


class ApprovalDecision(Strict):
    outcome: Literal["approve", "decline"]
    comment: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _reason_for_no(self) -> ApprovalDecision:
        if self.outcome == "decline" and not self.comment:
            raise ValueError("comment: a declined visit needs the reason")
        return self


# Members: personal data.


class MemberCreate(Strict):
    full_name: str = Field(min_length=1, max_length=300)
    position: str | None = Field(None, max_length=300)
    organisation: str | None = Field(None, max_length=300)
    country: Country | None = None
    delegation_role: DelegationRole = "member"
    dietary_needs: str | None = Field(None, max_length=500)
    access_needs: str | None = Field(None, max_length=500)
    interpretation_language: Language | None = None


class MemberUpdate(Strict):
    full_name: NotNull[str] = Field(None, min_length=1, max_length=300)
    position: str | None = Field(None, max_length=300)
    organisation: str | None = Field(None, max_length=300)
    country: Country | None = None
    delegation_role: NotNull[DelegationRole] = None
    dietary_needs: str | None = Field(None, max_length=500)
    access_needs: str | None = Field(None, max_length=500)
    interpretation_language: Language | None = None


class MemberPublic(Public):
    id: int
    full_name: str
    position: str | None
    organisation: str | None
    country: str | None
    delegation_role: str
    dietary_needs: str | None
    access_needs: str | None
    interpretation_language: str | None


# Programme.


class ProgrammeItemCreate(Strict):
    kind: ProgrammeKind
    starts_at: Moment
    ends_at: Moment
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    place_ka: str = Field(min_length=1, max_length=500)
    place_en: str | None = Field(None, max_length=500)
    participants: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        default_factory=list,
        max_length=100,
        description="Officials by name and guests by their role in the delegation",
    )
    notes: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _times(self) -> ProgrammeItemCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: an item ends after it starts")
        return self


class ProgrammeItemUpdate(Strict):
    kind: NotNull[ProgrammeKind] = None
    starts_at: NotNull[Moment] = None
    ends_at: NotNull[Moment] = None
    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    place_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    place_en: str | None = Field(None, max_length=500)
    participants: NotNull[list[Annotated[str, Field(min_length=1, max_length=300)]]] = Field(
        None, max_length=100
    )
    notes: str | None = Field(None, max_length=5000)


class ProgrammeItemPublic(Public):
    id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    title_ka: str
    title_en: str | None
    place_ka: str
    place_en: str | None
    participants: list[str]
    notes: str | None
    sequence: int


# Logistics tasks.


class TaskCreate(Strict):
    key: Key
    title_ka: str = Field(min_length=1, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    owner: Account | None = None
    owner_role: OwnerRole = "protocol_officer"
    anchor: Anchor = "arrival"
    offset_days: int = Field(-7, ge=-365, le=365, description="Days from the anchor date")
    due_at: Moment | None = Field(None, description="A due time set by hand")
    required: bool = True
    notes: str | None = Field(None, max_length=5000)


class TaskUpdate(Strict):
    title_ka: NotNull[str] = Field(None, min_length=1, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    owner: Account | None = None
    owner_role: NotNull[OwnerRole] = None
    anchor: NotNull[Anchor] = None
    offset_days: NotNull[int] = Field(None, ge=-365, le=365)
    due_at: Moment | None = Field(None, description="A due time set by hand")
    required: NotNull[bool] = None
    notes: str | None = Field(None, max_length=5000)


class TaskCompletion(Strict):
    notes: str | None = Field(None, max_length=5000)


class TaskWaiver(Strict):
    reason: Reason


class TaskPublic(Public):
    key: str
    task_id: str
    title_ka: str
    title_en: str | None
    owner: str | None
    owner_role: str
    anchor: str
    offset_days: int
    due_at: datetime
    due_overridden: bool
    required: bool
    status: str
    notes: str | None
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    reminded_at: datetime | None
    overdue_at: datetime | None
    overdue: bool = False


# Budget.


class BudgetLineCreate(Strict):
    category: BudgetCategory
    description_ka: str = Field(min_length=1, max_length=500)
    description_en: str | None = Field(None, max_length=500)
    planned_gel: Gel
    actual_gel: Gel | None = None
    notes: str | None = Field(None, max_length=5000)


class BudgetLineUpdate(Strict):
    category: NotNull[BudgetCategory] = None
    description_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    description_en: str | None = Field(None, max_length=500)
    planned_gel: NotNull[Gel] = None
    actual_gel: Gel | None = None
    notes: str | None = Field(None, max_length=5000)


class BudgetLinePublic(Public):
    id: int
    category: str
    description_ka: str
    description_en: str | None
    planned_gel: Decimal
    actual_gel: Decimal | None
    notes: str | None


class BudgetPublic(BaseModel):
    lines: list[BudgetLinePublic]
    planned_total_gel: Decimal
    actual_total_gel: Decimal
    currency: Literal["GEL"] = "GEL"


# The report.


class FollowUpAction(Strict):
    action_ka: str = Field(min_length=1, max_length=1000)
    action_en: str | None = Field(None, max_length=1000)
    owner: Account
    due_on: Day | None = None


class ReportWrite(Strict):
    outcomes_ka: Text
    outcomes_en: str | None = Field(None, max_length=20_000)
    agreements_reached_ka: str | None = Field(None, max_length=20_000)
    agreements_reached_en: str | None = Field(None, max_length=20_000)
    follow_up: list[FollowUpAction] = Field(default_factory=list, max_length=100)


class ReportPublic(Public):
    outcomes_ka: str
    outcomes_en: str | None
    agreements_reached_ka: str | None
    agreements_reached_en: str | None
    follow_up: list[dict[str, Any]]
    written_by: str
    updated_at: datetime


# A visit as staff see it.


class HistoryEntryPublic(Public):
    at: datetime
    actor: str
    action: str
    from_status: str
    to_status: str
    task_key: str | None
    reason: str | None
    details: dict[str, Any]


class VisitSummary(BaseModel):
    id: int
    kind: str
    direction: str
    status: str
    title_ka: str
    title_en: str | None
    partner: PartnerRef | None
    country: str
    city: str | None
    arrival_on: date
    departure_on: date
    arrives_at: datetime | None
    departs_at: datetime | None
    responsible: str | None
    member_count: int
    open_task_count: int
    overdue_task_count: int


class VisitPublic(VisitSummary):
    purpose_ka: str
    purpose_en: str | None
    places: list[str]
    languages: list[str]
    press_editor: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    status_reason: str | None
    approved_by: str | None
    approved_at: datetime | None
    closed_at: datetime | None
    press_release_document_id: int | None
    allowed_actions: list[str]
    members_visible: bool = Field(description="Whether the asker may see the members")
    members: list[MemberPublic] | None = Field(
        None, description="Only for protocol roles; others see member_count"
    )
    members_purged_at: datetime | None
    programme: list[ProgrammeItemPublic]
    tasks: list[TaskPublic]
    budget: BudgetPublic
    report: ReportPublic | None
    workflow_id: str


class VisitPage(BaseModel):
    items: list[VisitSummary]
    total: int
    limit: int
    offset: int


# Agreements.


class AgreementCreate(Strict):
    partner_id: Id
    kind: AgreementKind
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    parties: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        min_length=2, max_length=20
    )
    signed_on: Day | None = None
    expires_on: Day | None = None
    renewal_notice_days: int = Field(90, ge=0, le=730)
    status: AgreementStatus = "in_force"
    notes: str | None = Field(None, max_length=20_000)

    @model_validator(mode="after")
    def _term(self) -> AgreementCreate:
        if self.signed_on and self.expires_on and self.expires_on <= self.signed_on:
            raise ValueError("expires_on: an agreement expires after it is signed")
        if self.status == "in_force" and self.signed_on is None:
            raise ValueError("signed_on: an agreement in force has been signed")
        return self


class AgreementUpdate(Strict):
    kind: NotNull[AgreementKind] = None
    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    parties: NotNull[list[Annotated[str, Field(min_length=1, max_length=300)]]] = Field(
        None, min_length=2, max_length=20
    )
    signed_on: Day | None = None
    expires_on: Day | None = None
    renewal_notice_days: NotNull[int] = Field(None, ge=0, le=730)
    status: NotNull[AgreementStatus] = None
    notes: str | None = Field(None, max_length=20_000)


class AgreementPublic(Public):
    id: int
    partner_id: int
    kind: str
    title_ka: str
    title_en: str | None
    parties: list[str]
    signed_on: date | None
    expires_on: date | None
    renewal_notice_days: int
    status: str
    notes: str | None
    renewal_due_on: date | None = None
    created_by: str
    created_at: datetime


# Projects and funding applications.


class DeadlineCreate(Strict):
    kind: DeadlineKind
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    due_on: Day


class DeadlinePublic(Public):
    id: int
    kind: str
    title_ka: str
    title_en: str | None
    due_on: date
    met_on: date | None
    reminded_days: list[int]


class ProjectCreate(Strict):
    title_ka: str = Field(min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    donor: str = Field(min_length=1, max_length=300)
    donor_partner_id: Id | None = None
    call: str | None = Field(None, max_length=500)
    amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    stage: Literal["idea", "concept_note", "application"] = "idea"
    summary_ka: str | None = Field(None, max_length=20_000)
    summary_en: str | None = Field(None, max_length=20_000)
    responsible: Account | None = None
    partner_ids: list[Id] = Field(default_factory=list, max_length=50)
    deadlines: list[DeadlineCreate] = Field(default_factory=list, max_length=50)
    cofinancing: Amount | None = None
    cofinancing_source: str | None = Field(None, max_length=300)


class ProjectUpdate(Strict):
    title_ka: NotNull[str] = Field(None, min_length=1, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    donor: NotNull[str] = Field(None, min_length=1, max_length=300)
    call: str | None = Field(None, max_length=500)
    amount: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)
    currency: NotNull[str] = Field(None, pattern=r"^[A-Z]{3}$")
    summary_ka: str | None = Field(None, max_length=20_000)
    summary_en: str | None = Field(None, max_length=20_000)
    responsible: Account | None = None
    partner_ids: NotNull[list[Id]] = Field(None, max_length=50)
    cofinancing: Amount | None = None
    cofinancing_source: str | None = Field(None, max_length=300)


class TrancheCreate(Strict):
    title_ka: str = Field(min_length=1, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    amount: Amount = Field(gt=0)
    expected_on: Day


class TranchePublic(Public):
    id: int
    title_ka: str
    title_en: str | None
    amount: Decimal
    expected_on: date
    received_on: date | None


class DocumentCreate(Strict):
    kind: DocumentKind
    title: str = Field(min_length=1, max_length=500)
    url: HttpUrl = Field(description="Where the document is kept (https://…)")


class DocumentPublic(Public):
    id: int
    kind: str
    title: str
    url: str
    added_by: str
    added_at: datetime


class StageChange(Strict):
    stage: ProjectStage
    comment: str | None = Field(None, max_length=5000)


class ProjectPublic(Public):
    id: int
    title_ka: str
    title_en: str | None
    donor: str
    donor_partner_id: int | None
    call: str | None
    amount: Decimal | None
    currency: str
    stage: str
    next_stages: list[str] = Field(default_factory=list)
    summary_ka: str | None
    summary_en: str | None
    responsible: str | None
    partner_ids: list[int]
    deadlines: list[DeadlinePublic]
    cofinancing: Decimal | None = None
    cofinancing_source: str | None = None
    tranches: list[TranchePublic] = Field(default_factory=list)
    documents: list[DocumentPublic] = Field(default_factory=list)
    received: Decimal = Field(Decimal(0), description="The tranches received so far")
    created_by: str
    created_at: datetime
    updated_at: datetime


class PartnerHistory(BaseModel):
    """Everything done with one partner: visits, agreements, projects."""

    partner: PartnerPublic
    visits: list[VisitSummary]
    agreements: list[AgreementPublic]
    projects: list[ProjectPublic]


class ChecklistItemPublic(BaseModel):
    key: str
    title_ka: str
    title_en: str
    anchor: str
    offset_days: int
    required: bool
    owner_role: str


class SweepResult(BaseModel):
    agreements_reminded: list[int]
    deadlines_reminded: list[int]
    visits_purged: list[int]


# What the visit workflow reads and records (internal endpoints).


class ReadinessNotice(BaseModel):
    open_keys: list[str]


class PressReleaseRecord(BaseModel):
    document_id: Id
