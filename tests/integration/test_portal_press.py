"""Media relations in the staff portal over real HTTP, with the media service, NATS and
Temporal running: who may open and change what, lists a page at a time, the CSV import's
report line by line, decisions on accreditations, the door's typed check-in and erasure —
each refusal changing nothing at the service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import MediaDesk, journalist
from tests.support.portal import STAFF, Person, add_account, create_staff
from tests.support.press import PressOffice, press_office
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
REQUESTER = ("eka.bukhukuri", "ეკა ბუხუკური", ["requester"])
ROWS = re.compile(r'<tr><td><a href="/media/journalists/\d+">')


@dataclass
class Portal:
    stack: Stack
    office: PressOffice
    api: MediaDesk


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Portal]:
    async with (
        running_stack(
            ["media", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *OFFICER)
        await add_account(stack, http, *REQUESTER)
        office = await press_office(stack, http)
        yield Portal(stack, office, MediaDesk(stack, http, "setup", "media_officer"))


async def person(stack: Stack, username: str) -> Person:
    """Signed in, reading the portal in English."""
    someone = Person(stack, username)
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    await someone.get("/language?to=en&next=/media/journalists")
    return someone


async def test_staff_without_the_press_roles_read_but_neither_decide_import_nor_erase(
    portal: Portal,
) -> None:
    editor = await person(portal.stack, STAFF["editor"][0])
    natia = portal.office.accreditations["natia"]

    # An editor reads the journalists, without their addresses, and is offered no import.
    page = await editor.get("/media/journalists")
    assert page.status_code == 200 and "ნათია ჩიკვაიძე" in page.text
    assert "natia@ipn.ge" not in page.text and "/media/journalists/import" not in page.text
    card = await editor.get(f"/media/journalists/{portal.office.people['natia']['id']}")
    assert "Erase this journalist" not in card.text and "natia@ipn.ge" not in card.text

    # The accreditation's page says who decides and offers the editor no decision.
    page = await editor.get(f"/media/accreditations/{natia['id']}")
    assert page.status_code == 200 and 'action="/media/accreditations' not in page.text
    assert "Media officer" in page.text

    # Sent anyway, every change is refused, and nothing changes at the service.
    refused = await editor.post(f"/media/accreditations/{natia['id']}/approve")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    refused = await editor.post(
        f"/media/accreditations/{natia['id']}/refuse", {"reason": "არ არის აკრედიტებული"}
    )
    assert refused.status_code == 403
    assert (await portal.api.ok("GET", f"/accreditations/{natia['id']}"))["status"] == "requested"
    assert (await editor.get("/media/journalists/import")).status_code == 403
    natia_id = portal.office.people["natia"]["id"]
    erase = {"reason": "თავად მოითხოვა", "confirm": "yes"}
    assert (await editor.post(f"/media/journalists/{natia_id}/erase", erase)).status_code == 403
    assert (await portal.api.ok("GET", f"/journalists/{natia_id}"))["erased"] is False

    # Someone who only files information requests does not see the press pages at all.
    requester = await person(portal.stack, REQUESTER[0])
    for path in ("/media/journalists", "/media/accreditations", "/media/check-in"):
        page = await requester.get(path)
        assert page.status_code == 403, path
        assert "ნათია" not in page.text


async def test_journalists_and_a_lists_members_come_a_page_at_a_time(portal: Portal) -> None:
    tv = portal.office.outlets["imedi"]["id"]
    people = [
        journalist(f"ჟურნალისტი {number:02d}", f"reporter{number:02d}@imedi.ge", tv)
        for number in range(1, 31)
    ]
    await portal.api.ok("POST", "/journalists/import", json={"journalists": people})
    officer = await person(portal.stack, OFFICER[0])

    # Thirty by "ჟურნალისტი": 25 on the first page, the other five on the next.
    first = await officer.get("/media/journalists", params={"text": "ჟურნალისტი"})
    assert len(ROWS.findall(first.text)) == 25
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert "ჟურნალისტი 01" in first.text and "ჟურნალისტი 26" not in first.text
    second = await officer.get("/media/journalists", params={"text": "ჟურნალისტი", "page": 2})
    assert len(ROWS.findall(second.text)) == 5
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    # The next page's link keeps the search.
    assert "text=%E1%83%9F" in first.text

    # The TV list's 31 members (30 and Mariam of Imedi) come the same way.
    path = f"/media/lists/{portal.office.tv_list['id']}"
    first = await officer.get(path)
    assert first.status_code == 200 and "mariam@imedi.ge" in first.text
    assert first.text.count("@imedi.ge</td>") == 25 and 'rel="next"' in first.text
    second = await officer.get(path, params={"page": 2})
    assert second.text.count("@imedi.ge</td>") == 6 and 'rel="next"' not in second.text

    # A page past the end is an empty page, not an error.
    far = await officer.get("/media/journalists", params={"text": "ჟურნალისტი", "page": 9})
    assert far.status_code == 200 and "No journalists match." in far.text


CSV = (
    "full_name,outlet,position,email,beats,consents,consent_date\n"
    "ლევან ხოსიტაშვილი,Interpressnews,კორესპონდენტი,levan@ipn.ge,social,"
    "press_distribution,2026-09-15\n"
    "ეკა გიგაური,იმედი,,eka-at-imedi.ge,tourism,press_distribution,2026-09-15\n"
    "ზურაბ ქავთარაძე,,რედაქტორი,,,,\n"
)


async def test_the_import_reports_each_line_and_records_nothing_while_one_is_wrong(
    portal: Portal,
) -> None:
    officer = await person(portal.stack, OFFICER[0])
    await officer.get("/media/journalists/import")
    before = await portal.api.ok("GET", "/journalists")

    # The file's third line has a wrong address: the report says so beside it; nothing else.
    sent = await officer.post(
        "/media/journalists/import", files={"file": ("newsroom.csv", CSV.encode(), "text/csv")}
    )
    assert sent.status_code == 422
    assert "1 line has a mistake: nothing is recorded yet." in sent.text
    beside = r'id="line-3">((?!</tr>).)*The email address is not valid: eka-at-imedi.ge'
    assert re.search(beside, sent.text, re.DOTALL)
    assert 'id="line-2"><td>2</td><td>ლევან ხოსიტაშვილი</td>' in sent.text
    assert len(await portal.api.ok("GET", "/journalists")) == len(before)

    # Asked to leave the wrong line out, the other two are recorded, the wrong one is not.
    await officer.get("/media/journalists/import")
    sent = await officer.post(
        "/media/journalists/import",
        {"skip_wrong": "yes"},
        files={"file": ("newsroom.csv", CSV.encode(), "text/csv")},
    )
    assert sent.status_code == 201, sent.text
    assert "2 journalists are recorded." in sent.text
    found = await portal.api.ok("GET", "/journalists", params={"text": "ლევან"})
    assert [person["email"] for person in found] == ["levan@ipn.ge"]
    assert found[0]["outlet"]["name_en"] == "Interpressnews"
    assert not await portal.api.ok("GET", "/journalists", params={"text": "გიგაური"})

    # A file that is not CSV text is refused whole, beside the file field.
    await officer.get("/media/journalists/import")
    sent = await officer.post(
        "/media/journalists/import", files={"file": ("photo.csv", b"\xff\xd8\xff", "text/csv")}
    )
    assert sent.status_code == 422 and 'id="file-error"' in sent.text


async def test_decisions_the_badge_and_the_door(portal: Portal) -> None:
    officer = await person(portal.stack, OFFICER[0])
    natia, mariam = portal.office.accreditations["natia"], portal.office.accreditations["mariam"]

    # A refusal without its reason comes back with the message beside the field.
    await officer.get(f"/media/accreditations/{mariam['id']}")
    page = await officer.post(f"/media/accreditations/{mariam['id']}/refuse", {"reason": ""})
    assert page.status_code == 422 and 'id="reason-error"' in page.text
    assert (await portal.api.ok("GET", f"/accreditations/{mariam['id']}"))["status"] == "requested"
    done = await officer.post(
        f"/media/accreditations/{mariam['id']}/refuse",
        {"reason": "დარბაზში ადგილები შევსებულია."},
    )
    assert done.status_code == 303
    page = await officer.get(done.headers["location"])
    assert "Refused: the journalist is emailed the reason." in page.text
    assert "დარბაზში ადგილები შევსებულია." in page.text

    # Approving twice: the second is the service's refusal, shown on the page, not JSON.
    done = await officer.post(f"/media/accreditations/{natia['id']}/approve")
    assert done.status_code == 303
    again = await officer.post(f"/media/accreditations/{natia['id']}/approve")
    assert again.status_code == 409 and 'id="form-errors"' in again.text
    assert '"type"' not in again.text

    # The badge comes through the portal as a PDF; a refused accreditation has none.
    badge = await officer.get(f"/media/accreditations/{natia['id']}/badge.pdf")
    assert badge.headers["content-type"] == "application/pdf" and badge.content[:4] == b"%PDF"
    none = await officer.get(f"/media/accreditations/{mariam['id']}/badge.pdf")
    assert none.status_code == 409 and "only an approved accreditation has one" in none.text

    # At the door, the code typed as printed (groups of four) lets her in, once.
    page = await officer.get(f"/media/accreditations/{natia['id']}")
    printed = re.search(r'<code id="badge-code">([^<]+)</code>', page.text)
    assert printed is not None and " " in printed.group(1)
    await officer.get("/media/check-in")
    wrong = await officer.post("/media/check-in", {"code": "AAAA BBBB CCCC DDDD"})
    assert wrong.status_code == 404 and "No accreditation carries this code." in wrong.text
    entered = await officer.post("/media/check-in", {"code": printed.group(1)})
    assert entered.status_code == 200 and "Welcome: ნათია ჩიკვაიძე may enter." in entered.text
    entered = await officer.post("/media/check-in", {"code": printed.group(1)})
    assert "Already checked in: ნათია ჩიკვაიძე" in entered.text

    # The decision mail to Natia is a mailing with her delivery.
    mailings = await officer.get("/media/mailings")
    link = re.search(r'href="(/media/mailings/\d+)"', mailings.text)
    assert link is not None
    deliveries = await officer.get(link.group(1))
    assert "natia@ipn.ge" in deliveries.text or "mariam@imedi.ge" in deliveries.text


async def test_erasing_a_journalist_needs_a_reason_and_a_confirmation(portal: Portal) -> None:
    officer = await person(portal.stack, OFFICER[0])
    teona = portal.office.people["teona"]
    kakheti = await portal.api.ok(
        "POST",
        "/distribution-lists",
        json={"name_ka": "კახეთის მედია", "kind": "static", "member_ids": [teona["id"]]},
    )
    assert kakheti["member_count"] == 1
    path = f"/media/journalists/{teona['id']}/erase"
    await officer.get(path)

    # Unconfirmed, nothing is erased.
    page = await officer.post(path, {"reason": "წერილით მოითხოვა 3 დეკემბერს."})
    assert page.status_code == 422 and 'id="confirm-error"' in page.text
    assert (await portal.api.ok("GET", f"/journalists/{teona['id']}"))["erased"] is False

    done = await officer.post(path, {"reason": "წერილით მოითხოვა 3 დეკემბერს.", "confirm": "yes"})
    assert done.status_code == 303
    card = await officer.get(done.headers["location"])
    assert "Erased journalist" in card.text and "თეონა" not in card.text
    assert "teona@kakhetiskhma.ge" not in card.text
    assert "წერილით მოითხოვა 3 დეკემბერს." in card.text
    found = await officer.get("/media/journalists", params={"text": "თეონა"})
    assert "No journalists match." in found.text

    # She has left every list; her consents are withdrawn, and stay on record with dates.
    kakheti = await portal.api.ok("GET", f"/distribution-lists/{kakheti['id']}")
    assert kakheti["member_count"] == 0
    erased = await portal.api.ok("GET", f"/journalists/{teona['id']}")
    assert erased["email"] is None and erased["consented_purposes"] == []
    assert all(consent["withdrawn_at"] for consent in erased["consents"])

    # Erasing again changes nothing; her details cannot be written back.
    again = await officer.post(path, {"reason": "მეორედ.", "confirm": "yes"})
    assert again.status_code == 303
    record = await portal.api.ok("GET", f"/journalists/{teona['id']}/record")
    assert [entry["note"] for entry in record if entry["action"] == "erased"] == [
        "წერილით მოითხოვა 3 დეკემბერს."
    ]
    assert "This journalist is already erased." in (await officer.get(path)).text
    await portal.api.refused(409, "PATCH", f"/journalists/{teona['id']}", json={"position": "x"})
