"""The administrators' workflow dashboard: every case in the namespace, one row each with
its open tasks inside, filtered and counted (the failing ones with their last error and
next retry), and a case page telling the case's story with what it waits on, what is
failing, and the two things an administrator may do: retry what failed and cancel a
case, each with a reason that is kept (several cases at once: `dashboard_actions`).

The list and the counts are Temporal visibility queries over the search attributes
(DESIGN.md); the story comes from the workflow's history and, for documents, from the
publishing service's audit trail. A document case is cancelled the domain's way — the
publishing service withdraws the edition, and its audit keeps who and why — and any
other case through Temporal's cancellation, whose request carries the reason.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetActivityRequest
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from meria.logging import get_logger
from meria.problems import Problem
from meria.temporal import KIND, KINDS, REF, STAGE, SUBJECT
from services.portal import timeline
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.dashboard_rows import (
    TASK_WORKFLOW,
    Failing,
    failing_cases,
    failing_of,
    list_cases,
    open_tasks,
    route_step_labels,
)
from services.portal.i18n import N_, TBILISI, _, current_language
from services.portal.inbox import STATUS_QUERY, CaseRow, TaskRow, case_row, quoted
from services.portal.labels import (
    CASE_KINDS,
    CASE_STAGES,
    ROLES,
    SYSTEM_ACTORS,
    label,
    labels,
    stage_label,
    task_step_label,
)
from services.portal.models import Account
from services.portal.panels import Panels, pending_activities
from services.portal.settings import PortalSettings
from services.portal.web import Admin, redirect, render, runtime_of, settings_of

router = APIRouter(include_in_schema=False)
log = get_logger("meria.portal.dashboard")

PAGE_SIZES = (20, 50, 100)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_TEXT = 200
MAX_REASON = 5000
MIN_REASON = 3  # what the publishing service takes as a reason
# A visibility query that cannot be answered at once is not retried for minutes.
VISIBILITY_TIMEOUT = timedelta(seconds=10)
# An administrator's action is not waited for long: the page says what did not answer.
ACTION_TIMEOUT = timedelta(seconds=10)
DOCUMENT_CASE = re.compile(r"^document-(\d+)-edition-(\d+)$")
STAGE_VALUE = re.compile(r"^[a-z][a-z0-9_]{0,60}$")
AN_ID = re.compile(r"^[\w:.\-]+$")

STATUS_LABELS = {
    "running": N_("Running"),
    "completed": N_("Completed"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
    "terminated": N_("Terminated"),
    "timed_out": N_("Timed out"),
    "continued": N_("Continued as new"),
}
STATUS_OF_GROUP = {value: key for key, value in STATUS_QUERY.items()}


# The list.


@dataclass(frozen=True)
class CaseFilter:
    kind: str | None = None
    status: str | None = None
    stage: str | None = None
    overdue: bool = False
    started_from: date | None = None
    started_to: date | None = None
    text: str = ""
    failing: bool = False
    size: int = DEFAULT_PAGE_SIZE

    def link(self, **changes: Any) -> str:
        """This filter's page, with some choices changed: the address keeps the filters."""
        chosen = replace(self, **changes)
        fields = {
            "kind": chosen.kind or "",
            "status": chosen.status or "",
            "stage": chosen.stage or "",
            "overdue": "1" if chosen.overdue else "",
            "started_from": chosen.started_from.isoformat() if chosen.started_from else "",
            "started_to": chosen.started_to.isoformat() if chosen.started_to else "",
            "text": chosen.text,
            "failing": "1" if chosen.failing else "",
            "size": str(chosen.size) if chosen.size != DEFAULT_PAGE_SIZE else "",
        }
        query = urlencode({key: value for key, value in fields.items() if value})
        return "/dashboard" + (f"?{query}" if query else "")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _day_start(day: date) -> datetime:
    """Days are the department's days: they start at midnight in Tbilisi."""
    return datetime.combine(day, time(), tzinfo=TBILISI)


