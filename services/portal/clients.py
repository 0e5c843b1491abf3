"""How the portal reaches the services: their REST APIs with the signed-in user's token.

A service's refusal (problem+json) becomes a `ServiceRefused` carrying its status and
message, so a form can show the message beside the field or at its top. A service that
gives no usable answer (not reachable, slower than the call's timeout, failing, or its
circuit open) becomes a `ServiceUnavailable` saying why: pages show that part as
unavailable with a way to try again (`panels.py`), and a form sent again reuses its
submission's idempotency keys, so a write that timed out is never applied twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

import httpx
from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from meria.auth import User, issue_token
from meria.breakers import Breakers, CircuitOpen, ServiceTrouble, trouble_of
from meria.logging import get_logger
from meria.runtime import Runtime
from services.portal.i18n import _
from services.portal.settings import PortalSettings

log = get_logger("meria.portal.clients")

SERVICES = ("publishing", "events", "visits", "media", "website")


class ServiceRefused(Exception):
    def __init__(self, status: int, title: str, detail: str, body: dict[str, Any]) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.body = body

    @property
    def field_errors(self) -> dict[str, str]:
        """`{field: message}` from a 422 validation problem, where the service names fields."""
        errors: dict[str, str] = {}
        for item in self.body.get("errors") or []:
            if isinstance(item, dict) and item.get("field"):
                errors.setdefault(str(item["field"]).split(".")[0], field_message(item))
        return errors


def field_message(item: dict[str, Any]) -> str:
    """A service's word on one field in the reader's language: pydantic's common refusals
    by their type and limit; a service's own sentence (a validator's) as it said it."""
    limit = item.get("max_length")
    kind = item.get("type")
    if kind == "string_too_long" and limit is not None:
        return _("At most %(limit)s characters; this is longer.") % {"limit": f"{limit:,}"}
    if kind == "too_long" and limit is not None:
        return _("At most %(limit)s entries.") % {"limit": limit}
    if kind == "missing" or (kind == "string_too_short" and item.get("min_length") == 1):
        return _("Required.")
    if kind == "string_too_short":
        return _("At least %(limit)s characters.") % {"limit": item.get("min_length")}
    if kind == "string_pattern_mismatch":
        return _("Not in the expected form.")
    if kind in ("greater_than_equal", "greater_than"):
        return _("At least %(limit)s.") % {"limit": item.get("ge", item.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("At most %(limit)s.") % {"limit": item.get("le", item.get("lt"))}
    if kind in ("int_parsing", "float_parsing", "decimal_parsing"):
        return _("A number is expected.")
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "date_parsing"):
        return _("Give the date as the calendar shows it.")
    return str(item.get("message", ""))


class ServiceUnavailable(Exception):
    """A service gave no usable answer: not reachable, too slow, failing, or its circuit is
    open. `pending` says a write went out and its outcome is not known."""

    def __init__(
        self,
        service: str,
        reason: str = "",
        *,
        pending: bool = False,
        retry_at: datetime | None = None,
    ) -> None:
        super().__init__(f"{service}: {reason}" if reason else service)
        self.service = service
        self.reason = reason
        self.pending = pending
        self.retry_at = retry_at

    @classmethod
    def of(cls, trouble: ServiceTrouble) -> ServiceUnavailable:
        retry_at = trouble.retry_at if isinstance(trouble, CircuitOpen) else None
        return cls(trouble.service, trouble.reason, pending=trouble.pending, retry_at=retry_at)


# What one page found unavailable: a page asks a service that failed it no more (see
# `PageScope`), so a slow service costs the page its timeout once.
_page_troubles: ContextVar[dict[str, ServiceUnavailable] | None] = ContextVar(
    "page_troubles", default=None
)
# The form submission being handled (its hidden `submission` field), and how many calls
# it made to each endpoint: each call's idempotency key derives from both, so the form
# sent again repeats the same keys and the services apply it once.
_submission: ContextVar[tuple[str, dict[str, int]] | None] = ContextVar("submission", default=None)
SUBMISSION_FIELD = "submission"
SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_submission() -> str:
    return secrets.token_urlsafe(18)


def current_submission() -> str | None:
    found = _submission.get()
    return found[0] if found else None


def submission_key(method: str, path: str) -> str | None:
    """The idempotency key of this call of the current submission, if there is one."""
    found = _submission.get()
    if found is None:
        return None
    submission, counts = found
    call = f"{method} {path}"
    counts[call] = counts.get(call, 0) + 1
    digest = hashlib.sha256(f"{call} #{counts[call]}".encode()).hexdigest()[:20]
    return f"portal-{submission}-{digest}"


# A field of a form is read whole up to this size (Starlette's own limit is 1 MiB): a
# document's text may hold two million characters, three bytes each in Georgian, nine in
# a form sent URL-encoded. A field within it reaches its form, which says beside it what
# is too long and keeps the rest.
FORM_FIELD_BYTES = 20 * 1024 * 1024


class FormTooLarge(Exception):
    """A field of the form is beyond what the portal reads at all."""


async def read_form(request: Request) -> FormData:
    """The request's form, read once (later `request.form()` calls get the same)."""
    try:
        return await request.form(max_part_size=FORM_FIELD_BYTES)
    except HTTPException as error:
        if error.status_code == 400 and "maximum size" in str(error.detail):
            raise FormTooLarge() from error
        raise


