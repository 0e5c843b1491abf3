"""The administrators' workflow dashboard: every case and task in the namespace, filtered
and counted, and a case page telling the case's story with what it waits on, what is
failing, and the two things an administrator may do: retry a failed publication and
cancel a case, each with a reason that is kept.

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
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from meria.logging import get_logger
from meria.problems import Problem
from meria.temporal import KIND, KINDS, REF, STAGE, SUBJECT
from services.portal import timeline
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.i18n import N_, TBILISI, _
from services.portal.inbox import STATUS_QUERY, CaseRow, case_row, quoted
from services.portal.labels import CASE_KINDS, ROLES, STEPS, SYSTEM_ACTORS, label, labels
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
    if token and AN_ID.match(token):
        options.append(f"{REF.name} = {quoted(token)}")
        options.append(f"WorkflowId STARTS_WITH {quoted(token)}")
    return "(" + " OR ".join(options) + ")" if options else None


def case_query(
    chosen: CaseFilter, moment: datetime, *, stage: bool = True, status: bool = True
) -> str:
    """The visibility query of a filter; `stage=False` or `status=False` leaves that
    choice out, for the counts that break the list down by it."""
    clauses = []
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
    base = settings.temporal_ui_url.rstrip("/")
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

    stages = list(dict.fromkeys([*STEPS, *seen]))
    numbers = await asyncio.gather(*(one(key) for key in stages))
    return [(key, number) for key, number in zip(stages, numbers, strict=True) if number]


async def list_cases(
    temporal: Client, query: str, size: int, page: bytes | None
) -> tuple[list[CaseRow], bytes | None]:
    """One page of the list, newest first (Temporal's order), and the next page's token."""
    found = temporal.list_workflows(
        query, page_size=size, next_page_token=page, rpc_timeout=VISIBILITY_TIMEOUT
    )
    await found.fetch_next_page()
    return [case_row(execution) for execution in found.current_page or []], found.next_page_token


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Give the date as year-month-day, for example 2026-11-12.")
        return None


@router.get("/dashboard")
async def dashboard(
    request: Request,
    signed: Admin,
    kind: str = "",
    status: str = "",
    stage: str = "",
    overdue: str = "",
    started_from: str = "",
    started_to: str = "",
    text: str = "",
    size: str = "",
    page: str = "",
    stages: str = "",
) -> Response:
    """The list and its counts; `stages=1` adds how many are at each stage (a query per
    stage, so only when asked)."""
    errors: dict[str, str] = {}
    if kind and kind not in KINDS:
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
    page_size = (
        int(size) if size.isdigit() and 1 <= int(size) <= MAX_PAGE_SIZE else DEFAULT_PAGE_SIZE
    )
    chosen = CaseFilter(
        kind=kind if "kind" not in errors and kind else None,
        status=status if "status" not in errors and status else None,
        stage=stage if "stage" not in errors and stage else None,
        overdue=overdue == "1",
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
    rows: list[CaseRow] = []
    next_page: bytes | None = None
    counts = None
    panels = Panels()
    if not errors:
        try:
            rows, next_page = await list_cases(
                runtime.temporal, case_query(chosen, moment), chosen.size, token
            )
            counts = await _counts(runtime.temporal, chosen, moment, panels)
            if counts is not None and stages == "1":
                seen = [row.stage for row in rows if row.stage]
                by_stage = await count_stages(runtime.temporal, chosen, moment, seen)
        except RPCError as error:
            if error.status != RPCStatusCode.INVALID_ARGUMENT:
                raise ServiceUnavailable("temporal") from error
            message = _("Temporal could not run this search: %(message)s")
            errors["page" if token else "text"] = message % {"message": error.message}
    settings = settings_of(request)
    return await render(
        request,
        "dashboard.html",
        status_code=422 if errors else 200,
        panels=panels,
        rows=rows,
        counts=counts,
        by_stage=by_stage,
        stages_link=_with(chosen.link(), "stages=1"),
        chosen=chosen,
        typed={"started_from": started_from, "started_to": started_to, "text": text},
        errors=errors,
        now=moment,
        kinds=labels(CASE_KINDS),
        statuses={key: _(value) for key, value in STATUS_LABELS.items() if key in STATUS_QUERY},
        status_names={key: _(value) for key, value in STATUS_LABELS.items()},
        stages=labels(STEPS),
        roles=labels(ROLES),
        page_sizes=sorted({*PAGE_SIZES, chosen.size}),
        next_link=_with_page(chosen.link(), next_page),
        first_link=chosen.link() if token else None,
        history=lambda row: history_url(settings, row.workflow_id, row.run_id),
        refresh=settings.refresh_seconds,
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
        return await temporal.get_workflow_handle(workflow_id, run_id=run or None).describe()
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
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "publishing", f"/documents/{case.document_id}/retry-publication"
        )
    except ServiceRefused as refusal:
        return await case_page(
            request, signed, workflow_id, typed={"retry_reason": reason}, status_code=409,
            refused={"retry": refusal.detail or refusal.title},
        )  # fmt: skip
    # The publishing service's retry takes no reason: the portal's log keeps it.
    log.info("case.publication_retried", workflow_id=workflow_id, by=signed.user.id, reason=reason)
    return redirect(f"/cases/{quote(workflow_id, safe='')}?done=retried")


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
    description = await _describe(request, workflow_id, "")
    row = case_row(description)

    async def refuse(message: str) -> Response:
        return await case_page(
            request, signed, workflow_id, typed={"cancel_reason": reason}, status_code=409,
            refused={"cancel": message},
        )  # fmt: skip

    if description.status != WorkflowExecutionStatus.RUNNING:
        return await refuse(_("This case has already ended."))
    if row.kind == "task":
        return await refuse(_("A task belongs to its case: cancel the case instead."))
    case = document_case_of(row)
    try:
        if case is not None:
            await _read_document(request, signed, case)
            if case.unavailable:
                raise ServiceUnavailable("publishing")
            if not case.in_progress:
                return await refuse(_("This edition is no longer the one in progress."))
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
            await handle.cancel(reason=f"{signed.user.id}: {reason}")
    except ServiceRefused as refusal:
        return await refuse(refusal.detail or refusal.title)
    except RPCError as error:
        return await refuse(error.message)
    log.info("case.cancelled", workflow_id=workflow_id, by=signed.user.id, reason=reason)
    return redirect(f"/cases/{quote(workflow_id, safe='')}?done=cancelled")
