"""Photos from the media library, and a recording, chosen for a news item, a press release
or an announcement (the document form) and for an event's gallery.

The chosen photos are rows of the form itself: each with its thumbnail, the alt text in
Georgian (required) and English, its place in the order and a box to remove it; beside
them the recording's address. Nothing is kept in the portal: the rows go to publishing
(`photos`, `video_url` of the edition) or to events (`PUT /events/{id}/pictures`) with the
person's own token, and a refusal comes back beside its row with everything typed kept.

Photos are added from the library's own page of photos, searched and paged there: the
form is saved first (nothing typed is lost on the way), the person ticks photos, and the
form opens again with them as new rows (`?add=12&add=15`) for their alt text. Only a
photo the library says may be public (its licence and the consent of the people in it,
as the media service judges them) can be ticked; any other is shown, disabled, with the
reason, and one that stopped qualifying since it was chosen is refused on saving.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meria.inputs import Id, Page
from meria.pictures import MAX_PHOTOS, allowed_video
from meria.problems import Problem
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, text
from services.portal.i18n import _
from services.portal.library_pages import CONSENTS, LICENCES
from services.portal.library_pages import context as library_context
from services.portal.panels import Panels
from services.portal.press_pages import Pager, gate
from services.portal.web import CheckedForm, Staff, redirect, render, runtime_of, settings_of

router = APIRouter(include_in_schema=False)

PER_PAGE = 24
# Who chooses: publishing's editors for documents, events' planners for a gallery.
DOCUMENT_CHOOSERS = ("editor",)
EVENT_CHOOSERS = ("protocol_officer", "media_officer", "head_of_department", "editor")
ROW_FIELDS = ("item_id", "alt_ka", "alt_en", "caption_ka", "caption_en", "credit")
# The media service's public licences and consents (services/media/renditions.py): any
# other is named as the reason a photo may not be chosen.
PUBLIC_LICENCES = ("all_rights_reserved", "cc_by_4.0", "cc_by_sa_4.0", "cc0")
PUBLIC_CONSENTS = ("not_needed", "obtained", "public_event")


def key(number: int, name: str) -> str:
    return f"photo-{number}-{name}"


def rows_of(form: KeptForm) -> list[dict[str, str]]:
    """The photo rows the form holds, in their order."""
    found = []
    for number in range(MAX_PHOTOS):
        if not form.get(key(number, "item_id")):
            break
        found.append({name: form.get(key(number, name)) for name in ROW_FIELDS})
    return found


def _with_rows(values: dict[str, str], rows: list[dict[str, str]]) -> dict[str, str]:
    kept = {name: value for name, value in values.items() if not name.startswith("photo-")}
    for number, row in enumerate(rows[:MAX_PHOTOS]):
        kept |= {key(number, name): row.get(name) or "" for name in ROW_FIELDS}
    return kept


def values_from_form(form: Any) -> dict[str, str]:
    """The rows as typed, the removed ones left out and the rest in the order asked for
    (a row whose place is not a number keeps its own); and the recording's address."""
    rows: list[tuple[float, int, dict[str, str]]] = []
    for number in range(MAX_PHOTOS):
        item_id = text(form, key(number, "item_id"))
        if not item_id.isdigit():
            continue
        if text(form, key(number, "remove")):
            continue
        place = text(form, key(number, "order"))
        rank = float(place) if place.isdigit() else number + 1.0
        row = {name: text(form, key(number, name)) for name in ROW_FIELDS}
        rows.append((rank, number, row))
    ordered = [row for _, _, row in sorted(rows, key=lambda found: (found[0], found[1]))]
    return _with_rows({"video_url": text(form, "video_url")}, ordered)


def values_from_choice(photos: list[dict[str, Any]], video_url: str | None) -> dict[str, str]:
    """The rows of what the service holds (an edition's or an event's)."""
    rows = [{name: str(photo.get(name) or "") for name in ROW_FIELDS} for photo in photos]
    return _with_rows({"video_url": video_url or ""}, rows)


def add_rows(form: KeptForm, item_ids: list[str]) -> None:
    """Photos ticked in the library, as new rows after the others, each once."""
    rows = rows_of(form)
    held = {row["item_id"] for row in rows}
    for item_id in item_ids:
        if item_id.isdigit() and item_id not in held and len(rows) < MAX_PHOTOS:
            rows.append({"item_id": item_id})
            held.add(item_id)
    form.values = _with_rows(form.values, rows)


