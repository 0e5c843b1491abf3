"""Events in the portal: the calendar (a month, or a list), the form for a new event or
press conference, and the event's page with its workflow, tasks and the forms that act on
it (postpone, move, cancel; briefing note, minutes, follow-up actions, press release).

Every page is the events service's API with a face: a refused form comes back with what
was typed and the service's message, a conflict with the events it collides with and a
place to give the reason for booking anyway. Times are typed and shown in Tbilisi time.
"""

from __future__ import annotations

import asyncio
import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meria.inputs import Id, Page
from services.portal.accounts import display_names
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, local_input, tbilisi, text, values_of
from services.portal.i18n import N_, TBILISI, _
from services.portal.labels import ROLES, labels
from services.portal.panels import Panels, pending_work
from services.portal.partners_pages import READERS as PARTNER_READERS
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

KINDS = {
    "press_conference": N_("Press conference"),
    "ceremony": N_("Ceremony"),
    "official_meeting": N_("Official meeting"),
    "foundation_meeting": N_("Meeting with a foundation or NGO"),
    "festival": N_("Festival"),
    "tourism_event": N_("Tourism event"),
    "visit_programme": N_("Visit programme"),
}
CREATABLE = tuple(kind for kind in KINDS if kind != "visit_programme")
EVENT_STATES = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "postponed": N_("Postponed"),
    "rescheduled": N_("Moved to a new date"),
    "cancelled": N_("Cancelled"),
    "completed": N_("Held"),
}
STAGES = {
    "scheduled": N_("Preparing"),
    "postponed": N_("Postponed"),
    "held": N_("Held"),
    "follow_up": N_("Follow-up"),
    "done": N_("Done"),
    "closed": N_("Closed"),
    "cancelled": N_("Cancelled"),
}
TASKS = {
    "briefing": N_("Briefing note"),
    "minutes": N_("Minutes"),
    "press_release": N_("Press release"),
    "transcript": N_("Transcript"),
    "action": N_("Follow-up action"),
}
FOLLOW_UPS = {"press_release": N_("Press release"), "transcript": N_("Transcript")}
PARTICIPANT_KINDS = {
    "guest": N_("Guest"),
    "partner": N_("Partner's representative"),
    "official": N_("Official"),
    "journalist": N_("Journalist"),
    "staff": N_("Staff"),
}
RSVPS = {
    "pending": N_("No answer yet"),
    "accepted": N_("Will attend"),
    "tentative": N_("May attend"),
    "declined": N_("Cannot attend"),
}
INVITATION_STATES = {
    "pending": N_("Email being sent"),
    "sent": N_("Email sent"),
    "failed": N_("Email not delivered"),
}
# Who the events service lets invite.
PLANNERS = ("protocol_officer", "media_officer", "head_of_department", "editor")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ACTION_ROLES = ("protocol_officer", "media_officer", "editor", "head_of_department")
FIELDS = (
    "kind",
    "title_ka",
    "title_en",
    "description_ka",
    "description_en",
    "venue_id",
    "place_ka",
    "place_en",
    "starts_at",
    "ends_at",
    "partner_id",
    "partner_ka",
    "partner_en",
    "responsible",
    "follow_up_kind",
    "organiser_ka",
    "expected_attendance",
    "conflict_override_reason",
    "rrule",
)


