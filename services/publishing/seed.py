"""Demo publishing for a newcomer: Akhmeta's legal acts, press material and standing pages,
each brought to its state through the real API and workflows — published, waiting in
review, scheduled, and one still a draft — and an order amended and partly repealed by a
later one, with its consolidated text."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from meria import municipality
from meria.auth import User, issue_token
from meria.seed import SeedContext

PEOPLE = {
    "editor": User(id="demo.editor", name="ნინო ბერიძე", roles=frozenset({"editor"})),
    "legal_reviewer": User(
        id="demo.lawyer", name="ლევან კაპანაძე", roles=frozenset({"legal_reviewer"})
    ),
    "head_of_department": User(
        id="demo.head", name="თამარ გელაშვილი", roles=frozenset({"head_of_department"})
    ),
    "mayor": User(id="demo.mayor", name="ახმეტის მერი", roles=frozenset({"mayor"})),
    "admin": User(id="demo.admin", name="ადმინისტრატორი", roles=frozenset({"admin"})),
}

# A standing page's review that comes due soon after seeding (a Moment, as JSON has it).
REVIEW_DUE_SOON = "soon"
# A published item taken down at a set time: its title, in how many days, and why.
TAKEN_DOWN_LATER = {
    "ახმეტის ღვინის ფესტივალზე მონაწილეთა რეგისტრაცია დაიწყო": (
        14,
        "ფესტივალზე რეგისტრაცია დასრულდა.",
    ),
}

# (document, how far it goes: "published", "review", "scheduled" or "draft")
DOCUMENTS: list[tuple[dict[str, Any], str]] = [
    (
        {
            "document_type": "mayor_order",
            "issuer_code": "mayor",
            "title_ka": "ახმეტის მუნიციპალიტეტის 2027 წლის ბიუჯეტის პროექტის მომზადების შესახებ",
            "title_en": "On preparing the draft 2027 budget of Akhmeta Municipality",
            "summary_ka": "მერიის სამსახურებს დაევალათ ბიუჯეტის წინადადებების წარდგენა.",
            "summary_en": "The city hall's services are to submit their budget proposals.",
            "body_ka": "<p>1. მერიის სტრუქტურულმა ერთეულებმა ბიუჯეტის წინადადებები წარმოადგინონ "
            "1 დეკემბრამდე.</p><p>2. ბრძანება ძალაშია ხელმოწერისთანავე.</p>",
            "body_en": "<p>1. The city hall's units submit their budget proposals by "
            "1 December.</p><p>2. The order takes effect on signature.</p>",
        },
        "published",
    ),
    (
        {
            "document_type": "mayor_ordinance",
            "issuer_code": "mayor",
            "title_ka": "ზემო ალვანის სკოლის სახურავის შეკეთების სამუშაოების დაფინანსების შესახებ",
            "title_en": "On funding the roof repair of the Zemo Alvani school",
            "summary_ka": "სარეზერვო ფონდიდან 48 000 ლარის გამოყოფა.",
            "summary_en": "GEL 48,000 allocated from the reserve fund.",
            "body_ka": "<p>გამოიყოს 48 000 ლარი ზემო ალვანის საჯარო სკოლის სახურავის "
            "შესაკეთებლად.</p>",
            "translation_pending": True,
        },
        "published",
    ),
    (
        {
            "document_type": "press_release",
            "title_ka": "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
            "title_en": "A new kindergarten opened in Akhmeta",
            "summary_ka": "ქალაქ ახმეტაში 120 ბავშვზე გათვლილი საბავშვო ბაღი გაიხსნა.",
            "summary_en": "A kindergarten for 120 children opened in the town of Akhmeta.",
            "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერიის ინიციატივით ქალაქში ახალი საბავშვო "
            "ბაღი გაიხსნა. გახსნას მუნიციპალიტეტის მერი და მშობლები დაესწრნენ.</p>",
            "body_en": "<p>On the initiative of Akhmeta Municipality City Hall a new "
            "kindergarten opened in the town. The mayor and parents attended the opening.</p>",
        },
        "published",
    ),
    (
        {
            "document_type": "news",
            "title_ka": "მერიამ პანკისის ხეობის გზების რეაბილიტაცია დაიწყო",
            "title_en": "City Hall begins rehabilitating the roads of the Pankisi Valley",
            "summary_ka": "სამუშაოები ექვს სოფელს მოიცავს და შემოდგომამდე დასრულდება.",
            "summary_en": "The works cover six villages and will finish by autumn.",
            "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერიამ პანკისის ხეობის სოფლების "
            "დამაკავშირებელი გზების რეაბილიტაცია დაიწყო.</p>",
        },
        "published",
    ),
    (
        {
            "document_type": "news",
            "title_ka": "ახმეტის ღვინის ფესტივალზე მონაწილეთა რეგისტრაცია დაიწყო",
            "title_en": "Registration opens for the Akhmeta wine festival",
            "summary_ka": "მეღვინეებს რეგისტრაცია ორი კვირის განმავლობაში შეუძლიათ.",
            "summary_en": "Winemakers may register for two weeks.",
            "body_ka": "<p>ახმეტის მუნიციპალიტეტის მეღვინეები ფესტივალზე მონაწილეობისთვის "
            "მერიაში რეგისტრირდებიან.</p>",
            "body_en": "<p>Winemakers of Akhmeta Municipality register at the City Hall to "
            "take part in the festival.</p>",
        },
        "published",
    ),
    (
        {
            "document_type": "announcement",
            "title_ka": "თუშეთის გზა ზამთრის პერიოდში დაიკეტება",
            "title_en": "The Tusheti road closes for the winter",
            "summary_ka": "აბანოს უღელტეხილის გზა მოძრაობისთვის ზამთრის სეზონზე დაიკეტება.",
            "summary_en": "The road over the Abano Pass closes to traffic for the winter season.",
            "body_ka": "<p>აბანოს უღელტეხილზე მოძრაობა შეიზღუდება 1 დეკემბრიდან.</p>",
        },
        "published",
    ),
    (
        {
            "document_type": "web_page",
            "slug": "about",
            "nav_section": "about",
            "nav_order": 1,
            "title_ka": "ახმეტის მუნიციპალიტეტის შესახებ",
            "title_en": "About Akhmeta Municipality",
            "body_ka": "<p>ახმეტის მუნიციპალიტეტი მდებარეობს კახეთის მხარეში და მოიცავს "
            "პანკისის ხეობასა და თუშეთს.</p>",
            "body_en": "<p>Akhmeta Municipality lies in the Kakheti region and includes the "
            "Pankisi Valley and Tusheti.</p>",
            # Kept by the editor, reviewed once a year.
            "owner": "demo.editor",
            "review_every_months": 12,
        },
        "published",
    ),
    (
        {
            "document_type": "web_page",
            "slug": "contacts",
            "nav_section": "contacts",
            "nav_order": 1,
            "title_ka": "კონტაქტი",
            "title_en": "Contacts",
            "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერია, ქ. ახმეტა, რუსთაველის ქ. 27.</p>",
            "body_en": "<p>Akhmeta Municipality City Hall, 27 Rustaveli Street, Akhmeta.</p>",
            # Kept by the editor, every six months; its review comes due a minute after the
            # demo is seeded, so a newcomer finds "review the page" in the editor's inbox.
            "owner": "demo.editor",
            "review_every_months": 6,
            "next_review_at": REVIEW_DUE_SOON,
        },
        "published",
    ),
    (
        {
            "document_type": "mayor_order",
            "issuer_code": "mayor",
            "title_ka": "ახმეტის მუნიციპალიტეტში ზამთრის პერიოდისთვის მზადების შესახებ",
            "title_en": "On preparing Akhmeta Municipality for the winter",
            "body_ka": "<p>შეიქმნას ზამთრის პერიოდისთვის მზადების სამუშაო ჯგუფი.</p>",
        },
        "review",
    ),
    (
        {
            "document_type": "press_release",
            "title_ka": "ახმეტის მერი ბათუმის მერიის დელეგაციას უმასპინძლებს",
            "title_en": "The Mayor of Akhmeta will host a delegation from Batumi City Hall",
            "body_ka": "<p>დელეგაცია გაეცნობა ახმეტის ღვინის მარნებსა და ტურისტულ მარშრუტებს.</p>",
        },
        "review",
    ),
    (
        {
            "document_type": "news",
            "title_ka": "ალავერდობის დღესასწაულისთვის მზადება დაიწყო",
            "title_en": "Preparations for the Alaverdoba festival have begun",
            "body_ka": "<p>ალავერდობა სექტემბრის ბოლოს აღინიშნება.</p>",
        },
        "scheduled",
    ),
    (
        {
            "document_type": "announcement",
            "title_ka": "მოქალაქეთა მიღების განრიგი დეკემბრის თვეში",
            "title_en": "Citizens' reception schedule for December",
            "body_ka": "<p>მერი მოქალაქეებს ყოველ სამშაბათს, 11:00 საათზე მიიღებს.</p>",
        },
        "draft",
    ),
]

TBILISI = ZoneInfo("Asia/Tbilisi")
# An order, an order that changes it, and the first order's consolidated text.
KINDERGARTEN_FEES: dict[str, Any] = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "ახმეტის მუნიციპალიტეტის საბავშვო ბაღებში მომსახურების საფასურის შესახებ",
    "title_en": "On the fees of Akhmeta Municipality's kindergartens",
    "summary_ka": "მუნიციპალიტეტის საბავშვო ბაღებში მომსახურების ყოველთვიური საფასური.",
    "summary_en": "The monthly fee of the municipality's kindergartens.",
    "body_ka": "<p>მუხლი 1. ბრძანება ადგენს ახმეტის მუნიციპალიტეტის საბავშვო ბაღებში "
    "მომსახურების საფასურს.</p><p>მუხლი 2. საფასური შეადგენს თვეში 30 ლარს.</p>"
    "<p>მუხლი 3. მრავალშვილიანი ოჯახები საფასურის ნახევარს იხდიან.</p>",
    "body_en": "<p>Article 1. This order sets the fee of the kindergartens of Akhmeta "
    "Municipality.</p><p>Article 2. The fee is GEL 30 a month.</p><p>Article 3. Families "
    "with many children pay half the fee.</p>",
}
FEES_AMENDMENT: dict[str, Any] = {
    "document_type": "mayor_order",
    "issuer_code": "mayor",
    "title_ka": "საბავშვო ბაღების საფასურის შესახებ მერის ბრძანებაში ცვლილების შეტანის თაობაზე",
    "title_en": "Amending the mayor's order on the kindergartens' fees",
    "summary_ka": "საფასური მცირდება 20 ლარამდე; შეღავათის მუხლი ძალას კარგავს.",
    "summary_en": "The fee falls to GEL 20; the article on the reduction is repealed.",
    "body_ka": "<p>1. მე-2 მუხლში სიტყვები „30 ლარს“ შეიცვალოს სიტყვებით „20 ლარს“.</p>"
    "<p>2. მე-3 მუხლი ძალადაკარგულად გამოცხადდეს მომდევნო თვის პირველი რიცხვიდან.</p>",
    "body_en": "<p>1. In Article 2 the words “GEL 30” are replaced by “GEL 20”.</p>"
    "<p>2. Article 3 is repealed from the first day of the next month.</p>",
}
FEES_CONSOLIDATED = {
    "body_ka": "<p>მუხლი 1. ბრძანება ადგენს ახმეტის მუნიციპალიტეტის საბავშვო ბაღებში "
    "მომსახურების საფასურს.</p><p>მუხლი 2. საფასური შეადგენს თვეში 20 ლარს.</p>"
    "<p>მუხლი 3. ძალადაკარგულია.</p>",
    "body_en": "<p>Article 1. This order sets the fee of the kindergartens of Akhmeta "
    "Municipality.</p><p>Article 2. The fee is GEL 20 a month.</p><p>Article 3. "
    "Repealed.</p>",
}

PUBLISHED_TITLES = [
    *(document["title_ka"] for document, goal in DOCUMENTS if goal == "published"),
    KINDERGARTEN_FEES["title_ka"],
    FEES_AMENDMENT["title_ka"],
]
"""The titles the seed publishes, as the website lists them."""

# A one-page PDF: enough for the website to fetch, check and offer for download.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

ROUTE_ROLES = {
    "legal_review": "legal_reviewer",
    "department_review": "head_of_department",
    "signature": "mayor",
}


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
            self.context.url("publishing", path),
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            **kwargs,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    async def stage(self, document_id: int, decided: set[str]) -> dict[str, Any]:
        """The workflow's status once it waits on a step not yet decided, or is past them."""
        for _ in range(300):
            response = await self.context.http.get(
                self.context.url("publishing", f"/documents/{document_id}/status"),
                headers={"Authorization": f"Bearer {self.tokens['editor']}"},
            )
            if response.status_code == 200:
                status: dict[str, Any] = response.json()
                status["tasks"] = [t for t in status["tasks"] if t["task_id"] not in decided]
                if status["tasks"] or status["stage"] in ("approved", "published", "scheduled"):
                    return status
            await asyncio.sleep(0.1)
        raise TimeoutError(f"document {document_id} did not reach a step")


