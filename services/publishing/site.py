"""The site's structure, which publishing owns with the site's content: its navigation
sections and menus, the redirects from old addresses, and where a standing page lives.

Only administrators change it; every change is kept on `site_changes` (who, when, what)
and reaches the website over the bus, through the outbox, in the same transaction: the
navigation as a whole (`SiteNavigationChanged`), a redirect one at a time. A published
standing page given a new address leaves a redirect from the old one behind it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User, require_role
from meria.bus import Outbox
from meria.contracts import (
    LocalizedText,
    MenuItemFacts,
    NavSectionFacts,
    PageMoved,
    RedirectRemoved,
    RedirectSet,
    SiteNavigationChanged,
)
from meria.inputs import Id, NotNull, Offset
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import RuntimeDep
from services.publishing.documents import now
from services.publishing.models import Document, Edition
from services.publishing.site_models import (
    MAX_PATH,
    MAX_TARGET,
    MenuItem,
    NavSection,
    Redirect,
    SiteChange,
    check_nav_section,
)
from services.publishing.states import PUBLIC_STATES

Admin = Annotated[User, require_role("admin")]
# Staff read the sections: an editor chooses a standing page's section from them.
Staff = Annotated[
    User,
    require_role(
        "editor", "legal_reviewer", "head_of_department", "mayor", "media_officer",
        "protocol_officer",
    ),
]  # fmt: skip
SECTION_KEY = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The navigation travels whole in one event: it stays a menu, not a site map of its own.
MAX_SECTIONS = 40
MAX_MENU_ITEMS = 400
# Addresses the website answers itself, whatever the documents: no redirect replaces them.
SITE_PATHS = frozenset(
    {
        "/", "/acts", "/news", "/press-releases", "/announcements", "/digests", "/calendar",
        "/search", "/verify", "/data", "/accessibility", "/privacy", "/sitemap",
        "/sitemap.xml", "/signing-key.pem", "/healthz", "/docs", "/openapi.json",
    }
)  # fmt: skip
SITE_PREFIXES = ("/static/", "/api/", "/feeds/", "/files/", "/photos/", "/sitemaps/")
DOCUMENT_PATH = re.compile(r"^/(?:acts|news|press-releases|announcements|digests)/(\d+)$")
# An address has no spaces and no control characters (nor, for an old one, a fragment,
# which browsers never send).
SOURCE = re.compile(r"^/[^\s#\x00-\x1f\x7f]*$")
SITE_TARGET = re.compile(r"^/[^\s\x00-\x1f\x7f]*$")
HTTPS_TARGET = re.compile(
    r"^https://[^\s/?#\x00-\x1f\x7f]+\.[^\s/?#\x00-\x1f\x7f]+(?:[/?#][^\s\x00-\x1f\x7f]*)?$",
    re.IGNORECASE,
)

SHOWN = sorted(state.value for state in PUBLIC_STATES)
router = APIRouter(prefix="/site", tags=["site"])
T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# Sections.


class SectionCreate(Strict):
    key: str = Field(pattern=SECTION_KEY, max_length=40, examples=["tourism"])
    name_ka: str = Field(min_length=1, max_length=200, examples=["ტურიზმი"])
    name_en: str | None = Field(None, max_length=200, examples=["Tourism"])
    position: int | None = Field(None, ge=0, le=1000, description="Last when absent")
    shown: bool = True


class SectionUpdate(Strict):
    name_ka: NotNull[str] = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    position: NotNull[int] = Field(None, ge=0, le=1000)
    shown: NotNull[bool] = None


class SectionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name_ka: str
    name_en: str | None
    position: int
    shown: bool
    pages: int = Field(0, description="Standing pages in the section")
    updated_by: str
    updated_at: datetime


# Menu entries.


def target_refusal(target: str) -> str | None:
    """Why `target` is no address a menu or a redirect may send readers to, or None."""
    if target.startswith("/"):
        return None if SITE_TARGET.match(target) else "A path on the site has no spaces."
    if target.lower().startswith("http://"):
        return "An address outside the site must be https://, not http://."
    if not HTTPS_TARGET.match(target):
        return "Give a path on the site (starting with /) or an https:// address."
    return None


class MenuItemCreate(Strict):
    section: str | None = Field(
        None, pattern=SECTION_KEY, max_length=40, description="Absent: the site's top menu"
    )
    label_ka: str = Field(min_length=1, max_length=200)
    label_en: str | None = Field(None, max_length=200)
    document_id: Id | None = Field(None, description="A standing page")
    path: str | None = Field(
        None, min_length=1, max_length=MAX_TARGET, description="Or a path or https address"
    )
    position: int | None = Field(None, ge=0, le=1000, description="Last when absent")

    @model_validator(mode="after")
    def _one_target(self) -> MenuItemCreate:
        if (self.document_id is None) == (self.path is None):
            raise ValueError("an entry leads to a standing page (document_id) or a path, not both")
        refusal = self.path and target_refusal(self.path)
        if refusal:
            raise ValueError(refusal)
        return self


class MenuItemUpdate(Strict):
    label_ka: NotNull[str] = Field(None, min_length=1, max_length=200)
    label_en: str | None = Field(None, max_length=200)
    position: NotNull[int] = Field(None, ge=0, le=1000)


class MenuItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    section_key: str | None
    label_ka: str
    label_en: str | None
    document_id: int | None
    path: str | None
    position: int
    updated_by: str
    updated_at: datetime


# Redirects.


class RedirectCreate(Strict):
    source: str = Field(min_length=2, max_length=MAX_PATH, examples=["/ge/news.php?id=12"])
    target: str = Field(min_length=1, max_length=MAX_TARGET, examples=["/news"])
    status: Literal[301, 302] = Field(301, description="301 permanent, 302 temporary")

    @model_validator(mode="after")
    def _addresses(self) -> RedirectCreate:
        if not SOURCE.match(self.source):
            raise ValueError("the old address is a path on the site: it starts with / and has "
                             "no spaces or #")  # fmt: skip
        refusal = target_refusal(self.target)
        if refusal:
            raise ValueError(refusal)
        if self.target.split("#")[0] == self.source:
            raise ValueError("a redirect cannot lead to its own address")
        return self


class RedirectPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    target: str
    status: int
    automatic: bool
    created_by: str
    created_at: datetime


class PagePlacement(Strict):
    """A standing page's address and place: moving a published page leaves a redirect."""

    slug: str = Field(pattern=SLUG, max_length=200)
    nav_section: str = Field(pattern=SECTION_KEY, max_length=40)
    nav_order: int | None = Field(None, ge=0, le=1000)


