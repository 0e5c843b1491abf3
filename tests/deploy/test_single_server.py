"""The single-server stack (deploy/single-server/) as a municipality runs it, on podman:
the image, PostgreSQL, NATS, Temporal, every Meria process and Caddy in front.

`make deploy-check` runs it (marker `deploy`; the normal suite leaves it out). It makes
the installation's secrets with the image's own command, starts the stack as the README
says, waits until every service is ready, makes the first administrator and signs in
through Caddy over HTTPS (Caddy's local CA), publishes a news item through the API and
reads it on the website through Caddy, takes a backup with the stack's `backup` service
(every database, stream, file area and Temporal's state in the archive, each file as its
manifest says), then SIGKILLs publishing and the website in the middle of a second
publication and sees podman bring them back, with both items on the website once each.
Last, with the stack stopped but for PostgreSQL and NATS, the `restore` service puts the
backup back, and the stack started again holds the first item, its attachment and
nothing of the second. Through Caddy, the Temporal UI and NATS monitoring open for the
signed-in administrator alone, and media's accreditation pages and the events service's
invitation pages answer on the website's host name. Where no registry of container images
is reachable, PostgreSQL and Caddy run from stand-ins built on Debian's packages
(images/*.Containerfile).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.backup import unpack_and_check
from meria.testing.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "single-server"
IMAGE = os.environ.get("MERIA_TEST_IMAGE", "localhost/meria:latest")
LOCAL_BASE = "localhost/meria-base:bookworm"
WEBSITE_HOST = "www.akhmeta.test"
PORTAL_HOST = "portal.akhmeta.test"
MERIA_PROCESSES = ("publishing", "events", "visits", "media", "website", "portal", "worker")
# What a backup of the stack holds: each service's database, each producer's stream, the
# dead letters and the municipality's profile (a key-value bucket), each service's files.
DATABASES = {"portal", "website", "publishing", "events", "visits", "media"}
STREAMS = {"PUBLISHING", "EVENTS", "VISITS", "MEDIA", "PORTAL", "DEADLETTER"}
STREAMS |= {"KV_meria_municipality"}
FILE_AREAS = {"publishing/attachments", "website/files", "media/library"}
CSRF_FIELD = re.compile(r'name="csrftoken" value="([^"]+)"')

pytestmark = [pytest.mark.deploy, pytest.mark.timeout(1800)]


def podman_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    environment.setdefault("CONTAINERS_CONF", str(ROOT / "deploy/podman/containers.conf"))
    environment["PATH"] = f"{ROOT / '.venv/bin'}{os.pathsep}{environment.get('PATH', '')}"
    return environment


def run(*command: str, cwd: Path | None = None, check: bool = True, timeout: float = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=podman_environment(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return done.stdout


def image_or_stand_in(public: str, stand_in: str, containerfile: str) -> str:
    """The public image when it can be had, else the stand-in built from Debian's packages."""
    if _exists(public) or _succeeds("podman", "pull", "--quiet", public):
        return public
    if not _exists(stand_in):
        run(
            "podman", "build", "--format", "docker", "--file", containerfile, "--tag", stand_in,
            "--build-arg", f"BASE_IMAGE={LOCAL_BASE}", str(DEPLOY / "images"),
        )  # fmt: skip
    return stand_in


def _succeeds(*command: str) -> bool:
    done = subprocess.run(command, env=podman_environment(), capture_output=True, check=False)
    return done.returncode == 0


def _exists(image: str) -> bool:
    return _succeeds("podman", "image", "exists", image)


