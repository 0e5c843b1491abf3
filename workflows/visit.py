"""DelegationVisitWorkflow: one visit, from its request to its closing press release.

One workflow per visit (`visit-<id>`), weeks long; its input is the visit's id. The
mayor's approval and every logistics task are `HumanTaskWorkflow` children
(`visit-<id>-task-<key>`) with their own owner, due time, reminder and escalation, so the
inbox has one row per task. A readiness gate before arrival tells the head of
department what is still open; the visit is ready only when every required task is done
or waived with a reason. New dates move every open task's due time; postponement and
cancellation arrive as Updates with their reasons. After the visit the report falls
due, and once it is written an activity has the publishing service create and submit a
press release about the results. Every transition is recorded by the visits service
through its API, so its history and events say what happened here.

Children are abandoned rather than ended when this workflow continues as new, and they
tell the case of their result by signal (`task_finished`): a visit whose history grows
long continues as new at any point without losing its open tasks.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Any, Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from meria.cases import Actor, DecisionRecord, Reasoned, TransitionRequest, case_ref
    from meria.cases.tasks import TaskChange, TaskEscalation, TaskResult
    from meria.cases.visits import (
        Carried,
        DatesMoved,
        OpenTask,
        TaskAmendment,
        TaskOutcome,
        TaskSpec,
        VisitCase,
        VisitInput,
        VisitWorkflowStatus,
    )
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.visits import (
        ReadinessReport,
        RecordTaskOutcome,
        RecordVisitTransition,
        VisitRef,
        VisitsActivities,
    )
    from workflows.case_tasks import CaseTasks, record

APPROVAL = "approval"
REPORT = "report"
FINISHED = ("closed", "cancelled")
DATES_MAY_CHANGE = ("requested", "approved", "in_preparation", "ready", "postponed")
PROTOCOL = ("protocol_officer", "head_of_department")


Interrupt = Literal["postpone", "cancel"]


@workflow.defn
class DelegationVisitWorkflow:
    @workflow.init
    def __init__(self, request: VisitInput) -> None:
        self._visit = VisitRef(visit_id=request.visit_id)
        self._case: VisitCase | None = None
        carried = request.carried
        self._tasks: CaseTasks[OpenTask] = CaseTasks(
            stage=carried.stage if carried else "requested",
            case_ref=case_ref("visit", request.visit_id),
            service="visits",
            notice_path=f"/visits/{request.visit_id}/task-notices",
            index_changes_only=True,
        )
        self._arrival_at: datetime | None = carried.arrival_at if carried else None
        self._end_at: datetime | None = carried.end_at if carried else None
        self._specs: dict[str, TaskSpec] | None = carried.specs if carried else None
        self._tasks.open = dict(carried.open) if carried else {}
        self._outcomes: dict[str, str] = dict(carried.outcomes) if carried else {}
        # The latest version of each task staff changed while this workflow ran it: it
        # wins over a reading of the service taken before the change was committed.
        self._amended: dict[str, TaskSpec] = dict(carried.amended) if carried else {}
        self._decisions: list[DecisionRecord] = list(carried.decisions) if carried else []
        self._gate_reported = carried.gate_reported if carried else False
        self._round = carried.round if carried else 0
        self._approval: TaskResult | None = carried.approval if carried else None
        self._press_release: int | None = carried.press_release_document_id if carried else None
        self._continued = 1 if carried else 0
        self._interrupt: tuple[Interrupt, Reasoned] | None = None
        self._resume: DatesMoved | None = None
        self._wake = False

    @property
    def case(self) -> VisitCase:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: VisitInput) -> VisitWorkflowStatus:
        self._case = await record(VisitsActivities.load_case, self._visit)
        if request.carried is None:
            self._tasks.stage = self.case.status
            self._arrival_at, self._end_at = self.case.arrival_at, self.case.end_at
            self._take_case(self.case)
        workflow.upsert_search_attributes(
            [
                KIND.value_set("visit"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.subject),
            ]
        )
        self._tasks.index()
        while True:
            await self._record_finished()
            if self._stage in FINISHED:
                return self._finish()
            if self._history_is_long():
                # Handlers first: an Update accepted now must finish in this run.
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    VisitInput(visit_id=request.visit_id, carried=self._carry())
                )
            if self._tasks.stage == "requested":
                await self._approval_step()
            elif self._stage in ("approved", "in_preparation", "ready"):
                await self._preparation_step()
            elif self._tasks.stage == "under_way":
                await self._under_way_step()
            elif self._tasks.stage == "report_due":
                await self._report_step()
            elif self._tasks.stage == "postponed":
                await self._postponed_step()
            else:
                raise RuntimeError(f"a visit cannot be {self._stage}")

    # The stages. Each step does what is due now, then waits for the next moment, a
    # task's result, an Update or a signal, and returns to the loop above.

    async def _approval_step(self) -> None:
        if self._interrupt is not None:
            await self._handle_interrupt()
            return
        if self._approval is None and APPROVAL not in self._tasks.open:
            await self._start_task(
                APPROVAL,
                step="visit_approval",
                subject=self.case.subject,
                awaiting=["mayor"],
                assignee=None,
                author=self.case.created_by,
                due_at=workflow.now() + timedelta(hours=self.case.approval_hours),
                # Nobody decides in the mayor's place; the overdue notice tells the head
                # of department that the request waits.
                escalate_to=None,
                outcomes=["approve", "decline"],
                required=True,
            )
        approval = self._approval
        assert self._arrival_at is not None
        if approval is None and workflow.now() >= self._arrival_at:
            # A visit the mayor never approved does not happen: its day has come and gone.
            await self._cancel_open_tasks()
            await self._record(
                "cancel", reason="The mayor did not approve the visit before its arrival date."
            )
            self._tasks.set_stage("cancelled")
            return
        if approval is None:
            await self._wait(self._arrival_at)
            return
        if approval.outcome == "approve":
            case = await self._record("approve", actor=approval.decided_by, reason=approval.comment)
            self._take_case(case)
        else:
            await self._record("decline", actor=approval.decided_by, reason=approval.comment)
            self._tasks.set_stage("cancelled")

    async def _preparation_step(self) -> None:
        if self._interrupt is not None:
            await self._handle_interrupt()
            return
        await self._start_open_tasks()
        if self._required_settled():
            if self._stage != "ready":
                await self._record("become_ready")
                self._tasks.set_stage("ready")
        elif self._tasks.stage == "ready":
            await self._record("reopen_preparation")
            self._tasks.set_stage("in_preparation")
        now = workflow.now()
        gate_at = self._gate_at()
        assert gate_at is not None and self._arrival_at is not None
        if now >= gate_at and not self._gate_reported and not self._required_settled():
            # The head of department hears, once per set of dates, what stands between
            # the visit and readiness.
            await record(
                VisitsActivities.report_not_ready,
                ReadinessReport(visit=self._visit, open_keys=self._open_required()),
            )
            self._gate_reported = True
        if now >= self._arrival_at:
            await self._record("begin")
            self._tasks.set_stage("under_way")
            return
        await self._wait(gate_at if now < gate_at else self._arrival_at)

    async def _under_way_step(self) -> None:
        await self._start_open_tasks()
        assert self._end_at is not None
        if workflow.now() >= self._end_at:
            # The service adds the report as a task of its own, due after departure.
            case = await self._record("end")
            self._take_case(case)
            return
        await self._wait(self._end_at)

    async def _report_step(self) -> None:
        await self._start_open_tasks()
        if REPORT not in self._outcomes:
            await self._wait(None)
            return
        if self._press_release is None:
            self._press_release = await record(
                VisitsActivities.publish_results, self._visit, timeout=timedelta(minutes=2)
            )
        # What was never done by now will not be: the visit is over.
        await self._cancel_open_tasks()
        await self._record("close", details={"press_release_document_id": self._press_release})
        self._tasks.set_stage("closed")

    async def _postponed_step(self) -> None:
        # Until further notice nothing falls due: open tasks leave the inbox and come
        # back, with new due times, when the visit gets new dates.
        await self._cancel_open_tasks()
        if self._interrupt is not None:
            await self._handle_interrupt()
            return
        if self._resume is None:
            await self._wait(None)
            return
        resume, self._resume = self._resume, None
        self._round += 1
        self._gate_reported = False
        # Changes made while postponed are in the service's own reading now.
        self._amended.clear()
        case = await self._record(
            "resume", actor=resume.user, reason=resume.reason, details={"round": self._round}
        )
        if case.status == "requested":
            self._approval = None
            self._outcomes.pop(APPROVAL, None)
        self._arrival_at, self._end_at = case.arrival_at, case.end_at
        self._take_case(case)

    async def _handle_interrupt(self) -> None:
        assert self._interrupt is not None
        kind, actor = self._interrupt
        self._interrupt = None
        await self._cancel_open_tasks()
        if kind == "cancel":
            await self._record("cancel", actor=actor.user, reason=actor.reason)
            self._tasks.set_stage("cancelled")
        else:
            await self._record("postpone", actor=actor.user, reason=actor.reason)
            self._tasks.set_stage("postponed")

    # Tasks.

    async def _start_task(
        self,
        key: str,
        *,
        step: str,
        subject: str,
        awaiting: list[str],
        assignee: str | None,
        author: str | None,
        due_at: datetime,
        escalate_to: str | None,
        outcomes: list[str],
        required: bool,
    ) -> None:
        # A task started again after a postponement is a new workflow of its own.
        task_id = self._tasks.task_id(key, self._round)
        await self._tasks.start(
            key,
            OpenTask(
                task_id=task_id,
                key=key,
                awaiting=list(awaiting),
                assignee=assignee,
                due_at=due_at,
                required=required,
            ),
            step=step,
            subject=subject,
            awaiting=awaiting,
            assignee=assignee,
            author=author,
            due_at=due_at,
            escalate_to=escalate_to,
            outcomes=outcomes,
            reason_required_for=["decline", "waived"],
            report_to_case=True,
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _start_open_tasks(self) -> None:
        if self._specs is None:
            return
        waiting = [
            spec
            for key, spec in self._specs.items()
            if spec.status == "open" and key not in self._tasks.open and key not in self._outcomes
        ]
        # Started together: a visit's dozen tasks reach the inbox at once.
        await asyncio.gather(
            *(
                self._start_task(
                    spec.key,
                    step=spec.key,
                    subject=f"{self.case.subject} — {spec.title_ka}",
                    awaiting=[spec.owner_role],
                    assignee=spec.owner,
                    author=None,
                    due_at=spec.due_at,
                    escalate_to="head_of_department",
                    # The report is written, never waived: the press release tells of it.
                    outcomes=["done"] if spec.key == REPORT else ["done", "waived"],
                    required=spec.required,
                )
                for spec in waiting
            )
        )

    async def _cancel_open_tasks(self) -> None:
        await self._tasks.cancel()

    async def _record_finished(self) -> None:
        while (finished := self._tasks.take_finished()) is not None:
            key, result = finished
            self._outcomes[key] = result.outcome
            self._decisions.append(
                DecisionRecord(
                    key=key,
                    outcome=result.outcome,
                    decided_by=result.decided_by,
                    decided_at=result.decided_at,
                    comment=result.comment,
                )
            )
            if key == APPROVAL:
                self._approval = result
                continue
            if self._specs is not None and key in self._specs:
                self._specs[key].status = result.outcome
            await record(
                VisitsActivities.record_task_outcome,
                RecordTaskOutcome(
                    visit=self._visit,
                    key=key,
                    outcome=TaskOutcome(
                        outcome="done" if result.outcome == "done" else "waived",
                        actor=result.decided_by,
                        comment=result.comment,
                        at=result.decided_at,
                    ),
                ),
            )

    def _required_settled(self) -> bool:
        return self._specs is not None and not self._open_required()

    def _open_required(self) -> list[str]:
        if self._specs is None:
            return []
        return sorted(
            key
            for key, spec in self._specs.items()
            if spec.required and spec.status == "open" and key != REPORT
        )

    def _amend(self, spec: TaskSpec) -> TaskChange | None:
        """Take a task's new version; what an open task's workflow must hear, if anything."""
        self._amended[spec.key] = spec
        if self._specs is None:
            return None
        previous = self._specs.get(spec.key)
        if previous is not None and previous.status != "open":
            return None
        self._specs[spec.key] = spec
        running = self._tasks.open.get(spec.key)
        if running is None:
            return None
        running.required = spec.required
        change = TaskChange(
            due_at=spec.due_at if spec.due_at != running.due_at else None,
            assignee=spec.owner if spec.owner and spec.owner != running.assignee else None,
        )
        running.due_at = spec.due_at
        running.assignee = spec.owner or running.assignee
        if change.due_at is None and change.assignee is None:
            return None
        return change

    # Waiting.

    async def _wait(self, until: datetime | None) -> None:
        self._wake = False
        timeout = None if until is None else until - workflow.now()
        if timeout is not None and timeout <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake or self._interrupt is not None or bool(self._tasks.finished),
                timeout=timeout,
            )

    def _gate_at(self) -> datetime | None:
        if self._arrival_at is None or self._case is None:
            return None
        return self._arrival_at - timedelta(days=self.case.readiness_gate_days)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        long = info.is_continue_as_new_suggested() or (
            info.get_current_history_length() >= self.case.history_limit
        )
        return long and not self._tasks.finished and self._interrupt is None

    def _carry(self) -> Carried:
        assert self._arrival_at is not None and self._end_at is not None
        return Carried(
            stage=self._stage,
            arrival_at=self._arrival_at,
            end_at=self._end_at,
            specs=self._specs,
            open=self._tasks.open,
            outcomes=self._outcomes,
            amended=self._amended,
            decisions=self._decisions,
            gate_reported=self._gate_reported,
            round=self._round,
            approval=self._approval,
            press_release_document_id=self._press_release,
        )

    # Helpers.

    def _take_case(self, case: VisitCase) -> None:
        self._case = case
        self._tasks.set_stage(case.status)
        if case.status in ("requested", "postponed", *FINISHED):
            return
        self._specs = {task.key: task for task in case.tasks}
        for key, spec in self._amended.items():
            found = self._specs.get(key)
            if found is None or found.status == "open":
                self._specs[key] = spec

    async def _record(
        self,
        action: str,
        *,
        actor: str = "meria-worker",
        reason: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> VisitCase:
        case: VisitCase = await record(
            VisitsActivities.record_transition,
            RecordVisitTransition(
                visit=self._visit,
                transition=TransitionRequest(
                    action=action, actor=actor, reason=reason, details=details or {}
                ),
            ),
        )
        return case

    def _finish(self) -> VisitWorkflowStatus:
        self._tasks.open.clear()
        self._tasks.index()
        return self.status()

    # What the tasks tell.

    @workflow.signal
    def task_finished(self, result: TaskResult) -> None:
        self._tasks.reported(result)

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    # What people send (through the visits API, with the verified user).

    @workflow.update
    async def change_dates(self, change: DatesMoved) -> VisitWorkflowStatus:
        self._arrival_at, self._end_at = change.arrival_at, change.end_at
        self._gate_reported = False
        changes: list[tuple[str, TaskChange]] = []
        for key, due_at in change.dues.items():
            if self._specs is not None and key in self._specs:
                self._specs[key].due_at = due_at
            running = self._tasks.open.get(key)
            if running is not None and key != APPROVAL and running.due_at != due_at:
                running.due_at = due_at
                changes.append((running.task_id, TaskChange(due_at=due_at)))
        self._tasks.index()
        await asyncio.gather(
            *(self._tasks.amend(task_id, task_change) for task_id, task_change in changes)
        )
        if self._tasks.stage == "postponed":
            self._resume = change
        self._wake = True
        return self.status()

    @change_dates.validator
    def _may_change_dates(self, change: DatesMoved) -> None:
        if self._stage not in DATES_MAY_CHANGE:
            raise workflow_error(
                f"The dates can no longer change: the visit is {_words(self._stage)}."
            )
        self._refuse_unless(change, *PROTOCOL)
        self._refuse_if_busy()

    @workflow.update
    async def postpone(self, postponement: Reasoned) -> VisitWorkflowStatus:
        self._interrupt = ("postpone", postponement)
        return self.status()

    @postpone.validator
    def _may_postpone(self, postponement: Reasoned) -> None:
        if self._stage not in ("requested", "approved", "in_preparation", "ready"):
            raise workflow_error(f"It cannot be postponed: the visit is {_words(self._stage)}.")
        self._refuse_unless(postponement, *PROTOCOL)
        self._refuse_if_busy()

    @workflow.update
    async def cancel(self, cancellation: Reasoned) -> VisitWorkflowStatus:
        self._interrupt = ("cancel", cancellation)
        return self.status()

    @cancel.validator
    def _may_cancel(self, cancellation: Reasoned) -> None:
        if self._stage not in DATES_MAY_CHANGE:
            raise workflow_error(f"It cannot be cancelled: the visit is {_words(self._stage)}.")
        self._refuse_unless(cancellation, *PROTOCOL, "mayor")
        self._refuse_if_busy()

    @workflow.update
    async def amend_task(self, amendment: TaskAmendment) -> VisitWorkflowStatus:
        change = self._amend(amendment.task)
        running = self._tasks.open.get(amendment.task.key)
        if change is not None and running is not None:
            await self._tasks.amend(running.task_id, change)
        self._tasks.index()
        self._wake = True
        return self.status()

    @amend_task.validator
    def _may_amend(self, amendment: TaskAmendment) -> None:
        if self._stage in FINISHED:
            raise workflow_error(f"The visit is {_words(self._stage)}; its tasks are closed.")
        if amendment.task.key == APPROVAL:
            raise workflow_error("The mayor's approval is not a logistics task to edit.")
        self._refuse_unless(amendment, *PROTOCOL)

    def _refuse_unless(self, actor: Actor, *roles: str) -> None:
        if not set(actor.roles) & {*roles, "admin"}:
            raise workflow_error(f"This needs one of the roles: {', '.join(roles)}.")

    def _refuse_if_busy(self) -> None:
        if self._interrupt is not None or self._resume is not None:
            raise workflow_error("Another change to this visit is under way; try again.")

    @workflow.query
    def status(self) -> VisitWorkflowStatus:
        tasks = sorted(self._tasks.open.values(), key=lambda task: (task.due_at, task.key))
        return VisitWorkflowStatus(
            visit_id=self._visit.visit_id,
            stage=self._stage,
            awaiting=self._tasks.awaiting(),
            due_at=self._tasks.due_at(),
            tasks=tasks,
            decisions=list(self._decisions),
            arrival_at=self._arrival_at,
            end_at=self._end_at,
            gate_at=self._gate_at(),
            press_release_document_id=self._press_release,
            continued=self._continued,
        )


def workflow_error(message: str) -> ApplicationError:
    return ApplicationError(message, type="Refused")


def _words(stage: str) -> str:
    return stage.replace("_", " ")
