"""A press conference announced while the media service is frozen, and the events service
too for a moment.

The events and media services run as OS processes of their own (`meria run`), so
SIGSTOP freezes them the way a service stuck at 100 % CPU is frozen: connections are
accepted by the kernel and nothing answers. The portal, the publishing service and the
worker run beside them with the test's NATS and Temporal, and with timeouts of a few
seconds. A press officer announces a press conference while both are frozen: the portal
answers after its write timeout that the outcome is pending; sent again once events is
back, the form creates nothing twice. The event's page says what is pending (the
accreditation window) with the workflow's last error and next attempt, and once media is
thawed the window opens.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.db import Database, migrate
from meria.processes import PROCESSES
from meria.testing.servers import NatsServer, TemporalDevServer, free_port
from tests.conftest import DatabaseFactory
from tests.support.events import TBILISI, EventsDesk, setup_office
from tests.support.portal import Person, add_account
from tests.support.stack import Stack, running_stack, wait_until

pytestmark = [pytest.mark.reliability, pytest.mark.database, pytest.mark.timeout(300)]

PROJECT = Path(__file__).resolve().parents[2]
MERIA = str(Path(sys.executable).parent / "meria")
PRESS_OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
TITLE = "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ"
SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
# Seconds, short so the story is told in about a minute.
FAST = {
    "service_read_timeout_seconds": 2.0,
    "service_write_timeout_seconds": 3.0,
    "service_connect_timeout_seconds": 1.0,
    "breaker_failures": 2,
    "breaker_open_seconds": 3.0,
}


class ServiceProcess:
    """One Meria service as an OS process, which the test may freeze and thaw."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.env = env
        self.log_file = folder / f"{name}.log"
        self.url = env[f"MERIA_{name.upper()}_URL"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_file.open("wb") as log:
            self.process = subprocess.Popen(
                [MERIA, "run", self.name], cwd=PROJECT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None and self.process.poll() is None, self.log()
        self.process.send_signal(number)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def wait_ready(self, http: httpx.AsyncClient) -> None:
        async def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                return (await http.get(f"{self.url}/healthz/ready")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, timeout=120, what=f"{self.name} ready\n{self.log()}")

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""


@pytest.fixture
async def frozen_pair(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[tuple[ServiceProcess, ServiceProcess, str]]:
    """The events and media services as processes, migrated, on one task queue."""
    task_queue = f"test-{os.urandom(5).hex()}"
    base = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    base |= {
        "MERIA_VAR_DIR": str(tmp_path / "var"),
        "MERIA_NATS_URL": nats_server.url,
        "MERIA_TEMPORAL_ADDRESS": temporal_server.address,
        "MERIA_TEMPORAL_TASK_QUEUE": task_queue,
        "MERIA_LOG_LEVEL": "WARNING",
    }
    found = []
    for name in ("events", "media"):
        spec = PROCESSES[name]
        parts = spec.parts()
        url = await new_database(name)
        database = Database(url)
        assert parts.migrations is not None and parts.metadata is not None
        await migrate(database, parts.migrations, parts.metadata)
        await database.dispose()
        port = free_port()
        env = base | {
            f"MERIA_{name.upper()}_PORT": str(port),
            f"MERIA_{name.upper()}_URL": f"http://127.0.0.1:{port}",
            f"MERIA_{name.upper()}_DATABASE_URL": url,
        }
        found.append(ServiceProcess(name, env, tmp_path))
    events, media = found
    try:
        for process in found:
            process.start()
        yield events, media, task_queue
    finally:
        for process in found:
            process.stop()


def the_form(submission: str) -> dict[str, str]:
    day = (datetime.now(TBILISI) + timedelta(days=6)).replace(minute=0, second=0, microsecond=0)
    return {
        "submission": submission,
        "kind": "press_conference",
        "title_ka": TITLE,
        "venue_id": "1",
        "starts_at": day.replace(hour=11).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": day.replace(hour=12).strftime("%Y-%m-%dT%H:%M"),
        "responsible": PRESS_OFFICER[0],
        "follow_up_kind": "press_release",
        "public": "1",
        "action": "schedule",
    }


async def test_a_press_conference_announced_while_media_is_frozen_completes_once_it_returns(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    frozen_pair: tuple[ServiceProcess, ServiceProcess, str],
) -> None:
    events, media, task_queue = frozen_pair
    async with (
        running_stack(
            ["publishing", "worker", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            temporal_task_queue=task_queue,
            events_url=events.url,
            media_url=media.url,
            **FAST,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        stack.urls |= {"events": events.url, "media": media.url}
        await events.wait_ready(http)
        await media.wait_ready(http)
        await add_account(stack, http, *PRESS_OFFICER)
        planner = EventsDesk(stack, http, "setup", "protocol_officer")
        await setup_office(EventsDesk(stack, http, "setup", "head_of_department"), planner)
        officer = Person(stack, PRESS_OFFICER[0])
        assert (await officer.sign_in()).status_code == 303
        await officer.get("/language?to=en&next=/events")
        form = await officer.get("/events/new?kind=press_conference")
        submission = SUBMISSION.search(form.text).group(1)  # type: ignore[union-attr]
        await story(stack, events, media, officer, planner, submission)
        await officer.close()


async def story(
    stack: Stack,
    events: ServiceProcess,
    media: ServiceProcess,
    officer: Person,
    planner: EventsDesk,
    submission: str,
) -> None:
    # Media is stuck, and events is too at the moment the officer announces.
    media.signal(signal.SIGSTOP)
    events.signal(signal.SIGSTOP)
    try:
        pending = await officer.post("/events/new", the_form(submission))
        # After the write timeout, not 30 s: the outcome is pending, the form kept.
        assert pending.status_code == 503, pending.text
        assert "no answer came back in time" in pending.text
        assert SUBMISSION.search(pending.text).group(1) == submission  # type: ignore[union-attr]
    finally:
        events.signal(signal.SIGCONT)

    # Sent again, the same submission is the same event, however often.
    created = await send_until_answered(officer, the_form(submission))
    again = await officer.post("/events/new", the_form(submission))
    assert again.status_code == 303 and again.headers["location"] == created.headers["location"]
    event_path = created.headers["location"].split("?")[0]
    event_id = int(event_path.rsplit("/", 1)[1])
    event = await planner.event(event_id)
    found = await planner.ok("GET", "/events", params={"month": event["starts_at"][:7]})
    assert [item["id"] for item in found["items"] if item["title_ka"] == TITLE] == [event_id]

    # The page renders without media, saying what is pending and why.
    page = await officer.get(event_path)
    assert page.status_code == 200, page.text
    assert "Accreditation: not known while the media service is not answering." in page.text
    assert "the media service is not answering" in page.text

    # The workflow tells the truth: the accreditation window, its last error, its next try.
    told = ("Opening the accreditation window", "Last error: PUT /accreditation-windows/",
            "Next attempt")  # fmt: skip

    async def retrying() -> bool:
        nonlocal page
        page = await officer.get(event_path)
        return all(words in page.text for words in told)

    await wait_until(retrying, timeout=60, what="the page showing the retried activity")
    assert "media: read timeout after 2 s" in page.text or "media: not answering" in page.text
    assert "Failure exceeds size limit" not in page.text

    # Media returns: the window opens, and the case goes on.
    media.signal(signal.SIGCONT)

    async def window_open() -> bool:
        # Media may open it from a request queued while frozen; the workflow's next
        # attempt finds it open and goes on.
        seen = (await officer.get(event_path)).text
        return "Accreditation: open until" in seen and "Waiting on another service" not in seen

    await wait_until(window_open, timeout=60, what=f"the window open\n{media.log()}")
    found = await planner.ok("GET", "/events", params={"month": event["starts_at"][:7]})
    assert [item["id"] for item in found["items"] if item["title_ka"] == TITLE] == [event_id]


async def send_until_answered(officer: Person, form: dict[str, str]) -> httpx.Response:
    """The form sent until the portal has an answer: while the first sending is still
    being handled, the page says its outcome is pending."""
    for _attempt in range(60):
        sent = await officer.post("/events/new", form)
        if sent.status_code != 503:
            assert sent.status_code == 303, sent.text
            return sent
        await asyncio.sleep(0.5)
    raise AssertionError(f"the form never had an answer: {sent.text[-2000:]}")
