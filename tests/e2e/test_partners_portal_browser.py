"""Partners, projects, venues and an invitation in a real browser, in Georgian.

The protocol officer opens a sister city's history, records a memorandum with its expiry
(the renewal day follows), finds a funding application in the projects' pipeline, adds a
venue, plans a meeting whose partner is picked from the register (the partner's history
then shows it), and invites a guest: the invitation arrives by email at a real SMTP
server, and the guest opens the personal link, without an account, and answers. axe-core
finds no WCAG 2.1 AA violation on any of these pages.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.support.browser import FLASH, sign_in
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.media import Mailbox, smtp_server
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack, wait_until
from tests.support.visits import VisitsDesk

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

PARTNER = "ბირშტონასის მუნიციპალიტეტი"
MEMORANDUM = "ურთიერთთანამშრომლობის მემორანდუმი ახმეტასა და ბირშტონასს შორის"
PROJECT = "ალაზნის ველის ღვინის გზის ტურისტული ინფრასტრუქტურა"
VENUE = "მატანის თემის სახლის დარბაზი"
MEETING = "შეხვედრა ბირშტონასის მერთან ტურიზმის თანამშრომლობაზე"
GUEST = "ausra.jankauskiene@birstonas.lt"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    smtp: tuple[Mailbox, int],
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["visits", "events", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            smtp_host="127.0.0.1",
            smtp_port=smtp[1],
            mail_poll_seconds=0.2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await setup_office(
            EventsDesk(stack, http, "setup", "head_of_department"),
            EventsDesk(stack, http, "setup", "protocol_officer"),
        )
        desk = VisitsDesk(stack, http, "setup", "protocol_officer")
        partner = await desk.ok(
            "POST", "/partners",
            json={"kind": "sister_city", "name_ka": PARTNER, "name_en": "Birštonas Municipality",
                  "country": "LT", "city": "Birštonas", "partnership_since": "2019-06-14"},
        )  # fmt: skip
        due = datetime.now(TBILISI).date() + timedelta(days=40)
        await desk.ok(
            "POST", "/projects",
            json={"title_ka": PROJECT, "title_en": "Alazani valley wine route infrastructure",
                  "donor": "EU4Business", "donor_partner_id": partner["id"],
                  "amount": "180000.00", "currency": "EUR", "stage": "application",
                  "cofinancing": "20000.00", "cofinancing_source": "მუნიციპალიტეტის ბიუჯეტი",
                  "deadlines": [{"kind": "application", "title_ka": "სრული განაცხადის წარდგენა",
                                 "due_on": due.isoformat()}]},
        )  # fmt: skip
        yield stack


async def test_partners_projects_a_venue_and_an_answered_invitation(
    stack: Stack, browser: Browser, shoot: Shoot, smtp: tuple[Mailbox, int]
) -> None:
    officer = await sign_in(browser, stack, STAFF["protocol"][0])

    # The partner's history, from the navigation.
    await officer.get_by_role("link", name="პარტნიორები", exact=True).first.click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("პარტნიორები")
    await assert_accessible(officer, "partners")
    await officer.get_by_role("link", name=PARTNER).click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(PARTNER)
    await expect(officer.get_by_role("link", name=PROJECT)).to_be_visible()
    await assert_accessible(officer, "partner's history")

    # A memorandum with its expiry: the renewal day is 90 days before it.
    await officer.get_by_role("link", name="ახალი შეთანხმება").click()
    await expect(officer.locator("#partner_id")).to_have_value(re.compile(r"\d+"))
    await officer.locator("#kind").select_option("memorandum")
    await officer.locator("#title_ka").fill(MEMORANDUM)
    await officer.locator("#parties").fill("ახმეტის მუნიციპალიტეტის მერია\n" + PARTNER)
    await officer.locator("#signed_on").fill("2026-06-14")
    await officer.locator("#expires_on").fill("2031-06-14")
    await assert_accessible(officer, "new agreement form")
    await shoot(officer, "partners-01-new-agreement")
    await officer.get_by_role("button", name="შეთანხმების რეგისტრაცია").click()
    await expect(officer.locator(FLASH)).to_have_text("შეთანხმება დარეგისტრირდა.")
    row = officer.get_by_role("row", name=re.compile(MEMORANDUM))
    await expect(row).to_contain_text("16 მარ 2031")
    await shoot(officer, "partners-02-history-with-agreement")

    # The application in the projects' pipeline, and its page with budget and deadline.
    await officer.get_by_role("link", name="პროექტები და განაცხადები").click()
    column = officer.get_by_role("region", name=re.compile("საგრანტო განაცხადი"))
    await expect(column.get_by_role("link", name=PROJECT)).to_be_visible()
    await assert_accessible(officer, "projects pipeline")
    await shoot(officer, "partners-03-pipeline")
    await column.get_by_role("link", name=PROJECT).click()
    await expect(officer.locator("#budget")).to_contain_text("200 000.00 EUR")
    await expect(officer.locator("#deadlines")).to_contain_text("სრული განაცხადის წარდგენა")
    await assert_accessible(officer, "project page")

    # A venue for events.
    await officer.goto("/events/venues")
    await officer.locator("#name_ka").fill(VENUE)
    await officer.locator("#name_en").fill("Matani community house hall")
    await officer.locator("#address_ka").fill("სოფელი მატანი, ახმეტის მუნიციპალიტეტი")
    await officer.locator("#capacity").fill("80")
    await officer.get_by_role("button", name="ადგილის დამატება").click()
    await expect(officer.locator(FLASH)).to_have_text("ადგილი დაემატა.")
    await expect(officer.get_by_role("cell", name=VENUE, exact=True)).to_be_visible()
    await assert_accessible(officer, "venues")
    await shoot(officer, "partners-04-venues")

    # A meeting whose partner is picked from the register, held at the new venue.
    await officer.goto("/events/new?kind=official_meeting")
    day = datetime.now(TBILISI).date() + timedelta(days=14)
    await officer.locator("#title_ka").fill(MEETING)
    venue = await officer.locator("#venue_id option", has_text=VENUE).get_attribute("value")
    await officer.locator("#venue_id").select_option(venue)
    await officer.locator("#starts_at").fill(f"{day.isoformat()}T11:00")
    await officer.locator("#ends_at").fill(f"{day.isoformat()}T12:30")
    await officer.locator("#partner_id").select_option(label=PARTNER)
    await assert_accessible(officer, "meeting form with the partner register")
    await officer.get_by_role("button", name="მონახაზად შენახვა").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(MEETING)
    event_url = officer.url.split("?")[0]
    await expect(officer.locator("main")).to_contain_text(PARTNER)

    # The guest is invited from the meeting's page; the email carries the personal link.
    await officer.locator("#invitee-name").fill("აუშრა იანკაუსკიენე")
    await officer.locator("#invitee-organisation").fill("ბირშტონასის მუნიციპალიტეტი")
    await officer.locator("#invitee-email").fill(GUEST)
    await officer.locator("#invitee-kind").select_option("partner")
    await officer.get_by_role("button", name="მოწვეულთა სიაში დამატება").click()
    await officer.get_by_role("button", name="მოსაწვევის გაგზავნა: აუშრა იანკაუსკიენე").click()
    await expect(officer.locator(FLASH)).to_contain_text("მოსაწვევი გაიგზავნა")
    await assert_accessible(officer, "meeting page with its invitations")
    mailbox = smtp[0]

    async def mailed() -> bool:
        return bool(mailbox.to(GUEST))

    await wait_until(mailed, what="the invitation's email")
    body = mailbox.to(GUEST)[0].get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/rsvp/\S+)", body)
    assert link, body

    # The guest, with no account, opens the link and answers.
    guest = await (await browser.new_context(locale="ka-GE")).new_page()
    await guest.goto(link.group(1))
    await expect(guest.get_by_role("heading", level=1)).to_have_text(MEETING)
    await assert_accessible(guest, "invitation page")
    await shoot(guest, "partners-05-invitation")
    await guest.get_by_role("button", name="პასუხის გაგზავნა").click()
    await expect(guest.get_by_role("alert").first).to_be_visible()
    await guest.get_by_label("დავესწრები", exact=True).check()
    await guest.locator("#note").fill("ჩამოვალ თარჯიმანთან ერთად")
    await guest.get_by_role("button", name="პასუხის გაგზავნა").click()
    await expect(guest.locator(FLASH)).to_have_text("გმადლობთ: თქვენი პასუხი მიღებულია.")
    await assert_accessible(guest, "invitation page, answered")
    await guest.get_by_role("link", name="English").click()
    await expect(guest.locator("html")).to_have_attribute("lang", "en")
    await expect(guest.locator("main")).to_contain_text("I will attend")
    await assert_accessible(guest, "invitation page in English")
    await shoot(guest, "partners-06-answered")

    # The answer is on the meeting's page, and the meeting in the partner's history.
    await officer.goto(event_url)
    await expect(officer.locator("#participants")).to_contain_text("დაესწრება")
    await officer.goto("/partners")
    await officer.get_by_role("link", name=PARTNER).click()
    await expect(officer.locator("#meetings").get_by_role("link", name=MEETING)).to_be_visible()
