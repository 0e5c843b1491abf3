"""Activities of the shared human task: telling the case's service of reminders and escalation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import activity

from workflows.activities.clients import ServiceClient, activity_key


class TaskNoticeRequest(BaseModel):
    service: str
    path: str
    notice: dict[str, Any]


class TaskActivities:
    def __init__(self, clients: dict[str, ServiceClient]) -> None:
        self.clients = clients

    @activity.defn(name="tasks.send_notice")
    async def send_notice(self, request: TaskNoticeRequest) -> None:
        await self.clients[request.service].request(
            "POST",
            request.path,
            idempotency_key=activity_key(),
            json=request.notice,
        )
