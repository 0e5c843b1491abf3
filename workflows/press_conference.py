"""PressConferenceWorkflow: one press conference, from its announcement to the press release
or transcript after it.

One workflow per case (`press-conference-<case id>`, the first event's id; a press
conference moved to a new date is a new event of the same case, and this workflow
follows it). Once the conference is scheduled: a media advisory is created and submitted
through the publishing service's API (publishing runs its own approval), the media
service opens the accreditation window, the accredited journalists are reminded the day
before, the conference is held, and the press release or transcript falls due — a
`HumanTaskWorkflow` for the press officer with a deadline, a reminder and escalation.

Postponement, a new date and cancellation arrive as Updates from the events service
with the verified user: postponed, every timer stops; a new date moves them (the old
date's advisory withdrawn from publishing's route if it is still on it, a new advisory
for the new date, the window and the reminder at the new time); cancelled, the window
closes and a notice of cancellation goes to publishing.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Literal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from meria.cases import Actor, DecisionRecord, Reasoned, TaskOutcome, case_ref
    from meria.cases.events import (
        PLANNERS,
        CaseStatus,
        EventCase,
        Moved,
        OpenTask,
        PressConferenceInput,
        TransitionRequest,
    )
    from meria.cases.tasks import TaskEscalation, TaskResult
    from meria.temporal import KIND, REF, SUBJECT
    from workflows.activities.events import (
        AnnouncementRequest,
        AnnouncementWithdrawal,
        EventRef,
        EventsActivities,
        RecordEventTaskOutcome,
        RecordEventTransition,
    )
    from workflows.activities.media import (
        AccreditationWindow,
        AccreditedReminder,
        MediaActivities,
        WindowClosing,
    )
    from workflows.case_tasks import CaseTasks, record

PRESS = ("media_officer", "editor")

Change = tuple[Literal["postpone", "reschedule", "cancel"], Reasoned]
# The patch that withdraws a moved conference's advisory (histories before it replay
# without the activity).
WITHDRAW_MOVED_ADVISORY = "withdraw-moved-advisory"


@workflow.defn
class PressConferenceWorkflow:
    @workflow.init
    def __init__(self, request: PressConferenceInput) -> None:
        self._case_id = request.case_id
        self._event_id = request.event_id
        self._case: EventCase | None = None
        self._tasks: CaseTasks[OpenTask] = CaseTasks(
            stage="scheduled",
            case_ref=case_ref("event", request.case_id),
            service="events",
            notice_path=f"/events/{request.case_id}/task-notices",
            one_at_a_time=True,
        )
        self._starts_at: datetime | None = None
        self._ends_at: datetime | None = None
        self._changes: list[Change] = []
        self._result: TaskResult | None = None
        self._decisions: list[DecisionRecord] = []
        self._advisories: dict[int, int] = {}
        self._notice: int | None = None
        self._window: tuple[str, datetime, datetime] | None = None
        self._reminders: list[str] = []

    @property
    def case(self) -> EventCase:
        assert self._case is not None
        return self._case

    @property
    def _stage(self) -> str:
        return self._tasks.stage

    @workflow.run
    async def run(self, request: PressConferenceInput) -> CaseStatus:
        self._take(await record(EventsActivities.load_case, self._ref()))
        workflow.upsert_search_attributes(
            [
                KIND.value_set("press_conference"),
                REF.value_set(self._tasks.case_ref),
                SUBJECT.value_set(self.case.subject),
            ]
        )
        self._tasks.index()
        if self.case.state == "postponed":
            self._tasks.set_stage("postponed")
        while True:
            if self._changes:
                if await self._apply_change():
                    return self.status()
                continue
            if self._tasks.stage == "postponed":
                # No date, so nothing falls due: wait for a new date or the cancellation.
                await workflow.wait_condition(lambda: bool(self._changes))
                continue
            if self._tasks.stage == "scheduled":
                await self._before()
                continue
            if self._tasks.stage == "held":
                await self._follow_up()
                return self.status()
            raise RuntimeError(f"a press conference cannot be {self._stage}")

    # Before and after.

    async def _before(self) -> None:
        """Advisory, accreditation, reminder, then the conference itself; each wait gives
        way to a change, after which the loop starts from what is due now."""
        assert self._starts_at is not None and self._ends_at is not None
        event_id = self._event_id
        if event_id not in self._advisories:
            self._advisories[event_id] = await record(
                EventsActivities.publish_announcement,
                AnnouncementRequest(event=self._ref(), purpose="advisory"),
                timeout=timedelta(minutes=2),
            )
            if self._changes:
                return
        closes_at = self._starts_at - timedelta(hours=self.case.accreditation_closes_hours)
        if closes_at <= workflow.now():
            # Called at short notice: journalists may apply until it starts.
            closes_at = self._starts_at
        window = (self.case.subject, self._starts_at, closes_at)
        if self._window != window:
            await record(
                MediaActivities.open_accreditation,
                AccreditationWindow(
                    event_id=self._case_id,
                    title_ka=self.case.subject,
                    title_en=self.case.title_en,
                    starts_at=self._starts_at,
                    closes_at=closes_at,
                ),
            )
            self._window = window
            if self._changes:
                return
        remind_at = self._starts_at - timedelta(hours=self.case.reminder_lead_hours)
        if await self._wait_until(remind_at):
            return
        # One reminder per date: a conference moved to a new day is reminded again.
        key = f"press-conference-{self._case_id}-{self._starts_at:%Y%m%dT%H%MZ}"
        if key not in self._reminders and workflow.now() < self._starts_at:
            await record(
                MediaActivities.remind_accredited,
                AccreditedReminder(event_id=self._case_id, key=key),
            )
            self._reminders.append(key)
            if self._changes:
                return
        if await self._wait_until(self._ends_at):
            return
        case = await self._record("complete")
        # Cancelled or moved at the last moment: the change is in the queue.
        if case.state == "completed":
            self._tasks.set_stage("held")

    async def _follow_up(self) -> None:
        """The press release or transcript, due after the conference."""
        assert self._ends_at is not None
        key = self.case.follow_up_kind or "press_release"
        task_id = self._tasks.task_id(key)
        due_at = self._ends_at + timedelta(hours=self.case.follow_up_due_hours)
        self._tasks.stage = "follow_up"
        task = await self._tasks.start(
            key,
            OpenTask(
                task_id=task_id,
                key=key,
                awaiting=list(PRESS),
                assignee=self.case.responsible,
                due_at=due_at,
            ),
            step=key,
            subject=self.case.subject,
            awaiting=list(PRESS),
            assignee=self.case.responsible,
            due_at=due_at,
            escalate_to="head_of_department",
            outcomes=["done"],
        )
        result: TaskResult = await task
        # Out of the status, not yet out of the index: the stage that follows says it.
        self._tasks.open.clear()
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
        await self._record("close_follow_up")
        self._tasks.set_stage("done")

    async def _apply_change(self) -> bool:
        """Apply the oldest change; True when the case is over."""
        kind, change = self._changes.pop(0)
        if kind == "postpone":
            self._tasks.set_stage("postponed")
            return False
        if kind == "reschedule":
            assert isinstance(change, Moved)
            await self._withdraw_advisory(change)
            self._event_id = change.event_id
            self._take(await record(EventsActivities.load_case, self._ref()))
            self._tasks.set_stage("scheduled")
            return False
        # Cancelled: journalists can no longer apply, and the public is told.
        if self._window is not None:
            await record(
                MediaActivities.close_accreditation,
                WindowClosing(event_id=self._case_id, reason=change.reason),
            )
            self._window = None
        self._notice = await record(
            EventsActivities.publish_announcement,
            AnnouncementRequest(event=self._ref(), purpose="notice"),
            timeout=timedelta(minutes=2),
        )
        self._tasks.set_stage("cancelled")
        return True

    async def _withdraw_advisory(self, moved: Moved) -> None:
        """The old date's advisory leaves publishing's route before the new one is made:
        approved later, it would be published and mailed with a day that is no more.
        Cases started before this rule replay as they ran."""
        advisory = self._advisories.get(self._event_id)
        if advisory is None or not workflow.patched(WITHDRAW_MOVED_ADVISORY):
            return
        await record(
            EventsActivities.withdraw_announcement,
            AnnouncementWithdrawal(
                document_id=advisory,
                # In the department's language: the document's history shows it.
                reason=f"პრესკონფერენცია ახალ თარიღზე გადავიდა: {moved.reason}",
            ),
        )

    # Helpers.

    def _ref(self) -> EventRef:
        return EventRef(event_id=self._event_id)

    def _take(self, case: EventCase) -> None:
        self._case = case
        self._event_id = case.event_id
        self._starts_at, self._ends_at = case.starts_at, case.ends_at
        if case.advisory_document_id is not None:
            self._advisories[case.event_id] = case.advisory_document_id

    async def _wait_until(self, moment: datetime) -> bool:
        """A durable wait until `moment`; True when a change cut it short."""
        timeout = moment - workflow.now()
        if timeout <= timedelta(0):
            return bool(self._changes)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: bool(self._changes), timeout=timeout)
        return bool(self._changes)

    async def _record(self, action: Literal["complete", "close_follow_up"]) -> EventCase:
        case: EventCase = await record(
            EventsActivities.record_transition,
            RecordEventTransition(
                event=self._ref(),
                transition=TransitionRequest(action=action, actor="meria-worker"),
            ),
        )
        self._case = case
        return case

    # What the events service sends, with the verified user.

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

    def _refuse_unless_before(self, actor: Actor, stages: tuple[str, ...], what: str) -> None:
        if not set(actor.roles) & {*PLANNERS, "admin"}:
            raise ApplicationError(
                f"This needs one of the roles: {', '.join(PLANNERS)}.", type="Refused"
            )
        if self._stage not in stages:
            raise ApplicationError(
                f"The press conference can no longer be {what}: it is {self._stage}.",
                type="Refused",
            )
        if self._changes:
            raise ApplicationError(
                "Another change to this press conference is under way; try again.",
                type="Refused",
            )

    @workflow.signal
    def task_escalated(self, escalation: TaskEscalation) -> None:
        self._tasks.escalated(escalation)

    @workflow.query
    def status(self) -> CaseStatus:
        tasks = list(self._tasks.open.values())
        return CaseStatus(
            case_id=self._case_id,
            event_id=self._event_id,
            stage=self._stage,
            awaiting=sorted({role for task in tasks for role in task.awaiting}),
            due_at=tasks[0].due_at if tasks else None,
            tasks=tasks,
            decisions=list(self._decisions),
            starts_at=self._starts_at,
            ends_at=self._ends_at,
            advisory_document_id=self._advisories.get(self._event_id),
            notice_document_id=self._notice,
            reminders_sent=list(self._reminders),
        )
