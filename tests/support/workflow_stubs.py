"""Stand-in activities for workflow tests that need no services: they answer as the
publishing service would and remember what they were asked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client, WorkflowHandle

from services.publishing.routes import default_route
from services.publishing.schemas import (
    CaseInfo,
    PublishedEdition,
    TransitionResult,
)
from workflows.activities.publishing import EditionRef, RecordTransition
from workflows.activities.tasks import TaskNoticeRequest
from workflows.human_task import HumanTaskWorkflow, TaskDecision
from workflows.publication import DocumentPublicationWorkflow, PublicationStatus

NOTICES: list[dict[str, Any]] = []
TRANSITIONS: list[RecordTransition] = []
PUBLISHED: list[tuple[EditionRef, datetime]] = []
PUBLISH_AT: dict[int, datetime | None] = {}


@activity.defn(name="publishing.load_case")
async def load_case(edition: EditionRef) -> CaseInfo:
    document_type = "mayor_order" if edition.document_id % 2 == 0 else "press_release"
    return CaseInfo(
        document_id=edition.document_id,
        edition=edition.edition,
        document_type=document_type,
        subject="ახმეტის მერის ბრძანება",
        author="nino.beridze",
        revision=1,
        state="submitted",
        steps=default_route(document_type),
        is_legal_act=document_type == "mayor_order",
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


ACTIVITIES = [load_case, record_transition, publish_edition, send_notice]
