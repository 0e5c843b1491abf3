"""The website's pages: Georgian at `/`, English at `/en/`, the same paths beneath.

Every page is rendered from the read model only. Withdrawn documents keep their page
with the explanation on top; documents unpublished in error answer 410, or redirect
where a redirect was given.
"""

from __future__ import annotations

import calendar
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from meria import municipality
from meria.inputs import Id, Month, whole_number
from meria.legal_acts import STANDINGS
from meria.markup import clean_html, from_markdown, looks_like_markdown, under_heading
from meria.pictures import allowed_video
from meria.problems import Problem, problem_response
from meria.runtime import Runtime
from meria.web import RuntimeDep
from services.website import photos
from services.website.files import served, stored_path
from services.website.freshness import Remembered
from services.website.lifecycle import TBILISI, ActFacts, act_facts, standing_sql, standings, today
from services.website.models import (
    ActVersion,
    PublicAttachment,
    PublicDocument,
    PublicEdition,
    PublicEvent,
)
from services.website.search import Found, search
from services.website.settings import WebsiteSettings
from services.website.site import Link, SiteNav, site_navigation
from services.website.texts import SECTION_OF_TYPE, SECTIONS, TEXT, Language, type_label

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# The municipality (meria/municipality.py): name(lang), city_hall(lang), coat_of_arms_svg,
# colours.primary/.accent, address(lang), phone, email, social; the newest profile.
templates.env.globals["municipality"] = municipality.Current()
# A document's body is cleaned again as the page is rendered, whatever the read model
# holds (a row stored before the website cleaned on arrival, or written behind its back).
templates.env.filters["clean_html"] = lambda html: Markup(clean_html(html or ""))
# A document's text under the page's title: its headings start at <h2>.
templates.env.filters["body_html"] = lambda html: Markup(under_heading(clean_html(html or "")))
# A digest compiled before digests were written as HTML holds Markdown: shown as HTML.
templates.env.filters["markdown_body"] = lambda text: Markup(
    under_heading(
        from_markdown(text) if looks_like_markdown(text or "") else clean_html(text or "")
    )
)
router = APIRouter(include_in_schema=False)
LEGAL_ACTS = SECTIONS["acts"]


def language_of(request: Request) -> Language:
    return "en" if request.url.path == "/en" or request.url.path.startswith("/en/") else "ka"


def refusal(language: Language, status: int, key: str, **values: Any) -> Problem:
    """A refusal in the reader's language (a program reading the problem document gets the
    same words: the website's pages are for people)."""
    title = TEXT[language]["not_found" if status in (404, 410) else "bad_request"]
    return Problem(status, title, TEXT[language][key].format(**values))


def settings_of(runtime: Runtime) -> WebsiteSettings:
    settings = runtime.settings
    assert isinstance(settings, WebsiteSettings)
    return settings


def localized(path: str, language: Language) -> str:
    """The same page in `language`."""
    bare = path[3:] or "/" if path.startswith("/en/") or path == "/en" else path
    return bare if language == "ka" else ("/en" + bare if bare != "/" else "/en/")


