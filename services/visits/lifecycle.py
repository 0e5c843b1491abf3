"""Where the visit workflow's activities land: the case, transitions, tasks' outcomes,
reminders and escalations, the readiness gate's notice, and the press release.

Every call carries an idempotency key (the activity's own), so a retried activity finds
what its first attempt did instead of doing it twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.bus import Outbox
from meria.cases import TaskNotice, TransitionRequest
from meria.cases.visits import PressReleaseDraft, TaskOutcome, VisitCase
from meria.contracts import (
    Event,
    LocalizedText,
    OpenTaskRef,
    VisitApproved,
    VisitCancelled,
    VisitCompleted,
    VisitNotReady,
    VisitPostponed,
    VisitReady,
    VisitTaskOverdue,
    VisitTaskReminderDue,
)
from meria.db import Database
from meria.problems import Problem
from services.visits.models import LogisticsTask, Visit, VisitHistoryEntry
from services.visits.schemas import ReadinessNotice
from services.visits.settings import VisitsSettings
from services.visits.states import TaskStatus, VisitAction
from services.visits.visits import (
    apply,
    arrival_at,
    budget_totals,
    end_at,
    load,
    member_count,
    note,
    now,
    task_of,
    task_spec,
    visit_facts,
)

APPROVAL_TITLE = LocalizedText(ka="მერის თანხმობა ვიზიტზე", en="The mayor's approval of the visit")
REPORT_TITLE = ("ვიზიტის ანგარიში", "The visit's report")
# Actions the workflow records here; the rest of the table is reached through these.
RECORDED_BY_WORKFLOW = {
    "approve",
    "decline",
    "become_ready",
    "reopen_preparation",
    "begin",
    "end",
    "close",
    "postpone",
    "resume",
    "cancel",
}


def case_of(visit: Visit, settings: VisitsSettings) -> VisitCase:
    return VisitCase(
        visit_id=visit.id,
        subject=visit.title_ka,
        status=visit.status,
        kind=visit.kind,
        arrival_on=visit.arrival_on,
        departure_on=visit.departure_on,
        arrival_at=arrival_at(visit),
        end_at=end_at(visit),
        created_by=visit.created_by,
        responsible=visit.responsible,
        tasks=[task_spec(task) for task in visit.tasks],
        approval_hours=settings.approval_hours,
        readiness_gate_days=settings.readiness_gate_days,
        report_due_days=settings.report_due_days,
        report_written=visit.report is not None,
        press_release_document_id=visit.press_release_document_id,
        history_limit=settings.history_limit,
    )


async def case_info(database: Database, settings: VisitsSettings, visit_id: int) -> VisitCase:
    async with database.session() as session:
        return case_of(await load(session, visit_id), settings)


async def _already_done(session: AsyncSession, key: str | None) -> bool:
    if key is None:
        return False
    found = await session.scalar(
        select(VisitHistoryEntry.id).where(VisitHistoryEntry.idempotency_key == key)
    )
    return found is not None


def _close_open_tasks(visit: Visit, actor: str, reason: str) -> list[str]:
    closed = []
    for task in visit.tasks:
        if task.status == TaskStatus.OPEN:
            task.status = TaskStatus.CANCELLED.value
            task.closed_by = actor
            task.closed_at = now()
            task.close_reason = reason
            closed.append(task.key)
    return closed


async def record_transition(
    database: Database,
    outbox: Outbox,
    settings: VisitsSettings,
    visit_id: int,
    request: TransitionRequest,
    idempotency_key: str | None,
) -> VisitCase:
    if request.action not in RECORDED_BY_WORKFLOW:
        raise Problem(422, "Not a workflow transition", f"{request.action!r} is not one.")
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if not await _already_done(session, idempotency_key):
            event = _transition(session, visit, request, settings, idempotency_key)
            if event is not None:
                await outbox.add(session, event, about=f"visit:{visit.id}")
        await session.flush()
        await session.refresh(visit, ["tasks"])
        return case_of(visit, settings)


def _transition(
    session: AsyncSession,
    visit: Visit,
    request: TransitionRequest,
    settings: VisitsSettings,
    key: str | None,
) -> Event | None:
    """Apply one transition the workflow reports, and name the event it makes."""
    actor, reason, action = request.actor, request.reason, request.action
    facts = visit_facts(visit)
    if action == "approve":
        # Approval starts the preparation at once: the tasks go to their owners.
        apply(session, visit, VisitAction.APPROVE, actor, reason=reason, idempotency_key=key)
        apply(session, visit, VisitAction.START_PREPARATION, "meria-worker")
        visit.approved_by, visit.approved_at = actor, now()
        return VisitApproved(**facts, approved_by=actor)
    if action == "decline":
        apply(session, visit, VisitAction.DECLINE, actor, reason=reason, idempotency_key=key)
        visit.status_reason = reason
        visit.closed_at = now()
        _close_open_tasks(visit, actor, "the mayor declined the visit")
        return VisitCancelled(**facts, cancelled_by=actor, reason=reason or "", declined=True)
    if action == "cancel":
        closed = _close_open_tasks(visit, actor, reason or "the visit was cancelled")
        apply(
            session, visit, VisitAction.CANCEL, actor, reason=reason,
            details={"tasks_closed": closed}, idempotency_key=key,
        )  # fmt: skip
        visit.status_reason = reason
        visit.closed_at = now()
        return VisitCancelled(**facts, cancelled_by=actor, reason=reason or "")
    if action == "postpone":
        apply(session, visit, VisitAction.POSTPONE, actor, reason=reason, idempotency_key=key)
        visit.status_reason = reason
        return VisitPostponed(
            **facts, postponed_by=actor, reason=reason or "", until_further_notice=True
        )
    if action == "resume":
        resumed = VisitAction.RESUME if visit.approved_at else VisitAction.RESUME_REQUEST
        apply(
            session, visit, resumed, actor, reason=reason, details=request.details,
            idempotency_key=key,
        )  # fmt: skip
        visit.status_reason = None
        return None
    if action == "become_ready":
        apply(session, visit, VisitAction.BECOME_READY, actor, idempotency_key=key)
        return VisitReady(**facts)
    if action == "reopen_preparation":
        apply(session, visit, VisitAction.REOPEN_PREPARATION, actor, idempotency_key=key)
        return None
    if action == "begin":
        apply(session, visit, VisitAction.BEGIN, actor, idempotency_key=key)
        return None
    if action == "end":
        apply(session, visit, VisitAction.END, actor, idempotency_key=key)
        if not any(task.key == "report" for task in visit.tasks):
            visit.tasks.append(
                LogisticsTask(
                    key="report",
                    title_ka=REPORT_TITLE[0],
                    title_en=REPORT_TITLE[1],
                    owner=visit.responsible,
                    owner_role="protocol_officer",
                    anchor="departure",
                    offset_days=int(settings.report_due_days),
                    due_overridden=True,
                    due_at=end_at(visit) + timedelta(days=settings.report_due_days),
                    required=True,
                    status=TaskStatus.OPEN.value,
                )
            )
        return None
    assert action == "close"
    closed = _close_open_tasks(visit, actor, "the visit is over")
    document_id = request.details.get("press_release_document_id")
    apply(
        session, visit, VisitAction.CLOSE, actor,
        details={"tasks_closed": closed, "press_release_document_id": document_id},
        idempotency_key=key,
    )  # fmt: skip
    visit.closed_at = now()
    planned, actual = budget_totals(visit)
    return VisitCompleted(
        **facts,
        press_release_document_id=document_id,
        member_count=member_count(visit),
        budget_planned_gel=planned,
        budget_actual_gel=actual,
    )


async def record_task_outcome(
    database: Database,
    visit_id: int,
    key: str,
    outcome: TaskOutcome,
    idempotency_key: str | None,
) -> None:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        task = task_of(visit, key)
        if await _already_done(session, idempotency_key) or task.status != TaskStatus.OPEN:
            return
        task.status = outcome.outcome
        task.closed_by = outcome.actor
        task.closed_at = outcome.at
        task.close_reason = outcome.comment
        note(
            session,
            visit,
            f"task_{outcome.outcome}",
            outcome.actor,
            task_key=key,
            reason=outcome.comment,
            idempotency_key=idempotency_key,
        )


def _task_key(visit: Visit, task_id: str) -> str:
    """The key in one of the visit's task workflow ids, `visit-<id>-task-<key>[-r<n>]`."""
    prefix = f"{visit.workflow_id}-task-"
    key = task_id.removeprefix(prefix).split("-", 1)[0]
    if not task_id.startswith(prefix) or not key:
        raise Problem(
            422,
            "Unknown task",
            f"{task_id!r} is not a task of visit {visit.id}: its tasks are {prefix}<key>.",
            errors=[{"field": "task_id", "message": "not a task of this visit"}],
        )
    return key


