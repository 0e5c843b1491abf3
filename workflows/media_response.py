"""MediaResponseWorkflow: the department's answer to a story or a journalist's enquiry.

One workflow per response (`media-response-<id>`); its input is the response's id. The
owner drafts the answer by its deadline (default 24 hours) as a `HumanTaskWorkflow` child
in the inbox, with a reminder at half time and escalation to the head of department;
where approval is required the head of department approves it or sends it back; then
it is published as a statement (created and submitted through the publishing service's
API, whose own workflow publishes it) or emailed to the outlet. Every transition is
recorded by the media service through its API, so its record and events say what
happened here. Staff may cancel a response that is no longer needed.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError, CancelledError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from meria.cases import case_ref
    from meria.cases.media import (
        Cancellation,
        OpenStep,
        ResponseCase,
        ResponseInput,
        ResponseTransition,
        ResponseWorkflowStatus,
        StepRecord,
    )
    from meria.cases.tasks import TaskEscalation, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.media_responses import (
        MediaResponseActivities,
        RecordResponseTransition,
        ResponseRef,
    )
    from workflows.case_tasks import CaseTasks, record

MEDIA = ("media_officer", "head_of_department")


@workflow.defn
class MediaResponseWorkflow:
    @workflow.init
    def __init__(self, request: ResponseInput) -> None:
        self._response = ResponseRef(response_id=request.response_id)
        self._case: ResponseCase | None = None
        self._tasks: CaseTasks[OpenStep] = CaseTasks(
            stage="drafting",
            case_ref=case_ref("media_response", request.response_id),
            service="media",
            notice_path=f"{self._response.path}/task-notices",
            one_at_a_time=True,
        )
        self._decisions: list[StepRecord] = []
        self._round = 0
        self._document_id: int | None = None
        self._mailing_id: int | None = None
        self._cancellation: Cancellation | None = None

    @property
    def case(self) -> ResponseCase:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: ResponseInput) -> ResponseWorkflowStatus:
        self._case = await record(MediaResponseActivities.load_case, self._response)
        workflow.upsert_search_attributes(
            [
                KIND.value_set("media_response"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.subject),
            ]
        )
        if self.case.status in ("published", "sent", "cancelled"):
            self._tasks.stage = self.case.status
            return self.status()
        self._tasks.set_stage(self.case.status)
        while self._stage in ("drafting", "awaiting_approval"):
            if self._tasks.stage == "drafting":
                draft = await self._step(
                    "draft",
                    step="response_draft",
                    awaiting=["media_officer"],
                    assignee=self.case.owner,
                    author=None,
                    due_at=self._draft_due(),
                    escalate_to="head_of_department",
                    outcomes=["submitted"],
                )
                if draft is None:
                    return await self._cancelled()
                if self.case.approval_required:
                    await self._record("draft_submitted", draft)
                    self._tasks.set_stage("awaiting_approval")
                else:
                    # No approval needed (a plain factual answer): it goes out as written.
                    await self._record("approved", draft)
                    self._tasks.set_stage("approved")
                continue
            decision = await self._step(
                "approval",
                step="response_approval",
                awaiting=["head_of_department"],
                assignee=None,
                # Whoever wrote the answer does not approve it.
                author=self.case.drafted_by,
                due_at=workflow.now() + timedelta(hours=self.case.approval_hours),
                escalate_to=None,
                outcomes=["approve", "request_changes"],
            )
            if decision is None:
                return await self._cancelled()
            if decision.outcome == "approve":
                await self._record("approved", decision)
                self._tasks.set_stage("approved")
            else:
                await self._record("changes_requested", decision)
                self._round += 1
                self._tasks.set_stage("drafting")
        if self._cancellation is not None:
            return await self._cancelled()
        self._case = await record(MediaResponseActivities.load_case, self._response)
        if self.case.channel == "statement":
            self._document_id = await record(
                MediaResponseActivities.publish_statement,
                self._response,
                timeout=timedelta(minutes=2),
            )
            await self._record("published", None, details={"document_id": self._document_id})
            self._tasks.set_stage("published")
        else:
            self._mailing_id = await record(MediaResponseActivities.send_to_outlet, self._response)
            await self._record("sent", None, details={"mailing_id": self._mailing_id})
            self._tasks.set_stage("sent")
        return self.status()

    def _draft_due(self) -> datetime:
        # The first draft is due when the response was asked to be ready; a draft sent
        # back for changes gets the approval's time again, never a deadline already past.
        if self._round == 0:
            return self.case.due_at
        return max(self.case.due_at, workflow.now() + timedelta(hours=self.case.approval_hours))

    async def _step(
        self,
        key: str,
        *,
        step: str,
        awaiting: list[str],
        assignee: str | None,
        author: str | None,
        due_at: datetime,
        escalate_to: str | None,
        outcomes: list[str],
    ) -> TaskResult | None:
        """Run one human step; None when the response was cancelled meanwhile."""
        if self._cancellation is not None:
            return None
        task_id = self._tasks.task_id(key, self._round)
        handle = await self._tasks.start(
            key,
            OpenStep(
                task_id=task_id, step=step, awaiting=awaiting, assignee=assignee, due_at=due_at
            ),
            step=step,
            subject=self.case.subject,
            awaiting=awaiting,
            assignee=assignee,
            author=author,
            due_at=due_at,
            escalate_to=escalate_to,
            outcomes=outcomes,
            reason_required_for=["request_changes"],
        )
        try:
            await workflow.wait_condition(lambda: handle.done() or self._cancellation is not None)
            if self._cancellation is not None and not handle.done():
                handle.cancel()
                with contextlib.suppress(ChildWorkflowError, CancelledError):
                    await handle
                return None
            result: TaskResult = await handle
        finally:
            self._tasks.close(key)
        self._decisions.append(
            StepRecord(
                step=step,
                outcome=result.outcome,
                decided_by=result.decided_by,
                decided_at=result.decided_at,
                comment=result.comment,
                escalated=result.escalated,
            )
        )
        return result

    async def _cancelled(self) -> ResponseWorkflowStatus:
        cancellation = self._cancellation
        assert cancellation is not None
        await record(
            MediaResponseActivities.record_transition,
            RecordResponseTransition(
                response=self._response,
                transition=ResponseTransition(
                    action="cancelled",
                    actor=cancellation.user,
                    comment=cancellation.reason,
                    at=workflow.now(),
                ),
            ),
        )
        self._tasks.set_stage("cancelled")
        return self.status()

    async def _record(
        self,
        action: str,
        result: TaskResult | None,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._case = await record(
            MediaResponseActivities.record_transition,
            RecordResponseTransition(
                response=self._response,
                transition=ResponseTransition(
                    action=action,
                    actor=result.decided_by if result else "meria-worker",
                    comment=result.comment if result else None,
                    details=details or {},
                    at=workflow.now(),
                ),
            ),
        )

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    @workflow.update
    async def cancel(self, cancellation: Cancellation) -> ResponseWorkflowStatus:
        self._cancellation = cancellation
        return self.status()

    @cancel.validator
    def _may_cancel(self, cancellation: Cancellation) -> None:
        stage = self._stage
        if stage not in ("drafting", "awaiting_approval"):
            raise ApplicationError(
                f"The response is {stage.replace('_', ' ')}; it can no longer be cancelled.",
                type="Refused",
            )
        if not set(cancellation.roles) & {*MEDIA, "admin"}:
            raise ApplicationError(
                f"This needs one of the roles: {', '.join(MEDIA)}.", type="Refused"
            )
        if self._cancellation is not None:
            raise ApplicationError("The response is being cancelled already.", type="Refused")

    @workflow.query
    def status(self) -> ResponseWorkflowStatus:
        task = self._tasks.current
        return ResponseWorkflowStatus(
            response_id=self._response.response_id,
            stage=self._stage,
            awaiting=list(task.awaiting) if task else [],
            due_at=task.due_at if task else None,
            task=task,
            decisions=list(self._decisions),
            round=self._round,
            document_id=self._document_id,
            mailing_id=self._mailing_id,
        )
