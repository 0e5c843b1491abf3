"""What every service shows at its edges: health, readiness, metrics, problems, tokens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from meria.testing.servers import NatsServer, free_port
from tests.conftest import DatabaseFactory
from tests.support.stack import running_stack


async def test_a_service_waits_for_nats_and_reports_not_ready_meanwhile(
    tmp_path: Path, new_database: DatabaseFactory
) -> None:
    # The bus is not up yet: the service starts anyway and says what it is waiting for.
    nats = NatsServer(tmp_path / "nats", port=free_port())
    async with (
        running_stack(
            ["website"], tmp_path=tmp_path, nats_url=nats.url, new_database=new_database
        ) as stack,
        httpx.AsyncClient(timeout=5) as http,
    ):
        website = stack.urls["website"]
        assert (await http.get(f"{website}/healthz/live")).status_code == 200
        waiting = await http.get(f"{website}/healthz/ready")
        assert waiting.status_code == 503
        assert waiting.json()["checks"] == {
            "database": "ok",
            "nats": "not connected",
            "municipality": "waiting for NATS",
        }

        # The bus comes up (the municipality installed); the service connects on its
        # own, reads the municipality and becomes ready.
        nats.start()
        try:
            for _ in range(100):
                ready = await http.get(f"{website}/healthz/ready")
                if ready.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert ready.status_code == 200, ready.text
            assert ready.json()["status"] == "ready"
        finally:
            nats.stop()


async def test_errors_are_problem_documents_with_a_human_message(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> None:
    async with (
        running_stack(
            ["publishing"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
        ) as stack,
        httpx.AsyncClient(base_url=stack.urls["publishing"], timeout=5) as http,
    ):
        anonymous = await http.post("/documents", json={})
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["www-authenticate"] == "Bearer"

        forged = await http.get("/documents", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
        assert "not valid" in forged.json()["detail"]

        wrong_role = await http.post(
            "/documents",
            headers=stack.headers("media_officer"),
            json={"document_type": "news", "title_ka": "სიახლე"},
        )
        assert wrong_role.status_code == 403
        assert "editor" in wrong_role.json()["detail"]

        invalid = await http.post(
            "/documents",
            headers=stack.headers("editor"),
            json={"document_type": "poem", "title_ka": ""},
        )
        assert invalid.status_code == 422
        problem = invalid.json()
        assert problem["title"] == "The request is not valid"
        assert {error["field"] for error in problem["errors"]} == {"document_type", "title_ka"}
        assert "document_type:" in problem["detail"]

        # Nothing was written by the refused requests.
        listed = await http.get("/documents", headers=stack.headers("editor"))
        assert listed.json()["items"] == []

        missing = await http.get("/documents/999", headers=stack.headers("editor"))
        assert missing.status_code == 404
        assert missing.json()["detail"] == "There is no document 999."

        echoed = await http.get("/healthz/live", headers={"X-Request-ID": "req-akhmeta-1"})
        assert echoed.headers["x-request-id"] == "req-akhmeta-1"

        metrics = await http.get("/metrics")
        assert "meria_http_requests_total" in metrics.text
        assert 'route="/documents"' in metrics.text
        assert "meria_bus_outbox_backlog" in metrics.text
        assert (await http.get("/openapi.json")).json()["info"]["title"] == "Meria publishing"
