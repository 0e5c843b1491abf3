"""The visits demo data, seeded through the real API and workflows as `make run` does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from meria.seed import SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.visits import seed
from tests.conftest import DatabaseFactory
from tests.support.stack import running_stack
from tests.support.visits import TBILISI, VisitsDesk

pytestmark = pytest.mark.database


async def test_the_demo_visits_are_seeded_once_through_the_api(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with (
        running_stack(
            ["visits", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        context = SeedContext(stack.operator_settings(), http)
        assert await seed.seed(context) == 16
        assert await seed.seed(context) == 0

        desk = VisitsDesk(stack, http, "demo.head", "head_of_department")
        partners = {p["name_en"]: p for p in await desk.ok("GET", "/partners")}
        nalag = partners["National Association of Local Authorities of Georgia (NALAG)"]
        assert nalag["name_ka"] == "საქართველოს ადგილობრივ თვითმმართველობათა ეროვნული ასოციაცია"
        visits = (await desk.ok("GET", "/visits"))["items"]
        assert len(visits) == 2
        incoming = next(v for v in visits if v["direction"] == "incoming")
        outgoing = next(v for v in visits if v["direction"] == "outgoing")
        assert incoming["status"] == "in_preparation" and incoming["member_count"] == 3
        assert outgoing["status"] == "requested"
        status = await desk.status(outgoing["id"])
        assert status["awaiting"] == ["mayor"]
        tasks = {t["key"]: t for t in (await desk.visit(incoming["id"]))["tasks"]}
        assert tasks["invitation_letter"]["status"] == "done"
        projects = await desk.ok("GET", "/projects")
        assert sorted(p["stage"] for p in projects) == ["concept_note", "idea", "implementation"]
        (grant,) = [p for p in projects if p["stage"] == "implementation"]
        assert [t["received_on"] is not None for t in grant["tranches"]] == [True, False]
        assert grant["received"] == "25000.00" and grant["cofinancing"] == "8000.00"
        assert grant["documents"][0]["kind"] == "contract"
        # Tourism: two years of summer figures, two priorities, a proposal with its project.
        year = datetime.now(TBILISI).year
        summary = await desk.ok(
            "GET", "/tourism/summary", params={"year": year, "metric": "visitors"}
        )
        assert summary["total"] > summary["previous_total"] > 0
        assert next(iter(summary["by_place"])) == "ომალო"
        proposals = await desk.ok("GET", "/tourism/proposals")
        trails = next(p for p in proposals if p["project_id"] is not None)
        assert trails["statistics_cited"][0]["value"] > 0
        # The memorandum's renewal and the concept note's deadline are announced.
        swept = await VisitsDesk(stack, http, "admin", "admin").ok("POST", "/maintenance/sweep")
        assert len(swept["agreements_reminded"]) == 1 and len(swept["deadlines_reminded"]) == 1
