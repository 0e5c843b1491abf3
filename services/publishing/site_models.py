"""Publishing's tables of the site's structure: navigation sections, menu entries,
redirects from old addresses, and the record of every change an administrator made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from meria.db import UTCDateTime
from meria.problems import Problem
from services.publishing.models import Base

MAX_PATH = 500
MAX_TARGET = 1000


class NavSection(Base):
    """A section of the site's navigation; standing pages (`documents.nav_section`) and
    menu entries are listed under it. A hidden one keeps its pages, out of the menus."""

    __tablename__ = "nav_sections"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ka: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, index=True)
    shown: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MenuItem(Base):
    """An entry of a menu: a standing page, or a path or https address. Under a section,
    or in the site's top menu when `section_key` is empty."""

    __tablename__ = "menu_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_key: Mapped[str | None] = mapped_column(
        ForeignKey("nav_sections.key", ondelete="RESTRICT"), index=True
    )
    label_ka: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str | None] = mapped_column(String(200))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    path: Mapped[str | None] = mapped_column(String(MAX_TARGET))
    position: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Redirect(Base):
    """An old address of the site (`source`, a path) sending readers to `target`."""

    __tablename__ = "redirects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(MAX_PATH), unique=True)
    target: Mapped[str] = mapped_column(String(MAX_TARGET), index=True)
    status: Mapped[int] = mapped_column(Integer)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SiteChange(Base):
    """Who changed the site's structure, when, and what: its id is the revision the
    change's event carries."""

    __tablename__ = "site_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(MAX_TARGET), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def check_nav_section(session: AsyncSession, key: str | None) -> None:
    """A standing page's section must be one the site has."""
    if key is None or await session.get(NavSection, key) is not None:
        return
    known = await session.scalars(select(NavSection.key).order_by(NavSection.position))
    raise Problem(
        422,
        "Unknown section",
        f"There is no navigation section {key!r}; the sections: {', '.join(known)}.",
    )
