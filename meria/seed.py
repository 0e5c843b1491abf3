"""`meria seed`: demo data for a newcomer, in Georgian and English, through the services' APIs.

Seeding talks to the running stack the way the portal does, so every demo case has its
workflows and events like a real one. Each service's `seed` module decides what exists
already; running it twice adds nothing.
"""

from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass

import httpx

from meria.auth import User, issue_token
from meria.config import Settings

SEEDERS = (
    "services.portal.seed",
    "services.publishing.seed",
    "services.visits.seed",
    "services.events.seed",
    "services.media.seed",
    "services.website.seed",
    "workflows.digest_seed",
)

SEED_USER = User(
    id="demo-seed",
    name="Demo data",
    roles=frozenset({"admin", "editor", "head_of_department"}),
)


@dataclass
class SeedContext:
    settings: Settings
    http: httpx.AsyncClient

    def url(self, service: str, path: str) -> str:
        return f"{getattr(self.settings, f'{service}_url')}{path}"


async def installed_municipality(settings: Settings) -> None:
    """Read the installed profile from the bus (as the read-only user): seeding names the
    municipality's issuers of acts."""
    from meria import municipality
    from meria.bus import READER, Bus
    from meria.config import bus_credentials_of

    bus = Bus(settings.nats_url, "meria-seed", bus_credentials_of(READER))
    async with asyncio.timeout(30):
        await bus.connect()
    try:
        municipality.install(await municipality.read(bus.js))
    finally:
        await bus.close()


async def seed_all(settings: Settings) -> None:
    await installed_municipality(settings)
    token = issue_token(settings, SEED_USER, ttl_seconds=600)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        context = SeedContext(settings, http)
        for module_name in SEEDERS:
            module = importlib.import_module(module_name)
            created = await module.seed(context)
            print(f"seed: {module_name.split('.')[1]}: {created} created", flush=True)
