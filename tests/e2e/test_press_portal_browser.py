"""Media relations in a real browser: the media officer finds a journalist and reads her
consents, imports a newsroom's CSV file whose one wrong line the report names, opens the
TV list's members and a mailing's deliveries, approves one accreditation and refuses
another with its reason, and lets the approved journalist in at the door by typing her
badge's code. The pages are read in Georgian and in English; axe-core finds no WCAG 2.1
AA violation on any of them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.support.browser import FLASH, sign_in
from tests.support.portal import add_account, create_staff
from tests.support.press import PressOffice, press_office
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

OFFICER = ("giorgi.khizanishvili", "გიორგი ხიზანიშვილი")
NEWSROOM_CSV = (
    "full_name,outlet,position,email,beats,consents,consent_date\n"
    "ლევან ხოსიტაშვილი,Interpressnews,კორესპონდენტი,levan@ipn.ge,social,"
    "press_distribution,2026-09-15\n"
    "ეკა გიგაური,იმედი,,eka-at-imedi.ge,tourism,press_distribution,2026-09-15\n"
).encode()
REFUSAL = "დარბაზში ადგილები შევსებულია; გთხოვთ, ჩაერთოთ ონლაინ."


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[Stack, PressOffice]]:
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
        await add_account(stack, http, *OFFICER, ["media_officer"])
        yield stack, await press_office(stack, http)


async def open_section(page: Page, name: str, heading: str) -> None:
    """A page of the media relations section, by its own navigation."""
    section = page.get_by_role("navigation", name=re.compile("Media relations|მედიასთან"))
    await section.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)


async def test_a_day_of_media_relations_in_georgian_and_english(
    stack: tuple[Stack, PressOffice], browser: Browser, shoot: Shoot
) -> None:
    portal, _office = stack
    officer = await sign_in(browser, portal, OFFICER[0], name=OFFICER[1])

    # In Georgian first: from the portal's Media link to the journalists.
    await officer.get_by_role("link", name="მედია", exact=True).click()
    await open_section(officer, "ჟურნალისტები", "ჟურნალისტები")
    await expect(officer.get_by_text("ვის შეუძლია ამ გვერდის ნახვა:")).to_be_visible()
    await assert_accessible(officer, "journalists in Georgian")
    await officer.get_by_role("link", name="English").click()
    await expect(officer.locator("html")).to_have_attribute("lang", "en")

    # Find a journalist by a part of her name, and read her consents and record.
    await officer.get_by_label("Name or email").fill("ნათია")
    await officer.get_by_role("button", name="Find").click()
    await officer.get_by_role("link", name="ნათია ჩიკვაიძე").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("ნათია ჩიკვაიძე")
    consents = officer.get_by_role("table", name="Consents")
    await expect(consents).to_contain_text("Press releases by email")
    await expect(officer.get_by_role("table", name="Record")).to_contain_text("Consent given")
    await shoot(officer, "press-01-journalist")
    await assert_accessible(officer, "a journalist's card")

    # A newsroom's file with one wrong address: the report names line 3, nothing is recorded.
    await officer.get_by_role("link", name="Import journalists").click()
    await assert_accessible(officer, "the import form")
    await officer.get_by_label("CSV file").set_input_files(
        {"name": "newsroom.csv", "mimeType": "text/csv", "buffer": NEWSROOM_CSV}
    )
    await officer.get_by_role("button", name="Import").click()
    alert = officer.get_by_role("alert")
    await expect(alert).to_contain_text("1 line has a mistake: nothing is recorded yet.")
    await expect(alert).to_contain_text("Line 3: The email address is not valid: eka-at-imedi.ge.")
    report = officer.get_by_role("table", name="The file, line by line")
    await expect(report.get_by_role("row", name=re.compile("ლევან"))).to_contain_text(
        "Correct, not recorded yet"
    )
    await shoot(officer, "press-02-import-report")
    await assert_accessible(officer, "the import's report")
    await open_section(officer, "Journalists", "Journalists")
    await officer.get_by_label("Name or email").fill("ლევან")
    await officer.get_by_role("button", name="Find").click()
    await expect(officer.get_by_text("No journalists match.")).to_be_visible()

    # The TV list and its members.
    await open_section(officer, "Distribution lists", "Distribution lists")
    await assert_accessible(officer, "distribution lists")
    await officer.get_by_role("link", name="All TV").click()
    members = officer.get_by_role("table", name="Members")
    await expect(members).to_contain_text("მარიამ ლომიძე")
    await expect(members).not_to_contain_text("ნათია ჩიკვაიძე")
    await assert_accessible(officer, "a list's members")

    # Natia's accreditation approved: the badge and its code.
    await open_section(officer, "Accreditations", "Accreditations")
    await assert_accessible(officer, "accreditations")
    await officer.get_by_role("link", name="ნათია ჩიკვაიძე").click()
    await officer.get_by_role("button", name="Approve").click()
    await expect(officer.locator(FLASH)).to_have_text(
        "Approved: the journalist is emailed the badge."
    )
    await expect(officer.get_by_role("link", name="The badge (PDF)")).to_be_visible()
    code = await officer.locator("#badge-code").inner_text()
    await assert_accessible(officer, "an approved accreditation")

    # Mariam's refused: without a reason the form says so beside the field; then with it.
    await open_section(officer, "Accreditations", "Accreditations")
    await officer.get_by_label("Status").select_option(label="Waiting for a decision")
    await officer.get_by_role("button", name="Show").click()
    await officer.get_by_role("link", name="მარიამ ლომიძე").click()
    await officer.get_by_role("button", name="Refuse").click()
    await expect(officer.locator("#reason-error")).to_have_text(
        "Say why: the journalist is told the reason."
    )
    await assert_accessible(officer, "a refusal without its reason")
    await officer.get_by_label("Reason for refusing (the journalist is told)").fill(REFUSAL)
    await officer.get_by_role("button", name="Refuse").click()
    await expect(officer.locator(FLASH)).to_have_text(
        "Refused: the journalist is emailed the reason."
    )
    await expect(officer.get_by_text(REFUSAL)).to_be_visible()

    # The decisions' mail, each recipient with their delivery's status.
    await open_section(officer, "Mailings", "Mailings")
    await assert_accessible(officer, "mailings")
    await (
        officer.get_by_role("table", name="Mailings, newest first").get_by_role("link").last.click()
    )
    deliveries = officer.get_by_role("table", name="Each recipient")
    await expect(deliveries).to_contain_text("natia@ipn.ge")
    await expect(deliveries).to_contain_text(re.compile("Waiting to be sent|Sent|Will be tried"))
    await shoot(officer, "press-03-deliveries")
    await assert_accessible(officer, "a mailing's deliveries")

    # At the door, the code typed as the badge prints it lets Natia in.
    await open_section(officer, "Check-in at the door", "Check-in at the door")
    await assert_accessible(officer, "the door")
    await officer.get_by_label("The badge's code").fill(code)
    await officer.get_by_role("button", name="Check in").click()
    await expect(officer.locator("#check-in-result")).to_contain_text(
        "Welcome: ნათია ჩიკვაიძე may enter."
    )
    await shoot(officer, "press-04-check-in")
    await assert_accessible(officer, "a journalist let in")

    # The same door in Georgian, and a wrong code refused beside the field.
    await officer.get_by_role("link", name="ქართული").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("შესასვლელთან რეგისტრაცია")
    await officer.get_by_label("ბეჯის კოდი").fill("AAAA BBBB CCCC DDDD")
    await officer.get_by_role("button", name="შეშვება").click()
    await expect(officer.locator("#code-error")).to_have_text(
        "ასეთი კოდით აკრედიტაცია არ არსებობს. შეამოწმეთ და ხელახლა აკრიფეთ."
    )
    await assert_accessible(officer, "a wrong code, in Georgian")
    await open_section(officer, "მედიასაშუალებები", "მედიასაშუალებები")
    await expect(officer.get_by_role("table")).to_contain_text("იმედი")
    await assert_accessible(officer, "outlets in Georgian")
