"""Visits in the portal: the list, the "new visit" form, and the visit's page with its
programme, logistics tasks (with owners, due dates and status), budget, delegation
members (for the protocol roles only, as the visits service decides) and report, and the
forms that act on it: the mayor's decision, closing or waiving a task, new dates,
postponement and cancellation.

Every page is the visits service's API with a face. A refused form comes back with what
was typed and the service's message; the visit's workflow has the last word on who may
decide what. Dates are the city hall's (Tbilisi) calendar.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import Response

from meria.inputs import Id, Page
from services.portal.accounts import Signed, display_names
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, lines, local_input, tbilisi, text, values_of
from services.portal.i18n import N_, TBILISI, _, current_language, day
from services.portal.labels import ROLES, labels
from services.portal.panels import Panels, pending_work
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

KINDS = {
    "incoming_official": N_("Official delegation to the municipality"),
    "incoming_working": N_("Working visit to the municipality"),
    "outgoing_official": N_("Official visit abroad"),
    "outgoing_study": N_("Study visit abroad"),
}
VISIT_STATES = {
    "requested": N_("Waiting for the mayor's approval"),
    "approved": N_("Approved"),
    "in_preparation": N_("In preparation"),
    "ready": N_("Ready"),
    "under_way": N_("Under way"),
    "report_due": N_("Report due"),
    "closed": N_("Closed"),
    "postponed": N_("Postponed"),
    "cancelled": N_("Cancelled"),
}
TASK_STATES = {
    "open": N_("Open"),
    "done": N_("Done"),
    "waived": N_("Waived"),
    "cancelled": N_("Cancelled"),
}
PROGRAMME_KINDS = {
    "meeting": N_("Meeting"),
    "site_visit": N_("Site visit"),
    "meal": N_("Meal"),
    "cultural": N_("Cultural programme"),
    "press_event": N_("Press event"),
    "travel": N_("Travel"),
}
BUDGET_CATEGORIES = {
    "accommodation": N_("Accommodation"),
    "transport": N_("Transport"),
    "tickets": N_("Tickets"),
    "meals": N_("Meals"),
    "interpretation": N_("Interpretation"),
    "gifts": N_("Gifts"),
    "per_diem": N_("Per diem"),
    "visas": N_("Visas"),
    "venue": N_("Venue"),
    "printing": N_("Printing"),
    "other": N_("Other"),
}
DELEGATION_ROLES = {
    "head": N_("Head of the delegation"),
    "deputy_head": N_("Deputy head"),
    "member": N_("Member"),
    "interpreter": N_("Interpreter"),
    "journalist": N_("Journalist"),
    "security": N_("Security"),
    "staff": N_("Staff"),
}
OWNER_ROLES = ("protocol_officer", "head_of_department", "media_officer", "editor")
PROTOCOL = ("protocol_officer", "head_of_department")
# The visit's tasks run (and can be closed) from the mayor's approval until it is closed.
TASKS_RUNNING = ("approved", "in_preparation", "ready", "under_way", "report_due")
FIELDS = (
    "kind",
    "title_ka",
    "title_en",
    "purpose_ka",
    "purpose_en",
    "partner_id",
    "country",
    "city",
    "places",
    "languages",
    "arrival_on",
    "departure_on",
    "arrives_at",
    "departs_at",
    "responsible",
    "press_editor",
)
TASK_ID = re.compile(r"^visit-(\d+)-task-([a-z][a-z0-9_]+?)(?:-r\d+)?$")


def task_of_workflow(task_id: str) -> tuple[int, str] | None:
    """`visit-12-task-accommodation-r1` → (12, "accommodation")."""
    found = TASK_ID.match(task_id)
    return (int(found.group(1)), found.group(2)) if found else None


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return str(Locale(current_language.get()).territories.get(code, code))


def language_name(code: str) -> str:
    return str(Locale(current_language.get()).languages.get(code, code))


def _day(value: str) -> date:
    return date.fromisoformat(value)


class VisitForm(KeptForm):
    @classmethod
    def from_form(cls, form: Any) -> VisitForm:
        return cls(values_of(form, FIELDS))

    def check(self) -> None:
        if self.get("kind") not in KINDS:
            self.errors["kind"] = _("Choose the kind of visit.")
        if not self.get("title_ka"):
            self.errors["title_ka"] = _("The Georgian title is required.")
        if not self.get("purpose_ka"):
            self.errors["purpose_ka"] = _("Say what the visit is for, in Georgian.")
        if not re.fullmatch(r"[A-Za-z]{2}", self.get("country")):
            self.errors["country"] = _("Choose the country.")
        days: dict[str, date] = {}
        for name in ("arrival_on", "departure_on"):
            try:
                days[name] = _day(self.get(name))
            except ValueError:
                self.errors[name] = _("Give the date as the calendar shows it.")
        if len(days) == 2 and days["departure_on"] < days["arrival_on"]:
            self.errors["departure_on"] = _("The departure cannot come before the arrival.")
        for name in ("arrives_at", "departs_at"):
            if self.get(name):
                try:
                    tbilisi(self.get(name))
                except ValueError:
                    self.errors[name] = _("Give the time as the calendar shows it.")

    def creation(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": self.get("kind"),
            "title_ka": self.get("title_ka"),
            "purpose_ka": self.get("purpose_ka"),
            "country": self.get("country").upper(),
            "arrival_on": self.get("arrival_on"),
            "departure_on": self.get("departure_on"),
            "places": lines(self.get("places")),
            "languages": [
                code.strip().lower()
                for code in re.split(r"[,\s]+", self.get("languages"))
                if code.strip()
            ],
        }
        for name in ("title_en", "purpose_en", "city", "responsible", "press_editor"):
            if self.get(name):
                body[name] = self.get(name)
        if self.get("partner_id").isdigit():
            body["partner_id"] = int(self.get("partner_id"))
        for name in ("arrives_at", "departs_at"):
            if self.get(name):
                body[name] = tbilisi(self.get(name)).isoformat()
        return body


async def form_page(
    request: Request,
    signed: Signed,
    form: VisitForm,
    *,
    message: str = "",
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Sending the request"), unavailable)
    partners = await panels.read(
        "partners", _("Partners"),
        services_of(runtime_of(request)).get(signed.user, "visits", "/partners"), [],
    )  # fmt: skip
    language = current_language.get()
    countries = sorted(
        (
            (str(code), str(name))
            for code, name in Locale(language).territories.items()
            if len(str(code)) == 2 and str(code).isalpha() and str(code) not in ("ZZ", "QO", "EZ")
        ),
        key=lambda pair: pair[1],
    )
    return await render(
        request,
        "visits/visit_form.html",
        status_code=status_code,
        form=form,
        message=message,
        panels=panels,
        kinds=labels(KINDS),
        partners=partners,
        countries=countries,
    )


# The list, a page at a time.

PER_PAGE = 50


@router.get("/visits")
async def visits_page(
    request: Request,
    signed: Staff,
    status: str = "",
    direction: str = "",
    text: str = "",
    page: Page = 1,
) -> Response:
    page = max(page, 1)
    params: dict[str, Any] = {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}
    if status in VISIT_STATES:
        params["status"] = status
    if direction in ("incoming", "outgoing"):
        params["direction"] = direction
    if text.strip():
        params["text"] = text.strip()[:200]
    found = await services_of(runtime_of(request)).get(
        signed.user, "visits", "/visits", params=params
    )
    return await render(
        request,
        "visits/visits.html",
        visits=found["items"],
        total=found["total"],
        page=page,
        pages=max(1, -(-found["total"] // PER_PAGE)),
        chosen={"status": params.get("status", ""), "direction": direction, "text": text},
        kinds=labels(KINDS),
        visit_states=labels(VISIT_STATES),
        country_name=country_name,
        day=day,
        may_request=signed.user.has_any(*PROTOCOL),
    )


# A new visit.


@router.get("/visits/new")
async def new_visit(request: Request, signed: Staff, kind: str = "") -> Response:
    arrival = datetime.now(TBILISI).date() + timedelta(days=45)
    form = VisitForm(
        {
            "kind": kind if kind in KINDS else "",
            "arrival_on": arrival.isoformat(),
            "departure_on": (arrival + timedelta(days=2)).isoformat(),
            "languages": "ka, en",
            "responsible": signed.user.id,
        }
    )
    return await form_page(request, signed, form)


@router.post("/visits/new")
async def request_visit(request: Request, signed: Staff) -> Response:
    form = VisitForm.from_form(await request.form())
    form.check()
    if form.errors:
        return await form_page(
            request, signed, form, message=_("Some fields need attention."), status_code=422
        )
    try:
        created = await services_of(runtime_of(request)).post(
            signed.user, "visits", "/visits", json=form.creation()
        )
    except ServiceRefused as refused:
        message = form.take_refusal(refused) or _("Some fields need attention.")
        return await form_page(request, signed, form, message=message, status_code=refused.status)
    except ServiceUnavailable as unavailable:
        # Sent again, the form carries the same submission: the visit is requested once.
        return await form_page(request, signed, form, status_code=503, unavailable=unavailable)
    return redirect(f"/visits/{created['id']}?done=requested")


# A visit's page.


async def visit_page(
    request: Request,
    signed: Signed,
    visit_id: int,
    *,
    form_error: str = "",
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    runtime = runtime_of(request)
    services = services_of(runtime)
    user = signed.user
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Your change"), unavailable)

    async def where_it_stands() -> dict[str, Any] | None:
        try:
            found: dict[str, Any] | None = await panels.read(
                "status", _("Where it stands"),
                services.get(user, "visits", f"/visits/{visit_id}/status"), None,
            )  # fmt: skip
            return found
        except ServiceRefused:
            return None

    # The visit, its history, where its case stands and what its workflow retries, at once.
    visit, history, status, pending = await asyncio.gather(
        services.get(user, "visits", f"/visits/{visit_id}"),
        panels.read(
            "history",
            _("History"),
            services.get(user, "visits", f"/visits/{visit_id}/history"),
            [],
        ),
        where_it_stands(),
        pending_work(runtime, f"visit-{visit_id}"),
    )
    running = {task["key"]: task for task in (status or {}).get("tasks", [])}
    async with runtime_of(request).db().session() as session:
        people = await display_names(
            session,
            {entry["actor"] for entry in history}
            | {visit["created_by"], visit.get("responsible") or "", visit.get("approved_by") or ""}
            | {task.get("owner") or "" for task in visit["tasks"]}
            | {task.get("closed_by") or "" for task in visit["tasks"]}
            | {task.get("assignee") or "" for task in running.values()},
        )
    now = datetime.now(UTC)
    tasks = sorted(visit["tasks"], key=lambda task: (task["status"] != "open", task["due_at"]))
    open_required = [t for t in tasks if t["status"] == "open" and t["required"]]
    return await render(
        request,
        "visits/visit.html",
        status_code=status_code,
        visit=visit,
        tasks=tasks,
        running=running,
        open_required=open_required,
        status=status,
        history=history,
        people=people,
        form_error=form_error,
        panels=panels,
        pending=pending,
        done=request.query_params.get("done", ""),
        kinds=labels(KINDS),
        visit_states=labels(VISIT_STATES),
        task_states=labels(TASK_STATES),
        programme_kinds=labels(PROGRAMME_KINDS),
        budget_categories=labels(BUDGET_CATEGORIES),
        delegation_roles=labels(DELEGATION_ROLES),
        roles=labels(ROLES),
        owner_roles=OWNER_ROLES,
        country_name=country_name,
        language_name=language_name,
        day=day,
        local_input=local_input,
        tasks_running=visit["status"] in TASKS_RUNNING,
        is_protocol=user.has_any(*PROTOCOL),
        is_mayor=user.has_any("mayor"),
        now=now,
    )


@router.get("/visits/{visit_id}")
async def show_visit(request: Request, signed: Staff, visit_id: Id) -> Response:
    return await visit_page(request, signed, visit_id)


@router.get("/visits/{visit_id}/programme.ics")
async def programme_calendar(request: Request, signed: Staff, visit_id: Id) -> Response:
    """The programme as a calendar file for the participants, in the page's language."""
    services = services_of(runtime_of(request))
    response = await services.http.get(
        services.url("visits", f"/visits/{visit_id}/programme.ics"),
        params={"lang": current_language.get()},
        headers=services.headers(signed.user),
    )
    if response.status_code != 200:
        return await visit_page(
            request, signed, visit_id, status_code=response.status_code,
            form_error=_("The programme's calendar file is not available now."),
        )  # fmt: skip
    return Response(
        response.content,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="visit-{visit_id}.ics"'},
    )


