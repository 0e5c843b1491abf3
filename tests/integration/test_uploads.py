"""Every path that takes a file goes through the kernel's one pipeline, over real HTTP: a
phone's photo keeps no GPS whether it is attached to a press release (and then on the
public website), to an information request's answer, or put in the media library; a
zip-bomb DOCX, a PDF that runs JavaScript when opened and a picture of 200 megapixels are
refused with a problem that says why, on every path, and nothing of them is kept; HTML
and SVG named .txt and .csv are not text; a draft's attachment is read only by who may
read the draft; files are served never sniffed, and downloaded unless a picture or PDF."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.files import (
    HTML_AS_TEXT,
    PLAIN_PDF,
    SCRIPTED_PDF,
    SVG_AS_CSV,
    huge_png,
    location_in,
    office,
    photo_with_gps,
    zip_bomb_docx,
)
from tests.support.media import MediaDesk
from tests.support.publishing import PRESS_RELEASE, Desk
from tests.support.stack import Stack, running_stack, wait_until

pytestmark = pytest.mark.database

RELEASE = {
    **PRESS_RELEASE,
    "title_ka": "ახმეტის მერი ალავერდის მონასტერს ეწვია",
    "title_en": "The Mayor of Akhmeta visited the Alaverdi monastery",
}
# What every path refuses, whatever it otherwise takes: (name, content, status, why).
REFUSED_EVERYWHERE = [
    ("ბრძანება.docx", zip_bomb_docx(), 422, "times its size"),
    ("ანგარიში.pdf", SCRIPTED_PDF, 422, "JavaScript"),
    ("პანორამა.png", huge_png(), 413, "megapixels"),
]


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def assert_problem(response: httpx.Response, status: int, why: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert why in response.json()["detail"], response.json()


@dataclass
class Newsroom:
    stack: Stack
    http: httpx.AsyncClient
    editor: Desk
    head: Desk
    requester: Desk

    @property
    def attachments(self) -> Path:
        folder: Path = self.stack.settings("publishing").attachments_dir  # type: ignore[attr-defined]
        return folder


@pytest.fixture
async def newsroom(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Newsroom]:
    async with (
        running_stack(
            ["publishing", "worker", "website"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            file_poll_seconds=0.2,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield Newsroom(
            stack,
            http,
            editor=Desk(stack, http, "nino.beridze", "editor"),
            head=Desk(stack, http, "tamar.gelashvili", "head_of_department"),
            requester=Desk(stack, http, "sakrebulo.aparati", "requester"),
        )


async def test_a_press_release_photo_reaches_the_website_without_its_location(
    newsroom: Newsroom,
) -> None:
    editor = newsroom.editor
    document_id = (await editor.create(RELEASE))["id"]
    path = f"/documents/{document_id}/attachments"

    # The editor attaches a phone's photo; what is stored and served has no location.
    original = photo_with_gps()
    assert location_in(original) == ["EXIF GPS", "XMP"]
    attached = await editor.call(
        "POST", path, files={"file": ("ალავერდი.jpg", original, "image/jpeg")}
    )
    assert attached.status_code == 201, attached.text
    [stored] = stored_files(newsroom.attachments)
    assert location_in(stored.read_bytes()) == []
    url = attached.json()["url"]
    draft_file = await newsroom.http.get(url, headers=editor.headers)
    assert location_in(draft_file.content) == []
    assert hashlib.sha256(draft_file.content).hexdigest() == attached.json()["sha256"]
    assert draft_file.headers["x-content-type-options"] == "nosniff"
    assert draft_file.headers["content-disposition"].startswith("inline;")

    # A requester may not read the draft, so neither its file; no token, no file.
    assert (await newsroom.requester.call("GET", f"/documents/{document_id}")).status_code == 403
    assert_problem(
        await newsroom.http.get(url, headers=newsroom.requester.headers), 403, "not yours"
    )
    assert (await newsroom.http.get(url)).status_code == 401

    # What hides code or exhausts whoever opens it is refused, and nothing of it is kept.
    for name, content, code, why in REFUSED_EVERYWHERE:
        refused = await editor.call("POST", path, files={"file": (name, content)})
        assert_problem(refused, code, why)
    html = await editor.call("POST", path, files={"file": ("განცხადება.txt", HTML_AS_TEXT)})
    assert_problem(html, 415, "its content is")
    assert stored_files(newsroom.attachments) == [stored]

    # Published: the file is public, and the website's own copy has no location either.
    await editor.submit(document_id)
    status = await editor.wait_for_stage(document_id, "department_review")
    decided = await newsroom.head.decide(document_id, task_id=status["tasks"][0]["task_id"])
    assert decided.status_code == 200, decided.text
    await editor.wait_for_state(document_id, "published")
    assert (await newsroom.http.get(url)).status_code == 200
    site = newsroom.stack.urls["website"]
    links: list[str] = []

    async def linked() -> bool:
        page = await newsroom.http.get(f"{site}/press-releases/{document_id}")
        links[:] = [part.split('"')[0] for part in page.text.split('href="/files/')[1:]]
        return bool(links)

    await wait_until(linked, what="the website's copy of the photo")
    public = await newsroom.http.get(f"{site}/files/{links[0]}")
    assert public.status_code == 200
    assert public.content == stored.read_bytes() and location_in(public.content) == []
    assert public.headers["x-content-type-options"] == "nosniff"
    assert public.headers["content-type"] == "image/jpeg"


@dataclass
class MediaOffice:
    stack: Stack
    officer: MediaDesk
    council: MediaDesk

    @property
    def library(self) -> Path:
        return Path(self.stack.settings("media").library_url or "")  # type: ignore[attr-defined]

    async def request(self) -> str:
        asked = await self.council.ok(
            "POST",
            "/information-requests",
            json={
                "requester_unit": "საკრებულოს აპარატი",
                "title": "ალავერდობის დამსწრეები",
                "question": "რამდენი ადამიანი დაესწრო ალავერდობას 2026 წელს?",
                "needed_by": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            },
        )
        return f"/information-requests/{asked['id']}"

    async def to_library(self, name: str, content: bytes) -> httpx.Response:
        fields = {
            "caption_ka": "ალავერდობა, ახმეტის მუნიციპალიტეტი",
            "author": "ლევან ბერიძე",
            "licence": "cc_by_4.0",
            "consent": "public_event",
        }
        return await self.officer.call(
            "POST", "/library", data=fields, files={"file": (name, content)}
        )


@pytest.fixture
async def media_office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[MediaOffice]:
    async with (
        running_stack(
            ["media"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=30) as http,
    ):
        yield MediaOffice(
            stack,
            officer=MediaDesk(stack, http, "giorgi.media", "media_officer"),
            council=MediaDesk(stack, http, "sakrebulo.aparati", "requester"),
        )


async def test_an_answer_takes_real_text_and_pictures_without_their_location(
    media_office: MediaOffice,
) -> None:
    officer = media_office.officer
    files = f"{await media_office.request()}/files"

    # HTML and SVG dressed as text, and what every path refuses, are refused; nothing kept.
    for name, content in (("პასუხი.txt", HTML_AS_TEXT), ("ცხრილი.csv", SVG_AS_CSV)):
        refused = await officer.call("POST", files, files={"file": (name, content, "text/plain")})
        assert_problem(refused, 415, "not CSV" if name.endswith("csv") else "not text")
    for name, content, status, why in REFUSED_EVERYWHERE:
        assert_problem(
            await officer.call("POST", files, files={"file": (name, content)}), status, why
        )
    assert stored_files(media_office.library) == []

    # A photo loses its location; a table is kept as it is, served as a download.
    photo = await officer.ok("POST", files, files={"file": ("ალავერდობა.jpg", photo_with_gps())})
    [stored] = stored_files(media_office.library)
    assert location_in(stored.read_bytes()) == [] and stored.name.endswith(".jpg")
    served = await officer.call("GET", f"{files}/{photo['id']}")
    assert location_in(served.content) == []
    assert served.headers["x-content-type-options"] == "nosniff"
    table_content = "თარიღი,დამსწრე\n2026-09-28,5200\n".encode()
    table = await officer.ok("POST", files, files={"file": ("ალავერდობა.csv", table_content)})
    served = await officer.call("GET", f"{files}/{table['id']}")
    assert served.content == table_content
    assert served.headers["content-type"] == "text/csv; charset=utf-8"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.headers["x-content-type-options"] == "nosniff"
    pdf = await officer.ok("POST", files, files={"file": ("ანგარიში.pdf", PLAIN_PDF)})
    assert pdf["media_type"] == "application/pdf"


async def test_the_library_refuses_bombs_and_scripts_with_a_problem(
    media_office: MediaOffice,
) -> None:
    for name, content, status, why in REFUSED_EVERYWHERE:
        assert_problem(await media_office.to_library(name, content), status, why)
    assert await media_office.officer.ok("GET", "/library") == []
    assert stored_files(media_office.library) == []

    # A photo is shown in the browser, a document downloaded; neither is sniffed.
    photo = (await media_office.to_library("ალავერდობა.jpg", photo_with_gps())).json()
    shown = await media_office.officer.call("GET", f"/library/{photo['id']}/file")
    assert location_in(shown.content) == []
    assert shown.headers["content-disposition"].startswith("inline;")
    assert shown.headers["x-content-type-options"] == "nosniff"
    document = (await media_office.to_library("ოქმი.docx", office())).json()
    downloaded = await media_office.officer.call("GET", f"/library/{document['id']}/file")
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert downloaded.headers["x-content-type-options"] == "nosniff"
