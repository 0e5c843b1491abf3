"""MeetingWorkflow: a meeting of officials (with a foundation or an NGO above all), from
its briefing note to the last of its follow-up actions.

One workflow per case (`meeting-<case id>`; a meeting moved to a new date is a new event
of the same case, and this workflow follows it). Every piece of waiting work is a
`HumanTaskWorkflow` child in the inbox with its owner, deadline, reminder and
escalation: the briefing note, due before a meeting with a foundation or NGO; the
minutes, due after the meeting; and each follow-up action the meeting decides, which the
events service hands over as an Update when staff record it. The meeting closes when
its minutes are written and every action is done or dropped with a reason.

Postponement stops the briefing note's clock (its task leaves the inbox until a new
date); a new date moves it; cancellation closes every open task.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from meria.cases import Actor, DecisionRecord, Reasoned, TaskOutcome, case_ref
    from meria.cases.events import (
        PLANNERS,
        ActionSpec,
        CaseStatus,
        EventCase,
        MeetingInput,
        Moved,
        NewAction,
        OpenTask,
        TransitionRequest,
    )
    from meria.cases.tasks import TaskChange, TaskEscalation, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.events import (
        EventRef,
        EventsActivities,
        RecordEventTaskOutcome,
        RecordEventTransition,
    )
    from workflows.case_tasks import CaseTasks, record

BRIEFING = "briefing"
MINUTES = "minutes"
FINISHED = ("closed", "cancelled")

Change = tuple[Literal["postpone", "reschedule", "cancel"], Reasoned]


@workflow.defn
class MeetingWorkflow:
    @workflow.init
    def __init__(self, request: MeetingInput) -> None:
        self._case_id = request.case_id
        self._event_id = request.event_id
        self._case: EventCase | None = None
        self._tasks: CaseTasks[OpenTask] = CaseTasks(
            stage="scheduled",
            case_ref=case_ref("event", request.case_id),
            service="events",
            notice_path=f"/events/{request.case_id}/task-notices",
        )
        self._starts_at: datetime | None = None
        self._ends_at: datetime | None = None
        self._changes: list[Change] = []
        self._outcomes: dict[str, str] = {}
        self._decisions: list[DecisionRecord] = []
        self._pending: dict[str, ActionSpec] = {}
        self._round = 0
        self._wake = False

    @property
    def case(self) -> EventCase:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: MeetingInput) -> CaseStatus:
        self._take(await record(EventsActivities.load_case, self._ref()))
        workflow.upsert_search_attributes(
            [
                KIND.value_set("meeting"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.subject),
            ]
        )
        self._tasks.set_stage("postponed" if self.case.state == "postponed" else "scheduled")
        while True:
            await self._record_finished()
            if self._changes:
                await self._apply_change()
                continue
            if self._stage in FINISHED:
                return self.status()
            if self._tasks.stage == "postponed":
                await self._wait(None)
            elif self._tasks.stage == "scheduled":
                await self._before()
            elif self._tasks.stage == "follow_up":
                await self._after()
            else:
                raise RuntimeError(f"a meeting cannot be {self._stage}")

    async def _before(self) -> None:
        assert self._ends_at is not None
        case = self.case
        if (
            case.briefing_required
            and case.briefing_due_at is not None
            and case.briefing_status != "submitted"
            and BRIEFING not in self._tasks.open
            and BRIEFING not in self._outcomes
        ):
            # The officials read the note before they meet the foundation or NGO.
            await self._start_task(
                BRIEFING,
                subject=f"{case.subject} — ბრიფინგის ბარათი",
                awaiting=["protocol_officer"],
                assignee=case.responsible,
                due_at=case.briefing_due_at,
            )
        await self._start_actions()
        if workflow.now() < self._ends_at:
            await self._wait(self._ends_at)
            return
        case = await self._record("complete")
        if case.state != "completed":
            return  # moved or cancelled at the last moment: the change is in the queue
        # A briefing note not written by now will not be read.
        await self._cancel_tasks([BRIEFING])
        self._tasks.set_stage("follow_up")

    async def _after(self) -> None:
        assert self._ends_at is not None
        started = MINUTES in self._tasks.open or MINUTES in self._outcomes
        if not self.case.minutes_written and not started:
            await self._start_task(
                MINUTES,
                subject=f"{self.case.subject} — ოქმი",
                awaiting=["protocol_officer"],
                assignee=self.case.responsible,
                due_at=self._ends_at + timedelta(hours=self.case.minutes_due_hours),
            )
        await self._start_actions()
        minutes_done = self.case.minutes_written or MINUTES in self._outcomes
        if minutes_done and not self._tasks.open and not self._pending:
            await self._record("close_follow_up")
            self._tasks.set_stage("closed")
            return
        await self._wait(None)

    async def _apply_change(self) -> None:
        kind, change = self._changes.pop(0)
        if kind == "cancel":
            await self._cancel_tasks(list(self._tasks.open))
            self._pending.clear()
            self._tasks.set_stage("cancelled")
            return
        if kind == "postpone":
            # Until there is a new date nothing before the meeting falls due.
            await self._cancel_tasks([BRIEFING])
            self._tasks.set_stage("postponed")
            return
        assert isinstance(change, Moved)
        self._event_id = change.event_id
        self._take(await record(EventsActivities.load_case, self._ref()))
        briefing = self._tasks.open.get(BRIEFING)
        due_at = self.case.briefing_due_at
        if briefing is not None and due_at is not None and briefing.due_at != due_at:
            briefing.due_at = due_at
            await self._tasks.amend(briefing.task_id, TaskChange(due_at=due_at))
            self._tasks.index()
        self._tasks.set_stage("scheduled")

    # Tasks.

    async def _start_actions(self) -> None:
        waiting = [spec for key, spec in self._pending.items() if key not in self._tasks.open]
        self._pending.clear()
        await asyncio.gather(
            *(
                self._start_task(
                    spec.key,
                    subject=f"{self.case.subject} — {spec.title_ka}",
                    awaiting=[spec.owner_role],
                    assignee=spec.owner,
                    due_at=spec.due_at,
                    outcomes=["done", "dropped"],
                )
                for spec in waiting
                if spec.key not in self._outcomes
            )
        )

    async def _start_task(
        self,
        key: str,
        *,
        subject: str,
        awaiting: list[str],
        assignee: str | None,
        due_at: datetime,
        outcomes: list[str] | None = None,
    ) -> None:
        # A task started again after a postponement is a new workflow of its own.
        task_id = self._tasks.task_id(key, self._round)
        await self._tasks.start(
            key,
            OpenTask(
                task_id=task_id, key=key, awaiting=list(awaiting), assignee=assignee, due_at=due_at
            ),
            step=key.split("-", 1)[0],
            subject=subject,
            awaiting=awaiting,
            assignee=assignee,
            due_at=due_at,
            escalate_to="head_of_department",
            outcomes=outcomes or ["done"],
            reason_required_for=["dropped"],
            report_to_case=True,
            parent_close_policy=ParentClosePolicy.ABANDON,
        )

    async def _cancel_tasks(self, keys: list[str]) -> None:
        if any(key in self._tasks.open for key in keys):
            self._round += 1
        await self._tasks.cancel(keys)

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
            await record(
                EventsActivities.record_task_outcome,
                RecordEventTaskOutcome(
                    event=self._ref(),
                    key=key,
                    outcome=TaskOutcome(
                        outcome=result.outcome,
                        actor=result.decided_by,
                        comment=result.comment,
                        at=result.decided_at,
                    ),
                ),
            )

    # Waiting.

    async def _wait(self, until: datetime | None) -> None:
        self._wake = False
        timeout = None if until is None else until - workflow.now()
        if timeout is not None and timeout <= timedelta(0):
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self._wake or bool(self._changes) or bool(self._tasks.finished),
                timeout=timeout,
            )

    # Helpers.

    def _ref(self) -> EventRef:
        return EventRef(event_id=self._event_id)

    def _take(self, case: EventCase) -> None:
        self._case = case
        self._event_id = case.event_id
        self._starts_at, self._ends_at = case.starts_at, case.ends_at
        for spec in case.actions:
            known = spec.key in self._tasks.open or spec.key in self._outcomes
            if spec.status == "open" and not known:
                self._pending[spec.key] = spec

    async def _record(self, action: Literal["complete", "close_follow_up"]) -> EventCase:
        case: EventCase = await record(
            EventsActivities.record_transition,
            RecordEventTransition(
                event=self._ref(),
                transition=TransitionRequest(action=action, actor="meria-worker"),
            ),
        )
        self._take(case)
        return case

    # What the tasks tell.

    @workflow.signal
    def task_finished(self, result: TaskResult) -> None:
        self._tasks.reported(result)

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    # What the events service sends, with the verified user.

    @workflow.update
    async def add_action(self, new: NewAction) -> CaseStatus:
        self._pending[new.action.key] = new.action
        self._wake = True
        return self.status()

    @add_action.validator
    def _may_add_action(self, new: NewAction) -> None:
        self._refuse_unless(new)
        if self._stage in FINISHED:
            raise ApplicationError(f"The meeting is {self._stage}.", type="Refused")

    @workflow.update
    async def postpone(self, postponement: Reasoned) -> CaseStatus:
        self._changes.append(("postpone", postponement))
        return self.status()

    @postpone.validator
    def _may_postpone(self, postponement: Reasoned) -> None:
        self._refuse_unless_before(postponement, ("scheduled",), "postponed")

    @workflow.update
    async def reschedule(self, moved: Moved) -> CaseStatus:
        self._changes.append(("reschedule", moved))
        return self.status()

    @reschedule.validator
    def _may_reschedule(self, moved: Moved) -> None:
        self._refuse_unless_before(moved, ("scheduled", "postponed"), "moved")

    @workflow.update
    async def cancel(self, cancellation: Reasoned) -> CaseStatus:
        self._changes.append(("cancel", cancellation))
        return self.status()

    @cancel.validator
    def _may_cancel(self, cancellation: Reasoned) -> None:
        self._refuse_unless_before(cancellation, ("scheduled", "postponed"), "cancelled")

    def _refuse_unless(self, actor: Actor) -> None:
        if not set(actor.roles) & {*PLANNERS, "admin"}:
            raise ApplicationError(
                f"This needs one of the roles: {', '.join(PLANNERS)}.", type="Refused"
            )

    def _refuse_unless_before(self, actor: Actor, stages: tuple[str, ...], what: str) -> None:
        self._refuse_unless(actor)
        stage = self._stage
        if stage not in stages:
            raise ApplicationError(
                f"The meeting can no longer be {what}: it is {stage.replace('_', ' ')}.",
                type="Refused",
            )
        if self._changes:
            raise ApplicationError(
                "Another change to this meeting is under way; try again.", type="Refused"
            )

    @workflow.query
    def status(self) -> CaseStatus:
        tasks = sorted(self._tasks.open.values(), key=lambda task: (task.due_at, task.key))
        return CaseStatus(
            case_id=self._case_id,
            event_id=self._event_id,
            stage=self._stage,
            awaiting=self._tasks.awaiting(),
            due_at=self._tasks.due_at(),
            tasks=tasks,
            decisions=list(self._decisions),
            starts_at=self._starts_at,
            ends_at=self._ends_at,
        )
