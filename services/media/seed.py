"""Demo media relations for a newcomer: Georgian outlets and journalists with their consent,
distribution lists, a month of monitoring about Akhmeta, Tusheti and Pankisi (one story
waiting for its response in the media officer's inbox), a journalist's enquiry, and
accreditation requests for the press conference the events demo opens — all through the
real API, so the workflows and events are real too."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

from meria.auth import User, issue_token
from meria.seed import SeedContext

OFFICER = User(id="demo.media", name="გიორგი ხიზანიშვილი", roles=frozenset({"media_officer"}))

OUTLETS: list[dict[str, Any]] = [
    {"name_ka": "ინტერპრესნიუსი", "name_en": "Interpressnews", "medium": "agency",
     "region": "ეროვნული", "website": "https://www.interpressnews.ge/",
     "newsroom_email": "info@interpressnews.ge"},
    {"name_ka": "იმედი", "name_en": "Imedi TV", "medium": "tv", "region": "ეროვნული",
     "website": "https://imedinews.ge/"},
    {"name_ka": "საზოგადოებრივი მაუწყებელი", "name_en": "Georgian Public Broadcaster",
     "medium": "tv", "region": "ეროვნული", "website": "https://1tv.ge/"},
    {"name_ka": "რადიო თავისუფლება", "name_en": "Radio Tavisupleba (RFE/RL)", "medium": "radio",
     "region": "ეროვნული", "website": "https://www.radiotavisupleba.ge/"},
    {"name_ka": "რადიო ჰერეთი", "name_en": "Radio Hereti", "medium": "radio",
     "region": "კახეთი", "website": "https://hereti.ge/"},
    {"name_ka": "ახმეტის მოამბე", "name_en": "Akhmeta Herald", "medium": "print",
     "region": "კახეთი"},
]  # fmt: skip


def _consents(*purposes: str) -> list[dict[str, Any]]:
    return [
        {
            "purpose": purpose,
            "given_on": "2026-09-15",
            "method": "written",
            "wording": "თანახმა ვარ, ახმეტის მერიამ შეინახოს და გამოიყენოს ჩემი საკონტაქტო "
            "მონაცემები მითითებული მიზნით.",
        }
        for purpose in purposes
    ]


# (outlet's English name, journalist)
JOURNALISTS: list[tuple[str, dict[str, Any]]] = [
    ("Interpressnews", {"full_name": "ნათია ჩიკვაიძე", "position": "რეგიონების რედაქტორი",
     "beats": ["local_government", "tourism"], "languages": ["ka", "en"],
     "email": "n.chikvaidze@example.ge", "phone": "+995 599 11 22 33",
     "consents": _consents("press_distribution", "accreditation", "enquiries")}),
    ("Imedi TV", {"full_name": "მარიამ ლომიძე", "position": "კორესპონდენტი, კახეთი",
     "beats": ["local_government", "infrastructure"], "languages": ["ka"],
     "email": "m.lomidze@example.ge",
     "consents": _consents("press_distribution", "accreditation")}),
    ("Georgian Public Broadcaster", {"full_name": "Eka Gigauri",
     "position": "ინგლისურენოვანი სამსახური",
     "beats": ["tourism", "culture"], "languages": ["en", "ka"], "email": "e.gigauri@example.ge",
     "consents": _consents("press_distribution")}),
    ("Radio Tavisupleba (RFE/RL)", {"full_name": "ლევან ხოსიტაშვილი",
     "position": "ჟურნალისტი", "beats": ["social", "pankisi"], "languages": ["ka"],
     "email": "l.khositashvili@example.ge",
     "consents": _consents("press_distribution", "enquiries")}),
    ("Radio Hereti", {"full_name": "თეონა ბაღაშვილი", "position": "წამყვანი",
     "beats": ["agriculture", "local_government"], "languages": ["ka"],
     "email": "t.baghashvili@example.ge", "phone": "+995 577 44 55 66",
     "consents": _consents("press_distribution", "accreditation")}),
    ("Akhmeta Herald", {"full_name": "ზურაბ ქავთარაძე", "position": "რედაქტორი",
     "beats": ["local_government"], "languages": ["ka"]}),
]  # fmt: skip

LISTS: list[dict[str, Any]] = [
    {"name_ka": "ყველა ტელევიზია", "name_en": "All TV", "kind": "rule",
     "rule": {"media": ["tv"]}},
    {"name_ka": "ტურიზმის ჟურნალისტები", "name_en": "Tourism reporters", "kind": "rule",
     "rule": {"beats": ["tourism"]}, "document_types": ["press_release"]},
    {"name_ka": "კახეთის რეგიონული მედია", "name_en": "Kakheti regional media", "kind": "rule",
     "rule": {"regions": ["კახეთი"]}},
    {"name_ka": "სააგენტოები და რადიო", "name_en": "Agencies and radio", "kind": "rule",
     "rule": {"media": ["agency", "radio"]}},
]  # fmt: skip

# (outlet's English name, days ago, item)
ITEMS: list[tuple[str, int, dict[str, Any]]] = [
    ("Imedi TV", 2, {"title": "თუშეთის გზა ზამთრამდე არ გაიხსნება? — მოსახლეობა შეშფოთებულია",
     "summary": "სიუჟეტში ომალოს მცხოვრებლები აბანოს უღელტეხილის გზის მდგომარეობას "
     "აკრიტიკებენ და მერიისგან პასუხს ითხოვენ.", "topic": "infrastructure",
     "officials_mentioned": ["ახმეტის მერი"], "sentiment": "negative",
     "response_needed": True, "response_owner": "demo.media"}),
    ("Interpressnews", 4, {"title": "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
     "link": "https://www.interpressnews.ge/ka/article/akhmeta-kindergarten",
     "summary": "ბაღი 120 ბავშვზეა გათვლილი.", "topic": "education", "sentiment": "positive",
     "officials_mentioned": ["ახმეტის მერი"]}),
    ("Radio Tavisupleba (RFE/RL)", 6, {"title": "პანკისის ხეობაში ტურისტების რაოდენობა "
     "გაორმაგდა", "summary": "სასტუმრო სახლების მეპატრონეები ახალ შესაძლებლობებზე "
     "საუბრობენ.", "topic": "tourism", "sentiment": "positive"}),
    ("Radio Hereti", 8, {"title": "ზემო ალვანში საირიგაციო არხის რეაბილიტაცია დაიწყო",
     "topic": "agriculture", "sentiment": "neutral",
     "officials_mentioned": ["ახმეტის მერის მოადგილე"]}),
    ("Georgian Public Broadcaster", 10, {"title": "თუშეთობამ ომალოში რეკორდული რაოდენობის "
     "სტუმარი მიიღო", "link": "https://1tv.ge/news/tushetoba-omalo", "topic": "culture",
     "sentiment": "positive"}),
    ("Akhmeta Herald", 12, {"title": "მატანში წყალმომარაგების პრობლემა კვლავ მოუგვარებელია",
     "topic": "infrastructure", "sentiment": "negative"}),
]  # fmt: skip


class Desk:
    def __init__(self, context: SeedContext, user: User = OFFICER) -> None:
        self.context = context
        token = issue_token(context.settings, user, ttl_seconds=900)
        self.headers = {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.context.http.request(
            method, self.context.url("media", path), headers=self.headers, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None


async def _open_window(desk: Desk) -> dict[str, Any] | None:
    """The press conference the events demo schedules opens its window through its
    workflow; wait a little for it."""
    for _ in range(50):
        windows = await desk.call("GET", "/accreditation-windows", params={"open_only": True})
        open_windows = [w for w in windows if w["accepting"]]
        if open_windows:
            found: dict[str, Any] = open_windows[0]
            return found
        await asyncio.sleep(0.2)
    return None


async def seed(context: SeedContext) -> int:
    return (
        await _seed_relations(context)
        + await _seed_information_desk(context)
        + await _seed_library(context)
        + await _seed_subscribers(context)
    )


# Citizens subscribed by e-mail, as they would: the public form, then the link of the
# confirmation mail (made here with the installation's key, as the mail carries it).
SUBSCRIBERS: list[dict[str, Any]] = [
    {"email": "eteri.gogolauri@example.org", "topics": ["news", "events"],
     "cadence": "daily", "language": "ka"},
    {"email": "davit.margoshvili@example.org",
     "topics": ["acts:mayor_order", "acts:mayor_ordinance"], "cadence": "immediate",
     "language": "ka"},
    {"email": "anna.keller@example.org", "topics": ["events"], "cadence": "daily",
     "language": "en"},
]  # fmt: skip


async def _seed_subscribers(context: SeedContext) -> int:
    from services.media.citizens import Wish, confirm_url
    from services.media.settings import MediaSettings

    desk = Desk(context)
    if await desk.call("GET", "/subscribers", params={"limit": 1}):
        return 0
    settings = MediaSettings(secret_key=context.settings.secret_key)
    created = 0
    for wish in SUBSCRIBERS:
        await desk.call("POST", "/public/subscriptions", json=wish)
        (found,) = await desk.call("GET", "/subscribers", params={"email": wish["email"]})
        link = confirm_url(settings, Wish(found["id"], wish["email"], tuple(wish["topics"]),
                                          wish["cadence"], wish["language"]))  # fmt: skip
        path = link.removeprefix(settings.public_base)
        response = await context.http.post(context.url("media", path))
        response.raise_for_status()
        created += 1
    return created


# (file name, colours of sky, hills and ground, details)
PHOTOS: list[tuple[str, tuple[str, str, str], dict[str, Any]]] = [
    ("ghvinis-festivali.jpg", ("#f2b705", "#6b8e23", "#7b3f00"), {
     "title_ka": "ახმეტის ღვინის ფესტივალი", "title_en": "Akhmeta Wine Festival",
     "caption_ka": "ღვინის ფესტივალის გახსნა ახმეტის ცენტრალურ პარკში",
     "caption_en": "The opening of the wine festival in Akhmeta's central park",
     "author": "ლევან ბერიძე", "place": "ახმეტა, ცენტრალური პარკი", "days_ago": 40,
     "people": ["ნინო ბერიძე", "გიორგი ხიზანიშვილი"], "licence": "cc_by_4.0",
     "consent": "public_event"}),
    ("alaverdi-delegacia.jpg", ("#87ceeb", "#556b2f", "#a0522d"), {
     "title_ka": "დელეგაცია ალავერდში", "title_en": "The delegation at Alaverdi",
     "caption_ka": "ბავარიელი პარტნიორების დელეგაცია ალავერდის მონასტერთან",
     "caption_en": "The Bavarian partners' delegation at Alaverdi monastery",
     "author": "მერიის პრესსამსახური", "place": "ალავერდის მონასტერი", "days_ago": 25,
     "people": ["Hans Müller", "ნინო ბერიძე"], "licence": "press_use_only",
     "consent": "obtained", "consent_note": "წერილობითი თანხმობა, 2026 წლის ოქტომბერი"}),
    ("skola-matani.jpg", ("#b0c4de", "#2e8b57", "#d2b48c"), {
     "title_ka": "ახალი სკოლა მატანში", "title_en": "A new school in Matani",
     "caption_ka": "მატნის საჯარო სკოლის ახალი შენობის გახსნა",
     "caption_en": "The new building of Matani public school opens",
     "author": "თამარ კაპანაძე", "place": "სოფელი მატანი", "days_ago": 12,
     "people": ["მატნის სკოლის მოსწავლეები"], "licence": "all_rights_reserved",
     "consent": "not_obtained",
     "consent_note": "მშობლების თანხმობა ჯერ არ არის მიღებული: არ გამოქვეყნდეს."}),
    ("omalos-gza.jpg", ("#dcdcdc", "#708090", "#8b7d6b"), {
     "title_ka": "ომალოს გზა ზამთრის წინ", "title_en": "The Omalo road before winter",
     "caption_ka": "აბანოს უღელტეხილი, გზის სარემონტო სამუშაოები",
     "caption_en": "Abano pass, repairs of the road", "author": "ლევან ბერიძე",
     "place": "თუშეთი, აბანოს უღელტეხილი", "days_ago": 5, "licence": "cc_by_sa_4.0",
     "consent": "not_needed"}),
]  # fmt: skip


def _landscape(colours: tuple[str, str, str]) -> bytes:
    """A picture of sky, hills and ground, drawn here (the demo carries no photographs)."""
    import io

    from PIL import Image, ImageDraw

    sky, hills, ground = colours
    picture = Image.new("RGB", (1200, 800), sky)
    draw = ImageDraw.Draw(picture)
    draw.polygon([(0, 520), (260, 300), (520, 480), (820, 260), (1200, 500), (1200, 800),
                  (0, 800)], fill=hills)  # fmt: skip
    draw.rectangle([(0, 640), (1200, 800)], fill=ground)
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=85)
    return output.getvalue()


async def _seed_library(context: SeedContext) -> int:
    """A season's photos: a festival, a delegation, a school (whose pupils' parents have
    not consented yet, so it cannot be published) and the mountain road."""
    desk = Desk(context)
    if await desk.call("GET", "/library", params={"limit": 1}):
        return 0
    for filename, colours, details in PHOTOS:
        fields = {k: v for k, v in details.items() if k not in ("days_ago", "people")}
        fields["taken_on"] = (date.today() - timedelta(days=details["days_ago"])).isoformat()
        fields["people"] = details.get("people", [])
        picture = await asyncio.to_thread(_landscape, colours)
        await desk.call(
            "POST", "/library", data=fields, files={"file": (filename, picture, "image/jpeg")}
        )
    return len(PHOTOS)


async def _seed_relations(context: SeedContext) -> int:
    desk = Desk(context)
    if await desk.call("GET", "/outlets"):
        return 0
    created = 0
    outlets = {}
    for outlet in OUTLETS:
        outlets[outlet["name_en"]] = await desk.call("POST", "/outlets", json=outlet)
        created += 1
    journalists = {}
    for outlet_name, person in JOURNALISTS:
        body = {**person, "outlet_id": outlets[outlet_name]["id"]}
        journalists[person["full_name"]] = await desk.call("POST", "/journalists", json=body)
        created += 1
    for distribution_list in LISTS:
        await desk.call("POST", "/distribution-lists", json=distribution_list)
        created += 1
    today = date.today()
    for outlet_name, days_ago, item in ITEMS:
        body = {
            **item,
            "outlet_id": outlets[outlet_name]["id"],
            "published_on": (today - timedelta(days=days_ago)).isoformat(),
        }
        await desk.call("POST", "/monitoring-items", json=body)
        created += 1
    await desk.call(
        "POST",
        "/enquiries",
        json={
            "kind": "interview_request",
            "journalist_id": journalists["ნათია ჩიკვაიძე"]["id"],
            "subject": "ინტერვიუ მერთან თუშეთის ზამთრის მზადებაზე",
            "question": "გვსურს 10-წუთიანი ინტერვიუ მერთან თუშეთში ზამთრისთვის მზადების "
            "შესახებ, ამ კვირაში.",
            "channel": "email",
            "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        },
    )
    created += 1
    window = await _open_window(desk)
    if window is not None:
        for name in ("მარიამ ლომიძე", "თეონა ბაღაშვილი"):
            accreditation = await desk.call(
                "POST",
                "/accreditations",
                json={"event_id": window["event_id"], "journalist_id": journalists[name]["id"]},
            )
            created += 1
            if name == "მარიამ ლომიძე":
                await desk.call("POST", f"/accreditations/{accreditation['id']}/approve")
    return created


REQUESTER = User(id="demo.requester", name="ეკა ბუჩუკური", roles=frozenset({"requester"}))
EVENTS_TABLE = (
    "თარიღი,ღონისძიება,ადგილი,დამსწრე\n"
    "2026-07-12,თუშეთობა,ომალო,4200\n"
    "2026-08-03,ალავერდობის წინა კონცერტი,ახმეტა,1800\n"
    "2026-09-20,ახმეტის ღვინის ფესტივალი,ახმეტის ცენტრალური პარკი,3500\n"
).encode()
# (asker's unit, title, question, sources, days until needed, the answer if answered)
REQUESTS: list[tuple[str, str, str, list[str], int, str | None]] = [
    ("საკრებულოს აპარატი", "2026 წლის ზაფხულის ღონისძიებები და მათი დამსწრეები",
     "საკრებულოს კულტურისა და ტურიზმის კომისიას სჭირდება ჩამონათვალი 2026 წლის ზაფხულში "
     "ახმეტის მუნიციპალიტეტში გამართული ღონისძიებებისა და დამსწრეთა რაოდენობის შესახებ.",
     ["ღონისძიებების კალენდარი", "კულტურის ცენტრი"], 4,
     "2026 წლის ზაფხულში მუნიციპალიტეტში გაიმართა სამი მსხვილი ღონისძიება: თუშეთობა "
     "(4 200 დამსწრე), ალავერდობის წინა კონცერტი (1 800) და ღვინის ფესტივალი (3 500). "
     "დეტალური ცხრილი თანდართულია."),
    ("მერიის ინფრასტრუქტურის სამსახური", "თუშეთის გზაზე მედიაში გავრცელებული ინფორმაცია",
     "გთხოვთ შეარჩიოთ ბოლო თვის განმავლობაში მედიაში გავრცელებული ინფორმაცია ომალოს გზის "
     "მდგომარეობის შესახებ და მოსახლეობის ძირითადი პრეტენზიები.",
     ["მედიამონიტორინგი", "სოციალური ქსელები"], 2, None),
    ("საკრებულოს აპარატი", "ღონისძიებების დამსწრეთა რაოდენობა 2026 წელს",
     "საბიუჯეტო განხილვისთვის გვჭირდება 2026 წელს ჩატარებული ღონისძიებების დამსწრეთა "
     "რაოდენობა თვეების მიხედვით.", ["ღონისძიებების კალენდარი"], 6, None),
]  # fmt: skip


async def _seed_information_desk(context: SeedContext) -> int:
    """Requests of the council and the infrastructure service: one answered with its table,
    two waiting in the media officer's inbox (one of them like the answered one)."""
    asker, desk = Desk(context, REQUESTER), Desk(context)
    if (await desk.call("GET", "/information-requests"))["total"]:
        return 0
    created = 0
    for unit, title, question, sources, days, answer in REQUESTS:
        needed_by = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0)
        request = await asker.call(
            "POST",
            "/information-requests",
            json={"requester_unit": unit, "title": title, "question": question,
                  "sources": sources, "needed_by": needed_by.isoformat()},
        )  # fmt: skip
        created += 1
        if answer is None:
            continue
        path = f"/information-requests/{request['id']}"
        await desk.call("PUT", f"{path}/answer", json={"text": answer})
        await desk.call(
            "POST", f"{path}/files", files={"file": ("ღონისძიებები-2026.csv", EVENTS_TABLE)}
        )
        # The answer is sent once the workflow has made it a task.
        for _ in range(50):
            status = await desk.call("GET", f"{path}/status")
            if status["task"] is not None:
                await desk.call("POST", f"{path}/send")
                break
            await asyncio.sleep(0.2)
    return created
