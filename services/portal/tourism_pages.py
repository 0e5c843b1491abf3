"""Tourism statistics in the portal: the dashboard (a year and a metric, by month year over
year, by place and by country, as charts with their tables), the CSV import with its
line-by-line report, a figure typed by hand, the CSV export and the yearly summary; and
the register of tourism priorities and the proposals that serve them.

The visits service keeps the figures and draws the charts; these pages are its API with a
face. A refused import shows every error by its line and imports nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from meria.inputs import Id
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, services_of
from services.portal.forms import text
from services.portal.i18n import N_, TBILISI, _
from services.portal.labels import labels
from services.portal.visits_pages import country_name
from services.portal.web import CheckedForm, Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

KEEPERS = ("protocol_officer", "head_of_department")
FUNDING = {
    "municipal_budget": N_("Municipal budget"),
    "state_budget": N_("State budget"),
    "donor": N_("Donor"),
    "private": N_("Private"),
    "mixed": N_("Mixed"),
}
PROPOSAL_STATES = {
    "idea": N_("Idea"),
    "drafted": N_("Drafted"),
    "submitted": N_("Submitted"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "implemented": N_("Implemented"),
    "withdrawn": N_("Withdrawn"),
}


def _year(value: str) -> int:
    return (
        int(value) if value.isdigit() and 1990 <= int(value) <= 2200 else datetime.now(TBILISI).year
    )


async def dashboard_page(
    request: Request,
    signed: Signed,
    *,
    year: int,
    metric: str,
    report: list[dict[str, Any]] | None = None,
    form_error: str = "",
    status_code: int = 200,
) -> Response:
    services = services_of(runtime_of(request))
    metrics: dict[str, str] = await services.get(signed.user, "visits", "/tourism/metrics")
    metric = metric if metric in metrics else next(iter(metrics))
    summary = await services.get(
        signed.user, "visits", "/tourism/summary", params={"year": year, "metric": metric}
    )
    return await render(
        request,
        "tourism/dashboard.html",
        status_code=status_code,
        metrics=metrics,
        metric=metric,
        year=year,
        summary=summary,
        months=[f"{year}-{number:02d}" for number in range(1, 13)],
        report=report,
        form_error=form_error,
        done=request.query_params.get("done", ""),
        may_keep=signed.user.has_any(*KEEPERS),
        country_name=country_name,
    )


@router.get("/tourism")
async def dashboard(request: Request, signed: Staff, year: str = "", metric: str = "") -> Response:
    return await dashboard_page(request, signed, year=_year(year), metric=metric)


async def _proxy(request: Request, signed: Signed, path: str, params: dict[str, Any]) -> Response:
    services = services_of(runtime_of(request))
    found = await services.http.get(
        services.url("visits", path), params=params, headers=services.headers(signed.user)
    )
    headers = {}
    if "content-disposition" in found.headers:
        headers["Content-Disposition"] = found.headers["content-disposition"]
    return Response(
        found.content,
        status_code=found.status_code,
        media_type=found.headers.get("content-type", "application/octet-stream"),
        headers=headers,
    )


@router.get("/tourism/chart.svg")
async def chart(
    request: Request, signed: Staff, year: str = "", metric: str = "", by: str = "month"
) -> Response:
    params = {
        "year": _year(year),
        "metric": metric,
        "by": by if by in ("place", "country") else "month",
    }
    return await _proxy(request, signed, "/tourism/chart.svg", params)


@router.get("/tourism/figures.csv")
async def export(request: Request, signed: Staff, year: str = "") -> Response:
    return await _proxy(request, signed, "/tourism/figures.csv", {"year": _year(year)})


@router.get("/tourism/summary/{year}.pdf")
async def yearly(
    request: Request, signed: Staff, year: Annotated[int, PathParam(ge=1990, le=2200)]
) -> Response:
    return await _proxy(request, signed, f"/tourism/summary/{_year(str(year))}.pdf", {})


@router.post("/tourism/import")
async def import_figures(request: Request, signed: Staff, form: CheckedForm) -> Response:
    year, metric = _year(text(form, "year")), text(form, "metric")
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await dashboard_page(
            request, signed, year=year, metric=metric, status_code=422,
            form_error=_("Choose the CSV file to import."),
        )  # fmt: skip
    content = await upload.read()
    try:
        imported = await services_of(runtime_of(request)).post(
            signed.user, "visits", "/tourism/imports",
            files={"file": (upload.filename, content, "text/csv")},
        )  # fmt: skip
    except ServiceRefused as refused:
        return await dashboard_page(
            request, signed, year=year, metric=metric, status_code=refused.status,
            report=list(refused.body.get("errors") or []) or None,
            form_error=refused.detail or refused.title,
        )  # fmt: skip
    return redirect(f"/tourism?year={year}&metric={metric}&done=imported-{imported['rows']}")


@router.post("/tourism/figure")
async def enter_figure(request: Request, signed: Staff) -> Response:
    form = await request.form()
    year, metric = _year(text(form, "year")), text(form, "metric")
    value = text(form, "value").replace(" ", "")
    body = {
        "month": text(form, "month"),
        "place": text(form, "place"),
        "country": text(form, "country").upper(),
        "metric": text(form, "figure_metric"),
        "value": int(value) if value.isdigit() else -1,
    }
    try:
        await services_of(runtime_of(request)).call(
            signed.user, "PUT", "visits", "/tourism/figures", json=body
        )
    except ServiceRefused as refused:
        named = refused.field_errors
        return await dashboard_page(
            request, signed, year=year, metric=metric, status_code=refused.status,
            form_error="; ".join(f"{k}: {v}" for k, v in named.items()) or refused.detail,
        )  # fmt: skip
    return redirect(f"/tourism?year={year}&metric={metric}&done=entered")


# Priorities and proposals.


async def proposals_page(
    request: Request, signed: Signed, *, form_error: str = "", status_code: int = 200
) -> Response:
    services = services_of(runtime_of(request))
    return await render(
        request,
        "tourism/proposals.html",
        status_code=status_code,
        priorities=await services.get(signed.user, "visits", "/tourism/priorities"),
        proposals=await services.get(signed.user, "visits", "/tourism/proposals"),
        metrics=await services.get(signed.user, "visits", "/tourism/metrics"),
        funding=labels(FUNDING),
        proposal_states=labels(PROPOSAL_STATES),
        form_error=form_error,
        done=request.query_params.get("done", ""),
        may_keep=signed.user.has_any(*KEEPERS),
        year=datetime.now(TBILISI).year,
    )


@router.get("/tourism/proposals")
async def proposals(request: Request, signed: Staff) -> Response:
    return await proposals_page(request, signed)


async def _post(request: Request, signed: Signed, path: str, done: str, **kwargs: Any) -> Response:
    try:
        await services_of(runtime_of(request)).post(signed.user, "visits", path, **kwargs)
    except ServiceRefused as refused:
        named = refused.field_errors
        detail = "; ".join(f"{k}: {v}" for k, v in named.items()) or refused.detail
        return await proposals_page(
            request, signed, form_error=detail or refused.title, status_code=refused.status
        )
    return redirect(f"/tourism/proposals?done={done}")


@router.post("/tourism/priorities")
async def add_priority(request: Request, signed: Staff) -> Response:
    form = await request.form()
    years = [text(form, "year_from"), text(form, "year_to")]
    if not all(value.isdigit() for value in years):
        return await proposals_page(
            request, signed, status_code=422, form_error=_("Give the years as numbers: 2026.")
        )
    body = {
        "title_ka": text(form, "title_ka"),
        "title_en": text(form, "title_en") or None,
        "description_ka": text(form, "description_ka") or None,
        "year_from": int(years[0]),
        "year_to": int(years[1]),
    }
    return await _post(request, signed, "/tourism/priorities", "priority", json=body)


@router.post("/tourism/proposals")
async def add_proposal(request: Request, signed: Staff) -> Response:
    form = await request.form()
    priority = text(form, "priority_id")
    budget = text(form, "budget_gel").replace(" ", "").replace(",", ".")
    if not priority.isdigit():
        return await proposals_page(
            request, signed, status_code=422, form_error=_("Choose the priority it serves.")
        )
    body: dict[str, Any] = {
        "priority_id": int(priority),
        "title_ka": text(form, "title_ka"),
        "title_en": text(form, "title_en") or None,
        "summary_ka": text(form, "summary_ka") or None,
        "budget_gel": budget or "0",
        "funding_source": text(form, "funding_source"),
        "start_project": bool(form.get("start_project")),
        "donor": text(form, "donor") or None,
    }
    cited_year = text(form, "cited_year")
    if text(form, "cited_metric") and cited_year.isdigit():
        body["statistics_cited"] = [
            {"metric": text(form, "cited_metric"), "year": int(cited_year),
             "place": text(form, "cited_place") or None}
        ]  # fmt: skip
    return await _post(request, signed, "/tourism/proposals", "proposal", json=body)


@router.post("/tourism/proposals/{proposal_id}/status")
async def move_proposal(request: Request, signed: Staff, proposal_id: Id) -> Response:
    to = text(await request.form(), "to")
    return await _post(
        request, signed, f"/tourism/proposals/{proposal_id}/status", "moved", params={"to": to}
    )
