"""The events service's use cases for reading and writing events and their series.

An event's state changes only through `apply`, the one place that follows the state
table, keeps the bookings conflict detection reads in step, and writes the history
entry. Announced changes go on the bus from the same transaction (`announce`).
Transitions that involve a workflow (schedule, postpone, reschedule, cancel) are in
`lifecycle`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User
from meria.bus import Outbox
from meria.contracts import EventFacts, EventUpdated, LocalizedText, OfficialRef
from meria.db import Database, count_of
from meria.pictures import photo_refs
from meria.problems import Problem
from services.events import recurrence
from services.events.conflicts import Booking, conflict_problem, find_conflicts
from services.events.models import (
    AgendaItem,
    BriefingNote,
    Event,
    EventOfficial,
    HistoryEntry,
    Official,
    Series,
    Venue,
)
from services.events.schemas import (
    MEETING_KINDS,
    Conflict,
    EventCreate,
    EventPictures,
    EventSummary,
    EventUpdate,
    Scope,
)
from services.events.settings import EventsSettings
from services.events.states import (
    ANNOUNCED,
    HOLDS_TIME,
    OPEN_STATES,
    EventAction,
    EventState,
    TransitionRefused,
    next_state,
)

WORKFLOW_KINDS = frozenset({"press_conference", *MEETING_KINDS})
# What a change to these fields means for the bus's `changed` list.
ANNOUNCED_FIELDS = {
    "title_ka": "title",
    "title_en": "title",
    "description_ka": "description",
    "description_en": "description",
    "venue_id": "place",
    "place_ka": "place",
    "place_en": "place",
    "officials": "officials",
    "public": "public",
    "starts_at": "time",
    "ends_at": "time",
}
SERIES_FIELDS = frozenset(
    {"title_ka", "title_en", "description_ka", "description_en", "organiser_ka", "organiser_en",
     "partner_ka", "partner_en", "partner_id", "responsible", "follow_up_kind", "venue_id",
     "place_ka", "place_en", "public", "expected_attendance"}
)  # fmt: skip


def now() -> datetime:
    return datetime.now(UTC)


def refused(error: TransitionRefused) -> Problem:
    return Problem(
        409,
        "Not allowed in this state",
        str(error)[0].upper() + str(error)[1:] + ".",
        state=error.state.value,
        allowed=[action.value for action in error.allowed],
    )


def workflow_id(event: Event) -> str | None:
    if event.kind == "press_conference":
        return f"press-conference-{event.case}"
    if event.kind in MEETING_KINDS:
        return f"meeting-{event.case}"
    return None


# Reading.


async def load(session: AsyncSession, event_id: int, *, lock: bool = False) -> Event:
    event = await session.get(Event, event_id, with_for_update=lock)
    if event is None:
        raise Problem(404, "No such event", f"There is no event {event_id}.")
    return event


async def get_event(database: Database, event_id: int) -> Event:
    async with database.session() as session:
        return await load(session, event_id)


def filtered(
    *,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    max_event_days: int = 31,
    kind: Sequence[str] = (),
    state: Sequence[str] = (),
    official: str | None = None,
    venue_id: int | None = None,
    public: bool | None = None,
    series_id: int | None = None,
    case_id: int | None = None,
    visit_id: int | None = None,
    partner_id: int | None = None,
    text: str | None = None,
) -> Select[tuple[Event]]:
    """Events overlapping [starts_from, starts_to), in order of their start."""
    query = select(Event).order_by(Event.starts_at, Event.id)
    if starts_to is not None:
        query = query.where(Event.starts_at < starts_to)
    if starts_from is not None:
        # Bounded below too, so the index on the start reads only the window.
        query = query.where(
            Event.starts_at >= starts_from - timedelta(days=max_event_days),
            Event.ends_at > starts_from,
        )
    if kind:
        query = query.where(Event.kind.in_(list(kind)))
    if state:
        query = query.where(Event.state.in_(list(state)))
    if official:
        query = query.where(
            Event.id.in_(
                select(EventOfficial.event_id).where(EventOfficial.official_code == official)
            )
        )
    if venue_id is not None:
        query = query.where(Event.venue_id == venue_id)
    if public is not None:
        query = query.where(Event.public.is_(public))
    if series_id is not None:
        query = query.where(Event.series_id == series_id)
    if case_id is not None:
        query = query.where(Event.case_id == case_id)
    if visit_id is not None:
        query = query.where(Event.visit_id == visit_id)
    if partner_id is not None:
        query = query.where(Event.partner_id == partner_id)
    if text:
        pattern = f"%{text}%"
        query = query.where(
            or_(
                Event.title_ka.ilike(pattern),
                Event.title_en.ilike(pattern),
                Event.description_ka.ilike(pattern),
                Event.partner_ka.ilike(pattern),
                Event.partner_en.ilike(pattern),
            )
        )
    return query


async def list_events(
    database: Database, *, limit: int = 100, offset: int = 0, **filters: Any
) -> tuple[list[EventSummary], int]:
    """Summaries of the events the filters find, and how many there are.

    The month view reads a month's events at once (hundreds): only the columns a summary
    shows, and the officials of all of them in one more query, without building the
    table models and their relationships; the count is taken only when the page is full.
    """
    query = filtered(**filters).with_only_columns(*SUMMARY_COLUMNS)
    async with database.session() as session:
        rows = (await session.execute(query.limit(limit).offset(offset))).all()
        total = offset + len(rows)
        if len(rows) == limit:
            counted = count_of(filtered(**filters))
            total = int(await session.scalar(counted) or 0)
        officials: dict[int, list[str]] = {}
        if rows:
            bookings = await session.execute(
                select(EventOfficial.event_id, EventOfficial.official_code)
                .where(EventOfficial.event_id.in_([tuple(row)[1] for row in rows]))
                .order_by(EventOfficial.event_id, EventOfficial.position)
            )
            for event_id, code in bookings.tuples():
                officials.setdefault(event_id, []).append(code)
    summaries = []
    for row in rows:
        # By position: a row's attributes by name cost more than the rest of this loop.
        values = dict(zip(SUMMARY_NAMES, tuple(row), strict=True))
        values["case_id"] = values["case_id"] or values["id"]
        summaries.append(EventSummary(**values, officials=officials.get(values["id"], [])))
    return summaries, total


SUMMARY_FIELDS = ("id", "kind", "state", "title_ka", "title_en", "starts_at", "ends_at",
                  "public", "venue_id", "place_ka", "place_en", "series_id", "source")  # fmt: skip
SUMMARY_NAMES = ("case_id", *SUMMARY_FIELDS)
SUMMARY_COLUMNS = [getattr(Event, name) for name in SUMMARY_NAMES]


async def history(database: Database, event_id: int) -> list[HistoryEntry]:
    async with database.session() as session:
        event = await load(session, event_id)
        entries = await session.scalars(
            select(HistoryEntry).where(HistoryEntry.case_id == event.case).order_by(HistoryEntry.id)
        )
        return list(entries)


# Changing state, in one place.


def apply(
    session: AsyncSession,
    event: Event,
    action: EventAction,
    actor: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> HistoryEntry:
    """Move the event along the state table and keep who, when, what and why."""
    origin = EventState(event.state)
    try:
        target = next_state(origin, action)
    except TransitionRefused as error:
        raise refused(error) from None
    event.state = target.value
    event.updated_at = now()
    event.revision += 1
    sync_bookings(event)
    return note(
        session,
        event,
        action.value,
        actor,
        origin=origin.value,
        reason=reason,
        details=details,
        idempotency_key=idempotency_key,
    )


def note(
    session: AsyncSession,
    event: Event,
    action: str,
    actor: str,
    *,
    origin: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> HistoryEntry:
    """A history entry; without `origin`, one that changes no state."""
    entry = HistoryEntry(
        event_id=event.id,
        case_id=event.case,
        at=now(),
        actor=actor,
        action=action,
        from_state=origin or event.state,
        to_state=event.state,
        reason=reason,
        details=details or {},
        idempotency_key=idempotency_key,
    )
    session.add(entry)
    return entry


def sync_bookings(event: Event) -> None:
    holds = EventState(event.state) in HOLDS_TIME
    for booking in event.officials:
        booking.starts_at = event.starts_at
        booking.ends_at = event.ends_at
        booking.holds_time = holds


async def officials_named(session: AsyncSession, codes: Sequence[str]) -> list[Official]:
    if not codes:
        return []
    found = {
        official.code: official
        for official in await session.scalars(select(Official).where(Official.code.in_(codes)))
    }
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Problem(
            422,
            "Unknown official",
            f"There is no official {', '.join(repr(c) for c in unknown)}; see GET /officials.",
            errors=[{"field": "officials", "message": f"unknown: {', '.join(unknown)}"}],
        )
    return [found[code] for code in codes]


def book_officials(event: Event, officials: Sequence[Official]) -> None:
    keep = {booking.official_code: booking for booking in event.officials}
    event.officials = [
        keep.get(official.code) or EventOfficial(official_code=official.code, official=official)
        for official in officials
    ]
    for position, booking in enumerate(event.officials):
        booking.position = position
    sync_bookings(event)


async def venue_for(
    session: AsyncSession, venue_id: int | None, attendance: int | None
) -> Venue | None:
    if venue_id is None:
        return None
    venue = await session.get(Venue, venue_id)
    if venue is None:
        raise Problem(
            422,
            "Unknown venue",
            f"There is no venue {venue_id}; see GET /venues.",
            errors=[{"field": "venue_id", "message": "unknown venue"}],
        )
    if attendance is not None and attendance > venue.capacity:
        raise Problem(
            422,
            "Too many for the venue",
            f"{venue.name_ka} holds {venue.capacity}; {attendance} are expected.",
            errors=[{"field": "expected_attendance", "message": f"over {venue.capacity}"}],
        )
    return venue


def check_length(settings: EventsSettings, starts_at: datetime, ends_at: datetime) -> None:
    if ends_at - starts_at > timedelta(days=settings.max_event_days):
        raise Problem(
            422,
            "The request is not valid",
            f"ends_at: an event lasts at most {settings.max_event_days} days",
            errors=[{"field": "ends_at", "message": "too long"}],
        )


# Conflicts.


async def guard_conflicts(
    session: AsyncSession,
    settings: EventsSettings,
    bookings: Iterable[Booking],
    *,
    exclude: Iterable[int],
    override: str | None,
) -> list[Conflict]:
    """The conflicts of these bookings; a 409 naming them unless overridden with a reason."""
    excluded = set(exclude)
    conflicts: list[Conflict] = []
    for booking in bookings:
        conflicts += await find_conflicts(
            session, booking, max_event_days=settings.max_event_days, exclude=excluded
        )
    if conflicts and not override:
        raise conflict_problem(conflicts, await _names(session, conflicts))
    return conflicts


async def _names(session: AsyncSession, conflicts: list[Conflict]) -> dict[str, str]:
    names: dict[str, str] = {}
    for conflict in conflicts:
        if conflict.venue_id is not None:
            venue = await session.get(Venue, conflict.venue_id)
            if venue is not None:
                names[f"venue:{venue.id}"] = f"«{venue.name_ka}»"
        if conflict.official_code is not None:
            official = await session.get(Official, conflict.official_code)
            if official is not None:
                names[f"official:{official.code}"] = official.name_ka
    return names


def booking_of(event: Event) -> Booking:
    return Booking(event.starts_at, event.ends_at, event.venue_id, event.official_codes)


def conflict_details(conflicts: list[Conflict], override: str | None) -> dict[str, Any]:
    if not conflicts:
        return {}
    return {
        "conflicts_overridden": sorted({c.event_id for c in conflicts}),
        "override_reason": override,
    }


# The bus.


def facts(event: Event) -> dict[str, Any]:
    venue = event.venue
    place: LocalizedText | None = None
    if venue is not None:
        ka = venue.name_ka + (f", {venue.address_ka}" if venue.address_ka else "")
        en = venue.name_en and venue.name_en + (f", {venue.address_en}" if venue.address_en else "")
        place = LocalizedText(ka=ka, en=en)
    elif event.place_ka:
        place = LocalizedText(ka=event.place_ka, en=event.place_en)
    return {
        "event_id": event.id,
        "case_id": event.case,
        "kind": event.kind,
        "state": event.state,
        "title": LocalizedText(ka=event.title_ka, en=event.title_en),
        "description": LocalizedText(ka=event.description_ka, en=event.description_en)
        if event.description_ka
        else None,
        "place": place,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "public": event.public,
        "officials": [
            OfficialRef(
                code=booking.official.code,
                name=LocalizedText(ka=booking.official.name_ka, en=booking.official.name_en),
            )
            for booking in event.officials
        ],
        "series_id": event.series_id,
        "visit_id": event.visit_id,
        "revision": event.revision,
        "changed_at": event.updated_at,
        "photos": photo_refs(event.photos or []),
        "video_url": event.video_url,
    }


async def announce(
    session: AsyncSession, outbox: Outbox, event: Event, model: type[EventFacts], **extra: Any
) -> None:
    await session.flush()
    # What the event refers to as it is now (a venue just set is not loaded yet).
    await session.refresh(event, ["venue", "officials", "series"])
    await outbox.add(session, model(**facts(event), **extra), about=f"event:{event.id}")


# Writing.


def _new_event(data: EventCreate, user: User, starts_at: datetime, moment: datetime) -> Event:
    duration = data.ends_at - data.starts_at
    fields = data.model_dump(
        exclude={"kind", "recurrence", "schedule", "conflict_override_reason", "officials",
                 "starts_at", "ends_at"}
    )  # fmt: skip
    if data.kind == "press_conference" and not data.follow_up_kind:
        fields["follow_up_kind"] = "press_release"
    if data.kind in WORKFLOW_KINDS and not data.responsible:
        # Someone carries every press conference and meeting: by default whoever planned it.
        fields["responsible"] = user.id
    return Event(
        kind=data.kind,
        state=EventState.DRAFT.value,
        **fields,
        starts_at=starts_at,
        ends_at=starts_at + duration,
        revision=0,
        source="staff",
        detached=False,
        created_by=user.id,
        created_at=moment,
        updated_at=moment,
    )


async def create_events(
    session: AsyncSession, settings: EventsSettings, data: EventCreate, user: User
) -> tuple[list[Event], list[Conflict]]:
    """A draft event, or a draft series of them; the caller schedules them if asked."""
    check_length(settings, data.starts_at, data.ends_at)
    await venue_for(session, data.venue_id, data.expected_attendance)
    officials = await officials_named(session, data.officials)
    moment = now()
    series: Series | None = None
    starts = [data.starts_at.astimezone(UTC)]
    if data.recurrence is not None:
        try:
            rule = recurrence.normalise(
                data.recurrence.rrule,
                horizon=data.starts_at + timedelta(days=settings.series_horizon_days),
            )
            starts = recurrence.occurrences(rule, data.starts_at, limit=settings.max_occurrences)
        except recurrence.RuleError as error:
            raise Problem(
                422,
                "The request is not valid",
                f"recurrence.rrule: {error}",
                errors=[{"field": "recurrence.rrule", "message": str(error)}],
            ) from None
        series = Series(
            rrule=rule,
            starts_at=starts[0],
            duration_seconds=int((data.ends_at - data.starts_at).total_seconds()),
            created_by=user.id,
            created_at=moment,
        )
        session.add(series)
    duration = data.ends_at - data.starts_at
    conflicts = await guard_conflicts(
        session,
        settings,
        [Booking(start, start + duration, data.venue_id, data.officials) for start in starts],
        exclude=(),
        override=data.conflict_override_reason,
    )
    created = []
    for start in starts:
        event = _new_event(data, user, start, moment)
        if series is not None:
            event.series = series
            event.recurrence_id = start
        book_officials(event, officials)
        session.add(event)
        created.append(event)
    await session.flush()
    for event in created:
        event.case_id = event.id
        note(
            session,
            event,
            "create",
            user.id,
            origin="",
            reason=data.conflict_override_reason if conflicts else None,
            details=conflict_details(
                [c for c in conflicts if _overlaps(c, event)], data.conflict_override_reason
            ),
        )
    return created, conflicts


def _overlaps(conflict: Conflict, event: Event) -> bool:
    return conflict.starts_at < event.ends_at and conflict.ends_at > event.starts_at


async def in_scope(session: AsyncSession, event: Event, scope: Scope) -> list[Event]:
    """The event, and with a series the others the scope takes: this one first, then the
    following occurrences, or every occurrence still open."""
    if event.series_id is None or scope == "this":
        return [event]
    query = (
        select(Event)
        .where(Event.series_id == event.series_id, Event.id != event.id)
        .where(Event.state.in_([state.value for state in OPEN_STATES]))
        .order_by(Event.starts_at)
    )
    if scope == "following":
        query = query.where(Event.starts_at > event.starts_at)
    return [event, *(await session.scalars(query))]


async def split_series(session: AsyncSession, events: list[Event], user: User) -> Series | None:
    """Make the occurrences from the first of `events` on a series of their own, the old
    series ending before it (RFC 5545's way with "this and following")."""
    first = events[0]
    old = first.series
    if old is None:
        return None
    earlier = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.series_id == old.id, Event.starts_at < first.starts_at)
    )
    if not earlier:
        return old
    new = Series(
        rrule=old.rrule,
        starts_at=first.recurrence_id or first.starts_at,
        duration_seconds=old.duration_seconds,
        split_from_id=old.id,
        created_by=user.id,
        created_at=now(),
    )
    session.add(new)
    old.rrule = recurrence.ending_before(old.rrule, first.recurrence_id or first.starts_at)
    for event in events:
        if event.series_id == old.id:
            event.series = new
    return new


