"""HumanTaskWorkflow: one piece of waiting work for a person, shared by every case.

Each task that waits on a human (a review step, a logistics task, a briefing note) is a
small workflow of its own, started as a child of its case's workflow, id
`<case workflow id>-task-<key>`. It carries the inbox's search attributes, takes the
decision as an Update whose validator says who may decide, reminds at half its time and
escalates at its deadline. Reminders and escalation are written here once for the
whole product; the case's own service turns them into events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from meria.cases.tasks import (
        TaskChange,
        TaskClaim,
        TaskDecision,
        TaskEscalation,
        TaskFollowUp,
        TaskInput,
        TaskNote,
        TaskReassignment,
        TaskResult,
        TaskState,
    )
    from meria.temporal import (
        ASSIGNEE,
        AWAITING,
        DUE_AT,
        FOLLOW_UP_AT,
        KIND,
        REF,
        STAGE,
        SUBJECT,
    )
    from workflows.activities.tasks import TaskActivities, TaskNoticeRequest


def index_case(stage: str, awaiting: list[str] | None, due_at: datetime | None) -> None:
    """Set a case workflow's search attributes: its stage, and whom it awaits by when (none
    when nothing waits on anyone), so the inbox and the dashboard find it."""
    workflow.upsert_search_attributes(
        [
            STAGE.value_set(stage),
            AWAITING.value_set(list(awaiting)) if awaiting else AWAITING.value_unset(),
            DUE_AT.value_set(due_at) if due_at else DUE_AT.value_unset(),
        ]
    )


@workflow.defn
class HumanTaskWorkflow:
    @workflow.init
    def __init__(self, task: TaskInput) -> None:
        self._task = task
        self._state = TaskState(
            task_id=task.task_id,
            case_ref=task.case_ref,
            step=task.step,
            subject=task.subject,
            awaiting=list(task.awaiting),
            assignee=task.assignee,
            claimed_by=None,
            due_at=task.due_at,
            reminded=False,
            escalated=False,
            revision=task.revision,
            result=None,
        )
        self._changed: TaskChange | None = None
        # Whether a follow-up date was ever indexed: only then is it written (or unset),
        # so the histories of tasks that never had one keep their commands.
        self._follow_up_indexed = False

    @workflow.run
    async def run(self, task: TaskInput) -> TaskResult:
        self._index()
        while True:
            remaining = self._state.due_at - workflow.now()
            # The reminder comes when half the time is gone, so there is still time to act.
            if (
                not self._state.reminded
                and remaining > timedelta(0)
                and not await self._decided_within(remaining / 2)
            ):
                await self._notify("reminder")
                self._state.reminded = True
            if self._take_change():
                continue
            remaining = self._state.due_at - workflow.now()
            if not self._state.escalated and not await self._decided_within(remaining):
                await self._escalate()
            if self._take_change():
                continue
            await workflow.wait_condition(
                lambda: self._state.result is not None or self._changed is not None
            )
            if self._take_change():
                continue
            break
        assert self._state.result is not None
        if task.report_to_case:
            await workflow.get_external_workflow_handle(task.case_workflow_id).signal(
                "task_finished", self._state.result
            )
        return self._state.result

    async def _escalate(self) -> None:
        task = self._task
        # Past the deadline the escalation role may decide too, and is told so.
        if task.escalate_to and task.escalate_to not in self._state.awaiting:
            self._state.awaiting.append(task.escalate_to)
        self._state.escalated = True
        self._index()
        # The case's workflow answers "who is awaited" for its own status and inbox.
        await workflow.get_external_workflow_handle(task.case_workflow_id).signal(
            "task_escalated",
            TaskEscalation(task_id=task.task_id, awaiting=list(self._state.awaiting)),
        )
        await self._notify("escalation")

    def _take_change(self) -> bool:
        """Apply a change that arrived while waiting; True when the timers start over."""
        change, self._changed = self._changed, None
        if change is None or self._state.result is not None:
            return False
        if change.assignee is not None:
            self._state.assignee = change.assignee
        if change.due_at is not None and change.due_at != self._state.due_at:
            self._state.due_at = change.due_at
            # A new deadline is a new chance: reminded and escalated again if missed again.
            self._state.reminded = False
            self._state.escalated = False
        self._index()
        return True

    async def _decided_within(self, timeout: timedelta) -> bool:
        """Wait for a decision (or a change) for at most `timeout`; False when it ran out."""
        if timeout <= timedelta(0):
            return self._state.result is not None
        try:
            await workflow.wait_condition(
                lambda: self._state.result is not None or self._changed is not None,
                timeout=timeout,
            )
        except TimeoutError:
            return False
        return True

    async def _notify(self, kind: str) -> None:
        task = self._task
        await workflow.execute_activity_method(
            TaskActivities.send_notice,
            TaskNoticeRequest(
                service=task.service,
                path=task.notice_path,
                notice={
                    "kind": kind,
                    "task_id": task.task_id,
                    "step": task.step,
                    "awaiting": self._state.awaiting,
                    "due_at": self._state.due_at.isoformat(),
                },
            ),
            start_to_close_timeout=timedelta(seconds=30),
        )

    def _index(self) -> None:
        assignee = self._state.assignee or self._state.claimed_by
        updates: list[SearchAttributeUpdate[Any]] = [
            KIND.value_set("task"),
            STAGE.value_set(self._task.step),
            AWAITING.value_set(list(self._state.awaiting)),
            ASSIGNEE.value_set(assignee) if assignee else ASSIGNEE.value_unset(),
            DUE_AT.value_set(self._state.due_at),
            SUBJECT.value_set(self._task.subject),
            REF.value_set(self._task.case_ref),
        ]
        follow_up = self._state.follow_up_at
        if follow_up is not None or self._follow_up_indexed:
            updates.append(
                FOLLOW_UP_AT.value_set(follow_up) if follow_up else FOLLOW_UP_AT.value_unset()
            )
            self._follow_up_indexed = True
        workflow.upsert_search_attributes(updates)

    @workflow.update
    async def decide(self, decision: TaskDecision) -> TaskResult:
        self._state.result = TaskResult(
            task_id=self._task.task_id,
            step=self._task.step,
            outcome=decision.outcome,
            decided_by=decision.user,
            decided_at=workflow.now(),
            comment=decision.comment,
            escalated=self._state.escalated,
            receipt=decision.receipt,
        )
        if workflow.patched("decided-task-leaves-the-inbox"):
            # Out of every inbox with the answer to the one who decided, not only when the
            # workflow closes: that can wait for its case to hear of it, which under load
            # takes seconds.
            workflow.upsert_search_attributes([AWAITING.value_unset(), ASSIGNEE.value_unset()])
        return self._state.result

    @decide.validator
    def _may_decide(self, decision: TaskDecision) -> None:
        task, state = self._task, self._state
        if state.result is not None:
            raise ApplicationError("This step has already been decided.", type="TaskFinished")
        if decision.outcome not in task.outcomes:
            raise ApplicationError(
                f"'{decision.outcome}' is not a decision this step takes "
                f"({', '.join(task.outcomes)}).",
                type="BadOutcome",
            )
        if task.author and decision.user == task.author:
            raise ApplicationError(
                "The author cannot decide on their own document.", type="AuthorRefused"
            )
        if decision.outcome in task.reason_required_for and not (decision.comment or "").strip():
            raise ApplicationError(
                f"'{decision.outcome}' needs a reason in the comment.", type="ReasonRequired"
            )
        if decision.revision is not None and decision.revision != task.revision:
            raise ApplicationError(
                f"The document changed since you read it (revision {decision.revision}, now "
                f"{task.revision}); read it again before deciding.",
                type="StaleRevision",
            )
        if state.assignee is not None:
            if decision.user != state.assignee and not (
                state.escalated and task.escalate_to in decision.roles
            ):
                raise ApplicationError(
                    "This step is assigned to another person.", type="WrongPerson"
                )
            return
        if not set(decision.roles) & set(state.awaiting):
            raise ApplicationError(
                f"This step waits on {', '.join(state.awaiting)}; you do not hold that role.",
                type="WrongRole",
            )
        if state.claimed_by and state.claimed_by != decision.user:
            raise ApplicationError(
                f"{state.claimed_by} has claimed this step.", type="ClaimedByAnother"
            )

    @workflow.update
    async def claim(self, claim: TaskClaim) -> TaskState:
        self._state.claimed_by = claim.user
        self._index()
        return self._state

    @claim.validator
    def _may_claim(self, claim: TaskClaim) -> None:
        state = self._state
        if state.result is not None:
            raise ApplicationError("This step has already been decided.", type="TaskFinished")
        if state.assignee is not None:
            raise ApplicationError("This step is assigned to a named person.", type="Assigned")
        if not set(claim.roles) & set(state.awaiting):
            raise ApplicationError(
                f"This step waits on {', '.join(state.awaiting)}.", type="WrongRole"
            )
        if state.claimed_by and state.claimed_by != claim.user:
            raise ApplicationError(f"{state.claimed_by} has claimed it.", type="Claimed")

    @workflow.update
    async def unclaim(self, claim: TaskClaim) -> TaskState:
        self._state.claimed_by = None
        self._index()
        return self._state

    @unclaim.validator
    def _may_unclaim(self, claim: TaskClaim) -> None:
        if self._state.claimed_by != claim.user and "head_of_department" not in claim.roles:
            raise ApplicationError("Only who claimed the step may release it.", type="NotYours")

    @workflow.update
    async def reassign(self, handing: TaskReassignment) -> TaskState:
        """The task is the named person's now (only they decide it, and the escalation
        role past the deadline); the note tells them why, on the task's own story."""
        state = self._state
        state.notes.append(
            TaskNote(at=workflow.now(), by=handing.user, text=handing.note, assigned_to=handing.to)
        )
        state.assignee, state.claimed_by, state.follow_up_at = handing.to, None, None
        self._index()
        return state

    @reassign.validator
    def _may_reassign(self, handing: TaskReassignment) -> None:
        state = self._state
        if state.result is not None:
            raise ApplicationError("This step has already been decided.", type="TaskFinished")
        holder = state.assignee or state.claimed_by
        if handing.user != holder and "head_of_department" not in handing.roles:
            raise ApplicationError(
                "Only who holds the step, or the head of department, may hand it on.",
                type="NotYours",
            )
        if handing.to == holder:
            raise ApplicationError(f"The step is {handing.to}'s already.", type="Unchanged")
        if not handing.note.strip():
            raise ApplicationError("Say why in a note for the person.", type="NoteRequired")

    @workflow.update
    async def follow_up(self, follow_up: TaskFollowUp) -> TaskState:
        self._state.follow_up_at = follow_up.at
        self._index()
        return self._state

    @follow_up.validator
    def _may_follow_up(self, follow_up: TaskFollowUp) -> None:
        state = self._state
        if state.result is not None:
            raise ApplicationError("This step has already been decided.", type="TaskFinished")
        holder = state.assignee or state.claimed_by
        may = (
            follow_up.user == holder
            or "head_of_department" in follow_up.roles
            or (holder is None and set(follow_up.roles) & set(state.awaiting))
        )
        if not may:
            raise ApplicationError(
                "Only who holds the step may set when to look at it again.", type="NotYours"
            )
        if follow_up.at is not None and follow_up.at >= state.due_at:
            raise ApplicationError(
                "The follow-up date must come before the step's deadline.", type="TooLate"
            )

    @workflow.signal
    def amend(self, change: TaskChange) -> None:
        """The case moved the due time or named another owner: the timers start over."""
        if self._state.result is None:
            self._changed = change

    @workflow.query
    def state(self) -> TaskState:
        return self._state
