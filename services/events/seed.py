"""Demo events for a newcomer, through the real API and workflows: the mayor's press
conference on the Tusheti road season (its advisory waiting in publishing), a meeting with
UNDP whose briefing note is due, a meeting with the EU's Mayors for Economic Growth
initiative still a draft, Tushetoba in Omalo, the Akhmeta wine festival, Saturday wine
tours as a weekly series, and the opening of a kindergarten."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from meria.auth import User, issue_token
from meria.seed import SeedContext
from services.events.texts import TBILISI

# The same people as the portal's demo accounts.
PEOPLE = {
    "protocol": User(
        id="demo.protocol", name="მარიამ ჩოხელი", roles=frozenset({"protocol_officer"})
    ),
    "media": User(id="demo.media", name="გიორგი ხიზანიშვილი", roles=frozenset({"media_officer"})),
    "head": User(id="demo.head", name="თამარ გელაშვილი", roles=frozenset({"head_of_department"})),
}

OFFICIALS: dict[str, dict[str, str]] = {
    "mayor": {
        "name_ka": "ახმეტის მუნიციპალიტეტის მერი",
        "name_en": "Mayor of Akhmeta Municipality",
        "position_ka": "მერი",
        "position_en": "Mayor",
    },
    "first-deputy-mayor": {
        "name_ka": "მერის პირველი მოადგილე",
        "name_en": "First Deputy Mayor",
        "position_ka": "მერის პირველი მოადგილე",
        "position_en": "First Deputy Mayor",
    },
    "council-chair": {
        "name_ka": "ახმეტის მუნიციპალიტეტის საკრებულოს თავმჯდომარე",
        "name_en": "Chair of the Akhmeta Municipal Council",
        "position_ka": "საკრებულოს თავმჯდომარე",
        "position_en": "Council Chair",
    },
}

VENUES: dict[str, dict[str, Any]] = {
    "hall": {
        "name_ka": "ახმეტის მერიის სხდომათა დარბაზი",
        "name_en": "Akhmeta City Hall assembly hall",
        "address_ka": "ახმეტა, ცოტნე დადიანის ქ. 6",
        "address_en": "6 Tsotne Dadiani St, Akhmeta",
        "capacity": 60,
    },
    "culture": {
        "name_ka": "ახმეტის კულტურის ცენტრი",
        "name_en": "Akhmeta Culture Centre",
        "address_ka": "ახმეტა, რუსთაველის ქ. 1",
        "address_en": "1 Rustaveli St, Akhmeta",
        "capacity": 300,
    },
    "omalo": {
        "name_ka": "ომალოს ცენტრალური მოედანი",
        "name_en": "Omalo central square",
        "address_ka": "ომალო, თუშეთი",
        "address_en": "Omalo, Tusheti",
        "capacity": 2000,
    },
    "park": {
        "name_ka": "ახმეტის ცენტრალური პარკი",
        "name_en": "Akhmeta central park",
        "address_ka": "ახმეტა, ცენტრალური პარკი",
        "address_en": "Central park, Akhmeta",
        "capacity": 3000,
    },
}


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TBILISI).isoformat()


def _next(today: date, month: int, day: int) -> date:
    """The next time of year: this year's if still ahead, else next year's."""
    this_year = date(today.year, month, day)
    return this_year if this_year > today + timedelta(days=7) else date(today.year + 1, month, day)


def demo_events(today: date, venues: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    """(who plans it, the event) in the order they are made."""
    soon = today + timedelta(days=5)
    tushetoba = _next(today, 8, 1)
    wine = _next(today, 10, 3)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return [
        (
            "media",
            {
                "kind": "press_conference",
                "title_ka": "მერის პრესკონფერენცია თუშეთის გზის სეზონის გახსნის შესახებ",
                "title_en": "Mayor's press conference on the opening of the Tusheti road season",
                "description_ka": "აბანოს უღელტეხილის გზა ომალომდე იხსნება. მერი ისაუბრებს "
                "გზის უსაფრთხოებაზე, სატრანსპორტო გრაფიკსა და ტურისტულ სეზონზე.",
                "description_en": "The Abano pass road to Omalo opens. The mayor speaks about "
                "road safety, the transport timetable and the tourist season.",
                "organiser_ka": "ახმეტის მუნიციპალიტეტის მერია",
                "organiser_en": "Akhmeta Municipality City Hall",
                "venue_id": venues["hall"],
                "starts_at": _at(soon, 11),
                "ends_at": _at(soon, 12),
                "public": True,
                "officials": ["mayor", "first-deputy-mayor"],
                "responsible": "demo.media",
                "schedule": True,
            },
        ),
        (
            "protocol",
            {
                "kind": "foundation_meeting",
                "title_ka": "შეხვედრა გაეროს განვითარების პროგრამასთან (UNDP) ადგილობრივი "
                "ეკონომიკური განვითარების შესახებ",
                "title_en": "Meeting with UNDP on local economic development",
                "description_ka": "თუშეთისა და პანკისის მცირე მეწარმეთა მხარდაჭერის ახალი ეტაპი, "
                "სასტუმრო სახლების სერტიფიცირება.",
                "description_en": "A new phase of support to small businesses in Tusheti and "
                "Pankisi; certification of guesthouses.",
                "partner_ka": "გაეროს განვითარების პროგრამა (UNDP)",
                "partner_en": "United Nations Development Programme (UNDP)",
                "venue_id": venues["hall"],
                "starts_at": _at(today + timedelta(days=8), 15),
                "ends_at": _at(today + timedelta(days=8), 16, 30),
                "officials": ["mayor"],
                "responsible": "demo.protocol",
                "schedule": True,
            },
        ),
        (
            "protocol",
            {
                "kind": "foundation_meeting",
                "title_ka": "სამუშაო შეხვედრა ევროკავშირის ინიციატივასთან „მერები ეკონომიკური "
                "ზრდისთვის“",
                "title_en": "Working meeting with the EU's Mayors for Economic Growth initiative",
                "description_ka": "ახმეტის ადგილობრივი ეკონომიკური განვითარების გეგმის "
                "განახლება და საგრანტო განაცხადის მომზადება.",
                "partner_ka": "ევროკავშირის ინიციატივა „მერები ეკონომიკური ზრდისთვის“ (M4EG)",
                "partner_en": "EU Mayors for Economic Growth (M4EG)",
                "place_ka": "ონლაინ შეხვედრა",
                "place_en": "Online",
                "starts_at": _at(today + timedelta(days=21), 12),
                "ends_at": _at(today + timedelta(days=21), 13),
                "officials": ["first-deputy-mayor"],
                "responsible": "demo.protocol",
            },
        ),
        (
            "protocol",
            {
                "kind": "festival",
                "title_ka": f"თუშეთობა {tushetoba.year}",
                "title_en": f"Tushetoba {tushetoba.year}",
                "description_ka": "თუშეთის ტრადიციული დღესასწაული ომალოში: თუშური სიმღერა და "
                "ცეკვა, ცხენების დოღი, ხალხური რეწვა და თუშური ყველი.",
                "description_en": "Tusheti's traditional festival in Omalo: songs and dances, "
                "horse racing, folk crafts and Tushetian cheese.",
                "organiser_ka": "ახმეტის მუნიციპალიტეტის მერია",
                "organiser_en": "Akhmeta Municipality City Hall",
                "venue_id": venues["omalo"],
                "starts_at": _at(tushetoba, 11),
                "ends_at": _at(tushetoba + timedelta(days=1), 20),
                "public": True,
                "expected_attendance": 1500,
                "officials": ["mayor"],
                "schedule": True,
            },
        ),
        (
            "protocol",
            {
                "kind": "festival",
                "title_ka": f"ახმეტის ღვინის ფესტივალი {wine.year}",
                "title_en": f"Akhmeta Wine Festival {wine.year}",
                "description_ka": "ახმეტელი მეღვინეების ქვევრის ღვინოები, ჩურჩხელა და "
                "კახური სუფრა რთველის დასასრულს.",
                "description_en": "Qvevri wines of Akhmeta's winemakers, churchkhela and a "
                "Kakhetian feast at the end of the harvest.",
                "organiser_ka": "ახმეტის მუნიციპალიტეტის მერია",
                "venue_id": venues["park"],
                "starts_at": _at(wine, 12),
                "ends_at": _at(wine, 21),
                "public": True,
                "expected_attendance": 2500,
                "officials": ["mayor", "council-chair"],
                "schedule": True,
            },
        ),
        (
            "protocol",
            {
                "kind": "tourism_event",
                "title_ka": "ღვინის ტური ახმეტის მარნებში",
                "title_en": "Wine tour of Akhmeta's cellars",
                "description_ka": "ყოველ შაბათს: სამი ოჯახური მარანი და ალავერდის მონასტერი.",
                "place_ka": "ახმეტის ტურისტული საინფორმაციო ცენტრი",
                "place_en": "Akhmeta tourist information centre",
                "starts_at": _at(saturday, 11),
                "ends_at": _at(saturday, 15),
                "public": True,
                "recurrence": {"rrule": "FREQ=WEEKLY;BYDAY=SA;COUNT=8"},
                "schedule": True,
            },
        ),
        (
            "protocol",
            {
                "kind": "ceremony",
                "title_ka": "ახალი საბავშვო ბაღის გახსნის ცერემონია",
                "title_en": "Opening ceremony of the new kindergarten",
                "place_ka": "ახმეტა, ჭავჭავაძის ქ. 12",
                "place_en": "12 Chavchavadze St, Akhmeta",
                "starts_at": _at(today + timedelta(days=3), 12),
                "ends_at": _at(today + timedelta(days=3), 13),
                "public": True,
                "officials": ["mayor"],
                "schedule": True,
            },
        ),
    ]


async def seed(context: SeedContext) -> int:
    tokens = {key: issue_token(context.settings, user, 600) for key, user in PEOPLE.items()}

    async def call(who: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await context.http.request(
            method,
            context.url("events", path),
            headers={"Authorization": f"Bearer {tokens[who]}"},
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    for code, official in OFFICIALS.items():
        await call("head", "PUT", f"/officials/{code}", json=official)
    known = {venue["name_ka"]: venue["id"] for venue in await call("protocol", "GET", "/venues")}
    venues: dict[str, int] = {}
    for key, venue in VENUES.items():
        venues[key] = (
            known.get(venue["name_ka"])
            or (await call("protocol", "POST", "/venues", json=venue))["id"]
        )
    today = datetime.now(TBILISI).date()
    demo = demo_events(today, venues)
    # Seeded before only if events of the demo's own kinds exist: the visits seed, which
    # runs first, has already put its delegation's programme in the calendar.
    kinds = sorted({event["kind"] for _, event in demo})
    if (await call("protocol", "GET", "/events", params={"limit": 1, "kind": kinds}))["total"]:
        return 0
    created = 0
    for who, event in demo:
        made = await call(who, "POST", "/events", json=event)
        created += len(made["events"])
    return created