@dataclass
class Stack:
    directory: Path
    project: str
    https_port: int

    def compose(self, *arguments: str, timeout: float = 600) -> str:
        return run("podman-compose", "-p", self.project, *arguments, cwd=self.directory,
                   timeout=timeout)  # fmt: skip

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    def pid(self, service: str) -> int:
        return int(run("podman", "inspect", "--format", "{{.State.Pid}}", self.container(service)))

    def ready(self, service: str) -> bool:
        argument = [service] if service in ("nats", "temporal") else []
        try:
            done = subprocess.run(
                ["podman", "exec", self.container(service), "meria", "health", "--ready",
                 *argument],
                env=podman_environment(), capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            # Seven Python processes starting at once on two cores: not ready yet.
            return False
        return done.returncode == 0

    def wait_until_ready(self, services: tuple[str, ...], seconds: float) -> float:
        started = time.monotonic()
        waiting = set(services)
        while waiting and time.monotonic() - started < seconds:
            waiting = {service for service in waiting if not self.ready(service)}
            if waiting:
                time.sleep(2)
        assert not waiting, f"not ready after {seconds} s: {sorted(waiting)}"
        return time.monotonic() - started

    def console(self, *command: str) -> str:
        """A command in the operator's console (the `cli` service), with the newsroom."""
        return self.compose(
            "--profile", "tools", "run", "--rm", "--no-deps", "-T",
            "-v", f"{Path(__file__).parent / 'newsroom.py'}:/opt/newsroom.py:ro",
            "cli", *command,
        )  # fmt: skip

    def newsroom(self, *arguments: str) -> Any:
        output = self.console("python", "/opt/newsroom.py", *arguments)
        return json.loads(output.strip().splitlines()[-1])

    def memory(self) -> dict[str, str]:
        lines = run("podman", "stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}")
        prefix = f"{self.project}_"
        return {
            name.removeprefix(prefix).removesuffix("_1"): usage
            for name, usage in (line.split("\t", 1) for line in lines.splitlines() if "\t" in line)
            if name.startswith(prefix)
        }


class Https:
    """A browser's view of the stack: Caddy on the loopback, trusted through its local CA,
    reached by host name (SNI and Host) without DNS."""

    def __init__(self, port: int, authority: Path) -> None:
        self.port = port
        self.authority = authority
        self.context = ssl.create_default_context(cafile=str(authority))
        self.client = httpx.Client(verify=self.context, timeout=30, follow_redirects=False)
        self.csrf = ""

    def request(self, method: str, host: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Host": f"{host}:{self.port}", **kwargs.pop("headers", {})}
        response = self.client.request(
            method, f"https://127.0.0.1:{self.port}{path}", headers=headers,
            extensions={"sni_hostname": host}, **kwargs,
        )  # fmt: skip
        found = CSRF_FIELD.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    if shutil.which("podman") is None:
        pytest.fail("podman is missing: apt-get install podman buildah mmdebstrap runc")
    assert _exists(IMAGE), f"{IMAGE} is missing: make image"
    directory = tmp_path / "single-server"
    directory.mkdir()
    for name in ("compose.yaml", "Caddyfile", "podman-up"):
        shutil.copy2(DEPLOY / name, directory / name)
    postgres = image_or_stand_in(
        "docker.io/library/postgres:15-bookworm", "localhost/meria-postgres:15",
        "postgres.Containerfile",
    )  # fmt: skip
    caddy = image_or_stand_in(
        "docker.io/library/caddy:2", "localhost/meria-caddy:2", "caddy.Containerfile"
    )
    https_port = free_port()
    (directory / ".env").write_text(
        f"WEBSITE_HOST={WEBSITE_HOST}\nPORTAL_HOST={PORTAL_HOST}\nACME_EMAIL=it@akhmeta.test\n"
        f"CADDY_OPTIONS=local_certs\nMUNICIPALITY=akhmeta\n"
        f"IMAGE={IMAGE}\nPOSTGRES_IMAGE={postgres}\n"
        f"CADDY_IMAGE={caddy}\nHTTP_BIND=127.0.0.1:{free_port()}\n"
        f"HTTPS_BIND=127.0.0.1:{https_port}\n",
        encoding="utf-8",
    )
    # The README's first step: the installation's secrets, made by the image itself.
    (directory / "secrets").mkdir()
    run(
        "podman", "run", "--rm", "--user", "0", "--read-only",
        "-v", f"{directory / 'secrets'}:/secrets",
        IMAGE, "meria", "secrets", "generate", "/secrets",
    )  # fmt: skip
    project = f"meria-check-{os.getpid()}"
    stack = Stack(directory, project, https_port)
    try:
        run(str(directory / "podman-up"), "-p", project, cwd=directory, timeout=900)
        yield stack
    finally:
        for service in ("publishing", "website", "portal"):
            logs = subprocess.run(
                ["podman", "logs", "--tail", "15", stack.container(service)],
                env=podman_environment(), capture_output=True, text=True, check=False,
            )  # fmt: skip
            print(f"--- {service}\n{logs.stdout}{logs.stderr}")
        run("podman-compose", "-p", project, "down", "-v", cwd=directory, check=False)


def test_the_single_server_stack_serves_publishes_and_survives_killed_services(
    stack: Stack,
) -> None:
    started = time.monotonic()
    figures: dict[str, object] = {}

    # Every process becomes ready: its database, NATS and Temporal answer.
    figures["ready_after_s"] = round(
        stack.wait_until_ready(("nats", "temporal", *MERIA_PROCESSES), seconds=420), 1
    )
    # Each container's own health check (the image's HEALTHCHECK, `meria health`) passes.
    for service in ("nats", "temporal", *MERIA_PROCESSES):
        run("podman", "healthcheck", "run", stack.container(service))
    # The image: labelled, a user of its own, and nothing written outside the data volume.
    labels = json.loads(run("podman", "image", "inspect", "--format", "{{json .Labels}}", IMAGE))
    for label in ("version", "revision", "source", "licenses"):
        assert f"org.opencontainers.image.{label}" in labels
    publishing = stack.container("publishing")
    assert run("podman", "exec", publishing, "id", "-u").strip() == "10001"
    assert not _succeeds("podman", "exec", publishing, "touch", "/app/written")
    assert _succeeds("podman", "exec", publishing, "touch", "/var/lib/meria/written")

    # Caddy's local CA signed the two host names' certificates.
    authority = stack.directory / "caddy-root.crt"
    for _ in range(60):
        root = run("podman", "exec", stack.container("caddy"), "cat",
                   "/data/caddy/pki/authorities/local/root.crt", check=False)  # fmt: skip
        if root.startswith("-----BEGIN CERTIFICATE-----"):
            break
        time.sleep(1)
    authority.write_text(root)
    browser = Https(stack.https_port, authority)

    # The first administrator, made as the README says: a token from the operator's
    # console, the accounts API through Caddy; then she signs in to the portal over HTTPS.
    token = stack.console("meria", "token", "--user", "setup", "--role", "admin").split()[-1]
    made = browser.request(
        "PUT", PORTAL_HOST, "/api/accounts/nana.admin",
        headers={"Authorization": f"Bearer {token}"},
        json={"display_name": "ნანა ადმინისტრატორი", "roles": ["admin"],
              "password": "ახმეტის-პორტალის-პირველი-პაროლი", "language": "ka"},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    assert browser.request("GET", PORTAL_HOST, "/sign-in").status_code == 200
    signed_in = browser.request(
        "POST", PORTAL_HOST, "/sign-in",
        data={"csrftoken": browser.csrf, "username": "nana.admin",
              "password": "ახმეტის-პორტალის-პირველი-პაროლი", "next": "/inbox"},
    )  # fmt: skip
    assert signed_in.status_code == 303, signed_in.text[:500]
    assert signed_in.headers["location"].endswith("/inbox")
    inbox = browser.request("GET", PORTAL_HOST, "/inbox")
    assert inbox.status_code == 200 and "ნანა ადმინისტრატორი" in inbox.text
    assert "Strict-Transport-Security" in inbox.headers

    # Metrics and API documents stay inside.
    assert browser.request("GET", WEBSITE_HOST, "/metrics").status_code == 404
    assert browser.request("GET", PORTAL_HOST, "/docs").status_code == 404

    # The Temporal UI and NATS monitoring, through Caddy, for the administrator only.
    administrators_tools(stack, browser, token)
    # Media's public accreditation pages are on the website's host name: an event never
    # opened for accreditation is media's own answer, not the website's.
    form = browser.request("GET", WEBSITE_HOST, "/accreditation/404404")
    assert form.status_code == 404 and form.json()["title"] == "No accreditation window"
    # So are the events service's invitation pages.
    css = browser.request("GET", WEBSITE_HOST, "/rsvp/page.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")

    # A news item through the API, with a PDF attached: written, approved, published by
    # its workflow…
    first = "ახმეტის მერიამ ალვანში ახალი ბიბლიოთეკა გახსნა"
    document = stack.newsroom("submit", first, "attach")
    stack.newsroom("approve", str(document["id"]))
    stack.newsroom("published", str(document["id"]))
    # …and read on the website through Caddy, over HTTPS.
    home = until_shown(browser, first)
    assert home.status_code == 200

    # A backup while the stack runs, as the README takes it.
    taken = time.monotonic()
    archive = backed_up(stack, document["attachment_sha256"])
    figures["backup_s"] = round(time.monotonic() - taken, 1)
    figures["backup_bytes"] = archive.stat().st_size
    # The worker's /metrics sees it, so the backup-age alert has something to read.
    scraped = run(
        "podman", "exec", stack.container("worker"), "python3", "-c",
        "import urllib.request as u; t=open('/run/secrets/metrics_token').read().strip(); "
        "r=u.Request('http://127.0.0.1:8105/metrics', headers={'Authorization': 'Bearer '+t}); "
        "print(u.urlopen(r, timeout=10).read().decode())",
    )  # fmt: skip
    stamp = re.search(r"^meria_backup_last_success_timestamp_seconds (\S+)$", scraped, re.M)
    assert stamp is not None and float(stamp.group(1)) > time.time() - 600, scraped[-2000:]

    figures["memory_idle"] = stack.memory()

    # A second item waits for the head of department. The website is killed, as a power
    # cut or the kernel's OOM killer would, so the item is published while it starts
    # again; publishing is killed as soon as the head has approved, while its workflow
    # publishes the item.
    second = "თუშეთის გზის რეაბილიტაცია დასრულდა"
    document2 = stack.newsroom("submit", second)
    killed = {service: stack.pid(service) for service in ("website", "publishing")}
    os.kill(killed["website"], signal.SIGKILL)
    stack.newsroom("approve", str(document2["id"]))
    os.kill(killed["publishing"], signal.SIGKILL)

    # podman brings both back on their own (restart: unless-stopped)…
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pids = {service: _pid_or_zero(stack, service) for service in killed}
        if all(pids[service] not in (0, killed[service]) for service in killed):
            break
        time.sleep(1)
    else:
        raise AssertionError(f"not restarted: {pids} (killed {killed})")
    figures["back_after_kill_s"] = round(stack.wait_until_ready(tuple(killed), seconds=240), 1)
    # …the second item is published, and both are on the website exactly once.
    stack.newsroom("published", str(document2["id"]))
    page = until_shown(browser, second)
    assert first in page.text
    listed = browser.request("GET", WEBSITE_HOST, "/api/documents")
    titles = [item["title_ka"] for item in listed.json()]
    assert sorted(titles) == sorted([first, second]), titles
    ids = stack.newsroom("documents")
    assert sorted(ids) == sorted([document["id"], document2["id"]])

    # The backup put back: the stack as it was when it was taken.
    taken = time.monotonic()
    restored(stack, archive, document["attachment_sha256"])
    figures["restore_and_ready_s"] = round(time.monotonic() - taken, 1)
    listed = browser.request("GET", WEBSITE_HOST, "/api/documents")
    assert [item["title_ka"] for item in listed.json()] == [first]
    assert stack.newsroom("documents") == [document["id"]]
    page = until_shown(browser, first)
    assert second not in page.text

    figures["check_s"] = round(time.monotonic() - started, 1)
    print("deploy-check figures:", json.dumps(figures, ensure_ascii=False))


def backed_up(stack: Stack, attachment_sha256: str) -> Path:
    """`podman-compose --profile tools run --rm backup`, once the website holds its copy of
    the published attachment: one archive in ./backups whose manifest names every
    database, stream and file area and Temporal's state, each file as its checksum says."""
    website_files = ["podman", "exec", stack.container("website"), "find",
                     "/var/lib/meria/website/files", "-type", "f"]  # fmt: skip
    deadline = time.monotonic() + 120
    while not run(*website_files, check=False).strip():
        assert time.monotonic() < deadline, "the website never copied the attachment"
        time.sleep(1)
    output = stack.compose("--profile", "tools", "run", "--rm", "-T", "backup")
    folder = stack.directory / "backups"
    archives = sorted(folder.glob("meria-backup-*.tar.gz"))
    assert len(archives) == 1, f"{archives}\n{output}"
    archive = archives[0]
    assert f"wrote /backups/{archive.name}" in output
    assert json.loads((folder / "latest.json").read_text())["archive"] == archive.name
    with tempfile.TemporaryDirectory() as unpacked:
        # Every file is there as the manifest's checksums say, nothing more.
        manifest = unpack_and_check(archive, Path(unpacked))
    assert set(manifest["databases"]) == DATABASES
    assert {taken["engine"] for taken in manifest["databases"].values()} == {"postgresql"}
    assert set(manifest["streams"]) == STREAMS
    assert manifest["streams"]["PUBLISHING"]["messages"] >= 1
    assert set(manifest["file_areas"]) == FILE_AREAS
    # Each file area read from its service's volume: the attachment as publishing keeps
    # it and as the website serves it.
    assert manifest["file_areas"]["publishing/attachments"]["count"] == 1
    assert manifest["file_areas"]["website/files"]["count"] >= 1
    kept = {
        path.split("/", 2)[1]: entry["sha256"]
        for path, entry in manifest["files"].items()
        if path.startswith(("files/publishing/attachments/", "files/website/files/"))
    }
    assert kept == {"publishing": attachment_sha256, "website": attachment_sha256}, kept
    # The Temporal dev server's state, from its volume.
    assert manifest["temporal"] == {"engine": "sqlite", "file": "temporal/temporal.sqlite"}
    assert manifest["files"]["temporal/temporal.sqlite"]["size"] > 0
    return archive


def restored(stack: Stack, archive: Path, attachment_sha256: str) -> None:
    """The README's restore: refused while the stack runs; with every Meria process and
    Temporal stopped (PostgreSQL and NATS running), the `restore` service puts the archive
    back, and ./podman-up starts the stack again."""
    restore = ["podman-compose", "-p", stack.project, "--profile", "tools", "run", "--rm", "-T",
               "restore", archive.name]  # fmt: skip
    refused = subprocess.run(
        restore, cwd=stack.directory, env=podman_environment(), capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "is running" in refused.stdout + refused.stderr, (
        refused.stdout + refused.stderr
    )[-2000:]
    stack.compose("stop", *MERIA_PROCESSES, "temporal")
    output = run(*restore, cwd=stack.directory, timeout=900)
    assert "restored the backup of" in output, output
    run(str(stack.directory / "podman-up"), "-p", stack.project, cwd=stack.directory, timeout=900)
    stack.wait_until_ready(("nats", "temporal", *MERIA_PROCESSES), seconds=420)
    # The attachment is back where publishing keeps it.
    stored = run("podman", "exec", stack.container("publishing"), "find",
                 "/var/lib/meria/publishing/attachments", "-type", "f", "-exec", "sha256sum",
                 "{}", "+")  # fmt: skip
    assert attachment_sha256 in stored, stored


def administrators_tools(stack: Stack, admin: Https, token: str) -> None:
    """The Temporal UI and NATS monitoring on the portal's host name: refused to a stranger
    and to a signed-in editor, served to the signed-in administrator (`admin`)."""
    stranger = Https(stack.https_port, admin.authority)
    page = {"Accept": "text/html"}
    sent = stranger.request("GET", PORTAL_HOST, "/ops/temporal/", headers=page)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/sign-in?next=")
    assert stranger.request("GET", PORTAL_HOST, "/ops/nats/varz").status_code == 401
    refused = stranger.request("GET", PORTAL_HOST, "/ops/temporal/api/v1/namespaces")
    assert refused.status_code == 401 and "namespaceInfo" not in refused.text

    editor = Https(stack.https_port, admin.authority)
    made = editor.request(
        "PUT", PORTAL_HOST, "/api/accounts/nino.editor",
        headers={"Authorization": f"Bearer {token}"},
        json={"display_name": "ნინო რედაქტორი", "roles": ["editor"],
              "password": "ახმეტის-რედაქტორის-პაროლი", "language": "ka"},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    editor.request("GET", PORTAL_HOST, "/sign-in")
    editor.request(
        "POST", PORTAL_HOST, "/sign-in",
        data={"csrftoken": editor.csrf, "username": "nino.editor",
              "password": "ახმეტის-რედაქტორის-პაროლი", "next": "/"},
    )  # fmt: skip
    assert editor.request("GET", PORTAL_HOST, "/ops/temporal/", headers=page).status_code == 403

    ui = admin.request("GET", PORTAL_HOST, "/ops/temporal/", headers=page)
    assert ui.status_code == 200 and '"/ops/temporal/_app/' in ui.text
    namespaces = admin.request("GET", PORTAL_HOST, "/ops/temporal/api/v1/namespaces").json()
    assert "meria" in [item["namespaceInfo"]["name"] for item in namespaces["namespaces"]]
    varz = admin.request("GET", PORTAL_HOST, "/ops/nats/varz")
    # JetStream as deploy/nats.conf sets it: every acknowledged message on disk.
    assert varz.status_code == 200 and varz.json()["jetstream"]["config"]["sync_always"]


def _pid_or_zero(stack: Stack, service: str) -> int:
    try:
        return stack.pid(service)
    except (AssertionError, ValueError):
        return 0


def until_shown(browser: Https, title: str, seconds: float = 120) -> httpx.Response:
    deadline = time.monotonic() + seconds
    page = browser.request("GET", WEBSITE_HOST, "/")
    while title not in page.text and time.monotonic() < deadline:
        time.sleep(1)
        page = browser.request("GET", WEBSITE_HOST, "/")
    assert title in page.text, f"{title} not on the website after {seconds} s"
    return page
