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

from temporalio import workflow
from temporalio.exceptions import ApplicationError, CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from meria.cases import case_ref
    from meria.cases.media import (
        InformationCase,
        InformationRequestInput,
        InformationTransition,
        InformationWorkflowStatus,
        OpenAnswer,
        Withdrawal,
    )
    from meria.cases.tasks import TaskEscalation, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.information_requests import (
        InformationActivities,
        InformationRef,
        RecordInformationTransition,
    )
    from workflows.case_tasks import CaseTasks, record

DESK = ["media_officer"]
ANSWER = "answer"


@workflow.defn
class InformationRequestWorkflow:
    @workflow.init
    def __init__(self, request: InformationRequestInput) -> None:
        self._request = InformationRef(request_id=request.request_id)
        self._case: InformationCase | None = None
        self._tasks: CaseTasks[OpenAnswer] = CaseTasks(
            stage="open",
            case_ref=case_ref("information_request", request.request_id),
            service="media",
            notice_path=f"{self._request.path}/task-notices",
            one_at_a_time=True,
        )
        self._withdrawal: Withdrawal | None = None
        self._result: TaskResult | None = None

    @property
    def case(self) -> InformationCase:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: InformationRequestInput) -> InformationWorkflowStatus:
        self._case = await record(InformationActivities.load_case, self._request)
        workflow.upsert_search_attributes(
            [
                KIND.value_set("information_request"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.title),
            ]
        )
        if self.case.status != "open":
            self._tasks.stage = self.case.status
            return self.status()
        self._tasks.set_stage("open")
        handle = await self._tasks.start(
            ANSWER,
            OpenAnswer(
                task_id=self._tasks.task_id(ANSWER),
                awaiting=list(DESK),
                assignee=self.case.owner,
                due_at=self.case.needed_by,
            ),
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
            self._tasks.close(ANSWER)
        result = self._result
        assert result is not None
        await self._transition(result.outcome, result.decided_by, result.comment)
        return self.status()

    async def _transition(self, action: str, actor: str, comment: str | None) -> None:
        self._case = await record(
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
        self._tasks.set_stage(action)

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    @workflow.update
    async def withdraw(self, withdrawal: Withdrawal) -> InformationWorkflowStatus:
        self._withdrawal = withdrawal
        return self.status()

    @withdraw.validator
    def _may_withdraw(self, withdrawal: Withdrawal) -> None:
        if self._stage != "open" or self._tasks.current is None:
            raise ApplicationError(
                f"The request is {self._stage}; it can no longer be withdrawn.",
                type="Refused",
            )
        if withdrawal.user != self.case.requester and "admin" not in withdrawal.roles:
            raise ApplicationError("Only whoever asked may withdraw the request.", type="Refused")
        if self._withdrawal is not None:
            raise ApplicationError("The request is being withdrawn already.", type="Refused")

    @workflow.query
    def status(self) -> InformationWorkflowStatus:
        task = self._tasks.current
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