@dataclass
class EventForm(KeptForm):
    officials: list[str] = field(default_factory=list)
    public: bool = False
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: Any) -> EventForm:
        officials = [str(code) for code in form.getlist("officials")]
        return cls(values_of(form, FIELDS), officials=officials, public=bool(form.get("public")))

    def check(self) -> None:
        if self.get("kind") not in CREATABLE:
            self.errors["kind"] = _("Choose the kind of event.")
        if not self.get("title_ka"):
            self.errors["title_ka"] = _("The Georgian title is required.")
        for name in ("starts_at", "ends_at"):
            try:
                tbilisi(self.get(name))
            except ValueError:
                self.errors[name] = _("Give the date and time as the calendar shows it.")
        times_read = not self.errors.get("starts_at") and not self.errors.get("ends_at")
        if times_read and tbilisi(self.get("ends_at")) <= tbilisi(self.get("starts_at")):
            self.errors["ends_at"] = _("The event ends after it starts.")
        if self.get("partner_id") and not self.get("partner_id").isdigit():
            self.errors["partner_id"] = _("Choose the partner from the list.")
        if (
            self.get("kind") == "foundation_meeting"
            and not self.get("partner_ka")
            and not self.get("partner_id")
        ):
            self.errors["partner_ka"] = _("Name the foundation or NGO.")
        if not self.get("venue_id") and not self.get("place_ka"):
            self.errors["venue_id"] = _("Choose a venue, or say where it takes place.")
        attendance = self.get("expected_attendance")
        if attendance and not attendance.isdigit():
            self.errors["expected_attendance"] = _("The number of people is a whole number.")

    def pick_partner(self, partners: list[dict[str, Any]]) -> None:
        """A partner picked from the register gives the meeting its names, unless typed."""
        chosen = next((p for p in partners if str(p["id"]) == self.get("partner_id")), None)
        if self.get("partner_id") and chosen is None:
            self.errors["partner_id"] = _("This partner is no longer in the register.")
        if chosen is not None:
            self.values["partner_ka"] = self.get("partner_ka") or chosen["name_ka"]
            self.values["partner_en"] = self.get("partner_en") or (chosen.get("name_en") or "")

    def creation(self, schedule: bool) -> dict[str, Any]:
        kind = self.get("kind")
        body: dict[str, Any] = {
            "kind": kind,
            "schedule": schedule,
            "title_ka": self.get("title_ka"),
            "public": self.public,
            "officials": self.officials,
            "starts_at": tbilisi(self.get("starts_at")).isoformat(),
            "ends_at": tbilisi(self.get("ends_at")).isoformat(),
        }
        for name in (
            "title_en",
            "description_ka",
            "description_en",
            "place_ka",
            "place_en",
            "organiser_ka",
            "responsible",
            "conflict_override_reason",
        ):
            if self.get(name):
                body[name] = self.get(name)
        if self.get("venue_id").isdigit():
            body["venue_id"] = int(self.get("venue_id"))
        if self.get("expected_attendance"):
            body["expected_attendance"] = int(self.get("expected_attendance"))
        if kind in ("foundation_meeting", "official_meeting"):
            for name in ("partner_ka", "partner_en"):
                if self.get(name):
                    body[name] = self.get(name)
            if self.get("partner_id").isdigit():
                body["partner_id"] = int(self.get("partner_id"))
        if kind == "press_conference" and self.get("follow_up_kind") in FOLLOW_UPS:
            body["follow_up_kind"] = self.get("follow_up_kind")
        if self.get("rrule"):
            body["recurrence"] = {"rrule": self.get("rrule")}
        return body

    def take_refusal(self, refused: ServiceRefused) -> str:
        """Messages beside the fields the service named, the conflicts listed; the rest
        for the form's top."""
        self.conflicts = list(refused.body.get("conflicts") or [])
        named = refused.field_errors
        for name, message in named.items():
            self.errors[name if name in FIELDS else "rrule" if name == "recurrence" else name] = (
                message
            )
        self.keep_what_fits(refused)
        if self.conflicts:
            # The service's sentence names its API's field; the form lists the clashes
            # and offers the reason field itself.
            return _("The venue or an official is already booked at that time.")
        return "" if named else (refused.detail or refused.title)


async def _choices(request: Request, signed: Any, panels: Panels) -> dict[str, Any]:
    services = services_of(runtime_of(request))
    parts: list[tuple[str, str, Any, Any]] = [
        ("venues", _("Venues"), services.get(signed.user, "events", "/venues"), []),
        ("officials", _("Officials"), services.get(signed.user, "events", "/officials"), []),
    ]
    if signed.user.has_any(*PARTNER_READERS):
        partners = services.get(signed.user, "visits", "/partners", params={"limit": 1000})
        parts.append(("partners", _("Partners"), partners, []))
    venues, officials, *rest = await panels.read_all(*parts)
    partners = rest[0] if rest else []
    return {"partners": partners, "venues": venues, "officials": officials}


