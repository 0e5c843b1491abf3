"""Events in the staff portal over real HTTP, with the events, publishing and media services,
the worker, NATS and Temporal running: the calendar by month and as a list, the new press
conference form with its refusals and conflicts, the event's page and its changes, and a
meeting's briefing note from the inbox to done."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.portal import STAFF, Person, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

PRESS_OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
TITLE = "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ"
TITLE_EN = "Press conference of the mayor on the Tusheti road season"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "media", "events", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *PRESS_OFFICER)
        planner = EventsDesk(stack, http, "setup", "protocol_officer")
        await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        yield stack


async def person(stack: Stack, username: str) -> Person:
    """Signed in, reading the portal in English (its Georgian catalogs come later)."""
    someone = Person(stack, username)
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    await someone.get("/language?to=en&next=/events")
    return someone


def local(moment: datetime) -> str:
    return moment.astimezone(TBILISI).strftime("%Y-%m-%dT%H:%M")


def conference(day: datetime, **fields: str) -> dict[str, str]:
    return {
        "kind": "press_conference",
        "title_ka": TITLE,
        "title_en": TITLE_EN,
        "venue_id": "1",
        "starts_at": local(day.replace(hour=11)),
        "ends_at": local(day.replace(hour=12)),
        "responsible": PRESS_OFFICER[0],
        "follow_up_kind": "press_release",
        "public": "1",
        "action": "schedule",
        **fields,
    }


async def test_a_press_conference_from_the_form_to_the_calendar_and_the_inbox(
    portal: Stack,
) -> None:
    officer = await person(portal, PRESS_OFFICER[0])
    form = await officer.get("/events/new?kind=press_conference")
    assert form.status_code == 200 and "New press conference" in form.text
    assert 'name="csrftoken"' in form.text.split("<form", 2)[2][:300]
    day = (datetime.now(TBILISI) + timedelta(days=6)).replace(minute=0, second=0, microsecond=0)

    # A refused form keeps what was typed and says what is missing.
    refused = await officer.post(
        "/events/new", conference(day, title_ka="", officials="mayor", description_ka="თუშეთი")
    )
    assert refused.status_code == 422
    assert "The Georgian title is required." in refused.text
    assert "თუშეთი" in refused.text and 'aria-invalid="true"' in refused.text

    created = await officer.post("/events/new", conference(day, officials="mayor"))
    assert created.status_code == 303
    event_path = created.headers["location"].split("?")[0]
    page = await officer.get(created.headers["location"])
    # Read in English, it shows the English title.
    assert page.status_code == 200 and TITLE_EN in page.text
    assert "The event is announced." in page.text

    # The month shows it on its day; the list too.
    month = await officer.get(f"/events?month={day:%Y-%m}")
    assert f'href="{event_path}"' in month.text and TITLE_EN in month.text
    listed = await officer.get(f"/events?month={day:%Y-%m}&view=list")
    assert "<table>" in listed.text and TITLE_EN in listed.text

    # A crowded day shows its first four and a link to the rest, which lists that day
    # alone, a page at a time.
    async with httpx.AsyncClient(timeout=20) as http:
        planner = EventsDesk(portal, http, "ana.protocol", "protocol_officer")
        for hour in range(13, 18):
            await planner.create({
                "kind": "ceremony", "title_ka": f"ჯილდოების გადაცემა, ნაკადი {hour}",
                "title_en": f"Award ceremony, round {hour}", "venue_id": 2, "public": False,
                "starts_at": day.replace(hour=hour).isoformat(),
                "ends_at": day.replace(hour=hour, minute=45).isoformat(),
            })  # fmt: skip
    month = await officer.get(f"/events?month={day:%Y-%m}")
    cell = month.text.split(f'<span class="day">{day.day}</span>', 1)[1].split("</td>", 1)[0]
    assert cell.count('class="event') == 4 and "2 more" in cell
    more = re.search(r'href="(/events\?month=[^"]*day=\d+)"', cell)
    assert more is not None
    that_day = await officer.get(more.group(1).replace("&amp;", "&"))
    assert that_day.status_code == 200 and "6 events on" in that_day.text
    assert len(re.findall(r'<a href="/events/\d+">', that_day.text)) == 6
    assert "Award ceremony, round 17" in that_day.text and TITLE_EN in that_day.text

    # The same hall at the same hour: refused, naming the conference, until a reason is given.
    clash = conference(
        day, title_ka="ბრიფინგი ზამთრის სეზონზე", ends_at=local(day.replace(hour=13))
    )
    refused = await officer.post("/events/new", clash)
    assert refused.status_code == 409
    assert (
        f'href="{event_path}"' in refused.text and 'id="conflict_override_reason"' in refused.text
    )
    # In the form's own words: the service's sentence names its API's field, the form not.
    assert "The venue or an official is already booked at that time." in refused.text
    assert "give conflict_override_reason" not in refused.text
    booked = await officer.post(
        "/events/new", {**clash, "conflict_override_reason": "დარბაზის ორივე ნაწილი გვაქვს"}
    )
    assert booked.status_code == 303

    # The media advisory goes to the head of department's inbox through publishing.
    head = await person(portal, STAFF["head"][0])
    for _ in range(100):
        inbox = await head.get("/inbox")
        if "მედია-ანონსი" in inbox.text:
            break
        await asyncio.sleep(0.2)
    assert f"მედია-ანონსი: {TITLE}" in inbox.text
    page = await officer.get(event_path)
    assert "Media advisory" in page.text

    # Postponed from its page, with the reason; without one, refused.
    no_reason = await officer.post(f"{event_path}/change", {"action": "postpone", "reason": ""})
    assert no_reason.status_code == 422
    postponed = await officer.post(
        f"{event_path}/change", {"action": "postpone", "reason": "მერი თბილისში იბარებენ"}
    )
    assert postponed.status_code == 303
    page = await officer.get(postponed.headers["location"])
    assert "The event is postponed." in page.text and "მერი თბილისში იბარებენ" in page.text


async def test_a_briefing_note_from_the_inbox_to_done(portal: Stack) -> None:
    protocol = await person(portal, STAFF["protocol"][0])
    day = (datetime.now(TBILISI) + timedelta(days=9)).replace(minute=0, second=0, microsecond=0)
    created = await protocol.post(
        "/events/new",
        {
            "kind": "foundation_meeting",
            "title_ka": "შეხვედრა UNDP-სთან ადგილობრივი განვითარების შესახებ",
            "partner_ka": "გაეროს განვითარების პროგრამა (UNDP)",
            "place_ka": "მერია",
            "starts_at": local(day.replace(hour=15)),
            "ends_at": local(day.replace(hour=16)),
            "responsible": STAFF["protocol"][0],
            "action": "schedule",
        },
    )
    assert created.status_code == 303, created.text
    event_path = created.headers["location"].split("?")[0]

    # The note's task is in my inbox, and opens on the meeting's page.
    link = None
    for _ in range(100):
        inbox = await protocol.get("/inbox")
        found = re.search(r'<a href="(/tasks/meeting-\d+-task-briefing)">', inbox.text)
        if found:
            link = found.group(1)
            break
        await asyncio.sleep(0.2)
    assert link is not None, "the briefing note never reached the inbox"
    opened = await protocol.get(link)
    assert opened.status_code == 303 and opened.headers["location"].startswith(event_path)
    page = await protocol.get(event_path)
    assert "Briefing note" in page.text

    submitted = await protocol.post(
        f"{event_path}/briefing",
        {"body_ka": "UNDP გვთავაზობს მცირე გრანტებს თუშეთის სასტუმროებისთვის.",
         "action": "submit"},
    )  # fmt: skip
    assert submitted.status_code == 303
    page = await protocol.get(submitted.headers["location"])
    assert "The briefing note is submitted." in page.text
    for _ in range(100):
        inbox = await protocol.get("/inbox")
        if "task-briefing" not in inbox.text:
            break
        await asyncio.sleep(0.2)
    assert "task-briefing" not in inbox.text
