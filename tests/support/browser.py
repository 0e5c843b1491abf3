"""A person at the staff portal in a real browser: their own profile, signed in with the form."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.async_api import Browser, Locator, Page, expect

from services.portal.settings import DEMO_PASSWORD
from tests.support.stack import Stack

# What a page says it did (its flash: role="status"), not a panel that says a service is
# away (also a status, class "unavailable"), which a busy machine may add beside it.
FLASH = '[role="status"]:not(.unavailable)'


async def sign_in(
    browser: Browser, stack: Stack, username: str, *, name: str | None = None,
    english: bool = False,
) -> Page:  # fmt: skip
    """The inbox sends a stranger to the sign-in form and back; `name` is checked in the
    header; `english` switches the portal's language with its own link."""
    context = await browser.new_context(base_url=stack.urls["portal"], locale="ka-GE")
    page = await context.new_page()
    await page.goto("/inbox")
    await expect(page).to_have_url(re.compile(r"/sign-in\?next=/inbox$"))
    await page.get_by_label("მომხმარებლის სახელი").fill(username)
    await page.get_by_label("პაროლი").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="შესვლა").click()
    await expect(page).to_have_url(re.compile(r"/inbox$"))
    if name is not None:
        await expect(page.locator(".who")).to_have_text(name)
    if english:
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
    return page


async def until_visible(
    page: Page, locator_of: Callable[[Page], Locator], what: str, tries: int = 120
) -> None:
    """Reload the page until what a workflow is about to put there shows (a minute)."""
    locator = locator_of(page)
    for _ in range(tries):
        if await locator.count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    raise AssertionError(f"never saw {what}")


async def until_gone(
    page: Page, locator_of: Callable[[Page], Locator], what: str, tries: int = 60
) -> None:
    """Reload the page until something a workflow has just finished is no longer there."""
    locator = locator_of(page)
    for _ in range(tries):
        if not await locator.count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    raise AssertionError(f"{what} never went away")
