"""The public website shows legal acts as the law treats them, from publishing's events on
the real bus: an order, a later order that amends its article 2 and repeals its article 3
from a day, and the first order's consolidated text. The registry shows and filters their
standing, the pages link both ways, the act reads as it stood on any day, its Akoma Ntoso
carries its life; a withdrawn amendment is undone, a repeated event changes nothing, and
a rebuild from the streams gives the same pages."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from sqlalchemy import func, select

from meria.contracts import (
    DocumentEnteredIntoForce,
    DocumentPublished,
    DocumentWithdrawn,
    Event,
    LocalizedText,
)
from meria.contracts.publishing import ActChange, EntryIntoForce, Issuer
from meria.testing.servers import NatsServer, free_port
from services.website.akoma_ntoso import AKN_NAMESPACE, schema
from services.website.lifecycle import TBILISI, today
from services.website.models import bus_tables
from tests.conftest import DatabaseFactory
from tests.support.stack import Stack, publish_event, running_stack, serve, wait_until

pytestmark = pytest.mark.database

TODAY = today()
FIRST = TODAY - timedelta(days=120)  # order A is published and enters into force
AMENDED = TODAY - timedelta(days=30)  # order B's changes take effect
A, B, C, NEWS = 501, 502, 503, 504
MAYOR = Issuer(
    code="mayor",
    name=LocalizedText(ka="ახმეტის მუნიციპალიტეტის მერი", en="Mayor of Akhmeta Municipality"),
)
LIGHTING = LocalizedText(
    ka="ქალაქ ახმეტის ქუჩების გარე განათების შესახებ",
    en="On the street lighting of the town of Akhmeta",
)
LIGHTING_BODY = (
    "<p>მუხლი 1. ქალაქ ახმეტის ქუჩები განათდეს მზის ჩასვლიდან ამოსვლამდე.</p>"
    "<p>მუხლი 2. განათება ჩაირთოს საღამოს 7 საათზე.</p>"
    "<p>მუხლი 3. ცენტრალურ მოედანზე განათება ღამის 12 საათზე გამოირთოს.</p>"
)
EVENING = "განათება ჩაირთოს საღამოს 7 საათზე."
DUSK = "განათება ჩაირთოს მზის ჩასვლისთანავე."
AMENDMENT = LocalizedText(
    ka="ქალაქ ახმეტის ქუჩების გარე განათების შესახებ ბრძანებაში ცვლილების შეტანის თაობაზე",
    en="Amending the order on the street lighting of the town of Akhmeta",
)
BRIDGE_CONDITION = "მატანის ხიდის რეაბილიტაციის დასრულება"


def at(day: date, hour: int = 11) -> datetime:
    return datetime.combine(day, time(hour), TBILISI)


def number(sequence: int, day: date) -> str:
    return f"{sequence}/{day.year}"


def order(
    document_id: int,
    title: LocalizedText,
    body_ka: str,
    published: date,
    *,
    sequence: int,
    edition: int = 1,
    signed: date | None = None,
    **facts: object,
) -> DocumentPublished:
    return DocumentPublished(
        document_id=document_id,
        edition=edition,
        document_type="mayor_order",
        title=title,
        body_html=LocalizedText(ka=body_ka),
        published_at=at(published),
        issuer=MAYOR,
        register_number=number(sequence, published),
        date_signed=signed or published - timedelta(days=1),
        **facts,  # type: ignore[arg-type]
    )


def change(kind: str, *articles: str, on: date | None) -> ActChange:
    return ActChange(
        kind=kind,  # type: ignore[arg-type]
        target_document_id=A,
        target_register_number=number(12, FIRST),
        target_document_type="mayor_order",
        articles=list(articles),
        effective_on=on,
    )


ORDER_A = order(A, LIGHTING, LIGHTING_BODY, FIRST, sequence=12)
ORDER_B = order(
    B,
    AMENDMENT,
    "<p>მუხლი 1. ბრძანების მე-2 მუხლი ჩამოყალიბდეს ახალი რედაქციით.</p>"
    "<p>მუხლი 2. ბრძანების მე-3 მუხლი ძალადაკარგულად გამოცხადდეს.</p>",
    AMENDED - timedelta(days=10),
    sequence=40,
    changes=[change("amends", "2", on=AMENDED), change("repeals", "3", on=AMENDED)],
)
CONSOLIDATED_A = order(
    A,
    LIGHTING,
    LIGHTING_BODY.replace(EVENING, DUSK).replace(
        "ცენტრალურ მოედანზე განათება ღამის 12 საათზე გამოირთოს.", "ძალადაკარგულია."
    ),
    AMENDED + timedelta(days=5),
    sequence=12,
    signed=FIRST - timedelta(days=1),
    edition=2,
    consolidated_as_of=AMENDED,
    incorporates=[B],
)


@dataclass
class Site:
    stack: Stack
    nats_url: str
    http: httpx.AsyncClient

    async def tell(self, *events: Event) -> None:
        for event in events:
            await publish_event(self.nats_url, event, about=f"document:{event.document_id}")  # type: ignore[attr-defined]

    async def get(self, path: str, **kwargs: object) -> httpx.Response:
        return await self.http.get(path, **kwargs)  # type: ignore[arg-type]

    async def until(self, path: str, text: str, *, present: bool = True) -> str:
        page = ""

        async def shown() -> bool:
            nonlocal page
            page = (await self.get(path)).text
            return (text in page) is present

        await wait_until(shown, what=f"{text!r} {'on' if present else 'off'} {path}")
        return page


@pytest.fixture
async def site(
    tmp_path: Path, nats_server: NatsServer, new_database: DatabaseFactory
) -> AsyncIterator[Site]:
    async with (
        running_stack(
            ["website"], tmp_path=tmp_path, nats_url=nats_server.url, new_database=new_database
        ) as stack,
        httpx.AsyncClient(base_url=stack.urls["website"], timeout=20) as http,
    ):
        yield Site(stack, nats_server.url, http)


def row_of(page: str, document_id: int) -> str:
    """The registry's row of the act."""
    rows = [
        row for row in re.findall(r"<tr.*?</tr>", page, re.DOTALL) if f'/acts/{document_id}"' in row
    ]
    assert len(rows) == 1, f"act {document_id}: {len(rows)} rows"
    return rows[0]