async def _act(
    request: Request,
    signed: Signed,
    visit_id: int,
    method: str,
    path: str,
    body: Any,
    done: str,
    anchor: str = "",
) -> Response:
    """Ask the visits service; its refusal is shown at the top of the visit's page."""
    try:
        await services_of(runtime_of(request)).call(
            signed.user, method, "visits", f"/visits/{visit_id}{path}", json=body
        )
    except ServiceRefused as refused:
        named = refused.field_errors
        detail = "; ".join(named.values()) if named else (refused.detail or refused.title)
        return await visit_page(
            request, signed, visit_id, form_error=detail, status_code=refused.status
        )
    except ServiceUnavailable as unavailable:
        return await visit_page(request, signed, visit_id, status_code=503, unavailable=unavailable)
    return redirect(f"/visits/{visit_id}?done={done}{'#' + anchor if anchor else ''}")


async def _refuse(request: Request, signed: Signed, visit_id: int, message: str) -> Response:
    return await visit_page(request, signed, visit_id, form_error=message, status_code=422)


@router.post("/visits/{visit_id}/decision")
async def decide(request: Request, signed: Staff, visit_id: Id) -> Response:
    form = await request.form()
    outcome = text(form, "outcome")
    comment = text(form, "comment")
    if outcome not in ("approve", "decline"):
        return await _refuse(request, signed, visit_id, _("Choose a decision."))
    if outcome == "decline" and not comment:
        return await _refuse(
            request, signed, visit_id, _("Say why the visit is declined: the request keeps it.")
        )
    body = {"outcome": outcome, "comment": comment or None}
    return await _act(request, signed, visit_id, "POST", "/decisions", body, outcome + "d")


