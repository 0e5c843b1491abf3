"""The Temporal worker: every workflow and activity of Meria, on the `meria` task queue.

It runs as a small HTTP process too, so it has the same health, readiness and metrics
endpoints as the services; the worker itself starts once Temporal answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from meria.config import Settings
from meria.logging import get_logger
from meria.metrics import TASKS_OVERDUE, WORKFLOW_EXECUTIONS
from meria.processes import source_digest
from meria.runtime import Runtime, ServiceParts
from meria.web import build_app
from workflows.activities.clients import service_clients
from workflows.activities.digest import DigestActivities
from workflows.activities.events import EventsActivities
from workflows.activities.information_requests import InformationActivities
from workflows.activities.media import MediaActivities
from workflows.activities.media_responses import MediaResponseActivities
from workflows.activities.pages import PageActivities
from workflows.activities.publishing import PublishingActivities
from workflows.activities.tasks import TaskActivities
from workflows.activities.visits import VisitsActivities
from workflows.digest import DigestScheduleWorkflow, MonthlyDigestWorkflow, ensure_schedule
from workflows.failures import TruthfulFailures
from workflows.human_task import HumanTaskWorkflow
from workflows.information_request import InformationRequestWorkflow
from workflows.media_response import MediaResponseWorkflow
from workflows.meeting import MeetingWorkflow
from workflows.press_conference import PressConferenceWorkflow
from workflows.publication import DocumentPublicationWorkflow
from workflows.settings import WorkerSettings
from workflows.standing_pages import PageReviewWorkflow, ScheduledUnpublishWorkflow
from workflows.visit import DelegationVisitWorkflow

log = get_logger(__name__)

WORKFLOWS: Sequence[type] = (
    DocumentPublicationWorkflow,
    DelegationVisitWorkflow,
    PressConferenceWorkflow,
    MeetingWorkflow,
    MediaResponseWorkflow,
    InformationRequestWorkflow,
    MonthlyDigestWorkflow,
    DigestScheduleWorkflow,
    HumanTaskWorkflow,
    PageReviewWorkflow,
    ScheduledUnpublishWorkflow,
)
PASSTHROUGH = ("pydantic", "pydantic_core", "annotated_types", "meria", "httpx", "structlog")


def activities(settings: Settings) -> list[Any]:
    clients = service_clients(settings)
    publishing = PublishingActivities(clients["publishing"])
    pages = PageActivities(clients["publishing"])
    tasks = TaskActivities(clients)
    visits = VisitsActivities(clients["visits"], clients["publishing"])
    events = EventsActivities(clients["events"], clients["publishing"])
    media = MediaActivities(clients["media"])
    responses = MediaResponseActivities(clients["media"], clients["publishing"])
    information = InformationActivities(clients["media"])
    digest = DigestActivities(clients, settings)
    return [
        publishing.load_case,
        publishing.record_transition,
        publishing.sign_edition,
        publishing.publish_edition,
        pages.record_review,
        pages.unpublish_on_schedule,
        tasks.send_notice,
        visits.load_case,
        visits.record_transition,
        visits.record_task_outcome,
        visits.report_not_ready,
        visits.publish_results,
        events.load_case,
        events.record_transition,
        events.record_task_outcome,
        events.publish_announcement,
        events.withdraw_announcement,
        media.open_accreditation,
        media.close_accreditation,
        media.remind_accredited,
        responses.load_case,
        responses.record_transition,
        responses.send_to_outlet,
        responses.publish_statement,
        information.load_case,
        information.record_transition,
        digest.gather,
        digest.publish,
    ]


def build_worker(client: Client, settings: Settings, task_queue: str | None = None) -> Worker:
    return Worker(
        client,
        task_queue=task_queue or settings.temporal_task_queue,
        workflows=list(WORKFLOWS),
        activities=activities(settings),
        workflow_runner=sandbox_runner(),
        interceptors=[TruthfulFailures()],
        # Temporal's default build id compiles every loaded module to hash it: seconds of
        # the worker's start. A digest of the source files says the same.
        build_id=f"meria-{source_digest()[:16]}",
    )


def sandbox_runner() -> SandboxedWorkflowRunner:
    # Deterministic libraries are shared with the sandbox instead of re-imported for every
    # workflow run: much less CPU and memory per workflow.
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


async def run_worker(runtime: Runtime) -> None:
    runtime.job_states["worker"] = "starting"
    client = await runtime.wait_temporal()
    worker = build_worker(client, runtime.settings)
    settings = runtime.settings
    if getattr(settings, "digest_schedule", False):
        try:
            await ensure_schedule(
                client,
                settings.temporal_task_queue,
                hour=settings.digest_hour,  # type: ignore[attr-defined]
                extra_days_off=settings.digest_extra_days_off,  # type: ignore[attr-defined]
            )
        except Exception as error:  # the worker runs; the schedule is renewed next start
            log.error("digest.schedule_failed", error=str(error)[:300])
    runtime.job_states["worker"] = "ok"
    log.info("worker.started", task_queue=runtime.settings.temporal_task_queue)
    try:
        await worker.run()
    finally:
        runtime.job_states["worker"] = "stopped"


async def workflow_gauges(runtime: Runtime) -> None:
    """What Temporal's visibility says at scrape time: tasks past their due time, and
    executions by status (a rising count of failed ones is a case that went wrong)."""
    client = runtime.temporal
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    overdue = await client.count_workflows(
        f"MeriaKind = 'task' AND ExecutionStatus = 'Running' AND MeriaDueAt < '{now}'"
    )
    TASKS_OVERDUE.set(overdue.count)
    by_status = await client.count_workflows("GROUP BY ExecutionStatus")
    for group in by_status.groups:
        WORKFLOW_EXECUTIONS.labels(str(group.group_values[0])).set(group.count)


PARTS = ServiceParts(
    name="worker",
    # Only to read the municipality's profile (digests name it): it has no events.
    uses_bus=True,
    uses_temporal=True,
    background=[run_worker],
    scrape=[workflow_gauges],
)


def create_app(settings: WorkerSettings | None = None) -> FastAPI:
    return build_app(
        WorkerSettings,
        PARTS,
        settings,
        title="Meria workflow worker",
        description="Runs Meria's Temporal workflows and activities.",
        api_docs=False,
    )
