"""The site's structure for administrators: its navigation sections and menus
(`/admin/site`) and the redirects from old addresses (`/admin/redirects`), kept by the
publishing service (`/site/…`), which tells the website. A refusal comes back on the page
with what was typed."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from meria.inputs import Id, Offset
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, services_of
from services.portal.i18n import _, current_language
from services.portal.web import Admin, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

PAGE = 25
SECTION_KEY = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Text = Annotated[str, Form(max_length=1000)]
SectionKey = Annotated[str, PathParam(pattern=SECTION_KEY, max_length=40)]


def refusal(refused: ServiceRefused) -> str:
    """Publishing's reason, led in the reader's language."""
    if refused.status == 403:
        return _("Your roles do not allow this.")
    reason = refused.detail or refused.title
    if refused.field_errors:
        reason = "; ".join(refused.field_errors.values())
    return _("The publishing service refused it: %(reason)s") % {"reason": reason}


async def _call(
    request: Request, signed: Signed, method: str, path: str, body: dict[str, Any] | None = None
) -> str | None:
    """Ask publishing; its refusal, in words, or None when done."""
    services = services_of(runtime_of(request))
    try:
        await services.call(signed.user, method, "publishing", path, json=body)
    except ServiceRefused as refused:
        return refusal(refused)
    return None


def _number(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


async def nav_sections(request: Request, signed: Signed) -> dict[str, str]:
    """The site's sections by key, named in the reader's language, for a standing page's
    form."""
    found = await services_of(runtime_of(request)).get(signed.user, "publishing", "/site/sections")
    english = current_language.get() == "en"
    return {s["key"]: (s["name_en"] if english and s["name_en"] else s["name_ka"]) for s in found}


# Sections and menus.


async def _site_page(
    request: Request,
    signed: Signed,
    *,
    problem: str = "",
    typed: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    services = services_of(runtime_of(request))
    # Four questions to publishing, asked at once.
    sections, menu, changes, pages = await asyncio.gather(
        services.get(signed.user, "publishing", "/site/sections"),
        services.get(signed.user, "publishing", "/site/menu", params={"limit": 500}),
        services.get(signed.user, "publishing", "/site/changes", params={"limit": 10}),
        services.get(
            signed.user, "publishing", "/documents",
            params={"document_type": "web_page", "limit": 200},
        ),
    )  # fmt: skip
    for change in changes["items"]:
        change["at"] = datetime.fromisoformat(change["at"])
    return await render(
        request,
        "site.html",
        status_code=status_code,
        sections=sections,
        menu=menu["items"],
        pages=sorted(
            pages["items"], key=lambda p: (p.get("nav_section") or "", p.get("nav_order") or 0)
        ),
        changes=changes["items"],
        problem=problem,
        typed=typed or {},
        done=done,
    )


@router.get("/admin/site")
async def site_page(request: Request, signed: Admin, done: str = "") -> Response:
    return await _site_page(request, signed, done=done)


async def _after(
    request: Request, signed: Signed, problem: str | None, typed: dict[str, str], done: str
) -> Response:
    if problem:
        return await _site_page(request, signed, problem=problem, typed=typed, status_code=422)
    return redirect(f"/admin/site?done={done}")


@router.post("/admin/site/sections")
async def add_section(
    request: Request,
    signed: Admin,
    key: Annotated[str, Form(max_length=40)] = "",
    name_ka: Text = "",
    name_en: Text = "",
) -> Response:
    typed = {"key": key, "name_ka": name_ka, "name_en": name_en}
    body = {"key": key.strip(), "name_ka": name_ka, "name_en": name_en.strip() or None}
    problem = await _call(request, signed, "POST", "/site/sections", body)
    return await _after(request, signed, problem, typed, "section")


@router.post("/admin/site/sections/{key}")
async def change_section(
    request: Request,
    signed: Admin,
    key: SectionKey,
    name_ka: Text = "",
    name_en: Text = "",
    position: Annotated[str, Form(max_length=5)] = "",
    shown: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    body: dict[str, Any] = {"name_ka": name_ka, "name_en": name_en.strip() or None}
    body["shown"] = shown == "on"
    if _number(position) is not None:
        body["position"] = _number(position)
    problem = await _call(request, signed, "PATCH", f"/site/sections/{key}", body)
    return await _after(request, signed, problem, {}, "section")


@router.post("/admin/site/sections/{key}/remove")
async def remove_section(request: Request, signed: Admin, key: SectionKey) -> Response:
    problem = await _call(request, signed, "DELETE", f"/site/sections/{key}")
    return await _after(request, signed, problem, {}, "removed")


@router.post("/admin/site/menu")
async def add_menu_item(
    request: Request,
    signed: Admin,
    section: Annotated[str, Form(max_length=40)] = "",
    label_ka: Text = "",
    label_en: Text = "",
    target: Text = "",
) -> Response:
    typed = {"section": section, "label_ka": label_ka, "label_en": label_en, "target": target}
    body: dict[str, Any] = {
        "section": section or None,
        "label_ka": label_ka,
        "label_en": label_en.strip() or None,
    }
    # A number is a standing page's document; anything else a path or an address.
    page = _number(target)
    body["document_id" if page is not None else "path"] = page if page is not None else target
    problem = await _call(request, signed, "POST", "/site/menu", body)
    return await _after(request, signed, problem, typed, "menu")


@router.post("/admin/site/menu/{item_id}")
async def change_menu_item(
    request: Request,
    signed: Admin,
    item_id: Id,
    label_ka: Text = "",
    label_en: Text = "",
    position: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    body: dict[str, Any] = {"label_ka": label_ka, "label_en": label_en.strip() or None}
    if _number(position) is not None:
        body["position"] = _number(position)
    problem = await _call(request, signed, "PATCH", f"/site/menu/{item_id}", body)
    return await _after(request, signed, problem, {}, "menu")


@router.post("/admin/site/menu/{item_id}/remove")
async def remove_menu_item(request: Request, signed: Admin, item_id: Id) -> Response:
    problem = await _call(request, signed, "DELETE", f"/site/menu/{item_id}")
    return await _after(request, signed, problem, {}, "removed")


@router.post("/admin/site/pages/{document_id}")
async def place_page(
    request: Request,
    signed: Admin,
    document_id: Id,
    slug: Annotated[str, Form(max_length=200)] = "",
    nav_section: Annotated[str, Form(max_length=40)] = "",
    nav_order: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """A standing page's address, section and order; a published page's old address
    redirects to its new one (publishing makes the redirect)."""
    body = {"slug": slug.strip(), "nav_section": nav_section, "nav_order": _number(nav_order)}
    problem = await _call(request, signed, "PUT", f"/site/pages/{document_id}", body)
    return await _after(request, signed, problem, {}, "page")


# Redirects.


async def _redirects_page(
    request: Request,
    signed: Signed,
    *,
    q: str = "",
    offset: int = 0,
    problem: str = "",
    typed: dict[str, str] | None = None,
    done: str = "",
    status_code: int = 200,
) -> Response:
    params: dict[str, Any] = {"limit": PAGE, "offset": offset}
    if q:
        params["q"] = q
    found = await services_of(runtime_of(request)).get(
        signed.user, "publishing", "/site/redirects", params=params
    )
    more = {"q": q, "offset": offset + PAGE} if q else {"offset": offset + PAGE}
    return await render(
        request,
        "redirects.html",
        status_code=status_code,
        redirects=found["items"],
        total=found["total"],
        offset=offset,
        page=PAGE,
        q=q,
        more=urlencode(more),
        problem=problem,
        typed=typed or {"status": "301"},
        done=done,
    )


@router.get("/admin/redirects")
async def redirects_page(
    request: Request,
    signed: Admin,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Offset = 0,
    done: str = "",
) -> Response:
    return await _redirects_page(request, signed, q=q, offset=offset, done=done)


@router.post("/admin/redirects")
async def add_redirect(
    request: Request,
    signed: Admin,
    source: Text = "",
    target: Text = "",
    status: Annotated[str, Form(max_length=3)] = "301",
) -> Response:
    typed = {"source": source, "target": target, "status": status}
    body = {"source": source.strip(), "target": target.strip(), "status": _number(status) or 0}
    problem = await _call(request, signed, "POST", "/site/redirects", body)
    if problem:
        return await _redirects_page(request, signed, problem=problem, typed=typed, status_code=422)
    return redirect("/admin/redirects?done=added")


@router.post("/admin/redirects/{redirect_id}/remove")
async def remove_redirect(request: Request, signed: Admin, redirect_id: Id) -> Response:
    problem = await _call(request, signed, "DELETE", f"/site/redirects/{redirect_id}")
    if problem:
        return await _redirects_page(request, signed, problem=problem, status_code=422)
    return redirect("/admin/redirects?done=removed")
