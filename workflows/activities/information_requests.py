"""Activities of the information request workflow: the media service's API."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from meria.cases.media import InformationCase, InformationTransition
from workflows.activities.clients import ServiceClient, activity_key


class InformationRef(BaseModel):
    request_id: int

    @property
    def path(self) -> str:
        return f"/information-requests/{self.request_id}"


class RecordInformationTransition(BaseModel):
    request: InformationRef
    transition: InformationTransition


class InformationActivities:
    def __init__(self, media: ServiceClient) -> None:
        self.media = media

    @activity.defn(name="media.information.load_case")
    async def load_case(self, request: InformationRef) -> InformationCase:
        # The service starts the workflow inside the transaction that records the case:
        # a first look may come before the commit, and is retried.
        found = await self.media.request("GET", f"{request.path}/case", retry_on=(404,))
        return InformationCase.model_validate(found.json())

    @activity.defn(name="media.information.record_transition")
    async def record_transition(self, request: RecordInformationTransition) -> InformationCase:
        found = await self.media.request(
            "POST",
            f"{request.request.path}/transitions",
            idempotency_key=activity_key(),
            json=request.transition.model_dump(mode="json"),
        )
        return InformationCase.model_validate(found.json())
