"""The site's structure as publishing's administrators keep it: navigation sections, menus
and redirects from old addresses, projected from `publishing.site.*` events into the
website's own tables, and read back as the header's, the footer's and the sitemap's menus.

Every handler counts the read model's version up first (`read_model_changed`), so pages
rendered with the old menus, and 404s cached for an address now redirected, go at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Boolean, Integer, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from meria.bus import Delivery
from meria.contracts import PageMoved, RedirectRemoved, RedirectSet, SiteNavigationChanged
from services.website.freshness import read_model_changed
from services.website.handlers import subscriptions
from services.website.models import Base, PublicDocument
from services.website.search import index_document

# What a site has before an administrator changes anything (publishing's migration seeds
# the same): a rebuild from streams that never carried a navigation starts from these.
DEFAULT_SECTIONS = (
    ("about", "მუნიციპალიტეტის შესახებ", "About the municipality"),
    ("structure", "სტრუქტურა", "Structure"),
    ("contacts", "კონტაქტი", "Contacts"),
    ("services", "სერვისები", "Services"),
)
NAVIGATION_ROW = 1


class SiteSection(Base):
    __tablename__ = "site_sections"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    shown: Mapped[bool] = mapped_column(Boolean, default=True)


class SiteMenuItem(Base):
    __tablename__ = "site_menu_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    section_key: Mapped[str | None] = mapped_column(String(40), index=True)
    label_ka: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str | None] = mapped_column(String(200))
    document_id: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(Integer)


class SiteNavigation(Base):
    """The revision of the navigation the tables hold (one row)."""

    __tablename__ = "site_navigation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer)


class SiteRedirect(Base):
    """An old address and where it sends readers; a removed one keeps its row (no target)
    with its revision, so a late copy of the event that set it changes nothing."""

    __tablename__ = "site_redirects"

    source: Mapped[str] = mapped_column(String(500), primary_key=True)
    target: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)


SITE_TABLES = (SiteMenuItem, SiteSection, SiteNavigation, SiteRedirect)


async def default_sections(session: AsyncSession) -> None:
    for position, (key, name_ka, name_en) in enumerate(DEFAULT_SECTIONS, start=1):
        session.add(
            SiteSection(key=key, name_ka=name_ka, name_en=name_en, position=position, shown=True)
        )


# The handlers.


@subscriptions.handler
async def show_navigation(event: SiteNavigationChanged, delivery: Delivery) -> None:
    """The navigation is replaced whole by a newer one; an older or repeated event changes
    nothing."""
    session = delivery.session
    await read_model_changed(session)  # first: see handlers.withdraw_document
    state = await session.get(SiteNavigation, NAVIGATION_ROW)
    if state is not None and state.revision >= event.revision:
        return
    if state is None:
        state = SiteNavigation(id=NAVIGATION_ROW, revision=0)
        session.add(state)
    state.revision = event.revision
    await session.execute(delete(SiteMenuItem))
    await session.execute(delete(SiteSection))
    for section in event.sections:
        session.add(
            SiteSection(
                key=section.key,
                name_ka=section.name.ka,
                name_en=section.name.en,
                position=section.position,
                shown=section.shown,
            )
        )
    for item in event.menu:
        session.add(
            SiteMenuItem(
                id=item.id,
                section_key=item.section,
                label_ka=item.label.ka,
                label_en=item.label.en,
                document_id=item.document_id,
                path=item.path,
                position=item.position,
            )
        )


@subscriptions.handler
async def set_redirect(event: RedirectSet, delivery: Delivery) -> None:
    """The old address redirects from now on; an older or repeated event changes nothing."""
    await _redirect(delivery.session, event.source, event.revision, event.target, event.status)


@subscriptions.handler
async def remove_redirect(event: RedirectRemoved, delivery: Delivery) -> None:
    """The old address answers as the site does again; an older or repeated event changes
    nothing."""
    await _redirect(delivery.session, event.source, event.revision, None, 0)


async def _redirect(
    session: AsyncSession, source: str, revision: int, target: str | None, status: int
) -> None:
    await read_model_changed(session)
    row = await session.get(SiteRedirect, source)
    if row is not None and row.revision >= revision:
        return
    if row is None:
        row = SiteRedirect(source=source)
        session.add(row)
    row.target, row.status, row.revision = target, status, revision


@subscriptions.handler
async def move_page(event: PageMoved, delivery: Delivery) -> None:
    """A standing page's new address and place; a page the site does not show yet gets
    them with its publication, and a repeated event sets the same again."""
    session = delivery.session
    await read_model_changed(session)
    current = await session.get(PublicDocument, event.document_id)
    if current is None:
        return
    current.slug = event.slug
    current.nav_section = event.nav_section
    current.nav_order = event.nav_order
    current.updated_at = datetime.now(UTC)
    await session.flush()
    await index_document(session, current)


# Reading: the menus and the redirects.


@dataclass(frozen=True)
class Link:
    """A menu's entry: a path on the site in its Georgian form, or an https address."""

    label_ka: str
    label_en: str | None
    path: str

    @property
    def external(self) -> bool:
        return not self.path.startswith("/")


