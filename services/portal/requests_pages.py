"""The information desk in the portal: requests of the municipal council and of the mayor's
office services to find and select information.

Whoever asks (the `requester` role, or any staff member) fills in the form — their unit,
what they need, where to look, by when — and follows the request on its page, where the
answer and its files appear once the department sends it (or the reason it cannot). The
department (media officers, the head of department) finds the request in "My tasks", sees
the earlier answers that share its words, writes the answer, attaches files and sends
it, or declines with the reason. Every page is the media service's API with a face.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from meria.inputs import Id
from services.portal.accounts import Signed, display_names
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, lines, local_input, tbilisi, text, values_of
from services.portal.i18n import N_, TBILISI, _
from services.portal.labels import labels
from services.portal.panels import Panels, pending_work
from services.portal.web import CheckedForm, Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

DESK = ("media_officer", "head_of_department")
REQUEST_STATES = {
    "open": N_("Waiting for the answer"),
    "answered": N_("Answered"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}
HISTORY = {
    "received": N_("received the request"),
    "answer_drafted": N_("wrote the answer"),
    "file_added": N_("attached a file"),
    "file_removed": N_("took a file off"),
    "reminder": N_("reminder: the deadline is near"),
    "overdue": N_("the deadline passed"),
    "answered": N_("sent the answer"),
    "declined": N_("declined the request"),
    "withdrawn": N_("withdrew the request"),
}
FIELDS = ("requester_unit", "title", "question", "sources", "needed_by")


class RequestForm(KeptForm):
    @classmethod
    def from_form(cls, form: Any) -> RequestForm:
        return cls(values_of(form, FIELDS))

    def check(self) -> None:
        if len(self.get("requester_unit")) < 2:
            self.errors["requester_unit"] = _("Name the council's office or service that asks.")
        if len(self.get("title")) < 3:
            self.errors["title"] = _("Give the request a short title.")
        if len(self.get("question")) < 10:
            self.errors["question"] = _("Say what information is needed.")
        try:
            needed_by = tbilisi(self.get("needed_by"))
        except ValueError:
            self.errors["needed_by"] = _("Give the date and time as the calendar shows it.")
        else:
            if needed_by <= datetime.now(UTC):
                self.errors["needed_by"] = _("The deadline has to be in the future.")

    def creation(self) -> dict[str, Any]:
        return {
            "requester_unit": self.get("requester_unit"),
            "title": self.get("title"),
            "question": self.get("question"),
            "sources": lines(self.get("sources")),
            "needed_by": tbilisi(self.get("needed_by")).isoformat(),
        }


def is_desk(signed: Signed) -> bool:
    return signed.user.has_any(*DESK)


async def form_page(
    request: Request,
    form: RequestForm,
    *,
    message: str = "",
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Sending the request"), unavailable)
    return await render(
        request, "requests/request_form.html", status_code=status_code, form=form,
        message=message, panels=panels,
    )  # fmt: skip


@router.get("/requests")
async def requests_page(
    request: Request, signed: Staff, status: str = "", text: str = ""
) -> Response:
    params: dict[str, Any] = {"limit": 100}
    if status in REQUEST_STATES:
        params["status"] = status
    if text.strip():
        params["text"] = text.strip()[:200]
    panels = Panels()
    found = await panels.read(
        "requests", _("Requests"),
        services_of(runtime_of(request)).get(
            signed.user, "media", "/information-requests", params=params
        ),
        {"items": [], "total": 0},
    )  # fmt: skip
    return await render(
        request,
        "requests/requests.html",
        panels=panels,
        requests=found["items"],
        total=found["total"],
        chosen={"status": params.get("status", ""), "text": text},
        request_states=labels(REQUEST_STATES),
        desk=is_desk(signed),
        now=datetime.now(UTC),
    )


@router.get("/requests/new")
async def new_request(request: Request, signed: Staff) -> Response:
    soon = datetime.now(TBILISI).replace(hour=18, minute=0, second=0, microsecond=0)
    return await form_page(
        request, RequestForm({"needed_by": local_input(soon + timedelta(days=5))})
    )


@router.post("/requests/new")
async def ask(request: Request, signed: Staff) -> Response:
    form = RequestForm.from_form(await request.form())
    form.check()
    if form.errors:
        return await form_page(
            request, form, message=_("Some fields need attention."), status_code=422
        )
    try:
        created = await services_of(runtime_of(request)).post(
            signed.user, "media", "/information-requests", json=form.creation()
        )
    except ServiceRefused as refused:
        message = form.take_refusal(refused) or _("Some fields need attention.")
        return await form_page(request, form, message=message, status_code=refused.status)
    except ServiceUnavailable as unavailable:
        # Sent again, the form carries the same submission: the request is made once.
        return await form_page(request, form, status_code=503, unavailable=unavailable)
    return redirect(f"/requests/{created['id']}?done=asked")


async def request_page(
    request: Request,
    signed: Signed,
    request_id: int,
    *,
    form_error: str = "",
    answer: str | None = None,
    status_code: int = 200,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    runtime = runtime_of(request)
    services = services_of(runtime)
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Your change"), unavailable)
    found, pending = await asyncio.gather(
        services.get(signed.user, "media", f"/information-requests/{request_id}"),
        pending_work(runtime, f"information-request-{request_id}"),
    )
    async with runtime_of(request).db().session() as session:
        people = await display_names(
            session,
            {found["requester"], found.get("answered_by") or ""}
            | {entry["actor"] for entry in found["history"]},
        )
    return await render(
        request,
        "requests/request.html",
        status_code=status_code,
        info=found,
        answer=found.get("answer_text") or "" if answer is None else answer,
        people=people,
        desk=is_desk(signed),
        mine=found["requester"] == signed.user.id,
        form_error=form_error,
        panels=panels,
        pending=pending,
        done=still_true(request.query_params.get("done", ""), found["status"]),
        request_states=labels(REQUEST_STATES),
        history_words=labels(HISTORY),
        now=datetime.now(UTC),
    )


# What a page's "done" message says holds only in these states: the address of "the request
# is sent" stays in the requester's browser after the department has answered it.
STILL_TRUE = {
    "asked": {"open"},
    "saved": {"open"},
    "attached": {"open"},
    "removed": {"open"},
    "sent": {"answered"},
    "declined": {"declined"},
    "withdrawn": {"withdrawn"},
}


def still_true(done: str, status: str) -> str:
    """The message of what was just done, while the request is still where it left it."""
    return done if status in STILL_TRUE.get(done, ()) else ""


@router.get("/requests/{request_id}")
async def show_request(request: Request, signed: Staff, request_id: Id) -> Response:
    return await request_page(request, signed, request_id)


async def _act(
    request: Request,
    signed: Signed,
    request_id: int,
    method: str,
    path: str,
    done: str,
    *,
    answer: str | None = None,
    **kwargs: Any,
) -> Response:
    try:
        await services_of(runtime_of(request)).call(
            signed.user, method, "media", f"/information-requests/{request_id}{path}", **kwargs
        )
    except ServiceRefused as refused:
        named = refused.field_errors
        detail = "; ".join(named.values()) if named else (refused.detail or refused.title)
        return await request_page(
            request, signed, request_id, form_error=detail, answer=answer,
            status_code=refused.status,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        return await request_page(
            request, signed, request_id, answer=answer, status_code=503, unavailable=unavailable
        )
    return redirect(f"/requests/{request_id}?done={done}")


@router.post("/requests/{request_id}/answer")
async def write_answer(request: Request, signed: Staff, request_id: Id) -> Response:
    """Save the answer's text; with "send", send it to the requester."""
    form = await request.form()
    written = text(form, "answer")
    if not written:
        return await request_page(
            request, signed, request_id, status_code=422,
            form_error=_("Write the answer before saving or sending it."),
        )  # fmt: skip
    saved = await _act(
        request, signed, request_id, "PUT", "/answer", "saved", answer=written,
        json={"text": written},
    )  # fmt: skip
    if saved.status_code >= 400 or form.get("action") != "send":
        return saved
    sent = await _act(request, signed, request_id, "POST", "/send", "sent", answer=written)
    if sent.status_code < 400:
        await _settle(request, signed, request_id)
    return sent


