"""The dashboard's rows: a case with its open tasks inside, and for a failing case what it
keeps retrying, with the last error and the time of the next attempt.

A namespace's visibility queries are rationed and shared with every inbox, so a page of
the dashboard asks for its cases in one query and for their open tasks in one more
(`MeriaRef IN (...)` for the page's running cases), never one query per row. Whether a
case is failing is not indexed (Temporal keeps an activity's retries in the workflow's
mutable state, not in a search attribute), so the failing filter describes the running
cases it scans, a few at a time, each with a timeout, a bounded number per page.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError

from meria.temporal import REF
from services.portal.inbox import CaseRow, TaskRow, case_row, quoted, task_row
from services.portal.panels import pending_activities

TASK_WORKFLOW = "HumanTaskWorkflow"
# A visibility query that cannot be answered at once is not retried for minutes.
VISIBILITY_TIMEOUT = timedelta(seconds=10)
# A page of 200 visits has a dozen tasks each at most: this bounds the one query for them.
MAX_OPEN_TASKS = 2000
# Describing is one call per case: a few at a time, none waited for long.
DESCRIBES_AT_ONCE = 8
DESCRIBE_TIMEOUT = timedelta(seconds=3)
# The failing filter scans running cases a page at a time until a page of failing ones
# is found: pages of at most FAILING_SCAN_SIZE, and no more than FAILING_SCAN_PAGES of
# them (so at most 200 describes) for one page of the dashboard.
FAILING_SCAN_PAGES = 4
FAILING_SCAN_SIZE = 50


@dataclass(frozen=True)
class Failing:
    """An activity a case keeps retrying."""

    name: str
    activity_id: str
    activity_type: str
    attempt: int
    maximum: int
    message: str
    next_attempt: datetime | None


@dataclass
class FailingPage:
    rows: list[CaseRow] = field(default_factory=list)
    failing: dict[str, list[Failing]] = field(default_factory=dict)
    next_page: bytes | None = None
    scanned: int = 0
    # Cases Temporal did not describe in time: not known to be failing, not shown.
    unchecked: int = 0


async def list_cases(
    temporal: Client, query: str, size: int, page: bytes | None
) -> tuple[list[CaseRow], bytes | None]:
    """One page of the list, newest first (Temporal's order), and the next page's token."""
    found = temporal.list_workflows(
        query, page_size=size, next_page_token=page, rpc_timeout=VISIBILITY_TIMEOUT
    )
    await found.fetch_next_page()
    return [case_row(execution) for execution in found.current_page or []], found.next_page_token


def open_tasks_query(refs: Sequence[str]) -> str:
    listed = ", ".join(quoted(ref) for ref in refs)
    return (
        f"WorkflowType = {quoted(TASK_WORKFLOW)} AND ExecutionStatus = 'Running' "
        f"AND {REF.name} IN ({listed})"
    )


def _case_of(task_id: str, parent_id: str | None) -> str:
    """The case a task belongs to: its parent, or the id it was named after."""
    return parent_id or task_id.rpartition("-task-")[0]


async def open_tasks(
    temporal: Client, rows: Sequence[CaseRow]
) -> tuple[dict[str, list[TaskRow]], bool]:
    """The open tasks of the running cases among `rows`, by case workflow id, soonest due
    first; and whether there were more than are shown. One visibility query."""
    refs = sorted({row.ref for row in rows if row.status == "running" and row.ref})
    if not refs:
        return {}, False
    cases = {row.workflow_id for row in rows}
    found: dict[str, list[TaskRow]] = {}
    listed = temporal.list_workflows(
        open_tasks_query(refs),
        limit=MAX_OPEN_TASKS + 1,
        page_size=MAX_OPEN_TASKS + 1,
        rpc_timeout=VISIBILITY_TIMEOUT,
    )
    seen = 0
    async for execution in listed:
        seen += 1
        if seen > MAX_OPEN_TASKS:
            break
        case = _case_of(execution.id, execution.parent_id)
        # A task left running by a case that ended (an earlier edition) is not this one's.
        if case in cases:
            found.setdefault(case, []).append(task_row(execution))
    far = datetime.max.replace(tzinfo=UTC)
    for tasks in found.values():
        tasks.sort(key=lambda task: (task.due_at or far, task.task_id))
    return found, seen > MAX_OPEN_TASKS


SHORT_ERROR = 300


def short_error(message: str) -> str:
    """An activity's last error in a line: a service's problem document (what the
    activity quotes of the service's answer) is told by its detail, the rest as it is."""
    start = message.find("{")
    if start >= 0:
        try:
            problem = json.loads(message[start:])
        except ValueError:
            problem = None
        if isinstance(problem, dict) and (problem.get("detail") or problem.get("title")):
            message = str(problem.get("detail") or problem.get("title"))
    message = " ".join(message.split())
    return message if len(message) <= SHORT_ERROR else message[: SHORT_ERROR - 1] + "…"


def failing_of(pending: list[dict[str, Any]]) -> list[Failing]:
    """The pending activities that have failed at least once and are being retried."""
    return [
        Failing(
            name=activity["name"],
            activity_id=activity["activity_id"],
            activity_type=activity["type"],
            attempt=activity["attempt"],
            maximum=activity["maximum"],
            message=short_error(activity["failure"]),
            next_attempt=activity["next_attempt"],
        )
        for activity in pending
        if activity["attempt"] > 1
    ]


async def describe_failing(
    temporal: Client, workflow_ids: Sequence[str]
) -> dict[str, list[Failing] | None]:
    """What each case is retrying (empty when nothing), or None where Temporal did not
    answer in time."""
    limit = asyncio.Semaphore(DESCRIBES_AT_ONCE)

    async def one(workflow_id: str) -> list[Failing] | None:
        async with limit:
            try:
                handle = temporal.get_workflow_handle(workflow_id)
                description = await asyncio.wait_for(
                    handle.describe(rpc_timeout=DESCRIBE_TIMEOUT),
                    DESCRIBE_TIMEOUT.total_seconds() + 1,
                )
            except (RPCError, TimeoutError):
                return None
            return failing_of(pending_activities(description))

    answers = await asyncio.gather(*(one(workflow_id) for workflow_id in workflow_ids))
    return dict(zip(workflow_ids, answers, strict=True))


async def failing_cases(
    temporal: Client, running_query: str, size: int, page: bytes | None
) -> FailingPage:
    """A page of failing cases among the running ones `running_query` finds, continuing
    from `page`: up to FAILING_SCAN_PAGES pages of cases are described, and the next
    page continues where the scan stopped."""
    result = FailingPage()
    token = page
    for _ in range(FAILING_SCAN_PAGES):
        rows, token = await list_cases(temporal, running_query, min(size, FAILING_SCAN_SIZE), token)
        result.scanned += len(rows)
        described = await describe_failing(temporal, [row.workflow_id for row in rows])
        for row in rows:
            failing = described[row.workflow_id]
            if failing is None:
                result.unchecked += 1
            elif failing:
                result.rows.append(row)
                result.failing[row.workflow_id] = failing
        if len(result.rows) >= size or not token:
            break
    result.next_page = token
    return result


def route_step_labels(routes: Any, language: str) -> dict[str, str]:
    """The labels an administrator gave a route's own steps, in the reader's language."""
    labels: dict[str, str] = {}
    if not isinstance(routes, list):
        return labels
    for route in routes:
        for step in route.get("steps") or []:
            text = step.get(f"label_{language}") or step.get("label_ka")
            if step.get("key") and text:
                labels.setdefault(step["key"], text)
    return labels
