"""Activities that act through the publishing service's REST API."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from services.publishing.schemas import (
    CaseInfo,
    PublishedEdition,
    TransitionRequest,
    TransitionResult,
)
from workflows.activities.clients import ServiceClient, activity_key


class EditionRef(BaseModel):
    document_id: int
    edition: int

    @property
    def path(self) -> str:
        return f"/documents/{self.document_id}/editions/{self.edition}"


class RecordTransition(BaseModel):
    edition: EditionRef
    transition: TransitionRequest


class PublishingActivities:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    @activity.defn(name="publishing.load_case")
    async def load_case(self, edition: EditionRef) -> CaseInfo:
        response = await self.client.request("GET", f"{edition.path}/case")
        return CaseInfo.model_validate(response.json())

    @activity.defn(name="publishing.record_transition")
    async def record_transition(self, request: RecordTransition) -> TransitionResult:
        response = await self.client.request(
            "POST",
            f"{request.edition.path}/transitions",
            idempotency_key=activity_key(),
            json=request.transition.model_dump(mode="json"),
        )
        return TransitionResult.model_validate(response.json())

    @activity.defn(name="publishing.publish_edition")
    async def publish_edition(self, edition: EditionRef) -> PublishedEdition:
        response = await self.client.request(
            "POST", f"{edition.path}/publication", idempotency_key=activity_key()
        )
        return PublishedEdition.model_validate(response.json())
