"""The endpoints of a published document's keeping (services/publishing/keeping.py): a
standing page's review plan and its owner's review, a scheduled unpublishing, and what
the keeping workflows call in the worker's own name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter

from meria.auth import InvalidToken, System, User, require_role, sign_receipt, verify_receipt
from meria.bus import Outbox
from meria.cases import TaskNotice
from meria.cases.pages import (
    REVIEW_STATUS,
    ReviewPlan,
    ReviewRecord,
    UnpublishPlan,
    review_workflow_id,
    unpublish_workflow_id,
)
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.contracts import DocumentReviewed, DocumentUnpublished
from meria.db import Database
from meria.idempotency import IdempotencyKey
from meria.inputs import Id
from meria.problems import Problem
from meria.temporal import query_status, send_update
from meria.web import RuntimeDep
from services.publishing.api import Head, Staff, fresh, outbox_of, settings_of
from services.publishing.documents import apply, load, now, public_edition
from services.publishing.keeping import (
    REVIEW_ACT,
    WORKER,
    end,
    months_later,
    note,
    replan,
    review_plan,
    schedule_unpublishing,
)
from services.publishing.lifecycle import _already_done
from services.publishing.schemas import (
    DocumentPublic,
    ReviewDecision,
    ReviewPlanUpdate,
    UnpublishSchedule,
)
from services.publishing.settings import PublishingSettings
from services.publishing.states import Action

router = APIRouter(prefix="/documents", tags=["documents"])
Keeper = Annotated[User, require_role("editor", "head_of_department")]
"""Who sets a page's owner and review dates."""


@router.put("/{document_id}/review-plan", summary="A standing page's owner and review dates")
async def put_review_plan(
    document_id: Id, data: ReviewPlanUpdate, user: Keeper, runtime: RuntimeDep
) -> DocumentPublic:
    await replan(runtime, document_id, data, user)
    return await fresh(runtime, document_id)


