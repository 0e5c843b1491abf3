"""Demo visits for a newcomer, through the real API and workflows: a delegation from the
partner town of Birštonas (Lithuania) approved and in preparation, an official visit to
Nałęczów (Poland) waiting for the mayor, the partners with NALAG among them, a
memorandum whose renewal falls due, and a funding application to an EU programme."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import Any

from meria.auth import User, issue_token
from meria.seed import SeedContext
from services.visits.checklists import TBILISI

# The same people as the portal's demo accounts.
PEOPLE = {
    "protocol": User(
        id="demo.protocol", name="მარიამ ჩოხელი", roles=frozenset({"protocol_officer"})
    ),
    "head": User(id="demo.head", name="თამარ გელაშვილი", roles=frozenset({"head_of_department"})),
    "mayor": User(id="demo.mayor", name="ახმეტის მერი", roles=frozenset({"mayor"})),
}

PARTNERS: list[dict[str, Any]] = [
    {
        "kind": "national_association",
        "name_ka": "საქართველოს ადგილობრივ თვითმმართველობათა ეროვნული ასოციაცია",
        "name_en": "National Association of Local Authorities of Georgia (NALAG)",
        "country": "GE",
        "city": "თბილისი",
        "website": "https://nala.ge/",
        "notes": "ადგილობრივი თვითმმართველობების ინტერესების წარმომადგენელი ეროვნულ დონეზე.",
    },
    {
        "kind": "partner_city",
        "name_ka": "ბირშტონასის მუნიციპალიტეტი",
        "name_en": "Birštonas Municipality",
        "country": "LT",
        "city": "Birštonas",
        "website": "https://www.birstonas.lt/",
        "partnership_since": "2019-05-14",
        "notes": "კურორტი ნემუნასის ნაპირზე; თანამშრომლობა ტურიზმსა და ახალგაზრდობის საკითხებში.",
    },
    {
        "kind": "sister_city",
        "name_ka": "ნალენჩუვის მუნიციპალიტეტი",
        "name_en": "Nałęczów Municipality",
        "country": "PL",
        "city": "Nałęczów",
        "partnership_since": "2016-09-20",
        "notes": "ბალნეოლოგიური კურორტი ლუბლინის ვოევოდობაში.",
    },
    {
        "kind": "international_organisation",
        "name_ka": "ევროკავშირის ინიციატივა „მერები ეკონომიკური ზრდისთვის“",
        "name_en": "EU initiative Mayors for Economic Growth (M4EG)",
        "country": "BE",
        "city": "ბრიუსელი",
    },
    {
        "kind": "foundation",
        "name_ka": "ევრაზიის თანამშრომლობის ფონდი",
        "name_en": "Eurasia Partnership Foundation",
        "country": "GE",
        "city": "თბილისი",
        "website": "https://epfound.ge/",
        "partnership_since": "2021-03-01",
        "notes": "სამოქალაქო ჩართულობისა და ადგილობრივი განვითარების საგრანტო პროგრამები.",
    },
]
EPF = "Eurasia Partnership Foundation"


class Desk:
    def __init__(self, context: SeedContext) -> None:
        self.context = context
        self.tokens = {
            key: issue_token(context.settings, user, ttl_seconds=900)
            for key, user in PEOPLE.items()
        }

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.context.http.request(
            method,
            self.context.url("visits", path),
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    async def wait_for_stage(self, visit_id: int, stage: str) -> dict[str, Any]:
        for _ in range(300):
            status: dict[str, Any] = await self.call(
                "protocol", "GET", f"/visits/{visit_id}/status"
            )
            if status["stage"] == stage and status["tasks"]:
                return status
            await asyncio.sleep(0.1)
        raise TimeoutError(f"visit {visit_id} did not reach {stage}")


def _at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=TBILISI).isoformat()


async def _seed_awarded_project(desk: Desk, foundation: dict[str, Any], today: date) -> None:
    """A grant under way: its tranches (one received), co-financing and documents."""
    project = await desk.call(
        "protocol", "POST", "/projects",
        json={
            "title_ka": "ახალგაზრდული საბჭო ახმეტის მუნიციპალიტეტში",
            "title_en": "A youth council in Akhmeta Municipality",
            "donor": "ევრაზიის თანამშრომლობის ფონდი", "donor_partner_id": foundation["id"],
            "call": "ადგილობრივი დემოკრატიის გრანტები 2026",
            "amount": "42000.00", "currency": "GEL",
            "stage": "application", "cofinancing": "8000.00",
            "cofinancing_source": "ახმეტის მუნიციპალიტეტის ბიუჯეტი",
            "summary_ka": "ახალგაზრდული საბჭოს შექმნა და სწავლება ახმეტაში, მატანსა და ალვანში.",
            "responsible": "demo.protocol", "partner_ids": [foundation["id"]],
            "deadlines": [{"kind": "interim_report", "title_ka": "შუალედური ანგარიში",
                           "title_en": "Interim report",
                           "due_on": (today + timedelta(days=30)).isoformat()}],
        },
    )  # fmt: skip
    path = f"/projects/{project['id']}"
    for stage in ("awarded", "implementation"):
        await desk.call("protocol", "POST", f"{path}/stage", json={"stage": stage})
    first = await desk.call(
        "protocol", "POST", f"{path}/tranches",
        json={"title_ka": "პირველი ტრანში", "title_en": "First tranche", "amount": "25000.00",
              "expected_on": (today - timedelta(days=20)).isoformat()},
    )  # fmt: skip
    await desk.call("protocol", "POST", f"{path}/tranches/{first['tranches'][0]['id']}/received")
    await desk.call(
        "protocol", "POST", f"{path}/tranches",
        json={"title_ka": "მეორე ტრანში შუალედური ანგარიშის შემდეგ", "title_en": "Second "
              "tranche, after the interim report", "amount": "17000.00",
              "expected_on": (today + timedelta(days=60)).isoformat()},
    )  # fmt: skip
    await desk.call(
        "protocol", "POST", f"{path}/documents",
        json={"kind": "contract", "title": "საგრანტო ხელშეკრულება EPF-2026-117",
              "url": "https://docs.akhmeta.gov.ge/projects/epf-2026-117-contract.pdf"},
    )  # fmt: skip


async def seed(context: SeedContext) -> int:
    return await _seed_visits(context) + await _seed_tourism(context)


async def _seed_visits(context: SeedContext) -> int:
    desk = Desk(context)
    known = {p["name_en"]: p for p in await desk.call("protocol", "GET", "/partners")}
    created = 0
    partners: dict[str, dict[str, Any]] = {}
    for partner in PARTNERS:
        found = known.get(partner["name_en"])
        if found is None:
            found = await desk.call("protocol", "POST", "/partners", json=partner)
            created += 1
        partners.setdefault(partner["country"], found)
        partners[partner["name_en"]] = found
    existing = await desk.call("protocol", "GET", "/visits", params={"limit": 500})
    if existing["total"]:
        return created
    today = datetime.now(TBILISI).date()

    # A memorandum with Birštonas whose renewal is due, and an EU funding application.
    await desk.call(
        "protocol",
        "POST",
        "/agreements",
        json={
            "partner_id": partners["LT"]["id"],
            "kind": "memorandum",
            "title_ka": "ურთიერთთანამშრომლობის მემორანდუმი ახმეტისა და ბირშტონასის "
            "მუნიციპალიტეტებს შორის",
            "title_en": "Memorandum of cooperation between Akhmeta and Birštonas municipalities",
            "parties": ["ახმეტის მუნიციპალიტეტი", "Birštono savivaldybė"],
            "signed_on": (today - timedelta(days=3 * 365 - 60)).isoformat(),
            "expires_on": (today + timedelta(days=60)).isoformat(),
            "renewal_notice_days": 90,
        },
    )
    await desk.call(
        "protocol",
        "POST",
        "/agreements",
        json={
            "partner_id": partners["PL"]["id"],
            "kind": "twinning",
            "title_ka": "დაძმობილების ხელშეკრულება ახმეტასა და ნალენჩუვს შორის",
            "title_en": "Twinning agreement between Akhmeta and Nałęczów",
            "parties": ["ახმეტის მუნიციპალიტეტი", "Gmina Nałęczów"],
            "signed_on": "2016-09-20",
            "renewal_notice_days": 0,
        },
    )
    await desk.call(
        "protocol",
        "POST",
        "/projects",
        json={
            "title_ka": "ალაზნის ველის ღვინის გზის ტურისტული ინფრასტრუქტურა",
            "title_en": "Tourist infrastructure of the Alazani Valley wine route",
            "donor": "ევროკავშირი — „მერები ეკონომიკური ზრდისთვის“",
            "donor_partner_id": partners["BE"]["id"],
            "call": "M4EG — სადემონსტრაციო პროექტები 2027",
            "amount": "180000.00",
            "currency": "EUR",
            "stage": "concept_note",
            "summary_ka": "საინფორმაციო დაფები, ველობილიკი და ტურისტული ცენტრი ზემო ალვანში.",
            "responsible": "demo.protocol",
            "partner_ids": [partners["GE"]["id"], partners["LT"]["id"]],
            "deadlines": [
                {
                    "kind": "concept_note",
                    "title_ka": "საკონცეფციო ჩანაწერის წარდგენა",
                    "title_en": "Concept note submission",
                    "due_on": (today + timedelta(days=12)).isoformat(),
                },
                {
                    "kind": "application",
                    "title_ka": "სრული განაცხადის წარდგენა",
                    "title_en": "Full application",
                    "due_on": (today + timedelta(days=75)).isoformat(),
                },
            ],
        },
    )
    await _seed_awarded_project(desk, partners[EPF], today)
    created += 4

    # The Birštonas delegation: approved by the mayor, its tasks with their owners.
    arrival = today + timedelta(days=45)
    delegation = await desk.call(
        "protocol",
        "POST",
        "/visits",
        json={
            "kind": "incoming_official",
            "title_ka": "ბირშტონასის მუნიციპალიტეტის დელეგაციის ვიზიტი ახმეტაში",
            "title_en": "Visit of the Birštonas Municipality delegation to Akhmeta",
            "purpose_ka": "ტურიზმსა და ღვინის ტურიზმში თანამშრომლობის გაღრმავება, მემორანდუმის "
            "განახლება და ახალგაზრდული გაცვლის დაგეგმვა.",
            "purpose_en": "Deepening cooperation in tourism and wine tourism, renewing the "
            "memorandum and planning a youth exchange.",
            "partner_id": partners["LT"]["id"],
            "country": "LT",
            "city": "ახმეტა",
            "places": ["ახმეტის მერია", "ალავერდის მონასტერი", "ზემო ალვანი"],
            "languages": ["ka", "lt", "en"],
            "arrival_on": arrival.isoformat(),
            "departure_on": (arrival + timedelta(days=2)).isoformat(),
            "responsible": "demo.protocol",
            "press_editor": "demo.editor",
        },
    )
    visit_id = delegation["id"]
    for member in (
        {"full_name": "Nijolė Dirginčienė", "position": "მერი", "delegation_role": "head",
         "organisation": "Birštono savivaldybė", "country": "LT", "interpretation_language": "lt"},
        {"full_name": "Tomas Petrauskas", "position": "ტურიზმის სამსახურის უფროსი",
         "delegation_role": "member", "country": "LT", "dietary_needs": "ვეგეტარიანული"},
        {"full_name": "Eglė Kazlauskienė", "delegation_role": "interpreter", "country": "LT"},
    ):  # fmt: skip
        await desk.call("protocol", "POST", f"/visits/{visit_id}/members", json=member)
    for item in (
        {"kind": "meeting", "starts_at": _at(arrival, 11), "ends_at": _at(arrival, 12, 30),
         "title_ka": "შეხვედრა ახმეტის მერთან", "title_en": "Meeting with the Mayor of Akhmeta",
         "place_ka": "ახმეტის მერია", "place_en": "Akhmeta City Hall",
         "participants": ["ახმეტის მერი", "დელეგაციის ხელმძღვანელი"]},
        {"kind": "site_visit", "starts_at": _at(arrival + timedelta(days=1), 10),
         "ends_at": _at(arrival + timedelta(days=1), 13),
         "title_ka": "ალავერდის მონასტრისა და მარნის დათვალიერება",
         "title_en": "Alaverdi monastery and its wine cellar", "place_ka": "ალავერდი",
         "place_en": "Alaverdi"},
        {"kind": "press_event", "starts_at": _at(arrival + timedelta(days=2), 12),
         "ends_at": _at(arrival + timedelta(days=2), 12, 45),
         "title_ka": "მემორანდუმის განახლების ხელმოწერა და ბრიფინგი",
         "title_en": "Signing the renewed memorandum; press briefing",
         "place_ka": "ახმეტის მერია, სხდომათა დარბაზი"},
    ):  # fmt: skip
        await desk.call("protocol", "POST", f"/visits/{visit_id}/programme", json=item)
    for line in (
        {"category": "accommodation", "description_ka": "სასტუმრო, 3 ნომერი, 2 ღამე",
         "planned_gel": "960.00"},
        {"category": "meals", "description_ka": "ოფიციალური სადილი", "planned_gel": "750.00"},
        {"category": "gifts", "description_ka": "ახმეტური ღვინო და ნაბადი",
         "planned_gel": "420.00"},
    ):  # fmt: skip
        await desk.call("protocol", "POST", f"/visits/{visit_id}/budget", json=line)
    await desk.wait_for_stage(visit_id, "requested")
    await desk.call(
        "mayor",
        "POST",
        f"/visits/{visit_id}/decisions",
        json={
            "outcome": "approve",
            "comment": "მივესალმები, მემორანდუმის განახლება მნიშვნელოვანია",
        },
    )
    await desk.wait_for_stage(visit_id, "in_preparation")
    await desk.call(
        "protocol",
        "POST",
        f"/visits/{visit_id}/tasks/invitation_letter/complete",
        json={"notes": "მოსაწვევი წერილი გაიგზავნა ელფოსტით"},
    )

    # The official visit to Nałęczów, waiting for the mayor.
    departure = today + timedelta(days=70)
    await desk.call(
        "protocol",
        "POST",
        "/visits",
        json={
            "kind": "outgoing_official",
            "title_ka": "ახმეტის მერიის ოფიციალური ვიზიტი ნალენჩუვში",
            "title_en": "Official visit of Akhmeta City Hall to Nałęczów",
            "purpose_ka": "დაძმობილების ათი წლისთავი და კურორტების მართვის გამოცდილების გაზიარება.",
            "purpose_en": "Ten years of twinning; sharing experience of managing spa resorts.",
            "partner_id": partners["PL"]["id"],
            "country": "PL",
            "city": "Nałęczów",
            "places": ["Nałęczów", "Lublin"],
            "languages": ["pl", "en"],
            "arrival_on": departure.isoformat(),
            "departure_on": (departure + timedelta(days=3)).isoformat(),
            "responsible": "demo.protocol",
            "press_editor": "demo.editor",
        },
    )
    return created + 2


# Tourism: last year's and this year's summer months for the municipality's main places,
# with the visitors' main countries where counted; a priority and two proposals.
PLACES = {"ომალო": (5200, 1.18), "ალავერდი": (3900, 1.07), "ახმეტა": (2600, 1.12),
          "ბირკიანი": (800, 1.35)}  # fmt: skip
SEASON = {5: 0.35, 6: 0.7, 7: 1.0, 8: 1.2, 9: 0.8, 10: 0.45}
COUNTRIES = {"PL": 0.11, "DE": 0.08, "IL": 0.06, "LT": 0.04}


def tourism_csv(this_year: int) -> str:
    lines = ["month,place,country,metric,value"]
    for year in (this_year - 1, this_year):
        for month, share in SEASON.items():
            for place, (base, growth) in PLACES.items():
                visitors = round(base * share * (growth if year == this_year else 1))
                month_key = f"{year}-{month:02d}"
                lines.append(f"{month_key},{place},,visitors,{visitors}")
                lines.append(f"{month_key},{place},,overnight_stays,{round(visitors * 0.6)}")
                for country, part in COUNTRIES.items():
                    lines.append(f"{month_key},{place},{country},visitors,{round(visitors * part)}")
        lines.append(f"{year}-07,ომალო,,event_attendance,{4200 if year == this_year else 3600}")
    return "\n".join(lines) + "\n"


async def _seed_tourism(context: SeedContext) -> int:
    desk = Desk(context)
    if await desk.call("protocol", "GET", "/tourism/priorities"):
        return 0
    year = datetime.now(TBILISI).year
    await desk.call(
        "protocol", "POST", "/tourism/imports",
        files={"file": (f"ტურიზმი-{year - 1}-{year}.csv", tourism_csv(year).encode())},
    )  # fmt: skip
    priority = await desk.call(
        "protocol", "POST", "/tourism/priorities",
        json={"title_ka": "თუშეთის მთის ტურიზმის სეზონის გახანგრძლივება",
              "title_en": "A longer mountain tourism season in Tusheti",
              "description_ka": "სეზონის გახანგრძლივება მაისიდან ოქტომბრამდე: ბილიკები, "
              "სტუმართა სახლები, ტრანსპორტი ომალომდე.", "year_from": year, "year_to": year + 2},
    )  # fmt: skip
    wine = await desk.call(
        "protocol", "POST", "/tourism/priorities",
        json={"title_ka": "ღვინის ტურიზმი ალაზნის ველზე", "title_en": "Wine tourism in the "
              "Alazani valley", "year_from": year, "year_to": year + 3},
    )  # fmt: skip
    await desk.call(
        "protocol", "POST", "/tourism/proposals",
        json={"priority_id": priority["id"], "title_ka": "ომალოს ტურისტული ბილიკების მარკირება",
              "title_en": "Marking the tourist trails of Omalo", "budget_gel": "180000",
              "funding_source": "donor", "donor": "ევროკავშირი — EU4Business",
              "start_project": True,
              "statistics_cited": [{"metric": "visitors", "year": year - 1, "place": "ომალო"}]},
    )  # fmt: skip
    await desk.call(
        "protocol", "POST", "/tourism/proposals",
        json={"priority_id": wine["id"], "title_ka": "ახმეტის ღვინის ფესტივალის პროგრამა",
              "title_en": "Programme of the Akhmeta wine festival", "budget_gel": "45000",
              "funding_source": "municipal_budget",
              "statistics_cited": [{"metric": "event_attendance", "year": year - 1}]},
    )  # fmt: skip
    return 5