class PagePlaced(BaseModel):
    document_id: int
    slug: str
    nav_section: str
    nav_order: int | None
    redirect: RedirectPublic | None = Field(None, description="Made from the old address")


class SiteChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


# Rules read from the tables.


async def record(
    session: AsyncSession, user: User, action: str, subject: str, **details: Any
) -> SiteChange:
    """Keep who changed what; the change's id is the revision its event carries."""
    change = SiteChange(at=now(), actor=user.id, action=action, subject=subject, details=details)
    session.add(change)
    await session.flush()
    return change


async def change_recorded(
    session: AsyncSession,
    user: User,
    row: Any,
    changes: dict[str, Any],
    action: str,
    subject: str,
) -> SiteChange:
    """Set a section's or a menu entry's changed fields, and keep who changed them from
    what to what."""
    before = {field: getattr(row, field) for field in changes}
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_by, row.updated_at = user.id, now()
    return await record(session, user, action, subject, before=before, after=changes)


async def navigation_changed(session: AsyncSession, outbox: Outbox, revision: int) -> None:
    """The whole navigation as it now stands, to the website."""
    sections = await session.scalars(select(NavSection).order_by(NavSection.position))
    items = await session.scalars(select(MenuItem).order_by(MenuItem.position, MenuItem.id))
    event = SiteNavigationChanged(
        revision=revision,
        sections=[
            NavSectionFacts(
                key=section.key,
                name=LocalizedText(ka=section.name_ka, en=section.name_en),
                position=section.position,
                shown=section.shown,
            )
            for section in sections
        ],
        menu=[
            MenuItemFacts(
                id=item.id,
                section=item.section_key,
                label=LocalizedText(ka=item.label_ka, en=item.label_en),
                document_id=item.document_id,
                path=item.path,
                position=item.position,
            )
            for item in items
        ],
    )
    await outbox.add(session, event, about="site:navigation")


