"""The site's structure as data: an administrator adds a section and menu entries, moves a
standing page and redirects old addresses; the website shows the menus in Georgian and
English and answers the old addresses with their redirects. Everyone else is refused, at
publishing's API and at the portal's screens, and bad input changes nothing.

Real publishing, worker, website and portal processes over one NATS server and Temporal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.db import Database
from meria.testing.servers import NatsServer, TemporalDevServer
from services.website.rebuild import rebuild
from services.website.site import SiteSection, redirect_for, site_navigation
from tests.conftest import DatabaseFactory
from tests.support.portal import Person, create_staff
from tests.support.publishing import Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

TUSHETI_PAGE = {
    "document_type": "web_page",
    "slug": "tusheti",
    "nav_section": "tourism",
    "nav_order": 1,
    "title_ka": "თუშეთი: როგორ ჩავიდეთ",
    "title_en": "Tusheti: how to get there",
    "body_ka": "<p>აბანოს უღელტეხილის გზა ივნისიდან ოქტომბრამდეა გახსნილი.</p>",
}
# Every endpoint of the site's structure, with a body that would pass its validation.
ENDPOINTS = [
    ("POST", "/site/sections", {"key": "culture", "name_ka": "კულტურა"}),
    ("PATCH", "/site/sections/tourism", {"shown": False}),
    ("DELETE", "/site/sections/tourism", None),
    ("GET", "/site/menu", None),
    ("POST", "/site/menu", {"label_ka": "კალენდარი", "path": "/calendar"}),
    ("PATCH", "/site/menu/1", {"position": 3}),
    ("DELETE", "/site/menu/1", None),
    ("GET", "/site/redirects", None),
    ("POST", "/site/redirects", {"source": "/old", "target": "/news"}),
    ("DELETE", "/site/redirects/1", None),
    ("PUT", "/site/pages/1", {"slug": "x", "nav_section": "about"}),
    ("GET", "/site/changes", None),
]


@dataclass
class Site:
    stack: Stack
    http: httpx.AsyncClient
    admin: Desk
    editor: Desk
    head: Desk

    async def page(self, path: str) -> httpx.Response:
        return await self.http.get(f"{self.stack.urls['website']}{path}")

    async def until(
        self, path: str, done: Callable[[httpx.Response], bool], seconds: float = 15
    ) -> httpx.Response:
        """The website's answer once `done` holds of it (the bus takes a moment)."""
        for _ in range(int(seconds / 0.1)):
            answer = await self.page(path)
            if done(answer):
                return answer
            await asyncio.sleep(0.1)
        raise AssertionError(f"{path}: {answer.status_code} {answer.text[:400]}")


