"""Partners, agreements and international projects in the portal: the partner register with
each partner's history (visits, meetings, agreements, projects), agreements with the day
their renewal is due, and projects and funding applications as a pipeline by stage, each
with its deadlines, documents and budget (the grant's tranches and the co-financing).

Every page is the visits service's API with a face (meetings come from the events
service). Pages are for the roles that service lets read partners; the forms for the
protocol roles, who alone may change them there. A refused form comes back with what was
typed and the message beside its field.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from babel import Locale
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meria import municipality
from meria.inputs import Id, Page
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, services_of
from services.portal.forms import KeptForm, lines, values_of
from services.portal.i18n import N_, TBILISI, _, current_language, day
from services.portal.panels import Panels
from services.portal.visits_pages import KINDS as VISIT_KINDS
from services.portal.visits_pages import VISIT_STATES, country_name
from services.portal.web import NotAllowed, redirect, render, runtime_of, staff

router = APIRouter(include_in_schema=False)

# Who the visits service lets read partners, and who may change them.
READERS = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
WRITERS = ("protocol_officer", "head_of_department")
PER_PAGE = 25

PARTNER_KINDS = {
    "sister_city": N_("Sister city"),
    "partner_city": N_("Partner city"),
    "georgian_municipality": N_("Georgian municipality"),
    "national_association": N_("National association"),
    "international_organisation": N_("International organisation"),
    "foundation": N_("Foundation"),
    "ngo": N_("NGO"),
    "government_agency": N_("Government agency"),
    "other": N_("Other"),
}
AGREEMENT_KINDS = {
    "memorandum": N_("Memorandum of understanding"),
    "twinning": N_("Twinning agreement"),
    "cooperation": N_("Cooperation agreement"),
    "grant_agreement": N_("Grant agreement"),
    "other": N_("Other"),
}
AGREEMENT_STATES = {
    "draft": N_("Draft"),
    "in_force": N_("In force"),
    "expired": N_("Expired"),
    "terminated": N_("Terminated"),
}
PROJECT_STAGES = {
    "idea": N_("Idea"),
    "concept_note": N_("Concept note"),
    "application": N_("Application"),
    "awarded": N_("Awarded"),
    "implementation": N_("Implementation"),
    "reporting": N_("Reporting"),
    "closed": N_("Closed"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
# The pipeline's columns, in the order a project moves through them.
PIPELINE = ("idea", "concept_note", "application", "awarded", "implementation", "reporting")
DEADLINE_KINDS = {
    "concept_note": N_("Concept note"),
    "application": N_("Application"),
    "interim_report": N_("Interim report"),
    "final_report": N_("Final report"),
    "other": N_("Other"),
}
DOCUMENT_KINDS = {
    "call": N_("Call for proposals"),
    "concept_note": N_("Concept note"),
    "application": N_("Application"),
    "budget": N_("Budget"),
    "contract": N_("Contract"),
    "report": N_("Report"),
    "letter": N_("Letter"),
    "other": N_("Other"),
}
EVENT_STATES = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "postponed": N_("Postponed"),
    "rescheduled": N_("Moved to a new date"),
    "cancelled": N_("Cancelled"),
    "completed": N_("Held"),
}


async def partner_reader(request: Request) -> Signed:
    signed = await staff(request)
    if not signed.user.has_any(*READERS):
        raise NotAllowed()
    return signed


async def partner_writer(request: Request) -> Signed:
    signed = await staff(request)
    if not signed.user.has_any(*WRITERS):
        raise NotAllowed()
    return signed


Reader = Annotated[Signed, Depends(partner_reader)]
Writer = Annotated[Signed, Depends(partner_writer)]


def translated(table: dict[str, str]) -> dict[str, str]:
    return {key: _(value) for key, value in table.items()}


def named(item: dict[str, Any] | None, field: str = "name") -> str:
    """An item's name (or title) in the page's language, Georgian when it has no other."""
    if not item:
        return ""
    english = item.get(f"{field}_en") if current_language.get() == "en" else None
    return str(english or item.get(f"{field}_ka") or "")


def money(value: Any, currency: str = "") -> str:
    """`125 000.00 EUR`: thousands apart, as Georgian and English readers both read it."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value))
    whole, _dot, cents = f"{amount:,.2f}".partition(".")
    return f"{whole.replace(',', ' ')}.{cents} {currency}".strip()


