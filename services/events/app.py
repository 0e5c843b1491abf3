"""The events process: its FastAPI app and the parts its runtime runs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from meria.idempotency import IdempotencyMiddleware
from meria.logging import get_logger
from meria.runtime import Runtime, ServiceParts
from meria.singleton import one_replica
from meria.web import build_app
from services.events.api import ROUTERS
from services.events.handlers import subscriptions
from services.events.invitations import keep_sending
from services.events.lifecycle import complete_past
from services.events.models import Base, bus_tables, idempotency_keys
from services.events.settings import EventsSettings

log = get_logger(__name__)


@one_replica
async def complete_past_events(runtime: Runtime) -> None:
    """Ceremonies, festivals and the like take place on their own: once their end has
    passed they are completed (press conferences and meetings complete in their workflow)."""
    settings = runtime.settings
    assert isinstance(settings, EventsSettings) and runtime.outbox is not None
    while True:
        try:
            completed = await complete_past(runtime.db(), runtime.outbox, datetime.now(UTC))
            runtime.job_states.pop("completion", None)
            if completed:
                log.info("events.completed_past", count=completed)
                continue
        except Exception as error:
            # Not ready yet (not migrated) or briefly failing: say so and try again.
            runtime.job_states["completion"] = f"failing: {str(error)[:200]}"
        await asyncio.sleep(settings.completion_poll_seconds)


PARTS = ServiceParts(
    name="events",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    produces_events=True,
    uses_temporal=True,
    background=[complete_past_events, keep_sending],
)


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    app = build_app(
        EventsSettings,
        PARTS,
        settings,
        title="Meria events",
        description="Official events, press conferences and meetings with foundations "
        "and NGOs: venues, officials, conflicts, participants, agenda, minutes, briefing "
        "notes, follow-up actions, and the calendars in iCalendar.",
        routers=ROUTERS,
    )
    app.add_middleware(IdempotencyMiddleware, table=idempotency_keys)
    return app
