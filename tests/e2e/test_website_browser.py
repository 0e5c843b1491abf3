"""The public website in a real browser: Debian's Chromium, headless, driven by Playwright.

A visitor reads the home page in Georgian, finds an order through the registry's filters,
searches with an inflected Georgian word, switches to English, skips to the content from
the keyboard, and every page passes axe-core's WCAG 2.1 A/AA rules. Without JavaScript the
forms still work, and on a phone nothing scrolls sideways.

Needs `apt-get install chromium fonts-noto-core` (`.ci/run` does it). Screenshots go to
$MERIA_TEST_ARTIFACTS, or to the test's own temporary folder; their paths are printed.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    async_playwright,
    expect,
)

from meria.testing.servers import NatsServer
from tests.conftest import DatabaseFactory
from tests.integration import test_website
from tests.integration.test_website import AKHMETA_NEWS, PDF, Site
from tests.support.publishing import LEGAL_ACT
from tests.support.stack import running_stack

pytestmark = pytest.mark.e2e

# The integration tests' stack: publishing, the worker and the website on real NATS and
# Temporal, with desks that walk a document through its approval route.
site = test_website.site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
PHONE = {"width": 390, "height": 844}
ABOUT_PAGE: dict[str, Any] = {
    "document_type": "web_page",
    "slug": "about",
    "nav_section": "about",
    "nav_order": 1,
    "title_ka": "მუნიციპალიტეტის შესახებ",
    "title_en": "About the municipality",
    "body_ka": "<p>ახმეტის მუნიციპალიტეტი კახეთშია.</p>",
}
SITE_KA = "ახმეტის მუნიციპალიტეტის მერია"
SITE_EN = "Akhmeta Municipality City Hall"

Shoot = Callable[[Page, str], Coroutine[Any, Any, Path]]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-core")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
def shoot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Shoot:
    """Take a full-page screenshot into the run's artifacts, and say where it is."""
    folder = Path(os.environ.get("MERIA_TEST_ARTIFACTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    async def take(page: Page, name: str) -> Path:
        path = folder / f"{name}.png"
        await page.screenshot(path=path, full_page=True)
        with capsys.disabled():
            print(f"\nscreenshot: {path}")
        return path

    return take


class Visit:
    """A fresh browser profile that notes script errors and failed requests (the browser's
    own /favicon.ico aside: the site has none)."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.problems: list[str] = []
        context.on("console", self.on_console)
        context.on("response", self.on_response)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.on("requestfailed", self.on_failed)

    @classmethod
    async def start(cls, browser: Browser, site: Site, **options: Any) -> Visit:
        return cls(await browser.new_context(base_url=site.url, **options))

    def on_failed(self, request: Request) -> None:
        # The browser drops the icon it is still fetching when the next page is opened.
        aborted_icon = "/coat-of-arms.svg" in request.url and "ERR_ABORTED" in str(request.failure)
        if not aborted_icon:
            self.problems.append(f"failed: {request.url} {request.failure}")

    def on_console(self, message: ConsoleMessage) -> None:
        # A failed load is reported with its address by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console error: {message.text}")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.problems.append(f"{response.status} {response.url}")

    async def end(self) -> None:
        await self.context.close()
        assert not self.problems, "\n".join(self.problems)


async def assert_accessible(page: Page, where: str) -> None:
    """axe-core (bundled with axe-playwright-python), WCAG 2.1 levels A and AA."""
    results = await Axe().run(page, options=WCAG_21_AA)
    assert results.response["passes"], f"axe-core checked nothing on {page.url}"
    assert results.violations_count == 0, f"{where} ({page.url}):\n{results.generate_report()}"


async def georgian_glyphs_differ(page: Page, selector: str) -> bool:
    """Georgian letters drawn in the element's font have their own widths; missing glyphs
    would all be the same empty box."""
    widths: list[float] = await page.evaluate(
        """selector => {
            const context = document.createElement("canvas").getContext("2d");
            context.font = getComputedStyle(document.querySelector(selector)).font;
            return ["ი", "მ", "ჯ", "ა"].map(letter => context.measureText(letter).width);
        }""",
        selector,
    )
    return len(set(widths)) > 1


async def too_wide(page: Page, width: int) -> list[str]:
    """The innermost elements that reach past the right edge of a screen this wide."""
    found: list[str] = await page.evaluate(
        """width => [...document.querySelectorAll("body *")]
            .filter(element => element.getBoundingClientRect().right > width + 0.5)
            .filter(element => ![...element.children].some(
                child => child.getBoundingClientRect().right > width + 0.5))
            .map(element => `${element.outerHTML.slice(0, 120)} (${Math.round(
                element.getBoundingClientRect().right)}px)`)""",
        width,
    )
    return found


async def test_a_visitor_reads_finds_and_searches_in_a_real_browser(
    site: Site, browser: Browser, shoot: Shoot
) -> None:
    # The City Hall publishes an order with its PDF, a news item and a standing page,
    # each through its approval route.
    act_id = await site.publish(LEGAL_ACT, file=PDF)
    await site.publish(AKHMETA_NEWS)
    await site.publish(ABOUT_PAGE)

    visitor = await Visit.start(browser, site, locale="ka-GE")
    page = await visitor.context.new_page()

    # The home page is Georgian, and the Georgian script is drawn from a real font.
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", "ka")
    await expect(page.get_by_role("heading", level=1)).to_have_text(SITE_KA)
    await expect(page.get_by_role("link", name=AKHMETA_NEWS["title_ka"])).to_be_visible()
    # A standing page is in the main menu, and under its section in the footer's.
    main_menu = page.get_by_role("navigation", name="მთავარი მენიუ")
    await expect(main_menu.get_by_role("link", name=ABOUT_PAGE["title_ka"])).to_be_visible()
    footer = page.get_by_role("contentinfo")
    await expect(footer.get_by_role("link", name=ABOUT_PAGE["title_ka"])).to_be_visible()
    assert await georgian_glyphs_differ(page, "h1")
    await shoot(page, "website-01-home")
    await assert_accessible(page, "home")

    # The keyboard: the first Tab reaches the skip link, Enter moves focus to the content.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="მთავარ შინაარსზე გადასვლა")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()  # shown while focused
    await page.keyboard.press("Enter")
    await expect(page.locator("main#main")).to_be_focused()

    # The registry: filter by issuer and type (any year), then open the order.
    navigation = page.get_by_role("navigation", name="მთავარი")
    await navigation.get_by_role("link", name="სამართლებრივი აქტები", exact=True).click()
    await page.get_by_label("გამომცემი", exact=True).select_option("mayor")
    await page.get_by_label("სახე", exact=True).select_option("mayor_order")
    await page.get_by_role("button", name="გაფილტვრა").click()
    await expect(page).to_have_url(re.compile(r"/acts\?.*issuer=mayor"))
    await expect(page.get_by_role("table")).to_contain_text(LEGAL_ACT["title_ka"])
    await shoot(page, "website-02-registry")
    await assert_accessible(page, "registry")

    await page.get_by_role("link", name=LEGAL_ACT["title_ka"]).click()
    await expect(page).to_have_url(f"{site.url}/acts/{act_id}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(LEGAL_ACT["title_ka"])
    await expect(page.locator("dl.register")).to_contain_text("ახმეტის მუნიციპალიტეტის მერი")
    # The website fetches the file a moment after the act arrives; then it offers it.
    download = page.get_by_role("link", name="განკარგულება.pdf")
    for _ in range(50):
        if await download.count():
            break
        await page.wait_for_timeout(200)
        await page.reload()
    await expect(download).to_be_visible()
    await shoot(page, "website-03-act")
    await assert_accessible(page, "act page")

    # Search in Georgian: the nominative ახმეტა finds the news item's ახმეტაში, marked.
    search_box = page.get_by_role("searchbox", name="ძიება")
    await search_box.fill("ახმეტა")
    await search_box.press("Enter")
    await expect(page).to_have_url(re.compile(r"/search\?q="))
    news = page.locator("ol.results > li").filter(has_text=AKHMETA_NEWS["title_ka"])
    await expect(news).to_be_visible()
    await expect(news.locator("mark").first).to_have_text(re.compile("^ახმეტ"))
    await shoot(page, "website-04-search")
    await assert_accessible(page, "search results")

    # The language link leads to the same site in English.
    await page.get_by_role("link", name=SITE_KA, exact=True).click()
    await page.get_by_role("link", name="English").click()
    await expect(page).to_have_url(f"{site.url}/en/")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text(SITE_EN)
    await expect(page.get_by_role("link", name="A new square opened in Akhmeta")).to_be_visible()
    await shoot(page, "website-05-english")
    await assert_accessible(page, "English home")

    # The pages about the site, each reached from the footer, pass the same rules.
    for name in ("Open data", "Accessibility statement", "Privacy notice", "Sitemap"):
        await page.get_by_role("contentinfo").get_by_role("link", name=name, exact=True).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(name)
        await assert_accessible(page, name)
    await visitor.end()

    # JavaScript off: searching and filtering are plain forms, and still work.
    no_script = await Visit.start(browser, site, java_script_enabled=False)
    page = await no_script.context.new_page()
    await page.goto("/")
    search_box = page.get_by_role("searchbox", name="ძიება")
    await search_box.fill("ახმეტა")
    await search_box.press("Enter")
    await expect(page.locator("ol.results")).to_contain_text(AKHMETA_NEWS["title_ka"])
    await page.goto("/acts")
    await page.get_by_label("გამომცემი", exact=True).select_option("mayor")
    await page.get_by_label("სახე", exact=True).select_option("mayor_ordinance")
    await page.get_by_label("წელი", exact=True).select_option(index=1)
    await page.get_by_role("button", name="გაფილტვრა").click()
    await expect(page).to_have_url(re.compile(r"type=mayor_ordinance"))
    await expect(page.get_by_text("ვერაფერი მოიძებნა.")).to_be_visible()  # no ordinances
    await page.get_by_label("სახე", exact=True).select_option("mayor_order")
    await page.get_by_role("button", name="გაფილტვრა").click()
    await expect(page.get_by_role("table")).to_contain_text(LEGAL_ACT["title_ka"])
    await no_script.end()

    # A phone (390 px): nothing is wider than the screen, on the home page, the act's page,
    # the registry or in English; the registry's rows stack, each cell under its column's
    # name, so its table fits without scrolling at all; and axe finds nothing there either.
    phone = await Visit.start(browser, site, viewport=PHONE, is_mobile=True, has_touch=True)
    page = await phone.context.new_page()
    for path, name in (
        ("/", "website-06-phone-home"),
        (f"/acts/{act_id}", "website-07-phone-act"),
        ("/acts", "website-08-phone-registry"),
        ("/en/acts", "website-09-phone-registry-english"),
    ):
        await page.goto(path)
        width = await page.evaluate("document.scrollingElement.scrollWidth")
        await shoot(page, name)
        assert width <= PHONE["width"], (
            f"{path} scrolls sideways: {width}px on a {PHONE['width']}px screen, past its "
            f"edge: {await too_wide(page, PHONE['width'])}"
        )
        await assert_accessible(page, f"{path} on a phone")
    registry = page.locator("table.registry")
    region = page.locator(".table-scroll")
    table_width = await registry.evaluate("table => table.scrollWidth")
    region_width = await region.evaluate("region => region.clientWidth")
    assert table_width <= region_width, f"the registry is {table_width}px in {region_width}px"
    row = registry.locator("tbody tr").first
    await expect(row.locator("td[data-label='Number']")).to_be_visible()
    label = await row.locator("td").first.evaluate(
        "cell => getComputedStyle(cell, '::before').content"
    )
    assert label == '"Number"', label  # the column's name shown beside the value
    await phone.end()


async def test_the_registry_filters_by_type_with_any_year(
    browser: Browser, tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> None:
    async with running_stack(
        ["website"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
    ) as stack:
        visitor = await browser.new_context(base_url=stack.urls["website"])
        page = await visitor.new_page()
        await page.goto("/acts")
        # A visitor picks a type and leaves every other filter at "any".
        await page.get_by_label("სახე", exact=True).select_option("mayor_order")
        async with page.expect_response(lambda response: "/acts?" in response.url) as answer:
            await page.get_by_role("button", name="გაფილტვრა").click()
        response = await answer.value
        await visitor.close()
        assert response.status == 200, f"{response.url} answered {response.status}"
