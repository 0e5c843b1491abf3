"""The public website against the running publishing service, worker and bus: pages,
registry, Georgian search, files, authenticity, open formats (checked by real parsers),
caching, errors, and a rebuild from the streams that ends with the same pages."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import feedparser
import httpx
import pytest
from icalendar import Calendar
from lxml import etree

from meria.testing.servers import NatsServer, TemporalDevServer
from services.website.akoma_ntoso import schema
from tests.conftest import DatabaseFactory
from tests.support.publishing import LEGAL_ACT, PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
AKHMETA_NEWS = {
    **PRESS_RELEASE,
    "document_type": "news",
    "title_ka": "ახმეტაში ახალი სკვერი გაიხსნა",
    "title_en": "A new square opened in Akhmeta",
    "summary_ka": "ქალაქ ახმეტაში მოსახლეობას ახალი სკვერი გადაეცა.",
    "body_ka": "<p>სკვერის გახსნას ახმეტის მუნიციპალიტეტის მერიის წარმომადგენლები "
    "დაესწრნენ. ფანჯრის რაფებზე ყვავილები დაირგო.</p>",
}


@dataclass
class Site:
    stack: Stack
    http: httpx.AsyncClient
    editor: Desk
    head: Desk
    lawyer: Desk
    mayor: Desk

    @property
    def url(self) -> str:
        return self.stack.urls["website"]

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(f"{self.url}{path}", **kwargs)

    async def publish(self, document: dict[str, Any], file: bytes | None = None) -> int:
        created = await self.editor.create(document)
        document_id: int = created["id"]
        if file is not None:
            await self.editor.ok(
                "POST",
                f"/documents/{document_id}/attachments",
                files={"file": ("განკარგულება.pdf", file, "application/pdf")},
            )
        await self.editor.submit(document_id)
        route = {"legal_review": self.lawyer, "department_review": self.head,
                 "signature": self.mayor}  # fmt: skip
        decided: set[str] = set()
        while True:
            status = await self.editor.status(document_id)
            open_tasks = [t for t in status["tasks"] if t["task_id"] not in decided]
            if not open_tasks:
                if status["stage"] in ("approved", "publishing", "published"):
                    break
                await asyncio.sleep(0.05)
                continue
            task = open_tasks[0]
            decision = await route[task["step"]].decide(document_id, task_id=task["task_id"])
            assert decision.status_code == 200, decision.text
            decided.add(task["task_id"])
        await self.shown(document_id)
        return document_id

    async def until(
        self, path: str, done: Callable[[httpx.Response], bool], **kwargs: Any
    ) -> httpx.Response:
        """The page once the website has applied what it was waiting for (30 s at most)."""
        for _ in range(600):
            page = await self.get(path, **kwargs)
            if done(page):
                return page
            await asyncio.sleep(0.05)
        return page

    async def shown(self, document_id: int) -> None:
        for _ in range(600):
            listed = await self.get("/api/documents")
            if any(item["document_id"] == document_id for item in listed.json()):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"document {document_id} never reached the website")


@pytest.fixture
async def site(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Site]:
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            page_size=5,
            file_poll_seconds=0.2,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        admin = Desk(stack, http, "admin", "admin")
        await admin.ok(
            "PUT",
            "/issuers/mayor",
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        yield Site(
            stack,
            http,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
        )


async def test_the_public_reads_finds_and_checks_what_was_published(
    site: Site, tmp_path: Path
) -> None:
    act_id = await site.publish(LEGAL_ACT, file=PDF)
    news_id = await site.publish(AKHMETA_NEWS)
    about_id = await site.publish(
        {"document_type": "web_page", "slug": "about", "nav_section": "about", "nav_order": 1,
         "title_ka": "მუნიციპალიტეტის შესახებ", "title_en": "About the municipality",
         "body_ka": "<p>ახმეტის მუნიციპალიტეტი კახეთშია.</p>"}
    )  # fmt: skip

    # Home, in Georgian by default and in English at /en/, each pointing at the other.
    home = await site.get("/")
    assert home.status_code == 200
    assert 'lang="ka"' in home.text and AKHMETA_NEWS["title_ka"] in home.text
    assert 'hreflang="en"' in home.text and LEGAL_ACT["title_ka"] in home.text
    english = await site.get("/en/")
    assert 'lang="en"' in english.text and "A new square opened in Akhmeta" in english.text
    # The standing page sits in the site's navigation.
    assert 'href="/pages/about"' in home.text
    assert (await site.get("/pages/about")).status_code == 200
    assert about_id

    # The registry, filtered; the act's page with its register data, file and fingerprint.
    registry = await site.get("/acts", params={"issuer": "mayor", "number": "1"})
    assert LEGAL_ACT["title_ka"] in registry.text
    other_year = await site.get("/acts", params={"year": 1999})
    assert LEGAL_ACT["title_ka"] not in other_year.text
    page = await site.get(f"/acts/{act_id}")
    assert "ახმეტის მუნიციპალიტეტის მერი" in page.text
    assert "1/20" in page.text  # the register number
    document = await site.editor.document(act_id)
    assert document["current"]["content_sha256"] in page.text

    # The website fetched the file once, checked it, and serves its own copy.
    file_url = None
    for _ in range(100):
        page = await site.get(f"/acts/{act_id}")
        # The act's own file, beside the signed original the mayor's approval made.
        links = [link.split('"')[0] for link in page.text.split('href="/files/')[1:]]
        mine = [link for link in links if unquote(link).endswith("/განკარგულება.pdf")]
        if mine:
            file_url = mine[0]
            break
        await asyncio.sleep(0.1)
    assert file_url is not None, "the attachment never arrived"
    served = await site.get(f"/files/{file_url}")
    assert served.content == PDF
    assert served.headers["x-content-sha256"] == hashlib.sha256(PDF).hexdigest()

    # Georgian search across case endings and stem changes, the match highlighted.
    for query in ("ახმეტა", "მერია", "ფანჯარა"):
        found = await site.get("/search", params={"q": query})
        assert AKHMETA_NEWS["title_ka"] in found.text, query
        assert "<mark>" in found.text
    assert (
        AKHMETA_NEWS["title_ka"] not in (await site.get("/search", params={"q": "მერიდიანი"})).text
    )

    # Authenticity: the file itself, and the edition's fingerprint, with the signature.
    by_file = await site.http.post(
        f"{site.url}/verify", files={"file": ("copy.pdf", PDF, "application/pdf")}
    )
    assert by_file.status_code == 200
    assert "ავთენტურია" in by_file.text and "დადასტურდა" in by_file.text
    by_hash = await site.http.post(
        f"{site.url}/en/verify", data={"sha256": document["current"]["content_sha256"]}
    )
    assert "Authentic" in by_hash.text and "signature is valid" in by_hash.text
    # The same, without trusting the site: the signed record, its signature and the key,
    # checked by OpenSSL.
    page = await site.get(f"/acts/{act_id}")
    record_path = f"/records/{act_id}/{document['current']['number']}"
    assert f'href="{record_path}.sig"' in page.text
    for form in ("json", "sig", "pem"):
        (tmp_path / f"record.{form}").write_bytes((await site.get(f"{record_path}.{form}")).content)
    checked = await asyncio.to_thread(
        subprocess.run,
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "record.pem", "-rawin",
         "-in", "record.json", "-sigfile", "record.sig"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0 and "Signature Verified Successfully" in checked.stdout
    record = json.loads((tmp_path / "record.json").read_bytes())
    assert record["content_sha256"] == document["current"]["content_sha256"]
    assert (await site.get(f"/records/{act_id}/99.json")).status_code == 404
    forged = await site.http.post(f"{site.url}/en/verify", data={"sha256": "ab" * 32})
    assert "matches no published document" in forged.text
    assert (await site.http.post(f"{site.url}/verify", data={"sha256": "xyz"})).status_code == 400

    # Open formats, each read by a real parser.
    atom = feedparser.parse((await site.get("/feeds/news.atom")).content)
    assert not atom.bozo
    assert [entry.title for entry in atom.entries] == [AKHMETA_NEWS["title_ka"]]
    assert atom.feed.author  # RFC 4287: the feed names its author, as no entry does
    acts_atom = feedparser.parse(
        (await site.get("/feeds/acts.atom", params={"lang": "en"})).content
    )
    assert acts_atom.entries[0].title == LEGAL_ACT["title_en"]
    calendar = Calendar.from_ical((await site.get("/feeds/events.ics")).content)
    assert calendar.get("x-wr-timezone") == "Asia/Tbilisi"
    # RFC 5545: the time zone the events name is defined in the calendar.
    assert [zone["tzid"] for zone in calendar.walk("VTIMEZONE")] == ["Asia/Tbilisi"]
    # A HEAD is answered as the GET would be, without the body, on a page never fetched.
    head = await site.http.head(f"{site.url}/en/acts", params={"type": "mayor_order"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    # The sitemap is an index of sitemaps, each a few thousand documents at most.
    loc = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
    index = ElementTree.fromstring((await site.get("/sitemap.xml")).content)
    assert index.tag.endswith("sitemapindex")
    locations: list[str | None] = []
    for part in [entry.text or "" for entry in index.iter(loc)]:
        sitemap = ElementTree.fromstring((await site.get(urlsplit(part).path)).content)
        locations += [entry.text for entry in sitemap.iter(loc)]
    assert f"{site.stack.settings('website').public_url}/acts/{act_id}" in locations  # type: ignore[attr-defined]
    data = (await site.get("/api/acts", params={"per_page": 1})).json()
    assert data["total"] == 1 and data["items"][0]["register_number"] == document["register_number"]
    akn = await site.get(f"/acts/{act_id}.akn.xml")
    assert akn.status_code == 200
    schema().assertValid(etree.fromstring(akn.content))
    assert LEGAL_ACT["title_ka"].encode() in akn.content
    # An English title with no English text is no English expression: a 404 that says so.
    assert LEGAL_ACT["title_en"] and "body_en" not in LEGAL_ACT
    no_english = await site.get(f"/acts/{act_id}.akn.xml", params={"lang": "en"})
    assert no_english.status_code == 404, no_english.text
    assert no_english.headers["content-type"] == "application/problem+json"
    assert no_english.json()["detail"] == "This act has no English expression yet."
    assert news_id

    # Caching and safety headers; clean errors, never a 500.
    etag = home.headers["etag"]
    again = await site.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert "script-src 'none'" in home.headers["content-security-policy"]
    missing = await site.get("/acts/99999")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert (await site.get("/no/such/page")).status_code == 404
    assert (await site.get("/acts", params={"year": "soon"})).status_code == 400
    assert (await site.get("/acts", params={"year": "²⁰²⁶"})).status_code == 400
    assert (await site.get("/acts", params={"number": "²"})).status_code == 200
    # An id past the database's integers is a bad request, not a 500.
    assert (await site.get("/news/99999999999999999999")).status_code == 400
    assert (await site.get("/news", params={"page": 99})).status_code == 404
    # The open-data API refuses like every Meria API: a 422 naming the field.
    refused = await site.get("/api/acts", params={"page": 0})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "page"


async def test_withdrawn_and_unpublished_documents_and_a_rebuild_from_the_streams(
    site: Site, new_database: DatabaseFactory
) -> None:
    withdrawn_id = await site.publish(AKHMETA_NEWS)
    gone_id = await site.publish({**PRESS_RELEASE, "title_ka": "შეცდომით გამოქვეყნებული"})
    moved_id = await site.publish({**PRESS_RELEASE, "title_ka": "გადატანილი გვერდი"})
    explanation = "ღონისძიება გაუქმდა ამინდის გამო."
    await site.editor.ok(
        "POST",
        f"/documents/{withdrawn_id}/withdraw",
        json={"reason": "გაუქმდა", "public_explanation": explanation},
    )
    await site.head.ok(
        "POST", f"/documents/{gone_id}/unpublish", json={"reason": "გამოქვეყნდა შეცდომით"}
    )
    await site.head.ok(
        "POST",
        f"/documents/{moved_id}/unpublish",
        json={"reason": "გადავიდა", "redirect_url": "https://akhmeta.gov.ge/ka/news"},
    )
    gone = await site.until(f"/press-releases/{gone_id}", lambda r: r.status_code == 410)
    assert gone.status_code == 410
    assert "გამოქვეყნდა შეცდომით" in gone.text
    moved = await site.until(
        f"/press-releases/{moved_id}", lambda r: r.status_code == 301, follow_redirects=False
    )
    assert moved.status_code == 301
    assert moved.headers["location"] == "https://akhmeta.gov.ge/ka/news"
    kept = await site.until(f"/news/{withdrawn_id}", lambda r: explanation in r.text)
    assert kept.status_code == 200 and explanation in kept.text
    searched = await site.get("/search", params={"q": "შეცდომით"})
    assert "შეცდომით გამოქვეყნებული" not in searched.text

    # The website keeps serving while publishing is down: nothing here reads publishing.
    before = {path: (await site.get(path)).text for path in PAGES(withdrawn_id)}

    # Streams are kept for ever, and one bad message once published must not stop every
    # rebuild after it: a malformed publication and one of an unknown shape sit among them.
    publisher = site.stack.runtime("publishing").bus.js
    await publisher.publish("publishing.document.published", b"{not json")
    await publisher.publish(
        "publishing.document.published",
        json.dumps(
            {
                "specversion": "1.0",
                "id": "x1",
                "source": "/meria/publishing",
                "time": "2026-12-07T09:00:00+04:00",
                "type": "ge.meria.publishing.document.published.v1",
                "data": {"title": "ახმეტა"},
            },
            ensure_ascii=False,
        ).encode(),
    )

    # Rebuilt from nothing but the streams, the read model gives the same pages.
    from services.website.rebuild import rebuild

    settings = site.stack.settings("website")
    fresh = await new_database("website_rebuilt")
    done = await rebuild(settings, fresh)  # type: ignore[arg-type]
    assert done.applied == 6  # three publications, a withdrawal, two unpublications
    assert done.skipped == 2
    rebuilt_settings = settings.model_copy(update={"database_url": fresh})
    from meria.testing.servers import free_port
    from services.website.app import create_app
    from tests.support.stack import serve

    port = free_port()
    async with serve(create_app(rebuilt_settings), port):  # type: ignore[arg-type]
        for path, text in before.items():
            page = await site.http.get(f"http://127.0.0.1:{port}{path}")
            assert page.text == text, path
        # The two are the website's dead letters now, with where they came from.
        admin = site.stack.headers("admin", user="admin")
        letters = (
            await site.http.get(f"http://127.0.0.1:{port}/dead-letters", headers=admin)
        ).json()
        assert [(d["kind"], d["stream"]) for d in letters["items"]] == [
            ("schema", "PUBLISHING"),
            ("malformed", "PUBLISHING"),
        ]
        assert letters["items"][0]["payload"].endswith('"ახმეტა"}}')
        assert "document_id: Field required" in letters["items"][0]["reason"]


def PAGES(document_id: int) -> list[str]:
    return ["/", "/en/", "/news", f"/news/{document_id}", "/search?q=ახმეტა", "/acts"]


async def test_an_act_s_headings_sit_under_its_title_and_its_english_page_says_untranslated(
    site: Site,
) -> None:
    # An order written in Markdown with `#` and `##` headings, in Georgian only.
    act_id = await site.publish(
        {
            **LEGAL_ACT,
            "title_en": None,
            "body_ka": "<h1>ზოგადი დებულებები</h1><p>1. გათბობა ჩაირთოს.</p>"
            "<h2>აღსრულება</h2><p>2. კონტროლი ეკისრება მერის მოადგილეს.</p>",
        }
    )
    page = (await site.get(f"/acts/{act_id}")).text
    # One <h1>, the act's title; the body's headings start at <h2>, in their order.
    assert page.count("<h1") == 1
    assert "<h2>ზოგადი დებულებები</h2>" in page and "<h3>აღსრულება</h3>" in page
    # The English page: the Georgian text in Georgian, and a note that says so.
    english = (await site.get(f"/en/acts/{act_id}")).text
    assert english.count("<h1") == 1
    assert "This text is not translated into English yet; it is shown in Georgian." in english
    assert '<div class="body" lang="ka">' in english
    assert re.search(r'<h1 lang="ka">\s*' + re.escape(LEGAL_ACT["title_ka"]), english)
    # The Georgian page has no such note.
    assert "not translated" not in page