def _amount(value: str) -> Decimal | None:
    try:
        amount = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    return amount if amount >= 0 and amount == amount.quantize(Decimal("0.01")) else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _paged(found: list[Any], page: int) -> dict[str, Any]:
    """One page of a list asked for with one item more than a page: is there another?"""
    return {"items": found[:PER_PAGE], "page": page, "more": len(found) > PER_PAGE}


def _window(page: int) -> dict[str, Any]:
    return {"limit": PER_PAGE + 1, "offset": (page - 1) * PER_PAGE}


def common() -> dict[str, Any]:
    """What every page of this part shows its lists with."""
    return {
        "partner_kinds": translated(PARTNER_KINDS),
        "agreement_kinds": translated(AGREEMENT_KINDS),
        "agreement_states": translated(AGREEMENT_STATES),
        "project_stages": translated(PROJECT_STAGES),
        "deadline_kinds": translated(DEADLINE_KINDS),
        "document_kinds": translated(DOCUMENT_KINDS),
        "named": named,
        "money": money,
        "day": day,
        "country_name": country_name,
        "today": datetime.now(TBILISI).date(),
    }


def take(form: KeptForm, refused: ServiceRefused) -> str:
    """The service's refusal beside the fields it names, whether the field is named by
    pydantic (`title_ka`) or at the head of a rule's message (`expires_on: …`)."""
    for item in refused.body.get("errors") or []:
        message = str(item.get("message", ""))
        rule = re.match(r"^(?:Value error, )?([a-z_]+): (.+)$", message)
        if item.get("field") == "request" and rule:
            form.errors[rule.group(1)] = rule.group(2)
    return form.take_refusal(refused) or ("" if form.errors else refused.detail)


# The register of partners.


@router.get("/partners")
async def partners_page(
    request: Request, signed: Reader, text: str = "", kind: str = "", page: Page = 1
) -> Response:
    params: dict[str, Any] = _window(page)
    if text.strip():
        params["text"] = text.strip()[:200]
    if kind in PARTNER_KINDS:
        params["kind"] = kind
    found = await services_of(runtime_of(request)).get(
        signed.user, "visits", "/partners", params=params
    )
    return await render(
        request,
        "partners/partners.html",
        partners=_paged(found, page),
        chosen={"text": text, "kind": params.get("kind", "")},
        may_change=signed.user.has_any(*WRITERS),
        **common(),
    )


PARTNER_FIELDS = (
    "kind", "name_ka", "name_en", "country", "city", "website", "contact_name",
    "contact_email", "contact_phone", "partnership_since", "notes",
)  # fmt: skip


class PartnerForm(KeptForm):
    def check(self) -> None:
        if self.get("kind") not in PARTNER_KINDS:
            self.errors["kind"] = _("Choose the kind of partner.")
        if not self.get("name_ka"):
            self.errors["name_ka"] = _("The Georgian name is required.")
        if not re.fullmatch(r"[A-Za-z]{2}", self.get("country")):
            self.errors["country"] = _("Choose the country.")
        if self.get("website") and not re.match(r"^https?://\S+\.\S+$", self.get("website")):
            self.errors["website"] = _("Give the whole address, starting with https://.")
        email = self.get("contact_email")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            self.errors["contact_email"] = _("This is not an email address.")
        if self.get("partnership_since") and _date(self.get("partnership_since")) is None:
            self.errors["partnership_since"] = _("Give the date as the calendar shows it.")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {name: self.get(name) for name in PARTNER_FIELDS if self.get(name)}
        body["country"] = self.get("country").upper()
        return body


async def _partner_form(
    request: Request, form: PartnerForm, message: str = "", status_code: int = 200
) -> Response:
    language = current_language.get()
    countries = sorted(
        (
            (str(code), str(name))
            for code, name in Locale(language).territories.items()
            if len(str(code)) == 2 and str(code).isalpha() and str(code) not in ("ZZ", "QO", "EZ")
        ),
        key=lambda pair: pair[1],
    )
    return await render(
        request,
        "partners/partner_form.html",
        status_code=status_code,
        form=form,
        message=message,
        countries=countries,
        **common(),
    )


