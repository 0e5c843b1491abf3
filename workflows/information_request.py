"""InformationRequestWorkflow: a request of the municipal council or a mayor's office
service for the department to find and select information.

One workflow per request (`information-request-<id>`); its input is the request's id. The
answer is a `HumanTaskWorkflow` child in the department's inbox (media officers, or the
owner named on the request), due when the information is needed, reminded at half time
and escalated to the head of department when late. Sending the answer (or declining the
request with the reason) is that task's decision, through the media service's API; the
requester may withdraw the request meanwhile. The service records each outcome through
its API, so its record and events say what happened here.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError, CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from meria.cases.media import (
        InformationCase,
        InformationRequestInput,
        InformationTransition,
        InformationWorkflowStatus,
        OpenAnswer,
        Withdrawal,
    )
    from meria.cases.tasks import TaskEscalation, TaskInput, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.information_requests import (
        InformationActivities,
        InformationRef,
        RecordInformationTransition,
    )
    from workflows.human_task import HumanTaskWorkflow, index_case

RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(minutes=1))
DESK = ["media_officer"]


@workflow.defn
class InformationRequestWorkflow:
    @workflow.init
    def __init__(self, request: InformationRequestInput) -> None:
        self._request = InformationRef(request_id=request.request_id)
        self._case: InformationCase | None = None
        self._stage = "open"
        self._task: OpenAnswer | None = None
        self._withdrawal: Withdrawal | None = None
        self._result: TaskResult | None = None

    @property
    def case(self) -> InformationCase:
        assert self._case is not None
        return self._case

    @workflow.run
    async def run(self, request: InformationRequestInput) -> InformationWorkflowStatus:
        self._case = await self._activity(InformationActivities.load_case, self._request)
        workflow.upsert_search_attributes(
            [
                KIND.value_set("information_request"),
                REF.value_set(f"information_request:{request.request_id}"),
                SUBJECT.value_set(self.case.title),
            ]
        )
        if self.case.status != "open":
            self._stage = self.case.status
            return self.status()
        self._set_stage("open")
        task_id = f"{workflow.info().workflow_id}-task-answer"
        self._task = OpenAnswer(
            task_id=task_id,
            awaiting=list(DESK),
            assignee=self.case.owner,
            due_at=self.case.needed_by,
        )
        self._index()
        handle = await workflow.start_child_workflow(
            HumanTaskWorkflow.run,
            TaskInput(
                task_id=task_id,
                case_workflow_id=workflow.info().workflow_id,
                case_ref=f"information_request:{request.request_id}",
                service="media",
                notice_path=f"{self._request.path}/task-notices",
                step="information_answer",
                subject=self.case.title,
                awaiting=list(DESK),
                assignee=self.case.owner,
                # Whoever asked does not answer their own request.
                author=self.case.requester,
                due_at=self.case.needed_by,
                escalate_to="head_of_department",
                outcomes=["answered", "declined"],
                reason_required_for=["declined"],
            ),
            id=task_id,
        )
        try:
            await workflow.wait_condition(lambda: handle.done() or self._withdrawal is not None)
            if self._withdrawal is not None and not handle.done():
                handle.cancel()
                with contextlib.suppress(ChildWorkflowError, CancelledError):
                    await handle
                withdrawal = self._withdrawal
                await self._transition("withdrawn", withdrawal.user, withdrawal.reason)
                return self.status()
            self._result = await handle
        finally:
            self._task = None
            self._index()
        result = self._result
        assert result is not None
        await self._transition(result.outcome, result.decided_by, result.comment)
        return self.status()

    async def _transition(self, action: str, actor: str, comment: str | None) -> None:
        self._case = await self._activity(
            InformationActivities.record_transition,
            RecordInformationTransition(
                request=self._request,
                transition=InformationTransition(
                    action=action,
                    actor=actor,
                    comment=comment,
                    at=workflow.now(),
                ),
            ),
        )
        self._set_stage(action)

    async def _activity(self, method: Any, argument: Any) -> Any:
        return await workflow.execute_activity_method(
            method, argument, start_to_close_timeout=RECORD_TIMEOUT, retry_policy=RECORD_RETRY
        )

    def _set_stage(self, stage: str) -> None:
        self._stage = stage
        self._index()

    def _index(self) -> None:
        task = self._task
        index_case(self._stage, task.awaiting if task else None, task.due_at if task else None)

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        if self._task is not None and self._task.task_id == escalation.task_id:
            self._task.awaiting = list(escalation.awaiting)
            self._task.escalated = True
            self._index()

    @workflow.update
    async def withdraw(self, withdrawal: Withdrawal) -> InformationWorkflowStatus:
        self._withdrawal = withdrawal
        return self.status()

    @withdraw.validator
    def _may_withdraw(self, withdrawal: Withdrawal) -> None:
        if self._stage != "open" or self._task is None:
            raise ApplicationError(
                f"The request is {self._stage}; it can no longer be withdrawn.", type="Refused"
            )
        if withdrawal.user != self.case.requester and "admin" not in withdrawal.roles:
            raise ApplicationError("Only whoever asked may withdraw the request.", type="Refused")
        if self._withdrawal is not None:
            raise ApplicationError("The request is being withdrawn already.", type="Refused")

    @workflow.query
    def status(self) -> InformationWorkflowStatus:
        task = self._task
        result = self._result
        return InformationWorkflowStatus(
            request_id=self._request.request_id,
            stage=self._stage,
            awaiting=list(task.awaiting) if task else [],
            due_at=task.due_at if task else None,
            task=task,
            outcome=result.outcome if result else None,
            decided_by=result.decided_by if result else None,
        )
