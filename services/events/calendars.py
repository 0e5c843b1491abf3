"""iCalendar feeds: the public calendar, the city hall's internal one, and one per official.

Written by the `icalendar` library with the Asia/Tbilisi time zone in the file. One
VEVENT per event; a case moved to a new date keeps its UID (the case's) with a higher
SEQUENCE, so a subscribed calendar moves the event instead of showing it twice. Staff
subscribe to the internal and officials' feeds with a signed key in the address, since
calendar applications send no bearer token.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, func, select

from meria import municipality
from meria.db import Database
from meria.problems import Problem
from services.events.events import filtered
from services.events.models import Event, EventOfficial, Official, Venue
from services.events.settings import EventsSettings
from services.events.states import EventState
from services.events.texts import KINDS, TBILISI, calendars

FEED_SALT = "meria-events-feed"
STATUS = {
    EventState.DRAFT: "TENTATIVE",
    EventState.SCHEDULED: "CONFIRMED",
    EventState.POSTPONED: "TENTATIVE",
    EventState.CANCELLED: "CANCELLED",
    EventState.COMPLETED: "CONFIRMED",
}
POSTPONED = {"ka": "გადაიდო", "en": "Postponed"}
DRAFT = {"ka": "მონახაზი", "en": "Draft"}


def _serializer(settings: EventsSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt=FEED_SALT)


def feed_key(settings: EventsSettings, calendar: str) -> str:
    return str(_serializer(settings).dumps(calendar))


def key_opens(settings: EventsSettings, key: str, calendar: str) -> bool:
    try:
        return bool(_serializer(settings).loads(key) == calendar)
    except BadSignature:
        return False


def _pick(lang: str, ka: str | None, en: str | None) -> str | None:
    return en if lang == "en" and en else ka


async def feed(
    database: Database,
    settings: EventsSettings,
    calendar_name: str,
    *,
    lang: Literal["ka", "en"] = "ka",
    official: str | None = None,
) -> bytes:
    """One of the calendars as an iCalendar file: `public`, `internal` or `official`.

    Unchanged since it was last made (its fingerprint, a cheap query, says so), the file
    made then is it. Otherwise its events are read a page at a time and written in a
    thread: thousands of VEVENTs take the icalendar library seconds, in which the loop
    must answer everyone else. Requests for a feed being made wait for that one making."""
    today = datetime.now(UTC)
    states = [s.value for s in STATUS]
    if calendar_name == "public":
        states.remove(EventState.DRAFT.value)
    # The window read a season at a time: each query walks a season's events alone.
    first = today - timedelta(days=settings.feed_past_days)
    last = today + timedelta(days=settings.feed_future_days)
    seasons = [
        filtered(
            starts_from=start,
            starts_to=min(start + SEASON, last),
            max_event_days=settings.max_event_days,
            state=states,
            public=True if calendar_name == "public" else None,
            official=official,
        )
        for start in _steps(first, last, SEASON)
    ]
    # Per database: a process may hold several (the tests' services share one).
    key = (str(database.url), calendar_name, lang, official)
    async with database.session() as session:
        titles = calendars()
        title_ka, title_en = titles.get(calendar_name, titles["internal"])
        if official is not None:
            person = await session.get(Official, official)
            if person is None:
                raise Problem(404, "No such official", f"There is no official {official!r}.")
            title_ka, title_en = person.name_ka, person.name_en or person.name_ka
        # Whether anything changed since the file was made, read from indexes in a few
        # milliseconds: how many events there are and the latest change to any (an edit,
        # a new event), the names the feeds show, and the day (the window moves with it).
        # A change outside the window makes the file again too, from VEVENTs kept.
        changes = (await session.execute(select(func.count(), func.max(Event.updated_at)))).one()
        fingerprint = (tuple(changes), await _names(session), today.date())
    made = _FEEDS.get(key)
    if made is not None and made[0] == fingerprint:
        return made[1]
    making = _MAKING.get(key)
    if making is None or making[0] != fingerprint:
        title = title_en if lang == "en" else title_ka
        making = _MAKING[key] = (
            fingerprint,
            asyncio.create_task(_make(database, seasons, key, title, settings)),
        )
    try:
        # Shielded: a caller who goes away does not stop the making others wait for.
        body = await asyncio.shield(making[1])
    finally:
        if making[1].done() and _MAKING.get(key) is making:
            del _MAKING[key]
    _FEEDS[key] = (fingerprint, body)
    return body


async def _make(
    database: Database,
    seasons: list[Select[tuple[Event]]],
    key: FeedKey,
    title: str,
    settings: EventsSettings,
) -> bytes:
    _, calendar_name, lang, _ = key
    events = await _listed(database, seasons)
    base = settings.website_url.rstrip("/")
    return await asyncio.to_thread(_written, events, title, lang, calendar_name == "public", base)


# Events read per query for a feed: each page holds the loop for a few milliseconds.
PAGE = 250
SEASON = timedelta(days=91)


def _steps(first: datetime, last: datetime, step: timedelta) -> list[datetime]:
    starts = [first]
    while starts[-1] + step < last:
        starts.append(starts[-1] + step)
    return starts


@dataclass(frozen=True, slots=True)
class Listed:
    """What a VEVENT shows of one event, read without the table models."""

    id: int
    case: int
    revision: int
    state: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    updated_at: datetime
    title_ka: str
    title_en: str | None
    description_ka: str | None
    description_en: str | None
    place_ka: str | None
    place_en: str | None
    status_reason: str | None
    public: bool
    series_id: int | None
    venue: tuple[str, str | None] | None
    officials: tuple[tuple[str, str | None], ...]


# The columns read, in the order of Listed's fields up to the venue's names.
LISTED_COLUMNS = (
    Event.id, Event.case_id, Event.revision, Event.state, Event.kind, Event.starts_at,
    Event.ends_at, Event.created_at, Event.updated_at, Event.title_ka, Event.title_en,
    Event.description_ka, Event.description_en, Event.place_ka, Event.place_en,
    Event.status_reason, Event.public, Event.series_id, Venue.name_ka, Venue.name_en,
)  # fmt: skip
LISTED_NAMES = [field.name for field in fields(Listed)][:18]


async def _listed(database: Database, seasons: list[Select[tuple[Event]]]) -> list[Listed]:
    """The feed's events in order: their ids first, a season at a time (an event over two
    seasons once), then the events a page at a time by id, the loop free in between."""
    found: list[Listed] = []
    async with database.session() as session:
        ids: list[int] = []
        for season in seasons:
            ids.extend(await session.scalars(season.with_only_columns(Event.id)))
            await asyncio.sleep(0)
        ids = list(dict.fromkeys(ids))
        for start in range(0, len(ids), PAGE):
            page = ids[start : start + PAGE]
            rows = await session.execute(
                select(*LISTED_COLUMNS)
                .outerjoin(Venue, Venue.id == Event.venue_id)
                .where(Event.id.in_(page))
            )
            officials: dict[int, list[tuple[str, str | None]]] = {}
            bookings = await session.execute(
                select(EventOfficial.event_id, Official.name_ka, Official.name_en)
                .join(Official, Official.code == EventOfficial.official_code)
                .where(EventOfficial.event_id.in_(page))
                .order_by(EventOfficial.event_id, EventOfficial.position)
            )
            for event_id, name_ka, name_en in bookings.tuples():
                officials.setdefault(event_id, []).append((name_ka, name_en))
            by_id: dict[int, Listed] = {}
            for row in rows:
                values = tuple(row)
                venue = (values[18], values[19]) if values[18] is not None else None
                shown = dict(zip(LISTED_NAMES, values, strict=False))
                shown["case"] = shown["case"] or shown["id"]
                named = tuple(officials.get(values[0], ()))
                by_id[values[0]] = Listed(**shown, venue=venue, officials=named)
            found.extend(by_id[event_id] for event_id in page)
            await asyncio.sleep(0)
    return found


def _written(events: list[Listed], title: str, lang: str, public: bool, base: str) -> bytes:
    """The iCalendar file (in a thread: it touches no database)."""
    calendar = Calendar()
    calendar.add("prodid", municipality.current().prodid("Meria events"))
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-timezone", "Asia/Tbilisi")
    return _assembled(calendar, [_vevent_text(event, lang, public, base) for event in events])


# Writing thousands of VEVENTs is the library's slowest work (line folding, parameter
# escaping): each event is written once per version and kept, and a feed is assembled
# from what is kept; a feed whose events and names did not change is served as made.
# Feeds are written in threads, so the kept VEVENTs are shared under a lock.
_VEVENTS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_VEVENTS_KEPT = 50_000
_VEVENTS_LOCK = threading.Lock()
FeedKey = tuple[str, str, str, str | None]  # database, calendar, language, official
_FEEDS: dict[FeedKey, tuple[Any, bytes]] = {}
_MAKING: dict[FeedKey, tuple[Any, asyncio.Future[bytes]]] = {}


async def _names(session: Any) -> int:
    """A digest of the venues' and officials' names, which the feeds show."""
    venues = (await session.execute(select(Venue.id, Venue.name_ka, Venue.name_en))).all()
    officials = (await session.execute(select(Official.code, Official.name_ka))).all()
    return hash((tuple(map(tuple, venues)), tuple(map(tuple, officials))))


def _vevent_text(event: Listed, lang: str, public: bool, base: str) -> bytes:
    # Plain values only: the collector stops looking at a tuple of them, so thousands of
    # kept VEVENTs do not lengthen its passes over the heap (which hold the loop).
    key = (
        event.id, event.revision, event.updated_at, event.state, lang, public, base,
        event.venue, event.officials,
    )  # fmt: skip
    with _VEVENTS_LOCK:
        found = _VEVENTS.get(key)
        if found is not None:
            _VEVENTS.move_to_end(key)
            return found
    found = bytes(_vevent(event, lang, public=public, base=base).to_ical())
    with _VEVENTS_LOCK:
        _VEVENTS[key] = found
        if len(_VEVENTS) > _VEVENTS_KEPT:
            _VEVENTS.popitem(last=False)
    return found


def _assembled(calendar: Calendar, vevents: list[bytes]) -> bytes:
    """The calendar with its time zone (taken from the first event) and every VEVENT."""
    if vevents:
        calendar.add_component(CalendarEvent.from_ical(vevents[0]))
        calendar.add_missing_timezones()
    head = bytes(calendar.to_ical())
    if not vevents:
        return head
    ending = head.rindex(b"BEGIN:VEVENT")
    return head[:ending] + b"".join(vevents) + b"END:VCALENDAR\r\n"


def _vevent(event: Listed, lang: str, *, public: bool, base: str) -> CalendarEvent:
    state = EventState(event.state)
    item = CalendarEvent()
    item.add("uid", municipality.current().uid(f"event-{event.case}"))
    item.add("sequence", event.revision)
    item.add("dtstamp", event.updated_at)
    item.add("created", event.created_at)
    item.add("last-modified", event.updated_at)
    item.add("dtstart", event.starts_at.astimezone(TBILISI))
    item.add("dtend", event.ends_at.astimezone(TBILISI))
    summary = _pick(lang, event.title_ka, event.title_en) or event.title_ka
    if state is EventState.POSTPONED:
        summary = f"{POSTPONED[lang]}: {summary}"
    elif state is EventState.DRAFT:
        summary = f"[{DRAFT[lang]}] {summary}"
    item.add("summary", summary)
    place = (
        _pick(lang, *event.venue) if event.venue else _pick(lang, event.place_ka, event.place_en)
    )
    if place:
        item.add("location", place)
    lines = [_pick(lang, event.description_ka, event.description_en) or ""]
    if event.officials:
        lines.append(", ".join(_pick(lang, *names) or "" for names in event.officials))
    if event.status_reason and state in (EventState.POSTPONED, EventState.CANCELLED):
        lines.append(event.status_reason)
    description = "\n\n".join(line for line in lines if line)
    if description:
        item.add("description", description)
    item.add("categories", [KINDS.get(event.kind, (event.kind, event.kind))[lang == "en"]])
    item.add("status", STATUS[state])
    item.add("class", "PUBLIC" if event.public else "CONFIDENTIAL")
    if event.series_id is not None:
        item.add("related-to", municipality.current().uid(f"series-{event.series_id}"))
    if public:
        prefix = "/en" if lang == "en" else ""
        item.add(
            "url", f"{base}{prefix}/calendar?month={event.starts_at.astimezone(TBILISI):%Y-%m}"
        )
    return item


async def officials_with_events(database: Database) -> list[Official]:
    async with database.session() as session:
        return list(await session.scalars(select(Official).order_by(Official.code)))
