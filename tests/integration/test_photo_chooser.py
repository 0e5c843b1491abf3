"""Photos from the media library and a recording chosen in the staff portal, over real HTTP
with the media, publishing and events services running: for a news item (the document
form) and for an event's gallery. The communications officer ticks photos in the library,
writes what each shows in Georgian, orders them and saves; a photo whose people did not
consent cannot be ticked nor forced in, a missing alt text or a video from a host not
allowed is said beside its field with nothing changed, and a legal reviewer is refused."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.events import EventsDesk, at
from tests.support.files import small_photo
from tests.support.media import MediaDesk
from tests.support.portal import STAFF, Person, create_staff
from tests.support.publishing import Desk
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

YOUTUBE = "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"
NEWS = {
    "document_type": "news",
    "title_ka": "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
    "title_en": "A new kindergarten opens in Akhmeta",
    "body_ka": "ბაღი ას ოცდაათ ბავშვს მიიღებს.",
}
ALT_GARDEN = "ორსართულიანი საბავშვო ბაღი წითელი სახურავით"
ALT_YARD = "ბავშვები ეზოში საქანელებზე თამაშობენ"


@dataclass
class Office:
    stack: Stack
    media: MediaDesk
    publishing: Desk
    events: EventsDesk
    photos: dict[str, int]


@pytest.fixture
async def office(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Office]:
    async with (
        running_stack(
            ["publishing", "events", "media", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        media = MediaDesk(stack, http, "setup", "media_officer")
        # The library: the kindergarten and its yard may be published; a photo of
        # children whose parents did not consent may not.
        photos = {
            "garden": await upload(media, "ახალი საბავშვო ბაღის შენობა", "cc_by_4.0", "not_needed"),
            "yard": await upload(media, "ბაღის ეზო გახსნის დღეს", "all_rights_reserved",
                                 "public_event"),
            "children": await upload(media, "ბავშვები სათამაშო ოთახში", "all_rights_reserved",
                                     "not_obtained"),
        }  # fmt: skip
        yield Office(
            stack,
            media,
            Desk(stack, http, STAFF["editor"][0], "editor"),
            EventsDesk(stack, http, STAFF["protocol"][0], "protocol_officer"),
            photos,
        )


async def upload(media: MediaDesk, caption: str, licence: str, consent: str) -> int:
    item = await media.ok(
        "POST",
        "/library",
        data={
            "caption_ka": caption,
            "author": "ლევან ბერიძე",
            "licence": licence,
            "consent": consent,
        },
        files={"file": ("photo.jpg", small_photo(), "image/jpeg")},
    )
    return int(item["id"])


async def person(stack: Stack, role: str) -> Person:
    """Signed in, reading the portal in English."""
    someone = Person(stack, STAFF[role][0])
    assert (await someone.sign_in()).status_code == 303
    await someone.get("/language?to=en&next=/inbox")
    return someone


def fields_of(page: httpx.Response) -> dict[str, str]:
    """The form's text fields as they are filled in, to send back (no box ticked)."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", page.text):
        name, value = re.search(r'\bname="([^"]+)"', tag), re.search(r'\bvalue="([^"]*)"', tag)
        if name and value and not re.search(r'type="(checkbox|radio|file)"', tag):
            found[name.group(1)] = html.unescape(value.group(1))
    for name, text in re.findall(r'<textarea[^>]*\bname="([^"]+)"[^>]*>([^<]*)</textarea>',
                                 page.text):  # fmt: skip
        found[name] = html.unescape(text)
    return {name: value for name, value in found.items() if name not in ("csrftoken", "submission")}


async def photos_of(office: Office, document_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await office.publishing.document(document_id))["current"][
        "photos"
    ]
    return found


