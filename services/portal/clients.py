"""How the portal reaches the services: their REST APIs with the signed-in user's token.

A service's refusal (problem+json) becomes a `ServiceRefused` carrying its status and
message, so a form can show the message beside the field or at its top.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from meria.auth import User, issue_token
from meria.runtime import Runtime
from services.portal.settings import PortalSettings

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
                errors.setdefault(str(item["field"]).split(".")[0], str(item.get("message", "")))
        return errors


class ServiceUnavailable(Exception):
    pass


class Services:
    def __init__(self, settings: PortalSettings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http

    def url(self, service: str, path: str) -> str:
        base: str = getattr(self.settings, f"{service}_url")
        return f"{base}{path}"

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.settings, user, ttl_seconds=300)}"}

    async def call(self, user: User, method: str, service: str, path: str, **kwargs: Any) -> Any:
        try:
            response = await self.http.request(
                method, self.url(service, path), headers=self.headers(user), **kwargs
            )
        except httpx.TransportError as error:
            raise ServiceUnavailable(service) from error
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            if response.status_code >= 500 and response.status_code != 503:
                raise ServiceUnavailable(service)
            raise ServiceRefused(
                response.status_code,
                str(body.get("title", "")),
                str(body.get("detail", "")),
                body,
            )
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, user: User, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(user, "GET", service, path, **kwargs)

    async def post(self, user: User, service: str, path: str, **kwargs: Any) -> Any:
        return await self.call(user, "POST", service, path, **kwargs)

    async def settle(
        self, user: User, service: str, path: str, done: Callable[[Any], bool]
    ) -> None:
        """A workflow has decided, and the service's record of it follows within a moment:
        read it until `done` holds (five seconds at most), so the page the person returns to
        shows the outcome."""
        for _attempt in range(20):
            if done(await self.get(user, service, path)):
                return
            await asyncio.sleep(0.25)


async def keep_http_client(runtime: Runtime) -> None:
    """The portal's one pooled HTTP client, open for as long as the process runs."""
    settings = runtime.settings
    assert isinstance(settings, PortalSettings)
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as http:
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
