"""The monthly press digest in a real browser: the administrator sees when the schedule
runs next and pauses it with a note (refused without one), then resumes it; the head of
department compiles the digest of a past month with the form, sees it reach publishing
submitted for approval, and opens its document; compiling the same month again is
refused. axe-core finds no WCAG 2.1 AA violation on the page."""

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
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "events", "visits", "media", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


async def test_the_digest_is_scheduled_paused_and_compiled_from_the_portal(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    # A past month: digest ids are one per month on the Temporal server the test session
    # shares, and the integration test compiles this month's.
    month = "2025-02"
    admin = await sign_in(browser, stack, STAFF["admin"][0], english=True)
    await admin.get_by_role("link", name="Digest", exact=True).click()
    await expect(admin.get_by_role("heading", level=1)).to_have_text("Monthly press digest")
    await until_visible(admin, lambda p: p.get_by_text(re.compile("^Next run: ")), "the schedule")
    await assert_accessible(admin, "digest page")
    await admin.get_by_role("button", name="Pause the schedule").click()
    await expect(admin.get_by_role("alert")).to_have_text(
        "Say why the schedule is paused: the note stays with it."
    )
    await admin.get_by_label("Why pause it").fill("დეკემბრის დაიჯესტი ხელით მზადდება")
    await admin.get_by_role("button", name="Pause the schedule").click()
    await expect(admin.locator("#schedule-state")).to_have_text(
        "Paused: დეკემბრის დაიჯესტი ხელით მზადდება"
    )
    await shoot(admin, "digest-01-paused")
    await admin.get_by_role("button", name="Resume the schedule").click()
    await expect(admin.locator(FLASH)).to_have_text("The schedule runs again.")
    await expect(admin.locator("#schedule-state")).to_contain_text("Next run: ")

    # The head of department compiles this month's digest by hand.
    head = await sign_in(browser, stack, STAFF["head"][0], english=True)
    await head.goto("/digests")
    await expect(head.get_by_role("button", name="Pause the schedule")).to_have_count(0)
    await head.get_by_label("Month").fill(month)
    await head.get_by_role("button", name="Compile the digest").click()
    await expect(head.locator(FLASH)).to_have_text(
        "The digest is being compiled; it appears below in a moment."
    )
    row = f"#digest-{month}"
    await until_visible(
        head,
        lambda p: p.locator(row).get_by_text("Submitted for approval"),
        "the digest submitted",
    )
    await shoot(head, "digest-02-compiled")
    await head.get_by_label("Month").fill(month)
    await head.get_by_role("button", name="Compile the digest").click()
    await expect(head.get_by_role("alert")).to_have_text(
        f"The digest of {month} is compiled already; see it below."
    )
    await head.locator(row).get_by_role("link", name=re.compile("The digest document")).click()
    await expect(head.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^პრესდაიჯესტი: \d{4} წლის ")
    )
    await shoot(head, "digest-03-document")
