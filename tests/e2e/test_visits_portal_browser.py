"""A delegation visit in a real browser, from the "new visit" form to its tasks in the inbox.

The protocol officer fills in the form (Georgian and English titles, purpose, country,
dates) and requests the visit; the mayor finds the request in the inbox, whose link opens
the visit's page, and approves it there; the logistics tasks then reach the protocol
officer's inbox one row each, with their due dates counted from the arrival. From the
visit's page the officer marks the accommodation done and waives the gifts with a
reason; the done task leaves the inbox. The delegation's members are the protocol
staff's to see: the mayor's page gives only their number. axe-core finds no WCAG 2.1 AA
violation on the list, the form and the visit's page. The portal is read in English: the
visit's page names the tasks in English, the inbox by their Georgian subjects.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.support.browser import FLASH, sign_in, until_gone, until_visible
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack
from tests.support.visits import TBILISI

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

TITLE = "ლუბლინის დელეგაციის ოფიციალური ვიზიტი ახმეტაში"
TITLE_EN = "Official visit of the Lublin delegation to Akhmeta"
PURPOSE = "თანამშრომლობის მემორანდუმის განახლება და ღვინის ტურიზმის ერთობლივი პროექტის განხილვა."


@pytest.fixture
async def stack(
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
            refresh_seconds=2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


async def test_a_visit_from_the_new_visit_form_to_its_tasks_in_the_inbox(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    protocol_officer = STAFF["protocol"][0]
    officer = await sign_in(browser, stack, protocol_officer, english=True)

    # From the navigation to the form, which says what is missing when refused.
    await officer.get_by_role("link", name="Visits").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Visits")
    await assert_accessible(officer, "visits list")
    await officer.get_by_role("link", name="New visit").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("New visit")
    await assert_accessible(officer, "new visit form")
    await officer.get_by_role("button", name="Request the visit").click()
    alert = officer.get_by_role("alert")
    await expect(alert).to_contain_text("The Georgian title is required.")
    await expect(alert).to_contain_text("Choose the country.")

    arrival = datetime.now(TBILISI).date() + timedelta(days=40)
    await officer.get_by_label("Kind of visit").select_option(
        label="Official delegation to the municipality"
    )
    await officer.locator("#title_ka").fill(TITLE)
    await officer.locator("#title_en").fill(TITLE_EN)
    await officer.locator("#purpose_ka").fill(PURPOSE)
    await officer.get_by_label("Country (of the delegation, or of the destination)").select_option(
        label="Poland"
    )
    await officer.get_by_label("City").fill("Lublin")
    await officer.get_by_label("Languages of the visit").fill("ka, pl, en")
    await officer.get_by_label("Arrival", exact=True).fill(arrival.isoformat())
    await officer.get_by_label("Departure", exact=True).fill(
        (arrival + timedelta(days=2)).isoformat()
    )
    await officer.get_by_label("Places to visit, one per line").fill(
        "ახმეტის მუნიციპალიტეტის მერია\nალავერდის მონასტერი"
    )
    await shoot(officer, "visits-01-new-visit")
    await officer.get_by_role("button", name="Request the visit").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE_EN)
    await expect(officer.locator(FLASH)).to_have_text(
        "The visit is requested: the mayor has it in their tasks."
    )
    await expect(officer.locator("#visit-state")).to_have_text("Waiting for the mayor's approval")
    await expect(officer.get_by_text("Poland, Lublin")).to_be_visible()
    visit_url = officer.url.split("?")[0]
    # The checklist of an official delegation, each task due counted from the arrival.
    await expect(officer.locator("#tasks tbody tr")).to_have_count(12)
    accommodation = officer.locator("#tasks tbody tr", has_text="Accommodation")
    due = (arrival - timedelta(days=14)).strftime("%-d %b %Y")
    await expect(accommodation).to_contain_text(due)

    # The delegation's head, for the protocol staff's eyes.
    await officer.get_by_text("Another member").click()
    await officer.get_by_label("Full name").fill("Krzysztof Żuk")
    await officer.get_by_label("Role in the delegation").select_option(
        label="Head of the delegation"
    )
    await officer.get_by_label("Position", exact=True).fill("Prezydent Miasta Lublin")
    await officer.get_by_label("Dietary needs").fill("ვეგეტარიანული კვება")
    await officer.get_by_role("button", name="Add the member").click()
    await expect(officer.locator(FLASH)).to_have_text("The member is added.")
    await expect(officer.get_by_role("cell", name="Krzysztof Żuk", exact=True)).to_be_visible()
    await assert_accessible(officer, "visit page")
    await shoot(officer, "visits-02-requested")

    # The mayor finds the request in the inbox; its link opens the visit's page.
    mayor = await sign_in(browser, stack, STAFF["mayor"][0], english=True)
    await until_visible(mayor, lambda p: p.get_by_role("link", name=TITLE), "the approval")
    await shoot(mayor, "visits-03-approval-in-the-inbox")
    await mayor.get_by_role("link", name=TITLE).click()
    await expect(mayor).to_have_url(re.compile(re.escape(visit_url) + "#task-"))
    # The mayor is not a protocol officer: the members are a number.
    await expect(
        mayor.get_by_text("1 member. Their details are for the protocol staff only.")
    ).to_be_visible()
    await expect(mayor.get_by_text("Krzysztof Żuk")).to_have_count(0)
    await mayor.get_by_role("button", name="Record the decision").click()
    await expect(mayor.get_by_role("alert")).to_have_text("Choose a decision.")
    await mayor.get_by_label("Approve the visit").check()
    await mayor.get_by_role("button", name="Record the decision").click()
    await expect(mayor.locator(FLASH)).to_have_text(
        "The visit is approved: its tasks are in their owners' inboxes."
    )
    await mayor.goto("/inbox")
    await until_gone(mayor, lambda p: p.get_by_role("link", name=TITLE), "the decided approval")

    # The logistics tasks reach the protocol officer's inbox, one row each.
    await officer.goto("/inbox")
    accommodation_link = f"{TITLE} — განთავსება სასტუმროში"
    await until_visible(
        officer, lambda p: p.get_by_role("link", name=accommodation_link), "the accommodation task"
    )
    await expect(officer.get_by_role("link", name=f"{TITLE} — საჩუქრები")).to_be_visible()
    await shoot(officer, "visits-04-tasks-in-the-inbox")
    await officer.get_by_role("link", name=accommodation_link).click()
    await expect(officer).to_have_url(re.compile(re.escape(visit_url) + "#task-"))
    await expect(officer.locator("#visit-state")).to_have_text(
        re.compile("In preparation|Approved")
    )

    # The officer in charge holds the protocol tasks; each can be released to the role.
    transport = officer.locator("#tasks tbody tr", has_text="Transport")
    await expect(transport.get_by_role("button", name="Unclaim")).to_be_visible()

    # Done with a note; the gifts waived with the reason.
    row = officer.locator("#tasks tbody tr", has_text="Accommodation")
    await row.get_by_label("Note, or why it is waived").fill("სასტუმრო „ახმეტა პალასი“, 6 ნომერი")
    await row.get_by_role("button", name="Done").click()
    await expect(officer.locator(FLASH)).to_have_text("The task is done.")
    row = officer.locator("#tasks tbody tr", has_text="Accommodation")
    await expect(row).to_contain_text("Done")
    gifts = officer.locator("#tasks tbody tr", has_text="Gifts")
    await gifts.get_by_role("button", name="Waive").click()
    await expect(officer.get_by_role("alert")).to_have_text(
        "Say why the task is waived: the reason is kept."
    )
    gifts = officer.locator("#tasks tbody tr", has_text="Gifts")
    await gifts.get_by_label("Note, or why it is waived").fill("საჩუქრები წინა ვიზიტზე გადაეცათ")
    await gifts.get_by_role("button", name="Waive").click()
    await expect(officer.locator(FLASH)).to_have_text("The task is waived.")
    await expect(officer.locator("#tasks tbody tr", has_text="Gifts")).to_contain_text("Waived")
    await shoot(officer, "visits-05-tasks-closed")

    # The closed tasks leave the inbox; the others stay.
    await officer.goto("/inbox")
    await expect(officer.get_by_role("link", name=f"{TITLE} — ტრანსპორტი")).to_be_visible()
    await until_gone(
        officer, lambda p: p.get_by_role("link", name=accommodation_link), "the done task"
    )
    await expect(officer.get_by_role("link", name=f"{TITLE} — საჩუქრები")).to_have_count(0)
    await shoot(officer, "visits-06-inbox-after")