def text_clause(text: str) -> str | None:
    """Words of the case's title (a Text attribute: whole words), or its reference
    (`document:42`) or workflow id, or the start of one (`document-42` finds its tasks).
    Only word characters reach the full-text match: its own syntax is not the user's."""
    options = []
    words = re.findall(r"\w+", text)
    if words:
        options.append(f"{SUBJECT.name} = {quoted(' '.join(words))}")
    token = text.strip()
    # A task's id finds its case: tasks are shown inside their case's row.
    token = token.split("-task-", 1)[0] if "-task-" in token else token
    if token and AN_ID.match(token):
        options.append(f"{REF.name} = {quoted(token)}")
        options.append(f"WorkflowId STARTS_WITH {quoted(token)}")
    return "(" + " OR ".join(options) + ")" if options else None


def case_query(
    chosen: CaseFilter, moment: datetime, *, stage: bool = True, status: bool = True
) -> str:
    """The visibility query of a filter; `stage=False` or `status=False` leaves that
    choice out, for the counts that break the list down by it. Cases only: a task is
    shown inside its case's row."""
    clauses = [f"WorkflowType != {quoted(TASK_WORKFLOW)}"]
    if chosen.kind:
        clauses.append(f"{KIND.name} = {quoted(chosen.kind)}")
    if status and chosen.status:
        clauses.append(f"ExecutionStatus = {quoted(STATUS_QUERY[chosen.status])}")
    if stage and chosen.stage:
        clauses.append(f"{STAGE.name} = {quoted(chosen.stage)}")
    if chosen.overdue:
        clauses.append(f"MeriaDueAt < {quoted(_utc(moment))} AND ExecutionStatus = 'Running'")
    if chosen.started_from:
        clauses.append(f"StartTime >= {quoted(_utc(_day_start(chosen.started_from)))}")
    if chosen.started_to:
        end = _day_start(chosen.started_to + timedelta(days=1))
        clauses.append(f"StartTime < {quoted(_utc(end))}")
    if chosen.text:
        found = text_clause(chosen.text)
        if found:
            clauses.append(found)
    if chosen.failing:
        clauses.append("ExecutionStatus = 'Running'")
    return " AND ".join(clauses)


def _and(query: str, clause: str) -> str:
    return f"{query} AND {clause}" if query else clause


def encode_page(token: bytes | None) -> str:
    return base64.urlsafe_b64encode(token).decode().rstrip("=") if token else ""


def decode_page(value: str) -> bytes | None:
    if not value:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(value) from None


def history_url(settings: PortalSettings, workflow_id: str, run_id: str | None) -> str:
    """The raw history in Temporal's own UI, for what the portal does not tell."""
    base = settings.temporal_ui_link
    namespace = quote(settings.temporal_namespace, safe="")
    path = f"{base}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"
    return f"{path}/{quote(run_id, safe='')}/history" if run_id else f"{path}/history"


@dataclass(frozen=True)
class Counts:
    total: int
    overdue: int
    by_status: list[tuple[str, int]]


async def _count(temporal: Client, visibility_query: str) -> int:
    counted = await temporal.count_workflows(visibility_query, rpc_timeout=VISIBILITY_TIMEOUT)
    return counted.count


async def count_cases(temporal: Client, chosen: CaseFilter, moment: datetime) -> Counts:
    """The filter's total, overdue and the breakdown by status: three visibility queries
    (Temporal groups counts by ExecutionStatus alone). A namespace's visibility queries
    are rationed (ten a second by default, after a burst), and every inbox of the
    department draws on the same ration, so the dashboard asks no more than it shows."""
    query = case_query(chosen, moment)
    overdue_clause = f"MeriaDueAt < {quoted(_utc(moment))} AND ExecutionStatus = 'Running'"

    async def statuses() -> list[tuple[str, int]]:
        grouped = await temporal.count_workflows(
            (case_query(chosen, moment, status=False) + " GROUP BY ExecutionStatus").strip(),
            rpc_timeout=VISIBILITY_TIMEOUT,
        )
        found = []
        for group in grouped.groups:
            value = str(group.group_values[0]) if group.group_values else ""
            found.append((STATUS_OF_GROUP.get(value, value.lower()), group.count))
        order = list(STATUS_LABELS)
        return sorted(found, key=lambda item: order.index(item[0]) if item[0] in order else 99)

    by_status, total, overdue = await asyncio.gather(
        statuses(), _count(temporal, query), _count(temporal, _and(query, overdue_clause))
    )
    return Counts(total=total, overdue=overdue, by_status=by_status)