async def seed(context: SeedContext) -> int:
    desk = Desk(context)
    # The issuers of acts are the municipality's (its profile).
    for issuer in municipality.current().issuers:
        await desk.call(
            "admin",
            "PUT",
            f"/issuers/{issuer.code}",
            json={"name_ka": issuer.ka, "name_en": issuer.en},
        )
    await seed_site(desk)
    existing = await desk.call("editor", "GET", "/documents", params={"limit": 500})
    ids = {item["title_ka"]: item["id"] for item in existing["items"]}
    created = 0
    for document, goal in DOCUMENTS:
        if document["title_ka"] in ids:
            continue
        if document.get("next_review_at") == REVIEW_DUE_SOON:
            soon = datetime.now(UTC) + timedelta(minutes=1)
            document = {**document, "next_review_at": soon.isoformat()}
        made = await desk.call("editor", "POST", "/documents", json=document)
        created += 1
        if document["document_type"] == "mayor_order" and goal == "published":
            await desk.call(
                "editor",
                "POST",
                f"/documents/{made['id']}/attachments",
                files={"file": ("ბრძანება.pdf", DEMO_PDF, "application/pdf")},
            )
        if goal == "draft":
            continue
        body: dict[str, Any] = {}
        if goal == "scheduled":
            body["publish_at"] = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        await desk.call("editor", "POST", f"/documents/{made['id']}/submit", json=body)
        if goal == "review":
            continue
        await approve(desk, made["id"])
        if document["title_ka"] in TAKEN_DOWN_LATER:
            await take_down_later(desk, made["id"], *TAKEN_DOWN_LATER[document["title_ka"]])
    return created + await seed_amended_order(desk, ids)


