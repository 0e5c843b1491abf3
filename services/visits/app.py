"""The visits process: its FastAPI app and the parts its runtime runs."""

from pathlib import Path

from fastapi import FastAPI

from meria.idempotency import IdempotencyMiddleware
from meria.runtime import ServiceParts
from meria.web import build_app
from services.visits import tourism_api
from services.visits.api import ROUTERS
from services.visits.models import Base, bus_tables, idempotency_keys
from services.visits.partners import run_sweeps
from services.visits.settings import VisitsSettings

PARTS = ServiceParts(
    name="visits",
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    produces_events=True,
    uses_temporal=True,
    background=[run_sweeps],
)


def create_app(settings: VisitsSettings | None = None) -> FastAPI:
    app = build_app(
        VisitsSettings,
        PARTS,
        settings,
        title="Meria visits",
        description="Incoming delegations and foreign visits with their members, programme, "
        "logistics tasks, budget and report; partners, agreements and international projects.",
        routers=[*ROUTERS, tourism_api.router],
    )
    app.add_middleware(IdempotencyMiddleware, table=idempotency_keys)
    return app
