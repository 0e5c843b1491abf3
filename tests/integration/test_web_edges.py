"""What the app factory gives every HTTP process, tried on a small app of its own over real
HTTP: an unexpected error is a 500 problem that leaves the connection open, every answer
carries the security headers, every operation documents its problems, and production
keeps the API documents and the metrics to itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from meria.access import ACCESS_NOTE
from meria.auth import CurrentUser
from meria.config import ServiceSettings
from meria.inputs import Id, NotNull
from meria.problems import CHECKS_ITS_CALLERS
from meria.runtime import Runtime, ServiceParts
from meria.testing.servers import free_port
from meria.web import create_app
from tests.support.stack import serve

METRICS_TOKEN = "scraper-token-for-the-tests-0123456789"
PRODUCTION = {"environment": "production", "secret_key": "s" * 40, "token_keyset": "jwks.json"}

router = APIRouter()


class Change(BaseModel):
    title: NotNull[str] = None


@router.get("/broken")
async def broken() -> dict[str, str]:
    raise RuntimeError("a bug")


@router.get("/half")
async def half() -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        yield b"the first half"
        raise RuntimeError("the disk went away")

    return StreamingResponse(body(), media_type="text/plain")


@router.patch("/things/{thing_id}")
async def change(thing_id: Id, data: Change, _: CurrentUser) -> dict[str, Any]:
    return {"id": thing_id, **data.model_dump(exclude_unset=True)}


def app_for(tmp_path: Path, **settings: Any) -> FastAPI:
    configured = ServiceSettings(var_dir=tmp_path, port=free_port(), **settings)
    runtime = Runtime(configured, ServiceParts(name="edges", uses_bus=False))
    return create_app(
        settings=configured, runtime=runtime, title="Edges", description="", routers=[router]
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[str]:
    port = app.state.settings.port
    async with serve(app, port):
        yield f"http://127.0.0.1:{port}"


async def exchange(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, path: str) -> bytes:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


async def test_an_unexpected_error_is_a_500_problem_and_the_connection_stays_open(
    tmp_path: Path,
) -> None:
    async with running(app_for(tmp_path)) as url:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            # The failure is answered as a problem, with its request id…
            failed = await exchange(writer, reader, "/broken")
            assert failed.startswith(b"HTTP/1.1 500")
            assert b"application/problem+json" in failed and b"x-request-id" in failed
            assert b'"detail":"Something went wrong on our side; it is logged."' in failed
            # …and the same connection carries the next request (it used to be reset).
            after = await exchange(writer, reader, "/healthz/live")
            assert after.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()

        # Half a body cannot be finished: only then is the connection closed.
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.HTTPError):
                await http.get(f"{url}/half")
            assert (await http.get(f"{url}/healthz/live")).status_code == 200


async def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    async with running(app_for(tmp_path)) as url, httpx.AsyncClient(base_url=url) as http:
        for path in ("/healthz/live", "/broken", "/things/1", "/no/such/path", "/openapi.json"):
            answer = await http.get(path)
            assert answer.headers["x-content-type-options"] == "nosniff", path
            assert answer.headers["x-frame-options"] == "DENY", path
            assert answer.headers["referrer-policy"] == "no-referrer", path
            policy = answer.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, path
            assert "strict-transport-security" not in answer.headers, path

        # Swagger UI's page allows its CDN and its one inline script, nothing more.
        docs = await http.get("/docs")
        policy = docs.headers["content-security-policy"]
        assert "script-src https://cdn.jsdelivr.net 'sha256-" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert (await http.get("/metrics")).status_code == 200


async def test_production_keeps_its_api_documents_and_metrics_to_itself(tmp_path: Path) -> None:
    async with running(app_for(tmp_path, **PRODUCTION)) as url, httpx.AsyncClient() as http:
        for path in ("/docs", "/openapi.json", "/metrics"):
            assert (await http.get(f"{url}{path}")).status_code == 404, path
        live = await http.get(f"{url}/healthz/live")
        assert live.headers["strict-transport-security"] == "max-age=31536000"

    protected = app_for(tmp_path, **PRODUCTION, api_docs=True, metrics_token=METRICS_TOKEN)
    async with running(protected) as url, httpx.AsyncClient() as http:
        assert (await http.get(f"{url}/openapi.json")).status_code == 200
        refused = await http.get(f"{url}/metrics", headers={"Authorization": "Bearer guess"})
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        scraped = await http.get(
            f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        assert scraped.status_code == 200 and "meria_http_requests_total" in scraped.text


async def test_each_operation_documents_the_problems_it_may_answer(tmp_path: Path) -> None:
    document = app_for(tmp_path).openapi()
    change_thing = document["paths"]["/things/{thing_id}"]["patch"]
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in ("400", "401", "403", "404", "409", "413", "422", "429", "503"):
        assert change_thing["responses"][status]["content"] == problem, status
    # A public operation without input cannot be refused for its token or its input.
    live = document["paths"]["/healthz/live"]["get"]["responses"]
    assert set(live) == {"200", "429", "503"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    # An operation that checks its callers itself is known by the access table's note.
    assert CHECKS_ITS_CALLERS == ACCESS_NOTE

    # An id is bounded as the database is; a null for a value always there is not allowed.
    thing_id = change_thing["parameters"][0]["schema"]
    assert (thing_id["minimum"], thing_id["maximum"]) == (1, 2**31 - 1)
    title = document["components"]["schemas"]["Change"]["properties"]["title"]
    assert title == {"type": "string", "title": "Title"}
