"""The app factory every HTTP process uses.

It gives each service the same edges: `/healthz/live`, `/healthz/ready` (the runtime's
checks: database, NATS, Temporal where used), `/metrics` for Prometheus, a request id on
every request and log line, OpenTelemetry spans, errors as problem+json (each listed in
the OpenAPI document), and security headers on every response.

Production (`MERIA_ENVIRONMENT=production`) serves `/docs` and `/openapi.json` only when
`MERIA_API_DOCS=true`, and `/metrics` only with `MERIA_METRICS_TOKEN` set, to a scraper
sending it as a bearer token; development serves all three openly unless a token is set.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria import dead_letters
from meria.config import ServiceSettings, Settings, load_settings
from meria.gauges import refresh as refresh_gauges
from meria.keys import published_keyset
from meria.logging import configure_logging, get_logger
from meria.loop import requests as loop_requests
from meria.metrics import HTTP_LATENCY, HTTP_REQUESTS
from meria.problems import Problem, UnexpectedErrors, document_problems, install_problem_handlers
from meria.runtime import Runtime, ServiceParts
from meria.telemetry import configure_telemetry

log = get_logger("meria.web")

REQUEST_ID_HEADER = "x-request-id"

API_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""For JSON, and for the few plain pages an API serves (a public form, a preview): no
script, nothing from elsewhere, never in a frame."""


def security_headers(
    settings: Settings, content_security_policy: str, overrides: Mapping[str, str] | None = None
) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": content_security_policy,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        **(overrides or {}),
    }
    if settings.production:  # behind HTTPS there; a browser ignores it over plain HTTP
        headers["strict-transport-security"] = "max-age=31536000"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


class MeriaApp(FastAPI):
    """A FastAPI app whose every response, whichever middleware or handler made it,
    carries the security headers it does not set itself (a page may set its own CSP).

    An exception that Starlette's outermost net answered with a 500 problem is raised
    again to the server, which would close a kept-alive connection for it: once the
    answer is whole, it ends here (it was logged where it was answered)."""

    security_headers: Sequence[tuple[bytes, bytes]] = ()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        finished = False

        async def secured(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [item for item in self.security_headers if item[0] not in present]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await super().__call__(scope, receive, secured)
        except Exception:
            if not finished:
                raise


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


def sent_as(
    media_type: str, *others: str, description: str = "Successful Response"
) -> dict[int | str, Any]:
    """The `responses` of a route whose answer is a document in a type of its own (a feed,
    a PDF, a key), for a route declared with `response_class=Response`; `others` are the
    types it may answer in instead (the route's path or parameters choose)."""
    content = {
        kind: {
            "schema": {"type": "string"}
            if kind.startswith("text/")
            else {"type": "string", "format": "binary"}
        }
        for kind in (media_type, *others)
    }
    return {200: {"description": description, "content": content}}


FILE_RESPONSE = sent_as("*/*", description="The file, in the type it was stored with")
"""The `responses` of a route that sends a stored file back (a PDF, a photo, a CSV…)."""


class Readiness(BaseModel):
    status: str
    service: str
    checks: dict[str, str]


def create_app(
    *,
    settings: ServiceSettings,
    runtime: Runtime,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    api_docs: bool = True,
    content_security_policy: str = API_CSP,
    headers: Mapping[str, str] | None = None,
    **fastapi_options: Any,
) -> FastAPI:
    """`content_security_policy` and `headers` replace the API's defaults for a process
    that serves pages of its own (the portal, the website)."""
    service = runtime.parts.name
    api_docs = api_docs and settings.serves_api_docs

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log.info("service.started", url=settings.url)
        try:
            yield
        finally:
            await runtime.stop()
            log.info("service.stopped")

    app = MeriaApp(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if api_docs else None,
        **fastapi_options,
    )
    app.security_headers = security_headers(settings, content_security_policy, headers)
    app.state.settings = settings
    app.state.runtime = runtime
    install_problem_handlers(app)

    health = APIRouter(tags=["health"])

    @health.get("/healthz/live", summary="The process is running")
    async def live() -> dict[str, str]:
        return {"status": "live", "service": service}

    @health.get(
        "/healthz/ready",
        summary="The process and what it depends on are ready",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "Something it needs is not"}},
    )
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

    app.include_router(health)
    add_metrics(app, settings, runtime)
    if api_docs:
        add_docs(app, title)
    if runtime.parts.subscriptions is not None:
        app.include_router(dead_letters.router)
    for router in routers:
        app.include_router(router)
    # Inside the request context, so a failure is logged with its request id.
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestContextMiddleware, service=service)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,metrics")
    original_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(original_openapi())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def add_metrics(app: FastAPI, settings: Settings, runtime: Runtime) -> None:
    """`/metrics`, behind the bearer token when one is set; production serves it only
    with one. The gauges read at scrape time are brought up to date first."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None and settings.production:
        log.info("metrics.off", reason="MERIA_METRICS_TOKEN is not set")
        return
    expected = f"Bearer {token}".encode() if token else b""

    @app.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        sent = request.headers.get("authorization", "").encode()
        if token and not secrets.compare_digest(sent, expected):
            raise Problem(
                401,
                "Authentication required",
                "Metrics need the scraper's bearer token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        await refresh_gauges(runtime)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


SWAGGER_CDN = "https://cdn.jsdelivr.net"


def add_docs(app: FastAPI, title: str) -> None:
    """Swagger UI at `/docs`, as FastAPI serves it (its script and styles from the
    jsDelivr CDN, a line of script inline), under a CSP that allows exactly that: the
    CDN, and the inline script by its hash."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json", title=f"{title} — API", swagger_favicon_url="data:,"
    )
    body = bytes(page.body)
    inline = re.findall(rb"<script>(.*?)</script>", body, re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in inline
    )
    policy = (
        f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; "
        f"style-src {SWAGGER_CDN} 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(body, headers={"content-security-policy": policy})


def request_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(request_runtime)]


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
