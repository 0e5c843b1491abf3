"""Media responses: asking for one (a story marked "response needed", an enquiry logged),
the owner's draft, the head of department's decision, cancellation; and where the media
response workflow's activities land (the case, transitions, notices, the statement and
the email to the outlet).

A response's status changes only through `apply`, which follows the state table and
keeps the entry on the record; the workflow (`media-response-<id>`) starts inside the
transaction that creates the response, so there is never one without the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria import municipality
from meria.auth import User
from meria.bus import Outbox
from meria.cases import TaskNotice, case_ref
from meria.cases.media import (
    CANCEL_RESPONSE,
    MEDIA_RESPONSE,
    RESPONSE_STATUS,
    Cancellation,
    ResponseCase,
    ResponseInput,
    ResponseTransition,
    ResponseWorkflowStatus,
    StatementDraft,
)
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.contracts import (
    ResponseApproved,
    ResponseCancelled,
    ResponseChangesRequested,
    ResponseEscalated,
    ResponsePublished,
    ResponseReminderDue,
    ResponseRequested,
    ResponseSent,
    ResponseSubmitted,
)
from meria.contracts.base import Event
from meria.db import Database
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT, query_status, send_update
from services.media import distribution
from services.media.contacts import already_done, note, now
from services.media.models import Enquiry, Journalist, Mailing, MediaResponse, MonitoringItem
from services.media.schemas import DraftWrite, ResponseDecision
from services.media.settings import MediaSettings
from services.media.states import (
    RESPONSE_FINISHED,
    ResponseAction,
    ResponseStatus,
    next_response,
)


async def load(session: AsyncSession, response_id: int, *, lock: bool = False) -> MediaResponse:
    found = await session.get(MediaResponse, response_id, with_for_update=lock)
    if found is None:
        raise Problem(404, "No such response", f"There is no media response {response_id}.")
    return found


async def get_response(database: Database, response_id: int) -> MediaResponse:
    async with database.session() as session:
        return await load(session, response_id)


async def list_responses(
    database: Database,
    *,
    status: str | None = None,
    owner: str | None = None,
    completed: tuple[datetime, datetime] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MediaResponse]:
    query = select(MediaResponse).order_by(MediaResponse.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(MediaResponse.status.in_(status.split(",")))
    if owner:
        query = query.where(MediaResponse.owner == owner)
    if completed:
        query = query.where(
            MediaResponse.completed_at >= completed[0], MediaResponse.completed_at < completed[1]
        )
    async with database.session() as session:
        return list(await session.scalars(query))


def _facts(response: MediaResponse) -> dict[str, Any]:
    return {
        "response_id": response.id,
        "item_id": response.item_id,
        "enquiry_id": response.enquiry_id,
        "subject_text": response.subject,
        "owner": response.owner,
    }


def _journalist_of(response: MediaResponse, enquiry: Enquiry | None) -> int | None:
    return enquiry.journalist_id if enquiry is not None else None


async def start_workflow(temporal: Client, task_queue: str, response: MediaResponse) -> None:
    await temporal.start_workflow(
        MEDIA_RESPONSE,
        ResponseInput(response_id=response.id),
        id=response.workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(KIND, "media_response"),
                SearchAttributePair(STAGE, response.status),
                SearchAttributePair(REF, case_ref("media_response", response.id)),
                SearchAttributePair(SUBJECT, response.subject),
            ]
        ),
    )


async def open_response(
    session: AsyncSession,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    *,
    subject: str,
    user: User,
    owner: str | None,
    due_at: datetime | None,
    approval_required: bool,
    item: MonitoringItem | None = None,
    enquiry: Enquiry | None = None,
    channel: str | None = None,
) -> MediaResponse:
    """Create a response and start its workflow, in the caller's transaction."""
    moment = now()
    response = MediaResponse(
        item_id=item.id if item else None,
        enquiry_id=enquiry.id if enquiry else None,
        subject=subject[:500],
        status=ResponseStatus.DRAFTING.value,
        owner=owner,
        due_at=due_at or moment + timedelta(hours=settings.response_draft_hours),
        approval_required=approval_required,
        channel=channel,
        created_by=user.id,
        created_at=moment,
    )
    session.add(response)
    await session.flush()
    if item is not None:
        item.response_id = response.id
    if enquiry is not None:
        enquiry.response_id = response.id
    note(
        session,
        _journalist_of(response, enquiry),
        "response_requested",
        user.id,
        response_id=response.id,
        enquiry_id=response.enquiry_id,
        details={"due_at": response.due_at.isoformat(), "owner": owner},
    )
    # Inside the transaction: if the workflow cannot start, no response is asked for.
    await start_workflow(temporal, settings.temporal_task_queue, response)
    await outbox.add(
        session,
        ResponseRequested(**_facts(response), due_at=response.due_at, requested_by=user.id),
        about=f"media_response:{response.id}",
    )
    return response


