"""Signing in and out, and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from meria.throttle import Throttle
from services.portal import accounts, attempts
from services.portal.i18n import _, parse_language, when
from services.portal.models import Account
from services.portal.web import (
    LANGUAGE_COOKIE,
    MaybeStaff,
    redirect,
    render,
    runtime_of,
    safe_next,
    settings_of,
)

router = APIRouter(include_in_schema=False)

REFUSALS = {
    "wrong_credentials": lambda: _("The user name or password is not right."),
    "default_password": lambda: _(
        "The demo password cannot be used in production. Ask an administrator for a new one."
    ),
}


async def sign_in_page(
    request: Request, next_path: str, *, error: str | None = None, username: str = "",
    status_code: int = 200,
) -> Response:  # fmt: skip
    settings = settings_of(request)
    return await render(
        request,
        "sign_in.html",
        status_code=status_code,
        next=next_path,
        error=error,
        username=username,
        password_sign_in=not settings.oidc_enabled,
        oidc=settings.oidc_enabled,
    )


@router.get("/sign-in")
async def sign_in_form(request: Request, signed: MaybeStaff, next: str = "/") -> Response:
    if signed is not None:
        return redirect(safe_next(next))
    return await sign_in_page(request, safe_next(next))


@router.post("/sign-in")
async def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings = settings_of(request)
    target = safe_next(next)
    if settings.oidc_enabled:
        return redirect(f"/sign-in/oidc?next={target}")
    database = runtime_of(request).db()
    throttle = attempts.SignInThrottle(Throttle(database), settings)
    attempt = throttle.attempt(request, accounts.normal_username(username))
    async with database.session() as session:
        known = await session.get(Account, attempt.username)
    wait = await throttle.wait(attempt, known)
    if wait:
        return await held_back(request, target, username, wait)
    failure: accounts.SignInRefused | None = None
    sign_in_id = language = ""
    async with database.transaction() as session:
        try:
            account = await accounts.authenticate(session, settings, username, password)
        except accounts.SignInRefused as refused:
            failure = refused
        else:
            sign_in_id = await accounts.start_session(session, account.username, "password")
            account.last_sign_in_address = attempt.address
            language = account.language
    if failure is not None:
        if failure.reason == "wrong_credentials":
            await throttle.failed(attempt, known)
        message = REFUSALS[failure.reason]()
        return await sign_in_page(
            request, target, error=message, username=username, status_code=401
        )
    await throttle.succeeded(attempt)
    request.session.clear()
    request.session["sign_in"] = sign_in_id
    response = redirect(target)
    attempts.remember_device(response, attempt, settings)
    if not request.cookies.get(LANGUAGE_COOKIE) and parse_language(language):
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def held_back(request: Request, target: str, username: str, wait: int) -> Response:
    """Too many failures: the form again, with when to try, and nothing tried."""
    # Shown to the minute, rounded up, so the time said is never too early.
    until = datetime.now(UTC) + timedelta(seconds=wait + 59)
    message = _("Too many failed sign-ins. Try again after %(time)s.") % {
        "time": when(until.replace(second=0, microsecond=0), "HH:mm")
    }
    page = await sign_in_page(request, target, error=message, username=username, status_code=429)
    page.headers["Retry-After"] = str(wait)
    return page


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    sign_in_id = request.session.get("sign_in")
    if isinstance(sign_in_id, str):
        async with runtime_of(request).db().transaction() as session:
            await accounts.end_session(session, sign_in_id)
    request.session.clear()
    return redirect("/sign-in")


@router.get("/language")
async def switch_language(
    request: Request, signed: MaybeStaff, to: str = "ka", next: str = "/"
) -> Response:
    language = parse_language(to) or "ka"
    response = redirect(safe_next(next))
    settings = settings_of(request)
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=settings.secure_cookies,
        httponly=True,
    )
    if signed is not None:
        async with runtime_of(request).db().transaction() as session:
            account = await session.get(Account, signed.account.username)
            if account is not None:
                account.language = language
    return response
