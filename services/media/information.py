"""The department's information desk: requests of the municipal council (Sakrebulo) and of
the mayor's office services to find and select information.

A request says who asks, for what, by when and where to look. It starts
`InformationRequestWorkflow` (`information-request-<id>`) in the transaction that creates
it, so it is an inbox task for the department with its deadline, reminder and escalation.
The department writes the answer (text and files), then sends it: the answer goes back to
the requester and is kept, searchable by the stems of its words (`meria.georgian`), and
the next similar request shows the earlier answers it shares words with. Whoever asked
may withdraw a request they no longer need; the department may decline one with the
reason. Every step is on the request's history; the workflow's activities record theirs
with an idempotency key, so a retried activity records it once.
"""

from __future__ import annotations

from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria import uploads
from meria.auth import User
from meria.bus import Outbox
from meria.cases import TaskNotice, case_ref
from meria.cases.media import (
    INFORMATION_REQUEST,
    INFORMATION_STATUS,
    WITHDRAW_REQUEST,
    InformationCase,
    InformationRequestInput,
    InformationTransition,
    InformationWorkflowStatus,
    Withdrawal,
)
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.contracts import (
    InformationRequestAnswered,
    InformationRequestDeclined,
    InformationRequestOverdue,
    InformationRequestReceived,
    InformationRequestWithdrawn,
)
from meria.contracts.base import Event
from meria.db import Database, count_of
from meria.georgian import tokens
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT, query_status, send_update
from services.media.contacts import now
from services.media.models import InformationEntry, InformationFile, InformationRequest
from services.media.schemas import (
    InformationEntryPublic,
    InformationRequestCreate,
    InformationRequestPublic,
    SimilarAnswer,
)
from services.media.settings import MediaSettings
from services.media.storage import Storage

DESK = ("media_officer", "head_of_department")
"""Who answers: the department's staff (the information desk)."""
OPEN = "open"
FINISHED = ("answered", "declined", "withdrawn")
SIMILAR_CANDIDATES = 500


def keys_of(*texts: str | None) -> set[str]:
    """The search keys of the texts: Georgian stems and other words, three letters or more."""
    return {key for text in texts if text for key in tokens(text) if len(key) >= 3}


def _index(request: InformationRequest) -> None:
    found = keys_of(request.title, request.question, request.answer_text)
    request.search_keys = f" {' '.join(sorted(found))} "


def may_read(request: InformationRequest, user: User) -> bool:
    return request.requester == user.id or user.has_any(*DESK, "admin")


def _facts(request: InformationRequest) -> dict[str, Any]:
    return {
        "request_id": request.id,
        "requester": request.requester,
        "requester_unit": request.requester_unit,
        "title": request.title,
        "needed_by": request.needed_by,
    }


def _record(
    session: AsyncSession,
    request: InformationRequest,
    action: str,
    actor: str,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> None:
    session.add(
        InformationEntry(
            request_id=request.id,
            action=action,
            actor=actor,
            note=note,
            at=now(),
            idempotency_key=idempotency_key,
        )
    )


async def _already_done(session: AsyncSession, key: str | None) -> bool:
    if key is None:
        return False
    found = await session.scalar(
        select(InformationEntry.id).where(InformationEntry.idempotency_key == key)
    )
    return found is not None


async def load(session: AsyncSession, request_id: int, *, lock: bool = False) -> InformationRequest:
    found = await session.get(InformationRequest, request_id, with_for_update=lock)
    if found is None:
        raise Problem(404, "No such request", f"There is no information request {request_id}.")
    return found


async def readable(database: Database, request_id: int, user: User) -> InformationRequest:
    async with database.session() as session:
        request = await load(session, request_id)
    if not may_read(request, user):
        # Another unit's request is not theirs to see, nor to know of.
        raise Problem(404, "No such request", f"There is no information request {request_id}.")
    return request


def view(
    request: InformationRequest, user: User, similar: list[SimilarAnswer] | None = None
) -> InformationRequestPublic:
    desk = user.has_any(*DESK, "admin")
    public = InformationRequestPublic.model_validate(request)
    public.overdue = request.status == OPEN and request.needed_by < now()
    if not desk and request.status != "answered":
        public.answer_text = None  # a draft is the department's until it is sent
        public.files = []
    if desk:
        public.history = [InformationEntryPublic.model_validate(e) for e in request.entries]
    public.similar = similar or []
    return public


# Asking.


async def start_workflow(temporal: Client, task_queue: str, request: InformationRequest) -> None:
    await temporal.start_workflow(
        INFORMATION_REQUEST,
        InformationRequestInput(request_id=request.id),
        id=request.workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(KIND, "information_request"),
                SearchAttributePair(STAGE, OPEN),
                SearchAttributePair(REF, case_ref("information_request", request.id)),
                SearchAttributePair(SUBJECT, request.title),
            ]
        ),
    )


