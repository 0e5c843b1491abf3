"""Press distribution of one release to many recipients through a local SMTP server, against
raw aiosmtplib sends of the same messages in the same run.

Run: `.venv/bin/python bench/media.py [--recipients 5000]`

The benchmark starts a local SMTP server (aiosmtpd, accepting everything) and prints one
JSON line per case:

- `raw_smtp`: the release's messages, composed beforehand, sent back to back over one
  aiosmtplib connection with nothing recorded: what the SMTP exchange alone costs.
- `meria`: the media service's own path. The mailing and its deliveries are written in
  one transaction (what the handler of `publishing.document.published` does), then the
  service's `Sender` sends them as it runs in production: one message at a time over one
  connection, each delivery marked sent in its own SQLite transaction (synchronous=FULL)
  once the server accepted it, so a crash repeats at most one message. Figures: time to
  write the mailing, time to send, messages/s, and the ratio to the raw case.

Each line carries the commit, the load average (this machine may be shared) and the CPU
count; nothing is adjusted after the fact.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from meria.auth import User
from meria.bus import Outbox
from meria.db import Database, migrate
from meria.testing.servers import free_port
from services.media.app import PARTS
from services.media.contacts import import_journalists
from services.media.distribution import Addressee, Sender, compose, create_mailing
from services.media.models import Delivery, Mailing
from services.media.schemas import ConsentCreate, JournalistCreate
from services.media.settings import MediaSettings

ROOT = Path(__file__).resolve().parent.parent


class Accepting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 Message accepted for delivery"


def emit(**fields: Any) -> None:
    fields |= {
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def release(number: int) -> Mailing:
    return Mailing(
        kind="release",
        key=f"release:{number}:1",
        document_id=number,
        edition=1,
        document_type="press_release",
        subject_ka="ახმეტაში თუშეთის გზის შეკეთება დასრულდა",
        subject_en="The Tusheti road repair in Akhmeta is finished",
        text_ka="ომალოს გზის 12 კილომეტრი ზამთრამდე შეკეთდა.",
        text_en="Twelve kilometres of the Omalo road were repaired before winter.",
        html_ka="<p>ახმეტის მუნიციპალიტეტის მერიის დაფინანსებით აბანოს უღელტეხილის გზა "
        "შეკეთდა.</p>",
        html_en="<p>The road over the Abano pass was repaired with the city hall's funds.</p>",
        link=f"https://akhmeta.gov.ge/press-releases/{number}",
        unsubscribable=True,
    )


def recipients(count: int) -> list[Addressee]:
    return [
        Addressee(f"reporter{n:05d}@kakhetiskhma.ge", f"ჟურნალისტი {n}", "ka", n + 1)
        for n in range(count)
    ]


async def raw_case(port: int, settings: MediaSettings, count: int) -> float:
    mailing = release(0)
    mailing.id = 0
    from datetime import UTC, datetime

    mailing.created_at = datetime.now(UTC)
    messages: list[EmailMessage] = []
    for person in recipients(count):
        delivery = Delivery(
            email=person.email,
            name=person.name,
            language="ka",
            journalist_id=person.journalist_id,
            message_id=f"<raw-{person.journalist_id}@akhmeta.gov.ge>",
        )
        messages.append(compose(mailing, delivery, settings))
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
    await smtp.connect()
    started = time.perf_counter()
    for message in messages:
        await smtp.send_message(message)
    elapsed = time.perf_counter() - started
    await smtp.quit()
    return elapsed


async def meria_case(port: int, folder: Path, count: int, server: Accepting) -> tuple[float, float]:
    settings = MediaSettings(
        _env_file=None,
        var_dir=folder,
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_from="ახმეტის მერია <press@akhmeta.gov.ge>",
    )
    database = Database(settings.database_url)
    assert PARTS.migrations is not None and PARTS.metadata is not None and PARTS.tables
    await migrate(database, PARTS.migrations, PARTS.metadata)
    outbox = Outbox(PARTS.tables.outbox, "media")
    # The recipients exist as journalists with their consent (not timed).
    people = [
        JournalistCreate(
            full_name=person.name,
            email=person.email,
            consents=[
                ConsentCreate(
                    purpose="press_distribution", given_on=date(2026, 9, 1), method="written"
                )
            ],
        )
        for person in recipients(count)
    ]
    await import_journalists(database, people, User(id="bench"))
    started = time.perf_counter()
    async with database.transaction() as session:
        await create_mailing(session, outbox, settings, release(1), recipients(count))
    written = time.perf_counter() - started
    before = server.count
    sender = Sender(database, outbox, settings)
    started = time.perf_counter()
    while True:
        tried, reached = await sender.send_due()
        assert reached, "the local SMTP server went away"
        if not tried:
            break
    sending = time.perf_counter() - started
    await sender.close()
    async with database.session() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.status == "sent")
        )
    await database.dispose()
    assert sent == count and server.count - before == count, (sent, server.count - before)
    return written, sending


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    arguments = parser.parse_args()
    count = arguments.recipients
    server = Accepting()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with tempfile.TemporaryDirectory(prefix="meria-bench-media-") as folder:
            settings = MediaSettings(_env_file=None, var_dir=Path(folder))
            raw = await raw_case(port, settings, count)
            emit(
                case="raw_smtp",
                recipients=count,
                seconds=round(raw, 2),
                messages_per_second=round(count / raw, 1),
            )
            written, sending = await meria_case(port, Path(folder), count, server)
            emit(
                case="meria",
                recipients=count,
                mailing_written_seconds=round(written, 3),
                seconds=round(sending, 2),
                total_seconds=round(written + sending, 2),
                messages_per_second=round(count / sending, 1),
                ratio_to_raw=round(raw / sending, 3),
            )
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.run(main())
