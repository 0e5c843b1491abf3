"""A desk for publishing tests: the calls staff make, by role, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from tests.support.desk import ServiceDesk
from tests.support.stack import Stack

LEGAL_ACT = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "ახმეტის მუნიციპალიტეტის მერის ბრძანება სკოლების გათბობის შესახებ",
    "title_en": "Order of the Mayor of Akhmeta Municipality on heating the schools",
    "summary_ka": "ზამთრის სეზონისთვის ახმეტის სკოლების გათბობის ღონისძიებები.",
    "body_ka": "<p>1. ახმეტის, ზემო ალვანისა და ქვემო ალვანის სკოლებში გათბობა "
    "ჩაირთოს 15 ნოემბრიდან.</p><p>2. ბრძანება ძალაშია გამოქვეყნებისთანავე.</p>",
}
PRESS_RELEASE = {
    "document_type": "press_release",
    "title_ka": "ახმეტის მერია თუშეთის გზის რეაბილიტაციას იწყებს",
    "title_en": "Akhmeta City Hall begins rehabilitating the Tusheti road",
    "body_ka": "<p>სამუშაოები ზაფხულის ბოლომდე დასრულდება.</p>",
}


class Desk(ServiceDesk):
    """One person's HTTP session with the publishing service."""

    service = "publishing"

    async def create(self, document: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = await self.ok("POST", "/documents", json=document)
        return created

    async def submit(self, document_id: int, **body: Any) -> dict[str, Any]:
        submitted: dict[str, Any] = await self.ok(
            "POST", f"/documents/{document_id}/submit", json=body
        )
        return submitted

    async def decide(
        self, document_id: int, outcome: str = "approve", **body: Any
    ) -> httpx.Response:
        return await self.call(
            "POST", f"/documents/{document_id}/decisions", json={"outcome": outcome, **body}
        )

    async def document(self, document_id: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.ok("GET", f"/documents/{document_id}")
        return found

    async def status(self, document_id: int) -> dict[str, Any]:
        found: dict[str, Any] = await self.ok("GET", f"/documents/{document_id}/status")
        return found

    async def audit(self, document_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.ok("GET", f"/documents/{document_id}/audit")
        return found

    async def wait_for_stage(
        self, document_id: int, stage: str, timeout: float = 30
    ) -> dict[str, Any]:
        """Poll the workflow until it reaches `stage` (its open tasks exist by then)."""
        status: dict[str, Any] = await self.poll(
            f"/documents/{document_id}/status",
            lambda s: s["stage"] == stage and (stage in NOT_STEPS or s["tasks"]),
            f"reached {stage}",
            timeout,
            name=f"document {document_id}",
        )
        return status

    async def wait_for_state(
        self, document_id: int, state: str, timeout: float = 30
    ) -> dict[str, Any]:
        document: dict[str, Any] = {}
        try:
            async with asyncio.timeout(timeout):
                while True:
                    document = await self.document(document_id)
                    if document["current"]["state"] == state:
                        return document
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(
                f"document {document_id} never became {state}: {json.dumps(document)[:800]}"
            ) from None


# The workflow's stages that are not review steps (a step's stage waits for its tasks).
NOT_STEPS = {"submitted", "changes_requested", "approved", "scheduled", "publishing",
             "published", "failed_to_publish", "rejected", "withdrawn"}  # fmt: skip


async def published_events(
    stack: Stack, subject: str = "publishing.document.>"
) -> list[dict[str, Any]]:
    """Every event of the publishing stream so far, in order, as CloudEvents."""
    bus = await stack.reader()
    events: list[dict[str, Any]] = []
    info = await bus.js.stream_info("PUBLISHING")
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await bus.js.get_msg("PUBLISHING", sequence)
        if message.data:
            events.append(json.loads(message.data))
    return events
