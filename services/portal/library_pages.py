"""The media library in the portal: photos and files found by words, days, event, place and
people; an item's page with what it shows, its photographer, licence and the consent of
the people in it; and an upload of several files at once, each with its own result. Photos
are chosen from it into documents and events by `photo_chooser`.

Pictures reach the browser through the portal with the signed-in person's token (the
media service's file and thumbnail, streamed): no service token ever leaves the portal.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile

from meria.inputs import Id, Page
from meria.problems import Problem
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, lines, values_of
from services.portal.i18n import N_, TBILISI, _, current_language
from services.portal.labels import labels
from services.portal.panels import Panels
from services.portal.press_pages import READERS, Pager, gate, read_one
from services.portal.web import CheckedForm, Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

# The media service's gate for changing the library (services/media/api.py: LibraryKeeper).
KEEPERS = ("media_officer", "head_of_department", "editor", "protocol_officer", "admin")
PER_PAGE = 24
MAX_FILES = 20

LICENCES = {
    "all_rights_reserved": N_("All rights reserved (the municipality)"),
    "cc_by_4.0": N_("Creative Commons Attribution 4.0"),
    "cc_by_sa_4.0": N_("Creative Commons Attribution-ShareAlike 4.0"),
    "cc0": N_("Public domain (CC0)"),
    "press_use_only": N_("For the press only"),
    "internal_only": N_("For internal use only"),
}
CONSENTS = {
    "not_needed": N_("Not needed: no one can be recognised"),
    "obtained": N_("Given by the people shown"),
    "not_obtained": N_("Not given"),
    "public_event": N_("A public event: people were told they may be photographed"),
}
KINDS = {"photo": N_("Photo"), "video": N_("Video"), "file": N_("File")}
# Why the library refused a file, by the service's answer.
REFUSALS = {
    413: N_("Too large for the library."),
    415: N_("Not a type the library takes, or its content is not what its name says."),
    422: N_("Its content is not what its name says, or it cannot be read."),
}
REFUSED = N_("The library refused it.")
DONE = {
    "saved": N_("The changes are saved."),
}
ITEM_FIELDS = ("title_ka", "title_en", "caption_ka", "caption_en", "author", "taken_on",
               "place", "people", "event_id", "licence", "consent", "consent_note")  # fmt: skip


def context() -> dict[str, Any]:
    return {
        "licences": labels(LICENCES),
        "consents": labels(CONSENTS),
        "library_kinds": labels(KINDS),
        "readers": READERS,
        "keepers": KEEPERS,
    }


def _day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


async def _events(request: Request, signed: Signed, panels: Panels) -> list[dict[str, Any]]:
    """The events of the last half year and the coming week, to name a photo's event by
    its title: photos are taken at events just held, and a choice of thousands helps no
    one (an older event's photos are found by its words or dates)."""
    today = datetime.now(TBILISI).date()
    params = {
        "from": f"{today - timedelta(days=183)}T00:00:00+04:00",
        "to": f"{today + timedelta(days=8)}T00:00:00+04:00",
        "limit": 200,
    }
    services = services_of(runtime_of(request))
    try:
        found = await panels.read(
            "events", _("Events"), services.get(signed.user, "events", "/events", params=params),
            None,
        )  # fmt: skip
    except ServiceRefused:  # a reader of the library who may not read events
        return []
    if not found:
        return []
    items: list[dict[str, Any]] = sorted(
        found["items"], key=lambda event: event["starts_at"], reverse=True
    )
    return items


# The library.


@router.get("/media/library")
async def library(
    request: Request,
    signed: Staff,
    text: str = "",
    taken_from: str = "",
    taken_to: str = "",
    event_id: str = "",
    place: str = "",
    person: str = "",
    page: Page = 1,
) -> Response:
    gate(signed, READERS)
    chosen = {
        "text": text.strip()[:200],
        "taken_from": _day(taken_from),
        "taken_to": _day(taken_to),
        "event_id": event_id if event_id.isdigit() else "",
        "place": place.strip()[:200],
        "person": person.strip()[:200],
    }
    pager = Pager("/media/library", chosen, page, PER_PAGE)
    services = services_of(runtime_of(request))
    query = {key: value for key, value in chosen.items() if value}
    panels = Panels()
    found, errors, error = [], {}, None
    # The photos and the events' names for the filter, asked at once.
    events_call = asyncio.ensure_future(_events(request, signed, panels))
    try:
        found = pager.take(
            await services.get(signed.user, "media", "/library", params={**query, **pager.query})
        )
    except ServiceRefused as refused:
        kept = KeptForm(chosen)
        error = kept.take_refusal(refused)
        errors = kept.errors
    except ServiceUnavailable as unavailable:
        panels.mark("library", _("The library"), unavailable)
    events = await events_call
    return await render(
        request, "media/library.html", found=found, chosen=chosen, pager=pager, error=error,
        errors=errors, events=events, panels=panels, **context(),
    )  # fmt: skip


# Uploading.


class DetailsForm(KeptForm):
    """What an upload or an item's form says about the files: the same for each file."""

    @classmethod
    def from_form(cls, form: FormData) -> DetailsForm:
        return cls(values_of(form, ITEM_FIELDS))

    def check(self) -> None:
        if not self.get("caption_ka"):
            self.errors["caption_ka"] = _("Say in Georgian what the photo shows.")
        if not self.get("author"):
            self.errors["author"] = _("Name the photographer or the author.")
        if self.get("licence") not in LICENCES:
            self.errors["licence"] = _("Choose the licence.")
        if self.get("consent") not in CONSENTS:
            self.errors["consent"] = _("Say whether the people shown have consented.")
        if self.get("taken_on") and not _day(self.get("taken_on")):
            self.errors["taken_on"] = _("Give the date as the calendar shows it.")
        if self.get("event_id") and not self.get("event_id").isdigit():
            self.errors["event_id"] = _("Choose the event from the list.")

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> DetailsForm:
        values = {name: str(item.get(name) or "") for name in ITEM_FIELDS if name != "people"}
        values["people"] = "\n".join(item.get("people") or [])
        return cls(values)

    def people(self) -> list[str]:
        return lines(self.get("people"))

    def fields(self) -> dict[str, Any]:
        """The multipart fields of an upload."""
        sent: dict[str, Any] = {
            name: self.get(name) for name in ITEM_FIELDS if name != "people" and self.get(name)
        }
        sent["people"] = self.people()
        return sent

    def change(self) -> dict[str, Any]:
        """The JSON body of an item's change: every field, emptied ones as null."""
        body: dict[str, Any] = {
            name: self.get(name) or None for name in ITEM_FIELDS if name != "people"
        }
        body["event_id"] = int(self.get("event_id")) if self.get("event_id") else None
        body["people"] = self.people()
        return body


def result_of(filename: str, refused: ServiceRefused) -> dict[str, Any]:
    reason = _(REFUSALS.get(refused.status, REFUSED))
    if current_language.get() == "en" and refused.detail:
        reason = f"{reason} {refused.detail}"
    return {"filename": filename, "stored": False, "reason": reason}


async def _upload_page(
    request: Request, signed: Signed, form: DetailsForm, status_code: int = 200, **kwargs: Any
) -> Response:
    panels: Panels = kwargs.pop("panels", None) or Panels()
    events = await _events(request, signed, panels)
    return await render(
        request, "media/library_upload.html", status_code=status_code, form=form,
        events=events, panels=panels, results=kwargs.pop("results", []), **kwargs, **context(),
    )  # fmt: skip


@router.get("/media/library/upload")
async def upload_form(request: Request, signed: Staff) -> Response:
    gate(signed, KEEPERS)
    today = datetime.now(TBILISI).date().isoformat()
    form = DetailsForm({"taken_on": today, "licence": "all_rights_reserved"})
    return await _upload_page(request, signed, form)


@router.post("/media/library/upload")
async def upload(request: Request, signed: Staff, sent: CheckedForm) -> Response:
    gate(signed, KEEPERS)
    form = DetailsForm.from_form(sent)
    files = [f for f in sent.getlist("files") if isinstance(f, UploadFile) and f.filename]
    form.check()
    if not files:
        form.errors["files"] = _("Choose the files to upload.")
    elif len(files) > MAX_FILES:
        form.errors["files"] = _("At most %(count)d files at once.") % {"count": MAX_FILES}
    if form.errors:
        return await _upload_page(request, signed, form, 422)
    services = services_of(runtime_of(request))
    results: list[dict[str, Any]] = []
    for upload in files:
        try:
            item = await services.post(
                signed.user, "media", "/library", data=form.fields(),
                files={"file": (upload.filename, upload.file, upload.content_type or "")},
            )  # fmt: skip
        except ServiceRefused as refused:
            named = {k: v for k, v in refused.field_errors.items() if k != "file"}
            if named:  # the details are wrong, for every file alike
                form.errors.update(named)
                return await _upload_page(request, signed, form, 422, results=results)
            results.append(result_of(upload.filename or "", refused))
            continue
        except ServiceUnavailable as unavailable:
            panels = Panels()
            panels.mark("uploading", _("Uploading"), unavailable)
            return await _upload_page(request, signed, form, 503, results=results, panels=panels)
        results.append({"filename": upload.filename, "stored": True, "item": item})
    stored = any(result["stored"] for result in results)
    return await _upload_page(request, signed, form, 200 if stored else 422, results=results)


# An item.


async def _item_page(request: Request, signed: Signed, item_id: int, **kwargs: Any) -> Response:
    panels: Panels = kwargs.pop("panels", None) or Panels()
    item = kwargs.pop("item", None) or await read_one(request, signed, f"/library/{item_id}")
    form = kwargs.pop("form", None) or DetailsForm.from_item(item)
    events = await _events(request, signed, panels)
    event = next((e for e in events if e["id"] == item["event_id"]), None)
    return await render(
        request, "media/library_item.html", item=item, form=form, events=events,
        event=event, panels=panels, status_code=kwargs.pop("status_code", 200), **kwargs,
        **context(),
    )  # fmt: skip


@router.get("/media/library/{item_id}")
async def item_page(request: Request, signed: Staff, item_id: Id, done: str = "") -> Response:
    gate(signed, READERS)
    flashes = [_(DONE[done])] if done in DONE else []
    return await _item_page(request, signed, item_id, flashes=flashes)


@router.post("/media/library/{item_id}")
async def save_item(request: Request, signed: Staff, item_id: Id) -> Response:
    gate(signed, KEEPERS)
    form = DetailsForm.from_form(await request.form())
    form.check()
    if form.errors:
        return await _item_page(request, signed, item_id, form=form, status_code=422)
    services = services_of(runtime_of(request))
    try:
        await services.call(
            signed.user, "PATCH", "media", f"/library/{item_id}", json=form.change()
        )
    except ServiceRefused as refused:
        form_error = form.take_refusal(refused)
        return await _item_page(
            request, signed, item_id, form=form, form_error=form_error,
            status_code=refused.status,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        panels = Panels()
        panels.mark("saving", _("Saving"), unavailable)
        return await _item_page(request, signed, item_id, form=form, panels=panels, status_code=503)
    return redirect(f"/media/library/{item_id}?done=saved")


async def stream(request: Request, signed: Signed, service: str, path: str) -> Response:
    """A service's file, streamed to the browser with only the headers that describe it."""
    services = services_of(runtime_of(request))
    upstream = await services.http.send(
        services.http.build_request(
            "GET", services.url(service, path), headers=services.headers(signed.user)
        ),
        stream=True,
    )
    if upstream.status_code != 200:
        await upstream.aclose()
        raise Problem(404, "No such file", _("This file is not available."))
    names = ("content-type", "content-disposition", "content-length", "x-content-sha256",
             "x-content-type-options")  # fmt: skip
    headers = {name: upstream.headers[name] for name in names if name in upstream.headers}
    return StreamingResponse(
        upstream.aiter_raw(), headers=headers, background=BackgroundTask(upstream.aclose)
    )


@router.get("/media/library/{item_id}/thumbnail")
async def thumbnail(request: Request, signed: Staff, item_id: Id) -> Response:
    gate(signed, READERS)
    return await stream(request, signed, "media", f"/library/{item_id}/thumbnail")


@router.get("/media/library/{item_id}/file")
async def file(request: Request, signed: Staff, item_id: Id) -> Response:
    gate(signed, READERS)
    return await stream(request, signed, "media", f"/library/{item_id}/file")
