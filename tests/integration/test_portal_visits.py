"""Visits in the staff portal over real HTTP, in Georgian (the portal's default), with the
visits and publishing services, the worker, NATS and Temporal running, and the demo
visits seeded through the API as `make run` seeds them: the list, each visit's page, the
programme's calendar file, the delegation's members for the protocol roles only, and the
"new visit" form and the mayor's decision refusing bad input while changing nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from meria.seed import SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.visits import seed
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack
from tests.support.visits import TBILISI, VisitsDesk

pytestmark = pytest.mark.database

INCOMING = "ბირშტონასის მუნიციპალიტეტის დელეგაციის ვიზიტი ახმეტაში"
OUTGOING = "ახმეტის მერიის ოფიციალური ვიზიტი ნალენჩუვში"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "visits", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await create_staff(stack, http)
        assert await seed.seed(SeedContext(stack.operator_settings(), http)) > 0
        yield stack


async def person(stack: Stack, role: str) -> Person:
    someone = Person(stack, STAFF[role][0])
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    return someone


def visible(page: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", page.text))


async def visit_count(stack: Stack) -> int:
    async with httpx.AsyncClient(timeout=30) as http:
        desk = VisitsDesk(stack, http, "auditor", "head_of_department")
        found = await desk.ok("GET", "/visits")
        return int(found["total"])


async def test_the_seeded_visits_read_in_georgian_with_members_for_protocol_only(
    portal: Stack,
) -> None:
    officer = await person(portal, "protocol")
    listing = await officer.get("/visits")
    assert listing.status_code == 200
    text = visible(listing)
    assert '<html lang="ka"' in listing.text
    assert "<h1>ვიზიტები</h1>" in text
    assert INCOMING in text and OUTGOING in text
    assert "ლიეტუვა" in text  # Lithuania, as Georgian names it
    ids = [int(found) for found in re.findall(r'href="/visits/(\d+)"', listing.text)]
    assert len(set(ids)) == 2

    pages = {visit_id: await officer.get(f"/visits/{visit_id}") for visit_id in set(ids)}
    assert all(page.status_code == 200 for page in pages.values())
    incoming_id = next(i for i, page in pages.items() if INCOMING in visible(page))
    incoming = visible(pages[incoming_id])
    assert "ლოჯისტიკური დავალებები" in incoming
    assert "მოსაწვევი ან ვიზის მხარდამჭერი წერილი" in incoming  # the checklist, in Georgian
    assert "შესრულდა" in incoming  # the invitation letter is done
    assert "შეხვედრა ახმეტის მერთან" in incoming  # the programme
    assert "Nijolė Dirginčienė" in incoming and "დელეგაციის ხელმძღვანელი" in incoming

    # The programme as a calendar file for the participants, in the page's language.
    calendar = await officer.get(f"/visits/{incoming_id}/programme.ics")
    assert calendar.status_code == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    summaries = [
        str(item["SUMMARY"]) for item in Calendar.from_ical(calendar.content).walk("VEVENT")
    ]
    assert "შეხვედრა ახმეტის მერთან" in summaries

    # The editor is no protocol officer: the members are a number, and no one's name.
    editor = await person(portal, "editor")
    page = visible(await editor.get(f"/visits/{incoming_id}"))
    assert "3 წევრი. მათი მონაცემები მხოლოდ ოქმის სპეციალისტებისთვისაა ხელმისაწვდომი." in page
    assert "Nijolė" not in page and "Eglė" not in page
    assert 'href="/visits/new' not in visible(await editor.get("/visits"))
    for someone in (officer, editor):
        await someone.close()


async def test_the_new_visit_form_and_the_decision_refuse_bad_input_and_change_nothing(
    portal: Stack,
) -> None:
    before = await visit_count(portal)
    officer = await person(portal, "protocol")
    form = await officer.get("/visits/new")
    assert form.status_code == 200 and "ახალი ვიზიტი" in form.text
    arrival = datetime.now(TBILISI).date() + timedelta(days=60)
    typed = {
        "kind": "incoming_working",
        "title_ka": "თელავის მუნიციპალიტეტის სამუშაო ვიზიტი",
        "purpose_ka": "ტურისტული მარშრუტების ერთობლივი დაგეგმვა.",
        "country": "GE",
        "arrival_on": arrival.isoformat(),
        "departure_on": (arrival - timedelta(days=1)).isoformat(),
        "languages": "ka",
    }
    # Checked by the portal: the departure before the arrival.
    refused = await officer.post("/visits/new", typed)
    assert refused.status_code == 422
    page = visible(refused)
    assert "გამგზავრება ჩამოსვლამდე ვერ იქნება." in page
    assert 'value="თელავის მუნიციპალიტეტის სამუშაო ვიზიტი"' in page  # kept as typed
    assert "ტურისტული მარშრუტების ერთობლივი დაგეგმვა." in page

    # Checked by the service: a language code that names no language, beside its field.
    typed |= {"departure_on": (arrival + timedelta(days=1)).isoformat(), "languages": "ka, xx"}
    refused = await officer.post("/visits/new", typed)
    assert refused.status_code == 422
    page = visible(refused)
    assert 'id="languages-error"' in page and "'xx' is not an ISO 639 language code" in page
    assert await visit_count(portal) == before

    # An editor may not request a visit: the service says so, and nothing is created.
    editor = await person(portal, "editor")
    typed["languages"] = "ka"
    refused = await editor.post("/visits/new", typed)
    assert refused.status_code == 403
    assert await visit_count(portal) == before

    # Requested: the mayor's decline needs its reason; the request waits on.
    created = await officer.post("/visits/new", typed)
    assert created.status_code == 303
    visit_path = created.headers["location"].split("?")[0]
    assert await visit_count(portal) == before + 1
    mayor = await person(portal, "mayor")
    declined = await mayor.post(f"{visit_path}/decision", {"outcome": "decline"})
    assert declined.status_code == 422
    assert "მიუთითეთ უარის მიზეზი" in visible(declined)
    waiting = visible(await mayor.get(visit_path))
    assert "ელოდება მერის დამტკიცებას" in waiting

    # A waiver without its reason is refused before anything is asked of the workflow.
    task = await officer.post(f"{visit_path}/tasks/accommodation", {"action": "waive"})
    assert task.status_code == 422
    assert "მიუთითეთ, რატომ არ სრულდება დავალება" in visible(task)
    for someone in (officer, editor, mayor):
        await someone.close()
