"""The task inbox and the task page: what waits on me, the case beside it, and the
decision form. Decisions and claims go through the owning service's API, whose workflow
validators have the last word; their refusal is shown in the form."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from temporalio.service import RPCError

from meria.inputs import Id
from meria.problems import Problem
from services.portal import acts, diffs
from services.portal.accounts import Signed, display_names
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import local_input, tbilisi
from services.portal.i18n import _
from services.portal.inbox import InboxFilter, TaskRow, my_tasks
from services.portal.labels import CASE_KINDS, ROLES, STEPS, labels
from services.portal.models import Account, SeenVersion
from services.portal.navigation import counts
from services.portal.panels import Panels
from services.portal.visits_pages import task_of_workflow
from services.portal.web import Staff, redirect, render, runtime_of, safe_next

router = APIRouter(include_in_schema=False)

SORTS = ("due", "priority", "newest")
DUES = ("overdue", "soon", "later")


@router.get("/")
async def home(signed: Staff) -> Response:
    # Someone who only asks the department for information has no tasks: their requests.
    if set(signed.account.roles) == {"requester"}:
        return redirect("/requests")
    return redirect("/inbox")


@router.get("/inbox")
async def inbox(
    request: Request,
    signed: Staff,
    kind: str = "",
    stage: str = "",
    role: str = "",
    due: str = "",
    sort: str = "due",
    mine: str = "",
    waiting: str = "",
    decided: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    chosen = InboxFilter(
        kind=kind if kind in CASE_KINDS else None,
        stage=stage if stage in STEPS else None,
        role=role if role in ROLES else None,
        due=due if due in DUES else None,
        sort=sort if sort in SORTS else "due",
        mine_only=mine == "1",
        waiting=waiting == "1",
    )
    runtime = runtime_of(request)
    panels = Panels()

    async def tasks() -> list[TaskRow]:
        try:
            return await my_tasks(runtime.temporal, signed.user, chosen)
        except (RPCError, Problem) as error:
            # The page, its filters and navigation still come; the list says why it is
            # missing.
            reason = error.message if isinstance(error, RPCError) else str(error)
            panels.mark("tasks", _("My tasks"), ServiceUnavailable("temporal", reason[:200]))
            return []

    async def returned() -> list[dict[str, Any]]:
        """My documents sent back for changes: mine to edit and send again."""
        if not signed.user.has_any("editor"):
            return []
        params = {"state": "changes_requested", "author": signed.user.id, "limit": 50}
        found = await panels.read(
            "returned", _("Returned to me"),
            services_of(runtime).get(signed.user, "publishing", "/documents", params=params),
            {"items": []},
        )  # fmt: skip
        items: list[dict[str, Any]] = found["items"]
        return items

    rows, returned_documents = await asyncio.gather(tasks(), returned())
    if decided and any(row.task_id == decided for row in rows):
        # The decision is recorded, but Temporal's lists learn of it a moment later (more
        # under load): the person who just decided does not see their task again.
        rows = [row for row in rows if row.task_id != decided]
        navigation = await counts(request, signed)
        if navigation.get("tasks", 0) > 0:
            navigation["tasks"] -= 1
    return await render(
        request,
        "inbox.html",
        panels=panels,
        rows=rows,
        returned=returned_documents,
        chosen=chosen,
        now=datetime.now(UTC),
        kinds=labels(CASE_KINDS),
        stages=labels(STEPS),
        roles=labels(ROLES),
        refresh=runtime.settings.refresh_seconds,  # type: ignore[attr-defined]
    )


async def task_state(request: Request, task_id: str) -> dict[str, Any]:
    temporal = runtime_of(request).temporal
    try:
        state: dict[str, Any] = await temporal.get_workflow_handle(task_id).query("state")
    except RPCError:
        raise Problem(404, "No such task", _("This task does not exist or has ended.")) from None
    return state


async def task_page(
    request: Request,
    signed: Staff,
    task_id: str,
    *,
    against: str = "",
    form_error: str | None = None,
    comment: str = "",
    chosen_outcome: str = "",
    status_code: int = 200,
    handing_error: str = "",
) -> Response:
    state = await task_state(request, task_id)
    kind, _sep, case_id = str(state["case_ref"]).partition(":")
    if kind == "event" and case_id.isdigit():
        # An event's tasks are done on its page (briefing note, minutes, actions, release).
        return redirect(f"/events/{case_id}#task-{task_id}")
    if kind == "media_response" and case_id.isdigit():
        # A response is drafted and decided on its own page.
        return redirect(f"/media/responses/{case_id}")
    if kind == "information_request" and case_id.isdigit():
        # A request is answered on its own page, beside the earlier answers.
        return redirect(f"/requests/{case_id}#answer")
    if kind == "visit" and case_id.isdigit():
        # A visit's approval and its logistics tasks are acted on from the visit's page.
        return redirect(f"/visits/{case_id}#task-{task_id}")
    if kind == "document" and state.get("step") == "page_review" and case_id.isdigit():
        # A standing page's review is done on its page, beside its owner and dates.
        return redirect(f"/documents/{case_id}#keeping")
    if kind != "document" or not case_id.isdigit():
        raise Problem(404, "Unknown case", _("The portal cannot show this kind of case yet."))
    services = services_of(runtime_of(request))
    user = signed.user
    document = await services.get(user, "publishing", f"/documents/{case_id}")
    audit = await services.get(user, "publishing", f"/documents/{case_id}/audit")
    current = document["current"]
    new_content = diffs.content_of(current)
    # The diff starts from what I saw last, or from the previous edition.
    database = runtime_of(request).db()
    async with database.session() as session:
        seen = await session.get(SeenVersion, (signed.account.username, int(case_id)))
        seen_content = dict(seen.content) if seen else None
        seen_label = (seen.edition_number, seen.revision) if seen else None
    previous = None
    if current["number"] > 1:
        previous = await services.get(
            user, "publishing", f"/documents/{case_id}/editions/{current['number'] - 1}"
        )
    if against not in ("seen", "previous", ""):
        against = ""
    if not against:
        seen_differs = seen_content is not None and seen_content != new_content
        against = "seen" if seen_differs else ("previous" if previous else "")
    if against == "seen" and seen_content is not None:
        old_content = seen_content
    elif against == "previous" and previous is not None:
        old_content = diffs.content_of(previous)
    else:
        against, old_content = "", None
    comparison = diffs.compare(old_content, new_content) if old_content is not None else []
    # A consolidated text is reviewed against the published text it rewrites.
    consolidation = None
    if acts.is_consolidation(current):
        consolidation = await acts.diff_of(services, user, int(case_id), current["number"])
    async with database.transaction() as session:
        record = await session.get(SeenVersion, (signed.account.username, int(case_id)))
        if record is None:
            record = SeenVersion(username=signed.account.username, document_id=int(case_id))
            session.add(record)
        record.edition_number = current["number"]
        record.revision = current["revision"]
        record.content = new_content
        record.seen_at = datetime.now(UTC)
    async with database.session() as session:
        people = await display_names(
            session, {entry["actor"] for entry in audit} | {current.get("created_by") or ""}
        )
    may_decide = state["result"] is None and (
        signed.user.has_any(*state["awaiting"]) or state.get("assignee") == user.id
    )
    handing = await _handing(runtime_of(request), signed, state)
    is_author = user.id in (current.get("submitted_by"), current.get("created_by"))
    return await render(
        request,
        "task.html",
        status_code=status_code,
        task=state,
        task_id=task_id,
        document=document,
        edition=current,
        audit=[entry for entry in audit if entry["edition_number"] == current["number"]],
        against=against,
        seen_label=seen_label,
        has_previous=previous is not None,
        has_seen=seen_content is not None,
        comparison=comparison,
        consolidation=consolidation,
        may_decide=may_decide,
        is_author=is_author,
        form_error=form_error,
        comment=comment,
        chosen_outcome=chosen_outcome,
        now=datetime.now(UTC),
        people=people | handing["names"],
        handing=handing,
        handing_error=handing_error,
        local_input=local_input,
    )


async def _handing(runtime: Any, signed: Signed, state: dict[str, Any]) -> dict[str, Any]:
    """Whether this person may hand the task on or set its follow-up date, and to whom it
    may go: active staff holding a role the step awaits (its validator has the last word)."""
    holder = state.get("assignee") or state.get("claimed_by")
    open_ = state["result"] is None
    head = signed.user.has_any("head_of_department")
    may_hand = open_ and (holder == signed.user.id or head)
    may_follow = open_ and (
        holder == signed.user.id or head or (not holder and signed.user.has_any(*state["awaiting"]))
    )
    async with runtime.db().session() as session:
        accounts = list(await session.scalars(select(Account).where(Account.active.is_(True))))
    awaited = set(state["awaiting"])
    candidates = sorted(
        (a for a in accounts if awaited & set(a.roles) and a.username != holder),
        key=lambda a: a.display_name,
    )
    names = {a.username: a.display_name for a in accounts}
    # The head of department may release a claim someone else holds (its holder has the
    # button beside the decision).
    may_release = (
        open_
        and head
        and bool(state.get("claimed_by"))
        and state.get("claimed_by") != signed.user.id
    )
    return {
        "may_hand": may_hand, "may_follow": may_follow, "may_release": may_release,
        "candidates": candidates,
        "names": names, "notes": state.get("notes") or [],
        "follow_up_at": state.get("follow_up_at"),
    }  # fmt: skip


async def _task_call(
    request: Request, signed: Signed, task_id: str, method: str, verb: str, body: dict[str, Any]
) -> Response | None:
    """Send a change of a task to its case's service; the task page again on a refusal."""
    service, path = _service_of(task_id), f"/tasks/{task_id}/{verb}"
    try:
        await services_of(runtime_of(request)).call(signed.user, method, service, path, json=body)
    except ServiceRefused as refused:
        return await task_page(
            request, signed, task_id, handing_error=refused.detail or refused.title,
            status_code=refused.status if 400 <= refused.status < 500 else 409,
        )  # fmt: skip
    return None