async def create(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: MediaSettings,
    data: InformationRequestCreate,
    user: User,
) -> InformationRequest:
    if data.needed_by <= now():
        raise Problem(
            422,
            "Deadline passed",
            "needed_by: the information is needed by a time still to come.",
            errors=[{"field": "needed_by", "message": "The deadline has to be in the future."}],
        )
    async with database.transaction() as session:
        request = InformationRequest(
            requester=user.id,
            requester_name=data.requester_name or user.name or user.id,
            requester_unit=data.requester_unit,
            title=data.title,
            question=data.question,
            sources=list(data.sources),
            needed_by=data.needed_by,
            status=OPEN,
            owner=data.owner,
            created_at=now(),
        )
        _index(request)
        session.add(request)
        await session.flush()
        _record(session, request, "received", user.id)
        # Inside the transaction: if the workflow cannot start, nothing was asked.
        await start_workflow(temporal, settings.temporal_task_queue, request)
        await outbox.add(
            session,
            InformationRequestReceived(**_facts(request), sources=list(request.sources)),
            about=f"information_request:{request.id}",
        )
    return request


async def listing(
    database: Database,
    user: User,
    *,
    text: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[InformationRequest], int]:
    """Newest first; a requester sees their own, the desk sees all. `text` matches every
    word's stem in the title, the question or the answer."""
    query = select(InformationRequest)
    if not user.has_any(*DESK, "admin"):
        query = query.where(InformationRequest.requester == user.id)
    if status:
        query = query.where(InformationRequest.status.in_(status.split(",")))
    for key in keys_of(text):
        query = query.where(InformationRequest.search_keys.contains(f" {key} "))
    async with database.session() as session:
        total = await session.scalar(count_of(query))
        found = await session.scalars(
            query.order_by(InformationRequest.id.desc()).limit(limit).offset(offset)
        )
        return list(found), int(total or 0)


async def similar_answers(
    database: Database, request: InformationRequest, limit: int = 3
) -> list[SimilarAnswer]:
    """Earlier answered requests sharing the most words with this one (two at least).
    Of the candidates only their words and dates are read; the few shown are read whole."""
    wanted = keys_of(request.title, request.question)
    if not wanted:
        return []
    async with database.session() as session:
        candidates = await session.execute(
            select(
                InformationRequest.id,
                InformationRequest.search_keys,
                InformationRequest.answered_at,
            )
            .where(InformationRequest.status == "answered", InformationRequest.id != request.id)
            .where(or_(*(InformationRequest.search_keys.contains(f" {k} ") for k in wanted)))
            .order_by(InformationRequest.answered_at.desc())
            .limit(SIMILAR_CANDIDATES)
        )
        scored = []
        for earlier_id, keys, answered_at in candidates.tuples():
            shared = len(wanted & set(keys.split()))
            if shared >= 2:
                scored.append((shared, answered_at or now(), earlier_id))
        scored.sort(key=lambda found: (-found[0], -found[1].timestamp()))
        best = scored[:limit]
        shown = {
            earlier.id: earlier
            for earlier in await session.scalars(
                select(InformationRequest)
                .where(InformationRequest.id.in_([earlier_id for *_, earlier_id in best]))
                .options(noload(InformationRequest.entries))
            )
        }
        return [
            SimilarAnswer(
                request_id=earlier_id,
                title=shown[earlier_id].title,
                requester_unit=shown[earlier_id].requester_unit,
                answered_at=shown[earlier_id].answered_at,
                excerpt=(shown[earlier_id].answer_text or "")[:300],
                files=len(shown[earlier_id].files),
                shared_words=shared,
            )
            for shared, _, earlier_id in best
        ]


