"""A press conference in a real browser, from the "new press conference" form to its tasks
in the inbox.

The press officer fills in the form (Georgian and English titles, the hall, the mayor)
and announces it; the calendar shows it by month and as a list; the head of department
finds the media advisory waiting for approval in the inbox; once the conference is held,
the press release is in the press officer's inbox, whose link opens the conference's page,
where it is marked done. axe-core finds no WCAG 2.1 AA violation on the form, the event's
page and the calendar. The portal is read in English here: its Georgian catalogs gain the
new words when they are merged (Georgian data — the titles — stays Georgian).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.integration.test_portal_events import PRESS_OFFICER
from tests.support.browser import FLASH, sign_in, until_visible
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.portal import STAFF, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

TITLE = "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ"
TITLE_EN = "Press conference of the mayor on the Tusheti road season"


@pytest.fixture
async def stack(
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
            refresh_seconds=2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *PRESS_OFFICER)
        planner = EventsDesk(stack, http, "setup", "protocol_officer")
        await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        yield stack


async def signed_in(browser: Browser, stack: Stack, username: str) -> Page:
    """A person's own browser session, signed in with the form, reading English."""
    return await sign_in(browser, stack, username, english=True)


async def test_a_press_conference_from_its_form_to_its_tasks_in_the_inbox(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    officer = await signed_in(browser, stack, PRESS_OFFICER[0])

    # From the navigation to the form, which says what is missing when refused.
    await officer.get_by_role("link", name="Events").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Events")
    await officer.get_by_role("link", name="New press conference").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("New press conference")
    await assert_accessible(officer, "new press conference form")
    await officer.get_by_role("button", name="Announce").click()
    await expect(officer.get_by_role("alert")).to_contain_text("The Georgian title is required.")

    # A conference that starts in a moment and is over within half a minute.
    now = datetime.now(TBILISI).replace(microsecond=0)
    starts, ends = now + timedelta(seconds=20), now + timedelta(seconds=40)
    await officer.locator("#title_ka").fill(TITLE)
    await officer.locator("#title_en").fill(TITLE_EN)
    await officer.get_by_label("Venue").select_option(
        label="Akhmeta City Hall assembly hall (60 seats)"
    )
    await officer.get_by_label("Starts").fill(starts.strftime("%Y-%m-%dT%H:%M:%S"))
    await officer.get_by_label("Ends").fill(ends.strftime("%Y-%m-%dT%H:%M:%S"))
    await officer.get_by_label("Mayor of Akhmeta Municipality").check()
    await officer.get_by_label("Who carries it (account)").fill(PRESS_OFFICER[0])
    await shoot(officer, "events-01-new-press-conference")
    await officer.get_by_role("button", name="Announce").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE_EN)
    await expect(officer.locator(FLASH)).to_have_text("The event is announced.")
    event_url = officer.url.split("?")[0]
    await assert_accessible(officer, "event page")
    await shoot(officer, "events-02-announced")

    # The calendar shows it, by month and as a list.
    await officer.get_by_role("link", name="Back to the calendar").click()
    await expect(officer.get_by_role("link", name=re.compile(TITLE_EN))).to_be_visible()
    await assert_accessible(officer, "calendar")
    await officer.get_by_label("View").select_option("list")
    await officer.get_by_role("button", name="Show").click()
    await expect(officer.get_by_role("cell", name=TITLE_EN)).to_be_visible()
    await shoot(officer, "events-03-calendar")

    # Its media advisory waits for the head of department in publishing.
    head = await signed_in(browser, stack, STAFF["head"][0])
    await until_visible(
        head, lambda p: p.get_by_role("link", name=f"მედია-ანონსი: {TITLE}"), "the advisory"
    )
    await shoot(head, "events-04-advisory-in-the-inbox")

    # Held: the press release is due, in the press officer's inbox.
    await officer.goto("/inbox")
    await until_visible(officer, lambda p: p.get_by_role("link", name=TITLE), "the press release")
    await expect(officer.get_by_role("cell", name="Press release")).to_be_visible()
    await shoot(officer, "events-05-press-release-in-the-inbox")
    await officer.get_by_role("link", name=TITLE).click()
    await expect(officer).to_have_url(re.compile(re.escape(event_url) + "#task-"))
    await expect(officer.get_by_role("heading", name="Press release", level=2)).to_be_visible()
    await officer.get_by_label("Note").fill("პრესრელიზი მომზადდა და გაიგზავნა")
    await officer.get_by_role("button", name="Mark it done").click()
    await expect(officer.locator(FLASH)).to_have_text(
        "The press release or transcript is recorded."
    )
    await officer.goto("/inbox")
    await expect(officer.get_by_role("link", name=TITLE)).to_have_count(0)
    await shoot(officer, "events-06-done")