@router.post("/tasks/{task_id}/reassign")
async def reassign(
    request: Request,
    signed: Staff,
    task_id: str,
    to: Annotated[str, Form(max_length=100)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    state = await task_state(request, task_id)
    handing = await _handing(runtime_of(request), signed, state)
    if not handing["may_hand"]:
        return await task_page(
            request, signed, task_id, status_code=403,
            handing_error=_("Only who holds the step, or the head of department, may hand it on."),
        )  # fmt: skip
    if not to or to not in {a.username for a in handing["candidates"]}:
        return await task_page(
            request, signed, task_id, status_code=422,
            handing_error=_("Choose a person who holds a role this step awaits."),
        )  # fmt: skip
    if not note.strip():
        return await task_page(
            request, signed, task_id, status_code=422,
            handing_error=_("Write a note for the person: why it is theirs now."),
        )  # fmt: skip
    refused = await _task_call(
        request, signed, task_id, "POST", "reassign", {"to": to, "note": note.strip()}
    )
    return refused or redirect(f"/tasks/{task_id}?handed=1")


@router.post("/tasks/{task_id}/follow-up")
async def set_follow_up(
    request: Request,
    signed: Staff,
    task_id: str,
    at: Annotated[str, Form(max_length=40)] = "",
    clear: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    moment = None
    if not clear:
        try:
            moment = tbilisi(at) if at else None
        except ValueError:
            moment = None
        if moment is None:
            return await task_page(
                request, signed, task_id, status_code=422,
                handing_error=_("Give the day and time to look at the task again."),
            )  # fmt: skip
        state = await task_state(request, task_id)
        if moment >= datetime.fromisoformat(str(state["due_at"])):
            return await task_page(
                request, signed, task_id, status_code=422,
                handing_error=_("The follow-up date must come before the step's deadline."),
            )  # fmt: skip
    body = {"at": moment.isoformat() if moment else None}
    refused = await _task_call(request, signed, task_id, "PUT", "follow-up", body)
    return refused or redirect(f"/tasks/{task_id}?follow_up=1")


@router.get("/tasks/{task_id}")
async def show_task(request: Request, signed: Staff, task_id: str, against: str = "") -> Response:
    return await task_page(request, signed, task_id, against=against)


@router.post("/tasks/{task_id}/decision")
async def decide(
    request: Request,
    signed: Staff,
    task_id: str,
    outcome: Annotated[str, Form()] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
    revision: Annotated[Id | None, Form()] = None,
) -> Response:
    state = await task_state(request, task_id)
    _kind, _sep, case_id = str(state["case_ref"]).partition(":")
    if outcome not in ("approve", "reject", "request_changes"):
        return await task_page(
            request, signed, task_id, form_error=_("Choose a decision."), comment=comment,
            status_code=422,
        )  # fmt: skip
    if outcome in ("reject", "request_changes") and not comment.strip():
        return await task_page(
            request, signed, task_id, comment=comment, chosen_outcome=outcome, status_code=422,
            form_error=_("Say why in the comment: the author needs to know what to change."),
        )  # fmt: skip
    body: dict[str, Any] = {"outcome": outcome, "task_id": task_id}
    if comment.strip():
        body["comment"] = comment.strip()
    if revision:
        body["revision"] = revision
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "publishing", f"/documents/{case_id}/decisions", json=body
        )
    except ServiceRefused as refused:
        return await task_page(
            request, signed, task_id, form_error=refused.detail or refused.title,
            comment=comment, chosen_outcome=outcome, status_code=409,
        )  # fmt: skip
    return redirect(f"/inbox?decided={quote(task_id, safe='')}")


def _service_of(task_id: str) -> str:
    """Whose API takes a task's claim: the service of its case."""
    if task_id.startswith(("press-conference-", "meeting-")):
        return "events"
    if task_id.startswith(("media-response-", "information-request-")):
        return "media"
    return "publishing"


async def _claim(request: Request, signed: Signed, task_id: str, verb: str, back: str) -> Response:
    visit_task = task_of_workflow(task_id)
    if visit_task is not None:
        # The visits service knows its tasks by visit and key.
        service, path = "visits", f"/visits/{visit_task[0]}/tasks/{visit_task[1]}/{verb}"
    else:
        service, path = _service_of(task_id), f"/tasks/{task_id}/{verb}"
    try:
        await services_of(runtime_of(request)).post(signed.user, service, path)
    except ServiceRefused as refused:
        return await task_page(
            request, signed, task_id, form_error=refused.detail or refused.title,
            status_code=409,
        )  # fmt: skip
    return redirect(safe_next(back) if back else f"/tasks/{task_id}")


@router.post("/tasks/{task_id}/claim")
async def claim(
    request: Request, signed: Staff, task_id: str, back: Annotated[str, Form()] = ""
) -> Response:
    return await _claim(request, signed, task_id, "claim", back)


@router.post("/tasks/{task_id}/unclaim")
async def unclaim(
    request: Request, signed: Staff, task_id: str, back: Annotated[str, Form()] = ""
) -> Response:
    return await _claim(request, signed, task_id, "unclaim", back)
