"""The website's demo pictures: photos drawn here (the demo carries no photographs) put in
the media library with a licence and consent that let them be published, then chosen,
with Georgian and English alt text, for the demo's news and press release (each in a new
edition, approved on its route) and for its public events (galleries, and the press
conference's recording from an allowed host). Runs after the other seeds, through the
services' APIs, as staff would; a second run finds the photos there and adds nothing."""

from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta
from typing import Any

from meria.auth import User, issue_token
from meria.seed import SeedContext
from services.publishing.seed import Desk as PublishingDesk
from services.publishing.seed import approve

MEDIA = User(id="demo.media", name="გიორგი ხიზანიშვილი", roles=frozenset({"media_officer"}))
PROTOCOL = User(id="demo.protocol", name="მარიამ ჩოხელი", roles=frozenset({"protocol_officer"}))
RECORDING = "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"

# (file, drawing, library fields, alt text ka, alt text en)
PICTURES: list[tuple[str, str, dict[str, str], str, str]] = [
    ("sabavshvo-bagi.jpg", "kindergarten", {
     "title_ka": "ახალი საბავშვო ბაღი", "title_en": "The new kindergarten",
     "caption_ka": "ახმეტის ახალი საბავშვო ბაღის შენობა გახსნის დღეს",
     "caption_en": "Akhmeta's new kindergarten on its opening day",
     "place": "ახმეტა, ჭავჭავაძის ქ. 12"},
     "ორსართულიანი საბავშვო ბაღი წითელი სახურავით და ეზოში საქანელებით",
     "A two-storey kindergarten with a red roof and swings in the yard"),
    ("pankisis-gza.jpg", "road", {
     "title_ka": "პანკისის ხეობის გზა", "title_en": "The Pankisi Valley road",
     "caption_ka": "გზის რეაბილიტაცია დუისში", "caption_en": "Road works in Duisi",
     "place": "სოფელი დუისი"},
     "ახალი ასფალტის გზა მთების ძირში, გვერდზე სამშენებლო ტექნიკა",
     "A freshly paved road at the foot of the mountains, road machinery beside it"),
    ("ghvinis-festivali-ezo.jpg", "festival", {
     "title_ka": "ღვინის ფესტივალის ეზო", "title_en": "The wine festival grounds",
     "caption_ka": "ფესტივალის კარვები ცენტრალურ პარკში",
     "caption_en": "Festival tents in the central park", "place": "ახმეტა, ცენტრალური პარკი"},
     "ფერადი კარვები და ყურძნის მტევნები პარკში, ზაფხულის ცის ქვეშ",
     "Colourful tents and bunches of grapes in the park under a summer sky"),
    ("ghvinis-festivali-marani.jpg", "cellar", {
     "title_ka": "ქვევრები მარანში", "title_en": "Qvevri in a cellar",
     "caption_ka": "ახმეტელი მეღვინის მარანი", "caption_en": "An Akhmeta winemaker's cellar",
     "place": "ახმეტა"},
     "მიწაში ჩაფლული ქვევრების რიგი ძველ მარანში",
     "A row of qvevri set in the earth in an old cellar"),
    ("presskonferencia.jpg", "hall", {
     "title_ka": "პრესკონფერენცია მერიაში", "title_en": "A press conference at City Hall",
     "caption_ka": "მერიის სხდომათა დარბაზი პრესკონფერენციამდე",
     "caption_en": "City Hall's meeting room before the press conference",
     "place": "ახმეტის მერია"},
     "სხდომათა დარბაზი ტრიბუნით, მიკროფონებით და დროშებით",
     "A meeting room with a lectern, microphones and flags"),
]  # fmt: skip

# The documents (Georgian titles, as the publishing seed writes them) and their pictures.
DOCUMENT_PICTURES = {
    "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა": ["sabavshvo-bagi.jpg"],
    "მერიამ პანკისის ხეობის გზების რეაბილიტაცია დაიწყო": ["pankisis-gza.jpg"],
}
# The events (Georgian titles, as the events seed writes them, a year's number aside).
EVENT_PICTURES = {
    "ახმეტის ღვინის ფესტივალი": ["ghvinis-festivali-ezo.jpg", "ghvinis-festivali-marani.jpg"],
    "ახალი საბავშვო ბაღის გახსნის ცერემონია": ["sabavshvo-bagi.jpg"],
    "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ": ["presskonferencia.jpg"],
}