@router.post("/{document_id}/review", summary="The owner reviews their standing page")
async def review_page(
    document_id: Id, data: ReviewDecision, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    """Only the page's owner decides (the head of department too, once it is late): the
    review task's validator says so, and its refusal is a 409 with its message."""
    status = await query_status(runtime.temporal, review_workflow_id(document_id), REVIEW_STATUS)
    if status is None or status.task_id is None:
        raise Problem(409, "No review due", "This page has no review waiting.")
    receipt = sign_receipt(runtime.settings, user, review_workflow_id(document_id), REVIEW_ACT)
    result: TaskResult = await send_update(
        runtime.temporal,
        status.task_id,
        DECIDE,
        TaskDecision(
            user=user.id,
            roles=sorted(user.roles),
            outcome=data.outcome,
            comment=data.comment,
            receipt=receipt,
        ),
    )
    return result


@router.put("/{document_id}/scheduled-unpublish", summary="Take a publication down at a time")
async def put_unpublish_schedule(
    document_id: Id, data: UnpublishSchedule, user: Head, runtime: RuntimeDep
) -> DocumentPublic:
    settings = settings_of(runtime)
    if data.at <= now():
        raise Problem(422, "Time passed", "at: the time to take it down must be in the future.")
    async with runtime.db().transaction() as session:
        document = await load(session, document_id, lock=True)
        if public_edition(document) is None:
            raise Problem(409, "Not public", "Only a published document can be taken down.")
        document.unpublish_at = data.at
        document.unpublish_reason = data.reason
        document.unpublish_scheduled_by = user.id
        note(
            session,
            document,
            user.id,
            "schedule_unpublish",
            comment=data.reason,
            details={"at": data.at.isoformat()},
        )
        await schedule_unpublishing(
            runtime.temporal,
            settings.temporal_task_queue,
            UnpublishPlan(document_id=document_id, at=data.at),
        )
    return await fresh(runtime, document_id)


@router.delete("/{document_id}/scheduled-unpublish", summary="Call off a scheduled unpublishing")
async def cancel_unpublish_schedule(
    document_id: Id, user: Head, runtime: RuntimeDep
) -> DocumentPublic:
    async with runtime.db().transaction() as session:
        document = await load(session, document_id, lock=True)
        if document.unpublish_at is None:
            raise Problem(409, "Nothing scheduled", "This document is not to be taken down.")
        note(
            session,
            document,
            user.id,
            "cancel_scheduled_unpublish",
            details={"at": document.unpublish_at.isoformat()},
        )
        document.unpublish_at = None
        document.unpublish_reason = None
        document.unpublish_scheduled_by = None
        await end(runtime.temporal, unpublish_workflow_id(document_id))
    return await fresh(runtime, document_id)


# What the workflows call, in the worker's own name.


@router.post(
    "/{document_id}/reviews",
    summary="Record the owner's review of a standing page (internal)",
    tags=["workflow (internal)"],
)
async def record_review(
    document_id: Id,
    data: ReviewRecord,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> ReviewPlan:
    settings = settings_of(runtime)
    reviewer = _reviewer(settings, document_id, data.receipt)
    async with runtime.db().transaction() as session:
        document = await load(session, document_id, lock=True)
        if await _already_done(session, idempotency_key):
            done = review_plan(document, settings)
            assert done is not None
            return done
        moment = now()
        if data.outcome == "reviewed":
            document.last_reviewed_at, document.reviewed_by = moment, reviewer
            # A page reviewed on a date of its own, with no interval, comes back in a year.
            document.next_review_at = months_later(moment, document.review_every_months or 12)
        else:
            document.next_review_at = moment + timedelta(days=settings.page_review_again_days)
        note(
            session,
            document,
            reviewer,
            "page_reviewed" if data.outcome == "reviewed" else "page_needs_changes",
            comment=data.comment,
            details={"next_review_at": document.next_review_at.isoformat()},
            idempotency_key=idempotency_key,
        )
        edition = public_edition(document)
        if data.outcome == "reviewed" and edition is not None:
            await outbox_of(runtime).add(
                session,
                DocumentReviewed(
                    document_id=document.id,
                    edition=edition.number,
                    document_type=document.document_type,
                    reviewed_at=moment,
                ),
                about=f"document:{document.id}",
            )
        plan = review_plan(document, settings)
    assert plan is not None
    return plan


def _reviewer(settings: PublishingSettings, document_id: int, receipt: str | None) -> str:
    """Who reviewed: the person in this service's own receipt of their decision."""
    if receipt is None:
        raise Problem(422, "Receipt required", "A review names the person who made it.")
    try:
        record = verify_receipt(settings, receipt, case=review_workflow_id(document_id))
    except InvalidToken as error:
        raise Problem(422, "Receipt refused", str(error)) from None
    if record.act != REVIEW_ACT:
        raise Problem(422, "Receipt refused", f"The receipt records {record.act!r}.")
    return record.user


@router.post(
    "/{document_id}/review/task-notices",
    status_code=204,
    summary="A page review's reminder or escalation (internal)",
    tags=["workflow (internal)"],
)
async def review_notice(
    document_id: Id, notice: TaskNotice, _: System, runtime: RuntimeDep
) -> None:
    async with runtime.db().transaction() as session:
        document = await load(session, document_id)
        note(
            session,
            document,
            WORKER,
            "review_reminder" if notice.kind == "reminder" else "review_escalated",
            details={"task_id": notice.task_id, "awaiting": notice.awaiting},
        )


@router.post(
    "/{document_id}/scheduled-unpublication",
    summary="Take the publication down at its scheduled time (internal)",
    tags=["workflow (internal)"],
)
async def unpublish_on_schedule(
    document_id: Id, data: UnpublishPlan, _: System, runtime: RuntimeDep
) -> DocumentPublic:
    """As a head of department's unpublishing, in the worker's name, with the reason given
    when it was scheduled. A repeat, or a time since moved or called off, changes nothing."""
    if data.document_id != document_id:
        raise Problem(422, "Another document", "The plan names another document.")
    await take_down(runtime.db(), outbox_of(runtime), document_id, data.at)
    await end(runtime.temporal, review_workflow_id(document_id))
    return await fresh(runtime, document_id)


async def take_down(database: Database, outbox: Outbox, document_id: int, at: datetime) -> None:
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = public_edition(document)
        if edition is None or document.unpublish_at is None or document.unpublish_at != at:
            return
        reason = document.unpublish_reason or "Scheduled"
        apply(
            session,
            document,
            edition,
            Action.UNPUBLISH,
            WORKER,
            comment=reason,
            details={
                "scheduled": True,
                "at": at.isoformat(),
                "by": document.unpublish_scheduled_by,
            },
        )
        edition.public_explanation = reason
        edition.redirect_url = None
        document.unpublish_at = None
        await outbox.add(
            session,
            DocumentUnpublished(
                document_id=document.id,
                edition=edition.number,
                document_type=document.document_type,
                explanation=reason,
            ),
            about=f"document:{document.id}",
        )
