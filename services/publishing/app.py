"""The publishing process: its FastAPI app and the parts its runtime runs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from meria.config import SettingsError
from meria.idempotency import IdempotencyMiddleware
from meria.pades import SigningError
from meria.runtime import FileArea, ServiceParts
from meria.web import build_app
from services.publishing import site, standing
from services.publishing.api import ROUTERS
from services.publishing.models import Base, bus_tables, idempotency_keys
from services.publishing.settings import PublishingSettings
from services.publishing.signed_originals import Officials, SigningQueue
from services.publishing.signing import load_signing_key


def file_areas(settings: PublishingSettings) -> list[FileArea]:
    """The attachments, and the signing key when it is kept on disk (development): without
    it a restored register could not be verified against the key it was signed with."""
    import fsspec

    local = fsspec.filesystem("file")
    areas = [FileArea("attachments", local, str(settings.attachments_dir))]
    if settings.signing_key is None:
        areas.append(FileArea("signing-key", local, str(settings.signing_key_file)))
    return areas


PARTS = ServiceParts(
    name="publishing",
    file_areas=file_areas,
    metadata=Base.metadata,
    tables=bus_tables,
    migrations=Path(__file__).parent / "migrations",
    produces_events=True,
    uses_temporal=True,
)


def create_app(settings: PublishingSettings | None = None) -> FastAPI:
    app = build_app(
        PublishingSettings,
        PARTS,
        settings,
        title="Meria publishing",
        description="Legal acts of the mayor's office, press releases, news and pages: "
        "drafts, editions, approval routes, the register of numbers, signed publication.",
        routers=[*ROUTERS, site.router, standing.router],
    )
    app.add_middleware(IdempotencyMiddleware, table=idempotency_keys)
    app.state.signing_key = load_signing_key(app.state.settings)
    app.state.officials = Officials(app.state.settings)
    app.state.signing_queue = SigningQueue(app.state.settings.signing_concurrency)
    # A signer's key that cannot be read, or a test certificate in production, stops the
    # service at its start, not at the mayor's signature.
    try:
        app.state.officials.check()
    except SigningError as error:
        raise SettingsError(str(error)) from None
    return app
