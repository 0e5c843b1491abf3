"""The tourism statistics, priorities and proposals REST API (`/tourism/…`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import Response

from meria.inputs import Id
from meria.made import MadeFiles
from meria.problems import Problem
from meria.web import RuntimeDep
from services.visits import tourism
from services.visits.api import Protocol, Staff, outbox_of, settings_of
from services.visits.tourism import (
    FigureIn,
    FigurePublic,
    ImportPublic,
    PriorityIn,
    PriorityPublic,
    ProposalIn,
    ProposalPublic,
    Summary,
)

router = APIRouter(prefix="/tourism", tags=["tourism statistics and proposals"])
Year = Annotated[int, Query(ge=1990, le=2200)]
FONTS = Path("/usr/share/fonts/truetype/noto")
SUMMARIES = MadeFiles(tourism.yearly_pdf, size=16)


@router.get("/metrics", summary="The statistics' fields (from the settings): key → name")
async def metrics(_: Staff, runtime: RuntimeDep) -> dict[str, str]:
    return dict(settings_of(runtime).tourism_metrics)


@router.put("/figures", summary="Enter one monthly figure (replaces the same one)")
async def enter_figure(data: FigureIn, user: Protocol, runtime: RuntimeDep) -> FigurePublic:
    found = await tourism.enter(runtime.db(), data, settings_of(runtime).tourism_metrics, user)
    return FigurePublic.model_validate(found, from_attributes=True)


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    summary="Import a CSV file (month,place,country,metric,value): all lines or none",
    responses={422: {"description": "The errors, line by line; nothing was imported"}},
)
async def import_figures(file: UploadFile, user: Protocol, runtime: RuntimeDep) -> ImportPublic:
    content = await file.read(5_000_001)
    if len(content) > 5_000_000:
        raise Problem(413, "Too large", "A statistics file is at most 5 MB.")
    record = await tourism.import_file(
        runtime.db(), outbox_of(runtime), file.filename or "figures.csv", content,
        settings_of(runtime).tourism_metrics, user,
    )  # fmt: skip
    found = await tourism.figures(runtime.db())
    months = sorted({f.month for f in found if f.import_id == record.id})
    return ImportPublic(
        id=record.id, filename=record.filename, sha256=record.sha256, rows=record.rows,
        months=months, imported_by=record.imported_by, imported_at=record.imported_at,
    )  # fmt: skip


@router.get("/figures", summary="The figures, by month, place, country and metric")
async def list_figures(
    _: Staff,
    runtime: RuntimeDep,
    year: Year | None = None,
    metric: Annotated[str | None, Query(max_length=60)] = None,
    place: Annotated[str | None, Query(max_length=200)] = None,
) -> list[FigurePublic]:
    found = await tourism.figures(runtime.db(), year=year, metric=metric, place=place)
    return [FigurePublic.model_validate(f, from_attributes=True) for f in found]


@router.get(
    "/figures.csv",
    summary="The figures as CSV (the import's columns)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_figures(_: Staff, runtime: RuntimeDep, year: Year | None = None) -> Response:
    found = await tourism.figures(runtime.db(), year=year)
    name = f"tourism-{year or 'all'}.csv"
    return Response(
        await asyncio.to_thread(tourism.as_csv, found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/summary", summary="A year's figures for a metric, year over year")
async def summary(
    _: Staff, runtime: RuntimeDep, year: Year, metric: Annotated[str, Query(max_length=60)]
) -> Summary:
    return await tourism.summary(runtime.db(), year, metric, settings_of(runtime).tourism_metrics)


@router.get(
    "/chart.svg",
    summary="A chart: by month year over year, by place or by country",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def chart(
    _: Staff,
    runtime: RuntimeDep,
    year: Year,
    metric: Annotated[str, Query(max_length=60)],
    by: Literal["month", "place", "country"] = "month",
) -> Response:
    found = await tourism.summary(runtime.db(), year, metric, settings_of(runtime).tourism_metrics)
    # Charts and PDFs are drawn in a thread: the libraries take a while, off the loop.
    return Response(await asyncio.to_thread(tourism.chart, found, by), media_type="image/svg+xml")


@router.get(
    "/summary/{year}.pdf",
    summary="The year's statistics on a page, to attach to a proposal",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def yearly_summary(
    year: Annotated[int, PathParam(ge=1990, le=2200)],
    _: Staff,
    request: Request,
    runtime: RuntimeDep,
) -> Response:
    metrics = settings_of(runtime).tourism_metrics
    summaries = [await tourism.summary(runtime.db(), year, key, metrics) for key in metrics]
    # Made in a thread, and made again only when a figure (or the layout) changes.
    inputs = {"layout": tourism.SUMMARY_LAYOUT, "year": year, "fonts": str(FONTS),
              "summaries": [item.model_dump(mode="json") for item in summaries]}  # fmt: skip
    return await SUMMARIES.response(
        request, inputs, summaries, FONTS, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="tourism-{year}.pdf"'},
    )  # fmt: skip


@router.post("/priorities", status_code=status.HTTP_201_CREATED, summary="Set a priority")
async def create_priority(data: PriorityIn, user: Protocol, runtime: RuntimeDep) -> PriorityPublic:
    found = await tourism.create_priority(runtime.db(), data, user)
    return PriorityPublic.model_validate(found, from_attributes=True)


@router.get("/priorities", summary="The tourism priorities")
async def list_priorities(_: Staff, runtime: RuntimeDep) -> list[PriorityPublic]:
    found = await tourism.priorities(runtime.db())
    return [PriorityPublic.model_validate(p, from_attributes=True) for p in found]


@router.post(
    "/proposals",
    status_code=status.HTTP_201_CREATED,
    summary="Register a proposal (and, for outside funding, link or start its project)",
)
async def create_proposal(data: ProposalIn, user: Protocol, runtime: RuntimeDep) -> ProposalPublic:
    found = await tourism.create_proposal(
        runtime.db(), outbox_of(runtime), data, settings_of(runtime).tourism_metrics, user
    )
    return tourism.proposal_view(found)


@router.get("/proposals", summary="The proposals, newest first")
async def list_proposals(
    _: Staff, runtime: RuntimeDep, priority_id: Id | None = None
) -> list[ProposalPublic]:
    return [tourism.proposal_view(p) for p in await tourism.proposals(runtime.db(), priority_id)]


@router.post("/proposals/{proposal_id}/status", summary="Move a proposal on")
async def change_status(
    proposal_id: Id,
    user: Protocol,
    runtime: RuntimeDep,
    to: Annotated[str, Query(max_length=20)],
) -> ProposalPublic:
    found = await tourism.change_status(runtime.db(), outbox_of(runtime), proposal_id, to, user)
    async with runtime.db().session() as session:
        from services.visits.models import TourismProposal

        fresh = await session.get(TourismProposal, found.id)
        assert fresh is not None
        return tourism.proposal_view(fresh)
