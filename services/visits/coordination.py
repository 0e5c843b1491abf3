"""What staff ask of a visit's workflow: the mayor's decision, completing or waiving a task,
new dates, postponement and cancellation.

Each is a Temporal Update sent with the verified user; the workflow's validators say who
may, and their refusal comes back as a 409 with the validator's message. New dates are
written here, in the same transaction that sends the Update, so the service and the
workflow never disagree about when a task is due.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from temporalio.client import Client

from meria.auth import User
from meria.bus import Outbox
from meria.case_api import claim
from meria.cases import Reasoned
from meria.cases.tasks import DECIDE, TaskDecision, TaskResult
from meria.cases.visits import (
    CANCEL,
    CHANGE_DATES,
    POSTPONE,
    STATUS,
    DatesMoved,
    VisitWorkflowStatus,
)
from meria.contracts import VisitPostponed, VisitRescheduled
from meria.db import Database
from meria.problems import Problem
from meria.temporal import query_status, send_update
from services.visits.models import Visit, VisitHistoryEntry
from services.visits.schemas import (
    ApprovalDecision,
    Cancellation,
    DatesChange,
    Postponement,
    TaskCompletion,
    TaskWaiver,
)
from services.visits.settings import VisitsSettings
from services.visits.states import DATES_MAY_CHANGE, TaskStatus, VisitAction, VisitStatus
from services.visits.visits import (
    TASKS_RUNNING,
    apply,
    arrival_at,
    end_at,
    load,
    move_due_dates,
    task_of,
    visit_facts,
)


async def workflow_status(temporal: Client, visit: Visit) -> VisitWorkflowStatus | None:
    status: VisitWorkflowStatus | None = await query_status(temporal, visit.workflow_id, STATUS)
    return status


async def _task_workflow_id(database: Database, visit: Visit, key: str) -> str:
    """The workflow id of one of the visit's tasks: `visit-<id>-task-<key>`, with the
    round after each resumption of a postponed visit (its tasks start afresh then).
    Worked out from the visit's history rather than asked of its workflow, so a dozen
    people closing a visit's tasks at once do not queue queries on one workflow."""
    async with database.session() as session:
        rounds = await session.scalar(
            select(func.count())
            .select_from(VisitHistoryEntry)
            .where(VisitHistoryEntry.visit_id == visit.id, VisitHistoryEntry.action == "resume")
        )
    base = f"{visit.workflow_id}-task-{key}"
    return f"{base}-r{rounds}" if rounds else base


def _not_open(visit: Visit, key: str) -> Problem:
    return Problem(
        409,
        "Not open",
        f"The task {key!r} of visit {visit.id} is not waiting for anyone now "
        f"(the visit is {visit.status}).",
        status_now=visit.status,
    )


async def decide_approval(
    database: Database, temporal: Client, visit_id: int, data: ApprovalDecision, user: User
) -> TaskResult:
    visit = await _read(database, visit_id)
    if visit.status != VisitStatus.REQUESTED:
        raise Problem(
            409,
            "Nothing to decide",
            f"The visit is {visit.status}; it does not wait for the mayor.",
            status_now=visit.status,
        )
    result: TaskResult = await send_update(
        temporal,
        await _task_workflow_id(database, visit, "approval"),
        DECIDE,
        TaskDecision(
            user=user.id, roles=sorted(user.roles), outcome=data.outcome, comment=data.comment
        ),
        not_found=_not_open(visit, "approval"),
    )
    return result


