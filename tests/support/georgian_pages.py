"""Reading a page as a Georgian reader does: the words in Latin script that are not names
or codes.

A page is read from its HTML: the text of its elements and the attributes a reader hears
or sees (`title`, `alt`, `placeholder`, `aria-label`, a button's `value`). Left out, as
a reader would leave them out or as the page means them: scripts and styles, `<code>`,
`<kbd>`, `<samp>`, `<pre>`, every element marked `lang="en"` (an English title shown
on purpose), `translate="no"` (a name or a code the page marks as such), URLs, e-mail
addresses and file names. What is left in Latin script must be on the small allow-list
below, each word with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# Words in Latin script a Georgian page may show, and why.
ALLOWED = {
    # Codes and formats: the same in every language.
    "PDF", "CSV", "ICS", "SVG", "XML", "HTML", "JSON", "RSS", "Atom", "QR", "ID", "SHA",
    "DOCX", "ODT", "URL", "HTTP", "HTTPS", "API", "iCalendar", "Markdown", "UTC", "GMT",
    "OIDC", "PNG", "JPEG", "JPG", "WebP", "TIFF", "MB", "KB", "GB", "px", "ELI", "TV", "FM",
    "ISO", "GE", "TOML", "IP",
    # Brands the municipality is followed on (its profile's social links).
    "Facebook", "YouTube", "Instagram",
    # Currencies by their ISO codes.
    "EUR", "GEL", "USD", "PLN",
    # Products and standards by their own names: office formats, the workflow engine.
    "Word", "Excel", "OpenDocument", "Temporal", "JetStream", "NATS", "JavaScript", "Chromium",
    # The web's accessibility guidelines and their level; the open-data catalogue's
    # standard (DCAT-AP) and format (JSON-LD).
    "WCAG", "AA", "DCAT-AP", "JSON-LD",
    # The legal XML standard acts are offered in; the photos' licence.
    "Akoma", "Ntoso", "Creative", "Commons",
    # Organisations known by their Latin abbreviations.
    "UNDP", "USAID", "EU", "GIZ", "UNICEF", "OSCE", "NGO",
}  # fmt: skip
# Lower-case Latin word of two or more letters, or a capitalised one.
LATIN_WORD = re.compile(r"[A-Za-zÀ-ɏ][A-Za-zÀ-ɏ'’-]*[A-Za-zÀ-ɏ]|[A-Za-zÀ-ɏ]")
SKIPPED_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre", "template", "noscript"}
VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip
SPOKEN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
NOT_WORDS = [
    re.compile(r"\b(?:https?|mailto|ftp)://\S+|\bwww\.\S+"),  # addresses
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\b[\w.-]+\.(?:pdf|csv|jpg|jpeg|png|gif|webp|svg|ics|xml|txt|docx?|xlsx?|odt)\b",
               re.IGNORECASE),  # file names
    re.compile(r"\b(?:application|image|text|audio|video)/[\w.+-]+"),  # file types
    re.compile(r"(?<!\w)/[\w./{}-]+"),  # paths
    re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"),  # identifiers: full_name, local_government
    re.compile(r"\b[a-z_]+:[\w-]+"),  # case references: document:13, digest:2026-11
    re.compile(r"\b[\w-]+(?:-\d+)+(?:-[\w-]+)*\b"),  # ids: visit-3, document-7-edition-1
    re.compile(r"\b[0-9a-f]{16,}\b"),  # digests and tokens
    re.compile(r"\b[A-Z]{1,5}[-/]?\d[\w/-]*"),  # register numbers, badge codes: N-12/2025
    re.compile(r"\b\d+[a-z]{0,3}\b"),  # numbers, sizes
]  # fmt: skip


@dataclass
class Reading:
    """What one page says in Latin script, beyond its allowed names and codes."""

    words: list[str] = field(default_factory=list)
    # A few words around each, so a failure shows where it is.
    contexts: list[str] = field(default_factory=list)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # The open elements, each with whether it (or what holds it) is left out.
        self.stack: list[tuple[str, bool]] = []

    @property
    def skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipped = (
            self.skipping
            or tag in SKIPPED_ELEMENTS
            or (values.get("lang") or "").lower().startswith("en")
            or values.get("translate") == "no"
        )
        if not skipped:
            for name in SPOKEN_ATTRIBUTES:
                if values.get(name):
                    self.parts.append(str(values[name]))
            button = tag == "input" and values.get("type") in ("submit", "button")
            if button and values.get("value"):
                self.parts.append(str(values["value"]))
        if tag not in VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> Iterator[str]:
    """The page's text and spoken attributes, element by element, as a reader meets them."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    for part in parser.parts:
        text = " ".join(part.split())
        if text:
            yield text


