"""Tourism statistics, priorities and proposals over real HTTP on the visits service: a CSV
file with errors is refused with every error by its line and imports nothing; a good one
is imported whole (its event on the bus) and summed by month, place and country, year over
year; a figure typed by hand replaces the same one; the figures go out as CSV, charts and
a yearly PDF with the Georgian text; a proposal cites the statistics and, seeking outside
funding, starts a project in the international projects pipeline."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from lxml import etree
from pypdf import PdfReader

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, running_stack
from tests.support.visits import VisitsDesk, visit_events

pytestmark = pytest.mark.database

GOOD = (
    "month,place,country,metric,value\n"
    "2025-07,ომალო,,visitors,5200\n"
    "2026-07,ომალო,,visitors,6800\n"
    "2026-07,ომალო,PL,visitors,900\n"
    "2026-07,ომალო,DE,visitors,700\n"
    "2026-08,ომალო,,visitors,8500\n"
    "2026-08,ალავერდი,,visitors,4100\n"
    "2026-08,ალავერდი,,overnight_stays,1200\n"
).encode()
BAD = (
    "month,place,country,metric,value\n"
    "2026-07,ომალო,,visitors,6800\n"
    "2026-13,ომალო,,visitors,10\n"
    "2026-08,ომალო,XX,tourists,-5\n"
    "2026-07,ომალო,,visitors,6800\n"
).encode()


@pytest.fixture
async def desk(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[Stack, VisitsDesk, VisitsDesk]]:
    async with (
        running_stack(
            ["visits"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield (
            stack,
            VisitsDesk(stack, http, "mariam.chokheli", "protocol_officer"),
            VisitsDesk(stack, http, "nino.beridze", "editor"),
        )


async def test_figures_are_imported_whole_or_not_at_all_and_summed_year_over_year(
    desk: tuple[Stack, VisitsDesk, VisitsDesk],
) -> None:
    stack, officer, editor = desk
    assert (await officer.ok("GET", "/tourism/metrics"))["visitors"] == "ვიზიტორები"

    # A file with errors: each named by its line and field; nothing imported.
    refused = await officer.call(
        "POST", "/tourism/imports", files={"file": ("ივლისი.csv", BAD, "text/csv")}
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "nothing was imported" in problem["detail"]
    assert [(e["line"], e["field"]) for e in problem["errors"]] == [
        (3, "month"), (4, "country"), (4, "metric"), (4, "value"), (5, "file"),
    ]  # fmt: skip
    assert "The same figure as line 2." in problem["errors"][-1]["message"]
    assert await officer.ok("GET", "/tourism/figures") == []
    no_header = await officer.call(
        "POST", "/tourism/imports", files={"file": ("a.csv", b"month;place\n2026-07;x\n")}
    )
    assert no_header.status_code == 422 and no_header.json()["errors"][0]["field"] == "header"
    # A carriage return inside a field, a digit that is not 0-9, a place of 300 letters and
    # a field past the CSV limit are errors of the file, not of the server (each was a 500).
    header = b"month,place,country,metric,value\n"
    for line, field in (
        (b"2026-07,Oma\rlo,GE,visitors,5\n", "metric"),
        ("2026-07,ომალო,GE,visitors,²\n".encode(), "value"),
        (b"2026-07," + b"O" * 300 + b",GE,visitors,5\n", "place"),
        (b'2026-07,"' + b"O" * 200_000 + b'",GE,visitors,5\n', "file"),
    ):
        odd = await officer.call(
            "POST", "/tourism/imports", files={"file": ("a.csv", header + line)}
        )
        assert odd.status_code == 422, odd.text
        assert field in {error["field"] for error in odd.json()["errors"]}
    forbidden = await editor.call("POST", "/tourism/imports", files={"file": ("a.csv", GOOD)})
    assert forbidden.status_code == 403

    imported = await officer.ok(
        "POST", "/tourism/imports", files={"file": ("2026.csv", GOOD, "text/csv")}
    )
    assert imported["rows"] == 7 and imported["months"] == ["2025-07", "2026-07", "2026-08"]
    events = [e for e in await visit_events(stack) if ".tourism_statistics." in e["type"]]
    assert events[-1]["data"]["rows"] == 7 and events[-1]["data"]["metrics"] == [
        "overnight_stays", "visitors",
    ]  # fmt: skip

    # A figure typed by hand replaces the same one.
    await officer.ok(
        "PUT", "/tourism/figures",
        json={"month": "2026-08", "place": "ალავერდი", "metric": "visitors", "value": 4300},
    )  # fmt: skip
    bad_metric = await officer.call(
        "PUT", "/tourism/figures",
        json={"month": "2026-08", "place": "ალავერდი", "metric": "tourists", "value": 1},
    )  # fmt: skip
    assert bad_metric.status_code == 422

    summary = await editor.ok(
        "GET", "/tourism/summary", params={"year": 2026, "metric": "visitors"}
    )
    # Omalo's July is its all-countries figure, not the sum of the countries'.
    assert summary["by_month"] == {"2026-07": 6800, "2026-08": 12800}
    assert summary["previous_by_month"] == {"2026-07": 5200}
    assert summary["by_place"] == {"ომალო": 15300, "ალავერდი": 4300}
    assert summary["by_country"] == {"PL": 900, "DE": 700}
    assert summary["total"] == 19600 and summary["change_percent"] == 276.9

    exported = await editor.call("GET", "/tourism/figures.csv", params={"year": 2026})
    assert exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.strip().splitlines()
    assert lines[0] == "month,place,country,metric,value" and len(lines) == 7
    assert "2026-08,ალავერდი,,visitors,4300" in lines

    chart = await editor.call(
        "GET", "/tourism/chart.svg", params={"year": 2026, "metric": "visitors", "by": "place"}
    )
    assert chart.headers["content-type"].startswith("image/svg+xml")
    svg = etree.fromstring(chart.content)
    texts = " ".join(svg.itertext())
    assert "ომალო" in texts and "ვიზიტორები, 2026" in texts

    pdf = await editor.call("GET", "/tourism/summary/2026.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "ტურიზმის სტატისტიკა, 2026" in " ".join(text.split())
    assert "ვიზიტორები" in text and "19600" in text.replace(" ", "")
    # Asked again it is the very same file; once a figure changes, it is made again.
    same = await editor.call("GET", "/tourism/summary/2026.pdf")
    assert same.content == pdf.content and same.headers["etag"] == pdf.headers["etag"]
    await officer.ok(
        "PUT", "/tourism/figures",
        json={"month": "2026-08", "place": "ალავერდი", "metric": "visitors", "value": 4400},
    )  # fmt: skip
    changed = await editor.call("GET", "/tourism/summary/2026.pdf")
    assert changed.headers["etag"] != pdf.headers["etag"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(changed.content)).pages)
    assert "19700" in text.replace(" ", "")


async def test_a_proposal_cites_the_statistics_and_starts_its_project(
    desk: tuple[Stack, VisitsDesk, VisitsDesk],
) -> None:
    stack, officer, editor = desk
    await officer.ok("POST", "/tourism/imports", files={"file": ("2026.csv", GOOD)})
    priority = await officer.ok(
        "POST", "/tourism/priorities",
        json={"title_ka": "თუშეთის მთის ტურიზმის სეზონის გახანგრძლივება", "year_from": 2026,
              "year_to": 2028},
    )  # fmt: skip
    bad = await officer.call(
        "POST", "/tourism/proposals",
        json={"priority_id": priority["id"], "title_ka": "ომალოს ტურისტული ბილიკები",
              "budget_gel": "250000", "funding_source": "municipal_budget",
              "start_project": True},
    )  # fmt: skip
    assert bad.status_code == 422
    assert await officer.ok("GET", "/projects") == []

    proposal = await officer.ok(
        "POST", "/tourism/proposals",
        json={"priority_id": priority["id"], "title_ka": "ომალოს ტურისტული ბილიკები",
              "title_en": "Tourist trails of Omalo", "budget_gel": "250000.00",
              "funding_source": "donor", "donor": "ევროკავშირი", "start_project": True,
              "statistics_cited": [{"metric": "visitors", "year": 2026, "place": "ომალო"}]},
    )  # fmt: skip
    assert proposal["status"] == "idea" and proposal["priority_title_ka"].startswith("თუშეთის")
    assert proposal["statistics_cited"][0]["value"] == 15300
    [project] = await officer.ok("GET", "/projects")
    assert proposal["project_id"] == project["id"] and project["stage"] == "idea"
    assert project["donor"] == "ევროკავშირი"

    moved = await officer.ok(
        "POST", f"/tourism/proposals/{proposal['id']}/status", params={"to": "drafted"}
    )
    assert moved["allowed_statuses"] == ["submitted", "withdrawn"]
    refused = await officer.call(
        "POST", f"/tourism/proposals/{proposal['id']}/status", params={"to": "implemented"}
    )
    assert refused.status_code == 409 and refused.json()["allowed"] == ["submitted", "withdrawn"]
    events = [e for e in await visit_events(stack) if ".visits.proposal." in e["type"]]
    assert [e["type"].split(".")[4] for e in events] == ["created", "status_changed"]
    assert events[0]["data"]["project_id"] == project["id"]
    assert len(await editor.ok("GET", "/tourism/proposals")) == 1
