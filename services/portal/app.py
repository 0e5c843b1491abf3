"""The portal process: sign-in, forms that start workflows, the task inbox, the dashboard."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from meria.problems import Problem, problem_response
from meria.runtime import ServiceParts
from meria.web import build_app
from services.portal import (
    accounts_api,
    accreditation_pages,
    acts_pages,
    changes_pages,
    dashboard,
    dashboard_actions,
    dead_letter_pages,
    digest_pages,
    documents,
    events_pages,
    library_pages,
    media_pages,
    municipality_pages,
    notifications,
    oidc,
    ops,
    page_keeping,
    partners_pages,
    photo_chooser,
    press_pages,
    requests_pages,
    signin,
    site_pages,
    tasks,
    tourism_pages,
    venues_pages,
    visits_pages,
)
from services.portal.clients import (
    FORM_FIELD_BYTES,
    FormTooLarge,
    PageScope,
    ServiceRefused,
    ServiceUnavailable,
    keep_http_client,
    remember_submission,
)
from services.portal.i18n import _
from services.portal.models import Base, bus_tables
from services.portal.settings import PortalSettings
from services.portal.web import (
    CSP,
    HEADERS,
    SESSION_COOKIE,
    CsrfMiddleware,
    CsrfRefused,
    LanguageMiddleware,
    NotAllowed,
    SignInRequired,
    csrf_refused_page,
    derived_secret,
    render,
    sign_in_redirect,
)

PARTS = ServiceParts(
    name="portal",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=notifications.subscriptions,
    produces_events=True,
    uses_temporal=True,
    background=[keep_http_client, *notifications.background],
)


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    app = build_app(
        PortalSettings,
        PARTS,
        settings,
        title="Meria staff portal",
        description="The staff portal: forms that start workflows, the task inbox "
        "and the workflow dashboard. Its API manages staff accounts.",
        routers=[
            accounts_api.router,
            changes_pages.router,
            dead_letter_pages.router,
            municipality_pages.router,
            site_pages.router,
            signin.router,
            oidc.router,
            ops.router,
            tasks.router,
            documents.router,
            page_keeping.router,
            acts_pages.router,
            notifications.router,
            dashboard.router,
            dashboard_actions.router,
            media_pages.router,
            press_pages.router,
            library_pages.router,
            photo_chooser.router,
            accreditation_pages.router,
            # Before the events' pages: `/events/venues` is not an event's number.
            venues_pages.router,
            events_pages.router,
            visits_pages.router,
            partners_pages.router,
            requests_pages.router,
            digest_pages.router,
            tourism_pages.router,
        ],
        content_security_policy=CSP,
        headers=HEADERS,
        dependencies=[Depends(remember_submission)],
    )
    settings = app.state.settings
    assert isinstance(settings, PortalSettings)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    # Outermost last: the language is known to every page, the CSRF check comes before
    # anything reads a form, and the session is open for every route.
    app.add_middleware(
        SessionMiddleware,
        secret_key=derived_secret(settings, "session"),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(CsrfMiddleware, settings=settings)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(PageScope)
    install_error_pages(app)
    return app


def install_error_pages(app: FastAPI) -> None:
    """People get pages, programs (`/api/`, and the kernel's own API: `/dead-letters`) get
    problem documents."""

    def for_people(request: Request) -> bool:
        programs = ("/api/", "/dead-letters", "/healthz", "/docs", "/openapi", "/.well-known")
        return not request.url.path.startswith(programs)

    async def page(request: Request, status: int, heading: str, message: str) -> Response:
        return await render(
            request, "error.html", status_code=status, heading=heading, message=message
        )

    @app.exception_handler(SignInRequired)
    async def on_sign_in_required(request: Request, error: SignInRequired) -> Response:
        return sign_in_redirect(error.next_path)

    @app.exception_handler(CsrfRefused)
    async def on_csrf_refused(request: Request, _error: CsrfRefused) -> Response:
        return await csrf_refused_page(request)

    @app.exception_handler(NotAllowed)
    async def on_not_allowed(request: Request, _error: NotAllowed) -> Response:
        return await page(
            request, 403, _("Not allowed"), _("Your roles do not give access to this page.")
        )

    @app.exception_handler(ServiceUnavailable)
    async def on_unavailable(request: Request, error: ServiceUnavailable) -> Response:
        if not for_people(request):
            return problem_response(Problem(503, "Service unavailable", str(error)), request)
        return await render(
            request, "error.html", status_code=503, heading=_("Temporarily unavailable"),
            message=_("A service the portal needs is not answering. Try again in a minute."),
            unavailable=error, retry=request.url.path if request.method == "GET" else None,
        )  # fmt: skip

    @app.exception_handler(FormTooLarge)
    async def on_form_too_large(request: Request, _error: FormTooLarge) -> Response:
        return await page(
            request, 413, _("The form is too large"),
            _("A field of the form holds more than %(size)s MB, more than any field may "
              "hold, so nothing was saved. Go back, shorten it and send the form again.")
            % {"size": FORM_FIELD_BYTES // (1024 * 1024)},
        )  # fmt: skip

    @app.exception_handler(ServiceRefused)
    async def on_refused(request: Request, error: ServiceRefused) -> Response:
        """A page asked a service for what is not there (an old link, a mistyped number)
        or not theirs to see; a form shows its refusals itself and never comes here."""
        if not for_people(request):
            return problem_response(Problem(error.status, error.title, error.detail), request)
        if error.status in (404, 410):
            return await page(
                request, 404, _("Not found"),
                _("There is nothing under this number: it may have been deleted, or the "
                  "address is mistyped."),
            )  # fmt: skip
        if error.status == 403:
            return await page(
                request, 403, _("Not allowed"), _("Your roles do not give access to this page.")
            )
        raise error

    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        if for_people(request) and problem.status in (400, 403, 404, 409, 503):
            heading = _("Not found") if problem.status == 404 else _("Something is not right")
            return await page(request, problem.status, heading, problem.detail or problem.title)
        return problem_response(problem, request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        if for_people(request) and error.status_code in (404, 405):
            return await page(
                request, 404, _("Not found"), _("There is no such page in the portal.")
            )
        return problem_response(Problem(error.status_code, str(error.detail)), request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'][1:])}: {item['msg']}" for item in error.errors()
        )
        if for_people(request):
            return await page(request, 400, _("Something is not right"), detail)
        return problem_response(Problem(422, "The request is not valid", detail), request)
