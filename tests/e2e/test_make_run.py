"""`make run`'s story: the whole stack starts under one supervisor, seeds, stops, restarts.

The real `meria migrate` and `meria up` run as a newcomer's would, every process on free
ports and with its data in a temporary `var/`.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from meria.processes import PROCESSES
from services.portal.settings import DEMO_PASSWORD
from services.publishing.seed import PUBLISHED_TITLES
from tests.support.portal import CSRF_FIELD
from tests.support.up import MERIA, ROOT, Stack, up_env


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    return up_env(tmp_path)


@pytest.fixture
def stack(stack_env: dict[str, str], tmp_path: Path) -> Iterator[Stack]:
    running = Stack(stack_env, tmp_path / "up.log")
    yield running
    running.kill()


def port_is_free(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def published_titles(env: dict[str, str]) -> list[str]:
    response = httpx.get(f"{env['MERIA_WEBSITE_URL']}/api/documents", timeout=5)
    return sorted(item["title_ka"] for item in response.json())


def wait_for_titles(env: dict[str, str], count: int) -> list[str]:
    titles: list[str] = []
    for _ in range(240):
        titles = published_titles(env)
        if len(titles) >= count:
            break
        time.sleep(0.25)
    return titles


SEEDED_PUBLISHED = PUBLISHED_TITLES


def signs_in(portal_url: str, username: str) -> bool:
    """The sign-in form, as a browser sends it: the page's CSRF token, then the password."""
    with httpx.Client(base_url=portal_url, timeout=20) as browser:
        form = browser.get("/sign-in")
        token = CSRF_FIELD.search(form.text)
        assert token, form.text
        signed = browser.post(
            "/sign-in",
            data={"csrftoken": token.group(1), "username": username,
                  "password": DEMO_PASSWORD, "next": "/inbox"},
        )  # fmt: skip
        return signed.status_code == 303 and browser.get("/inbox").status_code == 200


def test_make_run_starts_seeds_stops_and_finds_its_data_again(
    stack: Stack, stack_env: dict[str, str]
) -> None:
    # `make run` migrates every service's database first…
    migrated = subprocess.run(
        [MERIA, "migrate"], cwd=ROOT, env=stack_env, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "publishing: migrated" in migrated.stdout

    # …then brings up every process under one supervisor, seeds, and prints the URLs.
    stack.start()
    stack.wait_for("Meria is up.")
    output = stack.output()
    assert stack_env["MERIA_WEBSITE_URL"] in output
    for name in ("nats", "temporal", "publishing", "website", "worker", "portal"):
        assert "| " in output and f"{name} " in output  # lines carry the process's name

    status = subprocess.run(
        [MERIA, "status"], cwd=ROOT, env=stack_env, capture_output=True, text=True, check=False
    )
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count(" ready ") == len(PROCESSES) + 2

    # The demo accounts are printed, and one signs in to the portal.
    assert "seed: portal: 8 created" in output and "demo.editor" in output
    assert signs_in(stack_env["MERIA_PORTAL_URL"], "demo.editor")

    # The demo documents travel through their workflows and the bus to the website.
    titles = wait_for_titles(stack_env, len(SEEDED_PUBLISHED))
    assert sorted(titles) == sorted(SEEDED_PUBLISHED)

    # Ctrl-C stops everything: every port is released.
    assert stack.interrupt() in (0, 130, -2)
    for key in ("MERIA_NATS_URL", "MERIA_PUBLISHING_URL", "MERIA_WEBSITE_URL", "MERIA_WORKER_URL"):
        assert port_is_free(stack_env[key]), key
    assert port_is_free(stack_env["MERIA_TEMPORAL_ADDRESS"])

    # A second run finds the same data, and seeding adds nothing twice.
    stack.start()
    stack.wait_for("Meria is up.")
    assert "seed: publishing: 0 created" in stack.output()
    assert "seed: portal: 0 created" in stack.output()
    assert published_titles(stack_env) == titles
    stack.interrupt()