@router.get("/partners/new")
async def new_partner(request: Request, signed: Writer) -> Response:
    return await _partner_form(request, PartnerForm({"country": "GE"}))


@router.post("/partners/new")
async def create_partner(request: Request, signed: Writer) -> Response:
    form = PartnerForm(values_of(await request.form(), PARTNER_FIELDS))
    form.check()
    if form.errors:
        return await _partner_form(request, form, _("Some fields need attention."), 422)
    try:
        created = await services_of(runtime_of(request)).post(
            signed.user, "visits", "/partners", json=form.body()
        )
    except ServiceRefused as refused:
        return await _partner_form(request, form, take(form, refused), refused.status)
    return redirect(f"/partners/{created['id']}?done=created")


@router.get("/partners/{partner_id}")
async def partner_page(request: Request, signed: Reader, partner_id: Id) -> Response:
    """The partner and everything done with it: visits, meetings, agreements, projects."""
    services = services_of(runtime_of(request))
    history = await services.get(signed.user, "visits", f"/partners/{partner_id}")
    panels = Panels()
    meetings = await panels.read(
        "meetings", _("Meetings"),
        services.get(signed.user, "events", "/events",
                     params={"partner_id": partner_id, "limit": 100}),
        {"items": [], "total": 0},
    )  # fmt: skip
    return await render(
        request,
        "partners/partner.html",
        history=history,
        partner=history["partner"],
        meetings=meetings,
        panels=panels,
        visit_kinds=translated(VISIT_KINDS),
        visit_states=translated(VISIT_STATES),
        event_states=translated(EVENT_STATES),
        may_change=signed.user.has_any(*WRITERS),
        done=request.query_params.get("done", ""),
        **common(),
    )


# Agreements.


@router.get("/agreements")
async def agreements_page(
    request: Request, signed: Reader, status: str = "", page: Page = 1
) -> Response:
    params = _window(page)
    if status in AGREEMENT_STATES:
        params["status"] = status
    found = await services_of(runtime_of(request)).get(
        signed.user, "visits", "/agreements", params=params
    )
    panels = Panels()
    partners = await _partner_names(request, signed, panels)
    return await render(
        request,
        "partners/agreements.html",
        agreements=_paged(found, page),
        partners=partners,
        panels=panels,
        chosen={"status": params.get("status", "")},
        may_change=signed.user.has_any(*WRITERS),
        done=request.query_params.get("done", ""),
        **common(),
    )


async def _partner_choices(request: Request, signed: Signed, panels: Panels) -> list[Any]:
    """The register for a form's choice of partner (the visits API gives up to 1000)."""
    found: list[Any] = await panels.read(
        "partners", _("Partners"),
        services_of(runtime_of(request)).get(
            signed.user, "visits", "/partners", params={"limit": 1000}
        ),
        [],
    )  # fmt: skip
    return found


async def _partner_names(request: Request, signed: Signed, panels: Panels) -> dict[int, Any]:
    return {p["id"]: p for p in await _partner_choices(request, signed, panels)}


AGREEMENT_FIELDS = (
    "partner_id", "kind", "title_ka", "title_en", "parties", "signed_on", "expires_on",
    "renewal_notice_days", "status", "notes",
)  # fmt: skip