def listed(page: str) -> list[int]:
    """The acts a registry page lists."""
    return [int(found) for found in re.findall(r'<td[^>]*><a href="(?:/en)?/acts/([0-9]+)">', page)]


def standing_in(row: str) -> str:
    found = re.search(r'<span class="standing standing-[a-z_]+">([^<]+)</span>', row)
    assert found is not None, row
    return found.group(1)


def change_rows(page: str, heading_id: str) -> list[str]:
    section = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', page, re.DOTALL)
    if section is None:
        return []
    rows = re.findall(r"<tr><td>.*?</tr>", section.group(1), re.DOTALL)
    return [
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip() for row in rows
    ]


async def test_an_amended_order_reads_as_the_law_treats_it(site: Site) -> None:
    # The mayor's order on street lighting, an order amending it, its consolidated text,
    # and an order that enters into force ten days from now.
    later = order(
        C,
        LocalizedText(ka="ახმეტის ცენტრალური პარკის განათების შესახებ"),
        "<p>მუხლი 1. პარკი განათდეს.</p>",
        TODAY - timedelta(days=2),
        sequence=55,
        entry_into_force=EntryIntoForce(kind="date", on=TODAY + timedelta(days=10)),
    )
    await site.tell(ORDER_A, ORDER_B, CONSOLIDATED_A, later)
    await site.until(f"/acts/{C}", "ძალაში შედის")
    await site.until(f"/acts/{A}", "კონსოლიდირებული ტექსტი")

    # The registry: each act's standing today, in Georgian and in English.
    registry = (await site.get("/acts")).text
    assert standing_in(row_of(registry, A)) == "მოქმედი, ცვლილებებით"
    assert standing_in(row_of(registry, B)) == "მოქმედი"
    assert standing_in(row_of(registry, C)) == "ჯერ არ შესულა ძალაში"
    english = (await site.get("/en/acts")).text
    assert standing_in(row_of(english, A)) == "In force, amended"
    # Filtered by standing, with the rest of the filters.
    for status, shown in (("amended", A), ("in_force", B), ("not_yet_in_force", C)):
        page = (await site.get("/acts", params={"status": status, "issuer": "mayor"})).text
        assert listed(page) == [shown], status
        assert f'<option value="{status}" selected>' in page
    # The open data says the same.
    data = (await site.get("/api/acts", params={"standing": "amended"})).json()
    assert [(item["document_id"], item["standing"]) for item in data["items"]] == [(A, "amended")]
    repealed = await site.get("/acts", params={"status": "repealed"})
    assert repealed.status_code == 200 and "ვერაფერი მოიძებნა." in repealed.text
    unknown = await site.get("/acts", params={"status": "გაუქმებული"})
    assert unknown.status_code == 400
    assert "„გაუქმებული“ სამართლებრივი აქტის სტატუსი არ არის." in unknown.text

    # Order A's page: its standing, entry into force, what amended it, its versions.
    page = (await site.get(f"/acts/{A}")).text
    assert "მოქმედი, ცვლილებებით" in page
    assert f"ძალაში შედის გამოქვეყნებისთანავე. ძალაშია {FIRST.isoformat()}-დან." in page
    b_number = number(40, ORDER_B.published_at.date())
    assert change_rows(page, "changes-to") == [
        f"შეცვლილია აქტით მერის ბრძანება № {b_number} — {AMENDMENT.ka} 2 {AMENDED}-დან",
        f"ძალადაკარგულია აქტით მერის ბრძანება № {b_number} — {AMENDMENT.ka} 3 {AMENDED}-დან",
    ]
    assert f'href="/acts/{B}"' in page
    assert f'<a href="/acts/{A}/versions/{FIRST}">თავდაპირველი ტექსტი</a>' in page
    assert (
        f'<a href="/acts/{A}/versions/{AMENDED}">'
        f"კონსოლიდირებული ტექსტი {AMENDED}-ის მდგომარეობით</a>" in page
    )
    assert f'<form class="as-of" method="get" action="/acts/{A}/versions">' in page
    assert DUSK in page and EVENING not in page
    english_page = (await site.get(f"/en/acts/{A}")).text
    assert "Amended by" in english_page and "Repealed by" in english_page
    assert f'href="/en/acts/{B}"' in english_page
    # Order B's page links back, article by article.
    b_page = (await site.get(f"/en/acts/{B}")).text
    assert change_rows(b_page, "changes-by") == [
        f"Amends Mayor's order № {number(12, FIRST)} — {LIGHTING.en} 2 from {AMENDED}",
        f"Repeals Mayor's order № {number(12, FIRST)} — {LIGHTING.en} 3 from {AMENDED}",
    ]
    assert f'href="/en/acts/{A}"' in b_page

    # The act as it stood: the day before the amendment, and from it.
    before = await site.get(f"/acts/{A}/versions/{AMENDED - timedelta(days=1)}")
    assert before.status_code == 200
    assert (
        f"აქტის ტექსტი {AMENDED - timedelta(days=1)}-ის მდგომარეობით: თავდაპირველი ტექსტი."
        in before.text
    )
    assert "აქტის სტატუსი ამ დღეს: მოქმედი." in before.text
    assert EVENING in before.text and DUSK not in before.text
    assert f'href="/acts/{A}">აქტის მიმდინარე ტექსტი</a>' in before.text
    after = await site.get(f"/en/acts/{A}/versions/{AMENDED}")
    assert f"The text of the act as it stood on {AMENDED}: Consolidated text as of" in after.text
    assert "The act&#39;s status on that day: In force, amended." in after.text
    assert DUSK in after.text and EVENING not in after.text
    assert f'<a href="/en/acts/{B}">Mayor&#39;s order № {b_number}</a>' in after.text
    # Before it was published: not there yet; a day that is no day: a bad request.
    too_early = await site.get(f"/acts/{A}/versions/{FIRST - timedelta(days=1)}")
    assert too_early.status_code == 404
    assert "ჯერ არ იყო გამოქვეყნებული" in too_early.text
    for bad in ("2026-13-45", "yesterday", "2026-1-5"):
        assert (await site.get(f"/acts/{A}/versions/{bad}")).status_code == 400, bad
    # The page's form lands on the version's own address.
    asked = await site.get(f"/en/acts/{A}/versions", params={"on": str(AMENDED)})
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/en/acts/{A}/versions/{AMENDED}"
    assert (await site.get(f"/acts/{A}/versions", params={"on": "ხვალ"})).status_code == 400

    # Akoma Ntoso: the consolidated expression, its lifecycle and what changed it.
    xml = etree.fromstring((await site.get(f"/acts/{A}.akn.xml")).content)
    schema().assertValid(xml)
    ns = {"a": AKN_NAMESPACE}
    assert xml.xpath("string(//a:FRBRExpression/a:FRBRdate/@date)", namespaces=ns) == str(AMENDED)
    events = [
        (event.get("date"), event.get("type"), event.get("source"))
        for event in xml.xpath("//a:lifecycle/a:eventRef", namespaces=ns)
    ]
    assert events[-2:] == [
        (str(AMENDED), "amendment", "#passiveRef_1"),
        (str(AMENDED), "repeal", "#passiveRef_1"),
    ]
    assert events[:3] == [
        (str(FIRST - timedelta(days=1)), "generation", "#original"),  # signed
        (str(FIRST), None, "#original"),  # published
        (str(FIRST), None, "#original"),  # in force
    ]
    work_b = f"/akn/ge-akhmeta/act/order/mayor/{b_number.split('/')[1]}/40"
    assert xml.xpath("string(//a:passiveRef/@href)", namespaces=ns) == work_b
    assert xml.xpath("//a:passiveModifications/*/a:destination/@href", namespaces=ns) == [
        "#art_2",
        "#art_3",
    ]