# What staff do.


async def write_draft(
    database: Database, response_id: int, data: DraftWrite, user: User
) -> MediaResponse:
    async with database.transaction() as session:
        response = await load(session, response_id, lock=True)
        _may_write(response, user)
        next_response(response.status, ResponseAction.WRITE_DRAFT)
        response.channel = data.channel
        if data.channel == "outlet" and not await _outlet_address(session, response):
            raise Problem(
                409,
                "Nowhere to send it",
                "Neither the journalist nor the outlet has an email address on record; "
                "publish it as a statement instead.",
            )
        response.text_ka, response.text_en = data.text_ka, data.text_en
        response.drafted_by, response.drafted_at = user.id, now()
        note(session, None, "response_drafted", user.id, response_id=response.id)
    return response


def _may_write(response: MediaResponse, user: User) -> None:
    if response.owner and response.owner != user.id and not user.has_any("head_of_department"):
        raise Problem(403, "Not yours", f"The response is {response.owner}'s to write.")


async def _task(temporal: Client, response: MediaResponse, step: str) -> str:
    status = await workflow_status(temporal, response)
    task = status.task if status else None
    if task is None or task.step != step:
        raise Problem(
            409,
            "Not waiting for that",
            f"The response is {response.status.replace('_', ' ')}; it does not wait for "
            f"{'a draft' if step == 'response_draft' else 'a decision'} now.",
            status_now=response.status,
        )
    return task.task_id


async def submit_draft(
    database: Database, temporal: Client, response_id: int, user: User
) -> TaskResult:
    response = await get_response(database, response_id)
    _may_write(response, user)
    if not response.text_ka or not response.channel:
        raise Problem(409, "Write it first", "The draft has no text yet: PUT /draft first.")
    task_id = await _task(temporal, response, "response_draft")
    result: TaskResult = await send_update(
        temporal,
        task_id,
        DECIDE,
        TaskDecision(user=user.id, roles=sorted(user.roles), outcome="submitted"),
    )
    return result


async def decide(
    database: Database, temporal: Client, response_id: int, data: ResponseDecision, user: User
) -> TaskResult:
    response = await get_response(database, response_id)
    task_id = await _task(temporal, response, "response_approval")
    result: TaskResult = await send_update(
        temporal,
        task_id,
        DECIDE,
        TaskDecision(
            user=user.id, roles=sorted(user.roles), outcome=data.outcome, comment=data.comment
        ),
    )
    return result


async def cancel(
    database: Database, temporal: Client, response_id: int, reason: str, user: User
) -> ResponseWorkflowStatus:
    response = await get_response(database, response_id)
    if ResponseStatus(response.status) in RESPONSE_FINISHED:
        raise Problem(409, "Finished", f"The response is {response.status}.")
    status: ResponseWorkflowStatus = await send_update(
        temporal,
        response.workflow_id,
        CANCEL_RESPONSE,
        Cancellation(user=user.id, roles=sorted(user.roles), reason=reason),
    )
    return status


