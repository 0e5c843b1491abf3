"""The task inbox and the dashboard's lists, as Temporal visibility queries.

What waits on whom is indexed by the search attributes every case and task workflow sets
(DESIGN.md): the inbox asks for running `task` workflows awaiting one of my roles or
assigned to me; the dashboard asks for cases by kind, stage and time. Nothing here is a
second copy of the workflows' state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus

from meria.auth import User
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

MAX_LISTED = 500
DUE_SOON = timedelta(hours=24)
# A page does not wait long for Temporal's visibility store: the inbox and the counts in
# the navigation say it is away instead.
VISIBILITY_TIMEOUT = timedelta(seconds=5)


def quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    case_ref: str
    step: str
    subject: str
    awaiting: list[str]
    assignee: str | None
    due_at: datetime | None
    started_at: datetime | None
    follow_up_at: datetime | None = None

    @property
    def case_kind(self) -> str:
        return self.case_ref.partition(":")[0]

    @property
    def case_id(self) -> str:
        return self.case_ref.partition(":")[2]

    def overdue(self, moment: datetime) -> bool:
        return self.due_at is not None and self.due_at < moment

    def due_soon(self, moment: datetime) -> bool:
        return self.due_at is not None and moment <= self.due_at < moment + DUE_SOON

    def priority(self, moment: datetime) -> int:
        """0 is the most urgent: overdue, then due within a day, then the rest."""
        if self.overdue(moment):
            return 0
        if self.due_soon(moment):
            return 1
        return 2


@dataclass(frozen=True)
class InboxFilter:
    kind: str | None = None
    stage: str | None = None
    role: str | None = None
    due: str | None = None  # overdue | soon | later
    sort: str = "due"  # due | priority | newest
    mine_only: bool = False
    # Tasks whose holder set a follow-up date wait outside the list until it comes;
    # `waiting` lists those instead.
    waiting: bool = False


def _attributes(execution: WorkflowExecution) -> dict[str, Any]:
    found = execution.typed_search_attributes
    return {
        "kind": found.get(KIND),
        "stage": found.get(STAGE),
        "awaiting": list(found.get(AWAITING) or []),
        "assignee": found.get(ASSIGNEE),
        "due_at": found.get(DUE_AT),
        "subject": found.get(SUBJECT) or "",
        "ref": found.get(REF) or "",
        "follow_up_at": found.get(FOLLOW_UP_AT),
    }


def _moment(moment: datetime) -> str:
    return quoted(moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def task_row(execution: WorkflowExecution) -> TaskRow:
    found = _attributes(execution)
    return TaskRow(
        task_id=execution.id,
        case_ref=found["ref"],
        step=found["stage"] or "",
        subject=found["subject"],
        awaiting=found["awaiting"],
        assignee=found["assignee"],
        due_at=found["due_at"],
        started_at=execution.start_time,
        follow_up_at=found["follow_up_at"],
    )


def task_query(user: User, chosen: InboxFilter, moment: datetime | None = None) -> str:
    moment = moment or datetime.now(UTC)
    roles = sorted(user.roles)
    waiting_on_me = [f"{ASSIGNEE.name} = {quoted(user.id)}"]
    if roles and not chosen.mine_only:
        waiting_on_me.append(f"{AWAITING.name} IN ({', '.join(quoted(r) for r in roles)})")
    clauses = [
        f"{KIND.name} = 'task'",
        "ExecutionStatus = 'Running'",
        "(" + " OR ".join(waiting_on_me) + ")",
    ]
    if chosen.stage:
        clauses.append(f"{STAGE.name} = {quoted(chosen.stage)}")
    if chosen.role:
        clauses.append(f"{AWAITING.name} = {quoted(chosen.role)}")
    if chosen.waiting:
        clauses.append(f"{FOLLOW_UP_AT.name} > {_moment(moment)}")
    else:
        clauses.append(f"({FOLLOW_UP_AT.name} IS NULL OR {FOLLOW_UP_AT.name} <= {_moment(moment)})")
    return " AND ".join(clauses)


async def my_tasks(
    temporal: Client, user: User, chosen: InboxFilter, moment: datetime | None = None
) -> list[TaskRow]:
    moment = moment or datetime.now(UTC)
    rows: list[TaskRow] = []
    listed = temporal.list_workflows(
        task_query(user, chosen, moment), limit=MAX_LISTED, rpc_timeout=VISIBILITY_TIMEOUT
    )
    async for execution in listed:
        rows.append(task_row(execution))
    if chosen.kind:
        rows = [row for row in rows if row.case_kind == chosen.kind]
    if chosen.due == "overdue":
        rows = [row for row in rows if row.overdue(moment)]
    elif chosen.due == "soon":
        rows = [row for row in rows if row.due_soon(moment)]
    elif chosen.due == "later":
        rows = [row for row in rows if not row.overdue(moment) and not row.due_soon(moment)]
    far = datetime.max.replace(tzinfo=UTC)
    if chosen.sort == "priority":
        rows.sort(key=lambda row: (row.priority(moment), row.due_at or far, row.task_id))
    elif chosen.sort == "newest":
        rows.sort(key=lambda row: row.started_at or far, reverse=True)
    else:
        rows.sort(key=lambda row: (row.due_at or far, row.task_id))
    return rows


async def count_my_tasks(temporal: Client, user: User) -> int:
    counted = await temporal.count_workflows(
        task_query(user, InboxFilter()), rpc_timeout=VISIBILITY_TIMEOUT
    )
    return counted.count


@dataclass(frozen=True)
class CaseRow:
    workflow_id: str
    run_id: str | None
    workflow_type: str
    kind: str
    stage: str
    subject: str
    ref: str
    awaiting: list[str]
    due_at: datetime | None
    status: str
    started_at: datetime | None
    closed_at: datetime | None

    def overdue(self, moment: datetime) -> bool:
        return self.status == "running" and self.due_at is not None and self.due_at < moment


STATUSES = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}
STATUS_QUERY = {
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "cancelled": "Canceled",
    "terminated": "Terminated",
    "timed_out": "TimedOut",
}


def case_row(execution: WorkflowExecution) -> CaseRow:
    found = _attributes(execution)
    return CaseRow(
        workflow_id=execution.id,
        run_id=execution.run_id,
        workflow_type=execution.workflow_type,
        kind=found["kind"] or "",
        stage=found["stage"] or "",
        subject=found["subject"],
        ref=found["ref"],
        awaiting=found["awaiting"],
        due_at=found["due_at"],
        status=STATUSES.get(execution.status, "unknown") if execution.status else "unknown",
        started_at=execution.start_time,
        closed_at=execution.close_time,
    )
