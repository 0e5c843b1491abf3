"""Stand-in activities for workflow tests that need no services: they answer as the
publishing, visits, events and media services (and the digest's gathering) would and
remember what they were asked."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle

from meria.cases.documents import CaseInfo, PublicationStatus, PublishedEdition, TransitionResult
from meria.cases.events import EventCase
from meria.cases.media import InformationCase, InformationTransition, ResponseCase
from meria.cases.pages import ReviewPlan, UnpublishPlan
from meria.cases.visits import TaskSpec, VisitCase
from services.publishing.routes import default_route
from workflows.activities.digest import DigestRequest, DigestResult
from workflows.activities.events import (
    AnnouncementRequest,
    AnnouncementWithdrawal,
    EventRef,
    RecordEventTaskOutcome,
    RecordEventTransition,
)
from workflows.activities.information_requests import (
    InformationRef,
    RecordInformationTransition,
)
from workflows.activities.media import AccreditationWindow, AccreditedReminder, WindowClosing
from workflows.activities.media_responses import RecordResponseTransition, ResponseRef
from workflows.activities.pages import RecordReview
from workflows.activities.publishing import EditionRef, RecordTransition, SignedOriginal
from workflows.activities.tasks import TaskNoticeRequest
from workflows.activities.visits import (
    ReadinessReport,
    RecordTaskOutcome,
    RecordVisitTransition,
    VisitRef,
)
from workflows.digest_content import DigestContent, DigestEntry, DigestSection
from workflows.human_task import HumanTaskWorkflow, TaskDecision
from workflows.publication import DocumentPublicationWorkflow

NOTICES: list[dict[str, Any]] = []
TRANSITIONS: list[RecordTransition] = []
PUBLISHED: list[tuple[EditionRef, datetime]] = []
SIGNED: list[EditionRef] = []
PUBLISH_AT: dict[int, datetime | None] = {}
# Documents whose edition on its way is a consolidated text (legal review, no signature).
CONSOLIDATIONS: set[int] = set()


@activity.defn(name="publishing.load_case")
async def load_case(edition: EditionRef) -> CaseInfo:
    document_type = "mayor_order" if edition.document_id % 2 == 0 else "press_release"
    consolidation = edition.document_id in CONSOLIDATIONS
    return CaseInfo(
        document_id=edition.document_id,
        edition=edition.edition,
        document_type=document_type,
        subject="ახმეტის მერის ბრძანება",
        author="nino.beridze",
        revision=1,
        state="submitted",
        steps=default_route("consolidation" if consolidation else document_type),
        is_legal_act=document_type == "mayor_order",
        signed_by_official=not consolidation,
        publish_at=PUBLISH_AT.get(edition.document_id),
        publish_attempts=3,
        publish_retry_seconds=1.0,
    )


@activity.defn(name="publishing.record_transition")
async def record_transition(request: RecordTransition) -> TransitionResult:
    TRANSITIONS.append(request)
    approving = request.transition.action in ("approve", "force_publish")
    return TransitionResult(
        state="approved" if approving else "in_review",
        revision=2,
        publish_at=PUBLISH_AT.get(request.edition.document_id),
        register_number="7/2026" if approving else None,
    )


@activity.defn(name="publishing.sign_edition")
async def sign_edition(edition: EditionRef) -> SignedOriginal:
    SIGNED.append(edition)
    return SignedOriginal(id=edition.document_id, sha256="1" * 64, signer_name="ახმეტის მერი")


@activity.defn(name="publishing.publish_edition")
async def publish_edition(edition: EditionRef) -> PublishedEdition:
    PUBLISHED.append((edition, activity.info().current_attempt_scheduled_time))
    return PublishedEdition(
        document_id=edition.document_id,
        edition=edition.edition,
        published_at=datetime.now(UTC),
        content_sha256="0" * 64,
    )


@activity.defn(name="tasks.send_notice")
async def send_notice(request: TaskNoticeRequest) -> None:
    NOTICES.append(request.notice)


async def decide(
    client: Client, handle: WorkflowHandle, user: str, role: str, outcome: str
) -> None:
    for _ in range(200):
        status: PublicationStatus = await handle.query(DocumentPublicationWorkflow.status)
        if status.tasks:
            task = client.get_workflow_handle(status.tasks[0].task_id)
            await task.execute_update(
                HumanTaskWorkflow.decide,
                TaskDecision(user=user, roles=[role], outcome=outcome, comment="ვეთანხმები"),
            )
            return
        await asyncio.sleep(0.05)
    raise TimeoutError("no open task")


# A visit, as the visits service would keep it: its status and tasks change as the
# workflow records transitions and outcomes.
VISITS: dict[int, VisitCase] = {}
VISIT_TRANSITIONS: list[str] = []
VISIT_STATUS_AFTER = {
    "approve": "in_preparation",
    "decline": "cancelled",
    "become_ready": "ready",
    "reopen_preparation": "in_preparation",
    "begin": "under_way",
    "end": "report_due",
    "close": "closed",
    "postpone": "postponed",
    "resume": "in_preparation",
    "cancel": "cancelled",
}


def _new_visit(visit_id: int, now: datetime) -> VisitCase:
    arrival = now + timedelta(days=20)
    due = arrival - timedelta(days=14)
    return VisitCase(
        visit_id=visit_id,
        subject="ბირშტონასის დელეგაციის ვიზიტი ახმეტაში",
        status="requested",
        kind="incoming_official",
        arrival_on=arrival.date(),
        departure_on=arrival.date() + timedelta(days=1),
        arrival_at=arrival,
        end_at=arrival + timedelta(days=2),
        created_by="ana.protocol",
        responsible="ana.protocol",
        tasks=[
            TaskSpec(
                key="invitation_letter",
                title_ka="მოსაწვევი წერილი",
                owner="ana.protocol",
                owner_role="protocol_officer",
                due_at=due - timedelta(days=10),
                required=True,
            ),
            TaskSpec(
                key="accommodation",
                title_ka="განთავსება",
                owner="ana.protocol",
                owner_role="protocol_officer",
                due_at=due,
                required=True,
            ),
            TaskSpec(
                key="gifts",
                title_ka="საჩუქრები",
                owner=None,
                owner_role="protocol_officer",
                due_at=due,
                required=False,
            ),
        ],
        approval_hours=72,
        readiness_gate_days=3,
        report_due_days=7,
        report_written=False,
        press_release_document_id=None,
        history_limit=10_000,
    )


@activity.defn(name="visits.load_case")
async def load_visit_case(visit: VisitRef) -> VisitCase:
    if visit.visit_id not in VISITS:
        now = activity.info().current_attempt_scheduled_time
        VISITS[visit.visit_id] = _new_visit(visit.visit_id, now)
    return VISITS[visit.visit_id]


@activity.defn(name="visits.record_transition")
async def record_visit_transition(request: RecordVisitTransition) -> VisitCase:
    VISIT_TRANSITIONS.append(request.transition.action)
    case = VISITS[request.visit.visit_id]
    case.status = VISIT_STATUS_AFTER[request.transition.action]
    if request.transition.action == "end":
        case.tasks.append(
            TaskSpec(
                key="report",
                title_ka="ანგარიში",
                owner="ana.protocol",
                owner_role="protocol_officer",
                due_at=case.end_at + timedelta(days=7),
                required=True,
            )
        )
    if request.transition.action in ("close", "cancel"):
        for task in case.tasks:
            task.status = "cancelled" if task.status == "open" else task.status
    return case


@activity.defn(name="visits.record_task_outcome")
async def record_visit_task_outcome(request: RecordTaskOutcome) -> None:
    for task in VISITS[request.visit.visit_id].tasks:
        if task.key == request.key:
            task.status = request.outcome.outcome


@activity.defn(name="visits.report_not_ready")
async def report_not_ready(report: ReadinessReport) -> None:
    VISIT_TRANSITIONS.append("not_ready:" + ",".join(report.open_keys))


@activity.defn(name="visits.publish_results")
async def publish_results(visit: VisitRef) -> int:
    return 900 + visit.visit_id


# Events, as the events service would keep them: a press conference or a meeting a few
# days ahead; a new date is a new event of the same case.
EVENT_CASES: dict[int, EventCase] = {}
EVENT_RECORDS: list[str] = []
MEDIA_CALLS: list[str] = []


def event_case(
    event_id: int, kind: str, starts_at: datetime, *, case_id: int | None = None
) -> EventCase:
    briefing = kind == "foundation_meeting"
    return EventCase(
        event_id=event_id,
        case_id=case_id or event_id,
        kind=kind,
        state="scheduled",
        subject="მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ"
        if kind == "press_conference"
        else "შეხვედრა გაეროს განვითარების პროგრამასთან",
        title_en=None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        public=kind == "press_conference",
        responsible="giorgi.media" if kind == "press_conference" else "ana.protocol",
        created_by="ana.protocol",
        follow_up_kind="press_release" if kind == "press_conference" else None,
        reminder_lead_hours=24,
        accreditation_closes_hours=2,
        follow_up_due_hours=24,
        briefing_required=briefing,
        briefing_due_at=starts_at - timedelta(days=2) if briefing else None,
        briefing_status="due" if briefing else None,
        minutes_due_hours=72,
        minutes_written=False,
        follow_up_closed=False,
        advisory_document_id=None,
        notice_document_id=None,
        actions=[],
    )


@activity.defn(name="events.load_case")
async def load_event_case(event: EventRef) -> EventCase:
    if event.event_id not in EVENT_CASES:
        now = activity.info().current_attempt_scheduled_time
        kind = "press_conference" if event.event_id % 2 else "foundation_meeting"
        EVENT_CASES[event.event_id] = event_case(event.event_id, kind, now + timedelta(days=4))
    return EVENT_CASES[event.event_id]


@activity.defn(name="events.record_transition")
async def record_event_transition(request: RecordEventTransition) -> EventCase:
    EVENT_RECORDS.append(request.transition.action)
    case = EVENT_CASES[request.event.event_id]
    if request.transition.action == "complete" and case.state == "scheduled":
        case.state = "completed"
    if request.transition.action == "close_follow_up":
        case.follow_up_closed = True
    return case


@activity.defn(name="events.record_task_outcome")
async def record_event_task_outcome(request: RecordEventTaskOutcome) -> None:
    EVENT_RECORDS.append(f"{request.key}:{request.outcome.outcome}")


@activity.defn(name="events.publish_announcement")
async def publish_announcement(request: AnnouncementRequest) -> int:
    EVENT_RECORDS.append(f"{request.purpose}:{request.event.event_id}")
    return (700 if request.purpose == "advisory" else 800) + request.event.event_id


@activity.defn(name="events.withdraw_announcement")
async def withdraw_announcement(request: AnnouncementWithdrawal) -> bool:
    EVENT_RECORDS.append(f"withdrawn:{request.document_id}")
    return True


@activity.defn(name="media.open_accreditation")
async def open_accreditation(window: AccreditationWindow) -> None:
    MEDIA_CALLS.append(f"open:{window.event_id}:{window.closes_at.isoformat()}")


@activity.defn(name="media.close_accreditation")
async def close_accreditation(closing: WindowClosing) -> None:
    MEDIA_CALLS.append(f"close:{closing.event_id}")


@activity.defn(name="media.remind_accredited")
async def remind_accredited(reminder: AccreditedReminder) -> int | None:
    MEDIA_CALLS.append(f"remind:{reminder.key}")
    return 2


# The media response workflow's activities: a response kept in memory.
RESPONSES: dict[int, ResponseCase] = {}


def _response(response_id: int) -> ResponseCase:
    if response_id not in RESPONSES:
        RESPONSES[response_id] = ResponseCase(
            response_id=response_id,
            subject="იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?",
            status="drafting",
            owner="giorgi.media",
            created_by="giorgi.media",
            due_at=datetime(2026, 11, 17, 12, tzinfo=UTC),
            approval_required=True,
            approval_hours=24.0,
            channel="statement" if response_id % 2 else "outlet",
            drafted_by="giorgi.media",
            document_id=None,
            mailing_id=None,
        )
    return RESPONSES[response_id]


@activity.defn(name="media.load_case")
async def load_response_case(response: ResponseRef) -> ResponseCase:
    return _response(response.response_id)


@activity.defn(name="media.record_transition")
async def record_response_transition(request: RecordResponseTransition) -> ResponseCase:
    case = _response(request.response.response_id)
    statuses = {
        "draft_submitted": "awaiting_approval",
        "changes_requested": "drafting",
        "approved": "approved",
        "published": "published",
        "sent": "sent",
        "cancelled": "cancelled",
    }
    case.status = statuses[request.transition.action]
    return case


@activity.defn(name="media.send_to_outlet")
async def send_to_outlet(response: ResponseRef) -> int:
    return 40 + response.response_id


@activity.defn(name="media.publish_statement")
async def publish_statement(response: ResponseRef) -> int:
    return 70 + response.response_id


# The information request workflow's activities: a request of the municipal council kept
# in memory, needed a week after the workflow first reads it, for the department's desk.
INFORMATION: dict[int, InformationCase] = {}
INFORMATION_TRANSITIONS: list[InformationTransition] = []


@activity.defn(name="media.information.load_case")
async def load_information_case(request: InformationRef) -> InformationCase:
    if request.request_id not in INFORMATION:
        now = activity.info().current_attempt_scheduled_time
        INFORMATION[request.request_id] = InformationCase(
            request_id=request.request_id,
            title="ტურისტების რაოდენობა თუშეთში 2026 წელს",
            status="open",
            owner=None,
            requester="sakrebulo.aparati",
            needed_by=now + timedelta(days=7),
        )
    return INFORMATION[request.request_id]


@activity.defn(name="media.information.record_transition")
async def record_information_transition(request: RecordInformationTransition) -> InformationCase:
    INFORMATION_TRANSITIONS.append(request.transition)
    case = INFORMATION[request.request.request_id]
    case.status = request.transition.action
    return case


# The monthly digest's activities: every month gathers the same entries (title, day of
# the month, note) without asking the services; publishing creates and submits one
# document per month, kept here with its content.
DIGEST_DOCUMENTS: dict[str, DigestContent] = {}
DIGEST_MONTH: dict[str, list[tuple[str, int, str | None]]] = {
    "acts": [("მერის ბრძანება სკოლების გათბობის შესახებ", 3, "№ 45")],
    "press_releases": [("ახმეტაში ახალი საბავშვო ბაღი გაიხსნა", 12, None)],
    "press_conferences": [("მერის პრესკონფერენცია თუშეთის გზის შესახებ", 10, None)],
    "responses": [("იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?", 17, "განცხადება")],
}


@activity.defn(name="digest.gather")
async def gather_digest(request: DigestRequest) -> DigestContent:
    first = date.fromisoformat(f"{request.month}-01")
    sections = [
        DigestSection(
            key=key,
            entries=[
                DigestEntry(title_ka=title, day=first.replace(day=day), note_ka=note)
                for title, day, note in found
            ],
        )
        for key, found in DIGEST_MONTH.items()
    ]
    return DigestContent(month=request.month, requested_by=request.requested_by, sections=sections)


@activity.defn(name="digest.publish")
async def publish_digest(content: DigestContent) -> DigestResult:
    DIGEST_DOCUMENTS.setdefault(content.month, content)
    document_id = 500 + list(DIGEST_DOCUMENTS).index(content.month)
    return DigestResult(document_id=document_id, state="submitted")


# A standing page's reviews and publications taken down, as publishing would record them.
REVIEWS: list[RecordReview] = []
TAKEN_DOWN: list[UnpublishPlan] = []


@activity.defn(name="publishing.record_review")
async def record_review(request: RecordReview) -> ReviewPlan:
    REVIEWS.append(request)
    return ReviewPlan(
        document_id=request.document_id,
        title="მერიის კონტაქტები",
        owner="eka.lomidze",
        next_review_at=activity.info().current_attempt_scheduled_time + timedelta(days=182),
    )


@activity.defn(name="publishing.unpublish_on_schedule")
async def unpublish_on_schedule(plan: UnpublishPlan) -> None:
    TAKEN_DOWN.append(plan)


ACTIVITIES = [
    record_review,
    unpublish_on_schedule,
    load_case,
    record_transition,
    sign_edition,
    publish_edition,
    send_notice,
    load_visit_case,
    record_visit_transition,
    record_visit_task_outcome,
    report_not_ready,
    publish_results,
    load_event_case,
    record_event_transition,
    record_event_task_outcome,
    publish_announcement,
    withdraw_announcement,
    open_accreditation,
    close_accreditation,
    remind_accredited,
    load_response_case,
    record_response_transition,
    send_to_outlet,
    publish_statement,
    load_information_case,
    record_information_transition,
    gather_digest,
    publish_digest,
]
