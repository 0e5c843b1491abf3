"""Screenshots of the public website and the staff portal, as `make run` shows them.

Run, with the demo stack up (`make run` in another terminal):

    .venv/bin/python docs/website/shoot.py [--website URL] [--portal URL] [--out FOLDER]

It drives Debian's Chromium through Playwright and writes full-page PNGs into
`docs/website/screens/` (by default): the website's home, an act, an event, a standing page,
the registry and the sitemap, in Georgian and English, at desktop 1280 px and phone 390 px;
and the portal's screens staff keep the site with (the photo chooser, the site's sections
and menus, the redirects, a standing page's keeping), signed in as the demo accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from pathlib import Path

from playwright.async_api import Page, async_playwright

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "meria-demo-2026"  # the development password; production refuses it
HERE = Path(__file__).resolve().parent


async def first_link(page: Page, url: str, pattern: str) -> str:
    """The first link on a listing page whose address matches, e.g. an act's page."""
    await page.goto(url)
    hrefs = await page.eval_on_selector_all("main a[href]", "els => els.map(e => e.href)")
    found = next((href for href in hrefs if re.search(pattern, href)), None)
    if found is None:
        raise SystemExit(f"no link like {pattern} on {url}")
    return str(found)


async def sign_in(page: Page, portal: str, user: str) -> None:
    await page.goto(f"{portal}/sign-in")
    await page.fill("#username", user)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/sign-in'] button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def shoot(website: str, portal: str, out: Path) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--disable-background-networking", "--disable-component-update"],
        )
        desktop = await browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
        act = await first_link(desktop, f"{website}/acts", r"/acts/\d+$")
        event = await first_link(desktop, f"{website}/calendar", r"/events/\d+$")
        about = await first_link(desktop, f"{website}/sitemap", r"/pages/about$")
        shots = [
            (desktop, f"{website}/", "home-ka-desktop-1280"),
            (desktop, f"{website}/en/", "home-en-desktop-1280"),
            (desktop, act, "act-ka-desktop-1280"),
            (desktop, event, "event-ka-desktop-1280"),
            (desktop, about, "page-ka-desktop-1280"),
            (desktop, f"{website}/en/sitemap", "sitemap-en-desktop-1280"),
        ]
        phone = await browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
        english_act = act.replace(website, f"{website}/en", 1)
        shots += [
            (phone, f"{website}/", "home-ka-phone-390"),
            (phone, f"{website}/en/", "home-en-phone-390"),
            (phone, english_act, "act-en-phone-390"),
            (phone, f"{website}/acts", "registry-ka-phone-390"),
        ]
        for page, url, name in shots:
            await page.goto(url)
            await page.wait_for_load_state("networkidle")
            await page.screenshot(path=out / f"{name}.png", full_page=True)
            print(out / f"{name}.png")

        # The portal: an editor chooses a news item's photos; an administrator keeps the
        # site's sections, menus and redirects.
        editor = await browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
        await sign_in(editor, portal, "demo.editor")
        document = await first_link(editor, f"{portal}/documents", r"/documents/\d+$")
        document_id = document.rstrip("/").rsplit("/", 1)[1]
        admin = await browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
        await sign_in(admin, portal, "demo.admin")
        for page, url, name in (
            (editor, f"{portal}/documents/{document_id}/photos", "portal-photo-chooser"),
            (editor, f"{portal}/documents/{document_id}/edit", "portal-document-form"),
            (admin, f"{portal}/admin/site", "portal-site-sections"),
            (admin, f"{portal}/admin/redirects", "portal-redirects"),
        ):
            await page.goto(url)
            await page.wait_for_load_state("networkidle")
            await page.screenshot(path=out / f"{name}.png", full_page=True)
            print(out / f"{name}.png")
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--website", default="http://127.0.0.1:8080")
    parser.add_argument("--portal", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=HERE / "screens")
    arguments = parser.parse_args()
    arguments.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(arguments.website.rstrip("/"), arguments.portal.rstrip("/"), arguments.out))


if __name__ == "__main__":
    main()
