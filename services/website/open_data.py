"""Open data: the legal acts, the news and the public events as CSV and JSON, described by
a DCAT-AP catalogue (`/data/catalog.jsonld`) and listed for people at `/data`.

A data set is read from the read model a page at a time along its primary key, never
whole: a CSV download streams each page as it is read (written into text in a thread),
and the JSON form is the same pages, each naming the next. So a year of acts costs the
process one page of rows at a time, however many years the site keeps.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.inputs import MAX_INT
from meria.runtime import Runtime
from meria.web import RuntimeDep, sent_as
from services.website.lifecycle import standings, today
from services.website.models import PublicDocument, PublicEvent
from services.website.pages import LEGAL_ACTS, document_path, render, settings_of, visible
from services.website.texts import SECTIONS, TEXT

router = APIRouter(tags=["open data"])

Row = dict[str, Any]
Name = Literal["acts", "news", "events"]
# Rows read per query: the size of what the process holds of a data set at any moment.
PAGE_ROWS = 500
LICENCE = "http://creativecommons.org/licenses/by/4.0/"
NEWS_TYPES = (*SECTIONS["news"], *SECTIONS["press-releases"], *SECTIONS["announcements"])
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
# The EU's controlled vocabularies DCAT-AP names for these fields.
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/GOVE"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/CONT"
EU_LANGUAGE = "http://publications.europa.eu/resource/authority/language/"
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class DataSet:
    """One data set: its columns, and how a page of its rows after a key is read."""

    name: Name
    columns: tuple[str, ...]
    read: Callable[[AsyncSession, int, int, str], Awaitable[list[Row]]]
    modified: Callable[[AsyncSession], Awaitable[datetime | None]]


async def _acts(session: AsyncSession, after: int, limit: int, base: str) -> list[Row]:
    query = (
        visible()
        .with_only_columns(
            PublicDocument.document_id, PublicDocument.document_type,
            PublicDocument.register_number, PublicDocument.issuer_code,
            PublicDocument.issuer_name_ka, PublicDocument.issuer_name_en,
            PublicDocument.date_signed, PublicDocument.published_at,
            PublicDocument.title_ka, PublicDocument.title_en, PublicDocument.status,
            PublicDocument.edition, PublicDocument.content_sha256,
        )
        .where(PublicDocument.document_type.in_(LEGAL_ACTS), PublicDocument.document_id > after)
        .order_by(PublicDocument.document_id)
        .limit(limit)
    )  # fmt: skip
    rows = (await session.execute(query)).all()
    standing = await standings(session, [row.document_id for row in rows], today())
    return [
        {
            "document_id": row.document_id,
            "type": row.document_type,
            "register_number": row.register_number,
            "issuer_code": row.issuer_code,
            "issuer_ka": row.issuer_name_ka,
            "issuer_en": row.issuer_name_en,
            "date_signed": row.date_signed,
            "published_at": row.published_at,
            "title_ka": row.title_ka,
            "title_en": row.title_en,
            "status": row.status,
            "standing": standing.get(row.document_id),
            "edition": row.edition,
            "content_sha256": row.content_sha256,
            "url": f"{base}/acts/{row.document_id}",
            "akoma_ntoso_url": f"{base}/acts/{row.document_id}.akn.xml",
        }
        for row in rows
    ]


async def _news(session: AsyncSession, after: int, limit: int, base: str) -> list[Row]:
    query = (
        visible()
        .with_only_columns(
            PublicDocument.document_id, PublicDocument.document_type, PublicDocument.edition,
            PublicDocument.status, PublicDocument.first_published_at,
            PublicDocument.published_at, PublicDocument.title_ka, PublicDocument.title_en,
            PublicDocument.summary_ka, PublicDocument.summary_en, PublicDocument.slug,
            PublicDocument.content_sha256,
        )
        .where(PublicDocument.document_type.in_(NEWS_TYPES), PublicDocument.document_id > after)
        .order_by(PublicDocument.document_id)
        .limit(limit)
    )  # fmt: skip
    return [
        {
            "document_id": row.document_id,
            "type": row.document_type,
            "edition": row.edition,
            "status": row.status,
            "first_published_at": row.first_published_at,
            "published_at": row.published_at,
            "title_ka": row.title_ka,
            "title_en": row.title_en,
            "summary_ka": row.summary_ka,
            "summary_en": row.summary_en,
            "content_sha256": row.content_sha256,
            "url": f"{base}{document_path(row, 'ka')}",
            "url_en": f"{base}{document_path(row, 'en')}",
        }
        for row in (await session.execute(query)).all()
    ]


async def _events(session: AsyncSession, after: int, limit: int, base: str) -> list[Row]:
    query = (
        select(PublicEvent).where(PublicEvent.event_id > after).order_by(PublicEvent.event_id)
    ).limit(limit)
    return [
        {
            "event_id": event.event_id,
            "title_ka": event.title_ka,
            "title_en": event.title_en,
            "starts_at": event.starts_at,
            "ends_at": event.ends_at,
            "place_ka": event.place_ka,
            "place_en": event.place_en,
            "status": event.status,
            "description_ka": event.description_ka,
            "description_en": event.description_en,
            "updated_at": event.updated_at,
            "url": f"{base}/calendar?month={event.starts_at:%Y-%m}",
        }
        for event in await session.scalars(query)
    ]


def _documents_modified(
    types: tuple[str, ...],
) -> Callable[[AsyncSession], Awaitable[datetime | None]]:
    async def modified(session: AsyncSession) -> datetime | None:
        newest: datetime | None = await session.scalar(
            select(func.max(PublicDocument.updated_at)).where(
                PublicDocument.document_type.in_(types)
            )
        )
        return newest

    return modified


async def _events_modified(session: AsyncSession) -> datetime | None:
    newest: datetime | None = await session.scalar(select(func.max(PublicEvent.updated_at)))
    return newest


DATASETS: dict[str, DataSet] = {
    "acts": DataSet(
        "acts",
        ("document_id", "type", "register_number", "issuer_code", "issuer_ka", "issuer_en",
         "date_signed", "published_at", "title_ka", "title_en", "status", "standing",
         "edition", "content_sha256", "url", "akoma_ntoso_url"),
        _acts,
        _documents_modified(LEGAL_ACTS),
    ),
    "news": DataSet(
        "news",
        ("document_id", "type", "edition", "status", "first_published_at", "published_at",
         "title_ka", "title_en", "summary_ka", "summary_en", "content_sha256", "url", "url_en"),
        _news,
        _documents_modified(NEWS_TYPES),
    ),
    "events": DataSet(
        "events",
        ("event_id", "title_ka", "title_en", "starts_at", "ends_at", "place_ka", "place_en",
         "status", "description_ka", "description_en", "updated_at", "url"),
        _events,
        _events_modified,
    ),
}  # fmt: skip


def _key(dataset: DataSet, row: Row) -> int:
    return int(row["event_id" if dataset.name == "events" else "document_id"])


def _plain(value: Any) -> Any:
    """A value as CSV and JSON write it: moments in UTC, ISO 8601."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_lines(columns: tuple[str, ...], rows: list[Row], header: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else _plain(row[c]) for c in columns])
    return out.getvalue().encode()