@router.post("/requests/{request_id}/files")
async def attach(request: Request, signed: Staff, request_id: Id, form: CheckedForm) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await request_page(
            request, signed, request_id, status_code=422, form_error=_("Choose a file to attach.")
        )
    content = await upload.read()
    return await _act(
        request, signed, request_id, "POST", "/files", "attached",
        files={"file": (upload.filename, content, upload.content_type or "")},
    )  # fmt: skip


@router.post("/requests/{request_id}/files/{file_id}/remove")
async def remove_file(request: Request, signed: Staff, request_id: Id, file_id: Id) -> Response:
    return await _act(request, signed, request_id, "DELETE", f"/files/{file_id}", "removed")


@router.get("/requests/{request_id}/files/{file_id}")
async def download(request: Request, signed: Staff, request_id: Id, file_id: Id) -> Response:
    services = services_of(runtime_of(request))
    found = await services.http.get(
        services.url("media", f"/information-requests/{request_id}/files/{file_id}"),
        headers=services.headers(signed.user),
    )
    if found.status_code != 200:
        return await request_page(
            request, signed, request_id, status_code=404,
            form_error=_("That file is not available."),
        )  # fmt: skip
    disposition = found.headers.get("content-disposition", "")
    filename = disposition.split("filename*=UTF-8''")[-1] if "filename*=" in disposition else ""
    return Response(
        found.content,
        media_type=found.headers.get("content-type", "application/octet-stream"),
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{filename or quote('file')}",
            "X-Content-SHA256": found.headers.get("x-content-sha256", ""),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/requests/{request_id}/decline")
async def decline(request: Request, signed: Staff, request_id: Id) -> Response:
    refusal = _("Say why the request cannot be answered: the requester is told.")
    return await _close(request, signed, request_id, "decline", "declined", refusal)


@router.post("/requests/{request_id}/withdraw")
async def withdraw(request: Request, signed: Staff, request_id: Id) -> Response:
    refusal = _("Say why the information is no longer needed.")
    return await _close(request, signed, request_id, "withdraw", "withdrawn", refusal)


async def _close(
    request: Request, signed: Signed, request_id: int, verb: str, done: str, refusal: str
) -> Response:
    """Decline or withdraw, with the reason the other side is told."""
    reason = text(await request.form(), "reason")
    if len(reason) < 3:
        return await request_page(request, signed, request_id, status_code=422, form_error=refusal)
    closed = await _act(
        request, signed, request_id, "POST", f"/{verb}", done, json={"reason": reason}
    )
    if closed.status_code < 400:
        await _settle(request, signed, request_id)
    return closed


async def _settle(request: Request, signed: Signed, request_id: int) -> None:
    await services_of(runtime_of(request)).settle(
        signed.user, "media", f"/information-requests/{request_id}",
        lambda found: found["status"] != "open",
    )  # fmt: skip