async def task_notice(
    database: Database,
    outbox: Outbox,
    visit_id: int,
    notice: TaskNotice,
    idempotency_key: str | None,
) -> None:
    """A task's reminder or escalation becomes an event and a history entry."""
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        key = _task_key(visit, notice.task_id)
        reminder = notice.kind == "reminder"
        title, owner = APPROVAL_TITLE, None
        if key != "approval":
            task = task_of(visit, key)
            title = LocalizedText(ka=task.title_ka, en=task.title_en)
            owner = task.owner
            if reminder:
                task.reminded_at = now()
            else:
                task.overdue_at = now()
        note(
            session,
            visit,
            "task_reminder_due" if reminder else "task_overdue",
            "meria-worker",
            task_key=key,
            details={"task_id": notice.task_id, "awaiting": notice.awaiting},
            idempotency_key=idempotency_key,
        )
        fields: dict[str, Any] = {
            **visit_facts(visit),
            "task_key": key,
            "task_id": notice.task_id,
            "task_title": title,
            "owner": owner,
            "awaiting": notice.awaiting,
            "due_at": notice.due_at,
        }
        event: Event = VisitTaskReminderDue(**fields) if reminder else VisitTaskOverdue(**fields)
        await outbox.add(session, event, about=f"visit:{visit.id}")


