"""Activities that act through the publishing service's REST API.

Activities never touch a service's database: they call its API with a token of their
own (role `system`) and an idempotency key, so a retried activity changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from meria.auth import User, issue_token
from meria.config import Settings

WORKER_USER = User(id="meria-worker", name="Meria workflows", roles=frozenset({"system"}))


class PublishEdition(BaseModel):
    document_id: int
    edition: int


class PublishedEdition(BaseModel):
    document_id: int
    edition: int
    published_at: datetime


class ServiceClient:
    """An HTTP client for one service, authenticated as the worker."""

    def __init__(self, settings: Settings, base_url: str) -> None:
        self.settings = settings
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20.0)

    def headers(self, idempotency_key: str) -> dict[str, str]:
        token = issue_token(self.settings, WORKER_USER, ttl_seconds=300)
        return {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key}

    async def post(self, path: str, idempotency_key: str, json: object = None) -> httpx.Response:
        response = await self.http.post(path, json=json, headers=self.headers(idempotency_key))
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            # The service refused the request itself; asking again will not change its mind.
            raise ApplicationError(
                f"{response.request.method} {path} answered {response.status_code}: "
                f"{response.text[:500]}",
                type="ServiceRefused",
                non_retryable=True,
            )
        response.raise_for_status()
        return response

    async def close(self) -> None:
        await self.http.aclose()


class PublishingActivities:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    @activity.defn(name="publishing.publish_edition")
    async def publish_edition(self, request: PublishEdition) -> PublishedEdition:
        info = activity.info()
        response = await self.client.post(
            f"/documents/{request.document_id}/editions/{request.edition}/publication",
            idempotency_key=f"{info.workflow_id}/publish",
        )
        body = response.json()
        return PublishedEdition(
            document_id=body["id"], edition=body["edition"], published_at=body["published_at"]
        )
