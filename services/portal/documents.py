"""Documents in the portal: the list, the form that writes one and submits it for approval,
a new edition of a published one, and the live preview of its text.

The form is the publishing service's API with a face: the draft is created or changed
through `POST/PATCH /documents`, files through `/attachments`, and submission through
`/submit` (or `/resubmit` after requested changes), which starts the approval workflow.
A refused form comes back with everything typed still in it and each message beside its
field.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile

from meria.inputs import Id, Page
from meria.markup import under_heading
from meria.problems import Problem
from services.portal import act_form, acts, page_keeping, photo_chooser, site_pages
from services.portal.accounts import Signed, display_names
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, values_of
from services.portal.i18n import TBILISI, _
from services.portal.labels import ACT_CHANGES, DOCUMENT_TYPES, STATES, labels
from services.portal.panels import Panels, pending_work
from services.portal.texts import to_html, to_markdown
from services.portal.web import CheckedForm, Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

LEGAL_ACTS = acts.LEGAL_ACTS
TEXT_FIELDS = ("title_ka", "title_en", "summary_ka", "summary_en", "body_ka", "body_en")
PER_PAGE = 25


class DocumentForm(KeptForm):
    @classmethod
    def from_form(cls, form: FormData, *, more_rows: bool = False) -> DocumentForm:
        names = (*TEXT_FIELDS, "document_type", "issuer_code", "publish_at", "slug",
                 "nav_section", "nav_order", "external_registration_code",
                 "translation_pending", "change_note", "change_kind",
                 *page_keeping.PLAN_FIELDS)  # fmt: skip
        values = values_of(form, names) | act_form.values_from_form(form, more=more_rows)
        return cls(values | photo_chooser.values_from_form(form))

    @classmethod
    def from_document(
        cls, document: dict[str, Any], target_issuers: dict[int, str] | None = None
    ) -> DocumentForm:
        edition = document["current"]
        values = {name: str(edition.get(name) or "") for name in TEXT_FIELDS}
        values["body_ka"] = to_markdown(edition.get("body_ka"))
        values["body_en"] = to_markdown(edition.get("body_en"))
        values["document_type"] = document["document_type"]
        values["issuer_code"] = document.get("issuer_code") or ""
        values["slug"] = document.get("slug") or ""
        values["nav_section"] = document.get("nav_section") or ""
        values["nav_order"] = str(document.get("nav_order") or "")
        values["external_registration_code"] = document.get("external_registration_code") or ""
        values["translation_pending"] = "1" if edition.get("translation_pending") else ""
        values |= photo_chooser.values_from_choice(edition["photos"], edition["video_url"])
        publish_at = edition.get("publish_at")
        if publish_at:
            moment = datetime.fromisoformat(publish_at).astimezone(TBILISI)
            values["publish_at"] = moment.strftime("%Y-%m-%dT%H:%M")
        if has_act_part(document):
            values |= act_form.values_from_edition(edition, target_issuers or {})
        return cls(values)

    def check(self, creating: bool) -> None:
        if creating and self.get("document_type") not in DOCUMENT_TYPES:
            self.errors["document_type"] = _("Choose the kind of document.")
        if not self.get("title_ka"):
            self.errors["title_ka"] = _("The Georgian title is required.")
        kind = self.get("document_type")
        if creating and kind in LEGAL_ACTS and not self.get("issuer_code"):
            self.errors["issuer_code"] = _("A legal act needs its issuer.")
        if creating and kind == "web_page" and not self.get("slug"):
            self.errors["slug"] = _("A web page needs its address (letters, digits and dashes).")
        if self.get("publish_at"):
            try:
                self.publish_at()
            except ValueError:
                self.errors["publish_at"] = _("Give the date and time as the calendar shows it.")
        if self.get("nav_order") and not self.get("nav_order").isdigit():
            self.errors["nav_order"] = _("The place in the menu is a whole number.")
        if creating and kind == "web_page":
            page_keeping.check_plan(self)

    def check_act(self, own_type: str, own_issuer: str) -> list[act_form.Row]:
        """A legal act's entry into force and its rows of changes; other kinds have none."""
        if own_type not in LEGAL_ACTS:
            return []
        act_form.check_entry(self)
        return act_form.check_rows(self, own_type, own_issuer)

    def publish_at(self) -> str | None:
        text = self.get("publish_at")
        if not text:
            return None
        return datetime.fromisoformat(text).replace(tzinfo=TBILISI).isoformat()

    def content(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title_ka": self.get("title_ka"),
            "title_en": self.get("title_en") or None,
            "summary_ka": self.get("summary_ka") or None,
            "summary_en": self.get("summary_en") or None,
            "body_ka": to_html(self.get("body_ka")),
            "body_en": to_html(self.get("body_en")) or None,
            "translation_pending": bool(self.get("translation_pending")),
            "publish_at": self.publish_at(),
        }
        return body | photo_chooser.choice(self)

    def with_act(self, body: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
        """`body` with the act's entry into force and its changes."""
        return body | {"entry_into_force": act_form.entry_of(self), "changes": changes}

    def creation(self) -> dict[str, Any]:
        body = self.content()
        body["document_type"] = self.get("document_type")
        for name in ("issuer_code", "slug", "nav_section", "external_registration_code"):
            body[name] = self.get(name) or None
        body["nav_order"] = int(self.get("nav_order")) if self.get("nav_order") else None
        if body["document_type"] == "web_page":
            body |= page_keeping.plan_of(self)
        return body


def has_act_part(document: dict[str, Any] | None) -> bool:
    """A new document's form offers the act's part (for whichever kind is chosen); a
    legal act's edit form has it, except for a consolidated text, which changes no act."""
    if document is None:
        return True
    return acts.is_legal_act(document) and not acts.is_consolidation(document["current"])


async def target_issuers(
    request: Request, signed: Signed, document: dict[str, Any]
) -> dict[int, str]:
    """The issuer of each act the edition changes, for its row of the form."""
    services = services_of(runtime_of(request))
    ids = {change["target_document_id"] for change in document["current"].get("changes") or []}
    found = await asyncio.gather(*(
        services.get(signed.user, "publishing", f"/documents/{target}") for target in ids
    ))  # fmt: skip
    own = document.get("issuer_code")
    return {item["id"]: item["issuer_code"] for item in found if item.get("issuer_code") != own}


async def issuers(request: Request, signed: Signed) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await services_of(runtime_of(request)).get(
        signed.user, "publishing", "/issuers"
    )
    return found


async def form_page(
    request: Request,
    signed: Signed,
    form: DocumentForm,
    *,
    document: dict[str, Any] | None = None,
    message: str = "",
    status_code: int = 200,
    flashes: list[str] | None = None,
) -> Response:
    return await render(
        request,
        "document_form.html",
        status_code=status_code,
        form=form,
        document=document,
        message=message,
        flashes=flashes or [],
        issuers=await issuers(request, signed),
        document_types=labels(DOCUMENT_TYPES),
        nav_sections=await site_pages.nav_sections(request, signed),
        preview=under_heading(to_html(form.get("body_ka"))) if request.method == "POST" else "",
        review=await review_warning(request, signed, document),
        act_form=has_act_part(document),
        act_types={key: name for key, name in labels(DOCUMENT_TYPES).items() if key in LEGAL_ACTS},
        change_kinds=labels(ACT_CHANGES),
        staff_accounts=await page_keeping.staff(runtime_of(request)) if document is None else [],
        **await photo_chooser.chooser_context(request, signed, form),
    )


async def upload_files(
    request: Request, signed: Signed, document_id: int, files: list[UploadFile]
) -> None:
    services = services_of(runtime_of(request))
    for upload in files:
        if not upload.filename:
            continue
        content = await upload.read()
        await services.post(
            signed.user,
            "publishing",
            f"/documents/{document_id}/attachments",
            files={"file": (upload.filename, content, upload.content_type or "")},
        )


def uploads(form: FormData) -> list[UploadFile]:
    return [item for item in form.getlist("attachments") if isinstance(item, UploadFile)]


@router.get("/documents")
async def list_documents(
    request: Request,
    signed: Staff,
    document_type: str = "",
    state: str = "",
    text: str = "",
    page: Page = 1,
) -> Response:
    params: dict[str, Any] = {"limit": PER_PAGE, "offset": max(page - 1, 0) * PER_PAGE}
    if document_type in DOCUMENT_TYPES:
        params["document_type"] = document_type
    if state in STATES:
        params["state"] = state
    if text.strip():
        params["text"] = text.strip()[:200]
    found = await services_of(runtime_of(request)).get(
        signed.user, "publishing", "/documents", params=params
    )
    return await render(
        request,
        "documents.html",
        found=found,
        page=max(page, 1),
        pages=max(1, -(-found["total"] // PER_PAGE)),
        chosen={"document_type": document_type, "state": state, "text": text},
        document_types=labels(DOCUMENT_TYPES),
        states_list=labels(STATES),
    )


@router.get("/documents/new")
async def new_document(request: Request, signed: Staff, document_type: str = "") -> Response:
    form = DocumentForm({"document_type": document_type if document_type in DOCUMENT_TYPES else ""})
    return await form_page(request, signed, form)


@router.post("/documents/new")
async def create_document(request: Request, signed: Staff, submitted: CheckedForm) -> Response:
    action = str(submitted.get("action") or "save")
    form = DocumentForm.from_form(submitted, more_rows=action == "more_rows")
    if action in ("preview", "more_rows"):
        return await form_page(request, signed, form)
    form.check(creating=True)
    await page_keeping.check_owner(runtime_of(request), form)
    await photo_chooser.check(request, signed, form)
    kind = form.get("document_type")
    rows = form.check_act(kind, form.get("issuer_code"))
    services = services_of(runtime_of(request))
    # Each act is looked up even when other fields need attention: all is said at once.
    changes = await act_form.changes_of(services, signed.user, form, rows, None) if rows else []
    if form.errors:
        return await form_page(request, signed, form, status_code=422,
                               message=_("Some fields need attention."))  # fmt: skip
    body = form.creation()
    if kind in LEGAL_ACTS:
        body = form.with_act(body, changes)
    try:
        created = await services.post(signed.user, "publishing", "/documents", json=body)
    except ServiceRefused as refused:
        message = refusal_message(form, refused, rows)
        photo_chooser.take_refusal(request, form)
        return await form_page(request, signed, form, message=message, status_code=422)
    return await after_save(request, signed, created["id"], form, uploads(submitted), action)


def refusal_message(form: DocumentForm, refused: ServiceRefused, rows: list[act_form.Row]) -> str:
    """The service's refusal beside the fields (and rows of changes) it names; the
    message for the form's top."""
    named = act_form.take_act_refusal(form, refused, rows)
    message = form.take_refusal(refused)
    if named or not message:
        return _("Some fields need attention.")
    return _("The publishing service refused the document: %(reason)s") % {"reason": message}


async def after_save(
    request: Request,
    signed: Signed,
    document_id: int,
    form: DocumentForm,
    files: list[UploadFile],
    action: str,
    *,
    resubmit: bool = False,
) -> Response:
    """Files, then submission: a refusal here shows the saved draft with the reason."""
    services = services_of(runtime_of(request))
    try:
        await upload_files(request, signed, document_id, files)
        if action == "submit":
            if resubmit:
                await services.post(signed.user, "publishing", f"/documents/{document_id}/resubmit")
            else:
                body = {"publish_at": form.publish_at()} if form.publish_at() else {}
                await services.post(
                    signed.user, "publishing", f"/documents/{document_id}/submit", json=body
                )
    except ServiceRefused as refused:
        document = await services.get(signed.user, "publishing", f"/documents/{document_id}")
        return await form_page(
            request, signed, form, document=document, status_code=409,
            message=_("The draft is saved, but: %(reason)s") % {
                "reason": refused.detail or refused.title},
        )  # fmt: skip
    if action == "library":  # saved first, so nothing typed is lost on the way
        return redirect(f"/documents/{document_id}/photos")
    flash = "submitted" if action == "submit" else "saved"
    return redirect(f"/documents/{document_id}?done={flash}")


@router.get("/documents/{document_id}")
async def show_document(request: Request, signed: Staff, document_id: Id) -> Response:
    return await document_page(request, signed, document_id)


async def document_page(
    request: Request,
    signed: Signed,
    document_id: int,
    *,
    status_code: int = 200,
    action_errors: dict[str, str] | None = None,
    action_values: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The document's page; a legal act's with its entry into force, what it changes and
    what changed it, its versions, and the forms that act on these (sent back with what
    was typed and the reason when refused)."""
    runtime = runtime_of(request)
    services = services_of(runtime)
    path = f"/documents/{document_id}"

    async def with_pending() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        document: dict[str, Any] = await services.get(signed.user, "publishing", path)
        case = f"document-{document_id}-edition-{document['current']['number']}"
        return document, await pending_work(runtime, case)

    panels = Panels()

    async def status_of() -> dict[str, Any] | None:
        # Where the case stands comes from its workflow: when that is slow to answer, the
        # page comes without it, marked, rather than not at all.
        try:
            found: dict[str, Any] = await services.get(signed.user, "publishing", f"{path}/status")
            return found
        except ServiceRefused:
            return None
        except ServiceUnavailable as error:
            panels.mark("status", _("Where it stands"), error)
            return None

    # The document, where its case stands and its audit trail, asked at once.
    (document, pending), status, audit = await asyncio.gather(
        with_pending(), status_of(), services.get(signed.user, "publishing", f"{path}/audit")
    )
    async with runtime.db().session() as session:
        keepers = {document.get("owner") or "", document.get("reviewed_by") or ""}
        people = await display_names(session, {entry["actor"] for entry in audit} | keepers)
    versions = await acts.versions_of(services, signed.user, document)
    act = acts.act_facts(signed.user, document, versions) if acts.is_legal_act(document) else None
    return await render(
        request,
        "document.html",
        status_code=status_code,
        act=act,
        versions=versions,
        action_errors=action_errors or {},
        action_values=action_values or {},
        today=acts.today().isoformat(),
        document=document,
        edition=document["current"],
        rejection=rejection_of(document, audit),
        status=status,
        panels=panels,
        audit=audit,
        people=people,
        pending=pending,
        done=request.query_params.get("done", ""),
        keeping=await page_keeping.keeping_of(runtime, signed.user, document),
        **extra,
    )


@router.get("/documents/{document_id}/edit")
async def edit_document(request: Request, signed: Staff, document_id: Id) -> Response:
    services = services_of(runtime_of(request))
    document = await services.get(signed.user, "publishing", f"/documents/{document_id}")
    flashes: list[str] = []
    if request.query_params.getlist("add"):
        flashes.append(_("The photos are added below: say what each shows, then save."))
    if request.query_params.get("consolidating"):
        flashes.append(_("The consolidated version starts from the published text: write the "
                         "changes of the later acts into it, then submit it to the legal "
                         "reviewer."))  # fmt: skip
    issuers_of = await target_issuers(request, signed, document) if has_act_part(document) else {}
    form = DocumentForm.from_document(document, issuers_of)
    photo_chooser.add_rows(form, request.query_params.getlist("add"))
    return await form_page(request, signed, form, document=document, flashes=flashes)


def rejection_of(document: dict[str, Any], audit: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The rejection that ended the current edition's route, while it is a draft again:
    the page then says "rejected", once, with the reason, not "draft" beside a stage."""
    current = document["current"]
    mine = [entry for entry in audit if entry["edition_number"] == current["number"]]
    if current["state"] == "draft" and mine and mine[-1]["action"] == "reject":
        return mine[-1]
    return None


# What starts a review round over: approvals recorded before it no longer count.
ROUND_STARTS = ("submit", "resubmit", "restart_review", "start_review")


def approvals_this_round(audit: list[dict[str, Any]], edition: int) -> list[dict[str, Any]]:
    """The current edition's step approvals since its review round began: the ones an
    edit during review dismisses."""
    found: list[dict[str, Any]] = []
    for entry in audit:
        if entry["edition_number"] != edition:
            continue
        if entry["action"] in ROUND_STARTS:
            found = []
        elif entry["action"] == "approve_step":
            found.append(entry)
    return found


async def review_warning(
    request: Request, signed: Signed, document: dict[str, Any] | None
) -> dict[str, Any] | None:
    """For a document in review, what saving an edit does: the route starts again, and
    whose approvals are dismissed (said before saving, not after)."""
    if document is None or document["current"]["state"] not in ("submitted", "in_review"):
        return None
    services = services_of(runtime_of(request))
    audit = await services.get(signed.user, "publishing", f"/documents/{document['id']}/audit")
    approvals = approvals_this_round(audit, document["current"]["number"])
    async with runtime_of(request).db().session() as session:
        people = await display_names(session, {entry["actor"] for entry in approvals})
    return {"approvals": approvals, "people": people}


@router.post("/documents/{document_id}/edit")
async def save_document(
    request: Request, signed: Staff, document_id: Id, submitted: CheckedForm
) -> Response:
    services = services_of(runtime_of(request))
    action = str(submitted.get("action") or "save")
    form = DocumentForm.from_form(submitted, more_rows=action == "more_rows")
    document = await services.get(signed.user, "publishing", f"/documents/{document_id}")
    if action in ("preview", "more_rows"):
        return await form_page(request, signed, form, document=document)
    form.check(creating=False)
    await photo_chooser.check(request, signed, form)
    with_act = has_act_part(document)
    rows = (
        form.check_act(document["document_type"], document["issuer_code"] or "") if with_act else []
    )
    changes = []
    if rows:
        changes = await act_form.changes_of(services, signed.user, form, rows, document_id)
    if form.errors:
        return await form_page(request, signed, form, document=document, status_code=422,
                               message=_("Some fields need attention."))  # fmt: skip
    state = document["current"]["state"]
    change = form.with_act(form.content(), changes) if with_act else form.content()
    if state in ("submitted", "in_review"):
        change["reason"] = str(submitted.get("reason") or "") or _("Edited during review")
    try:
        await services.call(
            signed.user, "PATCH", "publishing", f"/documents/{document_id}", json=change
        )
    except ServiceRefused as refused:
        message = refusal_message(form, refused, rows)
        photo_chooser.take_refusal(request, form)
        return await form_page(
            request, signed, form, document=document, message=message, status_code=422
        )
    resubmit = state == "changes_requested"
    if action == "submit" and state not in ("draft", "changes_requested"):
        action = "save"
    return await after_save(
        request, signed, document_id, form, uploads(submitted), action, resubmit=resubmit
    )


@router.post("/documents/{document_id}/editions")
async def new_edition(request: Request, signed: Staff, document_id: Id) -> Response:
    submitted = await request.form()
    note = str(submitted.get("change_note") or "").strip()
    kind = str(submitted.get("change_kind") or "")
    services = services_of(runtime_of(request))
    problem = ""
    if not note:
        problem = _("Say what changes in the new edition: the note is published with it.")
    elif kind not in ("major", "minor"):
        problem = _("Choose whether the change is major or minor.")
    else:
        try:
            await services.post(
                signed.user, "publishing", f"/documents/{document_id}/editions",
                json={"change_note": note, "change_kind": kind},
            )  # fmt: skip
        except ServiceRefused as refused:
            problem = refused.detail or refused.title
    if problem:
        return await document_page(
            request, signed, document_id, status_code=422,
            edition_error=problem, change_note=note, change_kind=kind,
        )  # fmt: skip
    return redirect(f"/documents/{document_id}/edit")


@router.post("/preview", response_class=HTMLResponse)
async def preview(request: Request, signed: Staff) -> Response:
    """The Markdown of the form as it will read, for the live preview beside the text."""
    submitted = await request.form()
    text = str(submitted.get("text") or "")
    if len(text) > 2_000_000:
        raise Problem(413, "Too long", "The text is longer than a document may be.")
    return HTMLResponse(under_heading(to_html(text)))


@router.get("/documents/{document_id}/attachments/{attachment_id}")
async def attachment(
    request: Request, signed: Staff, document_id: Id, attachment_id: Id
) -> Response:
    services = services_of(runtime_of(request))
    document = await services.get(signed.user, "publishing", f"/documents/{document_id}")
    edition = document["current"]
    if not any(item["id"] == attachment_id for item in edition["attachments"]):
        raise Problem(404, "No such file", _("This file is not part of the document."))
    path = f"/documents/{document_id}/editions/{edition['number']}/attachments/{attachment_id}"
    upstream = await services.http.send(
        services.http.build_request(
            "GET", services.url("publishing", path), headers=services.headers(signed.user)
        ),
        stream=True,
    )
    if upstream.status_code != 200:
        await upstream.aclose()
        raise Problem(404, "No such file", _("This file is not available."))
    headers = {
        name: upstream.headers[name]
        for name in (
            "content-type",
            "content-disposition",
            "content-length",
            "x-content-sha256",
            "x-content-type-options",
        )
        if name in upstream.headers
    }
    return StreamingResponse(
        upstream.aiter_raw(), headers=headers, background=BackgroundTask(upstream.aclose)
    )