async def test_an_officer_chooses_photos_for_a_news_item_and_mistakes_change_nothing(
    office: Office,
) -> None:
    garden, yard, children = (office.photos[n] for n in ("garden", "yard", "children"))
    officer = await person(office.stack, "editor")

    # The officer writes a news item and goes to the library: the draft is saved first.
    form = await officer.get("/documents/new?document_type=news")
    assert 'name="video_url"' in form.text and "www.youtube-nocookie.com" in form.text
    sent = await officer.post("/documents/new", {**NEWS, "action": "library"})
    assert sent.status_code == 303, sent.text
    chooser_path = sent.headers["location"]
    document_id = int(chooser_path.split("/")[2])
    assert chooser_path == f"/documents/{document_id}/photos"

    # The library's photos, with thumbnails through the portal; the photo whose people
    # did not consent is shown, but its box is disabled and the reason given.
    chooser = await officer.get(chooser_path)
    assert chooser.status_code == 200
    for item_id in (garden, yard):
        assert f'name="add" value="{item_id}"' in chooser.text
    assert f'name="add" value="{children}"' not in chooser.text
    assert f'id="add-{children}" disabled' in chooser.text
    assert "The people shown have not consented: Not given." in chooser.text
    # Finding and paging are buttons of the same form: a tick is carried along, shown
    # ticked on its page and kept hidden on the others.
    carried = await officer.get(chooser_path, params={"text": "ეზო", "add": [garden, yard]})
    assert f'name="add" value="{yard}" aria-describedby="pick-{yard}" checked' in carried.text
    assert f'<input type="hidden" name="add" value="{garden}">' in carried.text
    thumbnail = await officer.get(f"/media/library/{garden}/thumbnail")
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\xff\xd8")

    # Two ticked: the form opens with them as rows, waiting for their alt text.
    form = await officer.get(f"/documents/{document_id}/edit", params={"add": [garden, yard]})
    assert form.status_code == 200
    typed = fields_of(form)
    assert typed["photo-0-item_id"] == str(garden) and typed["photo-1-item_id"] == str(yard)
    assert await photos_of(office, document_id) == []

    # Without the second photo's alt text the form says so beside it, keeps what was
    # typed, and publishing holds no photo.
    typed |= {"photo-0-alt_ka": ALT_GARDEN, "action": "save"}
    refused = await officer.post(f"/documents/{document_id}/edit", typed)
    assert refused.status_code == 422
    assert re.search(
        r'id="photo-1-alt_ka-error">Say in Georgian what the photo shows', refused.text
    )
    assert f'value="{ALT_GARDEN}"' in refused.text
    assert await photos_of(office, document_id) == []

    # A video from a host not allowed: beside the field, naming the hosts; nothing saved.
    typed |= {"photo-1-alt_ka": ALT_YARD, "video_url": "https://video.example.com/press"}
    refused = await officer.post(f"/documents/{document_id}/edit", typed)
    assert refused.status_code == 422
    assert re.search(r'id="video_url-error">A recording is embedded only over HTTPS from '
                     r"player\.vimeo\.com, www\.youtube-nocookie\.com", refused.text)  # fmt: skip
    assert await photos_of(office, document_id) == []

    # The photo without consent, forced in as a row, is refused with its reason.
    forced = {**typed, "video_url": "", "photo-2-item_id": str(children),
              "photo-2-alt_ka": "ბავშვები ოთახში"}  # fmt: skip
    refused = await officer.post(f"/documents/{document_id}/edit", forced)
    assert refused.status_code == 422
    not_consented = r'id="photo-2-alt_ka-error">The people shown have not consented'
    assert re.search(not_consented, refused.text)
    assert await photos_of(office, document_id) == []

    # An alt text longer than publishing takes: its refusal comes back on the form.
    too_long = {**typed, "video_url": "", "photo-0-alt_ka": "ბ" * 501}
    refused = await officer.post(f"/documents/{document_id}/edit", too_long)
    assert refused.status_code == 422 and 'id="photos-error"' in refused.text
    assert await photos_of(office, document_id) == []

    # Saved, the yard first, with the recording: publishing holds both, in that order.
    typed |= {"video_url": YOUTUBE, "photo-0-order": "2", "photo-1-order": "1"}
    saved = await officer.post(f"/documents/{document_id}/edit", typed)
    assert saved.status_code == 303, saved.text
    document = await office.publishing.document(document_id)
    assert [(p["item_id"], p["alt_ka"]) for p in document["current"]["photos"]] == [
        (yard, ALT_YARD),
        (garden, ALT_GARDEN),
    ]
    assert document["current"]["video_url"] == YOUTUBE

    # The document's page shows them, thumbnails with their alt text, and the link.
    page = await officer.get(f"/documents/{document_id}")
    assert f'src="/media/library/{yard}/thumbnail" alt="{ALT_YARD}"' in page.text
    assert f'href="{YOUTUBE}"' in page.text

    # One removed: the other stays.
    form = await officer.get(f"/documents/{document_id}/edit")
    typed = fields_of(form) | {"photo-1-remove": "1", "action": "save"}
    assert (await officer.post(f"/documents/{document_id}/edit", typed)).status_code == 303
    assert [p["item_id"] for p in await photos_of(office, document_id)] == [yard]

    # A legal reviewer may neither open the chooser nor change the photos.
    lawyer = await person(office.stack, "lawyer")
    assert (await lawyer.get(f"/documents/{document_id}/photos")).status_code == 403
    refused = await lawyer.post(f"/documents/{document_id}/edit", {**typed, "photo-1-remove": ""})
    assert refused.status_code == 422 and "The publishing service refused" in refused.text
    assert [p["item_id"] for p in await photos_of(office, document_id)] == [yard]


