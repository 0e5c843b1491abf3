"""deploy/single-server/Caddyfile, as it is, in front of a running portal, media, events
and website, a Temporal dev server serving its UI under `/ops/temporal` and a nats-server
with its monitoring: over HTTPS (Caddy's local CA), by host name, without DNS.

The administrators' tools open only for a signed-in administrator (Caddy asks the
portal's gate before every request); the media service's public accreditation form is
on the website's host name, beside the events service's invitation pages. The only
change to the file is where its upstreams are: the stack's service names become ports on
the loopback. Caddy is Debian's (`apt-get install caddy`), the same that stands in for
the official image in `make deploy-check`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer, free_port, wait_for_port
from services.portal.settings import DEMO_PASSWORD
from tests.conftest import DatabaseFactory
from tests.support.media import MediaDesk
from tests.support.portal import STAFF, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "single-server" / "Caddyfile"
WEBSITE_HOST = "www.akhmeta.test"
PORTAL_HOST = "portal.akhmeta.test"
UI_PATH = "/ops/temporal"
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')
EVENT_ID = 77


@dataclass
class Caddy:
    process: subprocess.Popen[bytes]
    https_port: int
    authority: Path


def caddyfile_on_loopback(ports: dict[str, int], http_port: int, https_port: int) -> str:
    """The Caddyfile with each upstream `service:port` on the loopback, and the global
    options of a test: its own CA, no admin endpoint, ports of its own."""
    text = CADDYFILE.read_text(encoding="utf-8")
    for upstream, port in ports.items():
        assert upstream in text, f"the Caddyfile no longer names {upstream}"
        text = text.replace(upstream, f"127.0.0.1:{port}")
    options = (
        "local_certs\n\tskip_install_trust\n\tadmin off\n"
        f"\thttp_port {http_port}\n\thttps_port {https_port}"
    )
    assert "{$CADDY_OPTIONS}" in text
    return text.replace("{$CADDY_OPTIONS}", options)


@pytest.fixture
def caddy_binary() -> str:
    found = shutil.which("caddy")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("caddy is missing: apt-get install caddy")
        pytest.skip("caddy is not installed (apt-get install caddy)")
    return found


@pytest.fixture
def temporal_with_ui(tmp_path: Path) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path / "temporal-ui", ui_public_path=UI_PATH).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def https_port() -> int:
    return free_port()


@pytest.fixture
async def stack(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_with_ui: TemporalDevServer,
    new_database: DatabaseFactory,
    https_port: int,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["portal", "media", "events", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_with_ui.address,
            new_database=new_database,
            temporal_ui_url=f"http://127.0.0.1:{temporal_with_ui.ui_port}{UI_PATH}",
            nats_monitor_url=f"http://127.0.0.1:{nats_server.monitor_port}",
            # As compose.yaml sets them: the tools on the portal's host, behind its gate;
            # the journalists' pages on the website's.
            temporal_ui_link=UI_PATH,
            nats_monitor_link="/ops/nats",
            public_url=f"https://{WEBSITE_HOST}:{https_port}",
            trusted_proxies=["127.0.0.1"],
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


@pytest.fixture
async def caddy(
    tmp_path: Path,
    caddy_binary: str,
    stack: Stack,
    nats_server: NatsServer,
    temporal_with_ui: TemporalDevServer,
    https_port: int,
) -> AsyncIterator[Caddy]:
    port = {name: int(url.rsplit(":", 1)[1]) for name, url in stack.urls.items()}
    assert temporal_with_ui.ui_port is not None
    config = tmp_path / "Caddyfile"
    config.write_text(
        caddyfile_on_loopback(
            {
                "portal:8000": port["portal"],
                "website:8080": port["website"],
                "media:8104": port["media"],
                "events:8102": port["events"],
                "temporal:8233": temporal_with_ui.ui_port,
                "nats:8222": nats_server.monitor_port,
            },
            http_port=free_port(),
            https_port=https_port,
        ),
        encoding="utf-8",
    )
    caddy = await asyncio.to_thread(
        start_caddy, caddy_binary, config, https_port, tmp_path / "caddy"
    )
    try:
        yield caddy
    finally:
        await asyncio.to_thread(stop, caddy.process)


def start_caddy(binary: str, config: Path, https_port: int, home: Path) -> Caddy:
    """Caddy on the test's ports, its certificates and state under `home`; ready once its
    local CA has a root and it shows each host name's certificate."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "WEBSITE_HOST": WEBSITE_HOST,
        "PORTAL_HOST": PORTAL_HOST,
        "ACME_EMAIL": "it@akhmeta.test",
    }
    home.mkdir()
    with (home / "caddy.log").open("ab") as log:
        process = subprocess.Popen(
            [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    authority = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        wait_for_port(https_port, 30.0, process)
        deadline = time.monotonic() + 60
        while not all(serves(https_port, authority, host) for host in (WEBSITE_HOST, PORTAL_HOST)):
            assert time.monotonic() < deadline, (home / "caddy.log").read_text()[-2000:]
            time.sleep(0.2)
    except BaseException:
        stop(process)
        raise
    return Caddy(process, https_port, authority)


def serves(port: int, authority: Path, host: str) -> bool:
    """A TLS handshake for `host` succeeds against the local CA: its certificate is made
    (Caddy makes them in the background after it starts listening)."""
    if not authority.is_file():
        return False
    context = ssl.create_default_context(cafile=str(authority))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=2) as raw,
            context.wrap_socket(raw, server_hostname=host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Browser:
    """One person's browser in front of Caddy: its cookies, the last form's CSRF token."""

    def __init__(self, caddy: Caddy) -> None:
        self.port = caddy.https_port
        context = ssl.create_default_context(cafile=str(caddy.authority))
        self.http = httpx.AsyncClient(verify=context, timeout=30, follow_redirects=False)
        self.csrf = ""

    async def request(self, method: str, host: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Host": f"{host}:{self.port}", **kwargs.pop("headers", {})}
        response = await self.http.request(
            method, f"https://127.0.0.1:{self.port}{path}", headers=headers,
            extensions={"sni_hostname": host}, **kwargs,
        )  # fmt: skip
        found = CSRF_FIELD.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    async def page(self, host: str, path: str) -> httpx.Response:
        return await self.request("GET", host, path, headers={"Accept": "text/html"})

    async def sign_in(self, username: str) -> None:
        await self.page(PORTAL_HOST, "/sign-in")
        signed = await self.request(
            "POST", PORTAL_HOST, "/sign-in",
            data={"csrftoken": self.csrf, "username": username, "password": DEMO_PASSWORD,
                  "next": "/inbox"},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text[:300]

    async def close(self) -> None:
        await self.http.aclose()


async def test_the_tools_open_only_for_an_administrator_through_caddy(
    caddy: Caddy, nats_server: NatsServer
) -> None:
    stranger, editor, admin = Browser(caddy), Browser(caddy), Browser(caddy)
    try:
        # Nobody signed in: the Temporal UI sends the browser to sign in and back; NATS
        # monitoring tells a program 401. Neither tool answered.
        sent = await stranger.page(PORTAL_HOST, f"{UI_PATH}/namespaces/meria/workflows")
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/sign-in?next={UI_PATH}/namespaces/meria/workflows"
        assert (await stranger.request("GET", PORTAL_HOST, "/ops/nats/varz")).status_code == 401
        api = await stranger.request("GET", PORTAL_HOST, f"{UI_PATH}/api/v1/namespaces")
        assert api.status_code == 401 and "meria" not in api.text

        # An editor, signed in, is not let in.
        await editor.sign_in(STAFF["editor"][0])
        assert (await editor.page(PORTAL_HOST, f"{UI_PATH}/")).status_code == 403
        assert (await editor.request("GET", PORTAL_HOST, "/ops/nats/connz")).status_code == 403

        # The administrator opens the Temporal UI (its pages and its API under the path)…
        await admin.sign_in(STAFF["admin"][0])
        ui = await admin.page(PORTAL_HOST, f"{UI_PATH}/")
        assert ui.status_code == 200 and f'"{UI_PATH}/_app/' in ui.text
        namespaces = await admin.request("GET", PORTAL_HOST, f"{UI_PATH}/api/v1/namespaces")
        assert namespaces.status_code == 200
        names = [item["namespaceInfo"]["name"] for item in namespaces.json()["namespaces"]]
        assert "meria" in names
        # …and NATS monitoring, whose page links on under the path.
        assert (await admin.page(PORTAL_HOST, "/ops/nats")).headers["location"] == "/ops/nats/"
        monitoring = await admin.page(PORTAL_HOST, "/ops/nats/")
        assert monitoring.status_code == 200 and "href=./varz" in monitoring.text
        varz = await admin.request("GET", PORTAL_HOST, "/ops/nats/varz")
        assert varz.json()["server_name"] == f"meria-test-{nats_server.port}"
        # Her dashboard links to both.
        dashboard = await admin.page(PORTAL_HOST, "/dashboard")
        assert f'href="{UI_PATH}/" id="temporal-ui"' in dashboard.text
        assert 'href="/ops/nats/" id="nats-monitoring"' in dashboard.text
        # Metrics stay inside, whoever asks.
        assert (await admin.request("GET", PORTAL_HOST, "/metrics")).status_code == 404
    finally:
        for browser in (stranger, editor, admin):
            await browser.close()


async def test_a_journalist_applies_for_accreditation_on_the_website_host(
    stack: Stack, caddy: Caddy
) -> None:
    # The events service opens accreditation for a press conference; the form's address
    # is on the website's host name.
    moment = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=20) as http:
        events = MediaDesk(stack, http, "meria-worker", headers=stack.service_headers("worker"))
        opened = await events.ok(
            "PUT", f"/accreditation-windows/{EVENT_ID}",
            json={"title_ka": "მერის პრესკონფერენცია ალაზნის ხიდზე",
                  "title_en": "The mayor's press conference on the Alazani bridge",
                  "starts_at": (moment + timedelta(days=2)).isoformat(),
                  "closes_at": (moment + timedelta(days=1)).isoformat()},
        )  # fmt: skip
    form_url = httpx.URL(opened["public_form_url"])
    assert (form_url.host, form_url.port) == (WEBSITE_HOST, caddy.https_port)

    journalist = Browser(caddy)
    try:
        # She opens it through Caddy and sends it.
        form = await journalist.page(WEBSITE_HOST, form_url.path)
        assert form.status_code == 200 and "ალაზნის ხიდზე" in form.text
        sent = await journalist.request(
            "POST", WEBSITE_HOST, form_url.path,
            data={"full_name": "ეკა ხოშტარია", "outlet": "კახეთის ხმა",
                  "email": "eka@kakheti.example", "consent": "yes"},
        )  # fmt: skip
        assert sent.status_code == 200, sent.text[:500]
        reference = re.search(r"\(A-(\d+)\)", sent.text)
        assert reference, sent.text[:500]
        # The website's own pages are still the website's, an invitation's page is the
        # events service's, and the website's metrics stay inside (the website serves
        # them openly in development: the 404 is Caddy's).
        home = await journalist.page(WEBSITE_HOST, "/")
        assert home.status_code == 200 and "ალაზნის ხიდზე" not in home.text
        css = await journalist.request("GET", WEBSITE_HOST, "/rsvp/page.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert (await journalist.request("GET", WEBSITE_HOST, "/metrics")).status_code == 404
        # Citizens subscribe by e-mail on the website's host name too: media's form.
        subscribe = await journalist.page(WEBSITE_HOST, "/subscribe")
        assert subscribe.status_code == 200 and 'name="topics"' in subscribe.text
    finally:
        await journalist.close()

    # The press officer approves it; the badge's address in the API is media's own (a
    # staff call with a token), not the journalists' host name.
    accreditation_id = reference.group(1)
    async with httpx.AsyncClient(timeout=20) as http:
        officer = MediaDesk(stack, http, "giorgi.media", "media_officer")
        approved = await officer.ok("POST", f"/accreditations/{accreditation_id}/approve")
    assert approved["status"] == "approved"
    badge = f"{stack.urls['media']}/accreditations/{accreditation_id}/badge.pdf"
    assert approved["badge_url"] == badge
