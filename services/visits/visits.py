"""The visits service's use cases for a visit and what belongs to it: the request, its
members, programme, logistics tasks, budget and report, and the history of each.

A visit's status changes only through `apply`, the one place that follows the state
table and writes the history entry; the workflow's transitions land in `lifecycle`, and
what staff ask of the workflow in `coordination`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import noload, selectinload
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy

from meria.auth import User
from meria.bus import Outbox
from meria.cases import case_ref
from meria.cases.visits import AMEND_TASK, VISIT, TaskAmendment, TaskSpec, VisitInput
from meria.contracts import (
    LocalizedText,
    ProgrammeEntry,
    VisitProgrammeChanged,
    VisitRequested,
)
from meria.db import Database, count_of
from meria.problems import Problem
from meria.temporal import KIND, REF, STAGE, SUBJECT, send_update
from services.visits import checklists
from services.visits.models import (
    BudgetLine,
    LogisticsTask,
    Member,
    Partner,
    ProgrammeItem,
    Visit,
    VisitHistoryEntry,
    VisitReport,
)
from services.visits.schemas import (
    BudgetLineCreate,
    BudgetLineUpdate,
    MemberCreate,
    MemberUpdate,
    ProgrammeItemCreate,
    ProgrammeItemUpdate,
    ReportWrite,
    TaskCreate,
    TaskUpdate,
    VisitCreate,
    VisitUpdate,
)
from services.visits.settings import VisitsSettings
from services.visits.states import (
    FINISHED,
    TaskStatus,
    TransitionRefused,
    VisitAction,
    VisitStatus,
    next_status,
)

# While the workflow runs a visit's tasks, a change to one is sent to it as an Update.
TASKS_RUNNING = frozenset(
    {VisitStatus.IN_PREPARATION, VisitStatus.READY, VisitStatus.UNDER_WAY, VisitStatus.REPORT_DUE}
)
PROTOCOL_ROLES = ("protocol_officer", "head_of_department", "admin")


def now() -> datetime:
    return datetime.now(UTC)


def may_see_members(user: User) -> bool:
    return user.has_any(*PROTOCOL_ROLES)


def refused(error: TransitionRefused) -> Problem:
    return Problem(
        409,
        "Not allowed in this state",
        str(error)[0].upper() + str(error)[1:] + ".",
        status_now=error.status.value,
        allowed=[action.value for action in error.allowed],
    )


# Reading.


async def load(session: AsyncSession, visit_id: int, *, lock: bool = False) -> Visit:
    visit = await session.get(Visit, visit_id, with_for_update=lock)
    if visit is None:
        raise Problem(404, "No such visit", f"There is no visit {visit_id}.")
    return visit


async def get_visit(database: Database, visit_id: int) -> Visit:
    async with database.session() as session:
        return await load(session, visit_id)


def task_of(visit: Visit, key: str) -> LogisticsTask:
    for task in visit.tasks:
        if task.key == key:
            return task
    raise Problem(404, "No such task", f"Visit {visit.id} has no task {key!r}.")


def require_open(visit: Visit) -> None:
    if VisitStatus(visit.status) in FINISHED:
        raise Problem(
            409,
            "The visit is finished",
            f"Visit {visit.id} is {visit.status}; it changes no more.",
            status_now=visit.status,
        )


def filtered(
    *,
    status: str | None = None,
    direction: str | None = None,
    kind: str | None = None,
    partner_id: int | None = None,
    country: str | None = None,
    responsible: str | None = None,
    arriving_from: date | None = None,
    arriving_to: date | None = None,
    text: str | None = None,
) -> Select[tuple[Visit]]:
    query = select(Visit).order_by(Visit.arrival_on.desc(), Visit.id.desc())
    if status:
        query = query.where(Visit.status.in_(status.split(",")))
    if direction:
        query = query.where(Visit.direction == direction)
    if kind:
        query = query.where(Visit.kind == kind)
    if partner_id:
        query = query.where(Visit.partner_id == partner_id)
    if country:
        query = query.where(Visit.country == country)
    if responsible:
        query = query.where(Visit.responsible == responsible)
    if arriving_from:
        query = query.where(Visit.arrival_on >= arriving_from)
    if arriving_to:
        query = query.where(Visit.arrival_on <= arriving_to)
    if text:
        pattern = f"%{text}%"
        query = query.where(
            or_(
                Visit.title_ka.ilike(pattern),
                Visit.title_en.ilike(pattern),
                Visit.purpose_ka.ilike(pattern),
                Visit.city.ilike(pattern),
            )
        )
    return query


async def list_visits(
    database: Database, *, limit: int = 50, offset: int = 0, **filters: Any
) -> tuple[list[Visit], int]:
    query = filtered(**filters)
    async with database.session() as session:
        total = await session.scalar(count_of(query))
        found = list(await session.scalars(query.options(*SUMMARY).limit(limit).offset(offset)))
    return found, int(total or 0)


# What a visit's line in a list shows (its partner, how many members, its open and overdue
# tasks): its programme, budget and report stay unread, and of members and tasks only what
# is counted.
SUMMARY = (
    noload(Visit.programme),
    noload(Visit.budget),
    noload(Visit.report),
    selectinload(Visit.members).load_only(Member.id, Member.visit_id),
    selectinload(Visit.tasks).load_only(
        LogisticsTask.id,
        LogisticsTask.visit_id,
        LogisticsTask.status,
        LogisticsTask.due_at,
        LogisticsTask.overdue_at,
    ),
)


async def history(database: Database, visit_id: int) -> list[VisitHistoryEntry]:
    async with database.session() as session:
        await load(session, visit_id)
        entries = await session.scalars(
            select(VisitHistoryEntry)
            .where(VisitHistoryEntry.visit_id == visit_id)
            .order_by(VisitHistoryEntry.id)
        )
        return list(entries)


# Changing state and keeping the record, in one place.


def note(
    session: AsyncSession,
    visit: Visit,
    action: str,
    actor: str,
    *,
    to_status: str | None = None,
    task_key: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> VisitHistoryEntry:
    """Keep who did what to the visit, when and why."""
    moment = now()
    entry = VisitHistoryEntry(
        visit_id=visit.id,
        at=moment,
        actor=actor,
        action=action,
        from_status=visit.status,
        to_status=to_status or visit.status,
        task_key=task_key,
        reason=reason,
        details=details or {},
        idempotency_key=idempotency_key,
    )
    visit.updated_at = moment
    session.add(entry)
    return entry


def apply(
    session: AsyncSession,
    visit: Visit,
    action: VisitAction,
    actor: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> VisitHistoryEntry:
    """Move the visit along the state table and keep who, when, what and why."""
    try:
        target = next_status(VisitStatus(visit.status), action)
    except TransitionRefused as error:
        raise refused(error) from None
    entry = note(
        session,
        visit,
        action.value,
        actor,
        to_status=target.value,
        reason=reason,
        details=details,
        idempotency_key=idempotency_key,
    )
    visit.status = target.value
    return entry


def visit_facts(visit: Visit) -> dict[str, Any]:
    """What every event about a visit names."""
    return {
        "visit_id": visit.id,
        "title": LocalizedText(ka=visit.title_ka, en=visit.title_en),
        "kind": visit.kind,
        "direction": visit.direction,
        "arrival_on": visit.arrival_on,
        "departure_on": visit.departure_on,
        "responsible": visit.responsible,
    }


def arrival_at(visit: Visit) -> datetime:
    """When the visit begins: the hour of arrival, else the arrival day's midnight."""
    return visit.arrives_at or checklists.day_start(visit.arrival_on)