def pick(language: Language, ka: str | None, en: str | None) -> str:
    return (en if language == "en" and en else ka) or ""


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def local_date(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return moment.astimezone(TBILISI).strftime("%Y-%m-%d")
    return moment.isoformat()


def document_path(document: PublicDocument | Any, language: Language) -> str:
    if document.document_type == "web_page" and document.slug:
        return localized(f"/pages/{document.slug}", language)
    section = SECTION_OF_TYPE.get(document.document_type, "news")
    return localized(f"/{section}/{document.document_id}", language)


async def navigation(runtime: Runtime) -> SiteNav:
    async with runtime.db().session() as session:
        return await site_navigation(session)


async def menu(request: Request, runtime: Runtime) -> SiteNav:
    """The site's menus and standing pages, read once per version of the read model."""
    remembered: Remembered[SiteNav] | None = getattr(request.app.state, "menu", None)
    return await remembered.get() if remembered is not None else await navigation(runtime)


def link_href(link: Link, language: Language) -> str:
    return link.path if link.external else localized(link.path, language)


async def render(
    request: Request, runtime: Runtime, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    language = language_of(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "t": TEXT[language],
            "other_url": localized(request.url.path, "en" if language == "ka" else "ka")
            + (f"?{request.url.query}" if request.url.query else ""),
            "url": lambda path: localized(path, language),
            "nav": await menu(request, runtime),
            "link_href": lambda link: link_href(link, language),
            "pick": lambda ka, en: pick(language, ka, en),
            "type_label": lambda kind: type_label(language, kind),
            "document_path": lambda document: document_path(document, language),
            "local_date": local_date,
            "format_size": format_size,
            "public_url": settings_of(runtime).public_url,
            "subscribe_url": settings_of(runtime).subscribe_url,
            "query_with": lambda **changes: query_with(request, **changes),
            "hit_path": lambda hit: document_path(hit, "ka"),
            "photo_src": photos.src,
            "photo_srcset": photos.srcset,
            "photos_of": photos.refs,
            "event_path": lambda event: localized(f"/events/{event.event_id}", language),
            "video_allowed": lambda url: video_allowed(runtime, url),
            "tbilisi": TBILISI,
            "site_name": site_name(language),
            "section_of": lambda document: SECTION_OF_TYPE.get(document.document_type, "news"),
            **context,
        },
        status_code=status_code,
    )
    modified = last_modified(context)
    if modified is not None:
        response.headers["Last-Modified"] = format_datetime(modified.astimezone(UTC), usegmt=True)
    return response


def site_name(language: Language) -> str:
    """The City Hall's name: the municipality's, once it is data, else the site's words."""
    municipality: Any = templates.env.globals.get("municipality")
    if municipality is not None:
        return str(municipality.city_hall(language))
    return TEXT[language]["site"]


def video_allowed(runtime: Runtime, url: str | None) -> bool:
    """A video is embedded only from the hosts allowed today, whatever the bus said."""
    if not url:
        return False
    try:
        return allowed_video(url, settings_of(runtime).video_hosts) is not None
    except Problem:
        return False


def query_with(request: Request, **changes: Any) -> str:
    """This page's query string with some parameters changed (for the pager)."""
    from urllib.parse import urlencode

    values = {key: value for key, value in request.query_params.items() if value}
    values.update({key: str(value) for key, value in changes.items()})
    return urlencode(values)


def last_modified(context: dict[str, Any]) -> datetime | None:
    """When what the page shows last changed, where the page knows it."""
    document = context.get("document")
    if isinstance(document, PublicDocument):
        return document.updated_at
    shown = [
        item.updated_at
        for key in ("documents", "news", "acts")
        for item in context.get(key) or []
        if isinstance(item, PublicDocument)
    ]
    return max(shown) if shown else None


@dataclass
class Page:
    number: int
    count: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.count else None


async def in_order(
    session: AsyncSession, query: Select[tuple[PublicDocument]]
) -> list[PublicDocument]:
    """The documents `query` selects, in its order. The rows are chosen on an index
    alone (`ix_public_documents_listing`, `ix_public_documents_registry`) and only those
    chosen are read whole: sorting whole rows would read every candidate's text."""
    ids = list(await session.scalars(query.with_only_columns(PublicDocument.document_id)))
    if not ids:
        return []
    found = {
        document.document_id: document
        for document in await session.scalars(
            select(PublicDocument).where(PublicDocument.document_id.in_(ids))
        )
    }
    return [found[document_id] for document_id in ids if document_id in found]


async def count(session: AsyncSession, query: Select[tuple[PublicDocument]]) -> int:
    chosen = query.with_only_columns(PublicDocument.document_id).order_by(None)
    return int(await session.scalar(select(func.count()).select_from(chosen.subquery())) or 0)


async def paged(
    runtime: Runtime, query: Select[tuple[PublicDocument]], page: int, language: Language
) -> tuple[list[PublicDocument], Page]:
    size = settings_of(runtime).page_size
    async with runtime.db().session() as session:
        total = await count(session, query)
        pages = max(1, math.ceil(total / size))
        if page > pages:
            raise refusal(language, 404, "no_page_number", page=page, pages=pages)
        rows = await in_order(session, query.limit(size).offset((page - 1) * size))
    return rows, Page(page, pages, total)


def visible() -> Select[tuple[PublicDocument]]:
    return select(PublicDocument).where(PublicDocument.status != "unpublished")


PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/", response_class=HTMLResponse)
@router.get("/en/", response_class=HTMLResponse)
async def home(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    now = datetime.now(UTC)
    async with runtime.db().session() as session:
        news = await in_order(
            session,
            visible()
            .where(PublicDocument.document_type.in_(("news", "press_release")))
            .order_by(PublicDocument.published_at.desc())
            .limit(6),
        )
        acts = await in_order(
            session,
            visible()
            .where(PublicDocument.document_type.in_(LEGAL_ACTS))
            .order_by(PublicDocument.published_at.desc())
            .limit(6),
        )
        events = list(
            await session.scalars(
                select(PublicEvent)
                .where(PublicEvent.ends_at >= now, PublicEvent.status != "cancelled")
                .order_by(PublicEvent.starts_at)
                .limit(5)
            )
        )
    return await render(request, runtime, "home.html", news=news, acts=acts, events=events)


@router.get("/acts", response_class=HTMLResponse)
@router.get("/en/acts", response_class=HTMLResponse)
async def acts_registry(
    request: Request,
    runtime: RuntimeDep,
    type: Annotated[str | None, Query(max_length=40)] = None,
    issuer: Annotated[str | None, Query(max_length=40)] = None,
    # A form's "any" sends an empty value: empty means no filter, not a bad request.
    year: Annotated[str | None, Query(max_length=4)] = None,
    number: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    if type and type not in LEGAL_ACTS:
        raise refusal(language_of(request), 400, "unknown_act_type", value=type)
    if status and status not in STANDINGS:
        raise refusal(language_of(request), 400, "unknown_status", value=status)
    if year and not 1990 <= (whole_number(year) or 0) <= 2200:
        raise refusal(language_of(request), 400, "not_a_year", value=year)
    query = visible().where(PublicDocument.document_type.in_(LEGAL_ACTS))
    if type:
        query = query.where(PublicDocument.document_type == type)
    if issuer:
        query = query.where(PublicDocument.issuer_code == issuer)
    if year:
        query = query.where(PublicDocument.register_year == int(year))
    if number:
        head = number.split("/", 1)[0].strip()
        query = query.where(
            (PublicDocument.register_number == number.strip())
            | (PublicDocument.register_sequence == (whole_number(head) or -1))
        )
    # Each act's standing today (Tbilisi), in SQL: filtered before the page is cut.
    day = today()
    if status:
        query = query.where(standing_sql(day) == status)
    query = query.order_by(
        PublicDocument.date_signed.desc(), PublicDocument.register_sequence.desc()
    )
    rows, pages = await paged(runtime, query, page, language_of(request))
    async with runtime.db().session() as session:
        statuses = await standings(session, [row.document_id for row in rows], day)
        # Each issuer once, named as in its latest document: found on the issuer index,
        # one row read per issuer.
        latest = (
            select(func.max(PublicDocument.document_id))
            .where(PublicDocument.issuer_code.is_not(None))
            .group_by(PublicDocument.issuer_code)
        )
        issuers = (
            await session.execute(
                select(
                    PublicDocument.issuer_code,
                    PublicDocument.issuer_name_ka,
                    PublicDocument.issuer_name_en,
                )
                .where(PublicDocument.document_id.in_(latest))
                .order_by(PublicDocument.issuer_code)
            )
        ).all()
        years = list(
            await session.scalars(
                select(PublicDocument.register_year)
                .where(PublicDocument.register_year.is_not(None))
                .distinct()
                .order_by(PublicDocument.register_year.desc())
            )
        )
    return await render(
        request,
        runtime,
        "acts.html",
        documents=rows,
        pages=pages,
        types=LEGAL_ACTS,
        issuers=issuers,
        years=years,
        standings=STANDINGS,
        statuses=statuses,
        chosen={
            "type": type,
            "issuer": issuer,
            "year": int(year) if year else None,
            "number": number,
            "status": status,
        },
    )


async def show_document(
    request: Request, runtime: RuntimeDep, section: str, document_id: int
) -> Response:
    async with runtime.db().session() as session:
        document = await session.get(PublicDocument, document_id)
        if document is None or document.document_type not in SECTION_OF_TYPE:
            raise refusal(language_of(request), 404, "no_document", number=document_id)
        if SECTION_OF_TYPE[document.document_type] != section:
            # Linked under another section (digests compiled before linked every press
            # item under /acts/): the document's own page, for good.
            return RedirectResponse(document_path(document, language_of(request)), 301)
        editions = list(
            await session.scalars(
                select(PublicEdition)
                .where(PublicEdition.document_id == document_id)
                .order_by(PublicEdition.edition.desc())
            )
        )
        attachments = list(
            await session.scalars(
                select(PublicAttachment)
                .where(
                    PublicAttachment.document_id == document_id,
                    PublicAttachment.edition == document.edition,
                )
                .order_by(PublicAttachment.attachment_id)
            )
        )
        is_act = document.document_type in LEGAL_ACTS
        life = await act_life(session, document_id, today()) if is_act else None
    if document.status == "unpublished":
        return await gone(request, runtime, document)
    return await render(
        request,
        runtime,
        "document.html",
        document=document,
        editions=editions,
        attachments=attachments,
        is_act=is_act,
        life=life,
    )


async def gone(request: Request, runtime: Runtime, document: PublicDocument) -> Response:
    """A document unpublished in error: where it went, or 410 with the reason."""
    if document.redirect_url:
        return RedirectResponse(document.redirect_url, status_code=301)
    return await render(request, runtime, "gone.html", status_code=410, document=document)


@dataclass(frozen=True)
class ActLife:
    """What a legal act's pages show of its life, seen on `day`: its standing, entry into
    force, changes both ways and versions, and the other acts they name (those still on
    the site, by id, for their titles and links)."""

    facts: ActFacts
    day: date
    others: dict[int, PublicDocument]

    @property
    def standing(self) -> str:
        return self.facts.standing_on(self.day).value

    @property
    def current_version(self) -> ActVersion | None:
        return self.facts.version_on(self.day)


async def act_life(session: AsyncSession, document_id: int, day: date) -> ActLife:
    facts = await act_facts(session, document_id)
    named = {change.target_document_id for change in facts.made}
    named |= {change.changing_document_id for change in facts.received}
    named |= {other for version in facts.versions for other in version.incorporates}
    others = {}
    if named:
        others = {
            other.document_id: other
            for other in await session.scalars(
                visible().where(PublicDocument.document_id.in_(sorted(named)))
            )
        }
    return ActLife(facts, day, others)


@router.get("/acts/{document_id}", response_class=HTMLResponse)
@router.get("/en/acts/{document_id}", response_class=HTMLResponse)
async def act_page(request: Request, runtime: RuntimeDep, document_id: Id) -> Response:
    return await show_document(request, runtime, "acts", document_id)


DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(value: str, language: Language) -> date:
    """A day written year-month-day, or a 400 that says how to write it."""
    try:
        if DAY.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise refusal(language, 400, "not_a_date", value=value[:40])


@router.get("/acts/{document_id}/versions", response_class=HTMLResponse)
@router.get("/en/acts/{document_id}/versions", response_class=HTMLResponse)
async def act_version_asked(
    request: Request,
    runtime: RuntimeDep,
    document_id: Id,
    on: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The act page's form ("the act as it stood on [date]") lands on the version's own
    address."""
    language = language_of(request)
    day = parse_day(on.strip(), language)
    path = localized(f"/acts/{document_id}/versions/{day.isoformat()}", language)
    return RedirectResponse(path, status_code=303)


@router.get("/acts/{document_id}/versions/{day}", response_class=HTMLResponse)
@router.get("/en/acts/{document_id}/versions/{day}", response_class=HTMLResponse)
async def act_version(request: Request, runtime: RuntimeDep, document_id: Id, day: str) -> Response:
    """The text of the act that stood on `day` (`meria.legal_acts.version_on`), its
    standing that day, and the way to the current text."""
    language = language_of(request)
    on = parse_day(day, language)
    async with runtime.db().session() as session:
        document = await session.get(PublicDocument, document_id)
        if document is None or document.document_type not in LEGAL_ACTS:
            raise refusal(language, 404, "no_document", number=document_id)
        life = await act_life(session, document_id, on)
    if document.status == "unpublished":
        return await gone(request, runtime, document)
    version = life.current_version
    if version is None:
        number = document.register_number or document_id
        raise refusal(language, 404, "not_yet_published", number=number, day=on.isoformat())
    return await render(
        request,
        runtime,
        "act_version.html",
        document=document,
        life=life,
        version=version,
        version_page=True,
    )


def section_list(section: str) -> Any:
    async def listing(request: Request, runtime: RuntimeDep, page: PageNumber = 1) -> Response:
        query = (
            visible()
            .where(PublicDocument.document_type.in_(SECTIONS[section]))
            .order_by(PublicDocument.published_at.desc())
        )
        rows, pages = await paged(runtime, query, page, language_of(request))
        return await render(
            request, runtime, "list.html", section=section, documents=rows, pages=pages
        )

    async def item(request: Request, runtime: RuntimeDep, document_id: Id) -> Response:
        return await show_document(request, runtime, section, document_id)

    return listing, item


for _section in ("news", "press-releases", "announcements", "digests"):
    _listing, _item = section_list(_section)
    for _prefix in ("", "/en"):
        router.add_api_route(f"{_prefix}/{_section}", _listing, response_class=HTMLResponse)
        router.add_api_route(
            f"{_prefix}/{_section}/{{document_id}}", _item, response_class=HTMLResponse
        )


@router.get("/pages/{slug}", response_class=HTMLResponse)
@router.get("/en/pages/{slug}", response_class=HTMLResponse)
async def standing_page(request: Request, runtime: RuntimeDep, slug: str) -> Response:
    async with runtime.db().session() as session:
        document = await session.scalar(
            select(PublicDocument).where(
                PublicDocument.slug == slug, PublicDocument.document_type == "web_page"
            )
        )
    if document is None:
        raise refusal(language_of(request), 404, "no_standing_page", slug=slug)
    if document.status == "unpublished":
        if document.redirect_url:
            return RedirectResponse(document.redirect_url, status_code=301)
        return await render(request, runtime, "gone.html", status_code=410, document=document)
    return await render(
        request, runtime, "document.html", document=document, editions=[], attachments=[],
        is_act=False,
    )  # fmt: skip


@router.get("/calendar", response_class=HTMLResponse)
@router.get("/en/calendar", response_class=HTMLResponse)
async def calendar_page(
    request: Request,
    runtime: RuntimeDep,
    month: Month | None = None,
    view: Annotated[str, Query(pattern="^(month|list)$")] = "month",
) -> HTMLResponse:
    this_day = today()
    year, number = (
        (int(part) for part in month.split("-")) if month else (this_day.year, this_day.month)
    )
    first = date(year, number, 1)
    last = date(year, number, calendar.monthrange(year, number)[1])
    start = datetime.combine(first, datetime.min.time(), TBILISI)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), TBILISI)
    async with runtime.db().session() as session:
        events = list(
            await session.scalars(
                select(PublicEvent)
                .where(PublicEvent.starts_at < end, PublicEvent.ends_at >= start)
                .order_by(PublicEvent.starts_at)
            )
        )
    by_day: dict[int, list[PublicEvent]] = {}
    for event in events:
        by_day.setdefault(event.starts_at.astimezone(TBILISI).day, []).append(event)
    previous = first - timedelta(days=1)
    following = last + timedelta(days=1)
    return await render(
        request,
        runtime,
        "calendar.html",
        view=view,
        month=f"{year:04d}-{number:02d}",
        month_name=TEXT[language_of(request)]["months"].split()[number - 1],
        year=year,
        weeks=calendar.Calendar().monthdayscalendar(year, number),
        events=events,
        by_day=by_day,
        previous=f"{previous.year:04d}-{previous.month:02d}",
        following=f"{following.year:04d}-{following.month:02d}",
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
@router.get("/en/events/{event_id}", response_class=HTMLResponse)
async def event_page(request: Request, runtime: RuntimeDep, event_id: Id) -> HTMLResponse:
    """A public event: when and where, what it is, its gallery and recording; a cancelled
    or postponed one says so on top. An event moved to a new date or made internal has
    left the site (its successor has a page of its own)."""
    async with runtime.db().session() as session:
        event = await session.get(PublicEvent, event_id)
    if event is None:
        raise refusal(language_of(request), 404, "no_event", number=event_id)
    return await render(
        request, runtime, "event.html", event=event, held=event.ends_at <= datetime.now(UTC)
    )


@router.get("/coat-of-arms.svg")
async def coat_of_arms() -> Response:
    """The municipality's coat of arms from its profile (sanitised when it was read): the
    site's icon."""
    return Response(
        municipality.current().coat_of_arms,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/theme.css")
async def theme() -> Response:
    """The municipality's colours over the stylesheet's defaults (a file, not an inline
    style: the site's Content-Security-Policy allows styles from the site only)."""
    municipality = templates.env.globals.get("municipality")
    colours = getattr(municipality, "colours", None)
    lines = [
        f"  --{name}: {value};"
        for name, value in (
            ("brand", getattr(colours, "primary", None)),
            ("accent", getattr(colours, "accent", None)),
        )
        if isinstance(value, str) and COLOUR.fullmatch(value)
    ]
    css = ":root {\n" + "\n".join(lines) + "\n}\n" if lines else "/* the defaults */\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")


@router.get("/search", response_class=HTMLResponse)
@router.get("/en/search", response_class=HTMLResponse)
async def search_page(
    request: Request,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: PageNumber = 1,
) -> HTMLResponse:
    found = Found([], 0)
    size = settings_of(runtime).page_size
    if q.strip():
        async with runtime.db().session() as session:
            found = await search(session, q, limit=size, offset=(page - 1) * size)
    pages = Page(page, max(1, math.ceil(found.shown / size)), found.shown)
    return await render(
        request, runtime, "search.html", q=q, hits=found.hits, pages=pages, more=found.more
    )


@router.get("/verify", response_class=HTMLResponse)
@router.get("/en/verify", response_class=HTMLResponse)
async def verify_form(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await render(request, runtime, "verify.html", result=None)


# What /verify reads of an uploaded file at most: a signed act is a few hundred kilobytes.
MAX_VERIFIED_BYTES = 30 * 1024 * 1024


@router.post("/verify", response_class=HTMLResponse)
@router.post("/en/verify", response_class=HTMLResponse)
async def verify(request: Request, runtime: RuntimeDep) -> Response:
    """A copy checked by its SHA-256 against what was published; a signed PDF also by its
    signatures, against the certificate authorities published with the acts (/ca.pem): who
    signed it, when, and whether the chain holds. A signed copy changed after signing is
    refused (422)."""
    from services.website.authenticity import check, check_signed_pdf

    form = await request.form()
    upload = form.get("file")
    given = str(form.get("sha256") or "").strip().lower()
    data: bytes | None = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await _read_at_most(upload, MAX_VERIFIED_BYTES)
        given = hashlib.sha256(data).hexdigest()
    if not (len(given) == 64 and all(char in "0123456789abcdef" for char in given)):
        raise refusal(language_of(request), 400, "nothing_to_check")
    async with runtime.db().session() as session:
        result = await check(session, given)
        signed = await check_signed_pdf(session, data) if data is not None else None
    # A copy whose hash is published is the published file, whatever a validator thinks.
    refused = result is None and signed is not None and signed.tampered
    status_code = 422 if refused else 200
    if "application/json" in request.headers.get("accept", ""):
        verdict = _verdict(given, result, signed)
        if refused:
            # Asked for as data: the refusal as a problem document, not the people's page.
            problem = Problem(
                422,
                "Changed after signing",
                "This copy of a signed document was changed after it was signed, or can no "
                "longer be read; it is not the published act.",
                **verdict,
            )
            return problem_response(problem, request)
        return JSONResponse(verdict)
    return await render(
        request,
        runtime,
        "verify.html",
        status_code=status_code,
        result=result,
        sha256=given,
        signed=signed,
        refused=refused,
    )


async def _read_at_most(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while chunk := await upload.read(1024 * 1024):
        data += chunk
        if len(data) > limit:
            raise Problem(
                413, "Too large", f"A file checked here is at most {limit // (1024 * 1024)} MB."
            )
    return bytes(data)


def _verdict(sha256: str, result: Any, signed: Any) -> dict[str, Any]:
    verdict: dict[str, Any] = {"sha256": sha256, "published": result is not None}
    if result is not None:
        verdict |= {
            "document_id": result.document.document_id,
            "edition": result.edition.edition,
            "register_number": result.document.register_number,
            "record_signature_valid": result.signature_valid,
        }
    if signed is not None:
        verdict["signatures"] = [
            {
                "signer": item.signer,
                "certificate": item.signer_subject,
                "issuer": item.issuer,
                "signed_at": item.signed_at.isoformat() if item.signed_at else None,
                "timestamped": item.timestamped,
                "intact": item.intact,
                "valid": item.valid,
                "chain_valid": item.trusted,
                "covers_document": item.covers_document,
            }
            for item in signed.signatures
        ]
        verdict["signature_sound"] = signed.sound
        verdict["tampered"] = signed.tampered
        if signed.unreadable:
            verdict["unreadable"] = signed.unreadable
    return verdict


@router.get("/ca.pem")
async def signing_ca(runtime: RuntimeDep) -> Response:
    """The root certificates that validate the signed originals of legal acts, as their
    publications carried them: import them into a PDF reader to see the acts as trusted."""
    from services.website.authenticity import trust_anchors

    async with runtime.db().session() as session:
        anchors = await trust_anchors(session)
    if not anchors:
        raise Problem(404, "Not found", "No signed act has been published yet.")
    return Response(
        "".join(anchors),
        media_type="application/x-pem-file",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/files/{row_id}/{filename}")
async def attachment_file(runtime: RuntimeDep, row_id: Id, filename: str) -> FileResponse:
    import asyncio

    async with runtime.db().session() as session:
        attachment = await session.get(PublicAttachment, row_id)
    if attachment is None or attachment.filename != filename:
        raise Problem(404, "Not found", "There is no such file.")
    folder = settings_of(runtime).files_dir
    assert folder is not None
    path = stored_path(folder, attachment.sha256)
    if attachment.fetched_at is None or not await asyncio.to_thread(path.exists):
        raise Problem(
            503,
            "Not available yet",
            "The file is on its way to the website; try again shortly.",
            headers={"Retry-After": "30"},
        )
    return served(path, attachment)