async def readiness_notice(
    database: Database,
    outbox: Outbox,
    visit_id: int,
    notice: ReadinessNotice,
    idempotency_key: str | None,
) -> None:
    """The readiness gate found required tasks open: the head of department gets the list."""
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if await _already_done(session, idempotency_key):
            return
        still_open = [
            task
            for task in visit.tasks
            if task.key in notice.open_keys and task.status == TaskStatus.OPEN
        ]
        note(
            session,
            visit,
            "not_ready",
            "meria-worker",
            details={"open_tasks": [task.key for task in still_open]},
            idempotency_key=idempotency_key,
        )
        await outbox.add(
            session,
            VisitNotReady(
                **visit_facts(visit),
                open_tasks=[
                    OpenTaskRef(
                        key=task.key,
                        title=LocalizedText(ka=task.title_ka, en=task.title_en),
                        owner=task.owner,
                        due_at=task.due_at,
                    )
                    for task in still_open
                ],
            ),
            about=f"visit:{visit.id}",
        )


def _paragraphs(*texts: str | None) -> str:
    return "".join(f"<p>{_escape(text)}</p>" for text in texts if text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def press_release_draft(database: Database, visit_id: int) -> PressReleaseDraft:
    """The press release about the visit's results, from its report: the outcomes and the
    agreements reached. Delegation members are never named in it."""
    async with database.session() as session:
        visit = await load(session, visit_id)
    report = visit.report
    if report is None:
        raise Problem(409, "No report", f"Visit {visit.id} has no report yet.")
    partner = visit.partner
    with_whom_ka = f" — {partner.name_ka}" if partner else ""
    with_whom_en = f" — {partner.name_en or partner.name_ka}" if partner else ""
    title_ka = f"{visit.title_ka}: ვიზიტის შედეგები{with_whom_ka}"
    title_en = f"{visit.title_en}: results of the visit{with_whom_en}" if visit.title_en else None
    period = f"{visit.arrival_on.isoformat()} – {visit.departure_on.isoformat()}"
    summary_ka = f"{period}. {report.outcomes_ka.splitlines()[0]}"
    summary_en = f"{period}. {report.outcomes_en.splitlines()[0]}" if report.outcomes_en else None
    body_ka = _paragraphs(visit.purpose_ka, report.outcomes_ka, report.agreements_reached_ka)
    body_en = (
        _paragraphs(visit.purpose_en, report.outcomes_en, report.agreements_reached_en)
        if report.outcomes_en
        else None
    )
    return PressReleaseDraft(
        title_ka=title_ka[:500],
        title_en=title_en[:500] if title_en else None,
        summary_ka=summary_ka[:5000],
        summary_en=summary_en[:5000] if summary_en else None,
        body_ka=body_ka,
        body_en=body_en,
        author=visit.press_editor or visit.responsible or visit.created_by,
        document_id=visit.press_release_document_id,
    )


async def record_press_release(
    database: Database, visit_id: int, document_id: int, idempotency_key: str | None
) -> None:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if visit.press_release_document_id == document_id or await _already_done(
            session, idempotency_key
        ):
            return
        if visit.press_release_document_id is not None:
            raise Problem(
                409,
                "Press release exists",
                f"Visit {visit.id} already has press release {visit.press_release_document_id}.",
            )
        visit.press_release_document_id = document_id
        note(
            session,
            visit,
            "press_release_created",
            "meria-worker",
            details={"document_id": document_id},
            idempotency_key=idempotency_key,
        )