def end_at(visit: Visit) -> datetime:
    """When the visit is over: the hour of departure, else midnight after that day."""
    return visit.departs_at or checklists.day_start(visit.departure_on + timedelta(days=1))


def task_spec(task: LogisticsTask) -> TaskSpec:
    return TaskSpec(
        key=task.key,
        title_ka=task.title_ka,
        owner=task.owner,
        owner_role=task.owner_role,
        due_at=task.due_at,
        required=task.required,
        status=task.status,
    )


def _due(task: LogisticsTask, visit: Visit, settings: VisitsSettings) -> datetime:
    return checklists.due_at(
        task.anchor,  # type: ignore[arg-type]
        task.offset_days,
        visit.arrival_on,
        visit.departure_on,
        settings.task_due_hour,
    )


def move_due_dates(
    visit: Visit,
    arrival_on: date,
    departure_on: date,
    settings: VisitsSettings,
    *,
    arrives_at: datetime | None = None,
    departs_at: datetime | None = None,
) -> dict[str, datetime]:
    """New dates for the visit, and every open task's due time moved with them: counted
    afresh from its anchor, or, when set by hand, moved as far as its anchor moved."""
    shift = {
        "arrival": arrival_on - visit.arrival_on,
        "departure": departure_on - visit.departure_on,
    }
    visit.arrival_on, visit.departure_on = arrival_on, departure_on
    visit.arrives_at, visit.departs_at = arrives_at, departs_at
    dues: dict[str, datetime] = {}
    for task in visit.tasks:
        if task.status != TaskStatus.OPEN:
            continue
        if task.due_overridden:
            task.due_at = task.due_at + shift[task.anchor]
        else:
            task.due_at = _due(task, visit, settings)
        # A new due time is a new chance: reminded and escalated again if missed again.
        task.reminded_at = task.overdue_at = None
        dues[task.key] = task.due_at
    return dues