async def edit_events(
    session: AsyncSession,
    outbox: Outbox,
    settings: EventsSettings,
    event_id: int,
    data: EventUpdate,
    user: User,
) -> list[Event]:
    """Change an event, or with `scope` the occurrences of its series it names. The time
    of a draft moves here; an announced event moves by rescheduling."""
    event = await load(session, event_id, lock=True)
    changes = data.model_dump(exclude_unset=True, exclude={"scope", "conflict_override_reason"})
    targets = await in_scope(session, event, data.scope)
    moves_time = "starts_at" in changes or "ends_at" in changes
    starts_at = changes.get("starts_at") or event.starts_at
    ends_at = changes.get("ends_at") or event.ends_at
    if moves_time:
        if ends_at <= starts_at:
            raise Problem(422, "The request is not valid", "ends_at: must be after starts_at")
        check_length(settings, starts_at, ends_at)
        announced = [t for t in targets if t.state != EventState.DRAFT]
        if announced:
            raise Problem(
                409,
                "Announced events move by rescheduling",
                f"Event {announced[0].id} is {announced[0].state}; POST "
                f"/events/{announced[0].id}/reschedule gives it a new date.",
                state=announced[0].state,
            )
    for target in targets:
        if EventState(target.state) not in OPEN_STATES:
            raise refused(TransitionRefused(EventState(target.state), EventAction.EDIT))
    officials = (
        await officials_named(session, changes["officials"]) if "officials" in changes else None
    )
    attendance = changes.get("expected_attendance", event.expected_attendance)
    await venue_for(session, changes.get("venue_id", event.venue_id), attendance)
    if data.scope == "following" and len(targets) > 1:
        await split_series(session, targets, user)
    shift = starts_at - event.starts_at
    duration = ends_at - starts_at
    changed_per_event: dict[int, list[str]] = {}
    for target in targets:
        fields = (
            changes
            if target is event
            else {name: value for name, value in changes.items() if name in SERIES_FIELDS}
        )
        changed = [name for name, value in fields.items() if name not in ("officials", "starts_at",
                   "ends_at") and getattr(target, name) != value]  # fmt: skip
        for name in changed:
            setattr(target, name, fields[name])
        if officials is not None and target.official_codes != [o.code for o in officials]:
            book_officials(target, officials)
            changed.append("officials")
        if moves_time:
            new_start = target.starts_at + shift
            if (new_start, new_start + duration) != (target.starts_at, target.ends_at):
                target.starts_at, target.ends_at = new_start, new_start + duration
                changed += ["starts_at", "ends_at"]
                sync_bookings(target)
        if changed:
            changed_per_event[target.id] = changed
    if not changed_per_event:
        return targets
    touched = [t for t in targets if t.id in changed_per_event]
    books = {"venue_id", "officials", "starts_at", "ends_at"}
    rebooked = [
        t for t in touched if books & set(changed_per_event[t.id]) and t.state in HOLDS_TIME
    ]
    conflicts = await guard_conflicts(
        session,
        settings,
        [booking_of(t) for t in rebooked],
        exclude=[t.id for t in targets],
        override=data.conflict_override_reason,
    )
    for target in touched:
        changed = changed_per_event[target.id]
        if data.scope == "this" and target.series_id is not None:
            target.detached = True
        target.revision += 1
        target.updated_at = now()
        note(
            session,
            target,
            "edit",
            user.id,
            reason=data.conflict_override_reason if conflicts else None,
            details={
                "fields": changed,
                "scope": data.scope,
                **conflict_details(
                    [c for c in conflicts if _overlaps(c, target)], data.conflict_override_reason
                ),
            },
        )
        if EventState(target.state) in ANNOUNCED:
            words = sorted({ANNOUNCED_FIELDS[name] for name in changed if name in ANNOUNCED_FIELDS})
            if words:
                await announce(session, outbox, target, EventUpdated, changed=words)
    return targets


