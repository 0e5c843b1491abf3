"""Several cases at once from the dashboard: retry what is failing, or cancel with a reason.

Each chosen case is judged on its own, as its case page would judge it (`retry_one`,
`cancel_one`): a refusal names why and changes nothing of that case, and the others go
on. The page that follows tells a line per case. Cancelling asks first: the cases and
the reason are shown, and nothing is cancelled until the administrator confirms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from temporalio.client import Client
from temporalio.service import RPCError

from meria.logging import get_logger
from meria.problems import Problem
from services.portal.accounts import Signed
from services.portal.clients import ServiceUnavailable
from services.portal.dashboard import (
    AN_ID,
    MAX_PAGE_SIZE,
    _reason_error,
    cancel_one,
    retry_one,
)
from services.portal.dashboard_rows import VISIBILITY_TIMEOUT
from services.portal.i18n import N_, _
from services.portal.inbox import CaseRow, case_row, quoted
from services.portal.panels import service_name
from services.portal.web import Admin, render, runtime_of

router = APIRouter(include_in_schema=False)
log = get_logger("meria.portal.dashboard")

ACTIONS = ("retry", "cancel")
MAX_SELECTED = MAX_PAGE_SIZE
MAX_ID = 200
# Each case's action calls a service or Temporal: a few at a time.
ACTIONS_AT_ONCE = 4

Act = Callable[[Request, Signed, str, str], Awaitable[str | None]]


@dataclass(frozen=True)
class Outcome:
    workflow_id: str
    row: CaseRow | None
    done: bool
    message: str


def _back(value: str) -> str:
    """Back to the dashboard page the action came from, and nowhere else."""
    return value if value.startswith("/dashboard") and not value.startswith("//") else "/dashboard"


def selection_errors(action: str, cases: Sequence[str], reason: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if action not in ACTIONS:
        errors["action"] = _("Choose to retry or to cancel the chosen cases.")
    if not cases:
        errors["case"] = _("Choose at least one case in the list.")
    elif len(cases) > MAX_SELECTED:
        errors["case"] = _("Choose at most %(num)d cases at once.") % {"num": MAX_SELECTED}
    elif any(len(case) > MAX_ID or not AN_ID.match(case) for case in cases):
        errors["case"] = _("A chosen case is not a workflow id; choose the cases in the list.")
    problem = _reason_error(reason)
    if problem:
        errors["reason"] = problem
    return errors


async def chosen_rows(temporal: Client, cases: Sequence[str]) -> dict[str, CaseRow]:
    """What the chosen cases are, for the page: one visibility query, the newest run of
    each; none when Temporal does not answer (the ids are shown instead)."""
    listed = ", ".join(quoted(case) for case in cases)
    rows: dict[str, CaseRow] = {}
    try:
        found = temporal.list_workflows(
            f"WorkflowId IN ({listed})",
            limit=len(cases) * 4,
            page_size=len(cases) * 4,
            rpc_timeout=VISIBILITY_TIMEOUT,
        )
        async for execution in found:
            rows.setdefault(execution.id, case_row(execution))
    except RPCError:
        return {}
    return rows


async def _one(request: Request, signed: Signed, act: Act, case: str, reason: str) -> str | None:
    """The case's refusal, if any; what could not be reached is a refusal too."""
    try:
        return await act(request, signed, case, reason)
    except Problem as problem:
        return problem.detail or problem.title
    except ServiceUnavailable as error:
        return _("%(service)s did not answer; look at the case before trying again.") % {
            "service": service_name(error.service).capitalize()
        }
    except RPCError as error:
        return error.message


async def act_on(
    request: Request, signed: Signed, action: str, cases: Sequence[str], reason: str
) -> list[tuple[str, str | None]]:
    act: Act = retry_one if action == "retry" else cancel_one
    limit = asyncio.Semaphore(ACTIONS_AT_ONCE)

    async def one(case: str) -> tuple[str, str | None]:
        async with limit:
            return case, await _one(request, signed, act, case, reason)

    return list(await asyncio.gather(*(one(case) for case in cases)))


DONE = {
    "retry": N_("Retried: what failed runs again now."),
    "cancel": N_("Cancellation asked; the reason is kept with the case."),
}


@router.post("/dashboard/actions")
async def act_on_cases(
    request: Request,
    signed: Admin,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    case: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Retry or cancel the chosen cases; a cancellation is confirmed first."""
    reason = reason.strip()
    cases = list(dict.fromkeys(value.strip() for value in case or [] if value.strip()))
    errors = selection_errors(action, cases, reason)
    temporal = runtime_of(request).temporal
    shown = cases[:MAX_SELECTED] if "case" not in errors else []
    rows = await chosen_rows(temporal, shown) if shown else {}
    page: dict[str, Any] = {
        "action": action if action in ACTIONS else "",
        "cases": shown,
        "rows": rows,
        "reason": reason,
        "back": _back(back),
        "errors": errors,
        "outcomes": None,
    }
    if errors:
        # Nothing is done while anything is wrong: the page says what, and keeps the rest.
        return await render(request, "dashboard_actions.html", status_code=422, **page)
    if action == "cancel" and confirmed != "yes":
        return await render(request, "dashboard_actions.html", confirm=True, **page)
    results = await act_on(request, signed, action, cases, reason)
    outcomes = [
        Outcome(
            workflow_id=workflow_id,
            row=rows.get(workflow_id),
            done=refusal is None,
            message=_(DONE[action]) if refusal is None else refusal,
        )
        for workflow_id, refusal in results
    ]
    log.info(
        "dashboard.batch",
        action=action,
        by=signed.user.id,
        reason=reason,
        done=[outcome.workflow_id for outcome in outcomes if outcome.done],
        refused=[outcome.workflow_id for outcome in outcomes if not outcome.done],
    )
    return await render(request, "dashboard_actions.html", **{**page, "outcomes": outcomes})
