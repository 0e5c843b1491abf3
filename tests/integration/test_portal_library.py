"""The media library in the staff portal over real HTTP, with the media service running:
who may see and change it, several files in one upload each with its own result, a form
refused beside its field with nothing stored, an item's details changed, thumbnails
through the portal, and the library 24 at a time with its filters kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.files import small_photo
from tests.support.media import MediaDesk
from tests.support.portal import STAFF, Person, add_account, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

OFFICER = ("giorgi.media", "გიორგი ხიზანიშვილი", ["media_officer"])
REQUESTER = ("eka.bukhukuri", "ეკა ბუხუკური", ["requester"])
TILES = re.compile(r'<li class="library-tile">')
DETAILS = {
    "caption_ka": "ღვინის ფესტივალის გახსნა ახმეტის ცენტრალურ პარკში",
    "author": "ლევან ბერიძე",
    "taken_on": "2026-09-20",
    "place": "ახმეტა",
    "people": "ნინო ბერიძე\nგიორგი ხიზანიშვილი",
    "licence": "cc_by_4.0",
    "consent": "public_event",
}


@dataclass
class Portal:
    stack: Stack
    api: MediaDesk


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Portal]:
    async with (
        running_stack(
            ["media", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        await add_account(stack, http, *OFFICER)
        await add_account(stack, http, *REQUESTER)
        yield Portal(stack, MediaDesk(stack, http, "setup", "media_officer"))


async def person(stack: Stack, username: str) -> Person:
    """Signed in, reading the portal in English."""
    someone = Person(stack, username)
    assert (await someone.sign_in()).status_code == 303
    await someone.get("/language?to=en&next=/media/library")
    return someone


async def add_photo(portal: Portal, caption: str, **fields: str) -> dict[str, object]:
    data = {"caption_ka": caption, "author": "ლევან ბერიძე", "licence": "cc_by_4.0",
            "consent": "not_needed", **fields}  # fmt: skip
    found: dict[str, object] = await portal.api.ok(
        "POST", "/library", data=data, files={"file": ("photo.jpg", small_photo(), "image/jpeg")}
    )
    return found


async def test_several_files_in_one_upload_each_with_its_result(portal: Portal) -> None:
    officer = await person(portal.stack, OFFICER[0])
    form = await officer.get("/media/library/upload")
    assert form.status_code == 200 and 'type="file" multiple' in form.text

    # A photo and a text file named like a photo: the first stored, the second refused.
    files = [
        ("files", ("festival.jpg", small_photo(), "image/jpeg")),
        ("files", ("notes.jpg", "ახმეტის ფესტივალის გეგმა".encode(), "image/jpeg")),
    ]
    page = await officer.post("/media/library/upload", DETAILS, files=files)
    assert page.status_code == 200, page.text
    assert re.search(r"festival\.jpg: stored\.", page.text)
    assert re.search(r"notes\.jpg: refused\.</strong> Not a type the library takes", page.text)
    stored = await portal.api.ok("GET", "/library")
    assert [item["filename"] for item in stored] == ["festival.jpg"]
    assert stored[0]["people"] == ["ნინო ბერიძე", "გიორგი ხიზანიშვილი"]

    # Without a caption the form says so beside the field, and nothing more is stored.
    files = [("files", ("second.jpg", small_photo(), "image/jpeg"))]
    refused = await officer.post(
        "/media/library/upload", {**DETAILS, "caption_ka": ""}, files=files
    )
    assert refused.status_code == 422
    assert '<p class="field-error" id="caption_ka-error">Say in Georgian what the photo shows.' in (
        refused.text
    )
    assert len(await portal.api.ok("GET", "/library")) == 1
    # Nor without any file.
    empty = await officer.post("/media/library/upload", DETAILS)
    assert empty.status_code == 422 and 'id="files-error"' in empty.text

    # The thumbnail comes through the portal, as a picture, with the person's own rights.
    item_id = stored[0]["id"]
    thumbnail = await officer.get(f"/media/library/{item_id}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert thumbnail.content.startswith(b"\xff\xd8")


async def test_an_items_details_change_and_a_wrong_change_changes_nothing(portal: Portal) -> None:
    item = await add_photo(portal, "ახალი სკოლის გახსნა მატანში", place="მატანი")
    path = f"/media/library/{item['id']}"
    officer = await person(portal.stack, OFFICER[0])
    page = await officer.get(path)
    assert page.status_code == 200 and "Change the details" in page.text
    assert "Not needed: no one can be recognised" in page.text

    changed = {**DETAILS, "caption_ka": "მატნის სკოლის ახალი შენობა", "consent": "obtained",
               "consent_note": "მშობლების წერილობითი თანხმობა, 2026-10-01"}  # fmt: skip
    saved = await officer.post(path, changed)
    assert saved.status_code == 303 and saved.headers["location"] == f"{path}?done=saved"
    now = await portal.api.ok("GET", f"/library/{item['id']}")
    assert now["caption_ka"] == "მატნის სკოლის ახალი შენობა" and now["consent"] == "obtained"
    assert now["people"] == ["ნინო ბერიძე", "გიორგი ხიზანიშვილი"]

    # A licence the service does not know, and an author emptied: beside their fields.
    wrong = await officer.post(path, {**changed, "licence": "mine", "author": ""})
    assert wrong.status_code == 422
    assert 'id="licence-error">Choose the licence.' in wrong.text
    assert 'id="author-error">Name the photographer or the author.' in wrong.text
    assert (await portal.api.ok("GET", f"/library/{item['id']}")) == now


async def test_who_may_see_the_library_and_who_may_change_it(portal: Portal) -> None:
    item = await add_photo(portal, "დელეგაცია ალავერდის მონასტერში")
    path = f"/media/library/{item['id']}"

    # A legal reviewer reads the library, but is offered no upload and no change.
    lawyer = await person(portal.stack, STAFF["lawyer"][0])
    page = await lawyer.get("/media/library")
    assert page.status_code == 200 and "დელეგაცია ალავერდის" in page.text
    assert "/media/library/upload" not in page.text
    assert "Change the details" not in (await lawyer.get(path)).text
    assert (await lawyer.get("/media/library/upload")).status_code == 403
    refused = await lawyer.post(path, {**DETAILS, "caption_ka": "სხვა"})
    assert refused.status_code == 403
    assert (await portal.api.ok("GET", f"/library/{item['id']}"))["caption_ka"] == item[
        "caption_ka"
    ]

    # Someone who only files information requests sees none of it, not even a thumbnail.
    requester = await person(portal.stack, REQUESTER[0])
    for where in ("/media/library", path, f"{path}/thumbnail", f"{path}/file"):
        assert (await requester.get(where)).status_code == 403, where


async def test_the_library_comes_24_at_a_time_with_its_filters_kept(portal: Portal) -> None:
    for number in range(25):
        await add_photo(portal, f"ტუშეთობა ომალოში, კადრი {number}", place="ომალო",
                        taken_on="2026-07-12")  # fmt: skip
    await add_photo(portal, "ახმეტის ცენტრალური პარკი", place="ახმეტა", taken_on="2026-09-20")
    officer = await person(portal.stack, OFFICER[0])

    first = await officer.get("/media/library", params={"place": "ომალოში"})
    assert len(TILES.findall(first.text)) == 24
    assert "კადრი 24" in first.text and "კადრი 0<" not in first.text
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)
    assert following is not None and "place=" in following.group(1)
    second = await officer.get(following.group(1).replace("&amp;", "&"))
    assert len(TILES.findall(second.text)) == 1 and "კადრი 0<" in second.text
    assert 'rel="next"' not in second.text

    # A period that ends before it starts is named beside its field.
    wrong = await officer.get(
        "/media/library", params={"taken_from": "2026-09-21", "taken_to": "2026-09-01"}
    )
    assert 'id="l-to-error"' in wrong.text and TILES.search(wrong.text) is None
    found = await officer.get(
        "/media/library", params={"taken_from": "2026-09-01", "text": "პარკში"}
    )
    assert len(TILES.findall(found.text)) == 1 and "ცენტრალური პარკი" in found.text
