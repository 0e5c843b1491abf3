"""Media relations in the portal: outlets and journalists (search, a journalist's card with
their consents and record, import from a CSV file with a report line by line, erasure at
the journalist's request), distribution lists with their members, and mailings with each
recipient's delivery.

Every page is the media service's API with a face. Who may do what is the service's
rule, said again here so a page never offers what the service would refuse: every member
of staff reads (`READERS`), the press officers and the head of department change
(`PRESS`); administrators pass every gate. A journalist's email and phone are shown only
to `PRESS`, and the service sends them to no one else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from meria.inputs import Id, Page
from meria.problems import Problem
from services.portal import press_import
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, text
from services.portal.i18n import N_, _
from services.portal.labels import labels
from services.portal.media_pages import MEDIA
from services.portal.panels import Panels
from services.portal.web import CheckedForm, NotAllowed, Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

# The media service's gates (services/media/api.py: Staff and MediaOfficer).
READERS = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
    "admin",
)
PRESS = ("media_officer", "head_of_department", "admin")
PER_PAGE = 25

DELIVERY_STATES = {
    "pending": N_("Waiting to be sent"),
    "deferred": N_("Will be tried again"),
    "sent": N_("Sent"),
    "bounced": N_("Bounced"),
    "failed": N_("Failed"),
    "suppressed": N_("Not sent: the address bounced before, or the journalist was erased"),
    "unsubscribed": N_("Not sent: unsubscribed"),
}
MAILING_KINDS = {
    "release": N_("Press release"),
    "accreditation_badge": N_("Accreditation approved, with the badge"),
    "accreditation_refused": N_("Accreditation refused"),
    "accreditation_reminder": N_("Reminder to the accredited"),
    "response": N_("Answer to an outlet"),
}
RECORD_ACTIONS = {
    "recorded": N_("Recorded"),
    "updated": N_("Details changed"),
    "consent_given": N_("Consent given"),
    "consent_withdrawn": N_("Consent withdrawn"),
    "contacts_erased": N_("Contact details erased"),
    "erased": N_("Erased at their request"),
    "unsubscribed": N_("Unsubscribed from releases"),
    "email_bounced": N_("Address bounced"),
    "accreditation_requested": N_("Asked for accreditation"),
    "accreditation_approved": N_("Accreditation approved"),
    "accreditation_refused": N_("Accreditation refused"),
    "accreditation_reminded": N_("Reminded of the event"),
    "checked_in": N_("Checked in at the door"),
    "enquiry_logged": N_("Enquiry logged"),
}
LIST_KINDS = {"static": N_("Named members"), "rule": N_("By a rule")}
DOCUMENT_TYPES = {"press_release": N_("Press releases"), "announcement": N_("Announcements")}


def gate(signed: Signed, roles: tuple[str, ...]) -> None:
    """The page is for these roles: anyone else gets the portal's 'not allowed' page."""
    if not signed.user.has_any(*roles):
        raise NotAllowed()


def context() -> dict[str, Any]:
    return {
        "media_kinds": labels(MEDIA),
        "delivery_states": labels(DELIVERY_STATES),
        "mailing_kinds": labels(MAILING_KINDS),
        "record_actions": labels(RECORD_ACTIONS),
        "list_kinds": labels(LIST_KINDS),
        "distributed_types": labels(DOCUMENT_TYPES),
        "consent_purposes": labels(press_import.CONSENT_PURPOSES),
        "consent_methods": labels(press_import.CONSENT_METHODS),
        "readers": READERS,
        "press": PRESS,
    }


