"""The website process: its FastAPI app and the parts its runtime runs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from meria.runtime import ServiceParts
from meria.web import build_app
from services.website.handlers import subscriptions
from services.website.models import Base, bus_tables
from services.website.pages import router
from services.website.settings import WebsiteSettings

PARTS = ServiceParts(
    name="website",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
)


def create_app(settings: WebsiteSettings | None = None) -> FastAPI:
    return build_app(
        WebsiteSettings,
        PARTS,
        settings,
        title="Meria public website",
        description="The municipal website, built from the events the services publish.",
        routers=[router],
    )