# The request.


async def _require_partner(session: AsyncSession, partner_id: int | None) -> None:
    if partner_id is not None and await session.get(Partner, partner_id) is None:
        raise Problem(
            422,
            "Unknown partner",
            f"There is no partner {partner_id}; see GET /partners.",
            errors=[{"field": "partner_id", "message": "no such partner"}],
        )


async def create_visit(
    database: Database,
    temporal: Client,
    outbox: Outbox,
    settings: VisitsSettings,
    data: VisitCreate,
    user: User,
) -> Visit:
    """Record a visit request with its checklist's tasks, and start its workflow: the
    mayor's approval is the first thing it waits for."""
    if data.arrival_on < datetime.now(checklists.TBILISI).date():
        raise Problem(
            422,
            "The request is not valid",
            "arrival_on: a visit is requested before it happens",
            errors=[{"field": "arrival_on", "message": "in the past"}],
        )
    moment = now()
    async with database.transaction() as session:
        await _require_partner(session, data.partner_id)
        visit = Visit(
            **data.model_dump(exclude={"kind", "country", "arrival_on", "departure_on"}),
            kind=data.kind,
            direction=checklists.direction_of(data.kind),
            status=VisitStatus.REQUESTED.value,
            country=data.country,
            arrival_on=data.arrival_on,
            departure_on=data.departure_on,
            created_by=user.id,
            created_at=moment,
            updated_at=moment,
            # Empty from the start, so that nothing is loaded lazily below.
            tasks=[],
            members=[],
            programme=[],
            budget=[],
            report=None,
        )
        session.add(visit)
        await session.flush()
        for item in checklists.TEMPLATES[data.kind]:
            task = LogisticsTask(
                key=item.key,
                title_ka=item.title_ka,
                title_en=item.title_en,
                owner=data.responsible if item.owner_role == "protocol_officer" else None,
                owner_role=item.owner_role,
                anchor=item.anchor,
                offset_days=item.offset_days,
                due_overridden=False,
                required=item.required,
                status=TaskStatus.OPEN.value,
            )
            task.due_at = _due(task, visit, settings)
            visit.tasks.append(task)
        session.add(
            VisitHistoryEntry(
                visit_id=visit.id,
                at=moment,
                actor=user.id,
                action="request",
                from_status="",
                to_status=visit.status,
                details={"kind": visit.kind, "tasks": len(visit.tasks)},
            )
        )
        # The workflow starts inside the transaction: if it cannot start, nothing is
        # requested; if the commit then fails, a retried id finds no visit to run.
        await start_workflow(temporal, settings.temporal_task_queue, visit)
        await outbox.add(
            session,
            VisitRequested(
                **visit_facts(visit),
                requested_by=user.id,
                partner_id=visit.partner_id,
                country=visit.country,
            ),
            about=f"visit:{visit.id}",
        )
    return visit