class Pager:
    """A page of a list the service gives without its total: one more row than shown is
    asked for, so the page knows whether there is a next one."""

    def __init__(
        self, path: str, params: dict[str, Any], page: int, per_page: int = PER_PAGE
    ) -> None:
        self.path, self.params, self.page = path, params, max(page, 1)
        self.per_page = per_page
        self.more = False

    @property
    def query(self) -> dict[str, int]:
        return {"limit": self.per_page + 1, "offset": (self.page - 1) * self.per_page}

    def take(self, found: list[Any]) -> list[Any]:
        self.more = len(found) > self.per_page
        return found[: self.per_page]

    def href(self, page: int) -> str:
        kept = {key: value for key, value in self.params.items() if value not in ("", None)}
        return f"{self.path}?{urlencode({**kept, 'page': page})}"

    @property
    def previous(self) -> str | None:
        return self.href(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.href(self.page + 1) if self.more else None


async def read_page(
    request: Request, signed: Signed, path: str, pager: Pager, params: dict[str, Any]
) -> tuple[list[Any], str | None]:
    """One page of a service's list, or none with the service's refusal to show."""
    services = services_of(runtime_of(request))
    query = {key: value for key, value in params.items() if value not in ("", None)}
    try:
        found = await services.get(signed.user, "media", path, params={**query, **pager.query})
    except ServiceRefused as refused:
        return [], refused.detail or refused.title
    return pager.take(found), None


async def read_one(request: Request, signed: Signed, path: str) -> Any:
    """One thing the page is about; the service's 404 or 403 is the portal's page of it."""
    try:
        return await services_of(runtime_of(request)).get(signed.user, "media", path)
    except ServiceRefused as refused:
        raise Problem(refused.status, refused.title, refused.detail or refused.title) from None


# Outlets.


@router.get("/media/outlets")
async def outlets(
    request: Request, signed: Staff, text: str = "", medium: str = "", page: Page = 1
) -> Response:
    gate(signed, READERS)
    chosen = {"text": text.strip()[:200], "medium": medium if medium in MEDIA else ""}
    pager = Pager("/media/outlets", chosen, page)
    found, error = await read_page(request, signed, "/outlets", pager, chosen)
    return await render(
        request, "media/outlets.html", found=found, chosen=chosen, pager=pager, error=error,
        **context(),
    )  # fmt: skip


# Journalists.


@router.get("/media/journalists")
async def journalists(
    request: Request, signed: Staff, text: str = "", outlet_id: str = "", page: Page = 1
) -> Response:
    gate(signed, READERS)
    chosen = {"text": text.strip()[:200], "outlet_id": outlet_id if outlet_id.isdigit() else ""}
    pager = Pager("/media/journalists", chosen, page)
    found, error = await read_page(request, signed, "/journalists", pager, chosen)
    panels = Panels()
    services = services_of(runtime_of(request))
    all_outlets = await panels.read(
        "outlets", _("Outlets"), services.get(signed.user, "media", "/outlets"), []
    )
    return await render(
        request, "media/journalists.html", found=found, chosen=chosen, pager=pager,
        error=error, outlets=all_outlets, panels=panels, **context(),
    )  # fmt: skip


# Import from a CSV file.


async def _outlet_names(request: Request, signed: Signed) -> dict[str, int]:
    """Every outlet's names (Georgian and English, in lower case) to its id."""
    services = services_of(runtime_of(request))
    names: dict[str, int] = {}
    for offset in range(0, 10_000, 500):
        found = await services.get(
            signed.user, "media", "/outlets", params={"limit": 500, "offset": offset}
        )
        for outlet in found:
            for name in (outlet["name_ka"], outlet["name_en"]):
                if name:
                    names[name.casefold()] = outlet["id"]
        if len(found) < 500:
            break
    return names


async def _import_page(request: Request, status_code: int = 200, **kwargs: Any) -> Response:
    kwargs.setdefault("lines", None)
    return await render(
        request, "media/import.html", status_code=status_code, columns=press_import.COLUMNS,
        **kwargs, **context(),
    )  # fmt: skip


@router.get("/media/journalists/import")
async def import_form(request: Request, signed: Staff) -> Response:
    gate(signed, PRESS)
    return await _import_page(request)


@router.post("/media/journalists/import")
async def import_file(request: Request, signed: Staff, form: CheckedForm) -> Response:
    gate(signed, PRESS)
    upload = form.get("file")
    skip_wrong = form.get("skip_wrong") == "yes"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _import_page(request, 422, file_error=_("Choose the CSV file."))
    try:
        content = press_import.decode(await upload.read(press_import.MAX_BYTES + 1))
        lines = press_import.read(content, await _outlet_names(request, signed))
    except press_import.FileRefused as refused:
        return await _import_page(request, 422, file_error=str(refused))
    good = [line for line in lines if line.entry is not None]
    if not good or (len(good) < len(lines) and not skip_wrong):
        return await _import_page(request, 422, lines=lines, skip_wrong=skip_wrong)
    return await _send_import(request, signed, lines, good, skip_wrong)


async def _send_import(
    request: Request,
    signed: Signed,
    lines: list[press_import.Line],
    good: list[press_import.Line],
    skip_wrong: bool,
) -> Response:
    services = services_of(runtime_of(request))
    body = {"journalists": [line.entry for line in good]}
    try:
        created = await services.post(signed.user, "media", "/journalists/import", json=body)
    except ServiceRefused as refused:
        placed = press_import.lines_of_refusal(lines, refused.body.get("errors") or [])
        form_error = None if placed else (refused.detail or refused.title)
        return await _import_page(
            request, refused.status, lines=lines, skip_wrong=skip_wrong, form_error=form_error
        )
    except ServiceUnavailable as unavailable:
        panels = Panels()
        panels.mark("importing", _("The import"), unavailable)
        return await _import_page(request, 503, lines=lines, skip_wrong=skip_wrong, panels=panels)
    return await _import_page(
        request, 201, lines=lines, skip_wrong=skip_wrong, created=created["created"],
        flashes=[_("The journalists are recorded.")],
    )  # fmt: skip


DONE = {
    "imported": N_("The journalists are recorded."),
    "erased": N_("The journalist is erased: nothing of them is kept but the record's dates."),
}


@router.get("/media/journalists/{journalist_id}")
async def journalist(
    request: Request, signed: Staff, journalist_id: Id, page: Page = 1, done: str = ""
) -> Response:
    gate(signed, READERS)
    found = await read_one(request, signed, f"/journalists/{journalist_id}")
    pager = Pager(f"/media/journalists/{journalist_id}", {}, page)
    record, error = await read_page(
        request, signed, f"/journalists/{journalist_id}/record", pager, {}
    )
    return await render(
        request, "media/journalist.html", journalist=found, record=record, pager=pager,
        error=error, flashes=[_(DONE[done])] if done in DONE else [], **context(),
    )  # fmt: skip


class ErasureForm(KeptForm):
    def check(self) -> None:
        if len(self.get("reason")) < 3:
            self.errors["reason"] = _("Say why: the journalist's request, and when it came.")
        if self.get("confirm") != "yes":
            self.errors["confirm"] = _("Confirm that the journalist is to be erased.")


async def _erase_page(
    request: Request, signed: Signed, journalist_id: int, form: ErasureForm, **kwargs: Any
) -> Response:
    found = await read_one(request, signed, f"/journalists/{journalist_id}")
    status = kwargs.pop("status_code", 200)
    return await render(
        request, "media/erase.html", status_code=status, journalist=found, form=form,
        **kwargs, **context(),
    )  # fmt: skip


@router.get("/media/journalists/{journalist_id}/erase")
async def erase_form(request: Request, signed: Staff, journalist_id: Id) -> Response:
    gate(signed, PRESS)
    return await _erase_page(request, signed, journalist_id, ErasureForm())


@router.post("/media/journalists/{journalist_id}/erase")
async def erase(request: Request, signed: Staff, journalist_id: Id) -> Response:
    gate(signed, PRESS)
    sent = await request.form()
    form = ErasureForm({"reason": text(sent, "reason"), "confirm": text(sent, "confirm")})
    form.check()
    if form.errors:
        return await _erase_page(request, signed, journalist_id, form, status_code=422)
    services = services_of(runtime_of(request))
    path = f"/journalists/{journalist_id}/erase"
    try:
        await services.post(signed.user, "media", path, json={"reason": form.get("reason")})
    except ServiceRefused as refused:
        form_error = form.take_refusal(refused)
        return await _erase_page(
            request, signed, journalist_id, form, status_code=refused.status,
            form_error=form_error,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        panels = Panels()
        panels.mark("erasing", _("Erasing"), unavailable)
        return await _erase_page(
            request, signed, journalist_id, form, status_code=503, panels=panels
        )
    return redirect(f"/media/journalists/{journalist_id}?done=erased")


# Distribution lists.


@router.get("/media/lists")
async def distribution_lists(request: Request, signed: Staff, page: Page = 1) -> Response:
    gate(signed, READERS)
    pager = Pager("/media/lists", {}, page)
    found, error = await read_page(request, signed, "/distribution-lists", pager, {})
    return await render(
        request, "media/lists.html", found=found, pager=pager, error=error, **context()
    )


@router.get("/media/lists/{list_id}")
async def distribution_list(
    request: Request, signed: Staff, list_id: Id, reached: str = "", page: Page = 1
) -> Response:
    gate(signed, READERS)
    found = await read_one(request, signed, f"/distribution-lists/{list_id}")
    chosen = {"reached": "yes" if reached == "yes" else ""}
    pager = Pager(f"/media/lists/{list_id}", chosen, page)
    path = f"/distribution-lists/{list_id}/{'recipients' if chosen['reached'] else 'members'}"
    members, error = await read_page(request, signed, path, pager, {})
    outlet_names = await _rule_outlets(request, signed, found["rule"]["outlet_ids"])
    return await render(
        request, "media/list.html", found=found, members=members, chosen=chosen, pager=pager,
        error=error, outlet_names=outlet_names, **context(),
    )  # fmt: skip


async def _rule_outlets(request: Request, signed: Signed, outlet_ids: list[int]) -> list[str]:
    """The names of the outlets a rule names (the first twenty; the rest are counted)."""
    services = services_of(runtime_of(request))
    names = []
    for outlet_id in outlet_ids[:20]:
        try:
            outlet = await services.get(signed.user, "media", f"/outlets/{outlet_id}")
        except ServiceRefused:
            continue
        names.append(outlet["name_ka"])
    if len(outlet_ids) > 20:
        names.append(_("and %(count)d more") % {"count": len(outlet_ids) - 20})
    return names


# Mailings.


@router.get("/media/mailings")
async def mailings(request: Request, signed: Staff, kind: str = "", page: Page = 1) -> Response:
    gate(signed, READERS)
    chosen = {"kind": kind if kind in MAILING_KINDS else ""}
    pager = Pager("/media/mailings", chosen, page)
    found, error = await read_page(request, signed, "/mailings", pager, chosen)
    return await render(
        request, "media/mailings.html", found=found, chosen=chosen, pager=pager, error=error,
        **context(),
    )  # fmt: skip


@router.get("/media/mailings/{mailing_id}")
async def mailing(
    request: Request, signed: Staff, mailing_id: Id, status: str = "", page: Page = 1
) -> Response:
    gate(signed, READERS)
    found = await read_one(request, signed, f"/mailings/{mailing_id}")
    chosen = {"status": status if status in DELIVERY_STATES else ""}
    pager = Pager(f"/media/mailings/{mailing_id}", chosen, page)
    path = f"/mailings/{mailing_id}/deliveries"
    deliveries, error = await read_page(request, signed, path, pager, chosen)
    return await render(
        request, "media/mailing.html", mailing=found, deliveries=deliveries, chosen=chosen,
        pager=pager, error=error, **context(),
    )  # fmt: skip