class AgreementForm(KeptForm):
    def check(self) -> None:
        if not self.get("partner_id").isdigit():
            self.errors["partner_id"] = _("Choose the partner.")
        if self.get("kind") not in AGREEMENT_KINDS:
            self.errors["kind"] = _("Choose the kind of agreement.")
        if not self.get("title_ka"):
            self.errors["title_ka"] = _("The Georgian title is required.")
        if len(lines(self.get("parties"))) < 2:
            self.errors["parties"] = _("Name at least two parties, one per line.")
        if self.get("status") not in AGREEMENT_STATES:
            self.errors["status"] = _("Choose the agreement's state.")
        days = {name: _date(self.get(name)) for name in ("signed_on", "expires_on")}
        for name, found in days.items():
            if self.get(name) and found is None:
                self.errors[name] = _("Give the date as the calendar shows it.")
        if self.get("status") == "in_force" and not self.get("signed_on"):
            self.errors["signed_on"] = _("An agreement in force has the day it was signed.")
        signed, expires = days["signed_on"], days["expires_on"]
        if signed and expires and expires <= signed:
            self.errors["expires_on"] = _("An agreement expires after it is signed.")
        notice = self.get("renewal_notice_days")
        if not notice.isdigit() or int(notice) > 730:
            self.errors["renewal_notice_days"] = _(
                "Give the days before expiry as a whole number up to 730."
            )

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "partner_id": int(self.get("partner_id")),
            "kind": self.get("kind"),
            "title_ka": self.get("title_ka"),
            "parties": lines(self.get("parties")),
            "renewal_notice_days": int(self.get("renewal_notice_days")),
            "status": self.get("status"),
        }
        for name in ("title_en", "signed_on", "expires_on", "notes"):
            if self.get(name):
                body[name] = self.get(name)
        return body


async def _agreement_form(
    request: Request, signed: Signed, form: AgreementForm, message: str = "", status: int = 200
) -> Response:
    panels = Panels()
    partners = await _partner_choices(request, signed, panels)
    return await render(
        request,
        "partners/agreement_form.html",
        status_code=status,
        form=form,
        message=message,
        partners=partners,
        panels=panels,
        **common(),
    )


@router.get("/agreements/new")
async def new_agreement(request: Request, signed: Writer, partner_id: str = "") -> Response:
    form = AgreementForm(
        {
            "partner_id": partner_id if partner_id.isdigit() else "",
            "renewal_notice_days": "90",
            "status": "in_force",
            "parties": municipality.current().city_hall(current_language.get()) + "\n",
        }
    )
    return await _agreement_form(request, signed, form)


@router.post("/agreements/new")
async def create_agreement(request: Request, signed: Writer) -> Response:
    form = AgreementForm(values_of(await request.form(), AGREEMENT_FIELDS))
    form.check()
    if form.errors:
        return await _agreement_form(request, signed, form, _("Some fields need attention."), 422)
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "visits", "/agreements", json=form.body()
        )
    except ServiceRefused as refused:
        return await _agreement_form(request, signed, form, take(form, refused), refused.status)
    return redirect(f"/partners/{form.get('partner_id')}?done=agreement#agreements")


# Projects and funding applications.


@router.get("/projects")
async def projects_page(
    request: Request, signed: Reader, stage: str = "", page: Page = 1
) -> Response:
    """The pipeline: the projects under way by stage, a page at a time; or one stage,
    the finished ones among them."""
    params = _window(page)
    params["stage"] = stage if stage in PROJECT_STAGES else ",".join(PIPELINE)
    found = await services_of(runtime_of(request)).get(
        signed.user, "visits", "/projects", params=params
    )
    paged = _paged(found, page)
    columns = [(key, [p for p in paged["items"] if p["stage"] == key]) for key in PIPELINE]
    return await render(
        request,
        "partners/projects.html",
        projects=paged,
        columns=columns if stage not in PROJECT_STAGES else [],
        chosen={"stage": stage if stage in PROJECT_STAGES else ""},
        may_change=signed.user.has_any(*WRITERS),
        next_deadline=next_deadline,
        **common(),
    )


def next_deadline(project: dict[str, Any]) -> dict[str, Any] | None:
    open_ones = [d for d in project["deadlines"] if not d["met_on"]]
    return min(open_ones, key=lambda d: str(d["due_on"])) if open_ones else None


PROJECT_FIELDS = (
    "title_ka", "title_en", "donor", "donor_partner_id", "call", "amount", "currency", "stage",
    "summary_ka", "summary_en", "responsible", "cofinancing", "cofinancing_source",
    "deadline_kind", "deadline_title_ka", "deadline_due_on",
)  # fmt: skip


