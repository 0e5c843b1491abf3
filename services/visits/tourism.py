"""Tourism statistics, priorities and proposals.

The department collects monthly figures for the municipality's tourism strategy: the
metrics are the settings' (`tourism_metrics`: visitors, overnight stays, events
attendance…), each by place and, where known, by the visitors' country. Staff enter a
figure at a time or import a CSV file (`month,place,country,metric,value`); a file is
checked line by line and imported whole or not at all, with every error named by its line.
The figures are summed by month, place and country, year over year, drawn as charts
(pygal, SVG), exported as CSV and summarised for a year as a PDF the department attaches to
its programme proposals.

Proposals serve the tourism priorities the department sets, cite the statistics they rest
on, and, when they seek outside funding, are linked to (or start) a project in the
international projects pipeline.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meria import municipality
from meria.auth import User
from meria.bus import Outbox
from meria.contracts import (
    LocalizedText,
    ProposalCreated,
    ProposalStatusChanged,
    TourismStatisticsImported,
)
from meria.db import Database
from meria.inputs import Count, Id, Month
from meria.problems import Problem
from services.visits.models import (
    Project,
    TourismFigure,
    TourismImport,
    TourismPriority,
    TourismProposal,
)
from services.visits.schemas import MAX_AMOUNT, _territories

COLUMNS = ("month", "place", "country", "metric", "value")
MAX_ROWS = 20_000
PROPOSAL_STATUSES: dict[str, tuple[str, ...]] = {
    "idea": ("drafted", "withdrawn"),
    "drafted": ("submitted", "withdrawn"),
    "submitted": ("approved", "rejected"),
    "approved": ("implemented",),
    "rejected": (),
    "implemented": (),
    "withdrawn": (),
}
FUNDING = ("municipal_budget", "state_budget", "donor", "private", "mixed")
OUTSIDE = ("donor", "mixed")


def now() -> datetime:
    return datetime.now(UTC)


class FigureIn(BaseModel):
    month: Month = Field(examples=["2026-07"])
    place: str = Field(min_length=2, max_length=200)
    country: str = Field("", pattern=r"^([A-Z]{2})?$", description="ISO 3166; empty: all")
    metric: str = Field(min_length=1, max_length=60)
    value: int = Field(ge=0, le=10_000_000)


class FigurePublic(FigureIn):
    id: int
    import_id: int | None
    entered_by: str
    entered_at: datetime


class LineError(BaseModel):
    line: int
    field: str
    message: str


class ImportPublic(BaseModel):
    id: int
    filename: str
    sha256: str
    rows: int
    months: list[str]
    imported_by: str
    imported_at: datetime


class Series(BaseModel):
    key: str
    label: str
    values: dict[str, int]


class Summary(BaseModel):
    """A year's figures for one metric: by month (this year and the last), by place and by
    the visitors' country, and the totals."""

    year: int
    metric: str
    metric_label: str
    by_month: dict[str, int]
    previous_by_month: dict[str, int]
    by_place: dict[str, int]
    by_country: dict[str, int]
    total: int
    previous_total: int
    change_percent: float | None


# Figures.


def check_metric(metric: str, metrics: dict[str, str]) -> None:
    if metric not in metrics:
        raise Problem(
            422,
            "Unknown metric",
            f"{metric!r} is not one of the metrics: {', '.join(metrics)}.",
            errors=[{"field": "metric", "message": f"one of {', '.join(metrics)}"}],
        )


def _known_country(code: str) -> bool:
    return code == "" or code in _territories()


async def _upsert(
    session: AsyncSession, figure: FigureIn, user: User, import_id: int | None
) -> TourismFigure:
    found = await session.scalar(
        select(TourismFigure).where(
            TourismFigure.month == figure.month,
            TourismFigure.place == figure.place,
            TourismFigure.country == figure.country,
            TourismFigure.metric == figure.metric,
        )
    )
    if found is None:
        found = TourismFigure(**figure.model_dump())
        session.add(found)
    found.value = figure.value
    found.import_id = import_id
    found.entered_by, found.entered_at = user.id, now()
    return found