# The desk's answer.


def _open_for_answer(request: InformationRequest) -> None:
    if request.status != OPEN:
        raise Problem(
            409,
            "Closed",
            f"The request is {request.status}; its answer can no longer change.",
            status_now=request.status,
        )


async def write_answer(
    database: Database, request_id: int, text: str, user: User
) -> InformationRequest:
    async with database.transaction() as session:
        request = await load(session, request_id, lock=True)
        _open_for_answer(request)
        request.answer_text = text
        request.answer_drafted_by = user.id
        _index(request)
        _record(session, request, "answer_drafted", user.id)
    return request


def answer_policy(settings: MediaSettings) -> uploads.Policy:
    return uploads.Policy.of(
        "An answer's file",
        settings.information_file_types,
        settings.information_file_max_bytes,
        settings.upload_limits(),
    )


async def add_file(
    database: Database,
    storage: Storage,
    settings: MediaSettings,
    request_id: int,
    filename: str,
    source: IO[bytes],
    user: User,
) -> InformationFile:
    async with database.session() as session:
        _open_for_answer(await load(session, request_id))
    checked = await uploads.check(source, filename, answer_policy(settings))
    stored_name = f"answers/{checked.stored_name}"
    try:
        # The file first: a row never names a file that is not there.
        await storage.write(stored_name, checked.content)
        async with database.transaction() as session:
            request = await load(session, request_id, lock=True)
            _open_for_answer(request)
            added = InformationFile(
                request_id=request.id,
                filename=checked.filename,
                media_type=checked.media_type,
                size=checked.size,
                sha256=checked.sha256,
                stored_name=stored_name,
                added_by=user.id,
                added_at=now(),
            )
            session.add(added)
            _record(session, request, "file_added", user.id, note=checked.filename)
    except BaseException:
        await storage.delete(stored_name)  # refused after it was written: keep nothing
        raise
    finally:
        checked.close()
    return added


async def remove_file(
    database: Database, storage: Storage, request_id: int, file_id: int, user: User
) -> None:
    async with database.transaction() as session:
        request = await load(session, request_id, lock=True)
        _open_for_answer(request)
        found = await session.get(InformationFile, file_id)
        if found is None or found.request_id != request.id:
            raise Problem(404, "No such file", f"Request {request_id} has no file {file_id}.")
        await session.delete(found)
        _record(session, request, "file_removed", user.id, note=found.filename)
    await storage.delete(found.stored_name)


async def file_of(database: Database, request_id: int, file_id: int, user: User) -> InformationFile:
    request = await readable(database, request_id, user)
    found = next((f for f in request.files if f.id == file_id), None)
    if found is None or (request.status != "answered" and not user.has_any(*DESK, "admin")):
        raise Problem(404, "No such file", f"Request {request_id} has no file {file_id}.")
    return found


async def _task_id(temporal: Client, request: InformationRequest) -> str:
    status = await workflow_status(temporal, request)
    if status is None or status.task is None:
        raise Problem(
            409,
            "Not waiting for an answer",
            f"The request is {request.status}; it does not wait for an answer now.",
            status_now=request.status,
        )
    return status.task.task_id


async def send_answer(
    database: Database, temporal: Client, request_id: int, user: User
) -> TaskResult:
    """Send the written answer: the task is done, and the workflow records it."""
    async with database.session() as session:
        request = await load(session, request_id)
    _open_for_answer(request)
    if not request.answer_text:
        raise Problem(409, "Write it first", "The answer has no text yet: PUT /answer first.")
    result: TaskResult = await send_update(
        temporal,
        await _task_id(temporal, request),
        DECIDE,
        TaskDecision(user=user.id, roles=sorted(user.roles), outcome="answered"),
    )
    return result


