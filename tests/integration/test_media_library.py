"""The media library over real HTTP, on local disk and in an S3-compatible bucket (moto in
server mode): a photo with GPS data comes out without it (the camera and orientation
kept), with a thumbnail; content decides the type, whatever the name says; too large or
unknown uploads are refused and nothing of them is kept."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import s3fs
from moto.server import ThreadedMotoServer
from PIL import ExifTags, Image

from meria.testing.servers import NatsServer, TemporalDevServer, free_port
from tests.conftest import DatabaseFactory
from tests.support.files import photo_with_gps, small_photo
from tests.support.media import MediaDesk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

BUCKET = "meria-library"
PHOTO_LIMIT = 400_000


def noise_png(side: int) -> bytes:
    output = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(output, "PNG")
    return output.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIELDS = {
    "caption_ka": "ალავერდის მონასტერი, ახმეტის მერის ვიზიტი",
    "caption_en": "Alaverdi monastery, the mayor of Akhmeta's visit",
    "author": "ლევან ბერიძე",
    "taken_on": "2026-11-20",
    "licence": "cc_by_4.0",
    "consent": "public_event",
    "event_id": "12",
}


@dataclass
class Library:
    stack: Stack
    officer: MediaDesk
    editor: MediaDesk
    bucket: s3fs.S3FileSystem | None
    folder: Path | None

    async def upload(self, content: bytes, filename: str, **fields: Any) -> httpx.Response:
        return await self.officer.call(
            "POST",
            "/library",
            data={**FIELDS, **fields},
            files={"file": (filename, content, "application/octet-stream")},
        )

    def stored(self) -> list[str]:
        if self.bucket is not None:
            return sorted(self.bucket.find(f"{BUCKET}/media"))
        assert self.folder is not None
        return sorted(str(p) for p in self.folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
async def media_library(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Library]:
    settings: dict[str, Any] = {"max_photo_bytes": PHOTO_LIMIT, "thumbnail_pixels": 320}
    bucket = None
    folder = None
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_server")
        bucket = s3fs.S3FileSystem(
            key="testing", secret="testing", client_kwargs={"endpoint_url": endpoint,
            "region_name": "eu-central-1"}, skip_instance_cache=True, use_listings_cache=False,
        )  # fmt: skip
        if bucket.exists(BUCKET):
            bucket.rm(BUCKET, recursive=True)
        bucket.mkdir(BUCKET)
        settings |= {
            "library_url": f"s3://{BUCKET}/media",
            "s3_endpoint_url": endpoint,
            "s3_access_key": "testing",
            "s3_secret_key": "testing",
            "s3_region": "eu-central-1",
        }
    else:
        folder = tmp_path / "library"
        settings["library_url"] = str(folder)
    async with (
        running_stack(
            ["media"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            **settings,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield Library(
            stack,
            officer=MediaDesk(stack, http, "giorgi.media", "media_officer"),
            editor=MediaDesk(stack, http, "nino.beridze", "editor"),
            bucket=bucket,
            folder=folder,
        )


async def test_a_photo_with_gps_comes_out_without_it(media_library: Library) -> None:
    original = photo_with_gps()
    assert b"GPSLatitude" in original
    created = await media_library.upload(original, "IMG_4031.JPG")
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["kind"] == "photo" and item["media_type"] == "image/jpeg"
    assert item["location_removed"] is True and (item["width"], item["height"]) == (1600, 1200)
    assert item["caption_ka"] == FIELDS["caption_ka"] and item["event_id"] == 12

    downloaded = await media_library.officer.call("GET", f"/library/{item['id']}/file")
    assert downloaded.status_code == 200
    content = downloaded.content
    assert hashlib.sha256(content).hexdigest() == item["sha256"]
    assert downloaded.headers["x-content-sha256"] == item["sha256"]
    photo = Image.open(io.BytesIO(content))
    exif = photo.getexif()
    assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert "xmp" not in photo.info and b"GPSLatitude" not in content
    assert exif[0x010F] == "Apple" and exif[0x0112] == 6  # camera and orientation kept

    thumbnail = await media_library.officer.call("GET", f"/library/{item['id']}/thumbnail")
    small = Image.open(io.BytesIO(thumbnail.content))
    assert small.format == "JPEG" and small.size == (240, 320)  # turned upright, at most 320
    # What the storage holds is the cleaned photo and its thumbnail, nothing else.
    assert len(media_library.stored()) == 2
    listed = await media_library.editor.ok("GET", "/library?event_id=12&kind=photo")
    assert [i["id"] for i in listed] == [item["id"]]


async def test_content_decides_and_refused_uploads_leave_nothing(media_library: Library) -> None:
    officer = media_library.officer
    pdf_named_photo = await media_library.upload(PDF, "photo.jpg", kind="photo")
    assert pdf_named_photo.status_code == 422, pdf_named_photo.text
    text = await media_library.upload("ახმეტა".encode() * 100, "notes.jpg")
    assert text.status_code == 415
    too_large = await media_library.upload(noise_png(500), "panorama.png")
    assert too_large.status_code == 413 and "MB" in too_large.json()["detail"]
    no_caption = await officer.call(
        "POST",
        "/library",
        data={**FIELDS, "caption_ka": ""},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert no_caption.status_code == 422
    assert await officer.ok("GET", "/library") == []
    assert media_library.stored() == []

    # A PDF is a file, named as given, with no thumbnail; its credit can change.
    created = await media_library.upload(PDF, "პრესრელიზი.pdf", licence="press_use_only")
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["kind"] == "file" and item["media_type"] == "application/pdf"
    assert item["thumbnail_url"] is None and item["location_removed"] is False
    await officer.refused(404, "GET", f"/library/{item['id']}/thumbnail")
    downloaded = await officer.call("GET", f"/library/{item['id']}/file")
    assert downloaded.content == PDF
    assert "filename*=UTF-8''" in downloaded.headers["content-disposition"]
    changed = await officer.ok(
        "PATCH", f"/library/{item['id']}", json={"author": "მერიის პრესსამსახური"}
    )
    assert changed["author"] == "მერიის პრესსამსახური"
    await officer.refused(422, "PATCH", f"/library/{item['id']}", json={"licence": "whatever"})


async def test_the_library_is_found_by_words_dates_events_places_and_people(
    media_library: Library,
) -> None:
    officer, editor = media_library.officer, media_library.editor
    # Three photos of a season: a festival, a school opening, a delegation in Alaverdi.
    festival = await media_library.upload(
        small_photo(), "festival.jpg", title_ka="ახმეტის ღვინის ფესტივალი",
        caption_ka="ღვინის ფესტივალი ახმეტის ცენტრალურ პარკში", place="ახმეტა",
        people=["ნინო ბერიძე", "გიორგი ხიზანიშვილი"], taken_on="2026-09-20", event_id="31",
    )  # fmt: skip
    school = await media_library.upload(
        small_photo((20, 90, 200)), "school.jpg", caption_ka="ახალი სკოლის გახსნა მატანში",
        place="სოფელი მატანი", people=["ნინო ბერიძე"], taken_on="2026-10-01", event_id="32",
    )  # fmt: skip
    visit = await media_library.upload(
        small_photo((90, 200, 90)), "visit.jpg", caption_ka="დელეგაცია ალავერდის მონასტერში",
        place="ალავერდი", people=["Hans Müller"], taken_on="2026-11-20", visit_id="7",
    )  # fmt: skip
    ids = {}
    for name, response in (("festival", festival), ("school", school), ("visit", visit)):
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    assert festival.json()["people"] == ["ნინო ბერიძე", "გიორგი ხიზანიშვილი"]
    assert festival.json()["place"] == "ახმეტა"

    async def found(**params: Any) -> list[int]:
        return [item["id"] for item in await editor.ok("GET", "/library", params=params)]

    # Words in another case find their stems; newest first.
    assert await found(text="ახმეტაში") == [ids["festival"]]
    assert await found(text="ფესტივალზე") == [ids["festival"]]
    assert await found(text="ნინო") == [ids["school"], ids["festival"]]
    assert await found(text="ბერიძე") == [
        ids["visit"],
        ids["school"],
        ids["festival"],
    ]  # the author too
    assert await found(place="მატანში") == [ids["school"]]
    assert await found(person="ნინო ბერიძის") == [ids["school"], ids["festival"]]
    assert await found(person="hans müller") == [ids["visit"]]
    assert await found(person="ნინო", place="ახმეტა") == [ids["festival"]]
    assert await found(event_id=32) == [ids["school"]]
    assert await found(taken_from="2026-09-21", taken_to="2026-11-20") == [
        ids["visit"], ids["school"]
    ]  # fmt: skip
    # A page at a time: two, then the third.
    assert await found(limit=2) == [ids["visit"], ids["school"]]
    assert await found(limit=2, offset=2) == [ids["festival"]]

    # A period that ends before it starts is named; so is a list of people too long.
    wrong = await editor.refused(
        422, "GET", "/library", params={"taken_from": "2026-10-02", "taken_to": "2026-10-01"}
    )
    assert wrong["errors"][0]["field"] == "taken_to"
    crowd = await media_library.upload(
        small_photo(), "crowd.jpg", people=[f"მოქალაქე {n}" for n in range(101)]
    )
    assert crowd.status_code == 422 and "people" in crowd.text
    assert len(await found()) == 3

    # Who is shown, and where, can change; the keys follow the change.
    path = f"/library/{ids['school']}"
    changed = await officer.ok(
        "PATCH", path, json={"people": ["თამარ კაპანაძე"], "place": "ზემო ხოდაშენი",
                             "title_en": "A new school in Matani"},
    )  # fmt: skip
    assert (
        changed["people"] == ["თამარ კაპანაძე"] and changed["title_en"] == "A new school in Matani"
    )
    assert await found(person="ნინო ბერიძე") == [ids["festival"]]
    assert await found(place="ხოდაშენში") == [ids["school"]]
    assert await found(text="matani") == [ids["school"]]
    await officer.refused(422, "PATCH", path, json={"people": None})
    await officer.refused(422, "PATCH", path, json={"caption_ka": "   "})
    assert (await editor.ok("GET", path))["caption_ka"] == "ახალი სკოლის გახსნა მატანში"