async def test_a_withdrawn_amendment_is_undone_a_repeat_changes_nothing_and_a_rebuild_agrees(
    site: Site, new_database: DatabaseFactory
) -> None:
    # Order C suspends the whole lighting order once a bridge is rehabilitated.
    suspending = order(
        C,
        LocalizedText(ka="ქალაქ ახმეტის ქუჩების განათების დროებით შეჩერების შესახებ"),
        "<p>მუხლი 1. ქუჩების განათება შეჩერდეს ხიდის რეაბილიტაციის დასრულებამდე.</p>",
        TODAY - timedelta(days=5),
        sequence=60,
        entry_into_force=EntryIntoForce(
            kind="condition", condition=LocalizedText(ka=BRIDGE_CONDITION)
        ),
        changes=[change("suspends", on=None)],
    )
    await site.tell(ORDER_A, ORDER_B, suspending)
    page = await site.until(f"/acts/{A}", "შეჩერებულია აქტით")
    assert "მოქმედი, ცვლილებებით" in page
    # The suspension waits on its order's condition, and says so on both pages.
    assert change_rows(page, "changes-to")[-1].endswith("მთლიანად აქტის ძალაში შესვლისას")
    c_page = (await site.get(f"/acts/{C}")).text
    assert f"ძალაში შედის პირობის შესრულებისას: {BRIDGE_CONDITION}. პირობა ჯერ არ შესრულებულა." in (
        c_page
    )
    assert "ჯერ არ შესულა ძალაში" in c_page

    # Order B's publication is told again: nothing changes. (A news item told after it, on
    # the same consumer, shows it was applied.)
    pages = [f"/acts/{A}", f"/en/acts/{B}", "/acts", f"/acts/{A}/versions/{TODAY}"]
    before = {path: (await site.get(path)).text for path in pages}
    news = DocumentPublished(
        document_id=NEWS,
        edition=1,
        document_type="news",
        title=LocalizedText(ka="ახმეტის ქუჩებში ახალი სანათები დამონტაჟდა"),
        body_html=LocalizedText(ka="<p>ქალაქის ქუჩებში 120 სანათი დამონტაჟდა.</p>"),
        published_at=at(TODAY, 9),
    )
    await site.tell(ORDER_B, news)
    await site.until(f"/news/{NEWS}", "სანათები")
    assert {path: (await site.get(path)).text for path in pages} == before

    # Order B is withdrawn: article 2 is no longer amended nor article 3 repealed.
    withdrawal = DocumentWithdrawn(
        document_id=B,
        edition=1,
        document_type="mayor_order",
        was_published=True,
        public_explanation="ბრძანება გაუქმდა მერის ახალი ბრძანებით.",
    )
    await site.tell(withdrawal)
    page = await site.until(f"/acts/{A}", "შეცვლილია აქტით", present=False)
    assert "ძალადაკარგულია აქტით" not in page
    assert standing_in(row_of((await site.get("/acts")).text, A)) == "მოქმედი"
    b_page = (await site.get(f"/acts/{B}")).text
    assert "ბრძანება გაუქმდა მერის ახალი ბრძანებით." in b_page
    assert change_rows(b_page, "changes-by") == []
    xml = (await site.get(f"/acts/{A}.akn.xml")).content
    assert b"substitution" not in xml and b"textualMod" not in xml

    # The bridge is rehabilitated: order C enters into force, and so does its suspension.
    met_on = TODAY - timedelta(days=1)
    entered = DocumentEnteredIntoForce(
        document_id=C,
        edition=1,
        document_type="mayor_order",
        in_force_on=met_on,
        recorded_by="levan.kapanadze",
    )
    await site.tell(entered)
    page = await site.until(f"/acts/{A}", "შეჩერებული</span>")
    assert change_rows(page, "changes-to")[-1].endswith(f"მთლიანად {met_on}-დან")
    c_page = (await site.get(f"/acts/{C}")).text
    assert f"ძალაშია {met_on}-დან." in c_page
    assert standing_in(row_of((await site.get("/acts")).text, C)) == "მოქმედი"
    # Told again, or late with another day: the condition was met when first recorded,
    # and order B stays withdrawn.
    pages += [f"/acts/{C}", f"/acts/{B}", f"/acts/{A}.akn.xml", f"/en/acts/{A}"]
    settled = {path: (await site.get(path)).text for path in pages}
    await site.tell(withdrawal, entered, entered.model_copy(update={"in_force_on": TODAY}))
    await wait_until(lambda: handled(site, "withdraw-document", 2), what="the withdrawal again")
    await wait_until(lambda: handled(site, "record-entry-into-force", 3), what="both repeats")
    assert {path: (await site.get(path)).text for path in pages} == settled

    # Rebuilt from nothing but the streams, the read model gives the same pages.
    from services.website.app import create_app
    from services.website.rebuild import rebuild

    settings = site.stack.settings("website")
    fresh = await new_database("website_acts_rebuilt")
    done = await rebuild(settings, fresh)  # type: ignore[arg-type]
    assert done.skipped == 0
    rebuilt = create_app(settings.model_copy(update={"database_url": fresh}))  # type: ignore[arg-type]
    port = free_port()
    async with serve(rebuilt, port):
        for path, text in settled.items():
            page = await site.http.get(f"http://127.0.0.1:{port}{path}")
            assert page.text == text, path


async def handled(site: Site, consumer: str, count: int) -> bool:
    """Whether the website's consumer has applied `count` events (its inbox says so)."""
    inbox = bus_tables.inbox
    async with site.stack.runtime("website").db().session() as session:
        done = await session.scalar(
            select(func.count()).where(inbox.c.consumer == f"website-{consumer}")
        )
    return done == count
