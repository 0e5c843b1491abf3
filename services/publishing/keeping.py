"""A published document's keeping: a standing page's owner and review dates, and a
publication taken down at a set time.

A web page may have an owner (a staff account) who reviews it every few months or on a
date. Once it is published, its `PageReviewWorkflow` waits for that date and puts the
review in the owner's inbox; the owner's decision comes back here
(`POST /documents/{id}/reviews`, the worker's own call), which records it, sets the next
date and tells the website. Any published document may carry `unpublish_at`: its
`ScheduledUnpublishWorkflow` takes it down then, exactly as a head of department's
unpublishing does, in the worker's name and with the reason given.

The service starts both workflows (ids from the document's) with the plan as it stands
and signals every change of it; taking the document down cancels both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from meria.auth import User
from meria.cases import case_ref
from meria.cases.pages import (
    PAGE_REVIEW,
    SCHEDULED_UNPUBLISH,
    PageReviewInput,
    ReviewPlan,
    UnpublishPlan,
    review_workflow_id,
    unpublish_workflow_id,
)
from meria.problems import Problem
from meria.runtime import Runtime
from meria.temporal import KIND, REF, SUBJECT
from services.publishing.documents import load, now, public_edition
from services.publishing.models import AuditEntry, Document
from services.publishing.schemas import (
    ReviewPlanFields,
)
from services.publishing.settings import PublishingSettings

WORKER = "meria-worker"
REVIEW_ACT = "page_review"


def _settings(runtime: Runtime) -> PublishingSettings:
    settings = runtime.settings
    assert isinstance(settings, PublishingSettings)
    return settings


# The plan, as data.


def check_plan(document_type: str, data: ReviewPlanFields, moment: datetime) -> None:
    """Refuse a plan that does not fit: a page only, a date to come."""
    if not data.plan_given():
        return
    if document_type != "web_page":
        raise Problem(
            422,
            "Not a standing page",
            f"Only a standing page (web_page) has an owner and review dates, not a "
            f"{document_type}.",
        )
    if data.next_review_at is not None and data.next_review_at <= moment:
        raise Problem(422, "Review date passed", "next_review_at must be in the future.")


def set_plan(document: Document, data: ReviewPlanFields) -> bool:
    """Write the fields given; True when anything changed."""
    changed = False
    for name in data.model_fields_set & {"owner", "review_every_months", "next_review_at"}:
        value = getattr(data, name)
        if getattr(document, name) != value:
            setattr(document, name, value)
            changed = True
    return changed


def months_later(moment: datetime, months: int) -> datetime:
    return moment + relativedelta(months=months)


def review_plan(document: Document, settings: PublishingSettings) -> ReviewPlan | None:
    """The review as the workflow runs it; None for a page with no owner or date."""
    if document.owner is None or document.next_review_at is None:
        return None
    edition = public_edition(document) or document.editions[-1]
    return ReviewPlan(
        document_id=document.id,
        title=edition.title_ka,
        owner=document.owner,
        next_review_at=document.next_review_at,
        answer_within_hours=settings.page_review_answer_hours,
    )


def note(
    session: AsyncSession,
    document: Document,
    actor: str,
    action: str,
    *,
    comment: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> None:
    """An audit entry that moves no edition."""
    edition = public_edition(document) or document.editions[-1]
    session.add(
        AuditEntry(
            document_id=document.id,
            edition_number=edition.number,
            at=now(),
            actor=actor,
            action=action,
            from_state=edition.state,
            to_state=edition.state,
            comment=comment,
            details=details or {},
            idempotency_key=idempotency_key,
        )
    )


# The workflows.


async def keep_reviewing(temporal: Client, task_queue: str, plan: ReviewPlan) -> None:
    """Start the page's review cycle, or tell the running one its new plan."""
    await temporal.start_workflow(
        PAGE_REVIEW,
        PageReviewInput(plan=plan),
        id=review_workflow_id(plan.document_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="replan",
        start_signal_args=[plan],
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(KIND, "document"),
                SearchAttributePair(REF, case_ref("document", plan.document_id)),
                SearchAttributePair(SUBJECT, plan.title),
            ]
        ),
    )


async def schedule_unpublishing(temporal: Client, task_queue: str, plan: UnpublishPlan) -> None:
    await temporal.start_workflow(
        SCHEDULED_UNPUBLISH,
        plan,
        id=unpublish_workflow_id(plan.document_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal="reschedule",
        start_signal_args=[plan],
    )


async def end(temporal: Client, workflow_id: str) -> None:
    """Cancel a keeping workflow; one already over (or never started) is fine."""
    try:
        await temporal.get_workflow_handle(workflow_id).cancel()
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise Problem(
                503, "Workflows unavailable", "Temporal did not answer; try again."
            ) from None


async def after_publication(runtime: Runtime, document_id: int) -> None:
    """A page just published starts (or continues) its review cycle; a document with a
    time to be taken down waits for it. Called on every publication: a repeat changes
    nothing the workflows have not already heard."""
    settings = _settings(runtime)
    async with runtime.db().session() as session:
        document = await load(session, document_id)
        first_date = document.owner and document.next_review_at is None
        plan, unpublish_at = review_plan(document, settings), document.unpublish_at
    if first_date and document.review_every_months:
        # The first review counts from the first publication.
        async with runtime.db().transaction() as session:
            document = await load(session, document_id, lock=True)
            if document.next_review_at is None and document.review_every_months:
                document.next_review_at = months_later(now(), document.review_every_months)
            plan = review_plan(document, settings)
    if plan is not None:
        await keep_reviewing(runtime.temporal, settings.temporal_task_queue, plan)
    if unpublish_at is not None:
        await schedule_unpublishing(
            runtime.temporal,
            settings.temporal_task_queue,
            UnpublishPlan(document_id=document_id, at=unpublish_at),
        )


async def after_taking_down(runtime: Runtime, document_id: int) -> None:
    """Nothing to keep any more: the review cycle and a scheduled unpublishing end."""
    async with runtime.db().transaction() as session:
        document = await load(session, document_id, lock=True)
        document.unpublish_at = None
        document.unpublish_reason = None
    await end(runtime.temporal, review_workflow_id(document_id))
    await end(runtime.temporal, unpublish_workflow_id(document_id))


async def replan(runtime: Runtime, document_id: int, data: ReviewPlanFields, user: User) -> None:
    """Change a page's owner or dates; a published page's reminder follows at once."""
    settings = _settings(runtime)
    async with runtime.db().transaction() as session:
        document = await load(session, document_id, lock=True)
        check_plan(document.document_type, data, now())
        published = public_edition(document) is not None
        if "review_every_months" in data.model_fields_set and data.next_review_at is None:
            # A new interval counts from now on a published page, from its publication on
            # one still on its way.
            months = data.review_every_months
            data.next_review_at = months_later(now(), months) if months and published else None
        if not set_plan(document, data):
            return
        plan = review_plan(document, settings)
        note(
            session,
            document,
            user.id,
            "review_plan",
            details={
                "owner": document.owner,
                "review_every_months": document.review_every_months,
                "next_review_at": (
                    document.next_review_at.isoformat() if document.next_review_at else None
                ),
            },
        )
        # In the transaction: if Temporal cannot hear it, nothing changes.
        if published and plan is not None:
            await keep_reviewing(runtime.temporal, settings.temporal_task_queue, plan)
        elif published:
            await end(runtime.temporal, review_workflow_id(document_id))