def latin_words(html: str, allowed: set[str] | frozenset[str] = frozenset()) -> Reading:
    reading = Reading()
    for text in visible_text(html):
        cleaned = text
        for pattern in NOT_WORDS:
            cleaned = pattern.sub(" ", cleaned)
        for found in LATIN_WORD.finditer(cleaned):
            word = found.group(0)
            if word in ALLOWED or word in allowed or len(word) == 1:
                continue
            reading.words.append(word)
            start = max(found.start() - 30, 0)
            reading.contexts.append(cleaned[start : found.end() + 30].strip())
    return reading


# ---------------------------------------------------------------------------------------
# Walking a site: every page a reader can reach by its links, a few of each kind.

HREF = re.compile(r'href="([^"#]*)')
# Not pages: files, feeds, the identity provider, the language switch, the programs' API,
# the other language's pages, a link that does something (following a notification marks
# it read; the erasure page is a form for one journalist, reached from their card).
NOT_PAGES = re.compile(
    r"(/sign-in|/oidc/|/language$|\.(?:pdf|ics|svg|csv|xml|atom|pem|webp|css)$|/files/|/attachments/"
    r"|^/static|^/healthz|^/metrics|^/docs|^/openapi|^/\.well-known|^/api/|^/dead-letters"
    r"|^/auth/|/file$|/thumbnail$"
    r"|^/en(?:/|$)|^/notifications/\d)"
)
# Links that differ only in these parameters show the same page.
SAME_PAGE_PARAMETERS = {"lang", "run", "page", "offset", "month"}


@dataclass
class Visit:
    url: str
    route: str
    status: int
    html: str


def _route_pattern(route: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\w+\})", route)
    return re.compile(
        "^" + "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts) + "$"
    )


def _shape(route: str, path: str, query: str) -> tuple[str, str, tuple[str, ...]]:
    """Pages alike for this walk: the same route, the same path with its numbers left out
    (a visit's logistics tasks stay apart from its approval), the same parameters."""
    names = sorted({name for name, _v in parse_qsl(query)} - SAME_PAGE_PARAMETERS)
    return route, re.sub(r"\d+", "#", path), tuple(names)


async def walk(
    http: Any, routes: list[str], start: list[str], *, of_each: int = 2
) -> dict[str, Visit]:
    """Every page reachable from `start` by links on the same site, at most `of_each` of
    each shape, breadth first."""
    patterns = [(route, _route_pattern(route)) for route in routes]
    taken: dict[tuple[str, str, tuple[str, ...]], int] = {}
    visits: dict[str, Visit] = {}
    queue = list(start)
    base = str(http.base_url).rstrip("/")
    while queue:
        url = queue.pop(0)
        url = url.removeprefix(base)
        parts = urlsplit(url)
        if url in visits or not url.startswith("/") or NOT_PAGES.search(parts.path):
            continue
        route = next((route for route, pattern in patterns if pattern.match(parts.path)), None)
        if route is None:
            continue
        shape = _shape(route, parts.path, parts.query)
        if taken.get(shape, 0) >= of_each:
            continue
        taken[shape] = taken.get(shape, 0) + 1
        answer = await http.get(url)
        # A file (a photo, a PDF) has no words to read: its visit keeps no text.
        page = answer.headers.get("content-type", "").startswith("text/html")
        visits[url] = Visit(url, route, answer.status_code, answer.text if page else "")
        if page:
            queue += [href.replace("&amp;", "&") for href in HREF.findall(answer.text)]
    return visits


def app_routes(app: Any) -> list[str]:
    """Every GET route of an app, routers included, as its pages are declared."""
    found: list[str] = []

    def under(routes: list[Any]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                under(inner.routes)
            elif "GET" in (getattr(route, "methods", None) or ()):
                found.append(route.path)

    under(app.router.routes)
    return [route for route in dict.fromkeys(found) if not NOT_PAGES.search(route)]
