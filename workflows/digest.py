"""The monthly press digest: `MonthlyDigestWorkflow` (`digest-<yyyy-mm>`) gathers a month
through the services' APIs, composes the digest and hands it to publishing as a
`press_digest` document, submitted for the normal approval to publication.

A Temporal Schedule (`monthly-press-digest`) starts `DigestScheduleWorkflow` on the first
working day of each month at 10:00 Tbilisi time (Georgia's public holidays and the extra
days off from the settings left out), which starts the digest of the month just ended. The
schedule's calendar names those days one by one for two years ahead and is renewed each
time the worker starts; it can be paused and resumed, and a run missed while Meria was
down is caught up (within a week). Anyone may start the digest of any month by hand; the
workflow id makes it one digest per month.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from meria.cases import case_ref
    from meria.cases.digest import SCHEDULE_ID, DigestInput, digest_id
    from meria.temporal import KIND, REF, STAGE, SUBJECT
    from workflows.activities.digest import DigestActivities, DigestRequest, DigestResult
    from workflows.digest_calendar import TBILISI, compile_times, previous_month

MONTHS_AHEAD = 24
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5), maximum_attempts=20)


class DigestStatus(BaseModel):
    month: str
    stage: str
    document_id: int | None = None
    document_state: str | None = None
    entries: dict[str, int] = Field(default_factory=dict)


@workflow.defn
class MonthlyDigestWorkflow:
    @workflow.init
    def __init__(self, request: DigestInput) -> None:
        self._status = DigestStatus(month=request.month, stage="gathering")

    @workflow.run
    async def run(self, request: DigestInput) -> DigestStatus:
        workflow.upsert_search_attributes(
            [
                KIND.value_set("digest"),
                REF.value_set(case_ref("digest", request.month)),
                SUBJECT.value_set(f"პრესდაიჯესტი {request.month}"),
                STAGE.value_set("gathering"),
            ]
        )
        content = await workflow.execute_activity_method(
            DigestActivities.gather,
            DigestRequest(month=request.month, requested_by=request.requested_by),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=RETRY,
        )
        self._status.entries = {s.key: len(s.entries) for s in content.sections}
        self._set_stage("composing")
        result: DigestResult = await workflow.execute_activity_method(
            DigestActivities.publish,
            content,
            start_to_close_timeout=timedelta(minutes=3),
            retry_policy=RETRY,
        )
        self._status.document_id = result.document_id
        self._status.document_state = result.state
        self._set_stage("submitted")
        return self._status

    def _set_stage(self, stage: str) -> None:
        self._status.stage = stage
        workflow.upsert_search_attributes([STAGE.value_set(stage)])

    @workflow.query
    def status(self) -> DigestStatus:
        return self._status


class ScheduledRun(BaseModel):
    task_queue: str


@workflow.defn
class DigestScheduleWorkflow:
    """What the schedule starts: the digest of the month just ended, once."""

    @workflow.run
    async def run(self, run: ScheduledRun) -> str:
        month = previous_month(workflow.now().astimezone(TBILISI).date())
        try:
            await workflow.start_child_workflow(
                MonthlyDigestWorkflow.run,
                DigestInput(month=month),
                id=digest_id(month),
                task_queue=run.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return f"{month}: already compiled"
        return f"{month}: started"


def schedule_spec(after: datetime, hour: int, extra_days_off: Iterable[date]) -> ScheduleSpec:
    """One calendar entry per compile time: the first working day of each month ahead."""
    return ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(
                year=[ScheduleRange(moment.year)],
                month=[ScheduleRange(moment.month)],
                day_of_month=[ScheduleRange(moment.day)],
                hour=[ScheduleRange(moment.hour)],
                minute=[ScheduleRange(0)],
                second=[ScheduleRange(0)],
                comment=f"first working day of {moment:%Y-%m}",
            )
            for moment in compile_times(after, MONTHS_AHEAD, hour, extra_days_off)
        ],
        time_zone_name="Asia/Tbilisi",
    )


def _schedule(task_queue: str, spec: ScheduleSpec) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            DigestScheduleWorkflow.run,
            ScheduledRun(task_queue=task_queue),
            id="digest-schedule",
            task_queue=task_queue,
        ),
        spec=spec,
        # A run missed while Meria was down is made up when it is back, within a week.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
    )


async def ensure_schedule(
    client: Client,
    task_queue: str,
    *,
    hour: int = 10,
    extra_days_off: Iterable[date] = (),
    now: datetime | None = None,
) -> None:
    """Create the schedule, or renew its calendar (its paused state is kept)."""
    spec = schedule_spec(now or datetime.now(TBILISI), hour, list(extra_days_off))
    try:
        await client.create_schedule(SCHEDULE_ID, _schedule(task_queue, spec))
    except ScheduleAlreadyRunningError:

        def renew(current: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule = current.description.schedule
            schedule.spec = spec
            schedule.action = _schedule(task_queue, spec).action
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(SCHEDULE_ID).update(renew)
