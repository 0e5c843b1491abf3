"""The portal process: its FastAPI app and the parts its runtime runs."""

from pathlib import Path

from fastapi import FastAPI

from meria.runtime import ServiceParts
from meria.web import build_app
from services.portal.models import Base, bus_tables
from services.portal.settings import PortalSettings

PARTS = ServiceParts(
    name="portal",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    produces_events=True,
)


def create_app(settings: PortalSettings | None = None) -> FastAPI:
    return build_app(
        PortalSettings,
        PARTS,
        settings,
        title="Meria staff portal",
        description="The staff portal: forms that start workflows, the task inbox "
        "and the workflow dashboard.",
    )