@dataclass(frozen=True)
class Group:
    """A shown section: its standing pages in their order, then its menu's entries."""

    key: str
    name_ka: str
    name_en: str | None
    pages: list[Link]
    entries: list[Link]

    @property
    def links(self) -> list[Link]:
        return self.pages + self.entries


@dataclass
class SiteNav:
    """The menus as the pages render them: every standing page shown (`pages`), each shown
    section's pages and entries (`groups`), and the header's row (`header`)."""

    pages: list[PublicDocument]
    groups: list[Group] = field(default_factory=list)
    top: list[Link] = field(default_factory=list)
    unplaced: list[Link] = field(default_factory=list)

    @property
    def header(self) -> list[Link]:
        """The standing pages of the shown sections in their order, then the top menu."""
        return [link for group in self.groups for link in group.pages] + self.unplaced + self.top


def page_link(page: PublicDocument) -> Link:
    return Link(page.title_ka, page.title_en, f"/pages/{page.slug}")


async def site_navigation(session: AsyncSession) -> SiteNav:
    pages = list(
        await session.scalars(
            select(PublicDocument)
            .where(
                PublicDocument.document_type == "web_page",
                PublicDocument.status != "unpublished",
            )
            .order_by(PublicDocument.nav_section, PublicDocument.nav_order)
        )
    )
    sections = list(await session.scalars(select(SiteSection).order_by(SiteSection.position)))
    items = list(
        await session.scalars(select(SiteMenuItem).order_by(SiteMenuItem.position, SiteMenuItem.id))
    )
    by_id = {page.document_id: page for page in pages}
    known = {section.key for section in sections}

    def entries(section: str | None) -> list[Link]:
        found = []
        for item in items:
            if item.section_key != section:
                continue
            if item.document_id is not None:
                page = by_id.get(item.document_id)
                if page is None or not page.slug:
                    continue  # a page not (or no longer) shown: its entry waits for it
                found.append(Link(item.label_ka, item.label_en, f"/pages/{page.slug}"))
            elif item.path:
                found.append(Link(item.label_ka, item.label_en, item.path))
        return found

    groups = [
        Group(
            section.key,
            section.name_ka,
            section.name_en,
            [page_link(page) for page in pages if page.nav_section == section.key and page.slug],
            entries(section.key),
        )
        for section in sections
        if section.shown
    ]
    # A page of a section the website has not heard of yet stays in the header.
    unplaced = [page_link(p) for p in pages if p.nav_section not in known and p.slug]
    return SiteNav(pages=pages, groups=groups, top=entries(None), unplaced=unplaced)


def candidates(path: str, query: str) -> list[tuple[str, bool]]:
    """The sources that may redirect `path`: with its query, as it is, without a trailing
    slash; an English address also by its Georgian one (`True`: the target is then given
    in English)."""
    bare = [f"{path}?{query}"] if query else []
    bare.append(path)
    if len(path) > 1 and path.endswith("/"):
        bare.append(path.rstrip("/"))
    found = [(source, False) for source in bare]
    if path.startswith("/en/"):
        found += [(source[3:], True) for source in bare if len(source) > 3]
    return found


async def redirect_for(session: AsyncSession, path: str, query: str) -> tuple[int, str] | None:
    """The status and `Location` a redirected address answers with, or None."""
    for source, english in candidates(path, query):
        row = await session.get(SiteRedirect, source)
        if row is None or row.target is None:
            continue
        target = row.target
        if english and target.startswith("/"):
            target = "/en/" if target == "/" else f"/en{target}"
        return row.status, target
    return None
