"""Monitoring: outlets' RSS and Atom feeds served over real HTTP are read on a schedule,
what is about the municipality becomes items once each (a story read again, or found in
two feeds, is one item), other news is left alone; staff record items by hand, set the
sentiment, and nonsense is refused without a trace."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.media import IMEDI, KAKHETI_INFO, MediaDesk, kind, wait_for_events
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>კახეთის ხმა</title><link>https://kakhetiskhma.ge/</link>
<description>ამბები კახეთიდან</description>
<item><guid>https://kakhetiskhma.ge/news/101</guid><link>https://kakhetiskhma.ge/news/101</link>
<title>ომალოს გზაზე მეწყერი ჩამოწვა — თუშეთი მოწყვეტილია</title>
<description>&lt;p&gt;ახმეტის მუნიციპალიტეტის მერია გზის გაწმენდაზე მუშაობს.&lt;/p&gt;</description>
<pubDate>Tue, 10 Nov 2026 08:30:00 +0400</pubDate></item>
<item><guid>https://kakhetiskhma.ge/news/102</guid><link>https://kakhetiskhma.ge/news/102</link>
<title>თელავში ღვინის ფესტივალი გაიმართა</title>
<description>ფესტივალს ათასობით სტუმარი ესწრებოდა.</description>
<pubDate>Tue, 10 Nov 2026 12:00:00 +0400</pubDate></item>
<item><guid>https://kakhetiskhma.ge/news/103</guid><link>https://kakhetiskhma.ge/news/103</link>
<title>ახმეტაში ახალი საბავშვო ბაღი გაიხსნა</title>
<description>ბაღი 120 ბავშვზეა გათვლილი.</description>
<pubDate>Wed, 11 Nov 2026 10:00:00 +0400</pubDate></item>
{more}
</channel></rss>
"""
MORE = """<item><guid>https://kakhetiskhma.ge/news/104</guid>
<link>https://kakhetiskhma.ge/news/104</link>
<title>პანკისის ხეობაში სკოლის რემონტი დასრულდა</title>
<pubDate>Thu, 12 Nov 2026 09:00:00 +0400</pubDate></item>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Imedi News</title>
<id>https://imedinews.ge/</id><updated>2026-11-12T10:00:00Z</updated>
<entry><id>tag:imedinews.ge,2026:news-55</id><title>Akhmeta mayor meets Tusheti shepherds</title>
<link href="https://imedinews.ge/en/55"/><updated>2026-11-12T10:00:00Z</updated>
<summary>Shepherds asked for the road to Omalo to be opened before the winter.</summary></entry>
<entry><id>tag:imedinews.ge,2026:news-56</id><title>Tbilisi traffic changes</title>
<link href="https://imedinews.ge/en/56"/><updated>2026-11-12T11:00:00Z</updated>
<summary>New bus lanes on Rustaveli Avenue.</summary></entry>
</feed>
"""


