"""HTTP clients for the services' APIs, authenticated as the worker.

Activities never touch a service's database: they call its API with a short-lived token
in the worker's own name (signed with the worker's key, made afresh for every call, and
carrying no person's role) and an idempotency key, so a retried activity changes nothing
twice. Where a document is written in a person's name (a visit's press release), the
worker names that person as the document's author; it never borrows their role. A
refusal (4xx) is final; anything else is retried by Temporal.
"""

from __future__ import annotations

from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from meria.auth import service_token
from meria.config import Settings

SERVICES = ("publishing", "events", "visits", "media")


def activity_key() -> str:
    """An idempotency key stable across the retries of one activity and distinct for
    every activity of a run: the service applies a retried call once."""
    info = activity.info()
    return f"{info.workflow_id}/{info.workflow_run_id}/{info.activity_id}"


class ServiceClient:
    """An HTTP client for one service."""

    def __init__(self, settings: Settings, base_url: str) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20.0)

    def headers(self, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {service_token(self.settings)}"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotency_key: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: Any = None,
        retry_on: tuple[int, ...] = (),
    ) -> httpx.Response:
        """Call the service as the worker. Statuses in `retry_on` are retried like a
        server's trouble (a case whose creation is still committing)."""
        response = await self.http.request(
            method, path, json=json, params=params, files=files,
            headers=self.headers(idempotency_key),
        )  # fmt: skip
        if (
            400 <= response.status_code < 500
            and response.status_code not in (408, 429)
            and response.status_code not in retry_on
        ):
            # The service refused the request itself; asking again will not change its mind.
            raise ApplicationError(
                f"{method} {path} answered {response.status_code}: {response.text[:500]}",
                type="ServiceRefused",
                non_retryable=True,
            )
        response.raise_for_status()
        return response

    async def close(self) -> None:
        await self.http.aclose()


def service_clients(settings: Settings) -> dict[str, ServiceClient]:
    return {name: ServiceClient(settings, getattr(settings, f"{name}_url")) for name in SERVICES}