def choice(form: KeptForm) -> dict[str, Any]:
    """The body the services take: the photos, the whole list, and the recording."""
    photos = [
        {
            "item_id": int(row["item_id"]),
            "alt_ka": row["alt_ka"],
            "alt_en": row["alt_en"] or None,
            "caption_ka": row["caption_ka"] or None,
            "caption_en": row["caption_en"] or None,
            "credit": row["credit"] or None,
        }
        for row in rows_of(form)
    ]
    return {"photos": photos, "video_url": form.get("video_url") or None}


def reasons(item: dict[str, Any]) -> list[str]:
    """Why a library item may not be shown to the public; empty if it may."""
    if item.get("public"):
        return []
    found = []
    if item["kind"] != "photo":
        found.append(_("Only photos are chosen here."))
    if item["licence"] not in PUBLIC_LICENCES:
        licence = _(LICENCES[item["licence"]]) if item["licence"] in LICENCES else item["licence"]
        found.append(_("Its licence does not allow publication: %(licence)s.") % {
            "licence": licence})  # fmt: skip
    if item["consent"] not in PUBLIC_CONSENTS:
        consent = _(CONSENTS[item["consent"]]) if item["consent"] in CONSENTS else item["consent"]
        found.append(_("The people shown have not consented: %(consent)s.") % {
            "consent": consent})  # fmt: skip
    return found or [_("The library does not allow it to be public.")]


