"""The staff portal in a real browser: the whole approval story, person by person.

An editor writes a legal act in Georgian and submits it; the legal reviewer, working from
the keyboard, requests changes with a comment; the editor edits and resubmits; reviewer,
head of department and mayor approve in their own sessions; the act appears on the public
website with its register number. Someone without the role sees no decision form, and the
API refuses them too. axe-core finds no WCAG 2.1 AA violation on the sign-in, new
document, inbox, task, notifications, dashboard and case pages. Screenshots of each step
go to $MERIA_TEST_ARTIFACTS (or the test's own folder).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import (
    Shoot,
    assert_accessible,
    browser,
    georgian_glyphs_differ,
    shoot,
)
from tests.support.browser import FLASH, sign_in
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

TITLE = "ახმეტის მუნიციპალიტეტის მერის ბრძანება ზამთრის გზების მოვლის შესახებ"
BODY = (
    "ახმეტის, ზემო ალვანისა და დუისის გზები ზამთარში **ყოველდღე** გაიწმინდოს.\n\n"
    "ბრძანება ძალაშია გამოქვეყნებისთანავე."
)
CHANGES = "მიუთითეთ, რომელი სამსახურია პასუხისმგებელი."


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "worker", "website", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            refresh_seconds=2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        issuer = await http.put(
            f"{stack.urls['publishing']}/issuers/mayor",
            headers=stack.headers("admin"),
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        assert issuer.status_code == 200
        yield stack


async def signed_in(browser: Browser, stack: Stack, who: str) -> Page:
    """A person's own browser session, signed in with the form."""
    return await sign_in(browser, stack, STAFF[who][0], name=STAFF[who][1])


async def open_task(page: Page) -> None:
    """Wait for the act in the inbox (the list refreshes itself) and open its task."""
    await page.goto("/inbox")
    link = page.get_by_role("link", name=TITLE)
    for _ in range(60):
        if await link.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await link.first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


async def decide(page: Page, outcome: str, comment: str = "") -> None:
    await page.get_by_label(outcome, exact=True).check()
    if comment:
        await page.get_by_label("კომენტარი").fill(comment)
    await page.get_by_role("button", name="გადაწყვეტილების გაგზავნა").click()
    await expect(page.get_by_text("თქვენი გადაწყვეტილება ჩაიწერა.")).to_be_visible()


