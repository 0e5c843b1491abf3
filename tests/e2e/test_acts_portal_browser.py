"""Acts that change acts, in the staff portal in real browsers, person by person.

An editor writes order A (four articles), in force once a condition is met; it goes along
its route and the mayor signs it; the legal reviewer records the day the condition was met.
An editor writes order B, which amends A's article 2 and repeals its article 3 from a
day: a number the register does not have comes back in Georgian beside its row with
everything typed kept, "more rows" keeps it too, and B goes along the route and is
signed. A's page says it is amended and repealed in part by B, and B's page links back.
An editor prepares A's consolidated version, writes the changes into its text and sends
it; the legal reviewer reads it against the published text (what was added underlined,
what was removed struck through, with a legend) and approves it alone; it is published as
A's consolidated text as of that day. axe-core finds no WCAG 2.1 AA violation on the
form, the act's page, the task and the version's page.

On the public website a citizen finds A among the amended acts, B among those in force,
each linking to the other, and the text that stands today is the consolidated one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from babel.dates import format_date
from playwright.async_api import Browser, Page, expect

from meria.testing.servers import NatsServer, TemporalDevServer
from services.portal.i18n import TBILISI
from tests.conftest import DatabaseFactory
from tests.e2e.test_website_browser import Shoot, assert_accessible, browser, shoot
from tests.support.browser import FLASH, sign_in, until_visible
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.e2e
__all__ = ["browser", "shoot"]

TITLE_A = "ახმეტის მუნიციპალიტეტის მერის ბრძანება საგზაო მოძრაობის უსაფრთხოების შესახებ"
BODY_A = (
    "მუხლი 1. ახმეტის ცენტრალურ ქუჩებზე მოძრაობის სიჩქარე შეიზღუდოს.\n\n"
    "მუხლი 2. სიჩქარე არ უნდა აღემატებოდეს საათში 40 კილომეტრს.\n\n"
    "მუხლი 3. სკოლების მიმდებარედ განთავსდეს სიჩქარის შემზღუდველი ბარიერები.\n\n"
    "მუხლი 4. ბრძანება ძალაშია გამოქვეყნებისთანავე."
)
TITLE_B = "ახმეტის მუნიციპალიტეტის მერის ბრძანება საგზაო მოძრაობის შესახებ ბრძანებაში ცვლილების შეტანის თაობაზე"  # noqa: E501
BODY_B = (
    "მუხლი 1. ბრძანების მე-2 მუხლში სიტყვები „40 კილომეტრს“ შეიცვალოს სიტყვებით "
    "„30 კილომეტრს“.\n\n"
    "მუხლი 2. ბრძანების მე-3 მუხლი ძალადაკარგულად გამოცხადდეს."
)
CONSOLIDATED = (
    "მუხლი 1. ახმეტის ცენტრალურ ქუჩებზე მოძრაობის სიჩქარე შეიზღუდოს.\n\n"
    "მუხლი 2. სიჩქარე არ უნდა აღემატებოდეს საათში 30 კილომეტრს.\n\n"
    "მუხლი 4. ბრძანება ძალაშია გამოქვეყნებისთანავე."
)
CONDITION = "ბრძანება ძალაში შედის სიჩქარის შემზღუდველი ნიშნების დამონტაჟების დღიდან."
NUMBER = re.compile(r"^\d+/20\d\d$")


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "website", "worker", "portal"],
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
    return await sign_in(browser, stack, STAFF[who][0], name=STAFF[who][1])


async def write_order(editor: Page, title: str, body: str) -> None:
    """The new document form, filled as a mayor's order (not sent yet)."""
    await editor.goto("/documents/new")
    await editor.get_by_label("დოკუმენტის სახე").select_option("mayor_order")
    await editor.get_by_label("გამომცემი (სამართლებრივი აქტებისთვის)").select_option("mayor")
    await editor.locator("#title_ka").fill(title)
    await editor.locator("#body_ka").fill(body)


async def send(editor: Page) -> str:
    """Submit the form for approval; the document's address."""
    await editor.get_by_role("button", name="გაგზავნა დასამტკიცებლად").click()
    await expect(editor.locator(FLASH)).to_contain_text("გაიგზავნა დასამტკიცებლად")
    return editor.url.split("?")[0]


async def approve(page: Page, title: str) -> None:
    """Open the act's task from the inbox (it refreshes itself) and approve it."""
    await page.goto("/inbox")
    await until_visible(page, lambda p: p.get_by_role("link", name=title), f"the task of {title}")
    await page.get_by_role("link", name=title).first.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await page.get_by_label("დამტკიცება", exact=True).check()
    await page.get_by_role("button", name="გადაწყვეტილების გაგზავნა").click()
    await expect(page.get_by_text("თქვენი გადაწყვეტილება ჩაიწერა.")).to_be_visible()