async def close_task(
    database: Database,
    temporal: Client,
    visit_id: int,
    key: str,
    closing: TaskCompletion | TaskWaiver,
    user: User,
) -> TaskResult:
    """Complete a task, or waive it with the reason."""
    visit = await _read(database, visit_id)
    task = task_of(visit, key)
    if VisitStatus(visit.status) not in TASKS_RUNNING:
        raise Problem(
            409,
            "Not under way",
            f"The visit is {visit.status}; its tasks wait for the mayor's approval."
            if visit.status == VisitStatus.REQUESTED
            else f"The visit is {visit.status}; its tasks are not running.",
            status_now=visit.status,
        )
    if task.status != TaskStatus.OPEN:
        raise Problem(409, "Task closed", f"The task {key!r} is already {task.status}.")
    if key == "report" and visit.report is None:
        raise Problem(
            409, "Write the report first", "The report is done once it is written: PUT /report."
        )
    waiving = isinstance(closing, TaskWaiver)
    if waiving and key == "report":
        raise Problem(409, "Not waivable", "The visit's report is written, never waived.")
    decision = TaskDecision(
        user=user.id,
        roles=sorted(user.roles),
        outcome="waived" if waiving else "done",
        comment=closing.reason if isinstance(closing, TaskWaiver) else closing.notes,
    )
    result: TaskResult = await send_update(
        temporal,
        await _task_workflow_id(database, visit, key),
        DECIDE,
        decision,
        not_found=_not_open(visit, key),
    )
    return result


async def claim_task(
    database: Database, temporal: Client, visit_id: int, key: str, user: User, *, release: bool
) -> Any:
    visit = await _read(database, visit_id)
    return await claim(
        temporal,
        await _task_workflow_id(database, visit, key),
        user,
        release=release,
        not_found=_not_open(visit, key),
    )


async def change_dates(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: VisitsSettings,
    visit_id: int,
    change: DatesChange | Postponement,
    user: User,
) -> Visit:
    """Move the visit to new dates, and every open task's due time with it; a postponed
    visit resumes with them."""
    assert change.arrival_on is not None and change.departure_on is not None
    postponing = isinstance(change, Postponement)
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if VisitStatus(visit.status) not in DATES_MAY_CHANGE:
            raise Problem(
                409,
                "The dates are fixed now",
                f"The visit is {visit.status}; its dates can no longer change.",
                status_now=visit.status,
            )
        previous = (visit.arrival_on, visit.departure_on)
        dues = move_due_dates(
            visit,
            change.arrival_on,
            change.departure_on,
            settings,
            arrives_at=change.arrives_at,
            departs_at=change.departs_at,
        )
        apply(
            session,
            visit,
            VisitAction.CHANGE_DATES,
            user.id,
            reason=change.reason,
            details={
                "previous": [day.isoformat() for day in previous],
                "dates": [change.arrival_on.isoformat(), change.departure_on.isoformat()],
                "postponed": postponing,
            },
        )
        # Inside the transaction: if the workflow refuses, the dates stay as they were.
        await send_update(
            temporal,
            visit.workflow_id,
            CHANGE_DATES,
            DatesMoved(
                user=user.id,
                roles=sorted(user.roles),
                reason=change.reason,
                arrival_at=arrival_at(visit),
                end_at=end_at(visit),
                dues=dues,
            ),
        )
        facts = visit_facts(visit)
        await outbox.add(
            session,
            VisitRescheduled(
                **facts,
                previous_arrival_on=previous[0],
                previous_departure_on=previous[1],
                changed_by=user.id,
            ),
            about=f"visit:{visit.id}",
        )
        if postponing:
            await outbox.add(
                session,
                VisitPostponed(
                    **facts, postponed_by=user.id, reason=change.reason, until_further_notice=False
                ),
                about=f"visit:{visit.id}",
            )
    return visit


async def postpone(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: VisitsSettings,
    visit_id: int,
    postponement: Postponement,
    user: User,
) -> Visit | VisitWorkflowStatus:
    if postponement.arrival_on is not None:
        return await change_dates(
            database, temporal, outbox, settings, visit_id, postponement, user
        )
    visit = await _read(database, visit_id)
    status: VisitWorkflowStatus = await send_update(
        temporal,
        visit.workflow_id,
        POSTPONE,
        Reasoned(user=user.id, roles=sorted(user.roles), reason=postponement.reason),
    )
    return status


async def cancel(
    database: Database, temporal: Client, visit_id: int, cancellation: Cancellation, user: User
) -> VisitWorkflowStatus:
    visit = await _read(database, visit_id)
    status: VisitWorkflowStatus = await send_update(
        temporal,
        visit.workflow_id,
        CANCEL,
        Reasoned(user=user.id, roles=sorted(user.roles), reason=cancellation.reason),
    )
    return status


async def _read(database: Database, visit_id: int) -> Visit:
    async with database.session() as session:
        return await load(session, visit_id)