async def decline(
    database: Database, temporal: Client, request_id: int, reason: str, user: User
) -> TaskResult:
    async with database.session() as session:
        request = await load(session, request_id)
    _open_for_answer(request)
    result: TaskResult = await send_update(
        temporal,
        await _task_id(temporal, request),
        DECIDE,
        TaskDecision(user=user.id, roles=sorted(user.roles), outcome="declined", comment=reason),
    )
    return result


async def withdraw(
    database: Database, temporal: Client, request_id: int, reason: str, user: User
) -> InformationWorkflowStatus:
    request = await readable(database, request_id, user)
    if request.requester != user.id and not user.has_any("admin"):
        raise Problem(403, "Not yours", "Only whoever asked may withdraw the request.")
    _open_for_answer(request)
    status: InformationWorkflowStatus = await send_update(
        temporal,
        request.workflow_id,
        WITHDRAW_REQUEST,
        Withdrawal(user=user.id, roles=sorted(user.roles), reason=reason),
    )
    return status


async def workflow_status(
    temporal: Client, request: InformationRequest
) -> InformationWorkflowStatus | None:
    status: InformationWorkflowStatus | None = await query_status(
        temporal, request.workflow_id, INFORMATION_STATUS
    )
    return status


# Where the workflow's activities land.


def case_of(request: InformationRequest) -> InformationCase:
    return InformationCase(
        request_id=request.id,
        title=request.title,
        status=request.status,
        owner=request.owner,
        requester=request.requester,
        needed_by=request.needed_by,
    )


async def case_info(database: Database, request_id: int) -> InformationCase:
    async with database.session() as session:
        return case_of(await load(session, request_id))


async def record_transition(
    database: Database,
    outbox: Outbox,
    request_id: int,
    transition: InformationTransition,
    idempotency_key: str | None,
) -> InformationCase:
    async with database.transaction() as session:
        request = await load(session, request_id, lock=True)
        if await _already_done(session, idempotency_key):
            return case_of(request)
        if request.status != OPEN:
            raise Problem(409, "Closed", f"The request is {request.status} already.")
        moment = transition.at or now()
        request.status = transition.action
        event: Event
        if transition.action == "answered":
            request.answered_by, request.answered_at = transition.actor, moment
            event = InformationRequestAnswered(
                **_facts(request),
                answered_by=transition.actor,
                files=len(request.files),
                on_time=moment <= request.needed_by,
            )
        elif transition.action == "declined":
            request.close_reason = transition.comment
            event = InformationRequestDeclined(
                **_facts(request), declined_by=transition.actor, reason=transition.comment or ""
            )
        else:
            request.close_reason = transition.comment
            event = InformationRequestWithdrawn(**_facts(request), withdrawn_by=transition.actor)
        _record(
            session,
            request,
            transition.action,
            transition.actor,
            note=transition.comment,
            idempotency_key=idempotency_key,
        )
        await outbox.add(session, event, about=f"information_request:{request.id}")
        return case_of(request)


async def task_notice(
    database: Database,
    outbox: Outbox,
    request_id: int,
    notice: TaskNotice,
    idempotency_key: str | None,
) -> None:
    """A reminder before the deadline is on the history; the deadline passed unanswered
    is the `overdue` event, for the head of department."""
    async with database.transaction() as session:
        request = await load(session, request_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        overdue = notice.kind == "escalation"
        _record(
            session,
            request,
            "overdue" if overdue else "reminder",
            "meria-worker",
            note=", ".join(notice.awaiting),
            idempotency_key=idempotency_key,
        )
        if overdue:
            await outbox.add(
                session,
                InformationRequestOverdue(
                    **_facts(request), task_id=notice.task_id, awaiting=list(notice.awaiting)
                ),
                about=f"information_request:{request.id}",
            )