async def enter(
    database: Database, figure: FigureIn, metrics: dict[str, str], user: User
) -> TourismFigure:
    """One figure typed by staff; a figure for the same month, place, country and metric
    is replaced."""
    check_metric(figure.metric, metrics)
    if not _known_country(figure.country):
        raise Problem(422, "Unknown country", f"{figure.country!r} is not an ISO 3166 code.")
    async with database.transaction() as session:
        found = await _upsert(session, figure, user, None)
    return found


def parse(content: bytes, metrics: dict[str, str]) -> tuple[list[FigureIn], list[LineError]]:
    """Every line of a CSV file checked; the figures, or the errors by line."""
    errors: list[LineError] = []
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [LineError(line=1, field="file", message="The file is not UTF-8 text.")]
    # newline="": the csv module reads the line ends itself, a lone CR among them.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        message = f"The first line names the columns {', '.join(COLUMNS)}; missing: " + ", ".join(
            missing
        )
        return [], [LineError(line=1, field="header", message=message)]
    figures: list[FigureIn] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    try:
        rows = list(itertools.islice(reader, MAX_ROWS + 1))
    except csv.Error as error:
        return [], [LineError(line=reader.line_num, field="file", message=f"Not CSV: {error}.")]
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            errors.append(
                LineError(line=number, field="file", message=f"At most {MAX_ROWS} lines.")
            )
            break
        values = {key.strip(): (value or "").strip() for key, value in row.items() if key}
        if not any(values.values()):
            continue  # an empty line
        line_errors: list[LineError] = []

        def bad(
            field: str, message: str, number: int = number, found: list[LineError] = line_errors
        ) -> None:
            found.append(LineError(line=number, field=field, message=message))

        month, place = values.get("month", ""), values.get("place", "")
        country, metric = values.get("country", "").upper(), values.get("metric", "")
        value = values.get("value", "").replace(" ", "")
        try:
            year, month_number = (int(part) for part in month.split("-"))
            if not (1990 <= year <= 2200 and 1 <= month_number <= 12) or len(month) != 7:
                raise ValueError
        except ValueError:
            bad("month", f"{month!r} is not a month like 2026-07.")
        if not 2 <= len(place) <= 200:
            bad("place", "The place is missing." if len(place) < 2 else "The place is too long.")
        if not _known_country(country):
            bad("country", f"{country!r} is not an ISO 3166 country code (GE, PL, …) or empty.")
        if metric not in metrics:
            bad("metric", f"{metric!r} is not one of: {', '.join(metrics)}.")
        if not re.fullmatch(r"[0-9]{1,8}", value) or int(value) > 10_000_000:
            bad("value", f"{value!r} is not a whole number of people.")
        if line_errors:
            errors.extend(line_errors)
            continue
        key = (month, place, country, metric)
        if key in seen:
            errors.append(
                LineError(
                    line=number, field="file", message=f"The same figure as line {seen[key]}."
                )
            )
            continue
        seen[key] = number
        figures.append(FigureIn(month=month, place=place, country=country, metric=metric,
                                value=int(value)))  # fmt: skip
    if not figures and not errors:
        errors.append(LineError(line=2, field="file", message="The file has no figures."))
    return figures, errors


async def import_file(
    database: Database,
    outbox: Outbox,
    filename: str,
    content: bytes,
    metrics: dict[str, str],
    user: User,
) -> TourismImport:
    figures, errors = parse(content, metrics)
    if errors:
        raise Problem(
            422,
            "The file has errors",
            f"{len(errors)} errors; nothing was imported. Correct the lines and import again.",
            errors=[error.model_dump() for error in errors],
        )
    async with database.transaction() as session:
        record = TourismImport(
            filename=filename[:300],
            sha256=hashlib.sha256(content).hexdigest(),
            rows=len(figures),
            imported_by=user.id,
            imported_at=now(),
        )
        session.add(record)
        await session.flush()
        for figure in figures:
            await _upsert(session, figure, user, record.id)
        await outbox.add(
            session,
            TourismStatisticsImported(
                import_id=record.id,
                filename=record.filename,
                rows=record.rows,
                months=sorted({f.month for f in figures}),
                metrics=sorted({f.metric for f in figures}),
                imported_by=user.id,
            ),
            about=f"tourism_import:{record.id}",
        )
    return record


