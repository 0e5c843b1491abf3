"""Media monitoring in a real browser: a media officer records a Georgian TV story that
needs a response, finds the response's draft in their inbox, writes and submits it; the
head of department sees it waiting for approval; the list and the month's coverage show
the story. axe-core finds no WCAG 2.1 AA violation on the form, the list, the response
and the coverage pages."""

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
from tests.support.media import IMEDI
from tests.support.portal import STAFF, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

OFFICER = ("giorgi.khizanishvili", "გიორგი ხიზანიშვილი")
TITLE = "იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?"
SUMMARY = "სიუჟეტში ომალოს მცხოვრებლები გზის მდგომარეობას აკრიტიკებენ."
ANSWER = "ომალოს გზის შეკეთება გრაფიკით მიმდინარეობს და 1 დეკემბრამდე დასრულდება."


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "media", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            refresh_seconds=2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *OFFICER, ["media_officer"])
        outlet = await http.post(
            f"{stack.urls['media']}/outlets",
            headers=stack.headers("media_officer"),
            json=IMEDI,
        )
        assert outlet.status_code == 201, outlet.text
        yield stack


async def signed_in(browser: Browser, stack: Stack, username: str, name: str) -> Page:
    """A person's own browser, signed in with the form, reading the portal in English."""
    return await sign_in(browser, stack, username, name=name, english=True)


async def test_from_the_monitoring_form_to_the_response_task_in_the_inbox(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    officer = await signed_in(browser, stack, *OFFICER)

    # The form refuses a story without its outlet, and keeps what was typed.
    await officer.get_by_role("link", name="Media", exact=True).click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Media monitoring")
    await officer.get_by_role("link", name="Record a story").click()
    await officer.get_by_label("Title").fill(TITLE)
    await officer.get_by_role("button", name="Record").click()
    await expect(officer.get_by_role("alert")).to_contain_text("Choose the outlet.")
    await expect(officer.get_by_label("Title")).to_have_value(TITLE)
    await assert_accessible(officer, "monitoring form with errors")

    # A negative TV story that needs a response, drafted by the officer themself.
    await officer.get_by_label("Outlet").select_option(label="Imedi TV (TV)")
    await officer.get_by_label("Date published or aired").fill("2026-11-16")
    await officer.get_by_label("Summary").fill(SUMMARY)
    await officer.get_by_label("Topic").select_option(label="Infrastructure")
    await officer.get_by_label("Officials mentioned").fill("ახმეტის მერი")
    await officer.get_by_label("Negative").check()
    await officer.get_by_label("A response is needed").check()
    await officer.get_by_label("Who drafts the response (user name)").fill(OFFICER[0])
    await shoot(officer, "media-01-monitoring-form")
    await officer.get_by_role("button", name="Record").click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(officer.locator(FLASH)).to_have_text("The item is recorded.")
    await expect(officer.get_by_role("link", name="Being drafted")).to_be_visible()

    # The draft waits in the officer's inbox; its task opens the response page.
    await officer.goto("/inbox")
    link = officer.get_by_role("link", name=TITLE)
    for _ in range(60):
        if await link.count():
            break
        await officer.wait_for_timeout(500)
        await officer.reload()
    await shoot(officer, "media-02-inbox")
    await link.first.click()
    await expect(officer).to_have_url(re.compile(r"/media/responses/\d+$"))
    await expect(officer.get_by_role("heading", level=1)).to_have_text(TITLE)
    await assert_accessible(officer, "response page with the draft form")
    await officer.get_by_label("Publish as a statement").check()
    await officer.get_by_label("Text in Georgian").fill(ANSWER)
    await officer.get_by_role("button", name="Submit for approval").click()
    await expect(officer.locator(FLASH)).to_have_text("The draft is submitted for approval.")
    response_url = officer.url

    # The head of department finds it waiting for approval, with the decision form.
    head = await signed_in(browser, stack, STAFF["head"][0], STAFF["head"][1])
    await head.goto(response_url)
    for _ in range(60):
        if await head.get_by_role("button", name="Send the decision").count():
            break
        await head.wait_for_timeout(500)
        await head.reload()
    await expect(head.get_by_text(ANSWER)).to_be_visible()
    await shoot(head, "media-03-response-approval")
    await assert_accessible(head, "response waiting for approval")

    # The list and the month's coverage show the story.
    await officer.goto("/media/monitoring?sentiment=negative")
    await expect(officer.get_by_role("link", name=TITLE)).to_be_visible()
    await assert_accessible(officer, "monitoring list")
    await officer.goto("/media/coverage?month=2026-11")
    await expect(officer.get_by_role("table", name="Medium")).to_contain_text("TV")
    await shoot(officer, "media-04-coverage")
    await assert_accessible(officer, "coverage")
