"""Citizens subscribe by e-mail to news, legal acts (by type) and events, through a real
SMTP server: double opt-in (only the confirmation until the link is followed), each item
once per subscriber however often its event comes, at once or in a daily digest, one-click
unsubscribe (RFC 8058), and a form that tells no one whether an address is subscribed and
cannot be used to flood anyone."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from meria.contracts import EventScheduled, LocalizedText
from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import Mailbox, MediaDesk, publish_release, smtp_server
from tests.support.stack import Stack, publish_event, running_stack

pytestmark = pytest.mark.database

NINO = "nino.kapanadze@example.org"
LEVAN = "levan.tushuri@example.org"
STRANGER = "someone.else@example.org"
LINK = re.compile(r"https?://\S+/subscriptions/confirm/[\w.-]+")


@dataclass
class Town:
    stack: Stack
    http: httpx.AsyncClient
    mailbox: Mailbox
    nats_url: str

    @property
    def media(self) -> str:
        return self.stack.urls["media"]

    async def subscribe(self, **body: Any) -> httpx.Response:
        return await self.http.post(f"{self.media}/public/subscriptions", json=body)

    async def mail(
        self, address: str, count: int, what: str, check: Callable[[EmailMessage], bool] = bool
    ) -> list[EmailMessage]:
        """The messages to `address` once there are `count` of them that pass `check`."""
        found: list[EmailMessage] = []
        for _ in range(300):
            found = [m for m in self.mailbox.to(address) if check(m)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"{address} never received {what}: {[m['Subject'] for m in found]}")

    async def confirm(self, message: EmailMessage) -> None:
        """Follow the confirmation link: a page with a button, then the button."""
        link = LINK.search(text_of(message))
        assert link is not None, text_of(message)
        path = urlsplit(link.group(0)).path
        page = await self.http.get(f"{self.media}{path}")
        assert page.status_code == 200 and "დადასტურება" in page.text
        done = await self.http.post(f"{self.media}{path}")
        assert done.status_code == 200 and "დადასტურებულია" in done.text


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture
async def town(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Town]:
    with smtp_server() as (mailbox, port):
        async with (
            running_stack(
                ["media"],
                tmp_path=tmp_path,
                nats_url=nats_server.url,
                temporal_address=temporal_server.address,
                new_database=new_database,
                smtp_host="127.0.0.1",
                smtp_port=port,
                mail_poll_seconds=0.1,
                relay_poll_seconds=0.1,
                website_url="https://akhmeta.gov.ge",
                mail_from="ახმეტის მერია <news@akhmeta.gov.ge>",
                digest_hour=0,
                digest_poll_seconds=0.2,
                subscribe_form_limits="8/hour",
                subscription_mail_limits="2/day",
            ) as stack,
            httpx.AsyncClient(timeout=20) as http,
        ):
            yield Town(stack, http, mailbox, nats_server.url)


def event_scheduled(event_id: int, title_ka: str, title_en: str, public: bool) -> EventScheduled:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    return EventScheduled(
        event_id=event_id, case_id=event_id, kind="festival", state="scheduled",
        title=LocalizedText(ka=title_ka, en=title_en),
        place=LocalizedText(ka="ახმეტის კულტურის ცენტრი", en="Akhmeta Culture Centre"),
        starts_at=starts, ends_at=starts + timedelta(hours=6), public=public, revision=1,
        changed_at=datetime.now(UTC),
    )  # fmt: skip


async def test_a_citizen_confirms_hears_each_item_once_and_leaves_with_one_click(
    town: Town,
) -> None:
    # Nino asks for news and the mayor's orders, at once, in Georgian.
    asked = await town.subscribe(email=NINO, topics=["news", "acts:mayor_order"])
    assert asked.status_code == 202, asked.text
    (confirmation,) = await town.mail(NINO, 1, "a confirmation")
    assert confirmation["Subject"] == "დაადასტურეთ გამოწერა"
    assert confirmation["List-Unsubscribe"] is None  # nothing to leave yet

    # Published before she confirms: not sent to her, then or later.
    await publish_release(town.nats_url, 10, document_type="news",
                          title_ka="ახმეტაში ახალი სკვერი გაიხსნა")  # fmt: skip
    await asyncio.sleep(1.5)
    await town.confirm(confirmation)

    # A news item reaches her once, though its event comes twice; an ordinance (which she
    # did not ask for) does not; an order does.
    title = "ზემო ალვანში ახალი საბავშვო ბაღი გაიხსნა"
    await publish_release(town.nats_url, 11, document_type="news", title_ka=title)
    await publish_release(town.nats_url, 11, document_type="news", title_ka=title)
    await publish_release(town.nats_url, 12, document_type="mayor_ordinance",
                          title_ka="მერის განკარგულება ბიუჯეტის შესახებ")  # fmt: skip
    await publish_release(town.nats_url, 13, document_type="mayor_order",
                          title_ka="მერის ბრძანება სკოლების გათბობის შესახებ")  # fmt: skip
    received = await town.mail(NINO, 3, "the news and the order")
    await asyncio.sleep(0.5)  # and nothing more
    received = town.mailbox.to(NINO)
    subjects = [str(m["Subject"]) for m in received]
    assert subjects == ["დაადასტურეთ გამოწერა", title, "მერის ბრძანება სკოლების გათბობის შესახებ"]
    news = received[1]
    assert "https://akhmeta.gov.ge/news/11" in text_of(news)
    assert news["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(news["List-Unsubscribe"]).strip("<>")
    assert unsubscribe in text_of(news)

    # One click, as a mail client does it (RFC 8058): nothing more comes.
    path = urlsplit(unsubscribe).path
    left = await town.http.post(f"{town.media}{path}", data={"List-Unsubscribe": "One-Click"})
    assert left.status_code == 200 and "აღარ მიიღებთ" in left.text
    await publish_release(town.nats_url, 14, document_type="news",
                          title_ka="ახმეტის ბიბლიოთეკა განახლდა")  # fmt: skip
    await asyncio.sleep(1.5)
    assert len(town.mailbox.to(NINO)) == 3

    # A forged or cut link is refused and changes nothing.
    forged = await town.http.post(f"{town.media}/subscriptions/unsubscribe/abc.def")
    assert forged.status_code == 404

    # She asks the City Hall to forget her address: the media officer erases it, from the
    # subscription and from the messages sent; her old links lead nowhere now.
    officer = MediaDesk(town.stack, town.http, "giorgi.media", "media_officer")
    (row,) = await officer.ok("GET", "/subscribers", params={"email": NINO})
    assert row["unsubscribed_at"] is not None and row["topics"] == ["news", "acts:mayor_order"]
    erased = await officer.ok("DELETE", f"/subscribers/{row['id']}")
    assert erased["email"].endswith("@erased.invalid") and erased["topics"] == []
    assert await officer.ok("GET", "/subscribers", params={"email": NINO}) == []
    mailings = await officer.ok("GET", "/mailings", params={"kind": "subscription"})
    for mailing in mailings:
        deliveries = await officer.ok("GET", f"/mailings/{mailing['id']}/deliveries")
        assert all(NINO not in str(delivery) for delivery in deliveries)
    assert (await town.http.get(f"{town.media}{path}")).status_code == 200  # signed, but…
    assert (await town.http.post(f"{town.media}{path}")).status_code == 200  # …changes nothing
    assert (await officer.ok("GET", "/subscribers"))[0]["email"] != NINO


async def test_a_daily_digest_names_what_was_published_once(town: Town) -> None:
    asked = await town.subscribe(email=LEVAN, topics=["events"], cadence="daily", language="en")
    assert asked.status_code == 202
    (confirmation,) = await town.mail(LEVAN, 1, "a confirmation")
    assert confirmation["Subject"] == "Confirm your subscription"
    await town.confirm(confirmation)

    # A public festival and an internal meeting are announced; a news item is published.
    await publish_event(town.nats_url, event_scheduled(
        5, "თუშური ყველის დღეები", "Tushetian Cheese Days", public=True))  # fmt: skip
    await publish_event(town.nats_url, event_scheduled(
        6, "შეხვედრა ფონდთან", "Meeting with a foundation", public=False))  # fmt: skip
    await publish_release(town.nats_url, 21, document_type="news",
                          title_ka="ბიბლიოთეკის ახალი დარბაზი")  # fmt: skip
    (_, digest) = await town.mail(LEVAN, 2, "a digest", lambda m: "News from" in m["Subject"]
                                  or m["Subject"].startswith("Confirm"))  # fmt: skip
    text = text_of(digest)
    assert "Tushetian Cheese Days" in text and "Akhmeta Culture Centre" in text
    assert "Meeting with a foundation" not in text and "ბიბლიოთეკის" not in text
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Later the same day nothing is sent again, though the digests look every moment.
    await publish_event(town.nats_url, event_scheduled(
        7, "ღვინის ფესტივალი", "Wine festival", public=True))  # fmt: skip
    await asyncio.sleep(1.5)
    assert len(town.mailbox.to(LEVAN)) == 2


async def test_the_form_tells_nothing_and_floods_no_one(town: Town) -> None:
    # Subscribed or not, an address gets the same answer.
    first = await town.subscribe(email=NINO, topics=["news"])
    (confirmation,) = await town.mail(NINO, 1, "a confirmation")
    await town.confirm(confirmation)
    again = await town.subscribe(email=NINO, topics=["news"])
    stranger = await town.subscribe(email=STRANGER, topics=["news"])
    assert first.json() == again.json() == stranger.json()
    assert again.status_code == stranger.status_code == 202

    # At most two confirmation mails a day to one address, however often it is asked.
    for _ in range(3):
        assert (await town.subscribe(email=STRANGER, topics=["events"])).status_code == 202
    await town.mail(STRANGER, 2, "two confirmations")
    await asyncio.sleep(1)
    assert len(town.mailbox.to(STRANGER)) == 2

    # Bad input is refused with a problem, and sends nothing.
    bad = await town.subscribe(email="not-an-address", topics=["news"])
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    none = await town.subscribe(email="ana@example.org", topics=[])
    assert none.status_code == 422

    # The public form, in Georgian and English; past its limit (eight an hour, six spent
    # above: refused input is refused before it is counted), one client waits.
    for _ in range(2):
        assert (await town.subscribe(email=STRANGER, topics=["news"])).status_code == 202
    form = await town.http.get(f"{town.media}/subscribe")
    assert form.status_code == 200 and "გამოწერა ელფოსტით" in form.text
    held = await town.http.post(
        f"{town.media}/subscribe", data={"email": "ana@example.org", "topics": "news"}
    )
    assert held.status_code == 429 and "ძალიან ბევრი მოთხოვნა" in held.text
    refused = await town.subscribe(email="ana@example.org", topics=["news"])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert town.mailbox.to("ana@example.org") == []
