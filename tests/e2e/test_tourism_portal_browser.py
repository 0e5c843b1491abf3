"""Tourism statistics in a real browser: the protocol officer imports a CSV file with
errors and gets the report line by line (nothing imported), imports the corrected file
and reads the year over year figures with their charts, enters a figure by hand, and
registers a priority and a proposal that cites the statistics and starts its project in
the international pipeline. The editor sees the dashboard but not the forms. axe-core
finds no WCAG 2.1 AA violation on the dashboard and the proposals page."""

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
from tests.support.browser import FLASH, sign_in
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

HEADER = "month,place,country,metric,value\n"
BAD = (HEADER + "2026-07,ომალო,,visitors,6800\n2026-7,ომალო,,visitors,10\n").encode()
GOOD = (
    HEADER + "2025-07,ომალო,,visitors,5200\n2026-07,ომალო,,visitors,6800\n"
    "2026-07,ომალო,PL,visitors,900\n2026-08,ალავერდი,,visitors,4100\n"
).encode()


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["visits", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


async def test_tourism_figures_from_the_import_to_the_dashboard_and_a_proposal(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    officer = await sign_in(browser, stack, STAFF["protocol"][0], english=True)
    await officer.get_by_role("link", name="Tourism", exact=True).click()
    await expect(officer.get_by_role("heading", level=1)).to_have_text("Tourism statistics")
    await officer.get_by_label("Year", exact=True).fill("2026")
    await officer.get_by_role("button", name="Show").click()

    # A file with an error: the report names its line; nothing is imported.
    await officer.get_by_label("CSV file").set_input_files(
        files=[{"name": "ივლისი.csv", "mimeType": "text/csv", "buffer": BAD}]
    )
    await officer.get_by_role("button", name="Import", exact=True).click()
    report = officer.locator("#import-report")
    await expect(report.get_by_role("row")).to_have_count(2)
    await expect(report).to_contain_text("'2026-7' is not a month like 2026-07.")
    await expect(report.get_by_role("cell", name="3", exact=True)).to_be_visible()
    await expect(officer.locator("#tourism-total")).to_contain_text("2026: 0")
    await shoot(officer, "tourism-01-report")

    await officer.get_by_label("CSV file").set_input_files(
        files=[{"name": "2026.csv", "mimeType": "text/csv", "buffer": GOOD}]
    )
    await officer.get_by_role("button", name="Import", exact=True).click()
    await expect(officer.locator(FLASH)).to_have_text("4 figures imported.")
    await expect(officer.locator("#tourism-total")).to_contain_text(
        "2026: 10 900 (+109.6% against 2025)"
    )
    await expect(officer.locator("#by-place")).to_contain_text("ომალო")
    await expect(officer.get_by_role("cell", name="Poland")).to_be_visible()
    chart = officer.get_by_role("img", name=re.compile("^Chart: ვიზიტორები by month"))
    await expect(chart).to_be_visible()
    assert await chart.evaluate("image => image.naturalWidth") > 0  # the SVG loaded
    await assert_accessible(officer, "tourism dashboard")
    await shoot(officer, "tourism-02-dashboard")

    # One figure by hand.
    await officer.get_by_text("Enter one figure").click()
    await officer.locator("#figure-month").fill("2026-08")
    await officer.get_by_label("Place", exact=True).fill("ახმეტა")
    await officer.get_by_label("Number").fill("1500")
    await officer.get_by_role("button", name="Save the figure").click()
    await expect(officer.locator(FLASH)).to_have_text("The figure is saved.")
    await expect(officer.locator("#tourism-total")).to_contain_text("2026: 12 400")

    # A priority, and a proposal citing the statistics with its project.
    await officer.get_by_role("link", name="Priorities and proposals").click()
    await officer.get_by_text("Another priority").click()
    await officer.get_by_label("Title (Georgian)").fill(
        "თუშეთის მთის ტურიზმის სეზონის გახანგრძლივება"
    )
    await officer.get_by_role("button", name="Register the priority").click()
    await expect(officer.locator(FLASH)).to_have_text("The priority is registered.")
    await officer.get_by_text("Another proposal").click()
    await officer.locator("#proposal-title-ka").fill("ომალოს ტურისტული ბილიკები")
    await officer.get_by_label("Budget, ₾").fill("180000")
    await officer.get_by_label("Funding", exact=True).select_option(label="Donor")
    await officer.get_by_label("Donor (for outside funding)").fill("ევროკავშირი")
    await officer.get_by_label("Start its project in the international projects pipeline").check()
    await officer.locator("#cited-metric").select_option(label="ვიზიტორები")
    await officer.locator("#cited-year").fill("2026")
    await officer.get_by_label("Place (empty: the whole municipality)").fill("ომალო")
    await officer.get_by_role("button", name="Register the proposal").click()
    await expect(officer.locator(FLASH)).to_have_text("The proposal is registered.")
    proposals = officer.locator("#proposals")
    await expect(proposals).to_contain_text("ომალოს ტურისტული ბილიკები")
    await expect(proposals).to_contain_text("International project no. 1")
    await expect(proposals).to_contain_text("ვიზიტორები, 2026, ომალო: 6800")
    await assert_accessible(officer, "proposals")
    await shoot(officer, "tourism-03-proposal")

    # The editor reads, and does not keep, the statistics.
    editor = await sign_in(browser, stack, STAFF["editor"][0], english=True)
    await editor.goto("/tourism?year=2026")
    await expect(editor.locator("#tourism-total")).to_contain_text("2026: 12 400")
    await expect(editor.get_by_role("button", name="Import", exact=True)).to_have_count(0)
