"""What keeps a published document after its publication: a standing page's review by its
owner, and a publication taken down at a set time.

`PageReviewWorkflow` (`document-<id>-review`) waits durably until the page's next review
date, then puts a task "review the page" in its owner's inbox (a `HumanTaskWorkflow`
assigned to them; past its deadline the head of department is awaited too). The owner's
decision is recorded by the publishing service, which sets the next date; then the next
cycle starts as a new run. The service tells it of every change of owner or date by a
`replan` signal with the plan as it now stands, and cancels it when the page is taken down.

`ScheduledUnpublishWorkflow` (`document-<id>-unpublish`) waits until its time and asks the
service to take the publication down, in the worker's name; `reschedule` moves the time,
and cancelling it (the service does) calls it off.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from meria.cases import case_ref
    from meria.cases.pages import (
        REVIEW_OUTCOMES,
        REVIEW_STEP,
        PageReviewInput,
        PageReviewStatus,
        ReviewPlan,
        ReviewRecord,
        UnpublishPlan,
    )
    from meria.cases.tasks import TaskChange, TaskEscalation, TaskInput, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.pages import PageActivities, RecordReview
    from workflows.case_tasks import record
    from workflows.human_task import HumanTaskWorkflow, index_case

# Whoever else may decide a review the owner let pass.
ESCALATE_TO = "head_of_department"


@workflow.defn
class PageReviewWorkflow:
    @workflow.init
    def __init__(self, request: PageReviewInput) -> None:
        self._plan = request.plan
        self._cycle = request.cycle
        self._replanned = False
        self._task_id: str | None = None

    @workflow.run
    async def run(self, request: PageReviewInput) -> str:
        workflow.upsert_search_attributes(
            [
                KIND.value_set("document"),
                REF.value_set(case_ref("document", self._plan.document_id)),
                SUBJECT.value_set(self._plan.title),
            ]
        )
        index_case("review_scheduled", None, None)
        # Until the date comes; a new plan (another date) starts the wait over.
        while True:
            self._replanned = False
            wait = self._plan.next_review_at - workflow.now()
            if wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(lambda: self._replanned, timeout=wait)
            except TimeoutError:
                break
        result = await self._review()
        if result is None:
            # The task was ended from outside (by an administrator): wait for a new plan.
            self._replanned = False
            await workflow.wait_condition(lambda: self._replanned)
        else:
            self._plan = await record(
                PageActivities.record_review,
                RecordReview(
                    document_id=self._plan.document_id,
                    review=ReviewRecord(
                        outcome=result.outcome,
                        receipt=result.receipt,
                        comment=result.comment,
                    ),
                ),
            )
        # The service answered with the next date; the next cycle is a new run, so a page
        # kept for years has a short history.
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(PageReviewInput(plan=self._plan, cycle=self._cycle + 1))

    async def _review(self) -> TaskResult | None:
        """The owner's task, until they decide; a new owner takes it over."""
        plan = self._plan
        task_id = f"{workflow.info().workflow_id}-task-{REVIEW_STEP}-{self._cycle}"
        due_at = workflow.now() + timedelta(hours=plan.answer_within_hours)
        index_case("review_due", [], due_at)
        handle = await workflow.start_child_workflow(
            HumanTaskWorkflow.run,
            TaskInput(
                task_id=task_id,
                case_workflow_id=workflow.info().workflow_id,
                case_ref=case_ref("document", plan.document_id),
                service="publishing",
                notice_path=f"/documents/{plan.document_id}/review/task-notices",
                step=REVIEW_STEP,
                subject=plan.title,
                # Only the owner: the task is theirs, in no role's list until it is late.
                awaiting=[],
                assignee=plan.owner,
                due_at=due_at,
                escalate_to=ESCALATE_TO,
                outcomes=list(REVIEW_OUTCOMES),
                reason_required_for=["needs_changes"],
            ),
            id=task_id,
        )
        self._task_id = task_id
        owner = plan.owner
        while True:
            self._replanned = False
            await workflow.wait_condition(lambda: handle.done() or self._replanned)
            if handle.done():
                break
            if self._plan.owner != owner:
                owner = self._plan.owner
                await handle.signal(HumanTaskWorkflow.amend, TaskChange(assignee=owner))
        self._task_id = None
        try:
            result: TaskResult = await handle
        except ChildWorkflowError:
            return None
        index_case("review_scheduled", None, None)
        return result

    @workflow.signal
    def replan(self, plan: ReviewPlan) -> None:
        """The owner, the date or the title changed in the service."""
        self._plan = plan
        self._replanned = True

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        index_case("review_due", list(escalation.awaiting), None)

    @workflow.query
    def status(self) -> PageReviewStatus:
        return PageReviewStatus(
            document_id=self._plan.document_id,
            owner=self._plan.owner,
            next_review_at=self._plan.next_review_at,
            cycle=self._cycle,
            task_id=self._task_id,
        )


@workflow.defn
class ScheduledUnpublishWorkflow:
    @workflow.init
    def __init__(self, plan: UnpublishPlan) -> None:
        self._plan = plan
        self._moved = False

    @workflow.run
    async def run(self, plan: UnpublishPlan) -> str:
        # On the dashboard, among the document's cases: its take-down, waiting for its time.
        workflow.upsert_search_attributes(
            [KIND.value_set("document"), REF.value_set(case_ref("document", plan.document_id))]
        )
        index_case("unpublish_scheduled", None, None)
        while True:
            self._moved = False
            wait = self._plan.at - workflow.now()
            if wait <= timedelta(0):
                break
            try:
                await workflow.wait_condition(lambda: self._moved, timeout=wait)
            except TimeoutError:
                break
        await record(PageActivities.unpublish_on_schedule, self._plan)
        return "unpublished"

    @workflow.signal
    def reschedule(self, plan: UnpublishPlan) -> None:
        self._plan = plan
        self._moved = True

    @workflow.query
    def status(self) -> UnpublishPlan:
        return self._plan
