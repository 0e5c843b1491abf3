"""Activities that act through the media service's API: the accreditation window of a
press conference, and the reminder to the journalists accredited to it.

The media service owns accreditation; these calls are its contract with the events side:
`PUT /accreditation-windows/{event_id}` opens (or updates) a window and is idempotent,
`POST …/close` closes it with a reason, `POST …/reminders` emails the accredited once per
key, `GET …/accredited` lists them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from temporalio import activity

from workflows.activities.clients import ServiceClient


class AccreditationWindow(BaseModel):
    event_id: int
    title_ka: str
    title_en: str | None
    starts_at: datetime
    closes_at: datetime


class WindowClosing(BaseModel):
    event_id: int
    reason: str


class AccreditedReminder(BaseModel):
    event_id: int
    key: str


def _path(event_id: int) -> str:
    return f"/accreditation-windows/{event_id}"


class MediaActivities:
    def __init__(self, media: ServiceClient) -> None:
        self.media = media

    @activity.defn(name="media.open_accreditation")
    async def open_accreditation(self, window: AccreditationWindow) -> None:
        await self.media.request(
            "PUT",
            _path(window.event_id),
            json=window.model_dump(mode="json", exclude={"event_id"}),
        )

    @activity.defn(name="media.close_accreditation")
    async def close_accreditation(self, closing: WindowClosing) -> None:
        await self.media.request(
            "POST", f"{_path(closing.event_id)}/close", json={"reason": closing.reason}
        )

    @activity.defn(name="media.remind_accredited")
    async def remind_accredited(self, reminder: AccreditedReminder) -> int | None:
        """Email the accredited journalists, once per key; how many, when the service says."""
        response = await self.media.request(
            "POST", f"{_path(reminder.event_id)}/reminders", json={"key": reminder.key}
        )
        return _count(response.json() if response.content else None)


def _count(answer: Any) -> int | None:
    if isinstance(answer, dict):
        for name in ("recipients", "sent", "count"):
            if isinstance(answer.get(name), int):
                return int(answer[name])
    if isinstance(answer, list):
        return len(answer)
    return None
