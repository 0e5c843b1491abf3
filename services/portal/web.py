"""Pages for people: templates, the signed-in user, language, CSRF and security headers.

A page route asks for `Staff` (a signed-in person) or `Admin`; without a live sign-in the
browser is sent to the sign-in page and back afterwards. Every form carries the CSRF
token (`asgi-csrf`, double-submit cookie, signed with the process secret); the session
cookie (Starlette's signed cookie) carries only the sign-in id, which the database can
end. Pages are never cached and run no inline script.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from asgi_csrf import asgi_csrf
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meria import municipality
from meria.auth import User
from meria.markup import clean_html, under_heading
from meria.runtime import Runtime
from services.portal import accounts, i18n
from services.portal.accounts import Signed
from services.portal.clients import read_form
from services.portal.i18n import Language, _, current_language, parse_language
from services.portal.labels import SYSTEM_ACTORS
from services.portal.models import Account
from services.portal.settings import PortalSettings

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "meria_portal"
LANGUAGE_COOKIE = "meria_lang"
CSRF_COOKIE = "meria_csrf"
SIGN_IN_PATH = "/sign-in"


def derived_secret(settings: PortalSettings, purpose: str) -> str:
    """A key for one purpose, so the session and CSRF keys differ from the token key."""
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, purpose.encode(), hashlib.sha256).hexdigest()


environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
environment.globals["when"] = i18n.when
environment.globals["municipality"] = municipality.Current()
environment.globals["day"] = i18n.day


def _install_labels() -> None:
    from services.portal import labels

    names = {
        "ROLES": "role",
        "STEPS": "steps",
        "DOCUMENT_TYPES": "document_types",
        "STATES": "states",
        "OUTCOMES": "outcomes",
        "CASE_KINDS": "case_kinds",
        "NAV_SECTIONS": "nav_sections",
        "ACTIONS": "actions",
        "FIELDS": "field_name",
        "HISTORY": "history_action",
        "ACT_CHANGES": "act_change",
        "ACT_CHANGED_BY": "act_changed_by",
        "STANDINGS": "standing_name",
    }
    for table_name, global_name in names.items():
        table = getattr(labels, table_name)
        environment.globals[global_name] = lambda key, table=table: labels.label(table, key)
    # A form's page has its own `document_types` (the choices): macros shared with it
    # name a type by this.
    environment.globals["document_type_name"] = environment.globals["document_types"]
    # A document's text under its page's title: its headings start at <h2>.
    environment.filters["body_html"] = lambda html: Markup(under_heading(clean_html(html or "")))
    environment.globals["beat_name"] = labels.beat_name
    environment.globals["language_name"] = labels.language_name
    environment.filters["todatetime"] = _to_datetime
    from services.portal.clients import current_submission, new_submission
    from services.portal.panels import service_name

    environment.globals["service_name"] = service_name
    # A form's submission key: the one being handled when a form comes back, else new.
    environment.globals["submission_key"] = lambda: current_submission() or new_submission()


def _to_datetime(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


_install_labels()


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotAllowed(Exception):
    pass


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def settings_of(request: Request) -> PortalSettings:
    settings = runtime_of(request).settings
    assert isinstance(settings, PortalSettings)
    return settings


def safe_next(value: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


async def signed_in(request: Request) -> Signed | None:
    if "signed" in request.state._state:
        signed: Signed | None = request.state.signed
        return signed
    sign_in_id = request.session.get("sign_in")
    signed = None
    if isinstance(sign_in_id, str):
        database = runtime_of(request).db()
        async with database.session() as session:
            signed = await accounts.signed_in(session, settings_of(request), sign_in_id)
            session.expunge_all()
        # The idle clock is kept to the minute: a page is not a write, only the first
        # page of each minute is.
        if signed is not None and accounts.seen_long_ago(signed.sign_in):
            async with database.transaction() as session:
                await accounts.touch(session, sign_in_id)
        if signed is None:
            request.session.pop("sign_in", None)
    request.state.signed = signed
    if signed is not None and not request.cookies.get(LANGUAGE_COOKIE):
        language = parse_language(signed.account.language)
        if language:
            current_language.set(language)
    return signed


async def staff(request: Request) -> Signed:
    signed = await signed_in(request)
    if signed is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return signed


async def admin(request: Request) -> Signed:
    signed = await staff(request)
    if "admin" not in signed.account.roles:
        raise NotAllowed()
    return signed


Staff = Annotated[Signed, Depends(staff)]
Admin = Annotated[Signed, Depends(admin)]
MaybeStaff = Annotated[Signed | None, Depends(signed_in)]


def sign_in_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(next_path)}", status_code=303)


async def render(
    request: Request, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    signed = await signed_in(request)
    user: User | None = signed.user if signed else None
    navigation: dict[str, int] = {}
    names: dict[str, str] = {}
    if signed is not None:
        from services.portal.navigation import counts

        navigation = await counts(request, signed)
        names = await _everyone(request)
    csrf = request.scope.get("csrftoken")
    body = environment.get_template(template).render(
        request=request,
        user=user,
        account=signed.account if signed else None,
        language=current_language.get(),
        csrftoken=csrf() if callable(csrf) else "",
        settings=settings_of(request),
        navigation=navigation,
        path=request.url.path,
        query=request.url.query,
        staff_name=lambda username: names.get(username, username) if username else "",
        **context,
    )
    return HTMLResponse(body, status_code=status_code)


async def _everyone(request: Request) -> dict[str, str]:
    """Every account's name to show, and Meria's own processes', for `staff_name(username)`
    in a page: a department's staff are a few dozen rows."""
    async with runtime_of(request).db().session() as session:
        found = await session.execute(select(Account.username, Account.display_name))
        names = {username: name for username, name in found.tuples()}
    return {name: _(text) for name, text in SYSTEM_ACTORS.items()} | names


