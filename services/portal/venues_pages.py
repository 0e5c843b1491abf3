"""Venues and officials of events in the portal: the lists, a venue added or changed, an
official added or renamed.

The events service decides: venues are for its planners (protocol, media, head of
department, editors) to change, officials for the head of department; the pages show the
forms only to them, and the service's refusal comes back beside the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meria.inputs import Id, Page
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, services_of
from services.portal.forms import KeptForm, values_of
from services.portal.i18n import _
from services.portal.partners_pages import READERS, _paged, _window, named, take
from services.portal.web import NotAllowed, redirect, render, runtime_of, staff

router = APIRouter(include_in_schema=False)

PLANNERS = ("protocol_officer", "media_officer", "head_of_department", "editor")
HEADS = ("head_of_department",)
VENUE_FIELDS = ("name_ka", "name_en", "address_ka", "address_en", "capacity")
OFFICIAL_FIELDS = ("code", "name_ka", "name_en", "position_ka", "position_en")
CODE = re.compile(r"^[a-z0-9_-]{2,40}$")


def gate(*roles: str) -> Any:
    async def check(request: Request) -> Signed:
        signed = await staff(request)
        if not signed.user.has_any(*roles):
            raise NotAllowed()
        return signed

    return Depends(check)


Reader = Annotated[Signed, gate(*READERS)]
Planner = Annotated[Signed, gate(*PLANNERS)]
Head = Annotated[Signed, gate(*HEADS)]


class VenueForm(KeptForm):
    def check(self) -> None:
        if not self.get("name_ka"):
            self.errors["name_ka"] = _("The Georgian name is required.")
        capacity = self.get("capacity")
        if not capacity.isdigit() or not 0 < int(capacity) <= 100_000:
            self.errors["capacity"] = _("Give the number of seats as a whole number above zero.")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: self.get(name) or None for name in VENUE_FIELDS}
        body["capacity"] = int(self.get("capacity"))
        return body


class OfficialForm(KeptForm):
    def check(self, new: bool) -> None:
        if new and not CODE.match(self.get("code")):
            self.errors["code"] = _(
                "A short code of small Latin letters, digits and hyphens: first-deputy-mayor."
            )
        if not self.get("name_ka"):
            self.errors["name_ka"] = _("The Georgian name is required.")

    def body(self) -> dict[str, Any]:
        return {name: self.get(name) or None for name in OFFICIAL_FIELDS if name != "code"}


# Venues.


async def venues_page(
    request: Request,
    signed: Signed,
    page: int = 1,
    form: VenueForm | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    found = await services_of(runtime_of(request)).get(
        signed.user, "events", "/venues", params=_window(page)
    )
    return await render(
        request,
        "events/venues.html",
        status_code=status_code,
        venues=_paged(found, page),
        form=form or VenueForm(),
        message=message,
        named=named,
        may_change=signed.user.has_any(*PLANNERS),
        done=request.query_params.get("done", ""),
    )


@router.get("/events/venues")
async def list_venues(request: Request, signed: Reader, page: Page = 1) -> Response:
    return await venues_page(request, signed, page)


@router.post("/events/venues")
async def add_venue(request: Request, signed: Planner) -> Response:
    form = VenueForm(values_of(await request.form(), VENUE_FIELDS))
    form.check()
    if form.errors:
        return await venues_page(
            request, signed, form=form, message=_("Some fields need attention."), status_code=422
        )
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "events", "/venues", json=form.body()
        )
    except ServiceRefused as refused:
        message = take(form, refused)
        return await venues_page(
            request, signed, form=form, message=message, status_code=refused.status
        )
    return redirect("/events/venues?done=added")


async def venue_form(
    request: Request, venue_id: int, form: VenueForm, message: str = "", status_code: int = 200
) -> Response:
    return await render(
        request,
        "events/venue_form.html",
        status_code=status_code,
        venue_id=venue_id,
        form=form,
        message=message,
    )


@router.get("/events/venues/{venue_id}")
async def edit_venue(request: Request, signed: Planner, venue_id: Id) -> Response:
    venue = await services_of(runtime_of(request)).get(signed.user, "events", f"/venues/{venue_id}")
    values = {name: str(venue.get(name) or "") for name in VENUE_FIELDS}
    return await venue_form(request, venue_id, VenueForm(values))


@router.post("/events/venues/{venue_id}")
async def save_venue(request: Request, signed: Planner, venue_id: Id) -> Response:
    form = VenueForm(values_of(await request.form(), VENUE_FIELDS))
    form.check()
    if form.errors:
        return await venue_form(request, venue_id, form, _("Some fields need attention."), 422)
    try:
        await services_of(runtime_of(request)).call(
            signed.user, "PATCH", "events", f"/venues/{venue_id}", json=form.body()
        )
    except ServiceRefused as refused:
        return await venue_form(request, venue_id, form, take(form, refused), refused.status)
    return redirect("/events/venues?done=changed")


# Officials.


async def officials_page(
    request: Request,
    signed: Signed,
    page: int = 1,
    form: OfficialForm | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    found = await services_of(runtime_of(request)).get(
        signed.user, "events", "/officials", params=_window(page)
    )
    return await render(
        request,
        "events/officials.html",
        status_code=status_code,
        officials=_paged(found, page),
        form=form or OfficialForm(),
        message=message,
        named=named,
        may_change=signed.user.has_any(*HEADS),
        done=request.query_params.get("done", ""),
    )


@router.get("/events/officials")
async def list_officials(request: Request, signed: Reader, page: Page = 1) -> Response:
    return await officials_page(request, signed, page)


async def _put_official(
    request: Request, signed: Signed, form: OfficialForm, code: str
) -> ServiceRefused | None:
    try:
        await services_of(runtime_of(request)).call(
            signed.user, "PUT", "events", f"/officials/{code}", json=form.body()
        )
    except ServiceRefused as refused:
        return refused
    return None


@router.post("/events/officials")
async def add_official(request: Request, signed: Head) -> Response:
    form = OfficialForm(values_of(await request.form(), OFFICIAL_FIELDS))
    form.check(new=True)
    refused = None if form.errors else await _put_official(request, signed, form, form.get("code"))
    if form.errors or refused is not None:
        message = take(form, refused) if refused else _("Some fields need attention.")
        status_code = refused.status if refused else 422
        return await officials_page(
            request, signed, form=form, message=message, status_code=status_code
        )
    return redirect("/events/officials?done=added")


@router.get("/events/officials/{code}")
async def edit_official(request: Request, signed: Head, code: str) -> Response:
    if not CODE.match(code):
        raise NotAllowed()
    found = await services_of(runtime_of(request)).get(
        signed.user, "events", "/officials", params={"limit": 1000}
    )
    official = next((o for o in found if o["code"] == code), None)
    if official is None:
        return await render(
            request, "error.html", status_code=404, heading=_("Not found"),
            message=_("There is no such official."),
        )  # fmt: skip
    values = {name: str(official.get(name) or "") for name in OFFICIAL_FIELDS}
    return await render(request, "events/official_form.html", form=OfficialForm(values))


@router.post("/events/officials/{code}")
async def save_official(request: Request, signed: Head, code: str) -> Response:
    form = OfficialForm({**values_of(await request.form(), OFFICIAL_FIELDS), "code": code})
    form.check(new=False)
    refused = None if form.errors else await _put_official(request, signed, form, code)
    if form.errors or refused is not None:
        message = take(form, refused) if refused else _("Some fields need attention.")
        return await render(
            request, "events/official_form.html", status_code=refused.status if refused else 422,
            form=form, message=message,
        )  # fmt: skip
    return redirect("/events/officials?done=changed")
