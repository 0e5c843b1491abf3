"""What staff do to a legal act beyond writing it: prepare its consolidated version (the
text with later acts' changes written in, as it stands on a day), record the day the
condition it waited on was met, and read one version of its text against the published
text before it.

The consolidated version is a new edition the publishing service starts from the
published text (`POST /documents/{id}/consolidations`); the editor writes the changes in
on its edit form, and the legal reviewer alone reviews it. A refusal comes back on the
act's page with what was typed and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from meria.inputs import Id
from services.portal import acts
from services.portal.act_form import is_day
from services.portal.clients import ServiceRefused, services_of
from services.portal.documents import document_page
from services.portal.i18n import N_, _, day
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

Note = Annotated[str, Form(max_length=5000)]
Day = Annotated[str, Form(max_length=40)]


@router.post("/documents/{document_id}/consolidations")
async def prepare_consolidation(
    request: Request, signed: Staff, document_id: Id, as_of: Day = "", change_note: Note = ""
) -> Response:
    typed = {"as_of": as_of.strip(), "change_note": change_note.strip()}
    problem = ""
    if not is_day(typed["as_of"]):
        problem = _("Give the day the consolidated text stands on.")
    elif not typed["change_note"]:
        problem = _("Write the change note: it is published with the version.")
    body = {"as_of": typed["as_of"], "change_note": typed["change_note"]}
    return await act_on(
        request, signed, document_id, "consolidations", body, typed, "consolidation", problem,
        done=f"/documents/{document_id}/edit?consolidating=1",
    )  # fmt: skip


@router.post("/documents/{document_id}/entry-into-force")
async def record_entry_into_force(
    request: Request, signed: Staff, document_id: Id, on: Day = "", note: Note = ""
) -> Response:
    typed = {"on": on.strip(), "note": note.strip()}
    problem = "" if is_day(typed["on"]) else _("Give the day the condition was met.")
    body = {"on": typed["on"], "note": typed["note"] or None}
    return await act_on(
        request, signed, document_id, "entry-into-force", body, typed, "entry", problem,
        done=f"/documents/{document_id}?done=in_force",
    )  # fmt: skip


async def act_on(
    request: Request,
    signed: Staff,
    document_id: int,
    action: str,
    body: dict[str, Any],
    typed: dict[str, str],
    form: str,
    problem: str,
    *,
    done: str,
) -> Response:
    """Ask publishing to do `action` to the act, unless the form already has a `problem`;
    a problem or a refusal comes back on the act's page beside `form`, with what was
    typed."""
    if not problem:
        path = f"/documents/{document_id}/{action}"
        try:
            await services_of(runtime_of(request)).post(signed.user, "publishing", path, json=body)
        except ServiceRefused as refused:
            problem = refusal(refused)
    if problem:
        return await document_page(
            request, signed, document_id, status_code=422,
            action_errors={form: problem}, action_values=typed,
        )  # fmt: skip
    return redirect(done)


# The service's refusals of these actions, by their title, in the reader's language.
REFUSALS = {
    "Nothing to incorporate": N_(
        "No change of a later act takes effect by this day that a consolidated text has not "
        "written in already: choose a later day, or there is nothing to consolidate yet."
    ),
    "An edition is already in progress": N_(
        "The act already has an unpublished edition: finish it or withdraw it first."
    ),
    "Nothing published": N_("The act has no published text in force to consolidate."),
    "Not a legal act": N_("Only a legal act has a consolidated text and an entry into force."),
    "Not a published act": N_("The act is not published, or no longer in force."),
    "Not published": N_("The act is not published, or no longer in force."),
    "Not waiting on a condition": N_(
        "The act does not wait on a condition: it enters into force on its publication or on "
        "its day."
    ),
    "Already in force": N_("The day this act entered into force is recorded already."),
    "Before its publication": N_(
        "An act enters into force no earlier than its publication: give that day or a later one."
    ),
    "Not met yet": N_("This day is still to come: record the day once the condition is met."),
}
EARLIER = N_(
    "The act's latest published consolidated text is as of %(day)s: a new one is as of that "
    "day or later."
)


def refusal(refused: ServiceRefused) -> str:
    """The service's reason in the reader's language where it is known, else led in it."""
    if refused.title in REFUSALS:
        return _(REFUSALS[refused.title])
    if refused.body.get("latest"):
        return _(EARLIER) % {"day": day(str(refused.body["latest"]))}
    if refused.status == 403:
        return _("Your roles do not allow this.")
    reason = refused.detail or refused.title
    if refused.field_errors:
        reason = "; ".join(refused.field_errors.values())
    return _("The publishing service refused it: %(reason)s") % {"reason": reason}


@router.get("/documents/{document_id}/editions/{number}")
async def show_edition(request: Request, signed: Staff, document_id: Id, number: Id) -> Response:
    """One version of a document's text, and what it changed in the published text
    before it."""
    services = services_of(runtime_of(request))
    user = signed.user
    document = await services.get(user, "publishing", f"/documents/{document_id}")
    edition: dict[str, Any] = await acts.edition_of(
        services, user, document_id, number, document["current"]
    )
    diff = None
    if number > 1:
        try:
            diff = await acts.diff_of(services, user, document_id, number)
        except ServiceRefused:
            diff = None
    versions = await acts.versions_of(services, user, document)
    return await render(
        request,
        "edition.html",
        document=document,
        edition=edition,
        version=next((v for v in versions if v.number == number), None),
        diff=diff,
        legal=acts.is_legal_act(document),
        entry=acts.entry_of(edition) if acts.is_legal_act(document) else None,
    )