async def start_workflow(temporal: Client, task_queue: str, visit: Visit) -> None:
    await temporal.start_workflow(
        VISIT,
        VisitInput(visit_id=visit.id),
        id=visit.workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(KIND, "visit"),
                SearchAttributePair(STAGE, visit.status),
                SearchAttributePair(REF, case_ref("visit", visit.id)),
                SearchAttributePair(SUBJECT, visit.title_ka),
            ]
        ),
    )


async def update_visit(database: Database, visit_id: int, data: VisitUpdate, user: User) -> Visit:
    changes = data.model_dump(exclude_unset=True)
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        if "partner_id" in changes:
            await _require_partner(session, changes["partner_id"])
        changed = [name for name, value in changes.items() if getattr(visit, name) != value]
        for name in changed:
            setattr(visit, name, changes[name])
        if changed:
            note(session, visit, "edit", user.id, details={"fields": changed})
    return visit


# Members: personal data, for protocol roles only (the API checks the role).


async def add_member(database: Database, visit_id: int, data: MemberCreate, user: User) -> Member:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        member = Member(
            visit_id=visit.id, **data.model_dump(), created_by=user.id, created_at=now()
        )
        session.add(member)
        # The history keeps that a member was added, never who: it outlives the purge.
        note(session, visit, "member_added", user.id)
    return member