@router.post("/visits/{visit_id}/tasks/{key}")
async def close_task(request: Request, signed: Staff, visit_id: Id, key: str) -> Response:
    """Done, waived (with the reason), claimed or released, from the task's row."""
    form = await request.form()
    action = text(form, "action")
    note = text(form, "note")
    if action == "waive":
        if len(note) < 3:
            return await _refuse(
                request, signed, visit_id, _("Say why the task is waived: the reason is kept.")
            )
        body: Any = {"reason": note}
    elif action == "complete":
        body = {"notes": note or None}
    elif action in ("claim", "unclaim"):
        body = None
    else:
        return await _refuse(request, signed, visit_id, _("Choose what to do with the task."))
    answer = await _act(
        request, signed, visit_id, "POST", f"/tasks/{key}/{action}", body, f"task_{action}",
        anchor="tasks",
    )  # fmt: skip
    if answer.status_code < 400 and action in ("complete", "waive"):
        await services_of(runtime_of(request)).settle(
            signed.user, "visits", f"/visits/{visit_id}",
            lambda visit: any(t["key"] == key and t["status"] != "open" for t in visit["tasks"]),
        )  # fmt: skip
    return answer


def _task_key(title: str, taken: set[str]) -> str:
    """A key for a task added by hand: from its English title where it has one."""
    base = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")[:40]
    base = base if re.fullmatch(r"[a-z][a-z0-9_]{1,39}", base or "") else "task"
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