async def test_a_planner_chooses_an_events_gallery_and_its_recording(office: Office) -> None:
    garden, children = office.photos["garden"], office.photos["children"]
    day = date.today() + timedelta(days=10)
    event = await office.events.create({
        "kind": "tourism_event", "title_ka": "საბავშვო ბაღის გახსნა ახმეტაში",
        "place_ka": "ახმეტა, ჭავჭავაძის ქ. 12", "public": True,
        "starts_at": at(day, 11).isoformat(), "ends_at": at(day, 12).isoformat(),
    })  # fmt: skip
    gallery = f"/events/{event['id']}/gallery"
    planner = await person(office.stack, "protocol")

    # From the event's page to its gallery, then to the library; the photo without
    # consent cannot be ticked there.
    page = await planner.get(f"/events/{event['id']}")
    assert f'href="{gallery}"' in page.text
    chooser = await planner.get(f"/events/{event['id']}/photos")
    assert f'name="add" value="{garden}"' in chooser.text
    assert f'id="add-{children}" disabled' in chooser.text

    # Ticked, described, and saved with the recording.
    form = await planner.get(gallery, params={"add": [garden]})
    typed = fields_of(form) | {"photo-0-alt_ka": ALT_GARDEN, "photo-0-alt_en": "The new "
                               "kindergarten", "video_url": YOUTUBE, "action": "save"}  # fmt: skip
    # A wrong host first: refused beside the field, nothing saved.
    refused = await planner.post(gallery, {**typed, "video_url": "http://www.youtube.com/x"})
    assert refused.status_code == 422 and 'id="video_url-error"' in refused.text
    assert (await office.events.event(event["id"]))["photos"] == []
    saved = await planner.post(gallery, typed)
    assert saved.status_code == 303 and saved.headers["location"] == f"{gallery}?done=saved"
    found = await office.events.event(event["id"])
    assert [(p["item_id"], p["alt_ka"], p["alt_en"]) for p in found["photos"]] == [
        (garden, ALT_GARDEN, "The new kindergarten")
    ]
    assert found["video_url"] == YOUTUBE
    page = await planner.get(f"/events/{event['id']}")
    assert 'alt="The new kindergarten"' in page.text and f'href="{YOUTUBE}"' in page.text

    # In Georgian, the form asks for the alt text in Georgian first.
    await planner.get("/language?to=ka&next=/inbox")
    georgian = await planner.get(gallery)
    assert "ალტერნატიული ტექსტი ქართულად (სავალდებულო)" in georgian.text
    assert "ფოტოები და ვიდეოჩანაწერი" in georgian.text

    # A legal reviewer may not choose an event's gallery.
    lawyer = await person(office.stack, "lawyer")
    assert (await lawyer.get(gallery)).status_code == 403
    assert (await lawyer.post(gallery, {**typed, "video_url": ""})).status_code == 403
    assert (await office.events.event(event["id"]))["video_url"] == YOUTUBE
