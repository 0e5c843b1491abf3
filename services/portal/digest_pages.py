"""The monthly press digest in the portal: the digests compiled so far (each with its
document in publishing), a form to compile the digest of any month by hand, and the
schedule that compiles it on the first working day of each month — when it runs next,
and, for administrators, pausing and resuming it with a note.

The digests are the `MonthlyDigestWorkflow` runs, found by their search attributes; the
schedule is Temporal's. Nothing here is a second copy of either.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from temporalio.client import WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from meria.cases.digest import SCHEDULE_ID, SECTIONS, start_digest
from services.portal.accounts import Signed
from services.portal.forms import text
from services.portal.i18n import N_, TBILISI, _
from services.portal.labels import labels
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

COMPILERS = ("editor", "head_of_department", "media_officer", "admin")
STAGES = {
    "gathering": N_("Gathering the month"),
    "composing": N_("Composing"),
    "submitted": N_("Submitted for approval"),
    "failed": N_("Failed"),
}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


async def _digests(request: Request) -> list[dict[str, Any]]:
    temporal = runtime_of(request).temporal
    rows = []
    async for execution in temporal.list_workflows(
        "WorkflowType = 'MonthlyDigestWorkflow'", limit=60
    ):
        row: dict[str, Any] = {
            "month": execution.id.removeprefix("digest-"),
            "started_at": execution.start_time,
            "stage": "failed"
            if execution.status
            in (WorkflowExecutionStatus.FAILED, WorkflowExecutionStatus.TERMINATED)
            else "gathering",
            "document_id": None,
            "entries": {},
        }
        if row["stage"] != "failed":
            try:
                status = await temporal.get_workflow_handle(execution.id).query("status")
            except RPCError:
                status = None
            if status:
                row.update(
                    stage=status["stage"],
                    document_id=status.get("document_id"),
                    entries=status.get("entries") or {},
                )
        rows.append(row)
    rows.sort(key=lambda r: r["month"], reverse=True)
    return rows


async def _schedule(request: Request) -> dict[str, Any] | None:
    try:
        described = await runtime_of(request).temporal.get_schedule_handle(SCHEDULE_ID).describe()
    except RPCError:
        return None
    upcoming = described.info.next_action_times
    return {
        "paused": described.schedule.state.paused,
        "note": described.schedule.state.note or "",
        "next": upcoming[0] if upcoming else None,
        "last": described.info.recent_actions[-1].scheduled_at
        if described.info.recent_actions
        else None,
    }


async def digests_page(
    request: Request, signed: Signed, *, form_error: str = "", month: str = "",
    status_code: int = 200,
) -> Response:  # fmt: skip
    return await render(
        request,
        "digests.html",
        status_code=status_code,
        digests=await _digests(request),
        schedule=await _schedule(request),
        may_compile=signed.user.has_any(*COMPILERS),
        may_pause=signed.user.has_any("admin"),
        month=month or f"{datetime.now(TBILISI):%Y-%m}",
        form_error=form_error,
        done=request.query_params.get("done", ""),
        stages=labels(STAGES),
        sections=[(key, heading_ka, heading_en) for key, heading_ka, heading_en, *_ in SECTIONS],
    )


@router.get("/digests")
async def digests(request: Request, signed: Staff) -> Response:
    return await digests_page(request, signed)


@router.post("/digests")
async def compile_digest(request: Request, signed: Staff) -> Response:
    month = text(await request.form(), "month")
    if not signed.user.has_any(*COMPILERS):
        return await digests_page(
            request, signed, status_code=403,
            form_error=_("Editors, media officers and the head of department compile digests."),
        )  # fmt: skip
    if not MONTH.fullmatch(month) or month > f"{datetime.now(TBILISI):%Y-%m}":
        return await digests_page(
            request, signed, month=month, status_code=422,
            form_error=_("Choose a month that has begun, as the calendar shows it."),
        )  # fmt: skip
    runtime = runtime_of(request)
    try:
        await start_digest(
            runtime.temporal, runtime.settings.temporal_task_queue, month, signed.user.id
        )
    except WorkflowAlreadyStartedError:
        return await digests_page(
            request, signed, month=month, status_code=409,
            form_error=_("The digest of %(month)s is compiled already; see it below.")
            % {"month": month},
        )  # fmt: skip
    return redirect(f"/digests?done=started&month={month}")


@router.post("/digests/schedule")
async def pause_or_resume(request: Request, signed: Staff) -> Response:
    if not signed.user.has_any("admin"):
        return await digests_page(
            request, signed, status_code=403,
            form_error=_("Only an administrator pauses or resumes the schedule."),
        )  # fmt: skip
    form = await request.form()
    handle = runtime_of(request).temporal.get_schedule_handle(SCHEDULE_ID)
    if form.get("action") == "resume":
        await handle.unpause(note=f"resumed by {signed.user.id}")
        return redirect("/digests?done=resumed")
    note = text(form, "note")
    if len(note) < 3:
        return await digests_page(
            request, signed, status_code=422,
            form_error=_("Say why the schedule is paused: the note stays with it."),
        )  # fmt: skip
    await handle.pause(note=note)
    return redirect("/digests?done=paused")
