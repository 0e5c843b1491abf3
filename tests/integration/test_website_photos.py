"""Photos, video, event pages and the digest on the public website, over real HTTP, with
the media, publishing, events and website services on a real bus.

The media library's photos reach the public only as renditions media makes for photos
whose licence and consent allow it: three sizes, WebP, without the original's metadata.
A news item and an event carry photos chosen from the library, each with alt text (a
photo without it is refused), and a video only from an allowed host. The site shows
them with `srcset`, gives every event a page of its own that says when it is cancelled,
and shows a press digest as HTML whose every link opens a page."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.integration.test_website import AKHMETA_NEWS, Site
from tests.support.events import TBILISI, EventsDesk, at, setup_office
from tests.support.media import MediaDesk
from tests.support.publishing import PRESS_RELEASE, Desk
from tests.support.stack import running_stack

pytestmark = pytest.mark.database

YOUTUBE = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
OPENING = {
    "caption_ka": "ახმეტის ახალი სკვერის გახსნა",
    "caption_en": "The opening of Akhmeta's new square",
    "author": "ლევან ბერიძე",
    "taken_on": "2026-11-20",
    "licence": "cc_by_4.0",
    "consent": "public_event",
}


def camera_photo(width: int = 1200, height: int = 800, colour: str = "#7a1f2b") -> bytes:
    """A JPEG as a camera writes it: the camera, the photographer and the time in EXIF."""
    picture = Image.new("RGB", (width, height), colour)
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "EOS 90D"  # Model
    exif[0x013B] = "ლევან ბერიძე"  # Artist
    exif[0x0132] = "2026:11:20 12:00:00"  # DateTime
    output = io.BytesIO()
    picture.save(output, "JPEG", exif=exif, quality=90)
    return output.getvalue()


@dataclass
class Town:
    site: Site
    media: MediaDesk
    planner: EventsDesk
    venues: dict[str, int]

    async def upload(self, **fields: Any) -> int:
        item = await self.media.ok(
            "POST",
            "/library",
            data={**OPENING, **fields},
            files={"file": ("IMG_0001.JPG", camera_photo(), "image/jpeg")},
        )
        return int(item["id"])

    async def rendition(self, item_id: int, width: int) -> httpx.Response:
        url = f"{self.site.stack.urls['media']}/public/photos/{item_id}/{width}.webp"
        return await self.site.http.get(url)


@pytest.fixture
async def town(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Town]:
    async with (
        running_stack(
            ["publishing", "worker", "events", "media", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            relay_poll_seconds=0.1,
            library_url=str(tmp_path / "library"),
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        site = Site(
            stack,
            http,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            lawyer=Desk(stack, http, "levan.kapanadze", "legal_reviewer"),
            mayor=Desk(stack, http, "mayor.akhmeta", "mayor"),
        )
        planner = EventsDesk(stack, http, "ana.protocol", "protocol_officer")
        head = EventsDesk(stack, http, "tamar.gelashvili", "head_of_department")
        yield Town(
            site,
            MediaDesk(stack, http, "giorgi.media", "media_officer"),
            planner,
            await setup_office(head, planner),
        )


async def test_public_renditions_come_in_three_sizes_without_metadata_and_only_with_consent(
    town: Town,
) -> None:
    # The press office uploads three photos of the square's opening: one it may publish,
    # one of people who did not agree, one licensed for the press only.
    public = await town.upload()
    not_consented = await town.upload(consent="not_obtained")
    press_only = await town.upload(licence="press_use_only")

    # The publishable one comes in three widths, never wider than the original (1200 px),
    # as WebP with nothing of the camera's EXIF left.
    for width, expected in ((480, 480), (960, 960), (1600, 1200)):
        answer = await town.rendition(public, width)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(answer.content)) as picture:
            assert picture.format == "WEBP"
            assert picture.size == (expected, expected * 2 // 3)
            assert not picture.getexif()
            assert not {"exif", "xmp", "icc_profile"} & set(picture.info)
        assert b"Canon" not in answer.content and "ლევან".encode() not in answer.content

    # The others are not public, and the library's own files still ask for a sign-in.
    for refused in (not_consented, press_only):
        assert (await town.rendition(refused, 480)).status_code == 404
    assert (await town.rendition(public, 123)).status_code == 404
    media = town.site.stack.urls["media"]
    assert (await town.site.http.get(f"{media}/library/{public}/file")).status_code == 401

    # The website serves the rendition from its own address (its CSP shows no other), and
    # refuses what media refuses.
    site = town.site
    answer = await site.get(f"/photos/{public}/480.webp")
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/webp"
    assert (await site.get(f"/photos/{not_consented}/480.webp")).status_code == 404

    # Withdrawn consent: media stops serving it at once.
    await town.media.ok("PATCH", f"/library/{public}", json={"consent": "not_obtained"})
    assert (await town.rendition(public, 960)).status_code == 404


async def test_news_and_events_show_their_photos_video_and_pages(town: Town) -> None:
    site = town.site
    square = await town.upload()
    crowd = await town.upload(caption_ka="მოსახლეობა სკვერის გახსნაზე")
    photos = [
        {"item_id": square, "alt_ka": "მერი ახალ სკვერში ლენტს ჭრის",
         "alt_en": "The mayor cuts the ribbon in the new square", "credit": "ლევან ბერიძე"},
        {"item_id": crowd, "alt_ka": "ახმეტელები ახალ სკვერში",
         "alt_en": "People of Akhmeta in the new square"},
    ]  # fmt: skip

    # A photo without alt text is refused, and so is a video from a host not allowed.
    no_alt = await site.editor.refused(
        422, "POST", "/documents", json={**AKHMETA_NEWS, "photos": [{"item_id": square}]}
    )
    assert "alt text" in str(no_alt)
    blank_alt = await site.editor.refused(
        422, "POST", "/documents",
        json={**AKHMETA_NEWS, "photos": [{"item_id": square, "alt_ka": "   "}]},
    )  # fmt: skip
    assert "alt text" in str(blank_alt)
    elsewhere = await site.editor.refused(
        422, "POST", "/documents",
        json={**AKHMETA_NEWS, "video_url": "https://video.example.com/embed/1"},
    )  # fmt: skip
    assert elsewhere["title"] == "Video host not allowed"
    assert "www.youtube-nocookie.com" in elsewhere["detail"]
    insecure = YOUTUBE.replace("https", "http")
    plain_http = await site.editor.refused(
        422, "POST", "/documents", json={**AKHMETA_NEWS, "video_url": insecure}
    )
    assert plain_http["title"] == "Video host not allowed"

    # The news item with its photos and the press conference's recording.
    news_id = await site.publish({**AKHMETA_NEWS, "photos": photos, "video_url": YOUTUBE})
    page = await site.get(f"/news/{news_id}")
    assert page.status_code == 200
    assert f'src="/photos/{square}/1600.webp"' in page.text
    assert f"/photos/{square}/480.webp 480w" in page.text and "1600w" in page.text
    assert 'sizes="' in page.text
    assert 'alt="მერი ახალ სკვერში ლენტს ჭრის"' in page.text
    assert f'src="/photos/{crowd}/480.webp"' in page.text  # the gallery
    assert f'<iframe src="{YOUTUBE}"' in page.text
    assert (
        "frame-src https://player.vimeo.com https://www.youtube-nocookie.com"
        in (page.headers["content-security-policy"])
    )
    english = await site.get(f"/en/news/{news_id}")
    assert 'alt="The mayor cuts the ribbon in the new square"' in english.text
    home = await site.get("/")
    assert f"/photos/{square}/480.webp" in home.text
    for source in re.findall(r'src="(/photos/[^"]+)"', page.text):
        assert (await site.get(source)).status_code == 200, source

    # A public event: its gallery chosen (alt text required, hosts allowed), then cancelled.
    day = datetime.now(TBILISI).date() + timedelta(days=10)
    festival = await town.planner.create(
        {"kind": "festival", "title_ka": "ახმეტის ღვინის ფესტივალი",
         "title_en": "Akhmeta Wine Festival",
         "description_ka": "ახმეტელი მეღვინეების ღვინოები და ფოლკლორი.",
         "venue_id": town.venues["culture_house"], "starts_at": at(day, 12).isoformat(),
         "ends_at": at(day, 20).isoformat(), "public": True, "schedule": True}
    )  # fmt: skip
    pictures = f"/events/{festival['id']}/pictures"
    refused = await town.planner.refused(
        422, "PUT", pictures, json={"photos": [{"item_id": square, "alt_en": "Only English"}]}
    )
    assert "alt_ka" in str(refused)
    refused = await town.planner.refused(
        422, "PUT", pictures, json={"photos": [], "video_url": "https://www.youtube.com/watch?v=1"}
    )
    assert refused["title"] == "Video host not allowed"
    # Only those who plan events choose their pictures.
    requester = EventsDesk(site.stack, site.http, "eka.council", "requester")
    await requester.refused(403, "PUT", pictures, json={"photos": photos})
    await town.planner.ok(
        "PUT", pictures, json={"photos": photos, "video_url": "https://player.vimeo.com/video/1"}
    )
    path = f"/events/{festival['id']}"
    event_page = await site.until(path, lambda p: f"/photos/{crowd}/480.webp" in p.text)
    assert event_page.status_code == 200, event_page.text[:300]
    assert "ახმეტის ღვინის ფესტივალი" in event_page.text
    assert 'alt="ახმეტელები ახალ სკვერში"' in event_page.text
    assert '<iframe src="https://player.vimeo.com/video/1"' in event_page.text
    assert 'aria-label="ნავიგაციის ბილიკი"' in event_page.text  # breadcrumbs
    calendar = await site.get("/calendar", params={"month": f"{day:%Y-%m}", "view": "list"})
    assert f'href="{path}"' in calendar.text

    await town.planner.ok(
        "POST", f"{path}/cancel", json={"reason": "ამინდის გამო ფესტივალი არ ჩატარდება."}
    )
    cancelled = await site.until(path, lambda p: "ეს ღონისძიება გაუქმებულია." in p.text)
    assert "<s>ახმეტის ღვინის ფესტივალი</s>" in cancelled.text
    english = await site.get(f"/en{path}")
    assert "This event is cancelled." in english.text
    assert (await site.get("/events/999999")).status_code == 404


async def test_a_digest_reads_as_html_and_every_link_opens_a_page(town: Town) -> None:
    site = town.site
    release_id = await site.publish(PRESS_RELEASE)
    website = site.url
    # A digest as the workflow wrote them before: Markdown, its press release under /acts/.
    digest_id = await site.publish(
        {
            "document_type": "press_digest",
            "title_ka": "პრესდაიჯესტი: 2026 წლის ნოემბერი",
            "title_en": "Press digest: November 2026",
            "body_ka": "## პრესრელიზები\n\n"
            f"- 20 ნოემბერი — [{PRESS_RELEASE['title_ka']}]({website}/acts/{release_id})\n\n"
            "## ღონისძიებები\n\nამ თვეში ღონისძიება არ ჩატარებულა.\n",
        }
    )
    page = await site.get(f"/digests/{digest_id}")
    assert page.status_code == 200
    assert "<h2>პრესრელიზები</h2>" in page.text and "## " not in page.text
    links = re.findall(r'<a href="([^"]+)"[^>]*>' + re.escape(PRESS_RELEASE["title_ka"]), page.text)
    assert links, page.text[-2000:]
    for link in links:
        opened = await site.http.get(link, follow_redirects=True)
        assert opened.status_code == 200, link
        assert str(opened.url).endswith(f"/press-releases/{release_id}")
