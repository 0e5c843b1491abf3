"""The media library in a real browser: the media officer uploads two photos at once
(one is a text file named like a photo, and is refused with its reason while the other
is stored), finds the stored one by words, place and person, opens it, and changes its
caption and the consent of the people shown; the editor then chooses it from the library
into a press release's draft, with its alt text, and the document's page shows it.
Georgian and English; axe-core finds no WCAG 2.1 AA violation on any page."""

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
from tests.support.files import small_photo
from tests.support.portal import STAFF, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

OFFICER = ("giorgi.khizanishvili", "გიორგი ხიზანიშვილი")
CAPTION = "ღვინის ფესტივალის გახსნა ახმეტის ცენტრალურ პარკში"
NEW_CAPTION = "ახმეტის ღვინის ფესტივალი: მერი სტუმრებს ესალმება"
ALT = "მერი ფესტივალის სტუმრებს ცენტრალურ პარკში ესალმება"


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["media", "publishing", "events", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *OFFICER, ["media_officer"])
        yield stack


async def open_library(page: Page, name: str) -> None:
    section = page.get_by_role("navigation", name=re.compile("Media relations|მედიასთან"))
    await section.get_by_role("link", name=name, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)


async def test_photos_uploaded_found_described_and_chosen_into_a_document(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    officer = await sign_in(browser, stack, OFFICER[0], name=OFFICER[1])

    # In Georgian: from the portal's Media link to the library, empty yet.
    await officer.get_by_role("link", name="მედია", exact=True).click()
    await open_library(officer, "ბიბლიოთეკა")
    await expect(officer.get_by_text("ბიბლიოთეკაში შესაბამისი არაფერი მოიძებნა.")).to_be_visible()
    await assert_accessible(officer, "the library in Georgian")

    # Two files at once: a photo, and a text file named like one.
    await officer.get_by_role("link", name="ფოტოებისა და ფაილების ატვირთვა").click()
    await assert_accessible(officer, "the upload form in Georgian")
    await officer.locator("#files").set_input_files([
        {"name": "festival.jpg", "mimeType": "image/jpeg", "buffer": small_photo()},
        {"name": "notes.jpg", "mimeType": "image/jpeg",
         "buffer": "ფესტივალის გეგმა: 10:00 გახსნა".encode()},
    ])  # fmt: skip
    await officer.locator("#caption_ka").fill(CAPTION)
    await officer.locator("#author").fill("ლევან ბერიძე")
    await officer.locator("#place").fill("ახმეტა, ცენტრალური პარკი")
    await officer.locator("#people").fill("ნინო ბერიძე\nგიორგი ხიზანიშვილი")
    await officer.locator("#licence").select_option("cc_by_4.0")
    await officer.locator("#consent").select_option("public_event")
    await officer.get_by_role("button", name="ატვირთვა", exact=True).click()
    results = officer.locator("#upload-list")
    await expect(results.locator("li")).to_have_count(2)
    await expect(results).to_contain_text("festival.jpg: შენახულია.")
    await expect(results).to_contain_text(
        "notes.jpg: არ იქნა მიღებული. ბიბლიოთეკა ამ ტიპის ფაილს არ იღებს"
    )
    # Each file had its own progress bar, filled.
    bars = officer.locator("#upload-progress progress")
    await expect(bars).to_have_count(2)
    await expect(bars.first).to_have_attribute("value", "100")
    await shoot(officer, "library-01-upload")
    await assert_accessible(officer, "the upload's results")

    # In English: found by a word in another case, by place and by person.
    await officer.get_by_role("link", name="English").click()
    await open_library(officer, "Library")
    await officer.get_by_label("Words").fill("ფესტივალზე")
    await officer.get_by_label("Place").fill("ახმეტაში")
    await officer.get_by_label("Person shown").fill("ნინო ბერიძე")
    await officer.get_by_role("button", name="Find").click()
    grid = officer.get_by_role("list", name="Photos and files, newest first")
    await expect(grid.get_by_role("listitem")).to_have_count(1)
    await expect(grid.locator("img")).to_have_js_property("naturalWidth", 64)
    await assert_accessible(officer, "the library found")
    await officer.get_by_label("Person shown").fill("Hans Müller")
    await officer.get_by_role("button", name="Find").click()
    await expect(officer.get_by_text("Nothing in the library matches.")).to_be_visible()

    # The item: what it shows, its licence and consent; its caption and consent changed.
    await officer.get_by_label("Person shown").fill("")
    await officer.get_by_role("button", name="Find").click()
    await officer.get_by_role("link", name=CAPTION).click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text(CAPTION)
    rights = officer.locator("#rights")
    await expect(rights).to_contain_text("Creative Commons Attribution 4.0")
    await expect(rights).to_contain_text("A public event")
    await assert_accessible(officer, "an item")
    await officer.locator("#caption_ka").fill("")
    await officer.get_by_role("button", name="Save the changes").click()
    await expect(officer.locator("#caption_ka-error")).to_have_text(
        "Say in Georgian what the photo shows."
    )
    await assert_accessible(officer, "an item's refused change")
    await officer.locator("#caption_ka").fill(NEW_CAPTION)
    await officer.locator("#consent").select_option(label="Given by the people shown")
    await officer.locator("#consent_note").fill("წერილობითი თანხმობა, 2026-09-20")
    await officer.get_by_role("button", name="Save the changes").click()
    await expect(officer.locator(FLASH)).to_have_text("The changes are saved.")
    await expect(officer.get_by_role("heading", level=1)).to_have_text(NEW_CAPTION)
    await expect(rights).to_contain_text("Given by the people shown")
    await shoot(officer, "library-02-item")

    # The editor writes a press release and chooses the photo from the library into it,
    # with the words that stand in for it.
    editor = await sign_in(browser, stack, STAFF["editor"][0], english=True)
    await editor.goto("/documents/new")
    await editor.get_by_label("Kind of document").select_option("press_release")
    await editor.locator("#title_ka").fill("ახმეტის ღვინის ფესტივალი გაიხსნა")
    await editor.get_by_role("button", name="Add photos from the library").click()
    await expect(editor.get_by_role("heading", level=1)).to_have_text(
        "Choose photos from the library"
    )
    await assert_accessible(editor, "the photo chooser")
    await editor.get_by_label("Words").fill("ფესტივალი")
    await editor.get_by_role("button", name="Find").click()
    await editor.get_by_label("Choose", exact=True).check()
    await editor.get_by_role("button", name="Add the ticked photos").click()
    await expect(editor.locator(FLASH)).to_have_text(
        "The photos are added below: say what each shows, then save."
    )
    await expect(editor.locator("#title_ka")).to_have_value("ახმეტის ღვინის ფესტივალი გაიხსნა")
    await assert_accessible(editor, "the document with its photo to describe")
    await shoot(editor, "library-03-describe")
    await editor.get_by_label("Alt text in Georgian (required)").fill(ALT)
    await editor.get_by_role("button", name="Save draft").click()
    await expect(editor.get_by_role("img", name=ALT)).to_be_visible()
    await shoot(editor, "library-04-chosen")
    await assert_accessible(editor, "the document with its photo")

    # The same chooser in Georgian.
    await editor.goto(editor.url.split("?")[0] + "/edit")
    await editor.get_by_role("link", name="ქართული").click()
    await editor.get_by_role("button", name="ფოტოების დამატება ბიბლიოთეკიდან").click()
    await expect(editor.get_by_role("heading", level=1)).to_have_text(
        "ფოტოების არჩევა ბიბლიოთეკიდან"
    )
    await expect(editor.get_by_text("უკვე არჩეულია")).to_be_visible()
    await assert_accessible(editor, "the photo chooser in Georgian")