async def take_down_later(desk: Desk, document_id: int, days: int, reason: str) -> None:
    """Once public, the head of department schedules it to be taken down."""
    for _ in range(600):
        found = await desk.call("editor", "GET", f"/documents/{document_id}")
        if found["current"]["state"] == "published":
            break
        await asyncio.sleep(0.1)
    at = datetime.now(UTC) + timedelta(days=days)
    await desk.call(
        "head_of_department",
        "PUT",
        f"/documents/{document_id}/scheduled-unpublish",
        json={"at": at.isoformat(), "reason": reason},
    )


# The site's structure: a section for visitors with its menu, an entry in the top menu,
# and the addresses of the old website that people and search engines still follow.
TOURISM = {"key": "tourism", "name_ka": "ტურიზმი", "name_en": "Tourism"}
MENU = [
    {"section": "tourism", "label_ka": "თუშეთის დაცული ტერიტორიები",
     "label_en": "Tusheti Protected Areas", "path": "https://tusheti.ge/"},
    {"section": "tourism", "label_ka": "ღონისძიებების კალენდარი",
     "label_en": "Calendar of events", "path": "/calendar"},
    {"label_ka": "ღია მონაცემები", "label_en": "Open data", "path": "/data"},
]  # fmt: skip
REDIRECTS = [
    {"source": "/ge/news.php?id=148", "target": "/news", "status": 301},
    {"source": "/ge/contact.html", "target": "/pages/contacts", "status": 301},
    {"source": "/index.php?lang=en", "target": "/en/", "status": 301},
    {"source": "/tushetoba-2026", "target": "https://tusheti.ge/", "status": 302},
]


