"""A press office on record for the portal's media relations pages: Georgian outlets and
journalists, a rule list, an event's accreditation window with requests, made through the
media service's API as the press officer would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.media import IMEDI, INTERPRESSNEWS, KAKHETI_INFO, MediaDesk, journalist
from tests.support.stack import Stack

EVENT_ID = 4101
CONFERENCE = {
    "title_ka": "მერის პრესკონფერენცია თუშეთის გზის გახსნაზე",
    "title_en": "The mayor's press conference on the Tusheti road opening",
}
# Those who ask for accreditation: (name, email, outlet's key).
REPORTERS = {
    "natia": ("ნათია ჩიკვაიძე", "natia@ipn.ge", "ipn"),
    "mariam": ("მარიამ ლომიძე", "mariam@imedi.ge", "imedi"),
    "teona": ("თეონა ბაღაშვილი", "teona@kakhetiskhma.ge", "kakheti"),
}


@dataclass
class PressOffice:
    outlets: dict[str, dict[str, Any]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    accreditations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tv_list: dict[str, Any] = field(default_factory=dict)


def window() -> dict[str, str]:
    moment = datetime.now(UTC)
    return {
        **CONFERENCE,
        "starts_at": (moment + timedelta(days=2)).isoformat(),
        "closes_at": (moment + timedelta(days=1)).isoformat(),
    }


async def press_office(stack: Stack, http: httpx.AsyncClient) -> PressOffice:
    """Three outlets and their reporters, a list of every TV, and an open window for a
    press conference with each reporter's request waiting for a decision."""
    officer = MediaDesk(stack, http, "giorgi.media", "media_officer")
    office = PressOffice()
    for key, outlet in (("ipn", INTERPRESSNEWS), ("imedi", IMEDI), ("kakheti", KAKHETI_INFO)):
        office.outlets[key] = await officer.ok("POST", "/outlets", json=outlet)
    for key, (name, email, outlet) in REPORTERS.items():
        body = journalist(name, email, office.outlets[outlet]["id"])
        office.people[key] = await officer.ok("POST", "/journalists", json=body)
    office.tv_list = await officer.ok(
        "POST",
        "/distribution-lists",
        json={"name_ka": "ყველა ტელევიზია", "name_en": "All TV", "kind": "rule",
              "rule": {"media": ["tv"]}},
    )  # fmt: skip
    await officer.ok("PUT", f"/accreditation-windows/{EVENT_ID}", json=window())
    for key, person in office.people.items():
        office.accreditations[key] = await officer.ok(
            "POST", "/accreditations", json={"event_id": EVENT_ID, "journalist_id": person["id"]}
        )
    return office