def nothing_unchanged(data: BaseModel) -> dict[str, Any]:
    """The fields a change sets; a change that sets none is refused."""
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise Problem(422, "Nothing to change", "Send the fields to change.")
    return changes


async def count(session: AsyncSession, table: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def next_position(session: AsyncSession, column: Any, *where: Any) -> int:
    last = await session.scalar(select(func.max(column)).where(*where))
    return 1 if last is None else min(int(last) + 1, 1000)


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


# Sections: the routes.


@router.get("/sections", summary="The site's navigation sections, in their order")
async def list_sections(_: Staff, runtime: RuntimeDep) -> list[SectionPublic]:
    async with runtime.db().session() as session:
        return await _sections(session)


async def _sections(session: AsyncSession) -> list[SectionPublic]:
    found_counts = await session.execute(
        select(Document.nav_section, func.count())
        .where(Document.document_type == "web_page")
        .group_by(Document.nav_section)
    )
    counts: dict[str | None, int] = {key: count for key, count in found_counts.tuples()}
    found = await session.scalars(select(NavSection).order_by(NavSection.position))
    return [
        SectionPublic.model_validate(section).model_copy(
            update={"pages": counts.get(section.key, 0)}
        )
        for section in found
    ]


@router.post("/sections", status_code=status.HTTP_201_CREATED, summary="Add a section")
async def add_section(data: SectionCreate, user: Admin, runtime: RuntimeDep) -> SectionPublic:
    async with runtime.db().transaction() as session:
        if await session.get(NavSection, data.key) is not None:
            raise Problem(409, "Section exists", f"There is a section {data.key!r} already.")
        if await count(session, NavSection) >= MAX_SECTIONS:
            raise Problem(422, "Too many sections", f"The site has {MAX_SECTIONS} sections.")
        position = data.position
        if position is None:
            position = await next_position(session, NavSection.position)
        section = NavSection(
            key=data.key,
            name_ka=data.name_ka,
            name_en=data.name_en,
            position=position,
            shown=data.shown,
            updated_by=user.id,
            updated_at=now(),
        )
        session.add(section)
        change = await record(
            session, user, "section_added", f"section:{data.key}",
            name_ka=data.name_ka, name_en=data.name_en, position=position, shown=data.shown,
        )  # fmt: skip
        await navigation_changed(session, outbox_of(runtime), change.id)
    return SectionPublic.model_validate(section)


@router.patch("/sections/{key}", summary="Rename, reorder, hide or show a section")
async def change_section(
    key: Annotated[str, PathParam(pattern=SECTION_KEY, max_length=40)],
    data: SectionUpdate,
    user: Admin,
    runtime: RuntimeDep,
) -> SectionPublic:
    changes = nothing_unchanged(data)
    async with runtime.db().transaction() as session:
        section = await _section(session, key)
        change = await change_recorded(
            session, user, section, changes, "section_changed", f"section:{key}"
        )
        await navigation_changed(session, outbox_of(runtime), change.id)
    return SectionPublic.model_validate(section)


@router.delete("/sections/{key}", summary="Remove a section that holds no pages or entries")
async def remove_section(
    key: Annotated[str, PathParam(pattern=SECTION_KEY, max_length=40)],
    user: Admin,
    runtime: RuntimeDep,
) -> SectionPublic:
    async with runtime.db().transaction() as session:
        section = await _section(session, key)
        pages = await session.scalar(
            select(func.count()).select_from(Document).where(Document.nav_section == key)
        )
        items = await session.scalar(
            select(func.count()).select_from(MenuItem).where(MenuItem.section_key == key)
        )
        if pages or items:
            raise Problem(
                409,
                "Section not empty",
                f"The section {key!r} holds {pages} standing page(s) and {items} menu "
                "entr(ies): move them to another section, or remove the entries, first.",
            )
        removed = SectionPublic.model_validate(section)
        await session.delete(section)
        change = await record(
            session, user, "section_removed", f"section:{key}", name_ka=section.name_ka
        )
        await navigation_changed(session, outbox_of(runtime), change.id)
    return removed


async def _section(session: AsyncSession, key: str) -> NavSection:
    section = await session.get(NavSection, key)
    if section is None:
        raise Problem(404, "No such section", f"There is no navigation section {key!r}.")
    return section


# Menus.


@router.get("/menu", summary="Menu entries, by section and order")
async def list_menu(
    _: Admin,
    runtime: RuntimeDep,
    section: Annotated[
        str | None, Query(pattern=SECTION_KEY, max_length=40, description="`top`: the top menu")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> Page[MenuItemPublic]:
    query = select(MenuItem)
    if section == "top":
        query = query.where(MenuItem.section_key.is_(None))
    elif section is not None:
        query = query.where(MenuItem.section_key == section)
    async with runtime.db().session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        found = await session.scalars(
            query.order_by(MenuItem.section_key, MenuItem.position, MenuItem.id)
            .limit(limit)
            .offset(offset)
        )
        items = [MenuItemPublic.model_validate(item) for item in found]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@router.post("/menu", status_code=status.HTTP_201_CREATED, summary="Add a menu entry")
async def add_menu_item(data: MenuItemCreate, user: Admin, runtime: RuntimeDep) -> MenuItemPublic:
    async with runtime.db().transaction() as session:
        if data.section is not None:
            await check_nav_section(session, data.section)
        if data.document_id is not None:
            await _standing_page(session, data.document_id)
        if await count(session, MenuItem) >= MAX_MENU_ITEMS:
            raise Problem(422, "Too many entries", f"The menus hold {MAX_MENU_ITEMS} entries.")
        position = data.position
        if position is None:
            position = await next_position(
                session,
                MenuItem.position,
                MenuItem.section_key.is_(None)
                if data.section is None
                else MenuItem.section_key == data.section,
            )
        item = MenuItem(
            section_key=data.section,
            label_ka=data.label_ka,
            label_en=data.label_en,
            document_id=data.document_id,
            path=data.path,
            position=position,
            updated_by=user.id,
            updated_at=now(),
        )
        session.add(item)
        await session.flush()
        change = await record(
            session, user, "menu_item_added", f"menu:{item.id}",
            section=data.section, label_ka=data.label_ka, document_id=data.document_id,
            path=data.path,
        )  # fmt: skip
        await navigation_changed(session, outbox_of(runtime), change.id)
    return MenuItemPublic.model_validate(item)


@router.patch("/menu/{item_id}", summary="Rename or reorder a menu entry")
async def change_menu_item(
    item_id: Id, data: MenuItemUpdate, user: Admin, runtime: RuntimeDep
) -> MenuItemPublic:
    changes = nothing_unchanged(data)
    async with runtime.db().transaction() as session:
        item = await _menu_item(session, item_id)
        change = await change_recorded(
            session, user, item, changes, "menu_item_changed", f"menu:{item_id}"
        )
        await navigation_changed(session, outbox_of(runtime), change.id)
    return MenuItemPublic.model_validate(item)


@router.delete("/menu/{item_id}", summary="Remove a menu entry")
async def remove_menu_item(item_id: Id, user: Admin, runtime: RuntimeDep) -> MenuItemPublic:
    async with runtime.db().transaction() as session:
        item = await _menu_item(session, item_id)
        removed = MenuItemPublic.model_validate(item)
        await session.delete(item)
        change = await record(
            session, user, "menu_item_removed", f"menu:{item_id}",
            label_ka=item.label_ka, section=item.section_key,
        )  # fmt: skip
        await navigation_changed(session, outbox_of(runtime), change.id)
    return removed


async def _menu_item(session: AsyncSession, item_id: int) -> MenuItem:
    item = await session.get(MenuItem, item_id)
    if item is None:
        raise Problem(404, "No such entry", f"There is no menu entry {item_id}.")
    return item


async def _standing_page(session: AsyncSession, document_id: int) -> Document:
    document = await session.get(Document, document_id)
    if document is None or document.document_type != "web_page":
        raise Problem(422, "Not a standing page", f"Document {document_id} is no standing page.")
    return document


# Redirects.


@router.get("/redirects", summary="Redirects from old addresses, newest first, searchable")
async def list_redirects(
    _: Admin,
    runtime: RuntimeDep,
    q: Annotated[str | None, Query(max_length=200, description="Part of either address")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[RedirectPublic]:
    query = select(Redirect)
    if q:
        like = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Redirect.source.ilike(like), Redirect.target.ilike(like)))
    async with runtime.db().session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        found = await session.scalars(
            query.order_by(Redirect.id.desc()).limit(limit).offset(offset)
        )
        items = [RedirectPublic.model_validate(redirect) for redirect in found]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)


@router.post("/redirects", status_code=status.HTTP_201_CREATED, summary="Add a redirect")
async def add_redirect(data: RedirectCreate, user: Admin, runtime: RuntimeDep) -> RedirectPublic:
    async with runtime.db().transaction() as session:
        await _redirect_refusal(session, data.source, data.target)
        redirect = await _add_redirect(
            session, outbox_of(runtime), user, data.source, data.target, data.status
        )
    return RedirectPublic.model_validate(redirect)


@router.delete("/redirects/{redirect_id}", summary="Remove a redirect")
async def remove_redirect(redirect_id: Id, user: Admin, runtime: RuntimeDep) -> RedirectPublic:
    async with runtime.db().transaction() as session:
        redirect = await session.get(Redirect, redirect_id)
        if redirect is None:
            raise Problem(404, "No such redirect", f"There is no redirect {redirect_id}.")
        removed = RedirectPublic.model_validate(redirect)
        await _remove_redirect(session, outbox_of(runtime), user, redirect)
    return removed


async def _redirect_refusal(session: AsyncSession, source: str, target: str) -> None:
    if await session.scalar(select(Redirect.id).where(Redirect.source == source)) is not None:
        raise Problem(409, "Redirect exists", f"The address {source} is redirected already.")
    live = await live_page(session, source)
    if live is not None:
        raise Problem(
            422,
            "Address in use",
            f"The site answers {source} with {live}: no redirect replaces it.",
        )
    onward = await session.scalar(select(Redirect).where(Redirect.source == target.split("#")[0]))
    if onward is not None:
        raise Problem(
            422,
            "Redirect chain",
            f"{target} is redirected itself (to {onward.target}): send readers there directly.",
        )
    leading = await session.scalar(select(Redirect).where(Redirect.target == source))
    if leading is not None:
        raise Problem(
            422,
            "Redirect chain",
            f"The redirect from {leading.source} leads to {source}: a second step would make a "
            "chain; change that one instead.",
        )


async def live_page(session: AsyncSession, path: str) -> str | None:
    """What the website answers `path` with, when it answers it with a page; or None."""
    bare = path.split("?")[0]
    bare = bare[3:] or "/" if bare == "/en" or bare.startswith("/en/") else bare
    if bare in SITE_PATHS or bare.startswith(SITE_PREFIXES):
        return "one of its own pages"
    if bare.startswith("/pages/"):
        slug = bare.removeprefix("/pages/")
        published = await session.scalar(
            select(Document.id)
            .join(Edition)
            .where(Document.slug == slug, Edition.state.in_(SHOWN))
            .limit(1)
        )
        return None if published is None else f"the standing page {slug!r}"
    match = DOCUMENT_PATH.match(bare)
    if match:
        published = await session.scalar(
            select(Document.id)
            .join(Edition)
            .where(Document.id == int(match[1]), Edition.state.in_(SHOWN))
            .limit(1)
        )
        return None if published is None else f"document {match[1]}"
    return None


async def _add_redirect(
    session: AsyncSession,
    outbox: Outbox,
    user: User,
    source: str,
    target: str,
    status_code: int,
    *,
    automatic: bool = False,
    why: str | None = None,
) -> Redirect:
    redirect = Redirect(
        source=source,
        target=target,
        status=status_code,
        automatic=automatic,
        created_by=user.id,
        created_at=now(),
    )
    session.add(redirect)
    details: dict[str, Any] = {"target": target, "status": status_code}
    if why:
        details["why"] = why
    change = await record(session, user, "redirect_added", source, **details)
    await outbox.add(
        session,
        RedirectSet(
            revision=change.id,
            source=source,
            target=target,
            status=301 if status_code == 301 else 302,
            automatic=automatic,
        ),
        about=f"redirect:{source}",
    )
    return redirect


async def _remove_redirect(
    session: AsyncSession, outbox: Outbox, user: User, redirect: Redirect, why: str | None = None
) -> None:
    await session.delete(redirect)
    details: dict[str, Any] = {"target": redirect.target}
    if why:
        details["why"] = why
    change = await record(session, user, "redirect_removed", redirect.source, **details)
    await outbox.add(
        session,
        RedirectRemoved(revision=change.id, source=redirect.source),
        about=f"redirect:{redirect.source}",
    )


# Standing pages: their address and place.


@router.put(
    "/pages/{document_id}",
    summary="Give a standing page its address, section and order; a published page's old "
    "address redirects to the new one",
)
async def place_page(
    document_id: Id, data: PagePlacement, user: Admin, runtime: RuntimeDep
) -> PagePlaced:
    outbox = outbox_of(runtime)
    async with runtime.db().transaction() as session:
        document = await _standing_page(session, document_id)
        await check_nav_section(session, data.nav_section)
        old = document.slug
        if data.slug != old:
            taken = await session.scalar(
                select(Document.id).where(Document.slug == data.slug, Document.id != document_id)
            )
            if taken is not None:
                raise Problem(
                    409,
                    "Address already taken",
                    f"Another page already has the slug {data.slug!r}.",
                )
        # The public sees the page (published, or withdrawn with its explanation): its old
        # address is known out there, and the website must hear of the move.
        published = any(e.state in PUBLIC_STATES for e in document.editions)
        document.slug = data.slug
        document.nav_section = data.nav_section
        document.nav_order = data.nav_order
        await session.flush()
        redirect = None
        if published and old and old != data.slug:
            redirect = await _moved(session, outbox, user, f"/pages/{old}", f"/pages/{data.slug}")
        change = await record(
            session, user, "page_placed", f"document:{document_id}",
            slug_before=old, slug=data.slug, nav_section=data.nav_section,
            nav_order=data.nav_order,
            redirect=None if redirect is None else f"{redirect.source} → {redirect.target}",
        )  # fmt: skip
        if published:
            await outbox.add(
                session,
                PageMoved(
                    revision=change.id,
                    document_id=document_id,
                    slug=data.slug,
                    nav_section=data.nav_section,
                    nav_order=data.nav_order,
                ),
                about=f"document:{document_id}",
            )
    return PagePlaced(
        document_id=document_id,
        slug=data.slug,
        nav_section=data.nav_section,
        nav_order=data.nav_order,
        redirect=None if redirect is None else RedirectPublic.model_validate(redirect),
    )


async def _moved(
    session: AsyncSession, outbox: Outbox, user: User, source: str, target: str
) -> Redirect:
    """A published page moved from `source` to `target`: readers of the old address are
    sent to the new one, redirects that led to the old one lead to the new one (no
    chains), and a redirect away from the new address (the page moved back) goes."""
    why = f"the standing page moved from {source} to {target}"
    back = await session.scalar(select(Redirect).where(Redirect.source == target))
    if back is not None:
        await _remove_redirect(session, outbox, user, back, why)
    leading = (await session.scalars(select(Redirect).where(Redirect.target == source))).all()
    for earlier in leading:
        old_source, status_code, automatic = earlier.source, earlier.status, earlier.automatic
        await _remove_redirect(session, outbox, user, earlier, why)
        await session.flush()
        await _add_redirect(
            session, outbox, user, old_source, target, status_code, automatic=automatic, why=why
        )
    existing = await session.scalar(select(Redirect).where(Redirect.source == source))
    if existing is not None:
        await _remove_redirect(session, outbox, user, existing, why)
        await session.flush()
    return await _add_redirect(session, outbox, user, source, target, 301, automatic=True, why=why)


# The record.


@router.get("/changes", summary="Every change of the site's structure, newest first")
async def list_changes(
    _: Admin,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> Page[SiteChangePublic]:
    async with runtime.db().session() as session:
        total = await session.scalar(select(func.count()).select_from(SiteChange))
        found = await session.scalars(
            select(SiteChange).order_by(SiteChange.id.desc()).limit(limit).offset(offset)
        )
        items = [SiteChangePublic.model_validate(change) for change in found]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)