async def _pages(runtime: Runtime, dataset: DataSet, after: int = 0) -> AsyncIterator[list[Row]]:
    """The data set's rows a page at a time, each page read in a session of its own (a
    slow reader holds no connection between pages)."""
    base = settings_of(runtime).public_url.rstrip("/")
    while True:
        async with runtime.db().session() as session:
            rows = await dataset.read(session, after, PAGE_ROWS, base)
        if rows:
            yield rows
        if len(rows) < PAGE_ROWS:
            return
        after = _key(dataset, rows[-1])


@router.get(
    "/data/{name}.csv",
    summary="A whole data set as CSV (RFC 4180, UTF-8, a header row), streamed",
    response_class=Response,
    responses=sent_as("text/csv"),
)
async def data_csv(name: Name, runtime: RuntimeDep) -> StreamingResponse:
    dataset = DATASETS[name]

    async def lines() -> AsyncIterator[bytes]:
        header = True
        async for rows in _pages(runtime, dataset):
            # Written in a thread: a page of Georgian text is work the loop need not do.
            yield await asyncio.to_thread(_csv_lines, dataset.columns, rows, header)
            header = False
        if header:  # nothing yet: the header alone
            yield _csv_lines(dataset.columns, [], True)

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8; header=present",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/data/{name}.json",
    summary="A data set as JSON, a page at a time: `next` is the address of the next page",
    response_class=JSONResponse,
)
async def data_json(
    name: Name,
    runtime: RuntimeDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_INT, description="The key after which the page starts")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_ROWS)] = PAGE_ROWS,
) -> JSONResponse:
    dataset = DATASETS[name]
    base = settings_of(runtime).public_url.rstrip("/")
    async with runtime.db().session() as session:
        rows = await dataset.read(session, after, limit, base)
    following = (
        f"{base}/data/{name}.json?after={_key(dataset, rows[-1])}&limit={limit}"
        if len(rows) == limit
        else None
    )
    body = {
        "dataset": name,
        "licence": LICENCE,
        "items": [{column: _plain(row[column]) for column in dataset.columns} for row in rows],
        "next": following,
    }
    headers = {"Link": f'<{following}>; rel="next"'} if following else {}
    return JSONResponse(body, headers=headers)


