"""Every public format of the website, read by the parsers and schemas its readers use:
Atom by feedparser, iCalendar by icalendar, the sitemaps by sitemaps.org's schema (and
lxml), Akoma Ntoso by the OASIS 3.0 schema, the open-data catalogue by rdflib as JSON-LD,
the data sets as CSV and as JSON pages; and the pages about the site itself, for people.

One published act, one news item and two public events, through the real services and
the bus; the checks then only read.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest
from icalendar import Calendar
from lxml import etree
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from rdflib.term import Node

from meria.testing.servers import NatsServer, TemporalDevServer
from services.website.akoma_ntoso import schema
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, at, setup_office
from tests.support.georgian_pages import latin_words
from tests.support.publishing import LEGAL_ACT, Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

ROOT = Path(__file__).resolve().parents[2]
# sitemaps.org's schema, as npm's `sitemap` package ships it (`make schemas`).
SITEMAP_XSD = ROOT / "tests/schemas/node_modules/sitemap/schema/sitemap.xsd"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FOAF_NAME = URIRef("http://xmlns.com/foaf/0.1/name")
CC_BY = URIRef("http://creativecommons.org/licenses/by/4.0/")
NEWS = {
    "document_type": "news",
    "title_ka": "ზემო ალვანში ახალი საბავშვო ბაღი გაიხსნა",
    "title_en": "A new kindergarten opened in Zemo Alvani",
    "summary_ka": "ბაღში ოთხმოცი ბავშვი ივლის; მშობლებს მერიის წარმომადგენლები შეხვდნენ.",
    "body_ka": "<p>ბაღი ორსართულიან, განახლებულ შენობაშია.</p>",
}


def languages(graph: Graph, subject: Node, predicate: URIRef) -> list[Literal]:
    """The texts of a property, each with its language tag."""
    return [text for text in graph.objects(subject, predicate) if isinstance(text, Literal)]


@dataclass
class Site:
    stack: Stack
    http: httpx.AsyncClient

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(f"{self.stack.urls['website']}{path}", **kwargs)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        return response


async def publish(desks: dict[str, Desk], document: dict[str, Any]) -> int:
    """Create, submit and approve along the route, whoever each step awaits."""
    editor = desks["editor"]
    document_id: int = (await editor.create(document))["id"]
    await editor.submit(document_id)
    decided: set[str] = set()
    for _ in range(600):
        status = await editor.status(document_id)
        if status["stage"] == "published":
            return document_id
        for task in status["tasks"]:
            if task["task_id"] not in decided:
                decision = await desks[task["step"]].decide(document_id, task_id=task["task_id"])
                assert decision.status_code == 200, decision.text
                decided.add(task["task_id"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"document {document_id} was never published")


@pytest.fixture
async def site(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Site]:
    async with (
        running_stack(
            ["publishing", "events", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        yield Site(stack, http)


async def test_every_public_format_passes_its_parser_and_schema(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, http = site.stack, site.http
    desks = {
        "editor": Desk(stack, http, "nino.beridze", "editor"),
        "legal_review": Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
        "department_review": Desk(stack, http, "tamar.gelashvili", "head_of_department"),
        "signature": Desk(stack, http, "mayor.akhmeta", "mayor"),
    }
    await Desk(stack, http, "admin", "admin").ok(
        "PUT", "/issuers/mayor",
        json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
    )  # fmt: skip
    # Before anything is published: a data set is its header row; what is not a data
    # set, or a page asked for wrongly, is a problem document.
    empty = await site.get("/data/acts.csv")
    assert empty.text == "document_id,type,register_number,issuer_code,issuer_ka," \
        "issuer_en,date_signed,published_at,title_ka,title_en,status,standing,edition," \
        "content_sha256,url,akoma_ntoso_url\r\n"  # fmt: skip
    base = stack.urls["website"]
    for wrong in ("/data/budgets.csv", "/data/acts.json?limit=0", "/data/news.json?after=-1"):
        refused = await http.get(f"{base}{wrong}")
        assert refused.status_code == 422, wrong
        assert refused.headers["content-type"].startswith("application/problem+json")

    planner = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
    venues = await setup_office(EventsDesk(stack, http, "tamar", "head_of_department"), planner)
    day = datetime.now(TBILISI).date() + timedelta(days=20)
    festival = await planner.create(
        {
            "kind": "festival",
            "title_ka": "თუშური ყველის დღეები ახმეტაში",
            "title_en": "Tushetian Cheese Days in Akhmeta",
            "description_ka": "თუშელი მეცხვარეების ყველი, გუდის ყველი და ხალხური სიმღერები.",
            "venue_id": venues["culture_house"],
            "starts_at": at(day, 11).isoformat(),
            "ends_at": at(day, 18).isoformat(),
            "public": True,
            "schedule": True,
        }
    )
    await planner.create(
        {
            "kind": "festival",
            "title_ka": "ღვინის დღე ზემო ალვანში",
            "title_en": "Wine Day in Zemo Alvani",
            "venue_id": venues["culture_house"],
            "starts_at": at(day + timedelta(days=1), 12).isoformat(),
            "ends_at": at(day + timedelta(days=1), 19).isoformat(),
            "public": True,
            "schedule": True,
        }
    )
    act_id = await publish(desks, LEGAL_ACT)
    news_id = await publish(desks, NEWS)
    for _ in range(400):  # the website has applied all three
        rows = (await site.get("/data/news.json")).json()["items"]
        events = (await site.get("/data/events.json")).json()["items"]
        acts = (await site.get("/data/acts.json")).json()["items"]
        if rows and len(events) == 2 and acts:
            break
        await asyncio.sleep(0.05)

    # Atom (RFC 4287): well formed, each feed naming its author.
    for name in ("news", "acts"):
        for lang in ("ka", "en"):
            feed = feedparser.parse((await site.get(f"/feeds/{name}.atom?lang={lang}")).content)
            assert not feed.bozo, (name, lang, feed.get("bozo_exception"))
            assert feed.feed.author_detail.name
            assert feed.entries, (name, lang)
    news_feed = feedparser.parse((await site.get("/feeds/news.atom")).content)
    assert news_feed.entries[0].title == NEWS["title_ka"]

    # iCalendar (RFC 5545): the Tbilisi time zone the events name is defined in the file.
    calendar = Calendar.from_ical((await site.get("/feeds/events.ics")).content)
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    vevents = calendar.walk("VEVENT")
    assert zones == {"Asia/Tbilisi"}
    assert {vevent["DTSTART"].params["TZID"] for vevent in vevents} == {"Asia/Tbilisi"}
    assert str(vevents[0]["SUMMARY"]) == "თუშური ყველის დღეები ახმეტაში"

    # The sitemap index and every sitemap in it: sitemaps.org's schema for the sitemaps;
    # no package ships its index schema, so the index is held to the protocol by hand.
    index = etree.fromstring((await site.get("/sitemap.xml")).content)
    assert index.tag == f"{SITEMAP}sitemapindex"
    parts = [entry.findtext(f"{SITEMAP}loc") or "" for entry in index]
    assert all(entry.tag == f"{SITEMAP}sitemap" for entry in index)
    assert parts and all(part.startswith(("http://", "https://")) for part in parts)
    urlsets = [etree.fromstring((await site.get(urlsplit(p).path)).content) for p in parts]
    if SITEMAP_XSD.exists():
        sitemap_schema = etree.XMLSchema(etree.parse(str(SITEMAP_XSD)))
        for urlset in urlsets:
            sitemap_schema.assertValid(urlset)
    elif os.environ.get("CI"):
        raise AssertionError(f"{SITEMAP_XSD} is missing: `make schemas` installs it")
    locations = {loc.text for urlset in urlsets for loc in urlset.iter(f"{SITEMAP}loc")}
    base = parts[0].partition("/sitemaps/")[0]  # the address the public knows the site by
    assert {f"{base}/acts/{act_id}", f"{base}/en/news/{news_id}", f"{base}/data"} <= locations
    assert {f"{base}/accessibility", f"{base}/en/privacy", f"{base}/sitemap"} <= locations

    # Akoma Ntoso: the OASIS 3.0 schema, strict.
    schema().assertValid(etree.fromstring((await site.get(f"/acts/{act_id}.akn.xml")).content))

    # The DCAT-AP catalogue, read as RDF: a catalogue of three data sets, each with a CSV
    # and a JSON distribution, licensed CC BY 4.0, with a publisher and when it changed.
    catalogue = await site.get("/data/catalog.jsonld")
    assert catalogue.headers["content-type"].startswith("application/ld+json")
    graph = Graph().parse(data=catalogue.text, format="json-ld")
    (catalog,) = graph.subjects(RDF.type, DCAT.Catalog)
    datasets = set(graph.objects(catalog, DCAT.dataset))
    assert {str(graph.value(d, DCTERMS.identifier)) for d in datasets} == {
        "acts", "news", "events",
    }  # fmt: skip
    iana = Namespace("https://www.iana.org/assignments/media-types/")
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        assert graph.value(dataset, DCTERMS.license) == CC_BY
        assert graph.value(dataset, DCTERMS.publisher) is not None
        assert isinstance(graph.value(dataset, DCTERMS.modified), Literal)
        titles = {t.language: str(t) for t in languages(graph, dataset, DCTERMS.title)}
        assert set(titles) == {"ka", "en"}
        distributions = list(graph.objects(dataset, DCAT.distribution))
        media = {graph.value(d, DCAT.mediaType) for d in distributions}
        assert media == {iana["text/csv"], iana["application/json"]}
        for distribution in distributions:
            assert graph.value(distribution, DCTERMS.license) == CC_BY
            download = graph.value(distribution, DCAT.downloadURL)
            assert download is not None
            await site.get(urlsplit(str(download)).path)  # every distribution answers
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert publisher is not None
    names = {name.language: str(name) for name in languages(graph, publisher, FOAF_NAME)}
    assert set(names) == {"ka", "en"}

    # The data sets: CSV (a header row, then the rows) and JSON, the same facts.
    acts_csv = await site.get("/data/acts.csv")
    assert acts_csv.headers["content-type"].startswith("text/csv")
    (act,) = list(csv.DictReader(io.StringIO(acts_csv.text)))
    assert act["document_id"] == str(act_id)
    assert act["title_ka"] == LEGAL_ACT["title_ka"]
    assert act["register_number"] and act["standing"] == "in_force"
    # Read a row at a time here, so the stream is seen going page by page.
    monkeypatch.setattr("services.website.open_data.PAGE_ROWS", 1)
    events_csv = (await site.get("/data/events.csv")).text
    events_rows = list(csv.DictReader(io.StringIO(events_csv)))
    assert [row["title_en"] for row in events_rows] == [
        "Tushetian Cheese Days in Akhmeta", "Wine Day in Zemo Alvani",
    ]  # fmt: skip
    assert events_rows[0]["event_id"] == str(festival["id"])
    assert events_csv.count("event_id,") == 1  # one header
    following: str | None = "/data/events.json?limit=1"
    pages = []
    while following:
        answer = (await site.get(urlsplit(following).path + "?" + urlsplit(following).query)).json()
        pages.append([item["title_en"] for item in answer["items"]])
        following = answer["next"]
    assert pages == [["Tushetian Cheese Days in Akhmeta"], ["Wine Day in Zemo Alvani"], []]
    news_page = (await site.get("/data/news.json")).json()
    assert [item["title_ka"] for item in news_page["items"]] == [NEWS["title_ka"]]
    assert news_page["next"] is None
    assert news_page["items"][0]["url_en"].endswith(f"/en/news/{news_id}")

    # The pages about the site, for people, in both languages, linked from every footer.
    for prefix in ("", "/en"):
        home = (await site.get(f"{prefix}/")).text
        for page in ("data", "accessibility", "privacy", "sitemap"):
            assert f'href="{prefix}/{page}"' in home, (prefix, page)
    assert "WCAG" in (await site.get("/accessibility")).text
    assert "პერსონალურ მონაცემთა დაცვის სამსახურს" in (await site.get("/privacy")).text
    assert re.search(r'<a href="http[^"]+/subscribe">Subscribe by e-mail</a>', home)
    people = (await site.get("/en/sitemap")).text
    assert 'href="/en/acts"' in people and 'href="/en/data"' in people
    assert "CC BY 4.0" in (await site.get("/data")).text
    for path in ("/data", "/accessibility", "/privacy", "/sitemap"):
        said = latin_words((await site.get(path)).text)
        assert not said.words, f"Latin-script words on {path}: {said.contexts}"