@pytest.fixture
async def site(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Site]:
    async with (
        running_stack(
            ["publishing", "worker", "website", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20, follow_redirects=False) as http,
    ):
        yield Site(
            stack,
            http,
            admin=Desk(stack, http, "portal.admin", "admin"),
            editor=Desk(stack, http, "nino.beridze", "editor"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
        )


async def publish(site: Site, document: dict[str, Any]) -> int:
    """An editor's standing page, approved by the head of department, on the website."""
    document_id: int = (await site.editor.create(document))["id"]
    await site.editor.submit(document_id)
    for _ in range(300):
        status = await site.editor.status(document_id)
        if status["stage"] == "published":
            return document_id
        for task in status["tasks"]:
            decided = await site.head.decide(document_id, task_id=task["task_id"])
            assert decided.status_code in (200, 409), decided.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"page {document_id} was never published")


async def test_an_administrator_shapes_the_sites_navigation_and_redirects(
    site: Site, new_database: DatabaseFactory
) -> None:
    admin, editor = site.admin, site.editor

    # A page cannot go into a section the site does not have.
    unknown = await editor.refused(422, "POST", "/documents", json=TUSHETI_PAGE)
    assert "tourism" in unknown["detail"] and "about" in unknown["detail"]

    # The administrator adds the section; a second with the same key is refused.
    tourism = {"key": "tourism", "name_ka": "ტურიზმი", "name_en": "Tourism"}
    added = await admin.ok("POST", "/site/sections", json=tourism)
    assert added["position"] == 5 and added["shown"] is True
    await admin.refused(409, "POST", "/site/sections", json=tourism)
    await admin.refused(422, "POST", "/site/sections", json={**tourism, "key": "Tour ism"})

    # The page goes into it and is published; the administrator adds menu entries: one
    # under the section, one in the top menu to an https address.
    page_id = await publish(site, TUSHETI_PAGE)
    await admin.ok("POST", "/site/menu", json={
        "section": "tourism", "label_ka": "ღონისძიებების კალენდარი",
        "label_en": "Calendar of events", "path": "/calendar",
    })  # fmt: skip
    await admin.ok("POST", "/site/menu", json={
        "label_ka": "თუშეთის დაცული ტერიტორიები", "label_en": "Tusheti Protected Areas",
        "path": "https://tusheti.ge/",
    })  # fmt: skip
    await admin.refused(422, "POST", "/site/menu", json={
        "section": "culture", "label_ka": "კულტურა", "path": "/news",
    })  # fmt: skip
    await admin.refused(422, "POST", "/site/menu", json={
        "label_ka": "ძველი საიტი", "path": "http://akhmeta.gov.ge/",
    })  # fmt: skip

    # The website's header, footer and sitemap show them, in Georgian and in English.
    home = await site.until("/", lambda r: "თუშეთის დაცული ტერიტორიები" in r.text)
    assert 'href="https://tusheti.ge/"' in home.text
    assert 'href="/pages/tusheti"' in home.text
    english = await site.until("/en/sitemap", lambda r: "Tourism" in r.text)
    assert "Calendar of events" in english.text and 'href="/en/calendar"' in english.text
    assert "Tusheti: how to get there" in english.text
    georgian = await site.page("/sitemap")
    assert "ტურიზმი" in georgian.text and "თუშეთი: როგორ ჩავიდეთ" in georgian.text

    await admin.refused(422, "PATCH", "/site/sections/tourism", json={})
    await admin.refused(404, "PATCH", "/site/sections/culture", json={"shown": False})

    # A section that still holds a page cannot go.
    held = await admin.refused(409, "DELETE", "/site/sections/tourism")
    assert "1 standing page" in held["detail"]

    # Redirects: an old site's address answers 301 with its Location.
    old = {"source": "/ge/news.php?id=12", "target": "/news", "status": 301}
    made = await admin.ok("POST", "/site/redirects", json=old)
    moved = await site.until("/ge/news.php?id=12", lambda r: r.status_code == 301)
    assert moved.headers["location"] == "/news"
    assert (await site.page("/ge/unknown.php")).status_code == 404

    # Bad redirects are refused with a problem document, and nothing changes.
    for bad, status in [
        ({"source": "ge/news.php", "target": "/news"}, 422),  # not a path
        ({"source": "/ძველი", "target": "http://example.ge/"}, 422),  # not https
        ({"source": "/loop", "target": "/loop"}, 422),  # to itself
        ({"source": "/pages/tusheti", "target": "/news"}, 422),  # a live page answers it
        ({"source": "/news", "target": "/acts"}, 422),  # the site's own page
        ({"source": "/older", "target": "/ge/news.php?id=12"}, 422),  # a chain
        ({**old, "target": "/acts"}, 409),  # redirected already
        ({"source": "/" + "a" * 600, "target": "/news"}, 422),  # too long
        ({"source": "/x", "target": "/news", "status": 307}, 422),
    ]:
        problem = await admin.refused(status, "POST", "/site/redirects", json=bad)
        assert problem["detail"] or problem.get("errors"), bad
    listed = await admin.ok("GET", "/site/redirects", params={"q": "news.php"})
    assert listed["total"] == 1 and listed["items"][0]["id"] == made["id"]

    # The page moves to a new address: its old one redirects there, in both languages,
    # and the record says why the redirect was made.
    placed = await admin.ok("PUT", f"/site/pages/{page_id}", json={
        "slug": "tusheti-road", "nav_section": "tourism", "nav_order": 1,
    })  # fmt: skip
    assert placed["redirect"]["source"] == "/pages/tusheti"
    assert placed["redirect"]["automatic"] is True
    old_address = await site.until("/pages/tusheti", lambda r: r.status_code == 301)
    assert old_address.headers["location"] == "/pages/tusheti-road"
    english_old = await site.page("/en/pages/tusheti")
    assert english_old.status_code == 301
    assert english_old.headers["location"] == "/en/pages/tusheti-road"
    assert "თუშეთი: როგორ ჩავიდეთ" in (await site.page("/pages/tusheti-road")).text
    changes = (await admin.ok("GET", "/site/changes", params={"limit": 5}))["items"]
    automatic = next(c for c in changes if c["subject"] == "/pages/tusheti")
    assert automatic["action"] == "redirect_added"
    assert "moved from /pages/tusheti to /pages/tusheti-road" in automatic["details"]["why"]
    assert automatic["actor"] == "portal.admin"

    # Hidden, the section leaves the menus; its page still answers.
    await admin.ok("PATCH", "/site/sections/tourism", json={"shown": False})
    await site.until("/sitemap", lambda r: "ტურიზმი" not in r.text)
    assert (await site.page("/pages/tusheti-road")).status_code == 200

    # No one but an administrator changes any of it, or reads its menus, redirects and
    # record; staff read the sections, from which an editor chooses a page's.
    sections = await editor.ok("GET", "/site/sections")
    assert [(s["key"], s["pages"]) for s in sections][-1] == ("tourism", 1)
    for method, path, body in ENDPOINTS:
        refused = await editor.call(method, path, json=body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    after = await admin.ok("GET", "/site/redirects")
    assert after["total"] == 2

    # Rebuilt from the streams, the website has the same sections, menus and redirects.
    fresh = await new_database("website_rebuilt")
    await rebuild(site.stack.settings("website"), fresh)  # type: ignore[arg-type]
    database = Database(fresh)
    try:
        async with database.session() as session:
            nav = await site_navigation(session)
            hidden = await session.get(SiteSection, "tourism")
            redirected = await redirect_for(session, "/en/pages/tusheti", "")
    finally:
        await database.dispose()
    assert hidden is not None and hidden.shown is False and hidden.name_en == "Tourism"
    assert [link.path for link in nav.top] == ["https://tusheti.ge/"]
    assert redirected == (301, "/en/pages/tusheti-road")


async def test_the_portals_screens_are_for_administrators_only(site: Site) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        await create_staff(site.stack, http)
    editor, admin = Person(site.stack, "nino.beridze"), Person(site.stack, "portal.admin")
    try:
        await editor.sign_in()
        await admin.sign_in()
        # An editor is refused every screen and every form.
        for path in ("/admin/site", "/admin/redirects"):
            assert (await editor.get(path)).status_code == 403, path
        for path, form in [
            ("/admin/site/sections", {"key": "culture", "name_ka": "კულტურა"}),
            ("/admin/site/menu", {"label_ka": "ახალი ამბები", "target": "/news"}),
            ("/admin/redirects", {"source": "/old-news", "target": "/news"}),
            ("/admin/redirects/1/remove", {}),
        ]:
            assert (await editor.post(path, form)).status_code == 403, path

        # The administrator finds the screens on the dashboard and adds a section.
        dashboard = await admin.get("/dashboard")
        assert 'href="/admin/site"' in dashboard.text
        assert 'href="/admin/redirects"' in dashboard.text
        added = await admin.post("/admin/site/sections", {
            "key": "culture", "name_ka": "კულტურა", "name_en": "Culture",
        })  # fmt: skip
        assert added.status_code == 303, added.text
        assert "კულტურა" in (await admin.get("/admin/site")).text
        # An editor can now put a standing page in it.
        new_page = await editor.get("/documents/new")
        assert '<option value="culture">კულტურა</option>' in new_page.text

        # The administrator gives a draft standing page another address and order.
        draft = await site.editor.create({
            **TUSHETI_PAGE, "slug": "culture-house", "nav_section": "culture",
            "title_ka": "ახმეტის კულტურის სახლი",
        })  # fmt: skip
        assert "ახმეტის კულტურის სახლი" in (await admin.get("/admin/site")).text
        placed = await admin.post(f"/admin/site/pages/{draft['id']}", {
            "slug": "akhmeta-culture-house", "nav_section": "culture", "nav_order": "2",
        })  # fmt: skip
        assert placed.status_code == 303, placed.text
        moved_draft = await site.editor.document(draft["id"])
        assert (moved_draft["slug"], moved_draft["nav_order"]) == ("akhmeta-culture-house", 2)

        # A bad redirect comes back with the service's reason and what was typed.
        bad = await admin.post("/admin/redirects", {"source": "old-news", "target": "/news"})
        assert bad.status_code == 422 and 'value="old-news"' in bad.text
        assert 'role="alert"' in bad.text
        good = await admin.post("/admin/redirects", {
            "source": "/ge/old-news", "target": "/news", "status": "302",
        })  # fmt: skip
        assert good.status_code == 303, good.text
        listed = await admin.get("/admin/redirects", params={"q": "old-news"})
        assert "/ge/old-news" in listed.text and "(1)" in listed.text
        moved = await site.until("/ge/old-news", lambda r: r.status_code == 302)
        assert moved.headers["location"] == "/news"
    finally:
        await editor.close()
        await admin.close()
