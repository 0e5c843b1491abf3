"""The events REST API: events and their series for staff (create, change, schedule,
postpone, move, cancel), conflicts, venues and officials, participants and invitations,
agenda, minutes, briefing notes and follow-up actions, the calendars, and the workflows'
own endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import select
from temporalio.client import Client

from meria.access import ACCESS_NOTE
from meria.auth import InvalidToken, System, User, require_role, verify_token
from meria.bus import Outbox
from meria.case_api import case_router, claim_router
from meria.cases import TaskNotice, TaskOutcome
from meria.cases.events import AnnouncementDraft, CaseStatus, EventCase, TransitionRequest
from meria.cases.tasks import TaskResult
from meria.idempotency import IdempotencyKey
from meria.inputs import Id, Moment, Month, Offset
from meria.pictures import allowed_video
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import RuntimeDep
from services.events import calendars, events, invitations, lifecycle, meetings, rsvp_pages
from services.events.conflicts import Booking, find_conflicts
from services.events.models import Event, Official, Venue
from services.events.schemas import (
    EVENT_KINDS,
    ActionCompletion,
    ActionCreate,
    ActionDrop,
    ActionPublic,
    AgendaItemPublic,
    AgendaReplace,
    BriefingPublic,
    BriefingWrite,
    CalendarLink,
    Conflict,
    ConflictCheck,
    DocumentRecord,
    EventChanges,
    EventCreate,
    EventPage,
    EventPictures,
    EventPublic,
    EventUpdate,
    HistoryEntryPublic,
    Invitation,
    MinutesPublic,
    MinutesWrite,
    OfficialPublic,
    OfficialUpdate,
    ParticipantCreate,
    ParticipantPublic,
    ParticipantUpdate,
    PressFollowUp,
    Reasoned,
    Rescheduling,
    RsvpAnswer,
    Scheduling,
    VenueCreate,
    VenuePublic,
    VenueUpdate,
)
from services.events.settings import EventsSettings
from services.events.texts import TBILISI
from services.events.texts import calendars as calendar_titles
from services.events.views import event_view

STAFF_ROLES = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
Staff = Annotated[User, require_role(*STAFF_ROLES)]
# What the monthly digest reads: staff, and the worker gathering the month.
StaffOrWorker = Annotated[User, require_role(*STAFF_ROLES, services=("worker",))]
Planner = Annotated[
    User, require_role("protocol_officer", "media_officer", "head_of_department", "editor")
]
Head = Annotated[User, require_role("head_of_department")]
Language = Literal["ka", "en"]


def settings_of(runtime: Runtime) -> EventsSettings:
    settings = runtime.settings
    assert isinstance(settings, EventsSettings)
    return settings


def temporal_of(runtime: Runtime) -> Client | None:
    """Temporal when connected: events without a workflow do not wait for it."""
    try:
        return runtime.temporal
    except Problem:
        return None


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


async def fresh(runtime: Runtime, event_id: int) -> EventPublic:
    return event_view(await events.get_event(runtime.db(), event_id))


async def changes(runtime: Runtime, touched: list[Event]) -> EventChanges:
    return EventChanges(events=[await fresh(runtime, event.id) for event in touched])


def _month(month: str) -> tuple[datetime, datetime]:
    year, number = (int(part) for part in month.split("-"))
    first = datetime(year, number, 1, tzinfo=TBILISI)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, datetime(following.year, following.month, 1, tzinfo=TBILISI)


events_router = APIRouter(prefix="/events", tags=["events"])


@events_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Plan an event (or a recurring series); announce it at once with schedule",
)
async def create_event(data: EventCreate, user: Planner, runtime: RuntimeDep) -> EventChanges:
    created = await lifecycle.create(
        runtime.db(), temporal_of(runtime), outbox_of(runtime), settings_of(runtime), data, user
    )
    return await changes(runtime, created)


@events_router.get(
    "",
    summary="Events in a period (the month view), in order of start",
    response_model=EventPage,
)
async def list_events(
    _: StaffOrWorker,
    runtime: RuntimeDep,
    month: Annotated[Month | None, Query(description="A month in Tbilisi: 2026-12")] = None,
    starts_from: Annotated[Moment | None, Query(alias="from")] = None,
    starts_to: Annotated[Moment | None, Query(alias="to")] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    state: Annotated[list[str] | None, Query()] = None,
    official: Annotated[str | None, Query(max_length=40)] = None,
    venue_id: Id | None = None,
    public: bool | None = None,
    series_id: Id | None = None,
    case_id: Id | None = None,
    visit_id: Id | None = None,
    partner_id: Annotated[Id | None, Query(description="Met with this partner")] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 100,
    offset: Offset = 0,
) -> Response:
    if month:
        starts_from, starts_to = _month(month)
    unknown = [k for k in kind or [] if k not in EVENT_KINDS]
    if unknown:
        raise Problem(422, "The request is not valid", f"kind: unknown {', '.join(unknown)}")
    found, total = await events.list_events(
        runtime.db(),
        starts_from=starts_from,
        starts_to=starts_to,
        max_event_days=settings_of(runtime).max_event_days,
        kind=kind or [],
        state=state or [],
        official=official,
        venue_id=venue_id,
        public=public,
        series_id=series_id,
        case_id=case_id,
        visit_id=visit_id,
        partner_id=partner_id,
        text=text,
        limit=limit,
        offset=offset,
    )
    page = EventPage(items=found, total=total, limit=limit, offset=offset)
    # Serialised once, here: a month's hundreds of events need no second validation.
    return Response(page.model_dump_json(), media_type="application/json")


@events_router.get("/{event_id}", summary="An event with its venue, officials and series")
async def get_event(event_id: Id, _: Staff, runtime: RuntimeDep) -> EventPublic:
    return await fresh(runtime, event_id)


@events_router.patch(
    "/{event_id}", summary="Change an event; with scope, this and following, or all"
)
async def edit_event(
    event_id: Id, data: EventUpdate, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    async with runtime.db().transaction() as session:
        touched = await events.edit_events(
            session, outbox_of(runtime), settings_of(runtime), event_id, data, user
        )
    return await changes(runtime, touched)


@events_router.put(
    "/{event_id}/pictures",
    summary="Choose the event's gallery (library photos with alt text) and its recording",
)
async def choose_event_pictures(
    event_id: Id, data: EventPictures, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    allowed_video(data.video_url, runtime.settings.video_hosts)
    async with runtime.db().transaction() as session:
        event = await events.choose_pictures(session, outbox_of(runtime), event_id, data, user)
    return await changes(runtime, [event])


@events_router.post("/{event_id}/schedule", summary="Announce a draft (and its series)")
async def schedule_event(
    event_id: Id, data: Scheduling, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    touched = await lifecycle.schedule(
        runtime.db(),
        temporal_of(runtime),
        outbox_of(runtime),
        settings_of(runtime),
        event_id,
        data,
        user,
    )
    return await changes(runtime, touched)


@events_router.post("/{event_id}/postpone", summary="Postpone until further notice")
async def postpone_event(
    event_id: Id, data: Reasoned, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    touched = await lifecycle.postpone(
        runtime.db(), temporal_of(runtime), outbox_of(runtime), event_id, data, user
    )
    return await changes(runtime, touched)


@events_router.post(
    "/{event_id}/reschedule",
    summary="Move to a new date: a new event takes its place, this one links to it",
)
async def reschedule_event(
    event_id: Id, data: Rescheduling, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    touched = await lifecycle.reschedule(
        runtime.db(),
        temporal_of(runtime),
        outbox_of(runtime),
        settings_of(runtime),
        event_id,
        data,
        user,
    )
    return await changes(runtime, touched)


@events_router.post("/{event_id}/cancel", summary="Cancel, with the reason")
async def cancel_event(
    event_id: Id, data: Reasoned, user: Planner, runtime: RuntimeDep
) -> EventChanges:
    touched = await lifecycle.cancel(
        runtime.db(), temporal_of(runtime), outbox_of(runtime), event_id, data, user
    )
    return await changes(runtime, touched)


@events_router.post(
    "/{event_id}/complete", summary="It took place (events without a workflow of their own)"
)
async def complete_event(event_id: Id, user: Planner, runtime: RuntimeDep) -> EventPublic:
    await lifecycle.complete(runtime.db(), outbox_of(runtime), event_id, user)
    return await fresh(runtime, event_id)


@events_router.get("/{event_id}/history", summary="Every change of the event and its case")
async def event_history(event_id: Id, _: Staff, runtime: RuntimeDep) -> list[HistoryEntryPublic]:
    entries = await events.history(runtime.db(), event_id)
    return [HistoryEntryPublic.model_validate(entry) for entry in entries]


@events_router.get(
    "/{event_id}/status", summary="Where the press conference's or meeting's workflow stands"
)
async def workflow_status(event_id: Id, _: Staff, runtime: RuntimeDep) -> CaseStatus:
    event = await events.get_event(runtime.db(), event_id)
    found = await lifecycle.workflow_status(temporal_of(runtime), event)
    if found is None:
        raise Problem(404, "No workflow", f"Event {event_id} has no workflow running or run.")
    return found


# Participants and invitations.


@events_router.get("/{event_id}/participants", summary="Who is invited, and their answers")
async def list_participants(event_id: Id, _: Staff, runtime: RuntimeDep) -> list[ParticipantPublic]:
    found = await meetings.list_participants(runtime.db(), event_id)
    settings = settings_of(runtime)
    return [
        ParticipantPublic.model_validate(p).model_copy(
            update={"rsvp_url": invitations.rsvp_url(settings, p) if p.invited_at else None}
        )
        for p in found
    ]


@events_router.post(
    "/{event_id}/participants",
    status_code=status.HTTP_201_CREATED,
    summary="Add a participant",
)
async def add_participant(
    event_id: Id, data: ParticipantCreate, user: Planner, runtime: RuntimeDep
) -> ParticipantPublic:
    participant = await meetings.add_participant(runtime.db(), event_id, data, user)
    return ParticipantPublic.model_validate(participant)


@events_router.patch("/{event_id}/participants/{participant_id}", summary="Change a participant")
async def update_participant(
    event_id: Id,
    participant_id: Id,
    data: ParticipantUpdate,
    _: Planner,
    runtime: RuntimeDep,
) -> ParticipantPublic:
    participant = await meetings.update_participant(runtime.db(), event_id, participant_id, data)
    return ParticipantPublic.model_validate(participant)


@events_router.delete(
    "/{event_id}/participants/{participant_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a participant",
)
async def remove_participant(
    event_id: Id, participant_id: Id, user: Planner, runtime: RuntimeDep
) -> None:
    await meetings.remove_participant(runtime.db(), event_id, participant_id, user)


@events_router.post(
    "/{event_id}/participants/{participant_id}/invitation",
    summary="The invitation is sent: the link where the invitee answers",
)
async def invite(
    event_id: Id, participant_id: Id, user: Planner, runtime: RuntimeDep
) -> Invitation:
    participant, url = await meetings.invite(
        runtime.db(), settings_of(runtime), event_id, participant_id, user
    )
    assert participant.invited_at is not None
    return Invitation(
        participant_id=participant.id,
        invited_at=participant.invited_at,
        rsvp_url=url,
        invitation_status=participant.invitation_status or "none",
    )


@events_router.post(
    "/{event_id}/participants/{participant_id}/rsvp", summary="Record an invitee's answer"
)
async def record_rsvp(
    event_id: Id, participant_id: Id, data: RsvpAnswer, user: Planner, runtime: RuntimeDep
) -> ParticipantPublic:
    participant = await meetings.record_rsvp(runtime.db(), event_id, participant_id, data, user.id)
    return ParticipantPublic.model_validate(participant)


# Agenda and minutes.


@events_router.get("/{event_id}/agenda", summary="The agenda")
async def agenda(event_id: Id, _: Staff, runtime: RuntimeDep) -> list[AgendaItemPublic]:
    event = await events.get_event(runtime.db(), event_id)
    return [AgendaItemPublic.model_validate(item) for item in event.agenda]


@events_router.put("/{event_id}/agenda", summary="Set the agenda")
async def set_agenda(
    event_id: Id, data: AgendaReplace, user: Planner, runtime: RuntimeDep
) -> list[AgendaItemPublic]:
    await meetings.replace_agenda(runtime.db(), event_id, data, user)
    event = await events.get_event(runtime.db(), event_id)
    return [AgendaItemPublic.model_validate(item) for item in event.agenda]


@events_router.get("/{event_id}/minutes", summary="The minutes")
async def minutes(event_id: Id, _: Staff, runtime: RuntimeDep) -> MinutesPublic:
    event = await events.get_event(runtime.db(), event_id)
    return MinutesPublic(
        event_id=event.id,
        minutes_ka=event.minutes_ka,
        minutes_en=event.minutes_en,
        minutes_by=event.minutes_by,
        minutes_at=event.minutes_at,
    )


@events_router.put("/{event_id}/minutes", summary="Write the minutes (a meeting's task is done)")
async def write_minutes(
    event_id: Id, data: MinutesWrite, user: Planner, runtime: RuntimeDep
) -> MinutesPublic:
    event = await meetings.write_minutes(runtime.db(), temporal_of(runtime), event_id, data, user)
    return MinutesPublic(
        event_id=event.id,
        minutes_ka=event.minutes_ka,
        minutes_en=event.minutes_en,
        minutes_by=event.minutes_by,
        minutes_at=event.minutes_at,
    )


# Briefing notes and follow-up actions.


@events_router.get("/{event_id}/briefing-note", summary="The briefing note before the meeting")
async def briefing_note(event_id: Id, _: Staff, runtime: RuntimeDep) -> BriefingPublic:
    return BriefingPublic.model_validate(await meetings.briefing_note(runtime.db(), event_id))


@events_router.put("/{event_id}/briefing-note", summary="Write the briefing note")
async def write_briefing(
    event_id: Id, data: BriefingWrite, user: Planner, runtime: RuntimeDep
) -> BriefingPublic:
    found = await meetings.write_briefing(runtime.db(), event_id, data, user)
    return BriefingPublic.model_validate(found)


@events_router.post(
    "/{event_id}/briefing-note/submit", summary="Submit the briefing note (its task is done)"
)
async def submit_briefing(event_id: Id, user: Planner, runtime: RuntimeDep) -> BriefingPublic:
    found = await meetings.submit_briefing(runtime.db(), temporal_of(runtime), event_id, user)
    return BriefingPublic.model_validate(found)


@events_router.get("/{event_id}/actions", summary="The meeting's follow-up actions")
async def list_actions(event_id: Id, _: Staff, runtime: RuntimeDep) -> list[ActionPublic]:
    return [
        ActionPublic.model_validate(a) for a in await meetings.list_actions(runtime.db(), event_id)
    ]


@events_router.post(
    "/{event_id}/actions",
    status_code=status.HTTP_201_CREATED,
    summary="Record a follow-up action: its owner gets it in the inbox",
)
async def add_action(
    event_id: Id, data: ActionCreate, user: Planner, runtime: RuntimeDep
) -> ActionPublic:
    action = await meetings.add_action(runtime.db(), temporal_of(runtime), event_id, data, user)
    return ActionPublic.model_validate(action)


@events_router.post("/{event_id}/actions/{action_id}/complete", summary="The action is done")
async def complete_action(
    event_id: Id, action_id: Id, data: ActionCompletion, user: Staff, runtime: RuntimeDep
) -> ActionPublic:
    action = await meetings.close_action(
        runtime.db(), temporal_of(runtime), event_id, action_id, data, user
    )
    return ActionPublic.model_validate(action)


@events_router.post("/{event_id}/actions/{action_id}/drop", summary="Drop the action, and why")
async def drop_action(
    event_id: Id, action_id: Id, data: ActionDrop, user: Staff, runtime: RuntimeDep
) -> ActionPublic:
    action = await meetings.close_action(
        runtime.db(), temporal_of(runtime), event_id, action_id, data, user
    )
    return ActionPublic.model_validate(action)


@events_router.post(
    "/{event_id}/press-follow-up",
    summary="The press release or transcript after the press conference is done",
)
async def press_follow_up(
    event_id: Id, data: PressFollowUp, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    return await meetings.press_follow_up(runtime.db(), temporal_of(runtime), event_id, data, user)


# Conflicts, venues and officials.

planning_router = APIRouter(tags=["planning"])


@planning_router.post("/conflicts", summary="What a booking would conflict with")
async def check_conflicts(data: ConflictCheck, _: Staff, runtime: RuntimeDep) -> list[Conflict]:
    async with runtime.db().session() as session:
        return await find_conflicts(
            session,
            Booking(data.starts_at, data.ends_at, data.venue_id, data.officials),
            max_event_days=settings_of(runtime).max_event_days,
            exclude=[data.exclude_event_id] if data.exclude_event_id else [],
        )


@planning_router.get("/venues", summary="Venues with their capacity, by name", tags=["venues"])
async def list_venues(
    _: Staff,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> list[VenuePublic]:
    async with runtime.db().session() as session:
        found = await session.scalars(
            select(Venue).order_by(Venue.name_ka, Venue.id).limit(limit).offset(offset)
        )
        return [VenuePublic.model_validate(venue) for venue in found]


@planning_router.get("/venues/{venue_id}", summary="A venue", tags=["venues"])
async def get_venue(venue_id: Id, _: Staff, runtime: RuntimeDep) -> VenuePublic:
    async with runtime.db().session() as session:
        venue = await session.get(Venue, venue_id)
    if venue is None:
        raise Problem(404, "No such venue", f"There is no venue {venue_id}.")
    return VenuePublic.model_validate(venue)


@planning_router.post(
    "/venues", status_code=status.HTTP_201_CREATED, summary="Add a venue", tags=["venues"]
)
async def add_venue(data: VenueCreate, user: Planner, runtime: RuntimeDep) -> VenuePublic:
    async with runtime.db().transaction() as session:
        venue = Venue(**data.model_dump(), created_by=user.id, created_at=events.now())
        session.add(venue)
    return VenuePublic.model_validate(venue)


@planning_router.patch("/venues/{venue_id}", summary="Change a venue", tags=["venues"])
async def update_venue(
    venue_id: Id, data: VenueUpdate, _: Planner, runtime: RuntimeDep
) -> VenuePublic:
    async with runtime.db().transaction() as session:
        venue = await session.get(Venue, venue_id)
        if venue is None:
            raise Problem(404, "No such venue", f"There is no venue {venue_id}.")
        for name, value in data.model_dump(exclude_unset=True).items():
            if name in ("name_ka", "capacity") and value is None:
                raise Problem(422, "The request is not valid", f"{name}: required")
            setattr(venue, name, value)
    return VenuePublic.model_validate(venue)


@planning_router.get("/officials", summary="Officials whose time events book", tags=["officials"])
async def list_officials(
    _: Staff,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> list[OfficialPublic]:
    async with runtime.db().session() as session:
        found = await session.scalars(
            select(Official).order_by(Official.code).limit(limit).offset(offset)
        )
        return [OfficialPublic.model_validate(official) for official in found]


@planning_router.put("/officials/{code}", summary="Add or rename an official", tags=["officials"])
async def put_official(
    code: Annotated[str, PathParam(pattern=r"^[a-z0-9_-]{2,40}$")],
    data: OfficialUpdate,
    _: Head,
    runtime: RuntimeDep,
) -> OfficialPublic:
    async with runtime.db().transaction() as session:
        official = await session.get(Official, code)
        if official is None:
            official = Official(code=code)
            session.add(official)
        for name, value in data.model_dump().items():
            setattr(official, name, value)
    return OfficialPublic.model_validate(official)


tasks_router = claim_router(
    tag="tasks",
    gate=Staff,
    temporal=lambda runtime: lifecycle.workflows(temporal_of(runtime)),
    summaries=("Claim a task", "Release a claimed task"),
    owns=("press-conference-", "meeting-"),
    not_ours="is not a task of an event",
)


# Calendars.

calendars_router = APIRouter(prefix="/calendars", tags=["calendars"])
ICS = "text/calendar; charset=utf-8"


# Calendar programs cannot send a token: a staff member's feed opens with its signed key.
FEED_ACCESS = {ACCESS_NOTE: "staff token, or the feed's signed link from GET /calendars"}


def _reader(request: Request, settings: EventsSettings, calendar: str, key: str | None) -> None:
    """A staff member's token, or the calendar's signed key from its subscription link."""
    if key is not None and calendars.key_opens(settings, key, calendar):
        return
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        try:
            user = verify_token(settings, header[7:])
        except InvalidToken as error:
            raise Problem(401, "Invalid token", str(error)) from None
        if not user.has_any(*STAFF_ROLES, "admin"):
            raise Problem(403, "Not allowed", "The calendars are for the department's staff.")
        return
    raise Problem(
        401,
        "Authentication required",
        "Send a bearer token, or use the subscription link from GET /calendars.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@calendars_router.get("", summary="The calendars, with their subscription links")
async def list_calendars(_: Staff, runtime: RuntimeDep) -> list[CalendarLink]:
    settings = settings_of(runtime)
    base = settings.events_url
    links = [
        CalendarLink(
            name="public",
            title_ka=calendar_titles()["public"][0],
            title_en=calendar_titles()["public"][1],
            url=f"{base}/calendars/public.ics",
        ),
        CalendarLink(
            name="internal",
            title_ka=calendar_titles()["internal"][0],
            title_en=calendar_titles()["internal"][1],
            url=f"{base}/calendars/internal.ics?key={calendars.feed_key(settings, 'internal')}",
        ),
    ]
    for official in await calendars.officials_with_events(runtime.db()):
        name = f"official:{official.code}"
        links.append(
            CalendarLink(
                name=name,
                title_ka=official.name_ka,
                title_en=official.name_en or official.name_ka,
                url=f"{base}/calendars/officials/{official.code}.ics"
                f"?key={calendars.feed_key(settings, name)}",
            )
        )
    return links


@calendars_router.get("/public.ics", summary="Public events (iCalendar)", response_class=Response)
async def public_calendar(runtime: RuntimeDep, lang: Language = "ka") -> Response:
    body = await calendars.feed(runtime.db(), settings_of(runtime), "public", lang=lang)
    return Response(body, media_type=ICS)


@calendars_router.get(
    "/internal.ics",
    summary="Every event of the city hall (iCalendar)",
    response_class=Response,
    openapi_extra=FEED_ACCESS,
)
async def internal_calendar(
    request: Request, runtime: RuntimeDep, lang: Language = "ka", key: str | None = None
) -> Response:
    settings = settings_of(runtime)
    _reader(request, settings, "internal", key)
    return Response(
        await calendars.feed(runtime.db(), settings, "internal", lang=lang), media_type=ICS
    )


@calendars_router.get(
    "/officials/{code}.ics",
    summary="One official's events (iCalendar)",
    response_class=Response,
    openapi_extra=FEED_ACCESS,
)
async def official_calendar(
    code: str, request: Request, runtime: RuntimeDep, lang: Language = "ka", key: str | None = None
) -> Response:
    settings = settings_of(runtime)
    _reader(request, settings, f"official:{code}", key)
    body = await calendars.feed(runtime.db(), settings, "official", lang=lang, official=code)
    return Response(body, media_type=ICS)


# What invitees answer, without an account.

rsvp_router = APIRouter(prefix="/rsvp", tags=["invitations"])


@rsvp_router.post(
    "/{token}",
    summary="Answer an invitation",
    description="The personal link is the credential. 404: not a link this service made; "
    "410: expired or replaced by a newer invitation; 409: the event has begun or is closed.",
)
async def answer_invitation(token: str, data: RsvpAnswer, runtime: RuntimeDep) -> dict[str, str]:
    async with runtime.db().session() as session:
        event, found = await invitations.invitation_of(session, settings_of(runtime), token)
        closed = invitations.answers_closed(event, events.now())
    if closed:
        raise Problem(409, "Answers are closed", rsvp_pages.CLOSED[closed])
    participant = await meetings.record_rsvp(
        runtime.db(), event.id, found.id, data, f"participant:{found.id}"
    )
    return {"response": participant.rsvp}


# The workflows' own endpoints.


def _event(event_id: Id) -> int:
    return event_id


class _EventCases:
    """What the events service does when a press conference's or a meeting's workflow
    calls it."""

    async def case(self, runtime: Runtime, event_id: int) -> EventCase:
        return await lifecycle.case_info(runtime.db(), settings_of(runtime), event_id)

    async def transition(
        self, runtime: Runtime, event_id: int, data: TransitionRequest, key: str | None
    ) -> EventCase:
        return await lifecycle.record_transition(
            runtime.db(), outbox_of(runtime), settings_of(runtime), event_id, data, key
        )

    async def outcome(
        self, runtime: Runtime, event_id: int, task: str, data: TaskOutcome, key: str | None
    ) -> None:
        await lifecycle.record_task_outcome(runtime.db(), event_id, task, data, key)

    async def notice(
        self, runtime: Runtime, event_id: int, notice: TaskNotice, key: str | None
    ) -> None:
        await lifecycle.task_notice(runtime.db(), outbox_of(runtime), event_id, notice, key)


workflow_router = case_router(
    prefix="/events/{event_id}",
    ref=_event,
    side=_EventCases(),
    case=EventCase,
    transition=TransitionRequest,
    answer=EventCase,
    outcome=TaskOutcome,
    summaries={
        "case": "What the event's workflow needs to run",
        "transitions": "Record a transition of the workflow",
        "outcome": "A task's outcome",
        "notices": "A task's reminder or escalation",
    },
)


@workflow_router.get(
    "/announcement-draft",
    summary="The media advisory or the notice of cancellation",
    responses={409: {"description": "The event is not a press conference"}},
)
async def announcement_draft(
    event_id: Id,
    _: System,
    runtime: RuntimeDep,
    purpose: Literal["advisory", "notice"] = "advisory",
) -> AnnouncementDraft:
    return await lifecycle.announcement_draft(runtime.db(), event_id, purpose)


@workflow_router.post(
    "/documents",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Record the announcement created in the publishing service",
)
async def record_document(
    event_id: Id,
    data: DocumentRecord,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> None:
    await lifecycle.record_document(runtime.db(), event_id, data, idempotency_key)


ROUTERS = [
    events_router,
    planning_router,
    tasks_router,
    calendars_router,
    # The invitee's page first: its stylesheet's address is not a token.
    rsvp_pages.router,
    rsvp_router,
    workflow_router,
]