async def figures(
    database: Database,
    *,
    year: int | None = None,
    metric: str | None = None,
    place: str | None = None,
    country: str | None = None,
) -> list[TourismFigure]:
    query = select(TourismFigure).order_by(
        TourismFigure.month, TourismFigure.place, TourismFigure.country, TourismFigure.metric
    )
    if year:
        query = query.where(TourismFigure.month.like(f"{year}-%"))
    if metric:
        query = query.where(TourismFigure.metric == metric)
    if place:
        query = query.where(TourismFigure.place == place)
    if country is not None:
        query = query.where(TourismFigure.country == country)
    async with database.session() as session:
        return list(await session.scalars(query))


def as_csv(found: list[TourismFigure]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for figure in found:
        writer.writerow([figure.month, figure.place, figure.country, figure.metric, figure.value])
    return out.getvalue()


def _totals(found: list[TourismFigure]) -> dict[str, int]:
    """By month: the figures for all countries where given ("" rows), else the sum of the
    countries', per place."""
    by: dict[str, int] = defaultdict(int)
    for month, place in {(f.month, f.place) for f in found}:
        rows = [f for f in found if f.month == month and f.place == place]
        overall = [f.value for f in rows if f.country == ""]
        by[month] += overall[0] if overall else sum(f.value for f in rows)
    return dict(sorted(by.items()))


async def summary(database: Database, year: int, metric: str, metrics: dict[str, str]) -> Summary:
    check_metric(metric, metrics)
    this_year = await figures(database, year=year, metric=metric)
    last_year = await figures(database, year=year - 1, metric=metric)
    by_month = _totals(this_year)
    previous = {f"{year}-{month[5:]}": value for month, value in _totals(last_year).items()}
    by_place: dict[str, int] = defaultdict(int)
    for place in {f.place for f in this_year}:
        by_place[place] = sum(_totals([f for f in this_year if f.place == place]).values())
    by_country: dict[str, int] = defaultdict(int)
    for figure in this_year:
        if figure.country:
            by_country[figure.country] += figure.value
    total, previous_total = sum(by_month.values()), sum(previous.values())
    change = round((total - previous_total) * 100 / previous_total, 1) if previous_total else None
    return Summary(
        year=year,
        metric=metric,
        metric_label=metrics[metric],
        by_month=by_month,
        previous_by_month=previous,
        by_place=dict(sorted(by_place.items(), key=lambda pair: -pair[1])),
        by_country=dict(sorted(by_country.items(), key=lambda pair: -pair[1])),
        total=total,
        previous_total=previous_total,
        change_percent=change,
    )


def chart(found: Summary, kind: str) -> str:
    """An SVG chart of the summary: by month year over year, by place, or by country."""
    import pygal  # type: ignore[import-untyped]
    from pygal.style import Style  # type: ignore[import-untyped]

    style = Style(
        font_family="'Noto Sans Georgian', 'Noto Sans', sans-serif",
        background="white",
        plot_background="white",
        colors=("#0b4f8a", "#b1b4b6", "#00703c", "#d4351c"),
    )
    if kind == "month":
        graph = pygal.Bar(style=style, width=800, height=360, legend_at_bottom=True)
        graph.title = f"{found.metric_label}: {found.year} / {found.year - 1}"
        months = [f"{found.year}-{number:02d}" for number in range(1, 13)]
        graph.x_labels = [month[5:] for month in months]
        graph.add(str(found.year), [found.by_month.get(month) for month in months])
        graph.add(str(found.year - 1), [found.previous_by_month.get(month) for month in months])
    else:
        values = found.by_place if kind == "place" else found.by_country
        graph = pygal.HorizontalBar(style=style, width=800, height=360, show_legend=False)
        graph.title = f"{found.metric_label}, {found.year}"
        shown = list(values.items())[:15]
        graph.x_labels = [name for name, _value in shown]
        graph.add(found.metric_label, [value for _name, value in shown])
    return str(graph.render(is_unicode=True))


# Raised when the summary's layout changes, so no summary made before is served again.
SUMMARY_LAYOUT = 1


def yearly_pdf(summaries: list[Summary], fonts: Path) -> bytes:
    """The year's figures on a page, for the department to attach to its proposals."""
    from fpdf import FPDF

    document = FPDF(format="A4", unit="mm")
    year = summaries[0].year if summaries else now().year
    document.set_title(f"ტურიზმის სტატისტიკა — {year}")
    document.add_font("georgian", "", str(fonts / "NotoSansGeorgian-Regular.ttf"))
    document.add_font("georgian", "B", str(fonts / "NotoSansGeorgian-Bold.ttf"))
    document.add_font("latin", "", str(fonts / "NotoSans-Regular.ttf"))
    document.set_fallback_fonts(["latin"], exact_match=False)
    document.add_page()
    document.set_font("georgian", "B", 16)
    heading = f"{municipality.current().municipality('ka')}: ტურიზმის სტატისტიკა, {year}"
    document.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
    for found in summaries:
        document.ln(3)
        document.set_font("georgian", "B", 12)
        change = f" ({found.change_percent:+.1f}%)" if found.change_percent is not None else ""
        document.multi_cell(
            0, 7, f"{found.metric_label}: {found.total:,}{change}".replace(",", " "),
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        document.set_font("georgian", "", 9)
        with document.table(
            col_widths=(30, 35, 35), text_align=("LEFT", "RIGHT", "RIGHT")
        ) as table:
            table.row(["თვე", str(found.year), str(found.year - 1)])
            for number in range(1, 13):
                month = f"{found.year}-{number:02d}"
                table.row([month, str(found.by_month.get(month, "—")),
                           str(found.previous_by_month.get(month, "—"))])  # fmt: skip
        if found.by_place:
            places = ", ".join(f"{name}: {value}" for name, value in found.by_place.items())
            document.multi_cell(
                0, 5, f"ადგილების მიხედვით — {places}", new_x="LMARGIN", new_y="NEXT"
            )
    return bytes(document.output())


# Priorities and proposals.


class PriorityIn(BaseModel):
    title_ka: str = Field(min_length=3, max_length=300)
    title_en: str | None = Field(None, max_length=300)
    description_ka: str | None = Field(None, max_length=5000)
    year_from: int = Field(ge=2000, le=2100)
    year_to: int = Field(ge=2000, le=2100)


class PriorityPublic(PriorityIn):
    id: int
    created_by: str
    created_at: datetime


class CitedFigure(BaseModel):
    metric: str
    year: int = Field(ge=1990, le=2200)
    place: str | None = None
    value: Count | None = Field(None, description="Filled in from the statistics")


class ProposalIn(BaseModel):
    priority_id: Id
    title_ka: str = Field(min_length=3, max_length=500)
    title_en: str | None = Field(None, max_length=500)
    summary_ka: str | None = Field(None, max_length=20_000)
    budget_gel: Decimal = Field(ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)
    funding_source: str = Field(pattern="^(" + "|".join(FUNDING) + ")$")
    statistics_cited: list[CitedFigure] = Field(default_factory=list, max_length=20)
    project_id: Id | None = Field(None, description="Its international project")
    start_project: bool = Field(
        False, description="Outside funding: start a project in the pipeline (stage idea)"
    )
    donor: str | None = Field(None, max_length=300, description="The donor, to start a project")


class ProposalPublic(BaseModel):
    id: int
    priority_id: int
    priority_title_ka: str
    title_ka: str
    title_en: str | None
    summary_ka: str | None
    budget_gel: Decimal
    funding_source: str
    status: str
    statistics_cited: list[CitedFigure]
    project_id: int | None
    allowed_statuses: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime


def proposal_view(proposal: TourismProposal) -> ProposalPublic:
    return ProposalPublic(
        id=proposal.id,
        priority_id=proposal.priority_id,
        priority_title_ka=proposal.priority.title_ka,
        title_ka=proposal.title_ka,
        title_en=proposal.title_en,
        summary_ka=proposal.summary_ka,
        budget_gel=proposal.budget_gel,
        funding_source=proposal.funding_source,
        status=proposal.status,
        statistics_cited=[CitedFigure(**item) for item in proposal.statistics_cited],
        project_id=proposal.project_id,
        allowed_statuses=list(PROPOSAL_STATUSES[proposal.status]),
        created_by=proposal.created_by,
        created_at=proposal.created_at,
        updated_at=proposal.updated_at,
    )


async def create_priority(database: Database, data: PriorityIn, user: User) -> TourismPriority:
    if data.year_to < data.year_from:
        raise Problem(422, "Years", "year_to: the priority ends after it begins.")
    async with database.transaction() as session:
        priority = TourismPriority(**data.model_dump(), created_by=user.id, created_at=now())
        session.add(priority)
    return priority


async def priorities(database: Database) -> list[TourismPriority]:
    async with database.session() as session:
        return list(
            await session.scalars(select(TourismPriority).order_by(TourismPriority.year_from))
        )


def _event_facts(proposal: TourismProposal) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "priority_id": proposal.priority_id,
        "title": LocalizedText(ka=proposal.title_ka, en=proposal.title_en),
        "status": proposal.status,
        "budget_gel": proposal.budget_gel,
        "funding_source": proposal.funding_source,
        "project_id": proposal.project_id,
    }


async def _cite(
    session: AsyncSession, cited: list[CitedFigure], metrics: dict[str, str]
) -> list[dict[str, Any]]:
    """Each cited figure with its value from the statistics (a year's total)."""
    result = []
    for item in cited:
        check_metric(item.metric, metrics)
        query = select(TourismFigure).where(
            TourismFigure.metric == item.metric, TourismFigure.month.like(f"{item.year}-%")
        )
        if item.place:
            query = query.where(TourismFigure.place == item.place)
        found = list(await session.scalars(query))
        value = sum(_totals(found).values()) if found else None
        result.append(item.model_copy(update={"value": value}).model_dump())
    return result


async def create_proposal(
    database: Database, outbox: Outbox, data: ProposalIn, metrics: dict[str, str], user: User
) -> TourismProposal:
    moment = now()
    async with database.transaction() as session:
        if await session.get(TourismPriority, data.priority_id) is None:
            raise Problem(422, "No such priority", f"There is no priority {data.priority_id}.")
        project_id = data.project_id
        if project_id is not None and await session.get(Project, project_id) is None:
            raise Problem(422, "No such project", f"There is no project {project_id}.")
        if data.start_project and project_id is None:
            if data.funding_source not in OUTSIDE or not data.donor:
                raise Problem(
                    422,
                    "No outside funding",
                    "A project in the pipeline is started for a proposal funded by a donor "
                    "(funding_source donor or mixed), with the donor named.",
                )
            project = Project(
                title_ka=data.title_ka, title_en=data.title_en, donor=data.donor,
                amount=data.budget_gel, currency="GEL", stage="idea",
                summary_ka=data.summary_ka, partner_ids=[], created_by=user.id,
                created_at=moment, updated_at=moment,
            )  # fmt: skip
            session.add(project)
            await session.flush()
            project_id = project.id
        proposal = TourismProposal(
            priority_id=data.priority_id,
            title_ka=data.title_ka,
            title_en=data.title_en,
            summary_ka=data.summary_ka,
            budget_gel=data.budget_gel,
            funding_source=data.funding_source,
            status="idea",
            statistics_cited=await _cite(session, data.statistics_cited, metrics),
            project_id=project_id,
            created_by=user.id,
            created_at=moment,
            updated_at=moment,
        )
        session.add(proposal)
        await session.flush()
        await session.refresh(proposal, ["priority"])
        await outbox.add(
            session,
            ProposalCreated(**_event_facts(proposal), created_by=user.id),
            about=f"proposal:{proposal.id}",
        )
    return proposal


async def proposals(database: Database, priority_id: int | None = None) -> list[TourismProposal]:
    query = select(TourismProposal).order_by(TourismProposal.id.desc())
    if priority_id:
        query = query.where(TourismProposal.priority_id == priority_id)
    async with database.session() as session:
        return list(await session.scalars(query))


async def change_status(
    database: Database, outbox: Outbox, proposal_id: int, status: str, user: User
) -> TourismProposal:
    async with database.transaction() as session:
        proposal = await session.get(TourismProposal, proposal_id, with_for_update=True)
        if proposal is None:
            raise Problem(404, "No such proposal", f"There is no proposal {proposal_id}.")
        allowed = PROPOSAL_STATUSES[proposal.status]
        if status not in allowed:
            raise Problem(
                409,
                "Not from here",
                f"A proposal that is {proposal.status} cannot become {status}; "
                f"allowed: {', '.join(allowed) or 'nothing'}.",
                allowed=list(allowed),
            )
        previous, proposal.status, proposal.updated_at = proposal.status, status, now()
        await outbox.add(
            session,
            ProposalStatusChanged(
                **_event_facts(proposal), previous_status=previous, changed_by=user.id
            ),
            about=f"proposal:{proposal.id}",
        )
    return proposal