async def seed_site(desk: Desk) -> None:
    """The tourism section, its menu and the old site's redirects, each once."""
    sections = await desk.call("admin", "GET", "/site/sections")
    if all(section["key"] != TOURISM["key"] for section in sections):
        await desk.call("admin", "POST", "/site/sections", json=TOURISM)
    menu = await desk.call("admin", "GET", "/site/menu", params={"limit": 500})
    labels = {item["label_ka"] for item in menu["items"]}
    for item in MENU:
        if item["label_ka"] not in labels:
            await desk.call("admin", "POST", "/site/menu", json=item)
    redirects = await desk.call("admin", "GET", "/site/redirects", params={"limit": 500})
    sources = {redirect["source"] for redirect in redirects["items"]}
    for redirect in REDIRECTS:
        if redirect["source"] not in sources:
            await desk.call("admin", "POST", "/site/redirects", json=redirect)


async def approve(desk: Desk, document_id: int) -> None:
    """Every step of the route approved, each by its role, until none is left."""
    decided: set[str] = set()
    while True:
        status = await desk.stage(document_id, decided)
        if not status["tasks"]:
            return
        task = status["tasks"][0]
        await desk.call(
            ROUTE_ROLES[task["step"]],
            "POST",
            f"/documents/{document_id}/decisions",
            json={"outcome": "approve", "comment": "ვეთანხმები", "task_id": task["task_id"]},
        )
        decided.add(task["task_id"])


