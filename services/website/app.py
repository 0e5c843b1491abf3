"""The website process: pages, feeds and open data over a read model of the bus."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from meria.pictures import frame_sources
from meria.problems import Problem, problem_response, validation_problem
from meria.runtime import FileArea, Runtime, ServiceParts
from meria.singleton import one_replica
from meria.web import build_app, security_headers
from services.website.caching import CSP, HEADERS, CachingMiddleware, HeadLikeGet
from services.website.feeds import router as feeds_router
from services.website.files import keep_fetching
from services.website.freshness import Freshness, Remembered
from services.website.handlers import subscriptions
from services.website.models import Base, bus_tables
from services.website.open_data import router as open_data_router
from services.website.page_cache import PageCache, keep_pages
from services.website.pages import language_of, navigation, render
from services.website.pages import router as pages_router
from services.website.photos import router as photos_router
from services.website.settings import WebsiteSettings
from services.website.site import redirect_for
from services.website.statements import router as statements_router
from services.website.texts import TEXT


@one_replica
async def fetch_files(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, WebsiteSettings) and settings.files_dir is not None
    await keep_fetching(runtime.db(), settings.files_dir, settings.file_poll_seconds)


def file_areas(settings: WebsiteSettings) -> list[FileArea]:
    """The copies of published attachments the site serves (fetched again if lost, but a
    restored site serves them at once)."""
    import fsspec

    return [FileArea("files", fsspec.filesystem("file"), str(settings.files_dir))]


PARTS = ServiceParts(
    name="website",
    file_areas=file_areas,
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    background=[fetch_files],
)


NO_FRAMES = "'none'"


def create_app(settings: WebsiteSettings | None = None) -> FastAPI:
    app = build_app(
        WebsiteSettings,
        PARTS,
        settings,
        title="Meria public website",
        description="The municipal website's open data: the registry of legal acts, "
        "feeds and the public key, built from the events the services publish.",
        # Feeds first: `/acts/{id}.akn.xml` must be tried before the page `/acts/{id}`.
        routers=[feeds_router, open_data_router, statements_router, pages_router, photos_router],
        content_security_policy=CSP,
        headers=HEADERS,
    )
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_middleware(HeadLikeGet)
    app.add_middleware(CachingMiddleware)
    settings = app.state.settings
    assert isinstance(settings, WebsiteSettings)
    # Recordings of press conferences are framed from the allowed video hosts only.
    policy = f"{CSP}; frame-src {frame_sources(settings.video_hosts) or NO_FRAMES}"
    app.security_headers = security_headers(settings, policy, HEADERS)  # type: ignore[attr-defined]
    runtime = app.state.runtime
    freshness = Freshness(runtime.db(), settings.page_cache_check_seconds)
    app.state.menu = Remembered(freshness, lambda: navigation(runtime))
    pages = None
    if settings.page_cache_megabytes:
        pages = PageCache(
            freshness,
            max_bytes=settings.page_cache_megabytes * 1024 * 1024,
            seconds=settings.page_cache_seconds,
        )
        keep_pages(app, pages, PARTS.name)
    app.state.page_cache = pages
    install_error_pages(app)
    return app


def install_error_pages(app: FastAPI) -> None:
    """People get pages, programs get problem documents: what the OpenAPI document lists
    (the API, feeds, acts as XML, the sitemap) is for programs."""

    def for_people(request: Request) -> bool:
        route = request.scope.get("route")
        if route is not None and getattr(route, "include_in_schema", False):
            return False
        path = request.url.path
        return not path.startswith(("/api/", "/feeds/", "/healthz", "/docs", "/openapi"))

    async def page(request: Request, status: int, message: str) -> Response:
        language = language_of(request)
        heading = TEXT[language]["not_found" if status in (404, 410) else "bad_request"]
        return await render(
            request, request.app.state.runtime, "error.html", status_code=status,
            heading=heading, message=message,
        )  # fmt: skip

    async def redirected(request: Request) -> Response | None:
        """An old address an administrator redirected answers so before its 404."""
        async with request.app.state.runtime.db().session() as session:
            found = await redirect_for(session, request.url.path, request.url.query)
        if found is None:
            return None
        return RedirectResponse(found[1], status_code=found[0])

    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        if for_people(request) and problem.status == 404:
            answer = await redirected(request)
            if answer is not None:
                return answer
        if for_people(request) and problem.status in (400, 404, 410, 422):
            return await page(request, problem.status, problem.detail or problem.title)
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        if for_people(request) and error.status_code == 404:
            answer = await redirected(request)
            if answer is not None:
                return answer
        if for_people(request) and error.status_code in (404, 405):
            language = language_of(request)
            return await page(request, 404, TEXT[language]["not_found_text"])
        return problem_response(Problem(error.status_code, str(error.detail)), request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        problem = validation_problem(error)
        if for_people(request):
            # Pydantic's messages are English and name parameters: the reader gets words.
            return await page(request, 400, TEXT[language_of(request)]["bad_request_text"])
        return problem_response(problem, request)
