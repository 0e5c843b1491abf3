"""Accreditation in the portal: the requests of an event's journalists, approving or refusing
each with the reason the journalist is told, the badge, and the door's check-in page.

The check-in page is a form with one field, the badge's code: the person at the door types
it, or, where the browser has a camera and the BarcodeDetector API, the page reads the
badge's QR code and sends the same form (static/portal.js). The media service admits
every member of staff at the door and the press officers and the head of department to
decide (`services.portal.press_pages.READERS` and `PRESS`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meria.inputs import Id, Page
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, text
from services.portal.i18n import N_, _
from services.portal.labels import labels
from services.portal.panels import Panels
from services.portal.press_pages import PRESS, READERS, Pager, context, gate, read_one, read_page
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

STATES = {
    "requested": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
}
ROLES = {
    "journalist": N_("Journalist"),
    "photographer": N_("Photographer"),
    "camera_operator": N_("Camera operator"),
    "technician": N_("Technician"),
}
SOURCES = {"staff": N_("Recorded by staff"), "public_form": N_("The public form")}
DONE = {
    "approved": N_("Approved: the journalist is emailed the badge."),
    "refused": N_("Refused: the journalist is emailed the reason."),
}


def typed_code(code: str | None) -> str:
    """The badge's code as printed under its QR code (what the door types)."""
    token = (code or "").split(":", 1)[-1]
    return " ".join(token[at : at + 4] for at in range(0, len(token), 4))


def _context() -> dict[str, Any]:
    return {
        **context(),
        "typed_code": typed_code,
        "accreditation_states": labels(STATES),
        "accreditation_roles": labels(ROLES),
        "sources": labels(SOURCES),
    }


@router.get("/media/accreditations")
async def accreditations(
    request: Request, signed: Staff, status: str = "", event_id: str = "", page: Page = 1
) -> Response:
    gate(signed, READERS)
    chosen = {
        "status": status if status in STATES else "",
        "event_id": event_id if event_id.isdigit() else "",
    }
    pager = Pager("/media/accreditations", chosen, page)
    found, error = await read_page(request, signed, "/accreditations", pager, chosen)
    panels = Panels()
    services = services_of(runtime_of(request))
    windows = await panels.read(
        "windows",
        _("Events"),
        services.get(signed.user, "media", "/accreditation-windows", params={"limit": 100}),
        [],
    )
    return await render(
        request, "media/accreditations.html", found=found, chosen=chosen, pager=pager,
        error=error, windows=windows, panels=panels, **_context(),
    )  # fmt: skip


async def _page(
    request: Request,
    signed: Signed,
    accreditation_id: int,
    *,
    status_code: int = 200,
    form: KeptForm | None = None,
    **kwargs: Any,
) -> Response:
    found = await read_one(request, signed, f"/accreditations/{accreditation_id}")
    return await render(
        request, "media/accreditation.html", status_code=status_code, accreditation=found,
        form=form or KeptForm(), may_decide=signed.user.has_any(*PRESS), **kwargs, **_context(),
    )  # fmt: skip


@router.get("/media/accreditations/{accreditation_id}")
async def accreditation(
    request: Request, signed: Staff, accreditation_id: Id, done: str = ""
) -> Response:
    gate(signed, READERS)
    flashes = [_(DONE[done])] if done in DONE else []
    return await _page(request, signed, accreditation_id, flashes=flashes)


@router.post("/media/accreditations/{accreditation_id}/approve")
async def approve(request: Request, signed: Staff, accreditation_id: Id) -> Response:
    gate(signed, PRESS)
    return await _decide(request, signed, accreditation_id, "approve", None)


@router.post("/media/accreditations/{accreditation_id}/refuse")
async def refuse(request: Request, signed: Staff, accreditation_id: Id) -> Response:
    gate(signed, PRESS)
    form = KeptForm({"reason": text(await request.form(), "reason")})
    if len(form.get("reason")) < 3:
        form.errors["reason"] = _("Say why: the journalist is told the reason.")
        return await _page(request, signed, accreditation_id, status_code=422, form=form)
    return await _decide(request, signed, accreditation_id, "refuse", form)


async def _decide(
    request: Request, signed: Signed, accreditation_id: int, verb: str, form: KeptForm | None
) -> Response:
    services = services_of(runtime_of(request))
    body = {"reason": form.get("reason")} if form else None
    path = f"/accreditations/{accreditation_id}/{verb}"
    form = form or KeptForm()
    try:
        await services.post(signed.user, "media", path, json=body)
    except ServiceRefused as refused:
        form_error = form.take_refusal(refused)
        return await _page(
            request, signed, accreditation_id, status_code=refused.status, form=form,
            form_error=form_error,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        panels = Panels()
        panels.mark("deciding", _("Your decision"), unavailable)
        return await _page(
            request, signed, accreditation_id, status_code=503, form=form, panels=panels
        )
    done = "approved" if verb == "approve" else "refused"
    return redirect(f"/media/accreditations/{accreditation_id}?done={done}")


@router.get("/media/accreditations/{accreditation_id}/badge.pdf")
async def badge(request: Request, signed: Staff, accreditation_id: Id) -> Response:
    """The badge from the media service, read with the person's own token."""
    gate(signed, READERS)
    services = services_of(runtime_of(request))
    found = await services.http.get(
        services.url("media", f"/accreditations/{accreditation_id}/badge.pdf"),
        headers=services.headers(signed.user),
        timeout=services.timeout("POST"),
    )
    if found.status_code != 200 or found.headers.get("content-type") != "application/pdf":
        return await _page(
            request, signed, accreditation_id, status_code=409 if found.status_code == 409 else 404,
            form_error=_("The badge is not available: only an approved accreditation has one."),
        )  # fmt: skip
    return Response(
        found.content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="badge-{accreditation_id}.pdf"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# The door.


@router.get("/media/check-in")
async def check_in_page(request: Request, signed: Staff) -> Response:
    gate(signed, READERS)
    return await render(request, "media/check_in.html", form=KeptForm(), **_context())


@router.post("/media/check-in")
async def check_in(request: Request, signed: Staff) -> Response:
    gate(signed, READERS)
    form = KeptForm({"code": text(await request.form(), "code")})
    if len(form.get("code")) < 8:
        form.errors["code"] = _("Type the code printed under the badge's QR code.")
        return await render(
            request, "media/check_in.html", status_code=422, form=form, **_context()
        )
    services = services_of(runtime_of(request))
    try:
        result = await services.post(
            signed.user, "media", "/check-ins", json={"code": form.get("code")}
        )
    except ServiceRefused as refused:
        form.errors["code"] = _check_in_refusal(refused)
        return await render(
            request, "media/check_in.html", status_code=refused.status, form=form, **_context()
        )
    except ServiceUnavailable as unavailable:
        panels = Panels()
        panels.mark("check_in", _("Checking in"), unavailable)
        return await render(
            request, "media/check_in.html", status_code=503, form=form, panels=panels,
            **_context(),
        )  # fmt: skip
    return await render(
        request, "media/check_in.html", form=KeptForm(), result=result, **_context()
    )


def _check_in_refusal(refused: ServiceRefused) -> str:
    """The door's words for the service's refusal: no such badge, or not approved."""
    if refused.status == 404:
        return _("No accreditation carries this code. Check it and type it again.")
    if refused.status == 409:
        return _("This accreditation is not approved: the journalist may not enter with it.")
    return refused.field_errors.get("code") or refused.detail or refused.title