@router.post("/visits/{visit_id}/tasks")
async def add_task(request: Request, signed: Staff, visit_id: Id) -> Response:
    form = await request.form()
    title_ka = text(form, "title_ka")
    if not title_ka:
        return await _refuse(request, signed, visit_id, _("Name the task in Georgian."))
    days = text(form, "offset_days") or "-7"
    if not re.fullmatch(r"-?\d{1,3}", days):
        return await _refuse(
            request, signed, visit_id, _("Give the days before (−) or after arrival as a number.")
        )
    visit = await services_of(runtime_of(request)).get(signed.user, "visits", f"/visits/{visit_id}")
    title_en = text(form, "title_en")
    body: dict[str, Any] = {
        "key": _task_key(title_en, {task["key"] for task in visit["tasks"]}),
        "title_ka": title_ka,
        "title_en": title_en or None,
        "owner_role": text(form, "owner_role") or "protocol_officer",
        "anchor": "departure" if form.get("anchor") == "departure" else "arrival",
        "offset_days": int(days),
        "required": bool(form.get("required")),
    }
    if text(form, "owner"):
        body["owner"] = text(form, "owner")
    return await _act(
        request, signed, visit_id, "POST", "/tasks", body, "task_added", anchor="tasks"
    )


@router.post("/visits/{visit_id}/programme")
async def add_programme_item(request: Request, signed: Staff, visit_id: Id) -> Response:
    form = await request.form()
    try:
        starts, ends = tbilisi(text(form, "starts_at")), tbilisi(text(form, "ends_at"))
    except ValueError:
        return await _refuse(
            request, signed, visit_id, _("Give the item's start and end as the calendar shows it.")
        )
    if not text(form, "title_ka") or not text(form, "place_ka"):
        return await _refuse(
            request, signed, visit_id, _("An item needs its Georgian title and place.")
        )
    body: dict[str, Any] = {
        "kind": text(form, "kind") or "meeting",
        "starts_at": starts.isoformat(),
        "ends_at": ends.isoformat(),
        "title_ka": text(form, "title_ka"),
        "place_ka": text(form, "place_ka"),
        "participants": lines(text(form, "participants")),
    }
    for name in ("title_en", "place_en", "notes"):
        if text(form, name):
            body[name] = text(form, name)
    return await _act(
        request, signed, visit_id, "POST", "/programme", body, "item_added", anchor="programme"
    )