@pytest.fixture
def feeds(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """The outlets' feeds as static files over real HTTP (Last-Modified and 304 included)."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "rss.xml").write_text(RSS.replace("{more}", ""), encoding="utf-8")
    (folder / "atom.xml").write_text(ATOM, encoding="utf-8")
    (folder / "broken.xml").write_text("<html>not a feed", encoding="utf-8")
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@dataclass
class Monitor:
    stack: Stack
    officer: MediaDesk
    editor: MediaDesk


@pytest.fixture
async def monitor(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Monitor]:
    async with (
        running_stack(
            ["media"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            feed_poll_seconds=0.3,
            relay_poll_seconds=0.1,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        yield Monitor(
            stack,
            officer=MediaDesk(stack, http, "giorgi.media", "media_officer"),
            editor=MediaDesk(stack, http, "nino.beridze", "editor"),
        )


async def items(monitor: Monitor, count: int) -> list[dict[str, Any]]:
    found = await monitor.officer.wait_for(
        "/monitoring-items?limit=100",
        lambda page: page["total"] >= count,
        f"held {count} items",
    )
    result: list[dict[str, Any]] = found["items"]
    return result


async def test_feeds_are_read_on_schedule_and_a_story_is_recorded_once(
    monitor: Monitor, feeds: tuple[Path, str]
) -> None:
    folder, base = feeds
    kakheti = await monitor.officer.ok("POST", "/outlets", json=KAKHETI_INFO)
    imedi = await monitor.officer.ok("POST", "/outlets", json=IMEDI)
    await monitor.editor.refused(
        403,
        "POST",
        "/monitoring-feeds",
        json={"outlet_id": kakheti["id"], "url": f"{base}/rss.xml"},
    )
    rss = await monitor.officer.ok(
        "POST", "/monitoring-feeds", json={"outlet_id": kakheti["id"], "url": f"{base}/rss.xml"}
    )
    await monitor.officer.refused(
        409,
        "POST",
        "/monitoring-feeds",
        json={"outlet_id": kakheti["id"], "url": f"{base}/rss.xml"},
    )
    await monitor.officer.ok(
        "POST", "/monitoring-feeds", json={"outlet_id": imedi["id"], "url": f"{base}/atom.xml"}
    )
    broken = await monitor.officer.ok(
        "POST", "/monitoring-feeds", json={"outlet_id": imedi["id"], "url": f"{base}/broken.xml"}
    )

    # The schedule reads them: what is about Akhmeta, Tusheti or Pankisi becomes an item.
    found = await items(monitor, 3)
    assert sorted(item["title"] for item in found) == [
        "Akhmeta mayor meets Tusheti shepherds",
        "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
        "ომალოს გზაზე მეწყერი ჩამოწვა — თუშეთი მოწყვეტილია",
    ]
    landslide = next(i for i in found if i["title"].startswith("ომალოს"))
    assert landslide["outlet"]["id"] == kakheti["id"] and landslide["medium"] == "online"
    assert landslide["published_on"] == "2026-11-10" and landslide["source"] == "feed"
    assert landslide["summary"] == "ახმეტის მუნიციპალიტეტის მერია გზის გაწმენდაზე მუშაობს."
    assert landslide["sentiment"] is None

    # Read again and again (the schedule keeps going): nothing is recorded twice.
    await asyncio.sleep(1.5)
    reading = await monitor.officer.ok("POST", f"/monitoring-feeds/{rss['id']}/read")
    assert reading["recorded"] == 0
    assert (await monitor.officer.ok("GET", "/monitoring-items"))["total"] == 3

    # A new story in the feed is picked up; a story staff recorded by hand is not copied.
    await monitor.officer.ok(
        "POST",
        "/monitoring-items",
        json={"outlet_id": kakheti["id"], "published_on": "2026-11-12",
              "title": "პანკისის ხეობაში სკოლის რემონტი დასრულდა",
              "link": "https://kakhetiskhma.ge/news/104", "topic": "education"},
    )  # fmt: skip
    (folder / "rss.xml").write_text(RSS.replace("{more}", MORE), encoding="utf-8")
    reading = await monitor.officer.ok("POST", f"/monitoring-feeds/{rss['id']}/read")
    assert reading["entries"] == 4 and reading["recorded"] == 0
    assert reading["duplicates"] == 3 and reading["not_about_us"] == 1
    assert (await monitor.officer.ok("GET", "/monitoring-items"))["total"] == 4

    listed = {f["id"]: f for f in await monitor.officer.ok("GET", "/monitoring-feeds")}
    assert listed[rss["id"]]["items_found"] == 2 and listed[rss["id"]]["last_error"] is None
    assert "not a feed" in listed[broken["id"]]["last_error"]

    events = await wait_for_events(monitor.stack, {"item.recorded"})
    recorded = [e["data"] for e in events if kind(e) == "item.recorded"]
    assert len(recorded) == 4
    assert {e["source"] for e in recorded} == {"feed", "staff"}


async def test_staff_record_items_and_set_their_sentiment(monitor: Monitor) -> None:
    imedi = await monitor.officer.ok("POST", "/outlets", json=IMEDI)
    story = {
        "outlet_id": imedi["id"],
        "published_on": "2026-11-14",
        "title": "იმედი: თუშეთის გზა ზამთრამდე არ გაიხსნება?",
        "link": "https://imedinews.ge/ge/tusheti-road",
        "summary": "სიუჟეტში მოსახლეობა გზის მდგომარეობას აკრიტიკებს.",
        "topic": "infrastructure",
        "officials_mentioned": ["ახმეტის მერი"],
    }
    for bad in (
        {**story, "sentiment": "angry"},
        {**story, "topic": "gossip"},
        {**story, "published_on": "14.11.2026"},
        {**story, "outlet_id": 999},
    ):
        response = await monitor.officer.call("POST", "/monitoring-items", json=bad)
        assert response.status_code in (404, 422), response.text
    await monitor.editor.refused(403, "POST", "/monitoring-items", json=story)
    assert (await monitor.officer.ok("GET", "/monitoring-items"))["total"] == 0

    item = await monitor.officer.ok("POST", "/monitoring-items", json=story)
    assert item["medium"] == "tv" and item["response_id"] is None
    await monitor.officer.refused(409, "POST", "/monitoring-items", json=story)
    changed = await monitor.officer.ok(
        "PATCH", f"/monitoring-items/{item['id']}", json={"sentiment": "negative"}
    )
    assert changed["sentiment"] == "negative"
    page = await monitor.officer.ok("GET", "/monitoring-items?sentiment=negative&month=2026-11")
    assert [i["id"] for i in page["items"]] == [item["id"]]
    assert (await monitor.officer.ok("GET", "/monitoring-items?month=2026-10"))["total"] == 0
    await monitor.officer.refused(422, "GET", "/monitoring-items?month=2026-13")


async def test_a_statement_under_a_key_seen_before_records_nothing_twice(
    monitor: Monitor,
) -> None:
    imedi = await monitor.officer.ok("POST", "/outlets", json=IMEDI)
    responses = []
    for title in ("იმედი: თუშეთის გზა დაკეტილია", "იმედი: ომალოში შუქი არ არის"):
        item = await monitor.officer.ok(
            "POST",
            "/monitoring-items",
            json={"outlet_id": imedi["id"], "published_on": "2026-11-14", "title": title},
        )
        responses.append(
            await monitor.officer.ok("POST", f"/monitoring-items/{item['id']}/response", json={})
        )
    worker = {**monitor.stack.service_headers(), "Idempotency-Key": "st-1"}
    base = monitor.stack.urls["media"]
    # The second response under the first one's key was a duplicate history key (a 500);
    # it is refused and records nothing.
    for response, status in zip(responses, (204, 422), strict=True):
        recorded = await monitor.officer.http.post(
            f"{base}/responses/{response['id']}/statement", headers=worker, json={"document_id": 9}
        )
        assert recorded.status_code == status, recorded.text
    first, second = [
        await monitor.officer.ok("GET", f"/responses/{response['id']}") for response in responses
    ]
    assert first["document_id"] == 9 and second["document_id"] is None
