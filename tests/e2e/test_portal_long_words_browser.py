"""A word longer than any line, in a real browser: the event form and the event's page keep
to the screen's width, on a desk's screen and on a phone.

A press officer pastes a 300-character word (an address without spaces, a code) into the
title and the description; the form refuses it for another reason and comes back with it,
then the event is saved and its page shows it. Nothing scrolls sideways.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import PHONE, Shoot, browser, shoot, too_wide
from tests.support.browser import sign_in
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

WORD = "ახმეტისმუნიციპალიტეტისმერია" * 11  # 308 letters, no space
DESK = {"width": 1280, "height": 900}


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["events", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        planner = EventsDesk(stack, http, "setup", "protocol_officer")
        await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        yield stack


async def fits(page: Page, width: int) -> None:
    # Measured once the stylesheet is in: the heading may be in the page before it is.
    await page.wait_for_load_state("load")
    scrolled = await page.evaluate("document.scrollingElement.scrollWidth")
    assert scrolled <= width, (
        f"{page.url} is {scrolled}px wide on a {width}px screen: {await too_wide(page, width)}"
    )


async def test_a_300_character_word_keeps_the_event_form_and_page_to_the_screen(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    officer = await sign_in(browser, stack, STAFF["protocol"][0])
    day = datetime.now(TBILISI).replace(microsecond=0) + timedelta(days=20)
    await officer.goto("/events/new")
    await officer.locator("#kind").select_option("ceremony")
    await officer.locator("#title_ka").fill(WORD)
    await officer.locator("#description_ka").fill(f"აღწერა: {WORD}")
    await officer.locator("#place_ka").fill(WORD[:250])
    # Ends before it starts: the form comes back with everything typed.
    await officer.locator("#starts_at").fill(day.strftime("%Y-%m-%dT12:00"))
    await officer.locator("#ends_at").fill(day.strftime("%Y-%m-%dT11:00"))
    await officer.locator("#ends_at").press("Enter")
    await expect(officer.get_by_role("alert")).to_be_visible()
    await expect(officer.locator("#title_ka")).to_have_value(WORD)
    for screen in (DESK, PHONE):
        await officer.set_viewport_size(screen)
        await fits(officer, screen["width"])
    await shoot(officer, "long-word-01-event-form")

    # Saved as a draft, its page shows the word in its heading and its facts.
    await officer.set_viewport_size(DESK)
    await officer.locator("#ends_at").fill(day.strftime("%Y-%m-%dT13:00"))
    await officer.locator("button[name=action][value=save]").click()
    await expect(officer.get_by_role("heading", level=1)).to_contain_text(WORD[:40])
    for screen in (DESK, PHONE):
        await officer.set_viewport_size(screen)
        await fits(officer, screen["width"])
    await shoot(officer, "long-word-02-event-page")
