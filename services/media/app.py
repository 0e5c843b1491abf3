"""The media process: its FastAPI app and the parts its runtime runs."""

from pathlib import Path

from fastapi import FastAPI

from meria.idempotency import IdempotencyMiddleware
from meria.runtime import FileArea, ServiceParts
from meria.web import build_app
from services.media import citizens_api, information_api
from services.media.api import ROUTERS
from services.media.citizens import keep_sending_digests
from services.media.distribution import keep_sending
from services.media.handlers import subscriptions
from services.media.models import Base, bus_tables, idempotency_keys
from services.media.monitoring import keep_reading_feeds
from services.media.settings import MediaSettings
from services.media.storage import Storage


def file_areas(settings: MediaSettings) -> list[FileArea]:
    """The media library's files, on local disk or in the S3 bucket."""
    storage = Storage(settings)
    return [FileArea("library", storage.fs, storage.root)]


PARTS = ServiceParts(
    name="media",
    file_areas=file_areas,
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=subscriptions,
    produces_events=True,
    uses_temporal=True,
    background=[keep_sending, keep_reading_feeds, keep_sending_digests],
)


def create_app(settings: MediaSettings | None = None) -> FastAPI:
    app = build_app(
        MediaSettings,
        PARTS,
        settings,
        title="Meria media",
        description="Outlets and journalists, accreditation, press distribution, "
        "media monitoring and the media library.",
        routers=[
            *ROUTERS,
            *information_api.ROUTERS,
            citizens_api.router,
            citizens_api.staff_router,
        ],
    )
    app.add_middleware(IdempotencyMiddleware, table=idempotency_keys)
    settings = app.state.settings
    assert isinstance(settings, MediaSettings)
    app.state.storage = Storage(settings)
    return app