# Stages counted at once: the namespace's ration of visibility queries is shared with
# every inbox, so the stage table's queries go a few at a time.
STAGE_COUNTS_AT_ONCE = 4


async def count_stages(
    temporal: Client, chosen: CaseFilter, moment: datetime, seen: Sequence[str] = ()
) -> list[tuple[str, int]]:
    """How many of the filter's cases are at each stage (the stage filter left out), the
    stages with none left out. Temporal cannot group by a custom attribute, so each stage
    is one query: this is a page of its own, asked when wanted, not on every refresh of
    the dashboard."""
    without_stage = case_query(chosen, moment, stage=False)
    limit = asyncio.Semaphore(STAGE_COUNTS_AT_ONCE)

    async def one(key: str) -> int:
        async with limit:
            return await _count(temporal, _and(without_stage, f"{STAGE.name} = {quoted(key)}"))

    known = CASE_STAGES.get(chosen.kind or "") or {
        key: name for table in CASE_STAGES.values() for key, name in table.items()
    }
    stages = list(dict.fromkeys([*known, *seen]))
    numbers = await asyncio.gather(*(one(key) for key in stages))
    return [(key, number) for key, number in zip(stages, numbers, strict=True) if number]


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Give the date as year-month-day, for example 2026-11-12.")
        return None


