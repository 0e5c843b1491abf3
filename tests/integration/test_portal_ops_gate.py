"""The gate Caddy asks before it lets anyone into the Temporal UI or NATS monitoring, over
real HTTP to a running portal, with the headers Caddy's forward_auth sends: nobody signed
in is sent to sign in (a page) or refused (a program), a signed-in person without the
role `admin` is refused, an administrator passes until she signs out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

GATE = "/auth/admin-gate"
WORKFLOWS = "/ops/temporal/namespaces/meria/workflows?query=MeriaKind%3D%27document%27"
# A browser opening a page, and the page's own request for data, as Caddy relays them.
PAGE = {"X-Forwarded-Method": "GET", "X-Forwarded-Uri": WORKFLOWS, "Accept": "text/html"}
FETCH = {
    "X-Forwarded-Method": "POST",
    "X-Forwarded-Uri": "/ops/temporal/api/v1/namespaces/meria/workflows/x/cancel",
    "Accept": "application/json",
}


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            # As on one server: the tools on the portal's own host, behind the gate.
            temporal_ui_link="/ops/temporal",
            nats_monitor_link="/ops/nats/",
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


async def test_only_a_signed_in_administrator_passes_the_gate(portal: Stack) -> None:
    # Nobody signed in: a page goes to the sign-in form and comes back to the tool after…
    stranger = Person(portal, "")
    sent = await stranger.get(GATE, headers=PAGE)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/sign-in?next={quote(WORKFLOWS)}"
    # …a program is told 401, as a problem document.
    refused = await stranger.get(GATE, headers=FETCH)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Sign-in required"
    # A forwarded address of another site never becomes the way back.
    elsewhere = await stranger.get(GATE, headers={**PAGE, "X-Forwarded-Uri": "//evil.example/"})
    assert elsewhere.headers["location"] == "/sign-in?next=/"
    # An administrator's bearer token is no way in: the tools are for a signed-in person.
    token = await stranger.get(GATE, headers={**FETCH, **portal.headers("admin")})
    assert token.status_code == 401

    # Nino, an editor, is signed in but not an administrator: refused, in Georgian first.
    nino = Person(portal, STAFF["editor"][0])
    assert (await nino.sign_in()).status_code == 303
    page = await nino.get(GATE, headers=PAGE)
    assert page.status_code == 403
    assert "მხოლოდ ადმინისტრატორები" in page.text
    fetch = await nino.get(GATE, headers=FETCH)
    assert fetch.status_code == 403
    assert fetch.headers["content-type"] == "application/problem+json"
    # Nor does her own dashboard open, so she never sees the tools' links.
    assert (await nino.get("/dashboard")).status_code == 403

    # The administrator passes, for a page and for its requests, and the dashboard links
    # to both tools on the portal's own host.
    admin = Person(portal, STAFF["admin"][0])
    assert (await admin.sign_in()).status_code == 303
    for headers in (PAGE, FETCH):
        passed = await admin.get(GATE, headers=headers)
        assert passed.status_code == 200, passed.text
        assert passed.headers["x-meria-user"] == STAFF["admin"][0]
    dashboard = await admin.get("/dashboard")
    assert 'href="/ops/temporal/" id="temporal-ui"' in dashboard.text
    assert 'href="/ops/nats/" id="nats-monitoring"' in dashboard.text

    # Signed out, the same cookie opens nothing: the database ended the sign-in.
    cookies = dict(admin.http.cookies)
    await admin.post("/sign-out")
    replayed = httpx.AsyncClient(base_url=portal.urls["portal"], cookies=cookies, timeout=20)
    async with replayed:
        assert (await replayed.get(GATE, headers=FETCH)).status_code == 401
    for person in (stranger, nino, admin):
        await person.close()