class ProjectForm(KeptForm):
    def check(self) -> None:
        if not self.get("title_ka"):
            self.errors["title_ka"] = _("The Georgian title is required.")
        if not self.get("donor") and not self.get("donor_partner_id"):
            self.errors["donor"] = _("Name the donor, or choose it from the register.")
        if self.get("stage") not in ("idea", "concept_note", "application"):
            self.errors["stage"] = _("Choose the stage the project starts at.")
        if not re.fullmatch(r"[A-Z]{3}", self.get("currency")):
            self.errors["currency"] = _("The currency is three capital letters: EUR, USD, GEL.")
        for name in ("amount", "cofinancing"):
            if self.get(name) and _amount(self.get(name)) is None:
                self.errors[name] = _("An amount with at most two decimals: 125000.50.")
        if self.get("deadline_due_on") or self.get("deadline_title_ka"):
            if _date(self.get("deadline_due_on")) is None:
                self.errors["deadline_due_on"] = _("Give the date as the calendar shows it.")
            if not self.get("deadline_title_ka"):
                self.errors["deadline_title_ka"] = _("Say what is due, in Georgian.")

    def body(self, partners: dict[int, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title_ka": self.get("title_ka"),
            "currency": self.get("currency"),
            "stage": self.get("stage"),
        }
        donor_id = self.get("donor_partner_id")
        if donor_id.isdigit():
            body["donor_partner_id"] = int(donor_id)
            body["partner_ids"] = [int(donor_id)]
        donor = partners.get(int(donor_id)) if donor_id.isdigit() else None
        body["donor"] = self.get("donor") or (donor or {}).get("name_en") or named(donor)
        for name in ("title_en", "call", "summary_ka", "summary_en", "responsible",
                     "cofinancing_source"):  # fmt: skip
            if self.get(name):
                body[name] = self.get(name)
        for name in ("amount", "cofinancing"):
            if self.get(name):
                body[name] = str(_amount(self.get(name)))
        if self.get("deadline_due_on"):
            kind = self.get("deadline_kind")
            body["deadlines"] = [
                {
                    "kind": kind if kind in DEADLINE_KINDS else "other",
                    "title_ka": self.get("deadline_title_ka"),
                    "due_on": self.get("deadline_due_on"),
                }
            ]
        return body


async def _project_form(
    request: Request, signed: Signed, form: ProjectForm, message: str = "", status: int = 200
) -> Response:
    panels = Panels()
    partners = await _partner_choices(request, signed, panels)
    return await render(
        request,
        "partners/project_form.html",
        status_code=status,
        form=form,
        message=message,
        partners=partners,
        panels=panels,
        **common(),
    )


@router.get("/projects/new")
async def new_project(request: Request, signed: Writer) -> Response:
    due = datetime.now(TBILISI).date() + timedelta(days=60)
    form = ProjectForm(
        {
            "stage": "idea",
            "currency": "EUR",
            "responsible": signed.user.id,
            "deadline_kind": "concept_note",
            "deadline_due_on": due.isoformat(),
        }
    )
    return await _project_form(request, signed, form)


@router.post("/projects/new")
async def create_project(request: Request, signed: Writer) -> Response:
    form = ProjectForm(values_of(await request.form(), PROJECT_FIELDS))
    form.check()
    if form.errors:
        return await _project_form(request, signed, form, _("Some fields need attention."), 422)
    panels = Panels()
    partners = await _partner_names(request, signed, panels)
    try:
        created = await services_of(runtime_of(request)).post(
            signed.user, "visits", "/projects", json=form.body(partners)
        )
    except ServiceRefused as refused:
        return await _project_form(request, signed, form, take(form, refused), refused.status)
    return redirect(f"/projects/{created['id']}?done=created")


async def project_page(
    request: Request,
    signed: Signed,
    project_id: int,
    *,
    form_error: str = "",
    status_code: int = 200,
) -> Response:
    services = services_of(runtime_of(request))
    project = await services.get(signed.user, "visits", f"/projects/{project_id}")
    panels = Panels()
    partners = await _partner_names(request, signed, panels)
    amount = Decimal(str(project["amount"] or 0))
    cofinancing = Decimal(str(project["cofinancing"] or 0))
    planned = sum((Decimal(str(t["amount"])) for t in project["tranches"]), Decimal(0))
    return await render(
        request,
        "partners/project.html",
        status_code=status_code,
        project=project,
        partners=partners,
        panels=panels,
        total=amount + cofinancing,
        unplanned=amount - planned,
        form_error=form_error,
        done=request.query_params.get("done", ""),
        may_change=signed.user.has_any(*WRITERS),
        **common(),
    )


@router.get("/projects/{project_id}")
async def show_project(request: Request, signed: Reader, project_id: Id) -> Response:
    return await project_page(request, signed, project_id)


async def _act(
    request: Request, signed: Signed, project_id: int, path: str, body: Any, done: str
) -> Response:
    """Ask the visits service; its refusal is shown at the top of the project's page."""
    try:
        await services_of(runtime_of(request)).post(
            signed.user, "visits", f"/projects/{project_id}{path}", json=body
        )
    except ServiceRefused as refused:
        form = KeptForm()
        message = take(form, refused)
        detail = "; ".join(form.errors.values()) or message
        return await project_page(
            request, signed, project_id, form_error=detail, status_code=refused.status
        )
    return redirect(f"/projects/{project_id}?done={done}")


async def _refuse(request: Request, signed: Signed, project_id: int, message: str) -> Response:
    return await project_page(request, signed, project_id, form_error=message, status_code=422)


@router.post("/projects/{project_id}/stage")
async def change_stage(request: Request, signed: Writer, project_id: Id) -> Response:
    form = await request.form()
    stage = str(form.get("stage") or "")
    if stage not in PROJECT_STAGES:
        return await _refuse(request, signed, project_id, _("Choose the next stage."))
    body = {"stage": stage, "comment": str(form.get("comment") or "").strip() or None}
    return await _act(request, signed, project_id, "/stage", body, "stage")


@router.post("/projects/{project_id}/deadlines")
async def add_deadline(request: Request, signed: Writer, project_id: Id) -> Response:
    form = values_of(await request.form(), ("kind", "title_ka", "title_en", "due_on"))
    if not form["title_ka"] or _date(form["due_on"]) is None:
        return await _refuse(
            request, signed, project_id, _("A deadline needs its Georgian title and its date.")
        )
    body = {
        "kind": form["kind"] if form["kind"] in DEADLINE_KINDS else "other",
        "title_ka": form["title_ka"],
        "title_en": form["title_en"] or None,
        "due_on": form["due_on"],
    }
    return await _act(request, signed, project_id, "/deadlines", body, "deadline")


@router.post("/projects/{project_id}/deadlines/{deadline_id}/met")
async def meet_deadline(
    request: Request, signed: Writer, project_id: Id, deadline_id: Id
) -> Response:
    return await _act(request, signed, project_id, f"/deadlines/{deadline_id}/met", None, "met")


@router.post("/projects/{project_id}/tranches")
async def add_tranche(request: Request, signed: Writer, project_id: Id) -> Response:
    form = values_of(await request.form(), ("title_ka", "amount", "expected_on"))
    amount = _amount(form["amount"])
    if not form["title_ka"] or _date(form["expected_on"]) is None or not amount:
        return await _refuse(
            request, signed, project_id,
            _("A tranche needs its Georgian title, an amount above zero and the expected date."),
        )  # fmt: skip
    body = {"title_ka": form["title_ka"], "amount": str(amount), "expected_on": form["expected_on"]}
    return await _act(request, signed, project_id, "/tranches", body, "tranche")


@router.post("/projects/{project_id}/tranches/{tranche_id}/received")
async def receive_tranche(
    request: Request, signed: Writer, project_id: Id, tranche_id: Id
) -> Response:
    path = f"/tranches/{tranche_id}/received"
    return await _act(request, signed, project_id, path, None, "received")


@router.post("/projects/{project_id}/documents")
async def add_document(request: Request, signed: Writer, project_id: Id) -> Response:
    form = values_of(await request.form(), ("kind", "title", "url"))
    if not form["title"] or not re.match(r"^https?://\S+\.\S+$", form["url"]):
        return await _refuse(
            request, signed, project_id,
            _("A document needs its title and the whole address where it is kept (https://…)."),
        )  # fmt: skip
    body = {
        "kind": form["kind"] if form["kind"] in DOCUMENT_KINDS else "other",
        "title": form["title"],
        "url": form["url"],
    }
    return await _act(request, signed, project_id, "/documents", body, "document")
