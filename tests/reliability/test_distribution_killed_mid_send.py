"""The media process killed with SIGKILL ten times while it sends a press release.

`meria run media` runs as its own OS process against a real nats-server, a SQLite file
and a real SMTP server (aiosmtpd). The release reaches its 240 recipients from the bus;
the test kills the sender each time the SMTP server has taken a few more messages, and
starts it again. In the end every recipient has the release, and a recipient has it
twice only if the server accepted their message in the instant before a kill — at most
one per kill, and both copies carry the same Message-ID.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.auth import User, issue_token
from meria.config import Settings
from meria.db import Database, migrate
from meria.testing.servers import NatsServer, free_port
from services.media.app import PARTS
from tests.support.media import Mailbox, consent, publish_release, smtp_server
from tests.support.stack import wait_until

# Eleven starts of a whole process: minutes on a busy two-core machine.
pytestmark = [pytest.mark.reliability, pytest.mark.database, pytest.mark.timeout(900)]

PROJECT = Path(__file__).resolve().parents[2]
MERIA = str(Path(sys.executable).parent / "meria")
RECIPIENTS = 240
KILLS = 10


class SlowMailbox(Mailbox):
    """A server that takes a moment over each message, as a real one does."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


class MediaProcess:
    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        with (self.folder / f"media-{self.runs}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [MERIA, "run", "media"], cwd=PROJECT, env=self.env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    async def wait_answering(self, http: httpx.AsyncClient) -> None:
        """Up and answering; a process that died says why (a busy machine starts slowly)."""
        answering = _answering(http)

        async def up() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log()[-3000:]
            return await answering()

        await wait_until(up, timeout=180, what=f"the media process answering\n{self.log()[-2000:]}")

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))


@pytest.fixture
def mailbox_port() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server(SlowMailbox()) as found:
        yield found


@pytest.fixture
def media(
    tmp_path: Path, nats_server: NatsServer, database_url: str, mailbox_port: tuple[Mailbox, int]
) -> Iterator[MediaProcess]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("MERIA_")}
    env |= {
        "MERIA_VAR_DIR": str(tmp_path / "var"),
        "MERIA_NATS_URL": nats_server.url,
        # No Temporal here: sending needs none, and the process waits for it in the background.
        "MERIA_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "MERIA_MEDIA_PORT": str(port),
        "MERIA_MEDIA_URL": f"http://127.0.0.1:{port}",
        "MERIA_MEDIA_DATABASE_URL": database_url,
        "MERIA_MEDIA_SMTP_HOST": "127.0.0.1",
        "MERIA_MEDIA_SMTP_PORT": str(mailbox_port[1]),
        "MERIA_MEDIA_MAIL_POLL_SECONDS": "0.1",
        "MERIA_MEDIA_CONSUMER_ACK_WAIT_SECONDS": "2",
        "MERIA_LOG_LEVEL": "WARNING",
    }
    process = MediaProcess(env, tmp_path)
    yield process
    process.kill()


async def test_every_recipient_gets_the_release_across_ten_kills(
    media: MediaProcess, database_url: str, nats_server: NatsServer, mailbox_port: Any
) -> None:
    mailbox: Mailbox = mailbox_port[0]
    database = Database(database_url)
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(database, PARTS.migrations, PARTS.metadata)
    await database.dispose()
    media.start()
    base = media.env["MERIA_MEDIA_URL"]
    token = issue_token(Settings(), User(id="giorgi.media", roles=frozenset({"media_officer"})))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        await media.wait_answering(http)
        outlet = (
            await http.post("/outlets", json={"name_ka": "კახეთის ხმა", "medium": "online"})
        ).json()
        people = [
            {
                "full_name": f"ჟურნალისტი {number}",
                "outlet_id": outlet["id"],
                "email": f"reporter{number:03d}@kakhetiskhma.ge",
                "consents": [consent()],
            }
            for number in range(RECIPIENTS)
        ]
        imported = await http.post("/journalists/import", json={"journalists": people})
        assert imported.status_code == 201, imported.text
        listed = await http.post(
            "/distribution-lists",
            json={"name_ka": "ყველა", "kind": "rule", "rule": {}},
        )
        assert listed.json()["recipient_count"] == RECIPIENTS

    await publish_release(nats_server.url, 42)
    wanted = {person["email"] for person in people}
    accepted_before_kill: list[int] = []
    loop = asyncio.get_running_loop()
    for _ in range(KILLS):
        # Kill once the server has taken a few more messages: mid-send, at a moment the
        # sender cannot choose.
        target = mailbox.count() + random.randint(5, 15)
        deadline = loop.time() + 60
        while mailbox.count() < target:
            assert loop.time() < deadline, f"sending stalled:\n{media.log()[-3000:]}"
            await asyncio.sleep(0.002)
        media.kill()
        accepted_before_kill.append(mailbox.count())
        media.start()

    def received() -> set[str]:
        with mailbox.lock:
            return {m["To"].addresses[0].addr_spec for m in mailbox.messages}

    async def everyone_has_it() -> bool:
        return received() >= wanted

    await wait_until(everyone_has_it, timeout=120, what="every recipient having the release")
    with mailbox.lock:
        messages = list(mailbox.messages)
    per_recipient = Counter(m["To"].addresses[0].addr_spec for m in messages)
    duplicated = {address for address, count in per_recipient.items() if count > 1}
    assert all(count <= 2 for count in per_recipient.values()), per_recipient.most_common(3)
    assert len(duplicated) <= KILLS
    last_before_kill = {
        messages[count - 1]["To"].addresses[0].addr_spec for count in accepted_before_kill
    }
    assert duplicated <= last_before_kill, (duplicated, last_before_kill)
    for address in duplicated:
        copies = {m["Message-ID"] for m in messages if address in str(m["To"])}
        assert len(copies) == 1, copies
    assert len({m["Message-ID"] for m in messages}) == RECIPIENTS

    # The service's own record agrees: every delivery sent, the mailing complete.
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        await media.wait_answering(http)

        async def completed() -> bool:
            mailings = (await http.get("/mailings")).json()
            return bool(mailings) and mailings[0]["completed_at"] is not None

        await wait_until(completed, timeout=60, what="the mailing completed")
        [mailing] = (await http.get("/mailings")).json()
        assert mailing["counts"] == {"sent": RECIPIENTS}
    assert media.runs == KILLS + 1


def _answering(http: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        try:
            return (await http.get("/healthz/live")).status_code == 200
        except httpx.TransportError:
            return False

    return check
