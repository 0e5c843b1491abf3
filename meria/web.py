"""The app factory every HTTP process uses.

It gives each service the same edges: `/healthz/live`, `/healthz/ready` (the runtime's
checks: database, NATS, Temporal where used), `/metrics` for Prometheus, a request id on
every request and log line, OpenTelemetry spans, and errors as problem+json.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria import dead_letters
from meria.config import ServiceSettings, load_settings
from meria.keys import published_keyset
from meria.logging import configure_logging, get_logger
from meria.loop import requests as loop_requests
from meria.metrics import HTTP_LATENCY, HTTP_REQUESTS
from meria.problems import install_problem_handlers
from meria.runtime import Runtime, ServiceParts
from meria.telemetry import configure_telemetry

log = get_logger("meria.web")

REQUEST_ID_HEADER = "x-request-id"


class RequestContextMiddleware:
    """Binds a request id to the logs, echoes it back, and counts and times requests."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if 0 < len(given) <= 200 else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        # Noted for the loop monitor, which names the requests on the loop when it stalls.
        flight = loop_requests.started(f"{scope['method']} {scope['path']}", request_id)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            loop_requests.ended(flight)
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            HTTP_REQUESTS.labels(self.service, method, template, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, template).observe(elapsed)
            if not template.startswith(("/healthz", "/metrics")):
                log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 1),
                )
            structlog.contextvars.unbind_contextvars("request_id")


def create_app(
    *,
    settings: ServiceSettings,
    runtime: Runtime,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    api_docs: bool = True,
    **fastapi_options: Any,
) -> FastAPI:
    service = runtime.parts.name

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log.info("service.started", url=settings.url)
        try:
            yield
        finally:
            await runtime.stop()
            log.info("service.stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if api_docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if api_docs else None,
        **fastapi_options,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    install_problem_handlers(app)

    health = APIRouter(tags=["health"])

    @health.get("/healthz/live", summary="The process is running")
    async def live() -> dict[str, str]:
        return {"status": "live", "service": service}

    @health.get("/healthz/ready", summary="The process and what it depends on are ready")
    async def ready() -> JSONResponse:
        checks = await runtime.readiness()
        ok = all(state == "ok" for state in checks.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "service": service, "checks": checks},
            status_code=200 if ok else 503,
        )

    @health.get(
        "/.well-known/jwks.json",
        summary="The public keys Meria's bearer tokens are signed with (JWKS)",
        tags=["authentication"],
    )
    async def jwks() -> dict[str, Any]:
        return published_keyset(settings)

    @health.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health)
    if runtime.parts.subscriptions is not None:
        app.include_router(dead_letters.router)
    for router in routers:
        app.include_router(router)
    app.add_middleware(RequestContextMiddleware, service=service)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,metrics")
    return app


def request_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def build_app(
    settings_class: type[ServiceSettings],
    parts: ServiceParts,
    settings: ServiceSettings | None = None,
    **options: Any,
) -> FastAPI:
    """A service's app from its settings class and parts (settings read from the env)."""
    settings = settings or load_settings(settings_class)
    # Before the runtime: its database engine is instrumented as it is created.
    configure_logging(settings, parts.name)
    configure_telemetry(parts.name)
    return create_app(settings=settings, runtime=Runtime(settings, parts), **options)
