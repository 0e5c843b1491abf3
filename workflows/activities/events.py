"""Activities of the press-conference and meeting workflows that act through the events
service's API, and through the publishing service's for the media advisory and the notice
of a cancelled press conference."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from temporalio import activity

from meria.cases import TaskOutcome
from meria.cases.events import AnnouncementDraft, EventCase, TransitionRequest
from workflows.activities.clients import ServiceClient, activity_key
from workflows.activities.publishing import submit_in_publishing


class EventRef(BaseModel):
    event_id: int

    @property
    def path(self) -> str:
        return f"/events/{self.event_id}"


class RecordEventTransition(BaseModel):
    event: EventRef
    transition: TransitionRequest


class RecordEventTaskOutcome(BaseModel):
    event: EventRef
    key: str
    outcome: TaskOutcome


class AnnouncementRequest(BaseModel):
    event: EventRef
    purpose: Literal["advisory", "notice"]


class AnnouncementWithdrawal(BaseModel):
    """A media advisory that announces a date the conference no longer has."""

    document_id: int
    reason: str


# A document in these states is not on its way to publication: nothing to withdraw.
NOT_ON_ITS_WAY = {"draft", "published", "withdrawn", "unpublished", "superseded", "deleted"}


class EventsActivities:
    def __init__(self, events: ServiceClient, publishing: ServiceClient) -> None:
        self.events = events
        self.publishing = publishing

    @activity.defn(name="events.load_case")
    async def load_case(self, event: EventRef) -> EventCase:
        response = await self.events.request("GET", f"{event.path}/case")
        return EventCase.model_validate(response.json())

    @activity.defn(name="events.record_transition")
    async def record_transition(self, request: RecordEventTransition) -> EventCase:
        response = await self.events.request(
            "POST",
            f"{request.event.path}/transitions",
            idempotency_key=activity_key(),
            json=request.transition.model_dump(mode="json"),
        )
        return EventCase.model_validate(response.json())

    @activity.defn(name="events.record_task_outcome")
    async def record_task_outcome(self, request: RecordEventTaskOutcome) -> None:
        await self.events.request(
            "POST",
            f"{request.event.path}/tasks/{request.key}/outcome",
            idempotency_key=activity_key(),
            json=request.outcome.model_dump(mode="json"),
        )

    @activity.defn(name="events.publish_announcement")
    async def publish_announcement(self, request: AnnouncementRequest) -> int:
        """Create the media advisory (or the notice of cancellation) as an announcement in
        the publishing service, in the name of the event's press officer, and submit it;
        publishing runs its own approval and publication.

        Each step looks first at what an earlier attempt did: the event keeps the
        document's id as soon as it exists, and a submitted document is not submitted
        again.
        """
        path = request.event.path
        response = await self.events.request(
            "GET", f"{path}/announcement-draft?purpose={request.purpose}"
        )
        draft = AnnouncementDraft.model_validate(response.json())

        async def remember(document_id: int) -> None:
            await self.events.request(
                "POST",
                f"{path}/documents",
                idempotency_key=activity_key(),
                json={"purpose": request.purpose, "document_id": document_id},
            )

        return await submit_in_publishing(
            self.publishing,
            document_id=draft.document_id,
            author=draft.author,
            remember=remember,
            fields={
                "document_type": "announcement",
                "title_ka": draft.title_ka,
                "title_en": draft.title_en,
                "summary_ka": draft.summary_ka,
                "summary_en": draft.summary_en,
                "body_ka": draft.body_ka,
                "body_en": draft.body_en,
                "translation_pending": draft.body_en is None,
            },
        )

    @activity.defn(name="events.withdraw_announcement")
    async def withdraw_announcement(self, request: AnnouncementWithdrawal) -> bool:
        """Take a media advisory off its route in publishing, in its author's name: its
        conference moved to a new date, so once approved it would be published, and mailed
        to the journalists, with the wrong day. Withdrawn before publication, it never is.

        An advisory already published stays (the new date's advisory follows it), and one
        off its route already is left as it is, so a repeated attempt changes nothing.
        True when this attempt withdrew it."""
        path = f"/documents/{request.document_id}"
        document = (await self.publishing.request("GET", path)).json()
        if document["state"] in NOT_ON_ITS_WAY:
            return False
        await self.publishing.request(
            "POST", f"{path}/withdraw", json={"reason": request.reason},
            idempotency_key=activity_key(),
        )  # fmt: skip
        return True