async def test_a_legal_act_goes_from_the_editor_to_the_website_in_real_browsers(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    # The sign-in page: Georgian, drawn in a Georgian font, and accessible.
    editor = await signed_in(browser, stack, "editor")
    anonymous = await (await browser.new_context(base_url=stack.urls["portal"])).new_page()
    await anonymous.goto("/sign-in")
    await expect(anonymous.locator("html")).to_have_attribute("lang", "ka")
    assert await georgian_glyphs_differ(anonymous, "h1")
    await shoot(anonymous, "portal-01-sign-in")
    await assert_accessible(anonymous, "sign-in")

    # The editor writes the order in Georgian; the preview follows the text as it is typed.
    await editor.get_by_role("link", name="დოკუმენტები").click()
    await editor.get_by_role("link", name="ახალი დოკუმენტი").click()
    await editor.get_by_label("დოკუმენტის სახე").select_option("mayor_order")
    await editor.get_by_label("გამომცემი (სამართლებრივი აქტებისთვის)").select_option("mayor")
    await editor.locator("#title_ka").fill(TITLE)
    await editor.locator("#title_en").fill("Order on winter road maintenance")
    await editor.locator("#body_ka").fill(BODY)
    await expect(editor.locator("#preview-ka strong")).to_have_text("ყოველდღე")
    await shoot(editor, "portal-02-new-document")
    await assert_accessible(editor, "new document form")
    await editor.get_by_role("button", name="გაგზავნა დასამტკიცებლად").click()
    await expect(editor.locator(FLASH)).to_contain_text("გაიგზავნა დასამტკიცებლად")
    document_url = editor.url.split("?")[0]

    # The legal reviewer works from the keyboard: the inbox, the task, a request for changes.
    lawyer = await signed_in(browser, stack, "lawyer")
    await open_task(lawyer)
    await lawyer.go_back()
    await expect(lawyer.get_by_role("link", name=TITLE)).to_be_visible()
    await shoot(lawyer, "portal-03-inbox")
    await assert_accessible(lawyer, "inbox")
    await lawyer.locator("body").focus()
    task_link = lawyer.get_by_role("link", name=TITLE)
    for _ in range(40):
        await lawyer.keyboard.press("Tab")
        if await task_link.evaluate("element => element === document.activeElement"):
            break
    await expect(task_link).to_be_focused()
    await lawyer.keyboard.press("Enter")
    await expect(lawyer.get_by_role("heading", level=1)).to_have_text(TITLE)
    await assert_accessible(lawyer, "task")
    await lawyer.get_by_label("ცვლილებების მოთხოვნა").focus()
    await lawyer.keyboard.press("Space")
    await lawyer.keyboard.press("Tab")
    await lawyer.keyboard.type(CHANGES)
    await lawyer.keyboard.press("Tab")
    await expect(lawyer.get_by_role("button", name="გადაწყვეტილების გაგზავნა")).to_be_focused()
    await shoot(lawyer, "portal-04-request-changes")
    await lawyer.keyboard.press("Enter")
    await expect(lawyer.get_by_text("თქვენი გადაწყვეტილება ჩაიწერა.")).to_be_visible()

    # The editor sees the request, edits the text and resubmits.
    await editor.goto(document_url)
    for _ in range(60):
        if await editor.get_by_text(CHANGES).count():
            break
        await editor.wait_for_timeout(500)
        await editor.reload()
    await expect(editor.get_by_text(CHANGES)).to_be_visible()
    await editor.get_by_role("link", name="რედაქტირება").click()
    await editor.locator("#body_ka").fill(
        BODY.replace("გაიწმინდოს.", "გაიწმინდოს; პასუხისმგებელია ინფრასტრუქტურის სამსახური.")
    )
    await editor.get_by_role("button", name="ხელახლა გაგზავნა დასამტკიცებლად").click()
    await expect(editor.locator(FLASH)).to_contain_text("გაიგზავნა დასამტკიცებლად")
    await shoot(editor, "portal-05-resubmitted")

    # Someone without the role can look, but has no decision form; the API refuses them.
    protocol = await signed_in(browser, stack, "protocol")
    await lawyer.goto("/inbox")
    await open_task(lawyer)
    task_path = "/" + lawyer.url.split("/", 3)[3]
    await protocol.goto(task_path)
    await expect(protocol.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(protocol.get_by_role("button", name="გადაწყვეტილების გაგზავნა")).to_have_count(0)
    document_id = int(document_url.rsplit("/", 1)[1])
    async with httpx.AsyncClient(timeout=20) as http:
        refused = await http.post(
            f"{stack.urls['publishing']}/documents/{document_id}/decisions",
            headers=stack.headers("protocol_officer", user=STAFF["protocol"][0]),
            json={"outcome": "approve"},
        )
    assert refused.status_code in (403, 409), refused.text

    # The administrator sees the case as one row with its open task inside and the counts
    # by stage folded away; choosing it to cancel asks first, and going back cancels nothing.
    admin = await signed_in(browser, stack, "admin")
    await admin.goto("/dashboard?status=running")
    row = admin.locator(f'tr[data-case="document-{document_id}-edition-1"]')
    task = row.locator("li[data-task]")
    await expect(task).to_have_count(1)
    await expect(task).to_contain_text("იურიდიული ექსპერტიზა")
    await expect(task).to_contain_text("იურისტი")
    await expect(admin.locator("details#by-stage")).not_to_have_attribute("open", "")
    await assert_accessible(admin, "dashboard with a running case")
    await shoot(admin, "portal-06a-dashboard-running")
    await row.get_by_role("checkbox").check()
    await admin.locator("#batch-reason").fill("შემოწმება: გაუქმება არ დადასტურდება")
    await admin.get_by_role("button", name="საქმეების გაუქმება…").click()
    await expect(admin.get_by_role("heading", level=1)).to_have_text("საქმეების გაუქმება")
    await expect(admin.get_by_role("button", name="დიახ, ეს საქმე გააუქმეთ")).to_be_visible()
    await assert_accessible(admin, "confirming a cancellation")
    await shoot(admin, "portal-06b-confirm-cancel")
    await admin.get_by_role("link", name="სამართავ დაფაზე დაბრუნება").click()
    await expect(row.locator("li[data-task]")).to_have_count(1)

    # The reviewer sees what changed since they looked, and approves; then the head of
    # department and the mayor, each in their own session.
    await expect(lawyer.locator("mark.chg").filter(has_text="პასუხისმგებელია")).to_be_visible()
    await shoot(lawyer, "portal-06-diff")
    await decide(lawyer, "დამტკიცება")
    for who in ("head", "mayor"):
        page = await signed_in(browser, stack, who)
        await open_task(page)
        await decide(page, "დამტკიცება")
        await shoot(page, f"portal-07-approved-by-{who}")

    # The act is published with its number, and the public website shows it.
    await editor.goto(document_url)
    for _ in range(60):
        if await editor.get_by_text(re.compile(r"^\d+/20\d\d$")).count():
            break
        await editor.wait_for_timeout(500)
        await editor.reload()
    number = await editor.get_by_text(re.compile(r"^\d+/20\d\d$")).inner_text()
    await shoot(editor, "portal-08-published")
    website = await (await browser.new_context(base_url=stack.urls["website"])).new_page()
    for _ in range(60):
        await website.goto(f"/acts/{document_id}")
        if await website.get_by_role("heading", name=TITLE).count():
            break
        await website.wait_for_timeout(500)
    await expect(website.get_by_role("heading", name=TITLE)).to_be_visible()
    await expect(website.get_by_text(number).first).to_be_visible()
    await shoot(website, "portal-09-on-the-website")

    # The editor was told of each decision; the list is accessible too.
    await editor.get_by_role("link", name=re.compile("^შეტყობინებები")).click()
    await expect(editor.get_by_role("heading", level=1)).to_have_text("შეტყობინებები")
    await expect(editor.get_by_text(TITLE).first).to_be_visible()
    await shoot(editor, "portal-10-notifications")
    await assert_accessible(editor, "notifications")

    # The administrator follows the case on the dashboard and reads its timeline.
    await admin.get_by_role("link", name=re.compile("^სამართავი დაფა")).click()
    await expect(admin.get_by_role("link", name=TITLE).first).to_be_visible()
    await shoot(admin, "portal-11-dashboard")
    await assert_accessible(admin, "dashboard")
    await admin.get_by_role("link", name=TITLE).first.click()
    await expect(admin.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(admin.get_by_text(number).first).to_be_visible()
    await shoot(admin, "portal-12-case")
    await assert_accessible(admin, "case")