async def form_page(
    request: Request,
    signed: Any,
    form: EventForm,
    *,
    message: str = "",
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    panels = Panels()
    choices = await _choices(request, signed, panels)
    return await render(
        request,
        "events/event_form.html",
        status_code=status_code,
        form=form,
        message=message,
        unavailable=unavailable,
        panels=panels,
        kinds={key: _(KINDS[key]) for key in CREATABLE},
        follow_ups=labels(FOLLOW_UPS),
        **choices,
    )


# The calendar.


def _month(value: str) -> date:
    try:
        year, number = (int(part) for part in value.split("-"))
        return date(year, number, 1)
    except ValueError:
        today = datetime.now(TBILISI).date()
        return today.replace(day=1)


# A day of the month shows its first few events and a link to the rest; the list is a
# page at a time. A busy March holds close to a thousand: shown whole they are a wall, and
# the page would cost what no one reads.
DAY_SHOWN = 4
LIST_PER_PAGE = 50


def _day_bounds(first: date, day: int) -> tuple[datetime, datetime] | None:
    try:
        chosen = first.replace(day=day)
    except ValueError:
        return None
    start = datetime(chosen.year, chosen.month, chosen.day, tzinfo=TBILISI)
    return start, start + timedelta(days=1)


@router.get("/events")
async def calendar_page(
    request: Request,
    signed: Staff,
    month: str = "",
    view: str = "month",
    kind: str = "",
    day: str = "",
    page: Page = 1,
) -> Response:
    first = _month(month)
    listing = view == "list"
    bounds = _day_bounds(first, int(day)) if listing and day.isdigit() else None
    params: dict[str, Any] = {"month": f"{first:%Y-%m}", "limit": 2000}
    if listing:
        params = {"month": f"{first:%Y-%m}", "limit": LIST_PER_PAGE,
                  "offset": (page - 1) * LIST_PER_PAGE}  # fmt: skip
        if bounds:
            params = {k: v for k, v in params.items() if k != "month"}
            params |= {"from": bounds[0].isoformat(), "to": bounds[1].isoformat()}
    if kind in KINDS:
        params["kind"] = kind
    found = await services_of(runtime_of(request)).get(
        signed.user, "events", "/events", params=params
    )
    by_day: dict[int, list[dict[str, Any]]] = {}
    more: dict[int, int] = {}
    for event in found["items"]:
        start = datetime.fromisoformat(event["starts_at"]).astimezone(TBILISI)
        end = datetime.fromisoformat(event["ends_at"]).astimezone(TBILISI)
        event["local_start"], event["local_end"] = start, end
        if listing:
            continue
        # A festival of several days is shown on each of its days within the month.
        shown = max(start.date(), first)
        while shown <= end.date() and shown.month == first.month:
            events_of_day = by_day.setdefault(shown.day, [])
            if len(events_of_day) < DAY_SHOWN:
                events_of_day.append(event)
            else:
                more[shown.day] = more.get(shown.day, 0) + 1
            shown += timedelta(days=1)
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return await render(
        request,
        "events/calendar.html",
        events=found["items"] if listing else [],
        total=found["total"],
        by_day=by_day,
        more=more,
        weeks=calendar.Calendar().monthdayscalendar(first.year, first.month),
        month=f"{first:%Y-%m}",
        first=first,
        previous=f"{previous:%Y-%m}",
        following=f"{following:%Y-%m}",
        view="list" if listing else "month",
        day=bounds[0] if bounds else None,
        page=page,
        pages=max(1, -(-found["total"] // LIST_PER_PAGE)) if listing else 1,
        chosen_kind=kind if kind in KINDS else "",
        kinds=labels(KINDS),
        event_states=labels(EVENT_STATES),
        today=datetime.now(TBILISI).date(),
    )


# A new event.


@router.get("/events/new")
async def new_event(request: Request, signed: Staff, kind: str = "") -> Response:
    now = datetime.now(TBILISI).replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    form = EventForm(
        {
            "kind": kind if kind in CREATABLE else "",
            "starts_at": local_input(now.replace(hour=11)),
            "ends_at": local_input(now.replace(hour=12)),
            "responsible": signed.user.id,
            "follow_up_kind": "press_release",
        },
        public=kind in ("press_conference", "festival", "tourism_event", "ceremony"),
    )
    return await form_page(request, signed, form)


@router.post("/events/new")
async def create_event(request: Request, signed: Staff) -> Response:
    submitted = await request.form()
    form = EventForm.from_form(submitted)
    form.check()
    if form.get("partner_id") and not form.errors:
        partners = await services_of(runtime_of(request)).get(
            signed.user, "visits", "/partners", params={"limit": 1000}
        )
        form.pick_partner(partners)
    if form.errors:
        return await form_page(
            request, signed, form, message=_("Some fields need attention."), status_code=422
        )
    schedule = submitted.get("action") == "schedule"
    try:
        created = await services_of(runtime_of(request)).post(
            signed.user, "events", "/events", json=form.creation(schedule)
        )
    except ServiceRefused as refused:
        message = form.take_refusal(refused) or _("Some fields need attention.")
        return await form_page(request, signed, form, message=message, status_code=refused.status)
    except ServiceUnavailable as unavailable:
        # Sent again, the form carries the same submission: the event is created once.
        return await form_page(request, signed, form, status_code=503, unavailable=unavailable)
    first = created["events"][0]
    return redirect(f"/events/{first['id']}?done={'scheduled' if schedule else 'saved'}")


# An event's page.


async def event_page(
    request: Request,
    signed: Any,
    event_id: int,
    *,
    form_error: str = "",
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    runtime = runtime_of(request)
    services = services_of(runtime)
    user = signed.user
    panels = Panels()
    event = await services.get(user, "events", f"/events/{event_id}")
    kind, workflow_id = event["kind"], event["workflow_id"]

    async def where_it_stands() -> dict[str, Any] | None:
        if not workflow_id:
            return None
        try:
            found: dict[str, Any] = await services.get(user, "events", f"/events/{event_id}/status")
            return found
        except ServiceRefused:
            return None
        except ServiceUnavailable as error:
            panels.mark("status", _("Where it stands"), error)
            return None

    async def part(path: str, wanted: bool) -> Any:
        return await services.get(user, "events", f"/events/{event_id}/{path}") if wanted else None

    async def accreditation() -> dict[str, Any] | None:
        if kind != "press_conference" or not workflow_id:
            return None
        path = f"/accreditation-windows/{event['case_id']}"
        try:
            found: dict[str, Any] | None = await panels.read(
                "window", _("Accreditation"), services.get(user, "media", path), None
            )
            return found
        except ServiceRefused:
            return None  # not opened yet

    # The parts come from three services and Temporal at once: the page waits for the
    # slowest of them, not for their sum.
    (
        history, status, briefing, actions, window, minutes, participants, pending
    ) = await asyncio.gather(
        panels.read(
            "history", _("History"), services.get(user, "events", f"/events/{event_id}/history"),
            [],
        ),
        where_it_stands(),
        part("briefing-note", kind == "foundation_meeting"),
        part("actions", kind in ("foundation_meeting", "official_meeting")),
        accreditation(),
        part("minutes", True),
        panels.read(
            "participants", _("Invitations"),
            services.get(user, "events", f"/events/{event_id}/participants"), [],
        ),
        pending_work(runtime, workflow_id),
    )  # fmt: skip
    async with runtime_of(request).db().session() as session:
        people = await display_names(
            session,
            {entry["actor"] for entry in history}
            | {event["created_by"], event.get("responsible") or ""}
            | {task.get("assignee") or "" for task in (status or {}).get("tasks", [])}
            | {action["owner"] for action in actions or []},
        )
    open_tasks = {task["key"]: task for task in (status or {}).get("tasks", [])}
    return await render(
        request,
        "events/event.html",
        status_code=status_code,
        event=event,
        history=history,
        status=status,
        open_tasks=open_tasks,
        briefing=briefing,
        actions=actions,
        minutes=minutes,
        participants=participants,
        participant_kinds=labels(PARTICIPANT_KINDS),
        rsvps=labels(RSVPS),
        invitation_states=labels(INVITATION_STATES),
        may_invite=user.has_any(*PLANNERS),
        window=window,
        panels=panels,
        pending=pending,
        people=people,
        form_error=form_error,
        unavailable=unavailable,
        done=request.query_params.get("done", ""),
        kinds=labels(KINDS),
        event_states=labels(EVENT_STATES),
        stages=labels(STAGES),
        task_names=labels(TASKS),
        follow_ups=labels(FOLLOW_UPS),
        roles=labels(ROLES),
        action_roles=ACTION_ROLES,
        local_input=local_input,
        now=datetime.now(TBILISI),
    )


@router.get("/events/{event_id}")
async def show_event(request: Request, signed: Staff, event_id: Id) -> Response:
    return await event_page(request, signed, event_id)


async def _act(
    request: Request, signed: Any, event_id: int, method: str, path: str, body: Any, done: str
) -> Response:
    """Ask the events service; its refusal is shown at the top of the event's page."""
    try:
        answer = await services_of(runtime_of(request)).call(
            signed.user, method, "events", path, json=body
        )
    except ServiceRefused as refused:
        return await event_page(
            request, signed, event_id, form_error=refused.detail or refused.title,
            status_code=refused.status,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        return await event_page(request, signed, event_id, status_code=503, unavailable=unavailable)
    # A new date is a new event: its page is the one to see.
    moved = isinstance(answer, dict) and answer.get("events") and done == "rescheduled"
    target = answer["events"][-1]["id"] if moved else event_id
    return redirect(f"/events/{target}?done={done}")


@router.post("/events/{event_id}/change")
async def change_event(request: Request, signed: Staff, event_id: Id) -> Response:
    """Schedule, postpone, move or cancel, for this event or its series."""
    form = await request.form()
    action = text(form, "action")
    scope = text(form, "scope") or "this"
    reason = text(form, "reason")
    if action == "schedule":
        override = text(form, "conflict_override_reason")
        body: dict[str, Any] = {"scope": scope}
        if override:
            body["conflict_override_reason"] = override
        return await _act(
            request, signed, event_id, "POST", f"/events/{event_id}/schedule", body, "scheduled"
        )
    if action not in ("postpone", "cancel", "reschedule"):
        return await event_page(
            request, signed, event_id, form_error=_("Choose what to do."), status_code=422
        )
    if len(reason) < 3:
        return await event_page(
            request, signed, event_id, status_code=422,
            form_error=_("Say why: the reason is kept with the event and told to the public."),
        )  # fmt: skip
    body = {"reason": reason, "scope": scope}
    if action == "reschedule":
        try:
            body["starts_at"] = tbilisi(text(form, "starts_at")).isoformat()
            body["ends_at"] = tbilisi(text(form, "ends_at")).isoformat()
        except ValueError:
            return await event_page(
                request, signed, event_id, status_code=422,
                form_error=_("Give the new date and time as the calendar shows it."),
            )  # fmt: skip
        override = text(form, "conflict_override_reason")
        if override:
            body["conflict_override_reason"] = override
    done = {"postpone": "postponed", "cancel": "cancelled", "reschedule": "rescheduled"}[action]
    return await _act(request, signed, event_id, "POST", f"/events/{event_id}/{action}", body, done)


@router.post("/events/{event_id}/briefing")
async def briefing(request: Request, signed: Staff, event_id: Id) -> Response:
    """Save the note, and with "submit" hand it in: its task in the inbox is done."""
    form = await request.form()
    note = text(form, "body_ka")
    if not note:
        return await event_page(
            request,
            signed,
            event_id,
            status_code=422,
            form_error=_("Write the briefing note in Georgian."),
        )
    body = {"body_ka": note, "body_en": text(form, "body_en") or None}
    saved = await _act(
        request,
        signed,
        event_id,
        "PUT",
        f"/events/{event_id}/briefing-note",
        body,
        "briefing_saved",
    )
    if saved.status_code >= 400 or form.get("action") != "submit":
        return saved
    return await _act(
        request,
        signed,
        event_id,
        "POST",
        f"/events/{event_id}/briefing-note/submit",
        None,
        "briefing_submitted",
    )


@router.post("/events/{event_id}/minutes")
async def minutes(request: Request, signed: Staff, event_id: Id) -> Response:
    form = await request.form()
    written = text(form, "minutes_ka")
    if not written:
        return await event_page(
            request,
            signed,
            event_id,
            status_code=422,
            form_error=_("Write the minutes in Georgian."),
        )
    body = {"minutes_ka": written, "minutes_en": text(form, "minutes_en") or None}
    return await _act(
        request, signed, event_id, "PUT", f"/events/{event_id}/minutes", body, "minutes"
    )


@router.post("/events/{event_id}/actions")
async def add_action(request: Request, signed: Staff, event_id: Id) -> Response:
    form = await request.form()
    try:
        due_at = tbilisi(text(form, "due_at")).isoformat()
    except ValueError:
        return await event_page(
            request,
            signed,
            event_id,
            status_code=422,
            form_error=_("Give the due date as the calendar shows it."),
        )
    body = {
        "title_ka": text(form, "title_ka"),
        "owner": text(form, "owner"),
        "owner_role": text(form, "owner_role") or "protocol_officer",
        "due_at": due_at,
    }
    return await _act(
        request, signed, event_id, "POST", f"/events/{event_id}/actions", body, "action_added"
    )


@router.post("/events/{event_id}/actions/{action_id}")
async def close_action(request: Request, signed: Staff, event_id: Id, action_id: Id) -> Response:
    form = await request.form()
    if form.get("action") == "drop":
        body: dict[str, Any] = {"reason": text(form, "note")}
        verb = "drop"
    else:
        body = {"notes": text(form, "note") or None}
        verb = "complete"
    return await _act(
        request,
        signed,
        event_id,
        "POST",
        f"/events/{event_id}/actions/{action_id}/{verb}",
        body,
        f"action_{verb}",
    )


@router.post("/events/{event_id}/press-follow-up")
async def press_follow_up(request: Request, signed: Staff, event_id: Id) -> Response:
    form = await request.form()
    document = text(form, "document_id")
    body: dict[str, Any] = {"note": text(form, "note") or None}
    if document.isdigit():
        body["document_id"] = int(document)
    return await _act(
        request, signed, event_id, "POST", f"/events/{event_id}/press-follow-up", body, "follow_up"
    )


# Participants and their invitations.


@router.post("/events/{event_id}/participants")
async def add_participant(request: Request, signed: Staff, event_id: Id) -> Response:
    form = values_of(await request.form(), ("kind", "full_name", "organisation", "email"))
    if not form["full_name"]:
        return await event_page(
            request, signed, event_id, status_code=422,
            form_error=_("Give the full name of the person invited."),
        )  # fmt: skip
    if form["email"] and not EMAIL.match(form["email"]):
        return await event_page(
            request, signed, event_id, status_code=422,
            form_error=_("This is not an email address."),
        )  # fmt: skip
    body = {
        "kind": form["kind"] if form["kind"] in PARTICIPANT_KINDS else "guest",
        "full_name": form["full_name"],
        "organisation": form["organisation"] or None,
        "email": form["email"] or None,
    }
    path = f"/events/{event_id}/participants"
    return await _act(request, signed, event_id, "POST", path, body, "participant_added")


@router.post("/events/{event_id}/participants/{participant_id}/invitation")
async def invite(request: Request, signed: Staff, event_id: Id, participant_id: Id) -> Response:
    """The invitation goes out by email with the personal link (or the link is shown)."""
    path = f"/events/{event_id}/participants/{participant_id}/invitation"
    return await _act(request, signed, event_id, "POST", path, None, "invited")
