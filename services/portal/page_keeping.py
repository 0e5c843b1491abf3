"""A published document's keeping in the portal: a standing page's owner and review dates
(on the form that writes the page, and on its page), the owner's review when it is due,
and a publication to be taken down at a set time.

Everything goes through the publishing service's API (`/review-plan`, `/review`,
`/scheduled-unpublish`), whose gates and the review task's validator have the last word;
a refusal comes back on the document's page with its reason. The owner is chosen among
the portal's active staff accounts, which the portal alone knows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from meria.auth import User
from meria.inputs import Id
from meria.runtime import Runtime
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, services_of
from services.portal.forms import KeptForm, local_input, tbilisi
from services.portal.i18n import _
from services.portal.models import Account
from services.portal.web import CheckedForm, Staff, redirect, runtime_of

router = APIRouter(include_in_schema=False)

PLAN_FIELDS = ("owner", "review_every_months", "next_review_at")
INTERVALS = ("1", "3", "6", "12", "24")
KEEPERS = ("editor", "head_of_department")
QUERY_TIMEOUT = timedelta(seconds=5)


async def staff(runtime: Runtime) -> list[Account]:
    """Who may own a page: the active staff accounts, by name."""
    async with runtime.db().session() as session:
        found = await session.scalars(
            select(Account).where(Account.active.is_(True)).order_by(Account.display_name)
        )
        return [account for account in found if set(account.roles) - {"requester"}]


def check_plan(form: KeptForm) -> None:
    """The owner and dates as typed: a known interval, a date the calendar shows."""
    if form.get("review_every_months") and form.get("review_every_months") not in INTERVALS:
        form.errors["review_every_months"] = _("Choose how often the page is reviewed.")
    if form.get("next_review_at"):
        try:
            moment = tbilisi(form.get("next_review_at"))
        except ValueError:
            form.errors["next_review_at"] = _("Give the date and time as the calendar shows it.")
            return
        if moment <= datetime.now(moment.tzinfo):
            form.errors["next_review_at"] = _("The review date must be in the future.")
    if (form.get("review_every_months") or form.get("next_review_at")) and not form.get("owner"):
        form.errors["owner"] = _("Name who keeps the page.")


async def check_owner(runtime: Runtime, form: KeptForm) -> None:
    owner = form.get("owner")
    if owner and owner not in {account.username for account in await staff(runtime)}:
        form.errors["owner"] = _("The owner must be an active member of staff.")


def plan_of(form: KeptForm) -> dict[str, Any]:
    """The plan as the publishing API takes it; nothing when no owner is named."""
    if not form.get("owner"):
        return {}
    every = form.get("review_every_months")
    moment = form.get("next_review_at")
    return {
        "owner": form.get("owner"),
        "review_every_months": int(every) if every else None,
        "next_review_at": tbilisi(moment).isoformat() if moment else None,
    }


async def keeping_of(runtime: Runtime, user: User, document: dict[str, Any]) -> dict[str, Any]:
    """What the document's page shows of its keeping, and which forms this person gets."""
    document_id = document["id"]
    task_id = None
    if document["document_type"] == "web_page" and document.get("owner"):
        handle = runtime.temporal.get_workflow_handle(f"document-{document_id}-review")
        try:
            # The page does not wait long on Temporal: without an answer it shows no form.
            status = await handle.query("status", rpc_timeout=QUERY_TIMEOUT)
            task_id = status.get("task_id")
        except (RPCError, WorkflowQueryFailedError):
            task_id = None
    published = document.get("published_edition") is not None
    head = user.has_any("head_of_department")
    return {
        "task_id": task_id,
        "may_review": bool(task_id) and (user.id == document.get("owner") or head),
        "may_plan": document["document_type"] == "web_page" and user.has_any(*KEEPERS),
        "may_schedule": published and head and document.get("state") != "unpublished",
        "staff": await staff(runtime) if user.has_any(*KEEPERS) else [],
        "intervals": INTERVALS,
        "next_review_input": local_input(document.get("next_review_at")),
        "unpublish_input": local_input(document.get("unpublish_at")),
    }


async def _send(
    request: Request, signed: Signed, document_id: int, method: str, path: str, **body: Any
) -> Response:
    """Send the change; the document's page with the reason when it is refused."""
    from services.portal.documents import document_page

    services = services_of(runtime_of(request))
    target = f"/documents/{document_id}{path}"
    try:
        await services.call(signed.user, method, "publishing", target, **body)
    except ServiceRefused as refused:
        return await document_page(
            request,
            signed,
            document_id,
            status_code=refused.status if 400 <= refused.status < 500 else 409,
            keeping_error=refused.detail or refused.title,
        )
    return redirect(f"/documents/{document_id}#keeping")


def _refused(message: str) -> dict[str, Any]:
    return {"keeping_error": message}


@router.post("/documents/{document_id}/review-plan")
async def set_review_plan(
    request: Request, signed: Staff, document_id: Id, submitted: CheckedForm
) -> Response:
    from services.portal.documents import document_page

    form = KeptForm({name: str(submitted.get(name) or "").strip() for name in PLAN_FIELDS})
    check_plan(form)
    await check_owner(runtime_of(request), form)
    if form.errors:
        message = " ".join(form.errors.values())
        return await document_page(
            request, signed, document_id, status_code=422, **_refused(message)
        )
    plan = plan_of(form)
    return await _send(request, signed, document_id, "PUT", "/review-plan", json=plan)


@router.post("/documents/{document_id}/page-review")
async def review_page(
    request: Request,
    signed: Staff,
    document_id: Id,
    outcome: Annotated[str, Form(max_length=20)] = "",
    comment: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    from services.portal.documents import document_page

    if outcome not in ("reviewed", "needs_changes"):
        return await document_page(
            request, signed, document_id, status_code=422, **_refused(_("Choose a decision."))
        )
    if outcome == "needs_changes" and not comment.strip():
        return await document_page(
            request, signed, document_id, status_code=422,
            **_refused(_("Say in the comment what needs to change.")),
        )  # fmt: skip
    body = {"outcome": outcome, "comment": comment.strip() or None}
    return await _send(request, signed, document_id, "POST", "/review", json=body)


@router.post("/documents/{document_id}/scheduled-unpublish")
async def schedule_unpublishing(
    request: Request,
    signed: Staff,
    document_id: Id,
    at: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    from services.portal.documents import document_page

    try:
        moment = tbilisi(at) if at else None
    except ValueError:
        moment = None
    if moment is None or len(reason.strip()) < 3:
        return await document_page(
            request, signed, document_id, status_code=422,
            **_refused(_("Give the time to take it down and the reason shown in its place.")),
        )  # fmt: skip
    body = {"at": moment.isoformat(), "reason": reason.strip()}
    return await _send(request, signed, document_id, "PUT", "/scheduled-unpublish", json=body)


@router.post("/documents/{document_id}/scheduled-unpublish/cancel")
async def cancel_unpublishing(request: Request, signed: Staff, document_id: Id) -> Response:
    return await _send(request, signed, document_id, "DELETE", "/scheduled-unpublish")
