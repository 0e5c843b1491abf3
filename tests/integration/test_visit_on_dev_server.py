"""A visit that lands and leaves within the minute, on the stack as `make run` starts it
(the Temporal dev server, the worker's own activities): its tasks are in the inbox as
one row each, found by their search attributes, until they are done."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.temporal import connect
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.stack import running_stack
from tests.support.visits import REPORT_TEXT, TBILISI, VisitsDesk, delegation

pytestmark = pytest.mark.database


async def test_a_short_visit_runs_to_closed_and_its_tasks_pass_through_the_inbox(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    now = datetime.now(TBILISI)
    arrives, departs = now + timedelta(seconds=45), now + timedelta(seconds=50)
    if departs.date() != now.date():
        pytest.skip("too close to midnight in Tbilisi for a visit within the day")
    async with (
        running_stack(
            ["publishing", "visits", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            readiness_gate_days=0,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        protocol = VisitsDesk(stack, http, "ana.protocol", "protocol_officer")
        head = VisitsDesk(stack, http, "tamar.gelashvili", "head_of_department")
        media = VisitsDesk(stack, http, "giorgi.media", "media_officer")
        mayor = VisitsDesk(stack, http, "mayor.akhmeta", "mayor")
        body = delegation(
            now.date(), days=1, arrives_at=arrives.isoformat(), departs_at=departs.isoformat()
        )
        visit = await protocol.ok("POST", "/visits", json=body)
        visit_id = visit["id"]
        # Counted from the arrival day, every due date has passed: give them an hour.
        for task in visit["tasks"]:
            await protocol.ok(
                "PATCH",
                f"/visits/{visit_id}/tasks/{task['key']}",
                json={"due_at": (now + timedelta(hours=1)).isoformat()},
            )
        await protocol.wait_for_stage(visit_id, "requested", tasks=1)
        await mayor.ok("POST", f"/visits/{visit_id}/decisions", json={"outcome": "approve"})
        await protocol.wait_for_stage(visit_id, "in_preparation", tasks=12)

        # The inbox: one row per task, indexed for whom it waits.
        client = await connect(temporal_server.address, "meria")
        query = (
            f"MeriaRef = 'visit:{visit_id}' AND MeriaKind = 'task' AND ExecutionStatus = 'Running'"
        )

        async def inbox() -> dict[str, dict[str, object]]:
            rows = {}
            async for execution in client.list_workflows(query):
                attributes = execution.typed_search_attributes
                rows[execution.id] = {pair.key.name: pair.value for pair in attributes}
            return rows

        rows: dict[str, dict[str, object]] = {}
        async with asyncio.timeout(20):
            while len(rows) < 12:
                rows = await inbox()
                await asyncio.sleep(0.2)
        accommodation = rows[f"visit-{visit_id}-task-accommodation"]
        assert accommodation["MeriaAwaiting"] == ["protocol_officer"]
        assert accommodation["MeriaAssignee"] == "ana.protocol"
        assert accommodation["MeriaStage"] == "accommodation"
        assert str(accommodation["MeriaSubject"]).endswith("განთავსება სასტუმროში")
        assert rows[f"visit-{visit_id}-task-budget_approval"]["MeriaAwaiting"] == [
            "head_of_department"
        ]

        desks = {"protocol_officer": protocol, "head_of_department": head, "media_officer": media}
        for task in visit["tasks"]:
            await desks[task["owner_role"]].ok(
                "POST", f"/visits/{visit_id}/tasks/{task['key']}/complete", json={}
            )
        async with asyncio.timeout(20):
            while rows:
                rows = await inbox()
                await asyncio.sleep(0.2)

        # It lands, it leaves, the report falls due and is written.
        await protocol.wait_for_stage(visit_id, "report_due", tasks=1, timeout=60)
        await protocol.ok("PUT", f"/visits/{visit_id}/report", json=REPORT_TEXT)
        await protocol.ok("POST", f"/visits/{visit_id}/tasks/report/complete", json={})
        closed = await protocol.wait_for_status(visit_id, "closed")
        assert closed["press_release_document_id"] is not None