def _filter_errors(kind: str, status: str, stage: str, text: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kind and (kind not in KINDS or kind == "task"):
        errors["kind"] = _("Choose a kind from the list.")
    if status and status not in STATUS_QUERY:
        errors["status"] = _("Choose a status from the list.")
    if stage and not STAGE_VALUE.match(stage):
        errors["stage"] = _("Choose a stage from the list.")
    if len(text) > MAX_TEXT:
        errors["text"] = _("Search for at most %(num)d characters.") % {"num": MAX_TEXT}
    elif text.strip() and text_clause(text) is None:
        errors["text"] = _(
            "Search for words of the title, a case such as document:42, or a workflow id."
        )
    return errors


def stage_choices(kind: str | None) -> dict[str, str]:
    """The stages a filter can choose from: its kind's, or every kind's."""
    tables = [CASE_STAGES[kind]] if kind in CASE_STAGES else list(CASE_STAGES.values())
    found: dict[str, str] = {}
    for table in tables:
        for key in table:
            found.setdefault(key, stage_label(kind, key))
    return found


@dataclass
class Listing:
    """What the list shows: the page's cases, their open tasks and, under the failing
    filter, what each is retrying."""

    rows: list[CaseRow]
    next_page: bytes | None = None
    tasks: dict[str, list[TaskRow]] | None = None
    tasks_cut: bool = False
    failing: dict[str, list[Failing]] | None = None
    scanned: int = 0
    unchecked: int = 0


async def _listing(
    temporal: Client, chosen: CaseFilter, moment: datetime, token: bytes | None
) -> Listing:
    query = case_query(chosen, moment)
    if chosen.failing:
        found = await failing_cases(temporal, query, chosen.size, token)
        listing = Listing(
            found.rows, found.next_page, failing=found.failing,
            scanned=found.scanned, unchecked=found.unchecked,
        )  # fmt: skip
    else:
        rows, next_page = await list_cases(temporal, query, chosen.size, token)
        listing = Listing(rows, next_page)
    listing.tasks, listing.tasks_cut = await open_tasks(temporal, listing.rows)
    return listing


async def _route_steps(request: Request, signed: Signed, rows: list[CaseRow]) -> dict[str, str]:
    """The labels of routes' own steps, when the page shows a document: one call."""
    if not any(row.kind == "document" for row in rows):
        return {}
    try:
        routes = await services_of(runtime_of(request)).get(signed.user, "publishing", "/routes")
    except (ServiceUnavailable, ServiceRefused):
        return {}  # the steps are named by their keys meanwhile
    return route_step_labels(routes, current_language.get())


@router.get("/dashboard")
async def dashboard(
    request: Request,
    signed: Admin,
    kind: str = "",
    status: str = "",
    stage: str = "",
    overdue: str = "",
    failing: str = "",
    started_from: str = "",
    started_to: str = "",
    text: str = "",
    size: str = "",
    page: str = "",
    stages: str = "",
) -> Response:
    """One row per case with its open tasks, and the counts; `failing=1` lists only the
    cases retrying a failed activity; `stages=1` adds how many are at each stage (a
    query per stage, so only when asked)."""
    errors = _filter_errors(kind, status, stage, text)
    page_size = (
        int(size) if size.isdigit() and 1 <= int(size) <= MAX_PAGE_SIZE else DEFAULT_PAGE_SIZE
    )
    chosen = CaseFilter(
        kind=kind if "kind" not in errors and kind else None,
        status=status if "status" not in errors and status else None,
        stage=stage if "stage" not in errors and stage else None,
        overdue=overdue == "1",
        failing=failing == "1",
        started_from=_date(started_from, "started_from", errors),
        started_to=_date(started_to, "started_to", errors),
        text=text.strip() if "text" not in errors else "",
        size=page_size,
    )
    by_stage: list[tuple[str, int]] | None = None
    if chosen.started_from and chosen.started_to and chosen.started_from > chosen.started_to:
        errors["started_to"] = _("The end of the period comes before its start.")
        chosen = replace(chosen, started_to=None)
    try:
        token = decode_page(page)
    except ValueError:
        errors["page"] = _("This page link is no longer valid; here is the first page.")
        token = None
    if errors:
        # Bad filters change nothing: the page shows what was wrong and no list.
        token = None
    runtime = runtime_of(request)
    moment = datetime.now(UTC)
    listing = Listing(rows=[])
    counts = None
    panels = Panels()
    if not errors:
        try:
            listing = await _listing(runtime.temporal, chosen, moment, token)
            counts = await _counts(runtime.temporal, chosen, moment, panels)
            if counts is not None and stages == "1":
                seen = [row.stage for row in listing.rows if row.stage]
                by_stage = await count_stages(runtime.temporal, chosen, moment, seen)
        except RPCError as error:
            if error.status != RPCStatusCode.INVALID_ARGUMENT:
                raise ServiceUnavailable("temporal") from error
            message = _("Temporal could not run this search: %(message)s")
            errors["page" if token else "text"] = message % {"message": error.message}
    route_steps = await _route_steps(request, signed, listing.rows)
    names = await _names(request) if listing.tasks else {}
    settings = settings_of(request)
    return await render(
        request,
        "dashboard.html",
        status_code=422 if errors else 200,
        panels=panels,
        rows=listing.rows,
        listing=listing,
        counts=counts,
        by_stage=by_stage,
        stages_link=_with(chosen.link(), "stages=1"),
        chosen=chosen,
        typed={"started_from": started_from, "started_to": started_to, "text": text},
        errors=errors,
        now=moment,
        kinds={
            key: name for key, name in labels(CASE_KINDS).items() if key in KINDS and key != "task"
        },
        statuses={key: _(value) for key, value in STATUS_LABELS.items() if key in STATUS_QUERY},
        status_names={key: _(value) for key, value in STATUS_LABELS.items()},
        stages=stage_choices(chosen.kind),
        stage_name=lambda row_kind, key: stage_label(row_kind, key, route_steps),
        step_name=lambda task: task_step_label(task.step, task.subject, route_steps),
        person=lambda username: names.get(username, username),
        roles=labels(ROLES),
        page_sizes=sorted({*PAGE_SIZES, chosen.size}),
        next_link=_with_page(chosen.link(), listing.next_page),
        first_link=chosen.link() if token else None,
        history=lambda row: history_url(settings, row.workflow_id, row.run_id),
        refresh=settings.refresh_seconds,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )


async def _counts(
    temporal: Client, chosen: CaseFilter, moment: datetime, panels: Panels
) -> Counts | None:
    """The counts, or none with the part marked: the list is shown without them."""
    try:
        return await count_cases(temporal, chosen, moment)
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:
            raise
        panels.mark("counts", _("At a glance"), ServiceUnavailable("temporal", error.message[:200]))
        return None


def _with(link: str, parameter: str) -> str:
    return f"{link}{'&' if '?' in link else '?'}{parameter}"


def _with_page(link: str, token: bytes | None) -> str | None:
    if not token:
        return None
    return _with(link, f"page={encode_page(token)}")


# The case page.


@dataclass
class DocumentCase:
    document_id: int
    edition: int
    document: dict[str, Any] | None = None
    audit: list[dict[str, Any]] | None = None
    status: dict[str, Any] | None = None
    unavailable: bool = False

    @property
    def register_number(self) -> str | None:
        if self.status and self.status.get("register_number"):
            return str(self.status["register_number"])
        if self.document and self.document.get("register_number"):
            return str(self.document["register_number"])
        return None

    @property
    def in_progress(self) -> bool:
        """Whether this case is the document's edition now on its way (the one the
        publishing service acts on)."""
        return bool(self.document) and self.document["current"]["number"] == self.edition  # type: ignore[index]


def document_case_of(row: CaseRow) -> DocumentCase | None:
    if row.kind != "document":
        return None
    found = DOCUMENT_CASE.match(row.workflow_id)
    if not found:
        return None
    return DocumentCase(document_id=int(found.group(1)), edition=int(found.group(2)))


async def _read_document(request: Request, signed: Signed, case: DocumentCase) -> None:
    services = services_of(runtime_of(request))
    path = f"/documents/{case.document_id}"
    try:
        case.document = await services.get(signed.user, "publishing", path)
        audit = await services.get(signed.user, "publishing", f"{path}/audit")
        case.audit = [entry for entry in audit if entry.get("edition_number") == case.edition]
        if case.in_progress:
            try:
                case.status = await services.get(signed.user, "publishing", f"{path}/status")
            except ServiceRefused:
                case.status = None  # not submitted: nothing runs for it
    except ServiceRefused:
        case.document = case.audit = None
    except ServiceUnavailable:
        case.unavailable = True


CLOSING_EVENTS = frozenset(
    {
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    }
)


async def _describe(request: Request, workflow_id: str, run: str) -> WorkflowExecutionDescription:
    temporal = runtime_of(request).temporal
    try:
        handle = temporal.get_workflow_handle(workflow_id, run_id=run or None)
        return await handle.describe(rpc_timeout=ACTION_TIMEOUT)
    except RPCError as error:
        if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            raise Problem(404, "No such case", _("There is no workflow with this id.")) from None
        raise ServiceUnavailable("temporal") from error


async def _names(request: Request) -> dict[str, str]:
    async with runtime_of(request).db().session() as session:
        found = await session.execute(select(Account.username, Account.display_name))
        return {username: display_name for username, display_name in found.tuples()}


def _waiting(row: CaseRow, case: DocumentCase | None) -> list[dict[str, Any]]:
    """Who the case waits on: the document's open tasks as publishing knows them, else
    what the workflow indexed for the inbox."""
    if row.status != "running":
        return []
    if case is not None and case.status is not None:
        return [
            {
                "task_id": task["task_id"],
                "step": task["step"],
                "awaiting": task["awaiting"],
                "assignee": task.get("assignee"),
                "due_at": datetime.fromisoformat(task["due_at"]) if task.get("due_at") else None,
            }
            for task in case.status.get("tasks") or []
        ]
    if row.awaiting or row.due_at:
        return [
            {
                "task_id": row.workflow_id if row.kind == "task" else None,
                "step": row.stage,
                "awaiting": row.awaiting,
                "assignee": None,
                "due_at": row.due_at,
            }
        ]
    return []


async def case_page(
    request: Request,
    signed: Signed,
    workflow_id: str,
    *,
    run: str = "",
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    refused: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    description = await _describe(request, workflow_id, run)
    temporal = runtime_of(request).temporal
    try:
        history = await temporal.get_workflow_handle(
            workflow_id, run_id=description.run_id
        ).fetch_history()
    except RPCError as error:
        raise ServiceUnavailable("temporal") from error
    if (
        description.status == WorkflowExecutionStatus.RUNNING
        and history.events
        and history.events[-1].event_type in CLOSING_EVENTS
    ):
        # The case closed between the two reads: the page tells one moment, the later.
        description = await _describe(request, workflow_id, description.run_id or "")
    row = case_row(description)
    case = document_case_of(row)
    if case is not None:
        await _read_document(request, signed, case)
    accounts = await _names(request)

    def name_of(username: str) -> str:
        if username in timeline.SYSTEM_ACTORS:
            return label(SYSTEM_ACTORS, username)
        return accounts.get(username, username)

    audited = case is not None and case.audit is not None
    told = timeline.merged(
        timeline.from_history(
            history.events, temporal.data_converter.payload_converter, name_of, audited=audited
        ),
        timeline.from_audit(
            case.audit or [] if case else [], name_of, case.register_number if case else None
        ),
    )
    running = row.status == "running"
    may_retry = running and case is not None and row.stage == "failed_to_publish"
    may_cancel = running and row.kind != "task"
    done = request.query_params.get("done")
    flashes = []
    if done == "cancelled":
        flashes.append(
            _(
                "Cancellation asked; the reason is kept with the case. The case closes "
                "once its workflow has recorded it."
            )
        )
    elif done == "retried":
        flashes.append(_("The publication is being tried again."))
    settings = settings_of(request)
    return await render(
        request,
        "case.html",
        status_code=status_code,
        row=row,
        description=description,
        case=case,
        entries=told,
        pending=pending_activities(description),
        children=list(description.raw_description.pending_children),
        waiting=_waiting(row, case),
        name_of=name_of,
        may_retry=may_retry,
        may_cancel=may_cancel,
        errors=errors or {},
        refused=refused or {},
        typed=typed or {},
        flashes=flashes,
        now=datetime.now(UTC),
        status_name=_(STATUS_LABELS.get(row.status, row.status)),
        kind_name=label(CASE_KINDS, row.kind),
        history_link=history_url(settings, row.workflow_id, row.run_id),
        refresh=settings.refresh_seconds,
    )


@router.get("/cases/{workflow_id}")
async def show_case(request: Request, signed: Admin, workflow_id: str, run: str = "") -> Response:
    return await case_page(request, signed, workflow_id, run=run)


def _reason_error(reason: str) -> str | None:
    if len(reason) < MIN_REASON:
        return _("Say why, in a few words: the reason is kept with the case.")
    if len(reason) > MAX_REASON:
        return _("The reason may be at most %(num)d characters.") % {"num": MAX_REASON}
    return None


async def _ask_publication_retry(request: Request, signed: Signed, document_id: int) -> str | None:
    """The publishing service tries the publication again (its audit keeps who); None
    when it took the request, else its refusal."""
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "publishing", f"/documents/{document_id}/retry-publication"
        )
    except ServiceRefused as refusal:
        return refusal.detail or refusal.title
    return None


async def retry_now(
    request: Request, signed: Signed, workflow_id: str, run_id: str, activity_ids: list[str]
) -> None:
    """Let a case's failing activities run again now instead of at their next attempt:
    Temporal's activity reset starts the attempts over and schedules the next at once."""
    settings = settings_of(request)
    service = runtime_of(request).temporal.workflow_service
    for activity_id in activity_ids:
        await service.reset_activity(
            ResetActivityRequest(
                namespace=settings.temporal_namespace,
                execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
                id=activity_id,
                identity=f"portal:{signed.user.id}",
            ),
            timeout=ACTION_TIMEOUT,
        )


async def retry_one(request: Request, signed: Signed, workflow_id: str, reason: str) -> str | None:
    """Retry what failed in one case: a document's failed publication through the
    publishing service, or any activity being retried at once. None when done, else why
    not; a refusal changes nothing."""
    description = await _describe(request, workflow_id, "")
    row = case_row(description)
    if description.status != WorkflowExecutionStatus.RUNNING:
        return _("This case has already ended.")
    if row.kind == "task":
        return _("A task belongs to its case: retry the case instead.")
    case = document_case_of(row)
    if case is not None and row.stage == "failed_to_publish":
        refusal = await _ask_publication_retry(request, signed, case.document_id)
    else:
        failing = failing_of(pending_activities(description))
        if not failing:
            return _("Nothing in this case is failing: there is nothing to retry.")
        try:
            ids = [activity.activity_id for activity in failing]
            await retry_now(request, signed, workflow_id, description.run_id or "", ids)
        except RPCError as error:
            return error.message
        refusal = None
    if refusal is None:
        # Neither Temporal's reset nor the publishing service's retry takes a reason: the
        # portal's log keeps it.
        log.info("case.retried", workflow_id=workflow_id, by=signed.user.id, reason=reason)
    return refusal


@router.post("/cases/{workflow_id}/retry")
async def retry_publication(
    request: Request,
    signed: Admin,
    workflow_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    reason = reason.strip()
    problem = _reason_error(reason)
    if problem:
        return await case_page(
            request, signed, workflow_id, errors={"retry_reason": problem},
            typed={"retry_reason": reason}, status_code=422,
        )  # fmt: skip
    row = case_row(await _describe(request, workflow_id, ""))
    case = document_case_of(row)
    if case is None:
        return await case_page(
            request, signed, workflow_id, typed={"retry_reason": reason}, status_code=409,
            refused={"retry": _("Only a document's publication can be retried.")},
        )  # fmt: skip
    refusal = await _ask_publication_retry(request, signed, case.document_id)
    if refusal is not None:
        return await case_page(
            request, signed, workflow_id, typed={"retry_reason": reason}, status_code=409,
            refused={"retry": refusal},
        )  # fmt: skip
    # The publishing service's retry takes no reason: the portal's log keeps it.
    log.info("case.publication_retried", workflow_id=workflow_id, by=signed.user.id, reason=reason)
    return redirect(f"/cases/{quote(workflow_id, safe='')}?done=retried")


async def cancel_one(request: Request, signed: Signed, workflow_id: str, reason: str) -> str | None:
    """Cancel one case with `reason`: None when asked, else why not (nothing changed). A
    document is withdrawn, the publishing service's audit keeping who and why; any other
    case through Temporal's cancellation, whose request carries the reason."""
    description = await _describe(request, workflow_id, "")
    row = case_row(description)
    if description.status != WorkflowExecutionStatus.RUNNING:
        return _("This case has already ended.")
    if row.kind == "task":
        return _("A task belongs to its case: cancel the case instead.")
    case = document_case_of(row)
    try:
        if case is not None:
            await _read_document(request, signed, case)
            if case.unavailable:
                raise ServiceUnavailable("publishing")
            if not case.in_progress:
                return _("This edition is no longer the one in progress.")
            # Withdrawal is how a document leaves its route: the workflow records it with
            # the reason, the author gets the draft back, and the bus tells the others.
            await services_of(runtime_of(request)).post(
                signed.user, "publishing", f"/documents/{case.document_id}/withdraw",
                json={"reason": reason},
            )  # fmt: skip
        else:
            handle = runtime_of(request).temporal.get_workflow_handle(
                workflow_id, run_id=description.run_id
            )
            # The request's reason stays in the workflow's history.
            await handle.cancel(reason=f"{signed.user.id}: {reason}", rpc_timeout=ACTION_TIMEOUT)
    except ServiceRefused as refusal:
        return refusal.detail or refusal.title
    except RPCError as error:
        return error.message
    log.info("case.cancelled", workflow_id=workflow_id, by=signed.user.id, reason=reason)
    return None


@router.post("/cases/{workflow_id}/cancel")
async def cancel_case(
    request: Request,
    signed: Admin,
    workflow_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    reason = reason.strip()
    problem = _reason_error(reason)
    if problem:
        return await case_page(
            request, signed, workflow_id, errors={"cancel_reason": problem},
            typed={"cancel_reason": reason}, status_code=422,
        )  # fmt: skip
    refusal = await cancel_one(request, signed, workflow_id, reason)
    if refusal is not None:
        return await case_page(
            request, signed, workflow_id, typed={"cancel_reason": reason}, status_code=409,
            refused={"cancel": refusal},
        )  # fmt: skip
    return redirect(f"/cases/{quote(workflow_id, safe='')}?done=cancelled")
