"""The media REST API: outlets, journalists and lists for staff; accreditation (the events
service's windows, requests, decisions, badges, check-in); mailings and unsubscribing;
enquiries, monitoring and responses (with the response workflow's own endpoints); the
media library; and what is public (the accreditation form, unsubscribe links)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select

from meria.auth import User, require_role
from meria.bus import Outbox
from meria.problems import Problem
from meria.runtime import Runtime
from meria.web import request_runtime
from services.media import accreditation, badges, contacts, distribution
from services.media.models import Delivery, DistributionList, Mailing
from services.media.schemas import (
    AccreditationCreate,
    AccreditationPublic,
    AccreditationRefusal,
    AccreditedJournalist,
    CheckIn,
    CheckInResult,
    ConsentCreate,
    DeliveryPublic,
    DistributionListCreate,
    DistributionListPublic,
    DistributionListUpdate,
    JournalistCreate,
    JournalistImport,
    JournalistPublic,
    JournalistUpdate,
    MailingPublic,
    Medium,
    OutletCreate,
    OutletPublic,
    OutletUpdate,
    PublicAccreditationReceipt,
    PublicAccreditationRequest,
    Recipient,
    RecordEntryPublic,
    ReminderRequest,
    ReminderResult,
    WindowClose,
    WindowOpen,
    WindowPublic,
)
from services.media.settings import MediaSettings
from services.media.states import AccreditationAction
from services.media.views import (
    accreditation_view,
    accredited_view,
    journalist_view,
    list_view,
    window_view,
)

RuntimeDep = Annotated[Runtime, Depends(request_runtime)]
STAFF_ROLES = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
Staff = Annotated[User, require_role(*STAFF_ROLES)]
StaffOrSystem = Annotated[User, require_role(*STAFF_ROLES, "system")]
MediaOfficer = Annotated[User, require_role("media_officer", "head_of_department")]
WindowKeeper = Annotated[User, require_role("media_officer", "head_of_department", "system")]
System = Annotated[User, require_role("system")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=300)]
EventId = Annotated[int, PathParam(gt=0, description="The event's id in the events service")]

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def settings_of(runtime: Runtime) -> MediaSettings:
    settings = runtime.settings
    assert isinstance(settings, MediaSettings)
    return settings


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


async def fresh_journalist(runtime: Runtime, journalist_id: int) -> JournalistPublic:
    async with runtime.db().session() as session:
        return journalist_view(await contacts.load_journalist(session, journalist_id))


# Outlets.

outlets_router = APIRouter(prefix="/outlets", tags=["outlets and journalists"])


@outlets_router.post("", status_code=status.HTTP_201_CREATED, summary="Add an outlet")
async def create_outlet(
    data: OutletCreate, user: MediaOfficer, runtime: RuntimeDep
) -> OutletPublic:
    return OutletPublic.model_validate(await contacts.create_outlet(runtime.db(), data, user))


@outlets_router.get("", summary="Outlets by name")
async def list_outlets(
    _: Staff,
    runtime: RuntimeDep,
    medium: Medium | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
) -> list[OutletPublic]:
    found = await contacts.list_outlets(runtime.db(), medium=medium, text=text)
    return [OutletPublic.model_validate(outlet) for outlet in found]


@outlets_router.get("/{outlet_id}", summary="An outlet")
async def get_outlet(outlet_id: int, _: Staff, runtime: RuntimeDep) -> OutletPublic:
    async with runtime.db().session() as session:
        return OutletPublic.model_validate(await contacts.load_outlet(session, outlet_id))


@outlets_router.patch("/{outlet_id}", summary="Change an outlet")
async def update_outlet(
    outlet_id: int, data: OutletUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> OutletPublic:
    outlet = await contacts.update_outlet(runtime.db(), outlet_id, data, user)
    return OutletPublic.model_validate(outlet)


# Journalists.

journalists_router = APIRouter(prefix="/journalists", tags=["outlets and journalists"])


@journalists_router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Record a journalist with their consent"
)
async def create_journalist(
    data: JournalistCreate, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    journalist = await contacts.create_journalist(runtime.db(), data, user)
    return await fresh_journalist(runtime, journalist.id)


@journalists_router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Record a newsroom's contact list at once (all or none)",
)
async def import_journalists(
    data: JournalistImport, user: MediaOfficer, runtime: RuntimeDep
) -> dict[str, int]:
    return {"created": await contacts.import_journalists(runtime.db(), data.journalists, user)}


@journalists_router.get("", summary="Journalists by name, filtered")
async def list_journalists(
    _: Staff,
    runtime: RuntimeDep,
    outlet_id: Annotated[int | None, Query(gt=0)] = None,
    beat: Annotated[str | None, Query(max_length=40)] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[JournalistPublic]:
    found, _total = await contacts.list_journalists(
        runtime.db(), outlet_id=outlet_id, beat=beat, text=text, limit=limit, offset=offset
    )
    return [journalist_view(journalist) for journalist in found]


@journalists_router.get("/{journalist_id}", summary="A journalist with their consents")
async def get_journalist(journalist_id: int, _: Staff, runtime: RuntimeDep) -> JournalistPublic:
    return await fresh_journalist(runtime, journalist_id)


@journalists_router.patch("/{journalist_id}", summary="Change a journalist's details")
async def update_journalist(
    journalist_id: int, data: JournalistUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.update_journalist(runtime.db(), journalist_id, data, user)
    return await fresh_journalist(runtime, journalist_id)


@journalists_router.post(
    "/{journalist_id}/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consent with its date and purpose",
)
async def record_consent(
    journalist_id: int, data: ConsentCreate, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.record_consent(runtime.db(), journalist_id, data, user)
    return await fresh_journalist(runtime, journalist_id)


@journalists_router.post(
    "/{journalist_id}/consents/{consent_id}/withdraw",
    summary="Withdraw a consent (contacts go when no consent is left)",
)
async def withdraw_consent(
    journalist_id: int, consent_id: int, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.withdraw_consent(runtime.db(), journalist_id, consent_id, user)
    return await fresh_journalist(runtime, journalist_id)


@journalists_router.get(
    "/{journalist_id}/record",
    summary="The journalist's record: consents, accreditations, check-ins, enquiries, mail",
)
async def journalist_record(
    journalist_id: int, _: Staff, runtime: RuntimeDep
) -> list[RecordEntryPublic]:
    entries = await contacts.record_of(runtime.db(), journalist_id)
    return [RecordEntryPublic.model_validate(entry) for entry in entries]


# Distribution lists.

lists_router = APIRouter(prefix="/distribution-lists", tags=["press distribution"])


async def _list_public(runtime: Runtime, list_id: int) -> DistributionListPublic:
    async with runtime.db().session() as session:
        found = await contacts.load_list(session, list_id)
        return list_view(found, len(await contacts.members(session, [found])))


@lists_router.post("", status_code=status.HTTP_201_CREATED, summary="A static or rule list")
async def create_list(
    data: DistributionListCreate, user: MediaOfficer, runtime: RuntimeDep
) -> DistributionListPublic:
    found = await contacts.create_list(runtime.db(), data, user)
    return await _list_public(runtime, found.id)


@lists_router.get("", summary="Distribution lists with how many each reaches")
async def list_lists(_: Staff, runtime: RuntimeDep) -> list[DistributionListPublic]:
    async with runtime.db().session() as session:
        found = list(await session.scalars(select(DistributionList)))
        return [list_view(item, len(await contacts.members(session, [item]))) for item in found]


@lists_router.get("/{list_id}", summary="A distribution list")
async def get_list(list_id: int, _: Staff, runtime: RuntimeDep) -> DistributionListPublic:
    return await _list_public(runtime, list_id)


@lists_router.patch("/{list_id}", summary="Change a list's members, rule or document types")
async def update_list(
    list_id: int, data: DistributionListUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> DistributionListPublic:
    await contacts.update_list(runtime.db(), list_id, data, user)
    return await _list_public(runtime, list_id)


@lists_router.get("/{list_id}/recipients", summary="Who a release to this list reaches now")
async def list_recipients(list_id: int, _: Staff, runtime: RuntimeDep) -> list[Recipient]:
    async with runtime.db().session() as session:
        found = await contacts.load_list(session, list_id)
        return [
            Recipient(
                journalist_id=j.id,
                full_name=j.full_name,
                email=j.email or "",
                outlet=j.outlet.name_ka if j.outlet else None,
            )
            for j in await contacts.members(session, [found])
        ]


# Accreditation windows: the events service's contract.

windows_router = APIRouter(prefix="/accreditation-windows", tags=["accreditation"])


async def _window_public(runtime: Runtime, event_id: int) -> WindowPublic:
    async with runtime.db().session() as session:
        window = await accreditation.load_window(session, event_id)
        counts = await accreditation.window_counts(session, event_id)
    return window_view(window, settings_of(runtime), counts)


@windows_router.put(
    "/{event_id}",
    summary="Open the accreditation window of a press conference or event (idempotent)",
    responses={201: {"description": "Opened now"}, 200: {"description": "Already open"}},
)
async def open_window(
    event_id: EventId,
    data: WindowOpen,
    user: WindowKeeper,
    runtime: RuntimeDep,
) -> JSONResponse:
    _, created = await accreditation.open_window(runtime.db(), event_id, data, user)
    view = await _window_public(runtime, event_id)
    return JSONResponse(view.model_dump(mode="json"), status_code=201 if created else 200)


@windows_router.get("", summary="Accreditation windows, latest first")
async def list_windows(
    _: StaffOrSystem, runtime: RuntimeDep, open_only: bool = False
) -> list[WindowPublic]:
    found = await accreditation.list_windows(runtime.db(), open_only=open_only)
    return [window_view(window, settings_of(runtime)) for window in found]


@windows_router.get("/{event_id}", summary="An accreditation window with its counts")
async def get_window(event_id: EventId, _: StaffOrSystem, runtime: RuntimeDep) -> WindowPublic:
    return await _window_public(runtime, event_id)


@windows_router.post("/{event_id}/close", summary="Close the window (idempotent)")
async def close_window(
    event_id: EventId, data: WindowClose, user: WindowKeeper, runtime: RuntimeDep
) -> WindowPublic:
    await accreditation.close_window(runtime.db(), event_id, data, user)
    return await _window_public(runtime, event_id)


@windows_router.post(
    "/{event_id}/reminders", summary="Email the accredited journalists a reminder, once per key"
)
async def send_reminders(
    event_id: EventId, data: ReminderRequest, _: System, runtime: RuntimeDep
) -> ReminderResult:
    mailing, recipients, already = await accreditation.send_reminders(
        runtime.db(), outbox_of(runtime), settings_of(runtime), event_id, data.key
    )
    return ReminderResult(mailing_id=mailing.id, recipients=recipients, already_sent=already)


@windows_router.get("/{event_id}/accredited", summary="The approved journalists, for the door")
async def list_accredited(
    event_id: EventId, _: StaffOrSystem, runtime: RuntimeDep
) -> list[AccreditedJournalist]:
    return [accredited_view(a) for a in await accreditation.accredited(runtime.db(), event_id)]


# Accreditations.

accreditations_router = APIRouter(prefix="/accreditations", tags=["accreditation"])


@accreditations_router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Request accreditation for a journalist"
)
async def request_accreditation(
    data: AccreditationCreate, user: MediaOfficer, runtime: RuntimeDep
) -> AccreditationPublic:
    found = await accreditation.request_by_staff(runtime.db(), outbox_of(runtime), data, user)
    return await _accreditation_public(runtime, found.id)


async def _accreditation_public(runtime: Runtime, accreditation_id: int) -> AccreditationPublic:
    found = await accreditation.get_accreditation(runtime.db(), accreditation_id)
    return accreditation_view(found, settings_of(runtime))


@accreditations_router.get("", summary="Accreditations, filtered")
async def list_accreditations(
    _: Staff,
    runtime: RuntimeDep,
    event_id: Annotated[int | None, Query(gt=0)] = None,
    status_: Annotated[
        str | None, Query(alias="status", pattern=r"^(requested|approved|refused)$")
    ] = None,
) -> list[AccreditationPublic]:
    found = await accreditation.list_accreditations(runtime.db(), event_id=event_id, status=status_)
    return [accreditation_view(a, settings_of(runtime)) for a in found]


@accreditations_router.get("/{accreditation_id}", summary="An accreditation")
async def get_accreditation(
    accreditation_id: int, _: Staff, runtime: RuntimeDep
) -> AccreditationPublic:
    return await _accreditation_public(runtime, accreditation_id)


@accreditations_router.post("/{accreditation_id}/approve", summary="Approve: the badge is issued")
async def approve_accreditation(
    accreditation_id: int, user: MediaOfficer, runtime: RuntimeDep
) -> AccreditationPublic:
    await accreditation.decide(
        runtime.db(), outbox_of(runtime), accreditation_id, AccreditationAction.APPROVE, user
    )
    return await _accreditation_public(runtime, accreditation_id)


@accreditations_router.post("/{accreditation_id}/refuse", summary="Refuse, with the reason")
async def refuse_accreditation(
    accreditation_id: int, data: AccreditationRefusal, user: MediaOfficer, runtime: RuntimeDep
) -> AccreditationPublic:
    await accreditation.decide(
        runtime.db(),
        outbox_of(runtime),
        accreditation_id,
        AccreditationAction.REFUSE,
        user,
        reason=data.reason,
    )
    return await _accreditation_public(runtime, accreditation_id)


@accreditations_router.get(
    "/{accreditation_id}/badge.pdf",
    summary="The badge: a PDF with the QR code scanned at the door",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
async def badge(accreditation_id: int, _: Staff, runtime: RuntimeDep) -> Response:
    found = await accreditation.get_accreditation(runtime.db(), accreditation_id)
    pdf = badges.badge_pdf(found, settings_of(runtime))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="badge-{accreditation_id}.pdf"'},
    )


check_in_router = APIRouter(tags=["accreditation"])


@check_in_router.post("/check-ins", summary="Let a journalist in by their badge's code")
async def check_in(data: CheckIn, user: Staff, runtime: RuntimeDep) -> CheckInResult:
    found, already = await accreditation.check_in(runtime.db(), data.code, user)
    view = await _accreditation_public(runtime, found.id)
    return CheckInResult(accreditation=view, already_checked_in=already)


# Mailings.

mailings_router = APIRouter(prefix="/mailings", tags=["press distribution"])


async def _mailing_public(runtime: Runtime, mailing: Mailing) -> MailingPublic:
    async with runtime.db().session() as session:
        found = await distribution.counts(session, mailing.id)
    return MailingPublic(
        id=mailing.id,
        kind=mailing.kind,
        key=mailing.key,
        document_id=mailing.document_id,
        edition=mailing.edition,
        document_type=mailing.document_type,
        event_id=mailing.event_id,
        subject_ka=mailing.subject_ka,
        created_at=mailing.created_at,
        completed_at=mailing.completed_at,
        counts=found,
    )


@mailings_router.get("", summary="Mailings, newest first")
async def list_mailings(
    _: Staff,
    runtime: RuntimeDep,
    document_id: Annotated[int | None, Query(gt=0)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
) -> list[MailingPublic]:
    query = select(Mailing).order_by(Mailing.id.desc()).limit(200)
    if document_id:
        query = query.where(Mailing.document_id == document_id)
    if kind:
        query = query.where(Mailing.kind == kind)
    async with runtime.db().session() as session:
        found = list(await session.scalars(query))
    return [await _mailing_public(runtime, mailing) for mailing in found]


@mailings_router.get("/{mailing_id}", summary="A mailing with its counts by status")
async def get_mailing(mailing_id: int, _: Staff, runtime: RuntimeDep) -> MailingPublic:
    async with runtime.db().session() as session:
        mailing = await session.get(Mailing, mailing_id)
    if mailing is None:
        raise Problem(404, "No such mailing", f"There is no mailing {mailing_id}.")
    return await _mailing_public(runtime, mailing)


@mailings_router.get("/{mailing_id}/deliveries", summary="Each recipient's delivery status")
async def list_deliveries(
    mailing_id: int,
    _: Staff,
    runtime: RuntimeDep,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> list[DeliveryPublic]:
    query = select(Delivery).where(Delivery.mailing_id == mailing_id).order_by(Delivery.id)
    if status_:
        query = query.where(Delivery.status == status_)
    async with runtime.db().session() as session:
        return [DeliveryPublic.model_validate(d) for d in await session.scalars(query)]


# What is public: the accreditation form and the unsubscribe links.

public_router = APIRouter(tags=["public"])

RECEIPT = (
    "მოთხოვნა მიღებულია. აკრედიტაციის შესახებ გაცნობებთ ელფოსტით.",
    "Your request is received. We will let you know about your accreditation by email.",
)


@public_router.post(
    "/public/accreditation-windows/{event_id}/requests",
    status_code=status.HTTP_201_CREATED,
    summary="A journalist asks for accreditation (no sign-in; name, outlet, contact, consent)",
)
async def public_request(
    event_id: int, data: PublicAccreditationRequest, runtime: RuntimeDep
) -> PublicAccreditationReceipt:
    found = await accreditation.request_by_form(runtime.db(), outbox_of(runtime), event_id, data)
    return PublicAccreditationReceipt(
        reference=f"A-{found.id}",
        event_id=event_id,
        status=found.status,
        message_ka=RECEIPT[0],
        message_en=RECEIPT[1],
    )


@public_router.get(
    "/accreditation/{event_id}", response_class=HTMLResponse, include_in_schema=False
)
async def public_form(event_id: int, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    async with runtime.db().session() as session:
        window = await accreditation.load_window(session, event_id)
    return templates.TemplateResponse(
        request,
        "accreditation_form.html",
        {"window": window, "accepting": accreditation.accepting(window), "errors": {}, "form": {}},
    )


@public_router.post(
    "/accreditation/{event_id}", response_class=HTMLResponse, include_in_schema=False
)
async def public_form_sent(event_id: int, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    form = {key: str(value) for key, value in (await request.form()).items()}
    async with runtime.db().session() as session:
        window = await accreditation.load_window(session, event_id)
    context: dict[str, object] = {
        "window": window,
        "accepting": accreditation.accepting(window),
        "form": form,
        "errors": {},
    }
    try:
        data = PublicAccreditationRequest(
            full_name=form.get("full_name", ""),
            outlet=form.get("outlet", ""),
            email=form.get("email", ""),
            phone=form.get("phone") or None,
            consent=form.get("consent") == "yes",
        )
    except ValidationError as error:
        context["errors"] = {str(e["loc"][0]): e["msg"] for e in error.errors()}
        return templates.TemplateResponse(
            request, "accreditation_form.html", context, status_code=422
        )
    try:
        found = await accreditation.request_by_form(
            runtime.db(), outbox_of(runtime), event_id, data
        )
    except Problem as problem:
        context["refusal"] = problem.detail
        return templates.TemplateResponse(
            request, "accreditation_form.html", context, status_code=problem.status
        )
    context["reference"] = f"A-{found.id}"
    return templates.TemplateResponse(request, "accreditation_form.html", context)


@public_router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    # A GET changes nothing: mail scanners open links; the button posts.
    distribution.read_unsubscribe_token(settings_of(runtime), token)
    return templates.TemplateResponse(request, "unsubscribe.html", {"done": False})


@public_router.post(
    "/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058) from press releases",
)
async def unsubscribe(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    await distribution.unsubscribe(runtime.db(), settings_of(runtime), token)
    return templates.TemplateResponse(request, "unsubscribe.html", {"done": True})


ROUTERS = [
    outlets_router,
    journalists_router,
    lists_router,
    windows_router,
    accreditations_router,
    check_in_router,
    mailings_router,
    public_router,
]
