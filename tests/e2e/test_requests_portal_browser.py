"""An information request in a real browser, from the requester's form to the answer.

A member of the council's staff (the `requester` role) signs in, lands on their
requests, and asks the department for information with the form (refused first for
what is missing). The media officer finds the request in "My tasks", whose link opens its
page; writes the answer, attaches a table, and sends it. The requester is notified, reads
the answer on the request's page and downloads the table, byte for byte. axe-core finds
no WCAG 2.1 AA violation on the form and the request's page. The requester reads the
portal in Georgian (its default); the media officer in English.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.support.browser import FLASH, sign_in, until_visible
from tests.support.portal import add_account
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

REQUESTER = ("eka.buchukuri", "ეკა ბუჩუკური", ["requester"])
OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
TITLE = "თუშეთში ჩამოსული ტურისტები 2026 წელს"
QUESTION = (
    "საკრებულოს ტურიზმის კომისიას სჭირდება 2026 წელს თუშეთში ჩამოსული ტურისტების "
    "რაოდენობა თვეების მიხედვით."
)
ANSWER = "2026 წელს თუშეთს 18 400 ტურისტი ეწვია; თვეების მიხედვით ცხრილი თანდართულია."
TABLE = "თვე,ტურისტები\nივნისი,3100\nივლისი,6800\nაგვისტო,8500\n".encode()


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["media", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            refresh_seconds=2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        for account in (REQUESTER, OFFICER):
            await add_account(stack, http, *account)
        yield stack


async def test_an_information_request_from_the_form_to_the_answer(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    requester = await sign_in(browser, stack, REQUESTER[0], name=REQUESTER[1])
    await requester.goto("/")
    await expect(requester).to_have_url(re.compile(r"/requests$"))
    await expect(requester.get_by_role("heading", level=1)).to_have_text("ინფორმაციის მოთხოვნები")
    # Their navigation is their requests and notifications, not the department's work.
    navigation = requester.get_by_role("navigation", name="მთავარი ნავიგაცია")
    await expect(navigation.get_by_role("link")).to_have_count(2)
    await requester.get_by_role("link", name="ახალი მოთხოვნა").click()
    await assert_accessible(requester, "new request form")
    await requester.get_by_role("button", name="მოთხოვნის გაგზავნა").click()
    alert = requester.get_by_role("alert")
    await expect(alert).to_contain_text(
        "მიუთითეთ საკრებულოს აპარატი ან სამსახური, რომელიც ითხოვს ინფორმაციას."
    )
    await expect(alert).to_contain_text("მიუთითეთ, რა ინფორმაციაა საჭირო.")

    await requester.get_by_label("ვინ ითხოვს (საკრებულოს აპარატი ან სამსახური)").fill(
        "საკრებულოს აპარატი"
    )
    await requester.get_by_label("სათაური").fill(TITLE)
    await requester.get_by_label("რა ინფორმაციაა საჭირო").fill(QUESTION)
    await requester.get_by_label("სად მოიძიოს, თითო წყარო სტრიქონზე (არასავალდებულო)").fill(
        "ტურიზმის საინფორმაციო ცენტრი\nთუშეთის დაცული ტერიტორიები"
    )
    await shoot(requester, "requests-01-form")
    await requester.get_by_role("button", name="მოთხოვნის გაგზავნა").click()
    await expect(requester.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(requester.locator(FLASH)).to_have_text(
        "მოთხოვნა გაგზავნილია: სამსახური მას თავის დავალებებში ნახავს."
    )
    await expect(requester.locator("#request-state")).to_have_text("ელოდება პასუხს")
    request_url = requester.url.split("?")[0]
    await assert_accessible(requester, "request page")

    # The media officer finds it in "My tasks"; its link opens the request's page.
    officer = await sign_in(browser, stack, OFFICER[0], english=True)
    await until_visible(officer, lambda p: p.get_by_role("link", name=TITLE), "the request")
    await shoot(officer, "requests-02-in-the-inbox")
    await officer.get_by_role("link", name=TITLE).click()
    await expect(officer).to_have_url(re.compile(re.escape(request_url) + "#answer"))
    await officer.get_by_label("Answer", exact=True).fill(ANSWER)
    await officer.get_by_role("button", name="Save").click()
    await expect(officer.locator(FLASH)).to_have_text("The answer is saved.")
    await officer.get_by_role("button", name="Attach", exact=True).click()
    await expect(officer.get_by_role("alert")).to_have_text("Choose a file to attach.")
    await officer.get_by_label(re.compile("^Attach a file")).set_input_files(
        files=[{"name": "ტურისტები-2026.csv", "mimeType": "text/csv", "buffer": TABLE}]
    )
    await officer.get_by_role("button", name="Attach", exact=True).click()
    await expect(officer.locator(FLASH)).to_have_text("The file is attached.")
    await expect(officer.get_by_role("link", name="ტურისტები-2026.csv")).to_be_visible()
    await expect(officer.get_by_label("Answer", exact=True)).to_have_value(ANSWER)
    await shoot(officer, "requests-03-answer")
    await officer.get_by_role("button", name="Send the answer").click()
    await expect(officer.locator(FLASH)).to_have_text("The answer is sent to the requester.")
    await expect(officer.locator("#request-state")).to_have_text("Answered")

    # The requester is told, reads the answer and downloads the table.
    await requester.goto("/notifications")
    await until_visible(
        requester,
        lambda p: p.get_by_text(f"თქვენს მოთხოვნაზე „{TITLE}“ პასუხი გაცემულია."),
        "the notification",
    )
    await requester.goto(request_url)
    await expect(requester.locator("#request-state")).to_have_text("პასუხი გაცემულია")
    await expect(requester.get_by_text(ANSWER)).to_be_visible()
    async with requester.expect_download() as downloading:
        await requester.get_by_role("link", name="ტურისტები-2026.csv").click()
    download = await downloading.value
    saved = Path(await download.path())
    assert saved.read_bytes() == TABLE
    await shoot(requester, "requests-04-answered")
