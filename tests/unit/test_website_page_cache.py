"""The website's pages are rendered once per change of its read model: kept in memory,
answered without a database statement, and rendered again as soon as an event is
applied, a file arrives or another process (a rebuild) changes the read model."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import create_async_engine

import services.website.search
from meria.bus import Bus, Consumer
from meria.contracts import (
    CloudEvent,
    DocumentPublished,
    DocumentUnpublished,
    DocumentWithdrawn,
    Event,
    LocalizedText,
)
from meria.contracts.publishing import AttachmentRef, Issuer
from meria.db import Database, migrate
from services.website.app import PARTS, create_app
from services.website.files import fetch_pending
from services.website.freshness import Freshness
from services.website.handlers import subscriptions
from services.website.models import PublicDocument, ReadModelVersion, bus_tables
from services.website.page_cache import PageCache
from services.website.settings import WebsiteSettings
from tests.conftest import DatabaseFactory

pytestmark = pytest.mark.database

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SQUARE = "ახმეტაში ახალი სკვერი გაიხსნა"
BRIDGE = "მატანში ხიდის რეაბილიტაცია დასრულდა"
ORDER = "ქალაქ ახმეტის ქუჩების განათების შესახებ"


def news(document_id: int, title: str, edition: int = 1) -> DocumentPublished:
    return DocumentPublished(
        document_id=document_id,
        edition=edition,
        document_type="news",
        title=LocalizedText(ka=title),
        body_html=LocalizedText(ka=f"<p>{title}. ახმეტის მუნიციპალიტეტის მერია.</p>"),
        published_at=datetime(2026, 11, 20 + edition, 10, 0, tzinfo=UTC),
    )


def order_with_file(document_id: int) -> DocumentPublished:
    return DocumentPublished(
        document_id=document_id,
        edition=1,
        document_type="mayor_order",
        title=LocalizedText(ka=ORDER),
        body_html=LocalizedText(ka="<p>ქუჩები განათდეს.</p>"),
        published_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
        issuer=Issuer(code="mayor", name=LocalizedText(ka="ახმეტის მუნიციპალიტეტის მერი")),
        register_number="7/2026",
        attachments=[
            AttachmentRef(
                id=1,
                filename="ბრძანება.pdf",
                media_type="application/pdf",
                size=len(PDF),
                sha256=hashlib.sha256(PDF).hexdigest(),
                url="http://publishing.test/attachments/1",
            )
        ],
    )


@dataclass
class Site:
    http: httpx.AsyncClient
    database: Database
    settings: WebsiteSettings
    pages: PageCache
    statements: list[str]

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def apply(self, event: Event) -> None:
        """Apply an event as the website's consumer does: handler and inbox, one
        transaction (the path a rebuild takes, without a bus to fetch from)."""
        subscription = next(item for item in subscriptions.items if item.event is type(event))
        consumer = Consumer(
            "website",
            subscription,
            database=self.database,
            tables=bus_tables,
            bus=Bus("nats://127.0.0.1:1", "meria-website-test"),
        )
        envelope = CloudEvent.wrap(event, about=f"document:{getattr(event, 'document_id', 0)}")
        applied = await consumer.apply_stored(
            event.subject, envelope.model_dump_json().encode(), {}
        )
        assert applied

    def rendered(self) -> bool:
        """Whether the database was read since the last call: a page rendered, not kept."""
        read = bool(self.statements)
        self.statements.clear()
        return read


async def open_site(
    tmp_path: Path, url: str, check_seconds: float = 3600.0, megabytes: int = 64
) -> AsyncIterator[Site]:
    settings = WebsiteSettings(
        database_url=url,
        var_dir=tmp_path / "var",
        page_cache_check_seconds=check_seconds,
        page_cache_megabytes=megabytes,
    )
    app = create_app(settings)
    database: Database = app.state.runtime.db()
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(database, PARTS.migrations, PARTS.metadata)
    statements: list[str] = []

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def count(_: Any, __: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://website.test") as http:
        yield Site(http, database, settings, app.state.page_cache, statements)
    await database.dispose()


@pytest.fixture
async def site(tmp_path: Path, new_database: DatabaseFactory) -> AsyncIterator[Site]:
    async for opened in open_site(tmp_path, await new_database("website_cache")):
        yield opened


async def test_pages_are_kept_until_an_event_changes_the_read_model(site: Site) -> None:
    await site.apply(news(1, SQUARE))
    home = await site.get("/")
    assert home.status_code == 200 and SQUARE in home.text
    assert site.rendered()

    # Asked again, the home page comes from memory: not one database statement.
    again = await site.get("/")
    assert again.text == home.text and again.headers["etag"] == home.headers["etag"]
    assert not site.rendered()

    # A second news item is published: the very next request shows it.
    await site.apply(news(2, BRIDGE))
    home = await site.get("/")
    assert BRIDGE in home.text and SQUARE in home.text
    assert site.rendered()
    assert (await site.get("/search", params={"q": "ხიდი"})).text.count(BRIDGE) >= 1

    # Withdrawn: the page stays, with the explanation on top.
    explanation = "სტატია შეიცავდა უზუსტობას."
    kept = await site.get("/news/1")
    assert explanation not in kept.text
    await site.apply(
        DocumentWithdrawn(
            document_id=1,
            edition=1,
            document_type="news",
            was_published=True,
            public_explanation=explanation,
        )
    )
    assert explanation in (await site.get("/news/1")).text

    # Unpublished in error: 410, gone from the home page and from search.
    assert (await site.get("/news/2")).status_code == 200
    assert BRIDGE in (await site.get("/search", params={"q": "ხიდი"})).text
    await site.apply(
        DocumentUnpublished(
            document_id=2, edition=1, document_type="news", explanation="შეცდომით გამოქვეყნდა."
        )
    )
    assert (await site.get("/news/2")).status_code == 410
    assert BRIDGE not in (await site.get("/")).text
    assert BRIDGE not in (await site.get("/search", params={"q": "ხიდი"})).text


async def test_a_missing_page_is_found_once_its_document_is_published(site: Site) -> None:
    missing = await site.get("/news/3")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert site.rendered()
    assert (await site.get("/news/3")).status_code == 404
    assert not site.rendered()
    await site.apply(news(3, SQUARE))
    found = await site.get("/news/3")
    assert found.status_code == 200 and SQUARE in found.text


async def test_conditional_and_head_requests_are_answered_from_memory(site: Site) -> None:
    await site.apply(news(1, SQUARE))
    home = await site.get("/")
    site.rendered()
    not_modified = await site.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert "script-src 'none'" in not_modified.headers["content-security-policy"]
    head = await site.http.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(home.content))
    assert head.headers["etag"] == home.headers["etag"]
    assert not site.rendered()
    # Each answer carries one request id, its own.
    for answer in (not_modified, head):
        assert answer.headers.get_list("x-request-id") != home.headers.get_list("x-request-id")
        assert len(answer.headers.get_list("x-request-id")) == 1

    # Answers from memory count in the request metrics under their route.
    metrics = (await site.get("/metrics")).text
    assert 'method="HEAD",route="/",service="website",status="200"' in metrics

    # The style sheet's own ETag (from the file) is answered the same way.
    sheet = await site.get("/static/site.css")
    assert sheet.status_code == 200 and sheet.headers["etag"]
    again = await site.get("/static/site.css", headers={"If-None-Match": sheet.headers["etag"]})
    assert again.status_code == 304

    # After a change, the old ETag no longer matches: the new page comes whole.
    await site.apply(news(1, BRIDGE, edition=2))
    changed = await site.get("/", headers={"If-None-Match": home.headers["etag"]})
    assert changed.status_code == 200 and BRIDGE in changed.text


async def test_the_act_page_offers_the_file_once_it_has_arrived(site: Site) -> None:
    await site.apply(order_with_file(4))
    waiting = await site.get("/acts/4")
    assert "/files/" not in waiting.text and "ბრძანება.pdf" in waiting.text

    def publishing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PDF)

    folder = site.settings.files_dir
    assert folder is not None
    async with httpx.AsyncClient(transport=httpx.MockTransport(publishing)) as http:
        assert await fetch_pending(site.database, folder, http) == 1
    offered = await site.get("/acts/4")
    assert "/files/" in offered.text
    link = offered.text.split('href="/files/')[1].split('"')[0]
    assert (await site.get(f"/files/{link}")).content == PDF


async def test_a_change_made_by_another_process_shows_within_the_check_interval(
    tmp_path: Path, new_database: DatabaseFactory
) -> None:
    url = await new_database("website_shared")
    async for site in open_site(tmp_path, url, check_seconds=0.2):
        await site.apply(news(1, SQUARE))
        assert SQUARE in (await site.get("/")).text

        # Another process (a rebuild, a second website) changes the read model and counts
        # the version row up; this process has no other way to know.
        other = create_async_engine(site.database.url)
        async with other.begin() as connection:
            await connection.execute(
                update(PublicDocument)
                .where(PublicDocument.document_id == 1)
                .values(title_ka=BRIDGE)
            )
            await connection.execute(
                update(ReadModelVersion).values(version=ReadModelVersion.version + 1)
            )
        await other.dispose()

        await asyncio.sleep(0.3)
        home = await site.get("/")
        assert BRIDGE in home.text and SQUARE not in home.text


async def test_frequent_words_are_counted_up_to_a_limit_and_shown_newest_first(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.website.search, "RANKED", 3)
    for number in range(1, 6):
        await site.apply(news(number, f"{SQUARE} {number}"))
    await site.apply(news(6, BRIDGE))
    frequent = await site.get("/search", params={"q": "ახმეტა"})
    assert "3-ზე მეტი შედეგი" in frequent.text
    # More than the limit: the newest that many, newest first.
    assert frequent.text.count("<article") == 3
    shown = [BRIDGE, f"{SQUARE} 5", f"{SQUARE} 4"]
    assert all(title in frequent.text for title in shown)
    assert sorted(shown, key=frequent.text.index) == shown
    assert f"{SQUARE} 3" not in frequent.text
    assert (await site.get("/search", params={"q": "ახმეტა", "page": 2})).text.count(
        "<article"
    ) == 0
    english = await site.get("/en/search", params={"q": "ახმეტა"})
    assert "More than 3 results" in english.text
    rare = await site.get("/search", params={"q": "ხიდი"})
    assert "1 შედეგი" in rare.text and BRIDGE in rare.text


def standing_page(document_id: int, slug: str, title: str) -> DocumentPublished:
    return DocumentPublished(
        document_id=document_id,
        edition=1,
        document_type="web_page",
        title=LocalizedText(ka=title),
        body_html=LocalizedText(ka=f"<p>{title}</p>"),
        published_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        slug=slug,
        nav_section=slug,
        nav_order=document_id,
    )


@pytest.mark.parametrize("megabytes", [64, 0], ids=["pages kept", "no page cache"])
async def test_the_menu_follows_the_standing_pages(
    tmp_path: Path, new_database: DatabaseFactory, megabytes: int
) -> None:
    url = await new_database("website_menu")
    async for site in open_site(tmp_path, url, megabytes=megabytes):
        await site.apply(news(1, SQUARE))
        assert 'href="/pages/contacts"' not in (await site.get("/news/1")).text
        await site.apply(standing_page(9, "contacts", "კონტაქტები"))
        for path in ("/news/1", "/news", "/"):
            assert 'href="/pages/contacts"' in (await site.get(path)).text, path
        # The menu is read once per change of the read model, not once per page.
        site.rendered()
        assert 'href="/en/pages/contacts"' in (await site.get("/en/news")).text
        assert site.statements, "the page was rendered"
        assert not any("ORDER BY public_documents.nav_section" in s for s in site.statements)


class FixedVersion(Freshness):
    def __init__(self) -> None:
        self.now = (0, 0)

    async def version(self) -> tuple[int, int]:
        return self.now


def keep(pages: PageCache, path: str, version: tuple[int, int], size: int) -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8")]
    pages.put((path, b""), version, 200, headers, b"x" * size, route=path)


async def test_the_cache_keeps_the_pages_used_last_within_its_size() -> None:
    freshness = FixedVersion()
    pages = PageCache(freshness, max_bytes=8 * 1300, seconds=60)
    version = await pages.version()
    for number in range(8):
        keep(pages, f"/news/{number}", version, 1000)
    assert len(pages) == 8
    assert pages.get(("/news/0", b""), version) is not None  # used: now the newest
    keep(pages, "/news/8", version, 1000)
    keep(pages, "/news/9", version, 1000)
    kept = {number for number in range(10) if pages.get((f"/news/{number}", b""), version)}
    assert 0 in kept and 1 not in kept and {8, 9} <= kept and len(kept) <= 8

    # A page too big for its share is not kept at all; nor one rendered at a past version.
    keep(pages, "/sitemap.xml", version, 5000)
    assert pages.get(("/sitemap.xml", b""), version) is None
    freshness.now = (1, 0)
    newer = await pages.version()
    assert len(pages) == 0
    keep(pages, "/", version, 10)
    assert pages.get(("/", b""), newer) is None


async def test_pages_that_show_the_time_of_day_age() -> None:
    now = [1000.0]
    pages = PageCache(FixedVersion(), max_bytes=1 << 20, seconds=60, clock=lambda: now[0])
    version = await pages.version()
    keep(pages, "/", version, 10)
    now[0] += 59
    assert pages.get(("/", b""), version) is not None
    now[0] += 2
    assert pages.get(("/", b""), version) is None


async def test_the_version_row_counts_every_change(site: Site) -> None:
    await site.apply(news(1, SQUARE))
    await site.apply(news(2, BRIDGE))
    async with site.database.session() as session:
        version = await session.scalar(text("SELECT version FROM read_model_version"))
    assert version == 2
