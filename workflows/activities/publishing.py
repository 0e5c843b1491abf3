"""Activities that act through the publishing service's REST API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel, ConfigDict
from temporalio import activity

from meria.cases.documents import (
    CaseInfo,
    PublishedEdition,
    TransitionRequest,
    TransitionResult,
)
from workflows.activities.clients import ServiceClient, activity_key

# An act's signing waits its turn behind the others approved at the same moment (half a
# second each): the call waits that long for its answer, within the activity's 3 minutes.
SIGNING_WAIT = 150.0


class EditionRef(BaseModel):
    document_id: int
    edition: int

    @property
    def path(self) -> str:
        return f"/documents/{self.document_id}/editions/{self.edition}"


class RecordTransition(BaseModel):
    edition: EditionRef
    transition: TransitionRequest


class SignedOriginal(BaseModel):
    """The signed PDF of an act, as the publishing service keeps it with the edition."""

    model_config = ConfigDict(extra="ignore")

    id: int
    sha256: str
    signer_name: str | None = None


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

    @activity.defn(name="publishing.sign_edition")
    async def sign_edition(self, edition: EditionRef) -> SignedOriginal:
        """The approved legal act, signed as a PDF with its signer's certificate."""
        response = await self.client.request(
            "POST",
            f"{edition.path}/signed-original",
            idempotency_key=activity_key(),
            read_timeout=SIGNING_WAIT,
        )
        return SignedOriginal.model_validate(response.json(), from_attributes=False)

    @activity.defn(name="publishing.publish_edition")
    async def publish_edition(self, edition: EditionRef) -> PublishedEdition:
        response = await self.client.request(
            "POST", f"{edition.path}/publication", idempotency_key=activity_key()
        )
        return PublishedEdition.model_validate(response.json())


async def submit_in_publishing(
    publishing: ServiceClient,
    *,
    document_id: int | None,
    author: str,
    fields: dict[str, Any],
    remember: Callable[[int], Awaitable[None]],
) -> int:
    """Create a document in `author`'s name (unless `document_id` says an earlier attempt
    did), let the case remember its id, and submit it for approval; publishing then runs
    its own approval and publication, which outlive the case.

    Each step looks first at what an earlier attempt did: the case keeps the document's id
    as soon as it exists, and a submitted document is not submitted again. The creation
    carries the activity's idempotency key, so an attempt that crashed before the case
    recorded the id gets the same document again, not a second draft."""
    if document_id is None:
        created = await publishing.request(
            "POST", "/documents", json={**fields, "author": author},
            idempotency_key=activity_key("document"),
        )  # fmt: skip
        document_id = int(created.json()["id"])
        await remember(document_id)
    document = await publishing.request("GET", f"/documents/{document_id}")
    if document.json()["state"] == "draft":
        await publishing.request(
            "POST", f"/documents/{document_id}/submit", json={},
            idempotency_key=activity_key("submit"),
        )  # fmt: skip
    return document_id
