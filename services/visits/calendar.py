"""A visit's programme as an iCalendar file for its participants, in Tbilisi time.

Written by the `icalendar` library with the Asia/Tbilisi time zone carried in the file,
so a guest's phone in Warsaw shows each meeting at the right hour of its own clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from meria import municipality
from services.visits.checklists import TBILISI
from services.visits.models import Visit

KINDS = {
    "meeting": ("შეხვედრა", "Meeting"),
    "site_visit": ("ობიექტის დათვალიერება", "Site visit"),
    "meal": ("სადილი", "Meal"),
    "cultural": ("კულტურული პროგრამა", "Cultural programme"),
    "press_event": ("მედიასთან შეხვედრა", "Press event"),
    "travel": ("გადაადგილება", "Travel"),
}
PARTICIPANTS = {"ka": "მონაწილეები", "en": "Participants"}


def _pick(lang: str, ka: str, en: str | None) -> str:
    return en if lang == "en" and en else ka


def programme_calendar(visit: Visit, lang: Literal["ka", "en"] = "ka") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", municipality.current().prodid("Meria visits"))
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _pick(lang, visit.title_ka, visit.title_en))
    calendar.add("x-wr-timezone", "Asia/Tbilisi")
    stamp = datetime.now(UTC)
    for item in visit.programme:
        event = CalendarEvent()
        event.add("uid", municipality.current().uid(f"visit-{visit.id}-item-{item.id}"))
        event.add("sequence", item.sequence)
        event.add("dtstamp", stamp)
        event.add("last-modified", item.updated_at)
        event.add("dtstart", item.starts_at.astimezone(TBILISI))
        event.add("dtend", item.ends_at.astimezone(TBILISI))
        event.add("summary", _pick(lang, item.title_ka, item.title_en))
        event.add("location", _pick(lang, item.place_ka, item.place_en))
        event.add("categories", [KINDS[item.kind][1 if lang == "en" else 0]])
        lines = []
        if item.participants:
            lines.append(f"{PARTICIPANTS[lang]}: {', '.join(item.participants)}")
        if item.notes:
            lines.append(item.notes)
        if lines:
            event.add("description", "\n".join(lines))
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