async def items_of(request: Request, signed: Signed, form: KeptForm) -> dict[str, Any]:
    """The library's items behind the rows, by id, asked at once; a missing one as None."""
    services = services_of(runtime_of(request))
    ids = [row["item_id"] for row in rows_of(form)]

    async def one(item_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = await services.get(signed.user, "media", f"/library/{item_id}")
            return found
        except ServiceRefused:
            return None

    return dict(zip(ids, await asyncio.gather(*(one(item_id) for item_id in ids)), strict=True))


async def check(request: Request, signed: Signed, form: KeptForm) -> None:
    """Each row with its Georgian alt text and a photo the library lets be public, and the
    recording from an allowed host: said beside the row or field, before any service
    is asked to change anything."""
    items = await items_of(request, signed, form)
    for number, row in enumerate(rows_of(form)):
        item = items.get(row["item_id"])
        if item is None:
            form.errors[key(number, "alt_ka")] = _("This photo is no longer in the library.")
        elif reasons(item):
            form.errors[key(number, "alt_ka")] = " ".join(reasons(item))
        elif not row["alt_ka"]:
            form.errors[key(number, "alt_ka")] = _(
                "Say in Georgian what the photo shows, for readers who cannot see it."
            )
    check_video(request, form)


def check_video(request: Request, form: KeptForm) -> None:
    """The recording from a host the services allow, by their own rule."""
    try:
        allowed_video(form.get("video_url"), settings_of(request).video_hosts)
    except Problem:
        form.errors["video_url"] = video_refusal(request)


def video_refusal(request: Request) -> str:
    hosts = ", ".join(sorted(settings_of(request).video_hosts))
    return _("A recording is embedded only over HTTPS from %(hosts)s.") % {"hosts": hosts}


def take_refusal(request: Request, form: KeptForm) -> None:
    """The service's word on the photos or the recording, in the reader's language."""
    if "video_url" in form.errors:
        form.errors["video_url"] = video_refusal(request)
    if "photos" in form.errors:
        form.errors["photos"] = _(
            "The photos were refused: each needs its alt text in Georgian, at most %(count)d."
        ) % {"count": MAX_PHOTOS}


async def chooser_context(request: Request, signed: Signed, form: KeptForm) -> dict[str, Any]:
    """What the form's part needs: the rows' library items and the hosts allowed. With
    the library away the form still opens, its rows named by their numbers."""
    try:
        items = await items_of(request, signed, form)
    except ServiceUnavailable:
        items = {}
    return {
        "photo_rows": rows_of(form),
        "photo_items": items,
        "photo_reasons": reasons,
        "video_hosts": sorted(settings_of(request).video_hosts),
        "photo_key": key,
    }


# The library's photos to tick.


async def library_page(
    request: Request, signed: Signed, back: str, title: str, held: set[str], words: str, page: int
) -> Response:
    """The library's photos, found by words and paged, each with a box to tick unless the
    library keeps it from the public (then the reason); the ticked ones go back to the
    form (`back`) as new rows. Paging and finding are buttons of the same form, so what
    is ticked on one page stays ticked on the next."""
    chosen = {"text": words.strip()[:200]}
    pager = Pager(request.url.path, chosen, page, PER_PAGE)
    params = {"kind": "photo", **{k: v for k, v in chosen.items() if v}, **pager.query}
    ticked = [value for value in request.query_params.getlist("add") if value.isdigit()]
    panels = Panels()
    found: list[dict[str, Any]] = []
    try:
        found = pager.take(
            await services_of(runtime_of(request)).get(
                signed.user, "media", "/library", params=params
            )
        )
    except ServiceUnavailable as unavailable:
        panels.mark("library", _("The library"), unavailable)
    shown = {str(item["id"]) for item in found}
    return await render(
        request, "media/library_pick.html", found=found, chosen=chosen, pager=pager,
        back=back, for_title=title, held=held, photo_reasons=reasons, panels=panels,
        ticked=ticked[:MAX_PHOTOS], ticked_elsewhere=[t for t in ticked if t not in shown],
        **library_context(),
    )  # fmt: skip


@router.get("/documents/{document_id}/photos")
async def document_library(
    request: Request, signed: Staff, document_id: Id, text: str = "", page: Page = 1
) -> Response:
    """Editors: the library's photos to tick for the document's edition in progress."""
    gate(signed, DOCUMENT_CHOOSERS)
    services = services_of(runtime_of(request))
    # A refusal (no such document) is the portal's Georgian "not found" page (app.py).
    document = await services.get(signed.user, "publishing", f"/documents/{document_id}")
    held = {str(photo["item_id"]) for photo in document["current"].get("photos") or []}
    back = f"/documents/{document_id}/edit"
    title = document["current"]["title_ka"]
    return await library_page(request, signed, back, title, held, text, page)


@router.get("/events/{event_id}/photos")
async def event_library(
    request: Request, signed: Staff, event_id: Id, text: str = "", page: Page = 1
) -> Response:
    """Planners: the library's photos to tick for the event's gallery."""
    gate(signed, EVENT_CHOOSERS)
    event = await services_of(runtime_of(request)).get(signed.user, "events", f"/events/{event_id}")
    held = {str(photo["item_id"]) for photo in event.get("photos") or []}
    back = f"/events/{event_id}/gallery"
    return await library_page(request, signed, back, event["title_ka"], held, text, page)


# An event's gallery and recording.


async def gallery_page(
    request: Request,
    signed: Signed,
    event: dict[str, Any],
    form: KeptForm,
    *,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return await render(
        request, "events/gallery.html", status_code=status_code, event=event, form=form,
        message=message, done=request.query_params.get("done", ""),
        **await chooser_context(request, signed, form),
    )  # fmt: skip


@router.get("/events/{event_id}/gallery")
async def gallery(request: Request, signed: Staff, event_id: Id) -> Response:
    """Planners: the event's photos and recording, with the photos just ticked added."""
    gate(signed, EVENT_CHOOSERS)
    event = await services_of(runtime_of(request)).get(signed.user, "events", f"/events/{event_id}")
    form = KeptForm(values_from_choice(event.get("photos") or [], event.get("video_url")))
    add_rows(form, request.query_params.getlist("add"))
    return await gallery_page(request, signed, event, form)


@router.post("/events/{event_id}/gallery")
async def save_gallery(
    request: Request, signed: Staff, event_id: Id, submitted: CheckedForm
) -> Response:
    """Planners: the gallery and recording saved through events, the whole list at once;
    "add photos" saves first, then opens the library."""
    gate(signed, EVENT_CHOOSERS)
    services = services_of(runtime_of(request))
    event = await services.get(signed.user, "events", f"/events/{event_id}")
    form = KeptForm(values_from_form(submitted))
    await check(request, signed, form)
    if form.errors:
        return await gallery_page(request, signed, event, form, status_code=422,
                                  message=_("Some fields need attention."))  # fmt: skip
    try:
        await services.call(
            signed.user, "PUT", "events", f"/events/{event_id}/pictures", json=choice(form)
        )
    except ServiceRefused as refused:
        message = form.take_refusal(refused)
        take_refusal(request, form)
        return await gallery_page(
            request, signed, event, form, status_code=refused.status,
            message=message or _("Some fields need attention."),
        )  # fmt: skip
    if str(submitted.get("action") or "") == "library":
        return redirect(f"/events/{event_id}/photos")
    return redirect(f"/events/{event_id}/gallery?done=saved")