async def published(desk: Desk, document: dict[str, Any]) -> int:
    """A document created, approved and, once it is public, its id: an act that changes
    it may cite it only then."""
    made = await desk.call("editor", "POST", "/documents", json=document)
    await desk.call("editor", "POST", f"/documents/{made['id']}/submit", json={})
    await approve(desk, made["id"])
    for _ in range(600):
        found = await desk.call("editor", "GET", f"/documents/{made['id']}")
        if found["current"]["state"] == "published":
            return int(made["id"])
        await asyncio.sleep(0.1)
    raise TimeoutError(f"document {made['id']} was not published")


async def seed_amended_order(desk: Desk, ids: dict[str, int]) -> int:
    """The kindergartens' fees: the order, the order that amends its article 2 and repeals
    its article 3 from the first of next month, and its consolidated text as of that day,
    checked by the lawyer and published under the order's number."""
    created = 0
    fees_id = ids.get(KINDERGARTEN_FEES["title_ka"])
    if fees_id is None:
        fees_id = await published(desk, KINDERGARTEN_FEES)
        created += 1
    repeal_day = first_of_next_month()
    if FEES_AMENDMENT["title_ka"] not in ids:
        amends = {"kind": "amends", "target_document_id": fees_id, "articles": ["2"]}
        repeals = {**amends, "kind": "repeals", "articles": ["3"]}
        changes = [amends, {**repeals, "effective_on": repeal_day.isoformat()}]
        await published(desk, {**FEES_AMENDMENT, "changes": changes})
        created += 1
    fees = await desk.call("editor", "GET", f"/documents/{fees_id}")
    if any(e["change_kind"] == "consolidation" for e in fees["editions"]):
        return created
    await desk.call(
        "editor",
        "POST",
        f"/documents/{fees_id}/consolidations",
        json={"as_of": repeal_day.isoformat(), "change_note": "კონსოლიდირებული ვერსია"},
    )
    await desk.call("editor", "PATCH", f"/documents/{fees_id}", json=FEES_CONSOLIDATED)
    await desk.call("editor", "POST", f"/documents/{fees_id}/submit", json={})
    await approve(desk, fees_id)
    return created


def first_of_next_month() -> date:
    today = datetime.now(TBILISI).date()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)