class LanguageMiddleware:
    """The page's language: `?lang=` for this page, else the cookie, else Georgian."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        language: Language = (
            parse_language(request.query_params.get("lang"))
            or parse_language(request.cookies.get(LANGUAGE_COOKIE))
            or i18n.DEFAULT_LANGUAGE
        )
        token = current_language.set(language)
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(token)


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# Beside the kernel's security headers: pages are someone's own, never cached.
HEADERS = {"referrer-policy": "same-origin", "cache-control": "no-store"}


class CsrfMiddleware:
    """asgi-csrf around the app: every form POST must carry the token of its cookie."""

    def __init__(self, app: ASGIApp, settings: PortalSettings) -> None:
        self.app = asgi_csrf(
            app,
            cookie_name=CSRF_COOKIE,
            signing_secret=derived_secret(settings, "csrf"),
            # A sign-in form has no session cookie yet, and must be protected all the same.
            always_protect={SIGN_IN_PATH},
            cookie_secure=settings.secure_cookies,
            cookie_samesite="Lax",
            send_csrf_failed=_csrf_failed,
            # asgi-csrf's own multipart reader calls python-multipart with an argument the
            # current python-multipart no longer takes; forms with files are checked by the
            # `CsrfChecked` dependency instead, against the same cookie and token.
            skip_if_scope=_is_multipart,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _is_multipart(scope: Scope) -> bool:
    headers: dict[bytes, bytes] = dict(scope.get("headers") or [])
    return headers.get(b"content-type", b"").startswith(b"multipart/form-data")


async def multipart_csrf(request: Request) -> FormData:
    """The form of a multipart POST, once its CSRF token matches the signed cookie's."""
    form = await read_form(request)
    expected = request.scope.get("csrftoken")
    sent = form.get("csrftoken")
    if (
        not callable(expected)
        or not isinstance(sent, str)
        or CSRF_COOKIE not in request.cookies
        or not secrets.compare_digest(sent, expected())
    ):
        raise CsrfRefused()
    return form


class CsrfRefused(Exception):
    pass


CheckedForm = Annotated[FormData, Depends(multipart_csrf)]


async def csrf_refused_page(request: Request) -> HTMLResponse:
    return HTMLResponse(
        environment.get_template("csrf.html").render(
            language=current_language.get(), user=None, navigation={}, path=request.url.path,
            csrftoken="",
        ),
        status_code=403,
    )  # fmt: skip


async def _csrf_failed(scope: Scope, send: Send, message_id: Any = None) -> None:
    token = None
    request = Request(scope)
    language = parse_language(request.cookies.get(LANGUAGE_COOKIE)) or i18n.DEFAULT_LANGUAGE
    token = current_language.set(language)
    try:
        body = environment.get_template("csrf.html").render(
            language=language, user=None, navigation={}, path=scope["path"], csrftoken=""
        )
    finally:
        current_language.reset(token)
    response = HTMLResponse(body, status_code=403)
    await response({"type": "http", **scope}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def redirect(path: str) -> Response:
    return RedirectResponse(path, status_code=303)
