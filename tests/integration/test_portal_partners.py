"""Partners, agreements, projects, venues and invitations in the staff portal over real
HTTP, with the visits and events services, NATS, Temporal and a real SMTP server
(aiosmtpd) running: pages refused to those without the role, a refused form that changes
nothing, and an official meeting's invitation mailed with its personal link, whose page
answers only with a good, current link from its own form."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeSerializer

from meria.testing.servers import NatsServer, TemporalDevServer
from services.events.invitations import RSVP_SALT
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, at, setup_office
from tests.support.media import Mailbox, smtp_server
from tests.support.portal import STAFF, Person, add_account, create_staff
from tests.support.stack import Stack, running_stack, wait_until
from tests.support.visits import VisitsDesk

pytestmark = pytest.mark.database

REQUESTER = ("sakrebulo.aparati", "საკრებულოს აპარატი", ["requester"])
BIRSTONAS = {
    "kind": "sister_city",
    "name_ka": "ბირშტონასის მუნიციპალიტეტი",
    "name_en": "Birštonas Municipality",
    "country": "LT",
    "city": "Birštonas",
}
GUEST = "natia.baghakashvili@example.ge"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    smtp: tuple[Mailbox, int],
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["visits", "events", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            mail_poll_seconds=0.2,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *REQUESTER)
        await setup_office(
            EventsDesk(stack, http, "setup", "head_of_department"),
            EventsDesk(stack, http, "setup", "protocol_officer"),
        )
        yield stack


async def person(stack: Stack, username: str) -> Person:
    someone = Person(stack, username)
    signed = await someone.sign_in()
    assert signed.status_code == 303, signed.text
    return someone


def visible(page: httpx.Response) -> str:
    return unescape(re.sub(r"\s+", " ", page.text))


async def a_partner(stack: Stack) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        desk = VisitsDesk(stack, http, "mariam.chokheli", "protocol_officer")
        found: dict[str, Any] = await desk.ok("POST", "/partners", json=BIRSTONAS)
        return found


async def agreements_of(stack: Stack, partner_id: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as http:
        desk = VisitsDesk(stack, http, "auditor", "head_of_department")
        found: list[dict[str, Any]] = await desk.ok(
            "GET", "/agreements", params={"partner_id": partner_id}
        )
        return found


async def test_partner_pages_are_only_for_the_roles_the_visits_service_admits(
    portal: Stack,
) -> None:
    partner = await a_partner(portal)

    # Someone of the council who only files requests sees no partners, and is refused.
    requester = await person(portal, REQUESTER[0])
    inbox = await requester.get("/requests")
    assert 'href="/partners"' not in inbox.text
    for path in ("/partners", f"/partners/{partner['id']}", "/agreements", "/projects"):
        refused = await requester.get(path)
        assert refused.status_code == 403, path
        assert "თქვენი როლები" in visible(refused) or "Not allowed" in refused.text

    # An editor reads the register, but has no form to change it, and a forged one is
    # refused with nothing recorded.
    editor = await person(portal, STAFF["editor"][0])
    listing = await editor.get("/partners")
    assert listing.status_code == 200 and BIRSTONAS["name_ka"] in visible(listing)
    assert 'href="/partners/new"' not in listing.text
    forged = await editor.post(
        "/agreements/new",
        {"partner_id": partner["id"], "kind": "memorandum", "title_ka": "მემორანდუმი",
         "parties": "ა\nბ", "status": "draft", "renewal_notice_days": "90"},
    )  # fmt: skip
    assert forged.status_code == 403
    assert await agreements_of(portal, partner["id"]) == []
    assert (await editor.get("/events/officials")).status_code == 200
    assert (await editor.post("/events/officials", {"code": "x-y"})).status_code == 403


async def test_an_agreement_is_refused_beside_its_field_then_recorded_with_its_renewal_day(
    portal: Stack,
) -> None:
    partner = await a_partner(portal)
    officer = await person(portal, STAFF["protocol"][0])
    form = await officer.get(f"/agreements/new?partner_id={partner['id']}")
    assert form.status_code == 200 and '<html lang="ka"' in form.text
    fields = {
        "partner_id": partner["id"],
        "kind": "memorandum",
        "title_ka": "ურთიერთთანამშრომლობის მემორანდუმი ახმეტასა და ბირშტონასს შორის",
        "parties": "ახმეტის მუნიციპალიტეტის მერია\nბირშტონასის მუნიციპალიტეტი",
        "status": "in_force",
        "signed_on": "2026-05-10",
        "expires_on": "2026-05-01",
        "renewal_notice_days": "60",
    }
    # Expiring before it is signed: the form comes back, the message beside the field.
    refused = await officer.post("/agreements/new", fields)
    assert refused.status_code == 422
    text = visible(refused)
    assert 'id="expires_on-error"' in refused.text
    assert "შეთანხმების ვადა ხელმოწერის შემდეგ უნდა იწურებოდეს." in text
    assert fields["title_ka"] in text  # what was typed is kept
    assert await agreements_of(portal, partner["id"]) == []

    # Corrected: recorded, and the partner's history shows it with its renewal day.
    recorded = await officer.post("/agreements/new", {**fields, "expires_on": "2031-05-10"})
    assert recorded.status_code == 303
    assert recorded.headers["location"].startswith(f"/partners/{partner['id']}")
    (agreement,) = await agreements_of(portal, partner["id"])
    assert agreement["renewal_due_on"] == "2031-03-11"
    history = visible(await officer.get(f"/partners/{partner['id']}"))
    assert fields["title_ka"] in history and "განახლების ვადა" in history


def link_in(message: Any) -> str:
    body = message.get_body(("plain",)).get_content()
    found = re.search(r"(http://\S+/rsvp/\S+)", body)
    assert found, body
    return found.group(1)


async def test_an_invitation_is_mailed_and_its_link_answers_only_from_its_own_page(
    portal: Stack, smtp: tuple[Mailbox, int]
) -> None:
    mailbox = smtp[0]
    async with httpx.AsyncClient(timeout=30) as http:
        planner = EventsDesk(portal, http, "mariam.chokheli", "protocol_officer")
        day = datetime.now(TBILISI).date() + timedelta(days=12)
        created = await planner.ok(
            "POST", "/events",
            json={"kind": "official_meeting", "title_ka": "შეხვედრა ბირშტონასის დელეგაციასთან",
                  "title_en": "Meeting with the Birštonas delegation",
                  "place_ka": "ახმეტის მერია", "starts_at": at(day, 11).isoformat(),
                  "ends_at": at(day, 12).isoformat()},
        )  # fmt: skip
        event_id = created["events"][0]["id"]
        guest = await planner.ok(
            "POST", f"/events/{event_id}/participants",
            json={"kind": "guest", "full_name": "ნათია ბაღაკაშვილი", "email": GUEST},
        )  # fmt: skip

    # The protocol officer sends the invitation from the event's page.
    officer = await person(portal, STAFF["protocol"][0])
    page = await officer.get(f"/events/{event_id}")
    assert "ნათია ბაღაკაშვილი" in visible(page) and "მოსაწვევის გაგზავნა" in visible(page)
    sent = await officer.post(f"/events/{event_id}/participants/{guest['id']}/invitation")
    assert sent.status_code == 303
    await wait_until(lambda: _has_mail(mailbox, GUEST), what="the invitation's email")
    (message,) = mailbox.to(GUEST)
    assert message["Subject"] == "მოსაწვევი: შეხვედრა ბირშტონასის დელეგაციასთან"
    link = link_in(message)
    assert link.startswith(portal.urls["events"] + "/rsvp/")
    after = visible(await officer.get(f"/events/{event_id}"))
    assert "წერილი გაგზავნილია" in after

    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as browser:
        # The link opens a page in Georgian, English by a link; opening it changes nothing.
        opened = await browser.get(link)
        assert opened.status_code == 200 and '<html lang="ka"' in opened.text
        assert "დაესწრებით?" in visible(opened)
        assert opened.headers["referrer-policy"] == "no-referrer"
        assert opened.headers["cache-control"] == "no-store"
        english = await browser.get(link, params={"lang": "en"})
        assert "Will you attend?" in english.text
        key = re.search(r'name="form_key" value="([^"]+)"', opened.text)
        assert key
        answer_url = link + "/answer"

        # Without the page's key, or from another site: refused, nothing recorded.
        no_key = await browser.post(answer_url, data={"response": "accepted"})
        assert no_key.status_code == 403
        elsewhere = await browser.post(
            answer_url, data={"response": "accepted", "form_key": key.group(1)},
            headers={"Origin": "https://evil.example"},
        )  # fmt: skip
        assert elsewhere.status_code == 403
        cross_site = await browser.post(
            answer_url, data={"response": "accepted", "form_key": key.group(1)},
            headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"},
        )  # fmt: skip
        assert cross_site.status_code == 403
        other_link_key = await browser.post(
            answer_url, data={"response": "accepted", "form_key": key.group(1) + "x"}
        )
        assert other_link_key.status_code == 403
        # No answer chosen: the page again, the message beside the choice.
        unchosen = await browser.post(answer_url, data={"form_key": key.group(1)})
        assert unchosen.status_code == 422 and "აირჩიეთ ერთ-ერთი პასუხი." in unchosen.text
        assert await _answer(portal, event_id, guest["id"]) == "pending"

        # Answered from the page: recorded, and the page says so.
        answered = await browser.post(
            answer_url,
            data={"response": "accepted", "note": "მოვალ თარჯიმანთან ერთად",
                  "form_key": key.group(1), "lang": "ka"},
        )  # fmt: skip
        assert answered.status_code == 303
        thanked = await browser.get(portal.urls["events"] + answered.headers["location"])
        assert "გმადლობთ: თქვენი პასუხი მიღებულია." in thanked.text
        assert await _answer(portal, event_id, guest["id"]) == "accepted"

        # A link this service did not sign, or one whose time has passed, is refused.
        wrong = await browser.get(link[:-4] + "abcd")
        assert wrong.status_code == 404 and "მოსაწვევის ბმული არასწორია" in visible(wrong)
        wrong_post = await browser.post(link[:-4] + "abcd", json={"response": "declined"})
        assert wrong_post.status_code == 404
        settings = portal.settings("events")
        old = URLSafeSerializer(settings.secret_key.get_secret_value(), salt=RSVP_SALT).dumps(
            {"p": guest["id"], "e": event_id, "i": int((time.time() - 61 * 86400) * 1000)}
        )
        expired = await browser.post(
            f"{portal.urls['events']}/rsvp/{old}", json={"response": "declined"}
        )
        assert expired.status_code == 410
        assert expired.json()["title"] == "The invitation has expired"
        assert await _answer(portal, event_id, guest["id"]) == "accepted"

        # Invited again: a new email, a new link; the first one no longer answers.
        assert (
            await officer.post(f"/events/{event_id}/participants/{guest['id']}/invitation")
        ).status_code == 303
        await wait_until(lambda: _has_mail(mailbox, GUEST, 2), what="the second email")
        await _settled(portal, event_id)
        replaced = await browser.post(link, json={"response": "declined"})
        assert replaced.status_code == 410
        assert replaced.json()["title"] == "The invitation was replaced"
        assert await _answer(portal, event_id, guest["id"]) == "accepted"


async def _has_mail(mailbox: Mailbox, address: str, count: int = 1) -> bool:
    return len(mailbox.to(address)) >= count


async def _settled(stack: Stack, event_id: int) -> None:
    async def sent() -> bool:
        return all(p["invitation_status"] == "sent" for p in await _participants(stack, event_id))

    await wait_until(sent, what="the invitation marked sent")


async def _participants(stack: Stack, event_id: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30) as http:
        desk = EventsDesk(stack, http, "auditor", "head_of_department")
        found: list[dict[str, Any]] = await desk.ok("GET", f"/events/{event_id}/participants")
        return found


async def _answer(stack: Stack, event_id: int, participant_id: int) -> str:
    (found,) = [p for p in await _participants(stack, event_id) if p["id"] == participant_id]
    return str(found["rsvp"])
