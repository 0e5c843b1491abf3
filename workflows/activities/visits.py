"""Activities of the visit workflow: the visits service's API, and the publishing service's
for the press release about a visit's results."""

from __future__ import annotations

from pydantic import BaseModel
from temporalio import activity

from meria.cases import TransitionRequest
from meria.cases.visits import PressReleaseDraft, TaskOutcome, VisitCase
from workflows.activities.clients import ServiceClient, activity_key
from workflows.activities.publishing import submit_in_publishing


class VisitRef(BaseModel):
    visit_id: int

    @property
    def path(self) -> str:
        return f"/visits/{self.visit_id}"


class RecordVisitTransition(BaseModel):
    visit: VisitRef
    transition: TransitionRequest


class RecordTaskOutcome(BaseModel):
    visit: VisitRef
    key: str
    outcome: TaskOutcome


class ReadinessReport(BaseModel):
    visit: VisitRef
    open_keys: list[str]


class VisitsActivities:
    def __init__(self, visits: ServiceClient, publishing: ServiceClient) -> None:
        self.visits = visits
        self.publishing = publishing

    @activity.defn(name="visits.load_case")
    async def load_case(self, visit: VisitRef) -> VisitCase:
        # The service starts the workflow just before it commits the visit: a first
        # look may come too early, and is retried.
        response = await self.visits.request("GET", f"{visit.path}/case", retry_on=(404,))
        return VisitCase.model_validate(response.json())

    @activity.defn(name="visits.record_transition")
    async def record_transition(self, request: RecordVisitTransition) -> VisitCase:
        response = await self.visits.request(
            "POST",
            f"{request.visit.path}/transitions",
            idempotency_key=activity_key(),
            json=request.transition.model_dump(mode="json"),
        )
        return VisitCase.model_validate(response.json())

    @activity.defn(name="visits.record_task_outcome")
    async def record_task_outcome(self, request: RecordTaskOutcome) -> None:
        await self.visits.request(
            "POST",
            f"{request.visit.path}/tasks/{request.key}/outcome",
            idempotency_key=activity_key(),
            json=request.outcome.model_dump(mode="json"),
        )

    @activity.defn(name="visits.report_not_ready")
    async def report_not_ready(self, report: ReadinessReport) -> None:
        await self.visits.request(
            "POST",
            f"{report.visit.path}/readiness-notices",
            idempotency_key=activity_key(),
            json={"open_keys": report.open_keys},
        )

    @activity.defn(name="visits.publish_results")
    async def publish_results(self, visit: VisitRef) -> int:
        """Create the press release about the visit's results in the publishing service,
        in the name of the editor it is assigned to, and submit it for approval.

        Each step looks first at what an earlier attempt did: the visit keeps the
        document's id as soon as it exists, and a submitted document is not submitted
        again; the creation carries the activity's idempotency key, so a retry gets the
        same document.
        """
        response = await self.visits.request("GET", f"{visit.path}/press-release-draft")
        draft = PressReleaseDraft.model_validate(response.json())

        async def remember(document_id: int) -> None:
            await self.visits.request(
                "POST",
                f"{visit.path}/press-release",
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
                "summary_en": draft.summary_en,
                "body_ka": draft.body_ka,
                "body_en": draft.body_en,
                "translation_pending": draft.body_en is None,
            },
        )
