"""Events of the site's structure, owned by the publishing service: the navigation
sections and menus an administrator edits, the redirects from old addresses, and a
standing page moved to another address or place.

Each carries `revision`, the number of the change on publishing's record of site changes
(`site_changes`), so a consumer keeps the newest it has seen and a late or repeated event
changes nothing.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from meria.contracts.base import Event, LocalizedText


class NavSectionFacts(BaseModel):
    """One navigation section of the site, as it is now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(examples=["about", "tourism"])
    name: LocalizedText
    position: int
    shown: bool


class MenuItemFacts(BaseModel):
    """One entry of a menu: a standing page (by its document) or a path or https address.
    `section` is the section it is listed under; absent, it is in the site's top menu."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(gt=0)
    section: str | None = None
    label: LocalizedText
    document_id: int | None = None
    path: str | None = None
    position: int


class SiteNavigationChanged(Event):
    """An administrator changed the site's sections or menus: the whole navigation as it
    now stands (a few dozen rows), so that the newest event alone is the truth."""

    subject = "publishing.site.navigation_changed"

    revision: int = Field(gt=0)
    sections: list[NavSectionFacts]
    menu: list[MenuItemFacts]


class RedirectSet(Event):
    """An old address of the site now sends its readers to `target`: a path on the site or
    an https address, permanently (301) or for a while (302)."""

    subject = "publishing.site.redirect_set"

    revision: int = Field(gt=0)
    source: str = Field(examples=["/ge/news.php"])
    target: str = Field(examples=["/news"])
    status: Literal[301, 302]
    automatic: bool = Field(False, description="Made when a standing page's address changed")


class RedirectRemoved(Event):
    """The redirect from `source` was removed: the address answers as the site does."""

    subject = "publishing.site.redirect_removed"

    revision: int = Field(gt=0)
    source: str


class PageMoved(Event):
    """A published standing page got a new address (`slug`) or a new place in the
    navigation; its text is unchanged."""

    subject = "publishing.site.page_moved"

    revision: int = Field(gt=0)
    document_id: int = Field(gt=0)
    slug: str
    nav_section: str
    nav_order: int | None = None
