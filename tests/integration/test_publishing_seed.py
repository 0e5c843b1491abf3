"""The publishing demo data goes in through the real API and workflows once, the
kindergartens' fees among it: the order, the order that amends and partly repeals it, and
its consolidated text; seeding again adds nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from meria.auth import issue_token
from meria.seed import SEED_USER, SeedContext
from meria.testing.servers import NatsServer, TemporalDevServer
from services.publishing import seed
from tests.conftest import DatabaseFactory
from tests.support.publishing import Desk
from tests.support.stack import running_stack

pytestmark = pytest.mark.database


async def test_the_demo_documents_and_an_amended_order_are_seeded_once(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with running_stack(
        ["publishing", "worker"],
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
            assert await seed.seed(context) == len(seed.DOCUMENTS) + 2
            assert await seed.seed(context) == 0
            # The tourism section, its menu and the old site's redirects, once each.
            admin = Desk(stack, http, "demo.admin", "admin")
            sections = await admin.ok("GET", "/site/sections")
            assert [s["key"] for s in sections][-1] == "tourism"
            redirects = await admin.ok("GET", "/site/redirects")
            assert redirects["total"] == len(seed.REDIRECTS)

            desk = Desk(stack, http, "demo.editor", "editor")
            found = await desk.ok("GET", "/documents", params={"limit": 100})
            by_title = {item["title_ka"]: item for item in found["items"]}
            # The standing pages have their owner; one's review comes due a minute on, and
            # a news item is to be taken down in two weeks.
            contacts = by_title["კონტაქტი"]
            assert contacts["owner"] == "demo.editor" and contacts["review_every_months"] == 6
            festival = by_title["ახმეტის ღვინის ფესტივალზე მონაწილეთა რეგისტრაცია დაიწყო"]
            assert festival["unpublish_at"] is not None
            assert festival["unpublish_reason"] == "ფესტივალზე რეგისტრაცია დასრულდა."
            fees = by_title[seed.KINDERGARTEN_FEES["title_ka"]]
            amendment = by_title[seed.FEES_AMENDMENT["title_ka"]]
            assert [(c["document_id"], c["kind"], c["articles"]) for c in fees["changed_by"]] == [
                (amendment["id"], "amends", ["2"]),
                (amendment["id"], "repeals", ["3"]),
            ]
            fees = await desk.wait_for_state(fees["id"], "published", timeout=60)
            current = fees["current"]
            assert current["change_kind"] == "consolidation"
            assert current["consolidated_as_of"] == seed.first_of_next_month().isoformat()
            assert current["incorporates"] == [amendment["id"]]
            first = await desk.ok("GET", f"/documents/{fees['id']}/editions/1")
            assert current["date_signed"] == first["date_signed"]
            assert "20 ლარს" in current["body_ka"]