@router.post("/visits/{visit_id}/programme/{item_id}/remove")
async def remove_programme_item(
    request: Request, signed: Staff, visit_id: Id, item_id: Id
) -> Response:
    return await _act(
        request, signed, visit_id, "DELETE", f"/programme/{item_id}", None, "item_removed",
        anchor="programme",
    )  # fmt: skip


@router.post("/visits/{visit_id}/members")
async def add_member(request: Request, signed: Staff, visit_id: Id) -> Response:
    form = await request.form()
    if not text(form, "full_name"):
        return await _refuse(request, signed, visit_id, _("Give the member's full name."))
    body: dict[str, Any] = {
        "full_name": text(form, "full_name"),
        "delegation_role": text(form, "delegation_role") or "member",
    }
    for name in ("position", "organisation", "dietary_needs", "access_needs"):
        if text(form, name):
            body[name] = text(form, name)
    for name in ("country", "interpretation_language"):
        if text(form, name):
            body[name] = text(form, name).upper() if name == "country" else text(form, name)
    return await _act(
        request, signed, visit_id, "POST", "/members", body, "member_added", anchor="members"
    )


@router.post("/visits/{visit_id}/members/{member_id}/remove")
async def remove_member(request: Request, signed: Staff, visit_id: Id, member_id: Id) -> Response:
    return await _act(
        request, signed, visit_id, "DELETE", f"/members/{member_id}", None, "member_removed",
        anchor="members",
    )  # fmt: skip


