"""The events process: its FastAPI app and the parts its runtime runs."""

from pathlib import Path

from fastapi import FastAPI

from meria.runtime import ServiceParts
from meria.web import build_app
from services.events.models import Base, bus_tables
from services.events.settings import EventsSettings

PARTS = ServiceParts(
    name="events",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    produces_events=True,
)


def create_app(settings: EventsSettings | None = None) -> FastAPI:
    return build_app(
        EventsSettings,
        PARTS,
        settings,
        title="Meria events",
        description="Official events, press conferences and meetings with foundations "
        "and NGOs; venues and calendars.",
    )