async def choose_pictures(
    session: AsyncSession, outbox: Outbox, event_id: int, data: EventPictures, user: User
) -> Event:
    """The event's gallery and recording, the whole list at once, at any stage: photos
    come after the event more often than before. A public event announced says so on the
    bus; nothing changed, nothing is said."""
    event = await load(session, event_id, lock=True)
    photos = [choice.model_dump() for choice in data.photos]
    if (event.photos or []) == photos and event.video_url == data.video_url:
        return event
    event.photos, event.video_url = photos, data.video_url
    event.revision += 1
    event.updated_at = now()
    note(session, event, "edit", user.id, details={"fields": ["photos", "video_url"]})
    if EventState(event.state) in ANNOUNCED:
        await announce(session, outbox, event, EventUpdated, changed=["photos"])
    return event


def briefing_for(settings: EventsSettings, event: Event) -> BriefingNote | None:
    """A meeting with a foundation or NGO gets its briefing note, due before it."""
    if event.kind != "foundation_meeting":
        return None
    return BriefingNote(
        case_id=event.case,
        author=event.responsible,
        due_at=event.starts_at - timedelta(days=settings.briefing_due_days),
        status="due",
    )


CARRIED_TO_NEW_DATE = (
    "title_ka", "title_en", "description_ka", "description_en", "organiser_ka", "organiser_en",
    "partner_ka", "partner_en", "partner_id", "responsible", "follow_up_kind", "venue_id",
    "place_ka", "place_en", "public", "expected_attendance", "series_id", "recurrence_id",
    "source", "visit_id", "visit_item_id",
)  # fmt: skip


def copy_for_new_date(event: Event, starts_at: datetime, ends_at: datetime, user: User) -> Event:
    """The event at its new date: the same case, officials and agenda; a new row."""
    moment = now()
    copy = Event(
        case_id=event.case,
        kind=event.kind,
        state=EventState.SCHEDULED.value,
        **{name: getattr(event, name) for name in CARRIED_TO_NEW_DATE},
        starts_at=starts_at,
        ends_at=ends_at,
        detached=event.series_id is not None,
        rescheduled_from_id=event.id,
        revision=event.revision + 1,
        created_by=user.id,
        created_at=moment,
        updated_at=moment,
    )
    copy.officials = [
        EventOfficial(
            official_code=booking.official_code,
            official=booking.official,
            position=booking.position,
        )
        for booking in event.officials
    ]
    copy.agenda = [
        AgendaItem(
            position=item.position,
            title_ka=item.title_ka,
            title_en=item.title_en,
            presenter=item.presenter,
            duration_minutes=item.duration_minutes,
        )
        for item in event.agenda
    ]
    sync_bookings(copy)
    return copy
