"""iCalendar feeds: the public calendar, the city hall's internal one, and one per official.

Written by the `icalendar` library with the Asia/Tbilisi time zone in the file. One
VEVENT per event; a case moved to a new date keeps its UID (the case's) with a higher
SEQUENCE, so a subscribed calendar moves the event instead of showing it twice. Staff
subscribe to the internal and officials' feeds with a signed key in the address, since
calendar applications send no bearer token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from meria.db import Database
from meria.problems import Problem
from services.events.events import filtered
from services.events.models import Event, Official
from services.events.settings import EventsSettings
from services.events.states import EventState
from services.events.texts import CALENDARS, KINDS, TBILISI

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
    """One of the calendars as an iCalendar file: `public`, `internal` or `official`."""
    today = datetime.now(UTC)
    states = [s.value for s in STATUS]
    if calendar_name == "public":
        states.remove(EventState.DRAFT.value)
    query = filtered(
        starts_from=today - timedelta(days=settings.feed_past_days),
        starts_to=today + timedelta(days=settings.feed_future_days),
        max_event_days=settings.max_event_days,
        state=states,
        public=True if calendar_name == "public" else None,
        official=official,
    )
    async with database.session() as session:
        title_ka, title_en = CALENDARS.get(calendar_name, CALENDARS["internal"])
        if official is not None:
            person = await session.get(Official, official)
            if person is None:
                raise Problem(404, "No such official", f"There is no official {official!r}.")
            title_ka, title_en = person.name_ka, person.name_en or person.name_ka
        events = list(await session.scalars(query))
    calendar = Calendar()
    calendar.add("prodid", "-//Akhmeta Municipality City Hall//Meria events//KA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title_en if lang == "en" else title_ka)
    calendar.add("x-wr-timezone", "Asia/Tbilisi")
    base = settings.website_url.rstrip("/")
    for event in events:
        calendar.add_component(_vevent(event, lang, public=calendar_name == "public", base=base))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _vevent(event: Event, lang: str, *, public: bool, base: str) -> CalendarEvent:
    state = EventState(event.state)
    item = CalendarEvent()
    item.add("uid", f"event-{event.case}@akhmeta.meria")
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
    venue = event.venue
    place = (
        _pick(lang, venue.name_ka, venue.name_en)
        if venue
        else _pick(lang, event.place_ka, event.place_en)
    )
    if place:
        item.add("location", place)
    lines = [_pick(lang, event.description_ka, event.description_en) or ""]
    if event.officials:
        lines.append(
            ", ".join(
                _pick(lang, b.official.name_ka, b.official.name_en) or "" for b in event.officials
            )
        )
    if event.status_reason and state in (EventState.POSTPONED, EventState.CANCELLED):
        lines.append(event.status_reason)
    description = "\n\n".join(line for line in lines if line)
    if description:
        item.add("description", description)
    item.add("categories", [KINDS.get(event.kind, (event.kind, event.kind))[lang == "en"]])
    item.add("status", STATUS[state])
    item.add("class", "PUBLIC" if event.public else "CONFIDENTIAL")
    if event.series_id is not None:
        item.add("related-to", f"series-{event.series_id}@akhmeta.meria")
    if public:
        prefix = "/en" if lang == "en" else ""
        item.add(
            "url", f"{base}{prefix}/calendar?month={event.starts_at.astimezone(TBILISI):%Y-%m}"
        )
    return item


async def officials_with_events(database: Database) -> list[Official]:
    async with database.session() as session:
        return list(await session.scalars(select(Official).order_by(Official.code)))