async def _load_member(session: AsyncSession, visit: Visit, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None or member.visit_id != visit.id:
        raise Problem(404, "No such member", f"Visit {visit.id} has no member {member_id}.")
    return member


async def update_member(
    database: Database, visit_id: int, member_id: int, data: MemberUpdate, user: User
) -> Member:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        member = await _load_member(session, visit, member_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(member, name, value)
        note(session, visit, "member_changed", user.id)
    return member


async def remove_member(database: Database, visit_id: int, member_id: int, user: User) -> None:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        member = await _load_member(session, visit, member_id)
        await session.delete(member)
        note(session, visit, "member_removed", user.id)


async def purge_members(session: AsyncSession, visit: Visit) -> int:
    """Delete the members' personal data; the count stays for the record."""
    count = len(visit.members)
    for member in list(visit.members):
        await session.delete(member)
    visit.members_purged_at = now()
    visit.purged_member_count = count
    note(session, visit, "members_purged", "meria-visits", details={"count": count})
    return count


def member_count(visit: Visit) -> int:
    if visit.members_purged_at is not None:
        return visit.purged_member_count or 0
    return len(visit.members)


# The programme.


def _check_within_visit(visit: Visit, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Problem(
            422,
            "The request is not valid",
            "ends_at: an item ends after it starts",
            errors=[{"field": "ends_at", "message": "before the start"}],
        )
    first_day = checklists.day_start(visit.arrival_on)
    after_last = checklists.day_start(visit.departure_on + timedelta(days=1))
    if starts_at < first_day or ends_at > after_last:
        raise Problem(
            422,
            "Outside the visit",
            f"The programme item must fall between {visit.arrival_on} and "
            f"{visit.departure_on} (Tbilisi time).",
            errors=[{"field": "starts_at", "message": "outside the visit's dates"}],
        )


async def _programme_changed(session: AsyncSession, outbox: Outbox, visit: Visit) -> None:
    await session.flush()
    await session.refresh(visit, ["programme"])
    await outbox.add(
        session,
        VisitProgrammeChanged(
            **visit_facts(visit),
            programme=[
                ProgrammeEntry(
                    id=item.id,
                    kind=item.kind,
                    starts_at=item.starts_at,
                    ends_at=item.ends_at,
                    title=LocalizedText(ka=item.title_ka, en=item.title_en),
                    place=LocalizedText(ka=item.place_ka, en=item.place_en),
                )
                for item in visit.programme
            ],
        ),
        about=f"visit:{visit.id}",
    )


async def add_programme_item(
    database: Database, outbox: Outbox, visit_id: int, data: ProgrammeItemCreate, user: User
) -> ProgrammeItem:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        _check_within_visit(visit, data.starts_at, data.ends_at)
        item = ProgrammeItem(visit_id=visit.id, **data.model_dump(), sequence=0, updated_at=now())
        session.add(item)
        note(session, visit, "programme_item_added", user.id, details={"title": data.title_ka})
        await _programme_changed(session, outbox, visit)
    return item


async def _load_item(session: AsyncSession, visit: Visit, item_id: int) -> ProgrammeItem:
    item = await session.get(ProgrammeItem, item_id)
    if item is None or item.visit_id != visit.id:
        raise Problem(404, "No such item", f"Visit {visit.id} has no programme item {item_id}.")
    return item


async def update_programme_item(
    database: Database,
    outbox: Outbox,
    visit_id: int,
    item_id: int,
    data: ProgrammeItemUpdate,
    user: User,
) -> ProgrammeItem:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        item = await _load_item(session, visit, item_id)
        changes = data.model_dump(exclude_unset=True)
        _check_within_visit(
            visit,
            changes.get("starts_at", item.starts_at),
            changes.get("ends_at", item.ends_at),
        )
        for name, value in changes.items():
            setattr(item, name, value)
        item.sequence += 1
        item.updated_at = now()
        note(session, visit, "programme_item_changed", user.id, details={"item": item.id})
        await _programme_changed(session, outbox, visit)
    return item


async def remove_programme_item(
    database: Database, outbox: Outbox, visit_id: int, item_id: int, user: User
) -> None:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        item = await _load_item(session, visit, item_id)
        await session.delete(item)
        note(session, visit, "programme_item_removed", user.id, details={"item": item_id})
        await _programme_changed(session, outbox, visit)


# Logistics tasks.


async def _tell_workflow(temporal: Client, visit: Visit, task: LogisticsTask, user: User) -> None:
    """While the workflow runs the tasks, it hears of the change before it is committed:
    if it refuses, nothing changes."""
    if VisitStatus(visit.status) in TASKS_RUNNING:
        await send_update(
            temporal,
            visit.workflow_id,
            AMEND_TASK,
            TaskAmendment(user=user.id, roles=sorted(user.roles), task=task_spec(task)),
        )


async def add_task(
    database: Database,
    temporal: Client,
    settings: VisitsSettings,
    visit_id: int,
    data: TaskCreate,
    user: User,
) -> LogisticsTask:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        if any(task.key == data.key for task in visit.tasks) or data.key in ("approval", "report"):
            raise Problem(409, "Task exists", f"Visit {visit.id} already has a task {data.key!r}.")
        task = LogisticsTask(
            **data.model_dump(exclude={"due_at"}),
            due_overridden=data.due_at is not None,
            status=TaskStatus.OPEN.value,
        )
        task.visit_id = visit.id
        task.due_at = data.due_at or _due(task, visit, settings)
        visit.tasks.append(task)
        note(session, visit, "task_added", user.id, task_key=task.key)
        await _tell_workflow(temporal, visit, task, user)
    return task


async def update_task(
    database: Database,
    temporal: Client,
    settings: VisitsSettings,
    visit_id: int,
    key: str,
    data: TaskUpdate,
    user: User,
) -> LogisticsTask:
    changes = data.model_dump(exclude_unset=True)
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        task = task_of(visit, key)
        if task.status != TaskStatus.OPEN:
            raise Problem(409, "Task closed", f"The task {key!r} is {task.status}.")
        if key == "report" and set(changes) - {"notes", "due_at", "owner"}:
            raise Problem(409, "Not editable", "Only the report's owner and due time change.")
        for name, value in changes.items():
            if name != "due_at":
                setattr(task, name, value)
        due_before = task.due_at
        if changes.get("due_at") is not None:
            task.due_at = changes["due_at"]
            task.due_overridden = True
        elif {"anchor", "offset_days"} & set(changes):
            task.due_overridden = False
            task.due_at = _due(task, visit, settings)
        if task.due_at != due_before:
            task.reminded_at = task.overdue_at = None
        note(
            session,
            visit,
            "task_changed",
            user.id,
            task_key=key,
            details={"fields": sorted(changes)},
        )
        await _tell_workflow(temporal, visit, task, user)
    return task


async def remove_task(database: Database, visit_id: int, key: str, user: User) -> None:
    """Before approval a task can be taken off the list; afterwards it is waived."""
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        task = task_of(visit, key)
        if visit.status not in (VisitStatus.REQUESTED, VisitStatus.POSTPONED):
            raise Problem(
                409,
                "Waive it instead",
                "The visit's tasks are under way; a task no longer needed is waived with "
                "the reason.",
            )
        visit.tasks.remove(task)
        await session.delete(task)
        note(session, visit, "task_removed", user.id, task_key=key)


# Budget.


async def add_budget_line(
    database: Database, visit_id: int, data: BudgetLineCreate, user: User
) -> BudgetLine:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        line = BudgetLine(visit_id=visit.id, **data.model_dump())
        session.add(line)
        note(session, visit, "budget_line_added", user.id, details={"category": data.category})
    return line


async def _load_line(session: AsyncSession, visit: Visit, line_id: int) -> BudgetLine:
    line = await session.get(BudgetLine, line_id)
    if line is None or line.visit_id != visit.id:
        raise Problem(404, "No such line", f"Visit {visit.id} has no budget line {line_id}.")
    return line


async def update_budget_line(
    database: Database, visit_id: int, line_id: int, data: BudgetLineUpdate, user: User
) -> BudgetLine:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        line = await _load_line(session, visit, line_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            setattr(line, name, value)
        note(session, visit, "budget_line_changed", user.id, details={"line": line_id})
    return line


async def remove_budget_line(database: Database, visit_id: int, line_id: int, user: User) -> None:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        require_open(visit)
        line = await _load_line(session, visit, line_id)
        await session.delete(line)
        note(session, visit, "budget_line_removed", user.id, details={"line": line_id})


def budget_totals(visit: Visit) -> tuple[Decimal, Decimal]:
    planned = sum((line.planned_gel for line in visit.budget), Decimal("0.00"))
    actual = sum((line.actual_gel or Decimal("0") for line in visit.budget), Decimal("0.00"))
    return planned.quantize(Decimal("0.01")), actual.quantize(Decimal("0.01"))


# The report.


async def write_report(database: Database, visit_id: int, data: ReportWrite, user: User) -> Visit:
    async with database.transaction() as session:
        visit = await load(session, visit_id, lock=True)
        if visit.status not in (VisitStatus.UNDER_WAY, VisitStatus.REPORT_DUE):
            raise Problem(
                409,
                "Not yet",
                f"The report is written once the visit is under way (it is {visit.status}).",
                status_now=visit.status,
            )
        values = data.model_dump(mode="json")
        if visit.report is None:
            visit.report = VisitReport(visit_id=visit.id, **values, written_by=user.id)
        else:
            for name, value in values.items():
                setattr(visit.report, name, value)
            visit.report.written_by = user.id
        visit.report.updated_at = now()
        note(session, visit, "report_written", user.id)
    return visit
