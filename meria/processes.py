"""Every Meria process, where its code is, and the servers the stack runs beside them."""

from __future__ import annotations

import functools
import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from meria.config import BusCredentials, ServiceSettings, bus_credentials_of

if TYPE_CHECKING:
    from meria.bus import BusUser
    from meria.runtime import ServiceParts


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    module: str
    settings_path: str
    summary: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def settings_class(self) -> type[ServiceSettings]:
        module, _, name = self.settings_path.partition(":")
        settings_class: type[ServiceSettings] = getattr(importlib.import_module(module), name)
        return settings_class

    def parts(self) -> ServiceParts:
        parts: ServiceParts = self.load().PARTS
        return parts


PROCESSES: dict[str, ProcessSpec] = {
    spec.name: spec
    for spec in (
        ProcessSpec(
            "portal",
            "services.portal.app",
            "services.portal.settings:PortalSettings",
            "staff portal",
        ),
        ProcessSpec(
            "website",
            "services.website.app",
            "services.website.settings:WebsiteSettings",
            "public website",
        ),
        ProcessSpec(
            "publishing",
            "services.publishing.app",
            "services.publishing.settings:PublishingSettings",
            "publishing API",
        ),
        ProcessSpec(
            "events",
            "services.events.app",
            "services.events.settings:EventsSettings",
            "events API",
        ),
        ProcessSpec(
            "visits",
            "services.visits.app",
            "services.visits.settings:VisitsSettings",
            "visits API",
        ),
        ProcessSpec(
            "media", "services.media.app", "services.media.settings:MediaSettings", "media API"
        ),
        ProcessSpec(
            "worker", "workflows.worker", "workflows.settings:WorkerSettings", "workflow worker"
        ),
    )
}

SERVERS = ("nats", "temporal")
ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def source_digest() -> str:
    """A digest of Meria's source, read rather than compiled: which code runs (the worker's
    build id; what the NATS users were made from)."""
    digest = hashlib.sha256()
    for folder in ("meria", "services", "workflows"):
        for source in sorted((ROOT / folder).rglob("*.py")):
            digest.update(str(source.relative_to(ROOT)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


@functools.cache
def bus_users() -> tuple[BusUser, ...]:
    """Every NATS user of the stack: one per process that uses the bus, the reader,
    backup and restore, and the installer (the municipality's profile)."""
    from meria.bus import backup_user, installer_user, reader_user

    parts = [spec.parts() for spec in PROCESSES.values()]
    users = [each.bus_user() for each in parts if each.uses_bus]
    return (*users, reader_user(), backup_user(), installer_user())


def bus_accounts() -> list[tuple[BusUser, BusCredentials]]:
    """Every NATS user of the stack with its credentials, as each process reads its own:
    what `meria run nats` and the test servers configure."""
    return [(user, bus_credentials_of(user.name)) for user in bus_users()]