def draw(subject: str) -> bytes:
    """A simple original picture of the subject, 1600 × 1067, as a JPEG."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (1600, 1067), "#9fd3f0")
    pen = ImageDraw.Draw(picture)
    pen.polygon([(0, 700), (400, 380), (800, 620), (1200, 300), (1600, 640), (1600, 1067),
                 (0, 1067)], fill="#5f7f3a")  # fmt: skip
    if subject == "kindergarten":
        pen.rectangle([(500, 480), (1100, 900)], fill="#f4e3c1", outline="#7a5230", width=6)
        pen.polygon([(460, 490), (800, 250), (1140, 490)], fill="#b0302a")
        for x in (560, 720, 880, 1000):
            pen.rectangle([(x, 560), (x + 70, 640)], fill="#4a90c2")
        pen.line([(1250, 900), (1250, 700), (1450, 700), (1450, 900)], fill="#333", width=8)
    elif subject == "road":
        pen.polygon([(650, 1067), (790, 620), (830, 620), (1050, 1067)], fill="#3a3a3a")
        for y in (700, 820, 960):
            pen.rectangle([(800, y), (815, y + 50)], fill="#f2f2f2")
        pen.rectangle([(1150, 820), (1400, 940)], fill="#f2b705")
    elif subject == "festival":
        for x, colour in ((200, "#c0392b"), (600, "#f39c12"), (1000, "#8e44ad")):
            pen.polygon([(x, 900), (x + 180, 600), (x + 360, 900)], fill=colour)
        for x in (300, 700, 1100, 1400):
            pen.ellipse([(x, 960), (x + 60, 1020)], fill="#5b2a86")
    elif subject == "cellar":
        pen.rectangle([(0, 0), (1600, 1067)], fill="#6b4a2f")
        for x in range(150, 1500, 300):
            pen.ellipse([(x, 600), (x + 200, 760)], fill="#b5651d", outline="#3d2616", width=6)
    elif subject == "hall":
        pen.rectangle([(0, 0), (1600, 1067)], fill="#e9e4da")
        pen.rectangle([(650, 500), (950, 950)], fill="#7a1f2b")
        for x in (700, 800, 900):
            pen.line([(x, 500), (x, 400)], fill="#222", width=6)
        pen.rectangle([(1200, 200), (1400, 330)], fill="#ffffff", outline="#c00", width=4)
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=85)
    return output.getvalue()


class Staff:
    def __init__(self, context: SeedContext, service: str, user: User) -> None:
        self.context = context
        self.service = service
        self.headers = {"Authorization": f"Bearer {issue_token(context.settings, user, 900)}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.context.http.request(
            method, self.context.url(self.service, path), headers=self.headers, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None


async def seed(context: SeedContext) -> int:
    media = Staff(context, "media", MEDIA)
    if await media.call("GET", "/library", params={"text": "ქვევრები მარანში", "limit": 1}):
        return 0
    chosen: dict[str, dict[str, Any]] = {}
    for filename, subject, fields, alt_ka, alt_en in PICTURES:
        picture = await asyncio.to_thread(draw, subject)
        item = await media.call(
            "POST",
            "/library",
            data={**fields, "author": "მერიის პრესსამსახური", "licence": "all_rights_reserved",
                  "consent": "not_needed",
                  "taken_on": (date.today() - timedelta(days=3)).isoformat()},
            files={"file": (filename, picture, "image/jpeg")},
        )  # fmt: skip
        chosen[filename] = {
            "item_id": item["id"], "alt_ka": alt_ka, "alt_en": alt_en,
            "caption_ka": fields["caption_ka"], "caption_en": fields["caption_en"],
            "credit": "მერიის პრესსამსახური",
        }  # fmt: skip
    return len(PICTURES) + await _documents(context, chosen) + await _events(context, chosen)


async def _documents(context: SeedContext, chosen: dict[str, dict[str, Any]]) -> int:
    """A new edition of each document, with its photos, approved on its route."""
    desk = PublishingDesk(context)
    found = await desk.call("editor", "GET", "/documents", params={"limit": 500})
    done = 0
    for document in found["items"]:
        names = DOCUMENT_PICTURES.get(document["title_ka"])
        if not names or document["state"] != "published":
            continue
        path = f"/documents/{document['id']}"
        await desk.call("editor", "POST", f"{path}/editions", json={
            "change_note": "დაემატა ფოტოები", "change_kind": "minor"})  # fmt: skip
        await desk.call("editor", "PATCH", path, json={"photos": [chosen[n] for n in names]})
        await desk.call("editor", "POST", f"{path}/submit", json={})
        await approve(desk, document["id"])
        done += 1
    return done


async def _events(context: SeedContext, chosen: dict[str, dict[str, Any]]) -> int:
    events = Staff(context, "events", PROTOCOL)
    found = await events.call("GET", "/events", params={"limit": 500})
    done = 0
    for event in found["items"]:
        title = event["title_ka"].rstrip("0123456789 ")
        names = EVENT_PICTURES.get(title)
        if not names or not event["public"] or event.get("series_id"):
            continue
        body: dict[str, Any] = {"photos": [chosen[name] for name in names]}
        if event["kind"] == "press_conference":
            body["video_url"] = RECORDING
        await events.call("PUT", f"/events/{event['id']}/pictures", json=body)
        done += 1
    return done