async def workflow_status(
    temporal: Client, response: MediaResponse
) -> ResponseWorkflowStatus | None:
    status: ResponseWorkflowStatus | None = await query_status(
        temporal, response.workflow_id, RESPONSE_STATUS
    )
    return status


# Where the workflow's activities land.


def case_of(response: MediaResponse, settings: MediaSettings) -> ResponseCase:
    return ResponseCase(
        response_id=response.id,
        subject=response.subject,
        status=response.status,
        owner=response.owner,
        created_by=response.created_by,
        due_at=response.due_at,
        approval_required=response.approval_required,
        approval_hours=settings.response_approval_hours,
        channel=response.channel,
        drafted_by=response.drafted_by,
        document_id=response.document_id,
        mailing_id=response.mailing_id,
    )


async def case_info(database: Database, settings: MediaSettings, response_id: int) -> ResponseCase:
    async with database.session() as session:
        return case_of(await load(session, response_id), settings)


async def record_transition(
    database: Database,
    outbox: Outbox,
    settings: MediaSettings,
    response_id: int,
    request: ResponseTransition,
    idempotency_key: str | None,
) -> ResponseCase:
    async with database.transaction() as session:
        response = await load(session, response_id, lock=True)
        if not await already_done(session, idempotency_key):
            event = _transition(response, request)
            enquiry = (
                await session.get(Enquiry, response.enquiry_id) if response.enquiry_id else None
            )
            note(
                session,
                _journalist_of(response, enquiry),
                f"response_{request.action}",
                request.actor,
                note=request.comment,
                response_id=response.id,
                enquiry_id=response.enquiry_id,
                details=request.details,
                idempotency_key=idempotency_key,
            )
            await outbox.add(session, event, about=f"media_response:{response.id}")
        return case_of(response, settings)


def _transition(response: MediaResponse, request: ResponseTransition) -> Event:
    action = ResponseAction(request.action)
    response.status = next_response(response.status, action).value
    moment = request.at or now()
    facts = _facts(response)
    actor = request.actor
    if action is ResponseAction.DRAFT_SUBMITTED:
        return ResponseSubmitted(
            **facts, drafted_by=response.drafted_by or actor, channel=response.channel or ""
        )
    if action is ResponseAction.CHANGES_REQUESTED:
        return ResponseChangesRequested(**facts, decided_by=actor)
    if action is ResponseAction.APPROVED:
        response.approved_by, response.approved_at = actor, moment
        return ResponseApproved(**facts, decided_by=actor, channel=response.channel or "")
    if action is ResponseAction.CANCELLED:
        response.outcome, response.outcome_note = "cancelled", request.comment
        response.completed_at = moment
        return ResponseCancelled(**facts, cancelled_by=actor)
    response.completed_at = moment
    on_time = moment <= response.due_at
    if action is ResponseAction.PUBLISHED:
        response.outcome = "published"
        response.document_id = int(request.details.get("document_id") or response.document_id or 0)
        return ResponsePublished(**facts, document_id=response.document_id, on_time=on_time)
    assert action is ResponseAction.SENT
    response.outcome = "sent"
    response.mailing_id = int(request.details.get("mailing_id") or response.mailing_id or 0)
    return ResponseSent(**facts, mailing_id=response.mailing_id, on_time=on_time)


async def task_notice(
    database: Database,
    outbox: Outbox,
    response_id: int,
    notice: TaskNotice,
    idempotency_key: str | None,
) -> None:
    async with database.transaction() as session:
        response = await load(session, response_id, lock=True)
        if await already_done(session, idempotency_key):
            return
        reminder = notice.kind == "reminder"
        note(
            session,
            None,
            "response_reminder_due" if reminder else "response_escalated",
            "meria-worker",
            response_id=response.id,
            details={"task_id": notice.task_id, "step": notice.step, "awaiting": notice.awaiting},
            idempotency_key=idempotency_key,
        )
        fields: dict[str, Any] = {
            **_facts(response),
            "task_id": notice.task_id,
            "step": notice.step,
            "awaiting": notice.awaiting,
            "due_at": notice.due_at,
        }
        event: Event = ResponseReminderDue(**fields) if reminder else ResponseEscalated(**fields)
        await outbox.add(session, event, about=f"media_response:{response.id}")


