"""iCalendar feeds: the public calendar, the city hall's internal one, and one per official.

Written by the `icalendar` library with the Asia/Tbilisi time zone in the file. One
VEVENT per event; a case moved to a new date keeps its UID (the case's) with a higher
SEQUENCE, so a subscribed calendar moves the event instead of showing it twice. Staff
subscribe to the internal and officials' feeds with a signed key in the address, since
calendar applications send no bearer token.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from meria.db import Database
from meria.problems import Problem
from services.events.events import filtered
from services.events.models import Event, Official, Venue
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
    public = calendar_name == "public"
    async with database.session() as session:
        title_ka, title_en = CALENDARS.get(calendar_name, CALENDARS["internal"])
        if official is not None:
            person = await session.get(Official, official)
            if person is None:
                raise Problem(404, "No such official", f"There is no official {official!r}.")
            title_ka, title_en = person.name_ka, person.name_en or person.name_ka
        # What the feed is made of, read cheaply: unchanged, the file made last time is it.
        listed = query.subquery()
        fingerprint = (
            tuple(
                (
                    await session.execute(
                        select(func.count(), func.max(listed.c.updated_at), func.sum(listed.c.id))
                    )
                ).one()
            ),
            await _names(session),
            today.date(),
        )
        key = (calendar_name, lang, official)
        made = _FEEDS.get(key)
        if made is not None and made[0] == fingerprint:
            return made[1]
        events = list(await session.scalars(query))
    calendar = Calendar()
    calendar.add("prodid", "-//Akhmeta Municipality City Hall//Meria events//KA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title_en if lang == "en" else title_ka)
    calendar.add("x-wr-timezone", "Asia/Tbilisi")
    base = settings.website_url.rstrip("/")
    body = _assembled(calendar, [_vevent_text(event, lang, public, base) for event in events])
    _FEEDS[key] = (fingerprint, body)
    return body


# Writing thousands of VEVENTs is the library's slowest work (line folding, parameter
# escaping): each event is written once per version and kept, and a feed is assembled
# from what is kept; a feed whose events and names did not change is served as made.
_VEVENTS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_VEVENTS_KEPT = 50_000
_FEEDS: dict[tuple[str, str, str | None], tuple[Any, bytes]] = {}


async def _names(session: Any) -> int:
    """A digest of the venues' and officials' names, which the feeds show."""
    venues = (await session.execute(select(Venue.id, Venue.name_ka, Venue.name_en))).all()
    officials = (await session.execute(select(Official.code, Official.name_ka))).all()
    return hash((tuple(map(tuple, venues)), tuple(map(tuple, officials))))


def _vevent_text(event: Event, lang: str, public: bool, base: str) -> bytes:
    venue = event.venue
    key = (
        event.id, event.revision, event.updated_at, event.state, lang, public, base,
        (venue.name_ka, venue.name_en) if venue else None,
        tuple((b.official.name_ka, b.official.name_en) for b in event.officials),
    )  # fmt: skip
    found = _VEVENTS.get(key)
    if found is None:
        found = bytes(_vevent(event, lang, public=public, base=base).to_ical())
        _VEVENTS[key] = found
        if len(_VEVENTS) > _VEVENTS_KEPT:
            _VEVENTS.popitem(last=False)
    else:
        _VEVENTS.move_to_end(key)
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
