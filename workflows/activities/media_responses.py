"""Activities of the media response workflow: the media service's API, and the publishing
service's for a response published as a statement."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from meria.cases.media import ResponseCase, ResponseTransition, StatementDraft
from workflows.activities.clients import ServiceClient, activity_key
from workflows.activities.publishing import submit_in_publishing


class ResponseRef(BaseModel):
    response_id: int

    @property
    def path(self) -> str:
        return f"/responses/{self.response_id}"


class RecordResponseTransition(BaseModel):
    response: ResponseRef
    transition: ResponseTransition


class MediaResponseActivities:
    def __init__(self, media: ServiceClient, publishing: ServiceClient) -> None:
        self.media = media
        self.publishing = publishing

    @activity.defn(name="media.load_case")
    async def load_case(self, response: ResponseRef) -> ResponseCase:
        # The service starts the workflow inside the transaction that records the case:
        # a first look may come before the commit, and is retried.
        found = await self.media.request("GET", f"{response.path}/case", retry_on=(404,))
        return ResponseCase.model_validate(found.json())

    @activity.defn(name="media.record_transition")
    async def record_transition(self, request: RecordResponseTransition) -> ResponseCase:
        found = await self.media.request(
            "POST",
            f"{request.response.path}/transitions",
            idempotency_key=activity_key(),
            json=request.transition.model_dump(mode="json"),
        )
        return ResponseCase.model_validate(found.json())

    @activity.defn(name="media.send_to_outlet")
    async def send_to_outlet(self, response: ResponseRef) -> int:
        """Email the approved answer to the outlet or journalist who asked (once: the
        media service keys the mailing by the response)."""
        found = await self.media.request(
            "POST", f"{response.path}/dispatch", idempotency_key=activity_key(), json={}
        )
        return int(found.json()["mailing_id"])

    @activity.defn(name="media.publish_statement")
    async def publish_statement(self, response: ResponseRef) -> int:
        """Create the statement in the publishing service in its author's name and submit
        it for approval; publishing's own workflow publishes it.

        Each step looks first at what an earlier attempt did: the response keeps the
        document's id as soon as it exists, and a submitted document is not submitted
        again; the creation carries the activity's idempotency key, so a retry gets the
        same document.
        """
        found = await self.media.request("GET", f"{response.path}/statement-draft")
        draft = StatementDraft.model_validate(found.json())

        async def remember(document_id: int) -> None:
            await self.media.request(
                "POST",
                f"{response.path}/statement",
                idempotency_key=activity_key(),
                json={"document_id": document_id},
            )

        return await submit_in_publishing(
            self.publishing,
            document_id=draft.document_id,
            author=draft.author,
            remember=remember,
            fields={
                "document_type": "press_release",
                "title_ka": draft.title_ka,
                "title_en": draft.title_en,
                "summary_ka": draft.summary_ka,
                "body_ka": draft.body_ka,
                "body_en": draft.body_en,
                "translation_pending": draft.body_en is None,
            },
        )
