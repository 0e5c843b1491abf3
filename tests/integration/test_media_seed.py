"""The media demo data goes in through the real API once: Georgian outlets, journalists with
their consent, lists, a month of monitoring with one story waiting for its response in
the media officer's inbox, an enquiry, and citizens subscribed by e-mail; seeding again
adds nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from meria.auth import issue_token
from meria.seed import SEED_USER, SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.media import seed
from tests.conftest import DatabaseFactory
from tests.support.media import MediaDesk
from tests.support.stack import running_stack

pytestmark = pytest.mark.database


async def test_the_demo_media_desk_is_seeded_once(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with running_stack(
        ["media", "worker"],
        tmp_path=tmp_path,
        nats_url=nats_server.url,
        temporal_address=temporal_server.address,
        new_database=new_database,
    ) as stack:
        settings = stack.operator_settings()
        token = issue_token(settings, SEED_USER, ttl_seconds=600)
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            context = SeedContext(settings, http)
            assert await seed.seed(context) > 20
            assert await seed.seed(context) == 0
            desk = MediaDesk(stack, http, "demo.media", "media_officer")
            outlets = await desk.ok("GET", "/outlets")
            assert "საზოგადოებრივი მაუწყებელი" in {o["name_ka"] for o in outlets}
            journalists = await desk.ok("GET", "/journalists")
            editor = next(j for j in journalists if j["full_name"] == "ზურაბ ქავთარაძე")
            assert editor["email"] is None and editor["consents"] == []
            items = await desk.ok("GET", "/monitoring-items")
            assert items["total"] == len(seed.ITEMS)
            [story] = [i for i in items["items"] if i["response_needed"]]
            assert "თუშეთის" in story["title"]
            await desk.wait_for(
                f"/responses/{story['response_id']}/status",
                lambda s: s["task"] is not None and s["task"]["assignee"] == "demo.media",
                "put the draft in the media officer's inbox",
            )
            [enquiry] = await desk.ok("GET", "/enquiries")
            assert enquiry["journalist_name"] == "ნათია ჩიკვაიძე"
            # Citizens subscribed by e-mail, each confirmed by their link.
            subscribers = await desk.ok("GET", "/subscribers")
            assert len(subscribers) == len(seed.SUBSCRIBERS)
            assert all(s["confirmed_at"] and s["email"].endswith("@example.org")
                       for s in subscribers)  # fmt: skip
            lists = {item["name_en"]: item for item in await desk.ok("GET", "/distribution-lists")}
            assert lists["All TV"]["recipient_count"] == 2
            # The information desk: one request answered with its table, two waiting, the
            # newest of which starts from the answered one.
            requests = await desk.wait_for(
                "/information-requests",
                lambda page: [r["status"] for r in page["items"]] == ["open", "open", "answered"],
                "had one answered request",
            )
            answered = requests["items"][2]
            assert answered["files"][0]["filename"] == "ღონისძიებები-2026.csv"
            newest = await desk.ok("GET", f"/information-requests/{requests['items'][0]['id']}")
            assert [s["request_id"] for s in newest["similar"]] == [answered["id"]]