async def statement_draft(
    database: Database, settings: MediaSettings, response_id: int
) -> StatementDraft:
    async with database.session() as session:
        response = await load(session, response_id)
        item = await session.get(MonitoringItem, response.item_id) if response.item_id else None
    if not response.text_ka:
        raise Problem(409, "No text", f"Response {response_id} has no approved text.")
    about = f" ({item.outlet.name_ka}, {item.published_on:%d.%m.%Y})" if item else ""
    return StatementDraft(
        title_ka=f"განცხადება: {response.subject}"[:500],
        title_en=f"Statement: {response.subject}"[:500] if response.text_en else None,
        summary_ka=f"{municipality.current().city_hall('ka')}: განცხადება{about}."[:5000],
        body_ka=_paragraphs(response.text_ka),
        body_en=_paragraphs(response.text_en) if response.text_en else None,
        author=response.drafted_by or response.owner or settings.statement_editor,
        document_id=response.document_id,
    )


def _paragraphs(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join(f"<p>{part.strip()}</p>" for part in escaped.split("\n\n") if part.strip())


async def record_statement(
    database: Database, response_id: int, document_id: int, idempotency_key: str | None
) -> None:
    async with database.transaction() as session:
        response = await load(session, response_id, lock=True)
        if response.document_id == document_id or await already_done(session, idempotency_key):
            return
        if response.document_id is not None:
            raise Problem(
                409, "Statement exists", f"Response {response_id} has {response.document_id}."
            )
        response.document_id = document_id
        note(
            session,
            None,
            "statement_created",
            "meria-worker",
            response_id=response.id,
            details={"document_id": document_id},
            idempotency_key=idempotency_key,
        )


async def _outlet_address(
    session: AsyncSession, response: MediaResponse
) -> distribution.Addressee | None:
    """Where an answer goes: the journalist who asked, else the outlet's newsroom."""
    enquiry = await session.get(Enquiry, response.enquiry_id) if response.enquiry_id else None
    item = await session.get(MonitoringItem, response.item_id) if response.item_id else None
    journalist = (
        await session.get(Journalist, enquiry.journalist_id)
        if enquiry and enquiry.journalist_id
        else None
    )
    if journalist is not None and journalist.email:
        return distribution.addressee(journalist)
    outlet = (enquiry.outlet if enquiry else None) or (item.outlet if item else None)
    if outlet is not None and outlet.newsroom_email:
        return distribution.Addressee(outlet.newsroom_email, outlet.name_ka, "ka", None)
    return None


async def dispatch(
    database: Database, outbox: Outbox, settings: MediaSettings, response_id: int
) -> Mailing:
    """Email the approved answer to who asked, once (the mailing is keyed by the response)."""
    async with database.transaction() as session:
        response = await load(session, response_id, lock=True)
        if response.status not in (ResponseStatus.APPROVED, ResponseStatus.SENT):
            raise Problem(409, "Not approved", f"Response {response_id} is {response.status}.")
        address = await _outlet_address(session, response)
        if address is None:
            raise Problem(409, "Nowhere to send it", "No address for the journalist or outlet.")
        enquiry = await session.get(Enquiry, response.enquiry_id) if response.enquiry_id else None
        subject = f"Re: {enquiry.subject}" if enquiry else response.subject
        mailing, _ = await distribution.create_mailing(
            session,
            outbox,
            settings,
            Mailing(
                kind="response",
                key=f"response:{response.id}",
                subject_ka=subject[:500],
                subject_en=subject[:500] if response.text_en else None,
                text_ka=response.text_ka or "",
                text_en=response.text_en,
                unsubscribable=False,
            ),
            [address],
        )
        response.mailing_id = mailing.id
        return mailing