async def published_number(page: Page, url: str) -> str:
    """The act's register number, once it is published (its standing shows then)."""
    await page.goto(url)
    await until_visible(page, lambda p: p.locator("[data-standing]"), f"{url} published")
    return await page.get_by_text(NUMBER).inner_text()


async def test_an_order_amends_another_and_its_consolidated_text_is_published(
    stack: Stack, browser: Browser, shoot: Shoot
) -> None:
    today = datetime.now(TBILISI).date()
    editor = await signed_in(browser, stack, "editor")
    lawyer = await signed_in(browser, stack, "lawyer")
    head = await signed_in(browser, stack, "head")
    mayor = await signed_in(browser, stack, "mayor")

    # Order A enters into force when a condition is met and changes nothing; it goes along
    # its route, and the mayor signs it.
    await write_order(editor, TITLE_A, BODY_A)
    await expect(editor.get_by_label("გამოქვეყნებისთანავე")).to_be_checked()
    await editor.get_by_label("პირობის შესრულებისას").check()
    await editor.get_by_label("პირობა, ქართულად").fill(CONDITION)
    url_a = await send(editor)
    for person in (lawyer, head, mayor):
        await approve(person, TITLE_A)
    number_a = await published_number(editor, url_a)
    await expect(editor.locator("[data-standing]")).to_have_text("ჯერ არ შესულა ძალაში")
    await expect(editor.get_by_text("ელოდება პირობის შესრულებას")).to_be_visible()

    # The signs are up: the legal reviewer records the day, and A is in force.
    await lawyer.goto(url_a)
    await lawyer.get_by_label("პირობის შესრულების დღე").fill(today.isoformat())
    await lawyer.get_by_label("როგორ შესრულდა").fill("ნიშნები დამონტაჟდა, აქტი შედგენილია.")
    await lawyer.get_by_role("button", name="ძალაში შესვლის აღრიცხვა").click()
    await expect(lawyer.locator(FLASH)).to_have_text("ძალაში შესვლა აღრიცხულია.")
    await expect(lawyer.locator("[data-standing]")).to_have_text("მოქმედი")

    # Order B names A by a number the register does not have: the form comes back with
    # the reason beside the row, in Georgian, and everything typed.
    await write_order(editor, TITLE_B, BODY_B)
    await editor.locator("#change-0-number").fill("999/2020")
    await editor.locator("#change-0-kind").select_option("amends")
    await editor.locator("#change-0-articles").fill("2")
    await editor.locator("#change-1-number").fill(number_a)
    await editor.locator("#change-1-kind").select_option("repeals")
    await editor.locator("#change-1-articles").fill("3")
    await editor.locator("#change-1-from").fill(today.isoformat())
    await editor.get_by_role("button", name="გაგზავნა დასამტკიცებლად").click()
    error = editor.locator("#change-0-number-error")
    await expect(error).to_contain_text("რეესტრში ამ გამომცემის მერის ბრძანება № 999/2020 არ არის")
    await expect(editor.locator("#change-0-number")).to_have_attribute("aria-invalid", "true")
    await expect(editor.locator("#change-1-from")).to_have_value(today.isoformat())
    await expect(editor.locator("#title_ka")).to_have_value(TITLE_B)
    await shoot(editor, "acts-01-unknown-number")
    await assert_accessible(editor, "the act form refused")

    # More rows keep what was typed; the number is corrected and B is sent.
    await editor.get_by_role("button", name="მეტი სტრიქონი").click()
    await expect(editor.locator("fieldset.act-change")).to_have_count(6)
    await expect(editor.locator("#change-1-articles")).to_have_value("3")
    await editor.locator("#change-0-number").fill(number_a)
    url_b = await send(editor)
    for person in (lawyer, head, mayor):
        await approve(person, TITLE_B)
    number_b = await published_number(editor, url_b)
    changes = editor.locator("table.act-changes")
    await expect(changes.get_by_role("link", name=f"№ {number_a}")).to_have_count(2)
    await expect(changes).to_contain_text("ცვლის")
    await expect(changes).to_contain_text("აუქმებს")

    # A's page: amended by B and repealed in part by it, with links both ways.
    await editor.goto(url_a)
    changed_by = editor.locator("table.changed-by")
    amended = changed_by.get_by_role("row").filter(has_text="შეცვლილია აქტით")
    await expect(amended.get_by_role("link", name=f"№ {number_b}")).to_be_visible()
    await expect(amended.get_by_role("cell").nth(2)).to_have_text("2")
    repealed = changed_by.get_by_role("row").filter(has_text="გაუქმებულია აქტით")
    await expect(repealed.get_by_role("cell").nth(2)).to_have_text("3")
    await expect(repealed.get_by_role("cell").nth(3)).to_have_text(
        format_date(today, "d MMM y", locale="ka")
    )
    await expect(editor.locator("[data-standing]")).to_have_text("მოქმედი, ცვლილებებით")
    await shoot(editor, "acts-02-amended-by")
    await assert_accessible(editor, "an amended act's page")

    # The editor prepares A's consolidated version as of today and writes the changes in.
    await editor.get_by_label("კონსოლიდაციის თარიღი").fill(today.isoformat())
    await editor.get_by_label("ცვლილების შენიშვნა (ქვეყნდება ვერსიასთან ერთად)").fill(
        f"ბრძანება № {number_b}-ით შეტანილი ცვლილებები"
    )
    await editor.get_by_role("button", name="კონსოლიდირებული ვერსიის მომზადება").click()
    await expect(editor).to_have_url(re.compile(r"/edit\?consolidating=1$"))
    await expect(editor.locator("#consolidation")).to_contain_text(f"№ {number_b}")
    await expect(editor.locator("#body_ka")).to_have_value(re.compile("40 კილომეტრს"))
    await shoot(editor, "acts-03a-consolidation-form")
    await assert_accessible(editor, "a consolidated text's form")
    await editor.locator("#body_ka").fill(CONSOLIDATED)
    await send(editor)

    # The legal reviewer reads it against the published text, and approves it alone.
    await lawyer.goto("/inbox")
    await until_visible(lawyer, lambda p: p.get_by_role("link", name=TITLE_A), "the review")
    await lawyer.get_by_role("link", name=TITLE_A).first.click()
    diff = lawyer.locator(".act-diff")
    await expect(diff.locator("ins").filter(has_text="30")).to_be_visible()
    await expect(diff.locator("del").filter(has_text="40")).to_be_visible()
    await expect(diff.locator("del").filter(has_text="ბარიერები")).to_be_visible()
    await expect(lawyer.locator(".diff-legend")).to_contain_text("ხაზგასმული ტექსტი")
    await shoot(lawyer, "acts-03-consolidation-review")
    await assert_accessible(lawyer, "the review of a consolidated text")
    await lawyer.get_by_label("დამტკიცება", exact=True).check()
    await lawyer.get_by_role("button", name="გადაწყვეტილების გაგზავნა").click()
    await expect(lawyer.get_by_text("თქვენი გადაწყვეტილება ჩაიწერა.")).to_be_visible()

    # Published as A's consolidated text as of today, without the mayor.
    on_today = format_date(today, "d MMM y", locale="ka")
    consolidated = f"კონსოლიდირებული ტექსტი (მდგომარეობა: {on_today})"
    version = editor.locator("ol.versions li").filter(has_text=consolidated)
    await editor.goto(url_a)
    await until_visible(
        editor, lambda p: p.locator("ol.versions li").filter(has_text=consolidated)
        .filter(has_text="გამოქვეყნებული"), "the consolidated text published",
    )  # fmt: skip
    original = editor.locator("ol.versions li").filter(has_text="თავდაპირველი ტექსტი")
    await expect(original).to_be_visible()
    # Both of B's changes are written in: there is nothing more to consolidate.
    written = editor.locator("table.changed-by").get_by_role("link", name=consolidated)
    await expect(written).to_have_count(2)
    prepare = editor.get_by_role("button", name="კონსოლიდირებული ვერსიის მომზადება")
    await expect(prepare).to_have_count(0)
    await expect(editor.get_by_text("30 კილომეტრს")).to_be_visible()
    await shoot(editor, "acts-04-consolidated")
    await version.get_by_role("link").click()
    await expect(editor.locator(".act-diff ins").filter(has_text="30")).to_be_visible()
    await shoot(editor, "acts-05-version")
    await assert_accessible(editor, "a consolidated version's page")

    # The public website: A among the amended acts, linking to B, and the text that stands
    # today is the consolidated one; B stands in force and links back.
    citizen = await (await browser.new_context(base_url=stack.urls["website"])).new_page()
    await citizen.goto("/acts?status=amended")
    await until_visible(
        citizen, lambda p: p.get_by_role("link", name=TITLE_A), "A amended on the website"
    )
    await expect(citizen.get_by_role("link", name=TITLE_B)).to_have_count(0)
    await citizen.get_by_role("link", name=TITLE_A).click()
    await expect(citizen.locator("main a", has_text=number_b).first).to_be_visible()
    await expect(citizen.get_by_text("მოქმედი, ცვლილებებით").first).to_be_visible()
    await assert_accessible(citizen, "an amended act on the website")
    a_path = citizen.url.split("?")[0].removeprefix(stack.urls["website"])
    await citizen.goto(f"{a_path}/versions/{today.isoformat()}")
    await expect(citizen.get_by_text("30 კილომეტრს")).to_be_visible()
    await shoot(citizen, "acts-06-website-version")
    await citizen.goto("/acts?status=in_force")
    await expect(citizen.get_by_role("link", name=TITLE_B)).to_be_visible()
    await citizen.context.close()