def _gel(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    return amount if amount >= 0 and amount == amount.quantize(Decimal("0.01")) else None


@router.post("/visits/{visit_id}/budget")
async def add_budget_line(request: Request, signed: Staff, visit_id: Id) -> Response:
    form = await request.form()
    planned = _gel(text(form, "planned_gel"))
    actual_text = text(form, "actual_gel")
    actual = _gel(actual_text) if actual_text else None
    if planned is None or (actual_text and actual is None):
        return await _refuse(
            request, signed, visit_id, _("Amounts are in lari with at most two decimals: 1250.50.")
        )
    if not text(form, "description_ka"):
        return await _refuse(request, signed, visit_id, _("Describe the line in Georgian."))
    body: dict[str, Any] = {
        "category": text(form, "category") or "other",
        "description_ka": text(form, "description_ka"),
        "planned_gel": str(planned),
    }
    if actual is not None:
        body["actual_gel"] = str(actual)
    return await _act(
        request, signed, visit_id, "POST", "/budget", body, "line_added", anchor="budget"
    )


@router.post("/visits/{visit_id}/budget/{line_id}")
async def record_actual(request: Request, signed: Staff, visit_id: Id, line_id: Id) -> Response:
    form = await request.form()
    actual = _gel(text(form, "actual_gel"))
    if actual is None:
        return await _refuse(
            request, signed, visit_id, _("Amounts are in lari with at most two decimals: 1250.50.")
        )
    return await _act(
        request, signed, visit_id, "PATCH", f"/budget/{line_id}", {"actual_gel": str(actual)},
        "line_changed", anchor="budget",
    )  # fmt: skip


@router.post("/visits/{visit_id}/report")
async def write_report(request: Request, signed: Staff, visit_id: Id) -> Response:
    """Save the report, and with "submit" mark its task done: the press release follows."""
    form = await request.form()
    outcomes = text(form, "outcomes_ka")
    if not outcomes:
        return await _refuse(request, signed, visit_id, _("Write the outcomes in Georgian."))
    body = {
        "outcomes_ka": outcomes,
        "outcomes_en": text(form, "outcomes_en") or None,
        "agreements_reached_ka": text(form, "agreements_reached_ka") or None,
        "agreements_reached_en": text(form, "agreements_reached_en") or None,
    }
    saved = await _act(
        request, signed, visit_id, "PUT", "/report", body, "report_saved", anchor="report"
    )
    if saved.status_code >= 400 or form.get("action") != "submit":
        return saved
    return await _act(
        request, signed, visit_id, "POST", "/tasks/report/complete", {"notes": None},
        "report_submitted", anchor="report",
    )  # fmt: skip


@router.post("/visits/{visit_id}/change")
async def change_visit(request: Request, signed: Staff, visit_id: Id) -> Response:
    """New dates, postponement (until further notice, or to new dates), or cancellation."""
    form = await request.form()
    action = text(form, "action")
    reason = text(form, "reason")
    if action not in ("dates", "postpone", "cancel"):
        return await _refuse(request, signed, visit_id, _("Choose what to do."))
    if len(reason) < 3:
        return await _refuse(
            request, signed, visit_id, _("Say why: the reason is kept with the visit.")
        )
    body: dict[str, Any] = {"reason": reason}
    arrival, departure = text(form, "arrival_on"), text(form, "departure_on")
    if action == "dates" or (action == "postpone" and (arrival or departure)):
        try:
            body["arrival_on"] = _day(arrival).isoformat()
            body["departure_on"] = _day(departure).isoformat()
        except ValueError:
            return await _refuse(
                request, signed, visit_id, _("Give both new dates as the calendar shows them.")
            )
    if action == "dates":
        return await _act(request, signed, visit_id, "PUT", "/dates", body, "dates_changed")
    done = "postponed" if action == "postpone" else "cancelled"
    return await _act(request, signed, visit_id, "POST", f"/{action}", body, done)
