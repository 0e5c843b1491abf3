"""The events demo data, seeded after the visits' as `meria seed` does."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from meria.seed import SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.events import seed as events_seed
from services.visits import seed as visits_seed
from tests.conftest import DatabaseFactory
from tests.support.events import EventsDesk
from tests.support.stack import running_stack, wait_until

pytestmark = pytest.mark.database


async def test_the_demo_events_are_seeded_once_beside_a_visits_programme(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    """The visits seed runs first, and its delegation's programme reaches the calendar over
    the bus: the events seed must still add its own demo events, once."""
    async with (
        running_stack(
            ["visits", "events", "worker"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        desk = EventsDesk(stack, http, "demo.protocol", "protocol_officer")
        assert await visits_seed.seed(SeedContext(stack.operator_settings(), http)) > 0

        programme = 0

        async def programme_arrived() -> bool:  # through the bus
            nonlocal programme
            found = await desk.ok("GET", "/events", params={"kind": "visit_programme"})
            programme = int(found["total"])
            return programme > 0

        await wait_until(programme_arrived, what="the visit's programme in the calendar")

        context = SeedContext(stack.operator_settings(), http)
        created = await events_seed.seed(context)
        assert created > 0
        assert await events_seed.seed(context) == 0

        calendar = await desk.ok("GET", "/events", params={"limit": 2000})
        kinds = [event["kind"] for event in calendar["items"]]
        assert kinds.count("visit_programme") == programme
        assert len(kinds) == programme + created
        assert {"press_conference", "foundation_meeting", "festival"} <= set(kinds)
        titles = {event["title_ka"] for event in calendar["items"]}
        assert any("პრესკონფერენცია" in title for title in titles)