@router.get(
    "/data/catalog.jsonld",
    summary="The DCAT-AP catalogue of the open data (JSON-LD)",
    response_class=Response,
    responses={
        200: {
            "description": "A dcat:Catalog of one dcat:Dataset per data set",
            "content": {"application/ld+json": {"schema": {"type": "object"}}},
        }
    },
)
async def catalogue(runtime: RuntimeDep) -> Response:
    import json

    async with runtime.db().session() as session:
        modified = {name: await dataset.modified(session) for name, dataset in DATASETS.items()}
    body = json.dumps(catalogue_of(settings_of(runtime).public_url.rstrip("/"), modified),
                      ensure_ascii=False, indent=1)  # fmt: skip
    return Response(body.encode(), media_type="application/ld+json")


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _texts(key: str) -> list[dict[str, str]]:
    return [{"@value": TEXT[language][key], "@language": language} for language in ("ka", "en")]


def _moment(value: datetime | None) -> dict[str, str]:
    moment = value or datetime(2026, 1, 1, tzinfo=UTC)
    return {"@value": _plain(moment), "@type": "xsd:dateTime"}


def catalogue_of(base: str, modified: dict[str, datetime | None]) -> dict[str, Any]:
    """The catalogue as JSON-LD: a dcat:Catalog of one dcat:Dataset per data set, each
    with a dcat:Distribution per format, licensed CC BY 4.0."""
    publisher = {"@id": f"{base}/#publisher", "@type": "foaf:Agent",
                 "foaf:name": _texts("site")}  # fmt: skip
    licence = {"@id": LICENCE}
    datasets = []
    for name in DATASETS:
        distributions = [
            {
                "@id": f"{base}/data/{name}.{form}",
                "@type": "dcat:Distribution",
                "dct:title": f"{name}.{form}",
                "dcat:accessURL": {"@id": f"{base}/data"},
                "dcat:downloadURL": {"@id": f"{base}/data/{name}.{form}"},
                "dcat:mediaType": {"@id": f"{IANA}{media_type}"},
                "dct:format": {"@id": f"{EU_FILE_TYPE}{form.upper()}"},
                "dct:license": licence,
                "dct:modified": _moment(modified[name]),
            }
            for form, media_type in MEDIA_TYPES.items()
        ]
        datasets.append(
            {
                "@id": f"{base}/data#{name}",
                "@type": "dcat:Dataset",
                "dct:identifier": name,
                "dct:title": _texts(f"data_{name}"),
                "dct:description": _texts(f"data_{name}_about"),
                "dct:publisher": publisher,
                "dct:license": licence,
                "dct:modified": _moment(modified[name]),
                "dct:language": [{"@id": f"{EU_LANGUAGE}KAT"}, {"@id": f"{EU_LANGUAGE}ENG"}],
                "dct:accrualPeriodicity": {"@id": EU_FREQUENCY},
                "dcat:theme": {"@id": EU_THEME},
                "dcat:landingPage": {"@id": f"{base}/data"},
                "dcat:keyword": _texts("calendar" if name == "events" else name),
                "dcat:distribution": distributions,
            }
        )
    newest = max((moment for moment in modified.values() if moment), default=None)
    return {
        "@context": CONTEXT,
        "@id": f"{base}/data/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _texts("open_data"),
        "dct:description": _texts("data_intro"),
        "dct:publisher": publisher,
        "dct:license": licence,
        "dct:modified": _moment(newest),
        "dct:language": [{"@id": f"{EU_LANGUAGE}KAT"}, {"@id": f"{EU_LANGUAGE}ENG"}],
        "foaf:homepage": {"@id": f"{base}/"},
        "dcat:dataset": datasets,
    }


@router.get("/data", response_class=HTMLResponse, include_in_schema=False)
@router.get("/en/data", response_class=HTMLResponse, include_in_schema=False)
async def data_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The open data for people: each set, its formats, what it holds and its licence."""
    async with runtime.db().session() as session:
        modified = {name: await dataset.modified(session) for name, dataset in DATASETS.items()}
    return await render(
        request,
        runtime,
        "data.html",
        datasets=DATASETS,
        modified=modified,
        licence=LICENCE,
    )