async def remember_submission(request: Request) -> None:
    """A dependency of every portal route: a POSTed form's submission key, for the calls
    its route makes. Files' forms (multipart) carry it in the address instead, so that
    nothing reads their body before the route does."""
    if request.method != "POST":
        return
    value: Any = request.query_params.get(SUBMISSION_FIELD)
    content_type = request.headers.get("content-type", "")
    if value is None and content_type.startswith("application/x-www-form-urlencoded"):
        value = (await read_form(request)).get(SUBMISSION_FIELD)
    if isinstance(value, str) and SUBMISSION.match(value):
        _submission.set((value, {}))


class PageScope:
    """Gives each request its own record of the services that failed it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _page_troubles.set({})
        try:
            await self.app(scope, receive, send)
        finally:
            _page_troubles.reset(token)


class Services:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self.breakers = Breakers(settings.breaker_failures, settings.breaker_open_seconds)

    def url(self, service: str, path: str) -> str:
        base: str = getattr(self.settings, f"{service}_url")
        return f"{base}{path}"

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, user, ttl_seconds=300)}"}

    def timeout(self, method: str) -> httpx.Timeout:
        """Short for reads, longer for writes; a connection is not waited for long."""
        settings = self.settings
        seconds = (
            settings.service_read_timeout_seconds
            if method in ("GET", "HEAD")
            else settings.service_write_timeout_seconds
        )
        return httpx.Timeout(seconds, connect=settings.service_connect_timeout_seconds)

    async def call(
        self,
        user: User,
        method: str,
        service: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Any:
        troubles = _page_troubles.get()
        if troubles is not None and service in troubles:
            raise troubles[service]
        headers = self.headers(user)
        key = idempotency_key or (submission_key(method, path) if method == "POST" else None)
        if key:
            headers["Idempotency-Key"] = key
        try:
            response = await self._send(method, service, path, headers, **kwargs)
        except ServiceTrouble as trouble:
            unavailable = ServiceUnavailable.of(trouble)
            log.warning("service.unavailable", service=service, path=path, reason=trouble.reason)
            if troubles is not None:
                troubles[service] = unavailable
            raise unavailable from None
        if response.status_code >= 400:
            refused = _refusal(response)
            if refused.body.get("code") == "idempotency_in_progress":
                # The form's first sending is still being handled: its outcome is pending.
                reason = "still handling the first sending of this form"
                raise ServiceUnavailable(service, reason, pending=True)
            if refused.body.get("code") == "idempotency_key_reused":
                # Sent before with other values, and that sending was applied: the form
                # comes back with a new key, so sending it now is a new request.
                _submission.set(None)
                refused.detail = _(
                    "This form was sent before with other values, and that sending was "
                    "saved. Look for it before sending the form again: sent now, it is new."
                )
            raise refused
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def _send(
        self, method: str, service: str, path: str, headers: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        timeout = self.timeout(method)
        async with self.breakers.guard(service):
            try:
                response = await self.http.request(
                    method, self.url(service, path), headers=headers, timeout=timeout, **kwargs
                )
            except httpx.TransportError as error:
                raise trouble_of(service, error, timeout) from None
            if response.status_code >= 500 and response.status_code != 503:
                # 503 is a service's own "not now" (Temporal away): a message for the form.
                raise ServiceTrouble(service, f"answered {response.status_code}")
            return response

    async def get(self, user: User, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(user, "GET", service, path, **kwargs)

    async def post(self, user: User, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(user, "POST", service, path, **kwargs)

    async def settle(
        self, user: User, service: str, path: str, done: Callable[[Any], bool]
    ) -> None:
        """A workflow has decided, and the service's record of it follows within a moment:
        read it until `done` holds (five seconds at most), so the page the person returns to
        shows the outcome. A service that stops answering meanwhile is not waited for: the
        outcome is recorded, and the page says what it can."""
        for _attempt in range(20):
            try:
                if done(await self.get(user, service, path)):
                    return
            except ServiceUnavailable:
                return
            await asyncio.sleep(0.25)


def _refusal(response: httpx.Response) -> ServiceRefused:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return ServiceRefused(
        response.status_code, str(body.get("title", "")), str(body.get("detail", "")), body
    )


async def keep_http_client(runtime: Runtime) -> None:
    """The portal's one pooled HTTP client, open for as long as the process runs."""
    settings = runtime.settings
    assert isinstance(settings, PortalSettings)
    timeout = httpx.Timeout(
        settings.service_write_timeout_seconds, connect=settings.service_connect_timeout_seconds
    )
    async with httpx.AsyncClient(timeout=timeout) as http:
        runtime.state["services"] = Services(settings, http)
        try:
            await asyncio.Event().wait()
        finally:
            runtime.state.pop("services", None)


def services_of(runtime: Runtime) -> Services:
    services: Services | None = runtime.state.get("services")
    if services is None:
        raise ServiceUnavailable("portal")
    return services
