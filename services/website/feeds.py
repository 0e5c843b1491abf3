"""Open formats: Atom feeds, the iCalendar feed of public events, the sitemap, the JSON
open-data API of the registry, each act in Akoma Ntoso, and the public key.

Feeds and calendars are written by well-kept libraries (feedgen, icalendar), so that
readers and calendar applications take them as they are.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from xml.etree import ElementTree

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response
from feedgen.feed import FeedGenerator
from icalendar import Calendar, Timezone
from icalendar import Event as CalendarEvent
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.db import rows_in_pages
from meria.inputs import Id
from meria.legal_acts import Standing
from meria.problems import Problem
from meria.signatures import canonical_json
from meria.web import RuntimeDep, sent_as
from services.website.lifecycle import (
    TBILISI,
    ActFacts,
    act_facts,
    standing_sql,
    standings,
    today,
)
from services.website.models import PublicDocument, PublicEdition, PublicEvent
from services.website.pages import (
    LEGAL_ACTS,
    count,
    document_path,
    in_order,
    pick,
    settings_of,
    visible,
)
from services.website.search import plain_text
from services.website.texts import SECTIONS, TEXT, type_label

if TYPE_CHECKING:
    from services.website.akoma_ntoso import Modification

# Every answer here has an ETag (services/website/caching.py).
router = APIRouter(responses={304: {"description": "Not modified since the ETag sent"}})
Language = Literal["ka", "en"]
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemap's namespace is the default one (no prefix), for the whole process.
ElementTree.register_namespace("", SITEMAP_NAMESPACE)
# The site's pages beside its sections, for search engines as for people (`/sitemap`).
SITE_PAGES = ("calendar", "search", "verify", "data", "accessibility", "privacy", "sitemap")
FEEDS = {"acts": "acts", "news": "news", "press-releases": "press-releases"}


@router.get(
    "/feeds/{name}.atom",
    tags=["feeds"],
    summary="Atom feed of a section",
    response_class=Response,
    responses=sent_as("application/atom+xml"),
)
async def atom(name: str, runtime: RuntimeDep, lang: Literal["ka", "en"] = "ka") -> Response:
    if name not in FEEDS:
        raise Problem(404, "No such feed", f"Feeds: {', '.join(FEEDS)}.")
    base = settings_of(runtime).public_url.rstrip("/")
    words = TEXT[lang]
    async with runtime.db().session() as session:
        documents = await in_order(
            session,
            visible()
            .where(PublicDocument.document_type.in_(SECTIONS[name]))
            .order_by(PublicDocument.published_at.desc())
            .limit(50),
        )
    feed = FeedGenerator()
    feed.id(f"{base}/feeds/{name}.atom?lang={lang}")
    feed.title(f"{words['site']} — {words[name]}")
    feed.language(lang)
    # RFC 4287: a feed whose entries name no author names one itself.
    feed.author({"name": words["site"], "uri": f"{base}/" if lang == "ka" else f"{base}/en/"})
    feed.link(href=f"{base}{document_list_path(name, lang)}", rel="alternate")
    feed.link(href=f"{base}/feeds/{name}.atom?lang={lang}", rel="self")
    feed.updated(documents[0].updated_at if documents else datetime(2026, 1, 1, tzinfo=UTC))
    for document in reversed(documents):
        entry = feed.add_entry()
        url = f"{base}{document_path(document, lang)}"
        entry.id(url)
        entry.link(href=url)
        entry.title(pick(lang, document.title_ka, document.title_en))
        entry.published(document.first_published_at)
        entry.updated(document.published_at)
        summary = pick(lang, document.summary_ka, document.summary_en)
        entry.summary(
            summary or plain_text(pick(lang, document.body_html_ka, document.body_html_en))[:400]
        )
        entry.category(term=document.document_type, label=type_label(lang, document.document_type))
        if document.register_number:
            entry.content(f"№ {document.register_number}", type="text")
    return Response(feed.atom_str(pretty=True), media_type="application/atom+xml; charset=utf-8")


def document_list_path(name: str, lang: str) -> str:
    return f"/{name}" if lang == "ka" else f"/en/{name}"


# The public feed shows a year back and everything ahead: its size follows the calendar's
# pace, not the years of events kept.
FEED_PAST_DAYS = 365
EVENT_COLUMNS = (
    PublicEvent.event_id, PublicEvent.title_ka, PublicEvent.title_en, PublicEvent.starts_at,
    PublicEvent.ends_at, PublicEvent.updated_at, PublicEvent.place_ka, PublicEvent.place_en,
    PublicEvent.description_ka, PublicEvent.description_en, PublicEvent.status,
)  # fmt: skip


@router.get(
    "/feeds/events.ics",
    tags=["feeds"],
    summary="iCalendar feed of public events",
    response_class=Response,
    responses=sent_as("text/calendar"),
)
async def events_calendar(runtime: RuntimeDep, lang: Literal["ka", "en"] = "ka") -> Response:
    """Read a page at a time and written in a thread: thousands of VEVENTs take the
    icalendar library seconds, in which the loop must answer everyone else. The feed is
    kept while its events are unchanged (their number, newest change and last id, read
    along the index of their dates), so a calendar application's hourly poll, and each
    of thousands of subscribers, costs one small query."""
    base = settings_of(runtime).public_url.rstrip("/")
    since = datetime.combine(
        datetime.now(TBILISI).date() - timedelta(days=FEED_PAST_DAYS), time(), tzinfo=TBILISI
    )
    window = PublicEvent.starts_at >= since
    async with runtime.db().session() as session:
        state = (
            await session.execute(
                select(
                    func.count(), func.max(PublicEvent.updated_at), func.max(PublicEvent.event_id)
                ).where(window)
            )
        ).one()
        key = (lang, base, since, *state)
        body = _FEEDS.get(key)
        if body is None:
            query = (
                select(*EVENT_COLUMNS)
                .where(window)
                .order_by(PublicEvent.starts_at, PublicEvent.event_id)
            )
            rows = [tuple(row) for row in await rows_in_pages(session, query)]
    if body is None:
        body = await asyncio.to_thread(_events_ics, rows, lang, base)
        _FEEDS[key] = body
        while len(_FEEDS) > _FEEDS_KEPT:
            _FEEDS.popitem(last=False)
    return Response(body, media_type="text/calendar; charset=utf-8")


# Whole feeds kept, the newest last: one per language and address the site is known by.
_FEEDS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_FEEDS_KEPT = 8


def _events_ics(rows: list[tuple[Any, ...]], lang: Language, base: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", municipality.current().prodid("Meria"))
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{TEXT[lang]['site']} — {TEXT[lang]['calendar']}")
    calendar.add("x-wr-timezone", "Asia/Tbilisi")
    # RFC 5545: every TZID the events name is defined in the calendar itself.
    calendar.add_component(TBILISI_VTIMEZONE)
    head = bytes(calendar.to_ical())
    vevents = b"".join(_vevent(row, lang, base) for row in rows)
    return head[: head.rindex(b"END:VCALENDAR")] + vevents + b"END:VCALENDAR\r\n"


TBILISI_VTIMEZONE = Timezone.from_tzid("Asia/Tbilisi")

# Each event's VEVENT is written once per change and kept; the key is plain values, which
# the garbage collector stops looking at. Feeds are written in threads: under a lock.
_VEVENTS: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_VEVENTS_KEPT = 50_000
_VEVENTS_LOCK = threading.Lock()


def _vevent(row: tuple[Any, ...], lang: Language, base: str) -> bytes:
    key = (*row, lang, base)
    with _VEVENTS_LOCK:
        found = _VEVENTS.get(key)
        if found is not None:
            _VEVENTS.move_to_end(key)
            return found
    (event_id, title_ka, title_en, starts_at, ends_at, updated_at, place_ka, place_en,
     description_ka, description_en, status) = row  # fmt: skip
    item = CalendarEvent()
    item.add("uid", municipality.current().uid(f"event-{event_id}"))
    item.add("summary", pick(lang, title_ka, title_en))
    item.add("dtstart", starts_at.astimezone(TBILISI))
    item.add("dtend", ends_at.astimezone(TBILISI))
    item.add("dtstamp", updated_at)
    place = pick(lang, place_ka, place_en)
    if place:
        item.add("location", place)
    description = pick(lang, description_ka, description_en)
    if description:
        item.add("description", description)
    item.add("status", "CANCELLED" if status == "cancelled" else "CONFIRMED")
    item.add("url", f"{base}/calendar?month={starts_at:%Y-%m}")
    found = bytes(item.to_ical())
    with _VEVENTS_LOCK:
        _VEVENTS[key] = found
        if len(_VEVENTS) > _VEVENTS_KEPT:
            _VEVENTS.popitem(last=False)
    return found


# Documents per sitemap: two addresses each (Georgian and English), so a sitemap holds
# 5,000, well within the protocol's 50,000, and costs the same however large the site.
SITEMAP_DOCUMENTS = 2500


@router.get(
    "/sitemap.xml",
    tags=["feeds"],
    summary="The index of the site's sitemaps",
    response_class=Response,
    responses=sent_as("application/xml"),
)
async def sitemap(runtime: RuntimeDep) -> Response:
    """A sitemap index: the standing pages, then the documents a few thousand at a time
    by their number, so that no sitemap grows with the site."""
    base = settings_of(runtime).public_url.rstrip("/")
    async with runtime.db().session() as session:
        last = await session.scalar(select(func.max(PublicDocument.document_id)))
    root = ElementTree.Element(f"{{{SITEMAP_NAMESPACE}}}sitemapindex")
    parts = ["pages", *(str(part) for part in range((last or 0) // SITEMAP_DOCUMENTS + 1))]
    for part in parts:
        entry = ElementTree.SubElement(root, f"{{{SITEMAP_NAMESPACE}}}sitemap")
        location = ElementTree.SubElement(entry, f"{{{SITEMAP_NAMESPACE}}}loc")
        location.text = f"{base}/sitemaps/{part}.xml"
    body = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/xml")


@router.get(
    "/sitemaps/pages.xml",
    tags=["feeds"],
    summary="The standing pages, for search engines",
    response_class=Response,
    responses=sent_as("application/xml"),
)
async def sitemap_pages(runtime: RuntimeDep) -> Response:
    base = settings_of(runtime).public_url.rstrip("/")
    pages: list[tuple[str, datetime | None]] = [
        (f"{prefix}{path}", None)
        for prefix in ("", "/en")
        for path in (
            "/",
            *(f"/{section}" for section in (*SECTIONS, *SITE_PAGES)),
        )
    ]
    return Response(_urlset(pages, base), media_type="application/xml")


@router.get(
    "/sitemaps/{part}.xml",
    tags=["feeds"],
    summary="Public documents, for search engines",
    response_class=Response,
    responses=sent_as("application/xml"),
)
async def sitemap_documents(
    runtime: RuntimeDep, part: Annotated[int, Path(ge=0, le=1_000_000)]
) -> Response:
    """The public documents numbered from `part` × 2,500, in Georgian and English; written
    in a thread."""
    base = settings_of(runtime).public_url.rstrip("/")
    first = part * SITEMAP_DOCUMENTS
    listed = (
        visible()
        .with_only_columns(
            PublicDocument.document_id,
            PublicDocument.document_type,
            PublicDocument.slug,
            PublicDocument.published_at,
        )
        .where(PublicDocument.document_id.between(first, first + SITEMAP_DOCUMENTS - 1))
        .order_by(PublicDocument.document_id)
    )
    async with runtime.db().session() as session:
        rows = (await session.execute(listed)).all()
    pages = [
        (document_path(row, language), row.published_at)
        for row in rows
        for language in ("ka", "en")
    ]
    body = await asyncio.to_thread(_urlset, pages, base)
    return Response(body, media_type="application/xml")


def _urlset(pages: list[tuple[str, datetime | None]], base: str) -> bytes:
    urlset = ElementTree.Element(f"{{{SITEMAP_NAMESPACE}}}urlset")
    for path, modified in pages:
        url = ElementTree.SubElement(urlset, f"{{{SITEMAP_NAMESPACE}}}url")
        ElementTree.SubElement(url, f"{{{SITEMAP_NAMESPACE}}}loc").text = f"{base}{path}"
        if modified is not None:
            lastmod = ElementTree.SubElement(url, f"{{{SITEMAP_NAMESPACE}}}lastmod")
            lastmod.text = modified.date().isoformat()
    body: bytes = ElementTree.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return body


class ActRecord(BaseModel):
    """One legal act in the open-data registry."""

    document_id: int
    type: str
    register_number: str | None
    issuer_code: str | None
    issuer: str | None
    date_signed: date | None
    published_at: datetime
    title_ka: str
    title_en: str | None
    status: str
    standing: str = Field(
        description="Its standing today (Tbilisi): in_force, amended, suspended, repealed "
        "or not_yet_in_force"
    )
    edition: int
    content_sha256: str | None
    url: str
    akoma_ntoso_url: str


class ActPage(BaseModel):
    items: list[ActRecord]
    total: int
    page: int
    per_page: int


@router.get(
    "/acts/{document_id}.akn.xml",
    tags=["open data"],
    summary="A legal act in Akoma Ntoso 3.0 XML (OASIS LegalDocML)",
    response_class=Response,
    responses=sent_as("application/akn+xml"),
)
async def act_akoma_ntoso(
    document_id: Id, runtime: RuntimeDep, lang: Literal["ka", "en"] = "ka"
) -> Response:
    from services.website.akoma_ntoso import Act, render

    async with runtime.db().session() as session:
        document = await session.get(PublicDocument, document_id)
        facts = await act_facts(session, document_id)
        modifications = await _modifications(session, facts, lang)
    if (
        document is None
        or document.document_type not in LEGAL_ACTS
        or document.status == "unpublished"
        or not document.issuer_code
    ):
        raise Problem(404, "No such act", f"There is no published act {document_id}.")
    # An English title alone is no English expression: the text is what the XML carries.
    if lang == "en" and not (document.title_en and document.body_html_en):
        raise Problem(404, "No English text", "This act has no English expression yet.")
    act = Act(
        document_id=document.document_id,
        edition=document.edition,
        document_type=document.document_type,
        issuer_code=document.issuer_code,
        issuer_name_ka=document.issuer_name_ka or document.issuer_code,
        issuer_name_en=document.issuer_name_en,
        register_number=document.register_number,
        date_signed=document.date_signed,
        published_at=document.published_at,
        title_ka=document.title_ka,
        title_en=document.title_en,
        body_html_ka=document.body_html_ka or "",
        body_html_en=document.body_html_en,
        content_sha256=document.content_sha256 or "",
        page_url=f"{settings_of(runtime).public_url.rstrip('/')}/acts/{document.document_id}",
        first_published_on=facts.entry.first_published_on if facts.entry else None,
        in_force_on=facts.entry.in_force_on if facts.entry else None,
        consolidated_as_of=facts.entry.consolidated_as_of if facts.entry else None,
        modifications=modifications,
    )
    # Written in a thread: a long act's XML takes the library a while.
    return Response(await asyncio.to_thread(render, act, lang), media_type="application/akn+xml")


async def _modifications(
    session: AsyncSession, facts: ActFacts, language: Language
) -> tuple[Modification, ...]:
    """What later acts did to the act, each named by its work (read from the read model)."""
    from services.website.akoma_ntoso import Modification, WorkName

    ids = sorted({change.changing_document_id for change in facts.received})
    sources = {
        source.document_id: source
        for source in await session.scalars(
            select(PublicDocument).where(PublicDocument.document_id.in_(ids))
        )
    }
    found = []
    for change in facts.received:
        source = sources.get(change.changing_document_id)
        if source is None:  # its publication is not here: nothing to name it by
            continue
        work = WorkName(
            document_id=source.document_id,
            document_type=source.document_type,
            issuer_code=source.issuer_code or "",
            register_number=source.register_number,
            date_signed=source.date_signed,
            published_at=source.published_at,
        )
        name = type_label(language, source.document_type)
        if source.register_number:
            name += f" № {source.register_number}"
        found.append(
            Modification(change.kind, tuple(change.articles), change.effective_on, work, name)
        )
    return tuple(found)


@router.get("/api/acts", tags=["open data"], summary="The registry of legal acts, as data")
async def acts_api(
    runtime: RuntimeDep,
    type: Literal["mayor_order", "mayor_ordinance", "official_document"] | None = None,
    issuer: Annotated[str | None, Query(max_length=40)] = None,
    year: Annotated[int | None, Query(ge=1990, le=2200)] = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    standing: Standing | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ActPage:
    base = settings_of(runtime).public_url.rstrip("/")
    day = today()
    query = visible().where(PublicDocument.document_type.in_(LEGAL_ACTS))
    if standing:
        query = query.where(standing_sql(day) == standing.value)
    if type:
        query = query.where(PublicDocument.document_type == type)
    if issuer:
        query = query.where(PublicDocument.issuer_code == issuer)
    if year:
        query = query.where(PublicDocument.register_year == year)
    if number:
        query = query.where(PublicDocument.register_number == number)
    async with runtime.db().session() as session:
        total = await count(session, query)
        rows = await in_order(
            session,
            query.order_by(PublicDocument.document_id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page),
        )
        standings_today = await standings(session, [row.document_id for row in rows], day)
        items = [
            ActRecord(
                document_id=row.document_id,
                type=row.document_type,
                register_number=row.register_number,
                issuer_code=row.issuer_code,
                issuer=row.issuer_name_ka,
                date_signed=row.date_signed,
                published_at=row.published_at,
                title_ka=row.title_ka,
                title_en=row.title_en,
                status=row.status,
                standing=standings_today[row.document_id],
                edition=row.edition,
                content_sha256=row.content_sha256,
                url=f"{base}/acts/{row.document_id}",
                akoma_ntoso_url=f"{base}/acts/{row.document_id}.akn.xml",
            )
            for row in rows
        ]
    return ActPage(items=items, total=total, page=page, per_page=per_page)


class DocumentRecord(BaseModel):
    document_id: int
    edition: int
    document_type: str
    status: str
    title_ka: str
    title_en: str | None
    published_at: datetime
    url: str


@router.get("/api/documents", tags=["open data"], summary="What was published, newest first")
async def documents_api(
    runtime: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[DocumentRecord]:
    base = settings_of(runtime).public_url.rstrip("/")
    async with runtime.db().session() as session:
        rows = await session.scalars(
            visible()
            .order_by(PublicDocument.published_at.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
        return [
            DocumentRecord(
                document_id=row.document_id,
                edition=row.edition,
                document_type=row.document_type,
                status=row.status,
                title_ka=row.title_ka,
                title_en=row.title_en,
                published_at=row.published_at,
                url=f"{base}{document_path(row, 'ka')}",
            )
            for row in rows
        ]


@router.get(
    "/signing-key.pem",
    tags=["authenticity"],
    summary="The public key that verifies publication records",
    response_class=Response,
    responses=sent_as("application/x-pem-file"),
)
async def signing_key(runtime: RuntimeDep) -> Response:
    async with runtime.db().session() as session:
        key = await session.scalar(
            select(PublicDocument.signing_key_pem)
            .where(PublicDocument.signing_key_pem.is_not(None))
            .order_by(PublicDocument.published_at.desc())
            .limit(1)
        )
    if key is None:
        raise Problem(404, "No key yet", "Nothing signed has been published yet.")
    return PlainTextResponse(key, media_type="application/x-pem-file")


RECORD_FORMATS = {
    "json": "application/json",
    "sig": "application/octet-stream",
    "pem": "application/x-pem-file",
}


@router.get(
    "/records/{document_id}/{edition}.{form}",
    tags=["authenticity"],
    summary="An edition's signed publication record (json), its Ed25519 signature (sig) "
    "and the public key that made it (pem)",
    response_class=Response,
    responses=sent_as(*RECORD_FORMATS.values()),
)
async def publication_record(
    runtime: RuntimeDep, document_id: Id, edition: Id, form: Literal["json", "sig", "pem"]
) -> Response:
    """Check an act without trusting this site: the record is the canonical JSON the
    municipality's key signed, byte for byte; `openssl pkeyutl -verify -pubin -inkey
    key.pem -rawin -in record.json -sigfile record.sig` says whether the signature holds,
    and the record's `content_sha256` is the fingerprint the act's page shows."""
    async with runtime.db().session() as session:
        found = await session.scalar(
            select(PublicEdition).where(
                PublicEdition.document_id == document_id, PublicEdition.edition == edition
            )
        )
    if found is None or not (found.publication_record and found.signature):
        raise Problem(
            404,
            "No signed record",
            f"Edition {edition} of document {document_id} has no signed publication record here.",
        )
    name = f"document-{document_id}-edition-{edition}"
    if form == "json":
        body = canonical_json(found.publication_record)
    elif form == "sig":
        body = base64.b64decode(found.signature)
    else:
        body = (found.signing_key_pem or "").encode()
    return Response(
        body,
        media_type=RECORD_FORMATS[form],
        headers={"Content-Disposition": f'attachment; filename="{name}.{form}"'},
    )
