"""The media REST API: outlets, journalists and lists for staff; accreditation (the events
service's windows, requests, decisions, badges, check-in); mailings and unsubscribing;
enquiries, monitoring and responses (with the response workflow's own endpoints); the
media library; and what is public (the accreditation form, unsubscribe links)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
from fastapi import APIRouter, Form, Query, Request, UploadFile, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates
from pydantic import AwareDatetime, ValidationError
from sqlalchemy import func, select

from meria import municipality, uploads
from meria.auth import System, User, require_role
from meria.bodies import json_items, openapi_body
from meria.bus import Outbox
from meria.case_api import case_router, claim_router
from meria.cases import TaskNotice
from meria.cases.media import (
    ResponseCase,
    ResponseTransition,
    ResponseWorkflowStatus,
    StatementDraft,
)
from meria.cases.tasks import TaskResult
from meria.idempotency import IdempotencyKey
from meria.inputs import Day, Id, Month
from meria.pictures import RenditionWidth
from meria.problems import Problem
from meria.runtime import Runtime
from meria.throttle import Rule, Throttle, client_address
from meria.web import FILE_RESPONSE, RuntimeDep
from services.media import (
    accreditation,
    badges,
    contacts,
    distribution,
    library,
    lists,
    monitoring,
    renditions,
    responses,
)
from services.media.models import (
    Accreditation,
    Delivery,
    Enquiry,
    LibraryItem,
    Mailing,
    MediaResponse,
)
from services.media.schemas import (
    AccreditationCreate,
    AccreditationPublic,
    AccreditationRefusal,
    AccreditedJournalist,
    CheckIn,
    CheckInResult,
    ConsentCreate,
    CoverageReport,
    DeliveryPublic,
    DistributionListCreate,
    DistributionListPublic,
    DistributionListUpdate,
    DraftWrite,
    EnquiryCreate,
    EnquiryPublic,
    Erasure,
    FeedCreate,
    FeedPublic,
    FeedReading,
    ItemCreate,
    ItemPage,
    ItemPublic,
    ItemUpdate,
    JournalistCreate,
    JournalistImport,
    JournalistPublic,
    JournalistUpdate,
    LibraryItemPublic,
    LibraryItemUpdate,
    LibraryKind,
    Licence,
    MailingPublic,
    Medium,
    OutletCreate,
    OutletPublic,
    OutletRef,
    OutletUpdate,
    PeopleConsent,
    PublicAccreditationReceipt,
    PublicAccreditationRequest,
    Recipient,
    RecordEntryPublic,
    ReminderRequest,
    ReminderResult,
    ResponseDecision,
    ResponsePublic,
    ResponseRequest,
    StatementRecord,
    Topic,
    WindowClose,
    WindowOpen,
    WindowPublic,
)
from services.media.settings import MediaSettings
from services.media.states import AccreditationAction
from services.media.storage import Storage
from services.media.views import (
    accreditation_view,
    accredited_view,
    item_view,
    journalist_view,
    library_view,
    list_view,
    response_view,
    window_view,
)

STAFF_ROLES = (
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "media_officer",
    "protocol_officer",
)
Staff = Annotated[User, require_role(*STAFF_ROLES)]
StaffOrSystem = Annotated[User, require_role(*STAFF_ROLES, services=("worker",))]
MediaOfficer = Annotated[User, require_role("media_officer", "head_of_department")]
LibraryKeeper = Annotated[
    User, require_role("media_officer", "head_of_department", "editor", "protocol_officer")
]
WindowKeeper = Annotated[
    User, require_role("media_officer", "head_of_department", services=("worker",))
]
EventId = Annotated[Id, PathParam(description="The event's id in the events service")]
# Every list is a page: what one answer carries never grows with a table.
Limit = Annotated[int, Query(ge=1, le=500, description="At most this many")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="After skipping this many")]

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals["municipality"] = municipality.Current()


def settings_of(runtime: Runtime) -> MediaSettings:
    settings = runtime.settings
    assert isinstance(settings, MediaSettings)
    return settings


def outbox_of(runtime: Runtime) -> Outbox:
    assert runtime.outbox is not None
    return runtime.outbox


async def fresh_journalist(runtime: Runtime, journalist_id: int, user: User) -> JournalistPublic:
    async with runtime.db().session() as session:
        return journalist_view(await contacts.load_journalist(session, journalist_id), user)


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
    limit: Limit = 500,
    offset: Offset = 0,
) -> list[OutletPublic]:
    found = await contacts.list_outlets(
        runtime.db(), medium=medium, text=text, limit=limit, offset=offset
    )
    return [OutletPublic.model_validate(outlet) for outlet in found]


@outlets_router.get("/{outlet_id}", summary="An outlet")
async def get_outlet(outlet_id: Id, _: Staff, runtime: RuntimeDep) -> OutletPublic:
    async with runtime.db().session() as session:
        return OutletPublic.model_validate(await contacts.load_outlet(session, outlet_id))


@outlets_router.patch("/{outlet_id}", summary="Change an outlet")
async def update_outlet(
    outlet_id: Id, data: OutletUpdate, user: MediaOfficer, runtime: RuntimeDep
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
    return await fresh_journalist(runtime, journalist.id, user)


@journalists_router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    summary="Record a newsroom's contact list at once (all or none)",
    # Read a slice at a time (meria.bodies): 10,000 entries decoded at once hold the loop.
    openapi_extra=openapi_body(JournalistImport),
)
async def import_journalists(
    request: Request, user: MediaOfficer, runtime: RuntimeDep
) -> dict[str, int]:
    entries = await json_items(
        request, "journalists", JournalistCreate, max_items=JournalistImport.MAX_ENTRIES
    )
    return {"created": await contacts.import_journalists(runtime.db(), entries, user)}


@journalists_router.get("", summary="Journalists by name, filtered")
async def list_journalists(
    user: Staff,
    runtime: RuntimeDep,
    outlet_id: Id | None = None,
    beat: Annotated[str | None, Query(max_length=40)] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    offset: Offset = 0,
) -> list[JournalistPublic]:
    found, _total = await contacts.list_journalists(
        runtime.db(),
        outlet_id=outlet_id,
        beat=beat,
        text=text,
        by_email=contacts.may_see_contacts(user),
        limit=limit,
        offset=offset,
    )
    return [journalist_view(journalist, user) for journalist in found]


@journalists_router.get("/{journalist_id}", summary="A journalist with their consents")
async def get_journalist(journalist_id: Id, user: Staff, runtime: RuntimeDep) -> JournalistPublic:
    return await fresh_journalist(runtime, journalist_id, user)


@journalists_router.patch("/{journalist_id}", summary="Change a journalist's details")
async def update_journalist(
    journalist_id: Id, data: JournalistUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.update_journalist(runtime.db(), journalist_id, data, user)
    return await fresh_journalist(runtime, journalist_id, user)


@journalists_router.post(
    "/{journalist_id}/consents",
    status_code=status.HTTP_201_CREATED,
    summary="Record a consent with its date and purpose",
)
async def record_consent(
    journalist_id: Id, data: ConsentCreate, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.record_consent(runtime.db(), journalist_id, data, user)
    return await fresh_journalist(runtime, journalist_id, user)


@journalists_router.post(
    "/{journalist_id}/consents/{consent_id}/withdraw",
    summary="Withdraw a consent (contacts go when no consent is left)",
)
async def withdraw_consent(
    journalist_id: Id, consent_id: Id, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.withdraw_consent(runtime.db(), journalist_id, consent_id, user)
    return await fresh_journalist(runtime, journalist_id, user)


@journalists_router.post(
    "/{journalist_id}/erase",
    summary="Erase a journalist at their request: name, contacts and list places go",
)
async def erase_journalist(
    journalist_id: Id, data: Erasure, user: MediaOfficer, runtime: RuntimeDep
) -> JournalistPublic:
    await contacts.erase_journalist(runtime.db(), journalist_id, data.reason, user)
    return await fresh_journalist(runtime, journalist_id, user)


@journalists_router.get(
    "/{journalist_id}/record",
    summary="The journalist's record: consents, accreditations, check-ins, enquiries, mail",
)
async def journalist_record(
    journalist_id: Id, _: Staff, runtime: RuntimeDep, limit: Limit = 500, offset: Offset = 0
) -> list[RecordEntryPublic]:
    entries = await contacts.record_of(runtime.db(), journalist_id, limit=limit, offset=offset)
    return [RecordEntryPublic.model_validate(entry) for entry in entries]


# Distribution lists.

lists_router = APIRouter(prefix="/distribution-lists", tags=["press distribution"])


async def _list_public(runtime: Runtime, list_id: int) -> DistributionListPublic:
    async with runtime.db().session() as session:
        return list_view(await lists.load_list(session, list_id))


@lists_router.post("", status_code=status.HTTP_201_CREATED, summary="A static or rule list")
async def create_list(
    data: DistributionListCreate, user: MediaOfficer, runtime: RuntimeDep
) -> DistributionListPublic:
    found = await lists.create_list(runtime.db(), data, user)
    return await _list_public(runtime, found.id)


@lists_router.get("", summary="Distribution lists with how many each reaches")
async def list_lists(
    _: Staff,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DistributionListPublic]:
    found = await lists.lists_page(runtime.db(), limit=limit, offset=offset)
    return [list_view(item) for item in found]


@lists_router.get("/{list_id}", summary="A distribution list")
async def get_list(list_id: Id, _: Staff, runtime: RuntimeDep) -> DistributionListPublic:
    return await _list_public(runtime, list_id)


@lists_router.patch("/{list_id}", summary="Change a list's members, rule or document types")
async def update_list(
    list_id: Id, data: DistributionListUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> DistributionListPublic:
    await lists.update_list(runtime.db(), list_id, data, user)
    return await _list_public(runtime, list_id)


async def _members(
    runtime: Runtime, list_id: int, user: User, *, reached_only: bool, limit: int, offset: int
) -> list[Recipient]:
    visible = contacts.may_see_contacts(user)
    page, _ = await lists.members_page(
        runtime.db(), list_id, reached_only=reached_only, limit=limit, offset=offset
    )
    return [
        Recipient(
            journalist_id=member.journalist_id,
            full_name=member.full_name,
            email=(member.email or "") if visible else None,
            outlet=member.outlet,
            receives_releases=member.reached,
        )
        for member in page
    ]


@lists_router.get("/{list_id}/recipients", summary="Who a release to this list reaches now")
async def list_recipients(
    list_id: Id,
    user: Staff,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Recipient]:
    return await _members(runtime, list_id, user, reached_only=True, limit=limit, offset=offset)


@lists_router.get(
    "/{list_id}/members", summary="Everyone on the list, whether a release reaches them or not"
)
async def list_members(
    list_id: Id,
    user: Staff,
    runtime: RuntimeDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Recipient]:
    return await _members(runtime, list_id, user, reached_only=False, limit=limit, offset=offset)


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
    _: StaffOrSystem,
    runtime: RuntimeDep,
    open_only: bool = False,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[WindowPublic]:
    found = await accreditation.list_windows(
        runtime.db(), open_only=open_only, limit=limit, offset=offset
    )
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
    event_id: Id | None = None,
    status_: Annotated[
        str | None, Query(alias="status", pattern=r"^(requested|approved|refused)$")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[AccreditationPublic]:
    found = await accreditation.list_accreditations(
        runtime.db(), event_id=event_id, status=status_, limit=limit, offset=offset
    )
    return [accreditation_view(a, settings_of(runtime)) for a in found]


@accreditations_router.get("/{accreditation_id}", summary="An accreditation")
async def get_accreditation(
    accreditation_id: Id, _: Staff, runtime: RuntimeDep
) -> AccreditationPublic:
    return await _accreditation_public(runtime, accreditation_id)


@accreditations_router.post("/{accreditation_id}/approve", summary="Approve: the badge is issued")
async def approve_accreditation(
    accreditation_id: Id, user: MediaOfficer, runtime: RuntimeDep
) -> AccreditationPublic:
    await accreditation.decide(
        runtime.db(),
        outbox_of(runtime),
        settings_of(runtime),
        accreditation_id,
        AccreditationAction.APPROVE,
        user,
    )
    return await _accreditation_public(runtime, accreditation_id)


@accreditations_router.post("/{accreditation_id}/refuse", summary="Refuse, with the reason")
async def refuse_accreditation(
    accreditation_id: Id, data: AccreditationRefusal, user: MediaOfficer, runtime: RuntimeDep
) -> AccreditationPublic:
    await accreditation.decide(
        runtime.db(),
        outbox_of(runtime),
        settings_of(runtime),
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
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "The accreditation is not approved"},
    },
)
async def badge(accreditation_id: Id, _: Staff, request: Request, runtime: RuntimeDep) -> Response:
    found = await accreditation.get_accreditation(runtime.db(), accreditation_id)
    return await _badge(request, runtime, found)


async def _badge(request: Request, runtime: Runtime, found: Accreditation) -> Response:
    """Made in a thread (the PDF and QR libraries take a while), and kept a while."""
    badges.check_badge(found)
    settings = settings_of(runtime)
    return await badges.BADGES.response(
        request, badges.badge_inputs(found, settings), found, settings,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="badge-{found.id}.pdf"'},
    )  # fmt: skip


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
    return _mailing_view(mailing, found)


def _mailing_view(mailing: Mailing, found: dict[str, int]) -> MailingPublic:
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
    document_id: Id | None = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> list[MailingPublic]:
    query = select(Mailing).order_by(Mailing.id.desc()).limit(limit).offset(offset)
    if document_id:
        query = query.where(Mailing.document_id == document_id)
    if kind:
        query = query.where(Mailing.kind == kind)
    async with runtime.db().session() as session:
        found = list(await session.scalars(query))
        # Every mailing's counts in one statement, not one per mailing.
        counted = await session.execute(
            select(Delivery.mailing_id, Delivery.status, func.count())
            .where(Delivery.mailing_id.in_([mailing.id for mailing in found]))
            .group_by(Delivery.mailing_id, Delivery.status)
        )
    counts: dict[int, dict[str, int]] = {mailing.id: {} for mailing in found}
    for mailing_id, state, count in counted.all():
        counts[mailing_id][state] = int(count)
    return [_mailing_view(mailing, counts[mailing.id]) for mailing in found]


@mailings_router.get("/{mailing_id}", summary="A mailing with its counts by status")
async def get_mailing(mailing_id: Id, _: Staff, runtime: RuntimeDep) -> MailingPublic:
    async with runtime.db().session() as session:
        mailing = await session.get(Mailing, mailing_id)
    if mailing is None:
        raise Problem(404, "No such mailing", f"There is no mailing {mailing_id}.")
    return await _mailing_public(runtime, mailing)


@mailings_router.get("/{mailing_id}/deliveries", summary="Each recipient's delivery status")
async def list_deliveries(
    mailing_id: Id,
    user: Staff,
    runtime: RuntimeDep,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[DeliveryPublic]:
    query = (
        select(Delivery)
        .where(Delivery.mailing_id == mailing_id)
        .order_by(Delivery.id)
        .limit(limit)
        .offset(offset)
    )
    if status_:
        query = query.where(Delivery.status == status_)
    hidden = {} if contacts.may_see_contacts(user) else {"email": None}
    async with runtime.db().session() as session:
        return [
            DeliveryPublic.model_validate(d).model_copy(update=hidden)
            for d in await session.scalars(query)
        ]


# Monitoring, enquiries and responses.

monitoring_router = APIRouter(tags=["monitoring and responses"])


async def _item_public(runtime: Runtime, item_id: int) -> ItemPublic:
    item, response = await monitoring.get_item(runtime.db(), item_id)
    return item_view(item, response)


@monitoring_router.post(
    "/monitoring-items",
    status_code=status.HTTP_201_CREATED,
    summary="Record what an outlet published; 'response needed' starts a response",
)
async def create_item(data: ItemCreate, user: MediaOfficer, runtime: RuntimeDep) -> ItemPublic:
    item = await monitoring.create_item(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), data, user
    )
    return await _item_public(runtime, item.id)


@monitoring_router.get("/monitoring-items", summary="Monitoring items, newest first, filtered")
async def list_items(
    _: Staff,
    runtime: RuntimeDep,
    month: Month | None = None,
    outlet_id: Id | None = None,
    medium: Medium | None = None,
    topic: Topic | None = None,
    sentiment: Annotated[str | None, Query(pattern=r"^(positive|neutral|negative|unset)$")] = None,
    response_needed: bool | None = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ItemPage:
    found, total = await monitoring.list_items(
        runtime.db(),
        month=month,
        outlet_id=outlet_id,
        medium=medium,
        topic=topic,
        sentiment=sentiment,
        response_needed=response_needed,
        text=text,
        limit=limit,
        offset=offset,
    )
    return ItemPage(
        items=[item_view(item, response) for item, response in found],
        total=total,
        limit=limit,
        offset=offset,
    )


@monitoring_router.get("/monitoring-items/{item_id}", summary="A monitoring item")
async def get_item(item_id: Id, _: Staff, runtime: RuntimeDep) -> ItemPublic:
    return await _item_public(runtime, item_id)


@monitoring_router.patch(
    "/monitoring-items/{item_id}", summary="Set sentiment, topic, officials; ask for a response"
)
async def update_item(
    item_id: Id, data: ItemUpdate, user: MediaOfficer, runtime: RuntimeDep
) -> ItemPublic:
    await monitoring.update_item(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), item_id, data,
        user,
    )  # fmt: skip
    return await _item_public(runtime, item_id)


@monitoring_router.post(
    "/monitoring-items/{item_id}/response",
    status_code=status.HTTP_201_CREATED,
    summary="Ask for a response to the item, with its owner and deadline",
)
async def ask_response(
    item_id: Id, data: ResponseRequest, user: MediaOfficer, runtime: RuntimeDep
) -> ResponsePublic:
    response = await monitoring.ask_response(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), item_id, data,
        user,
    )  # fmt: skip
    return response_view(response)


@monitoring_router.post(
    "/monitoring-feeds", status_code=status.HTTP_201_CREATED, summary="Read an outlet's feed"
)
async def add_feed(data: FeedCreate, user: MediaOfficer, runtime: RuntimeDep) -> FeedPublic:
    return FeedPublic.model_validate(await monitoring.add_feed(runtime.db(), data, user))


@monitoring_router.get("/monitoring-feeds", summary="The feeds read on a schedule")
async def list_feeds(
    _: Staff, runtime: RuntimeDep, limit: Limit = 100, offset: Offset = 0
) -> list[FeedPublic]:
    found = await monitoring.list_feeds(runtime.db(), limit=limit, offset=offset)
    return [FeedPublic.model_validate(feed) for feed in found]


@monitoring_router.post("/monitoring-feeds/{feed_id}/read", summary="Read a feed now")
async def read_feed(feed_id: Id, _: MediaOfficer, runtime: RuntimeDep) -> FeedReading:
    async with httpx.AsyncClient() as http:
        return await monitoring.read_feed(
            runtime.db(), outbox_of(runtime), settings_of(runtime), feed_id, http
        )


@monitoring_router.get("/coverage", summary="A month's coverage and responses on time")
async def coverage(
    _: StaffOrSystem,
    runtime: RuntimeDep,
    month: Annotated[Month, Query(examples=["2026-11"])],
) -> CoverageReport:
    return await monitoring.coverage(runtime.db(), month)


def _enquiry_view(enquiry: Enquiry, response: MediaResponse | None) -> EnquiryPublic:
    return EnquiryPublic(
        id=enquiry.id,
        kind=enquiry.kind,
        journalist_id=enquiry.journalist_id,
        journalist_name=enquiry.journalist.full_name if enquiry.journalist else None,
        outlet=OutletRef.model_validate(enquiry.outlet) if enquiry.outlet else None,
        subject=enquiry.subject,
        question=enquiry.question,
        channel=enquiry.channel,
        received_at=enquiry.received_at,
        deadline=enquiry.deadline,
        logged_by=enquiry.logged_by,
        response_id=enquiry.response_id,
        response_status=response.status if response else None,
    )


@monitoring_router.post(
    "/enquiries",
    status_code=status.HTTP_201_CREATED,
    summary="Log a journalist's question or interview request; its answer goes to the inbox",
)
async def log_enquiry(
    data: EnquiryCreate, user: MediaOfficer, runtime: RuntimeDep
) -> EnquiryPublic:
    enquiry = await monitoring.log_enquiry(
        runtime.db(), runtime.temporal, outbox_of(runtime), settings_of(runtime), data, user
    )
    response = await responses.get_response(runtime.db(), enquiry.response_id or 0)
    return _enquiry_view(enquiry, response)


@monitoring_router.get("/enquiries", summary="Enquiries, newest first")
async def list_enquiries(
    _: Staff,
    runtime: RuntimeDep,
    journalist_id: Id | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[EnquiryPublic]:
    found = await monitoring.list_enquiries(
        runtime.db(), journalist_id=journalist_id, limit=limit, offset=offset
    )
    return [_enquiry_view(enquiry, response) for enquiry, response in found]


responses_router = APIRouter(prefix="/responses", tags=["monitoring and responses"])


@responses_router.get("", summary="Media responses, newest first")
async def list_responses(
    _: StaffOrSystem,
    runtime: RuntimeDep,
    status_: Annotated[str | None, Query(alias="status", max_length=200)] = None,
    owner: Annotated[str | None, Query(max_length=200)] = None,
    completed_from: Annotated[
        AwareDatetime | None, Query(description="Completed at or after this moment")
    ] = None,
    completed_before: Annotated[
        AwareDatetime | None, Query(description="Completed before this moment")
    ] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ResponsePublic]:
    completed = None
    if completed_from or completed_before:
        completed = (completed_from or EARLIEST, completed_before or LATEST)
    found = await responses.list_responses(
        runtime.db(), status=status_, owner=owner, completed=completed, limit=limit, offset=offset
    )
    return [response_view(response) for response in found]


@responses_router.get("/{response_id}", summary="A media response")
async def get_response(response_id: Id, _: Staff, runtime: RuntimeDep) -> ResponsePublic:
    return response_view(await responses.get_response(runtime.db(), response_id))


@responses_router.get("/{response_id}/status", summary="Where the response's workflow stands")
async def response_status(response_id: Id, _: Staff, runtime: RuntimeDep) -> ResponseWorkflowStatus:
    response = await responses.get_response(runtime.db(), response_id)
    found = await responses.workflow_status(runtime.temporal, response)
    if found is None:
        raise Problem(404, "No workflow", f"Response {response_id} has no workflow.")
    return found


@responses_router.put("/{response_id}/draft", summary="Write the draft: its text and channel")
async def write_draft(
    response_id: Id, data: DraftWrite, user: MediaOfficer, runtime: RuntimeDep
) -> ResponsePublic:
    return response_view(await responses.write_draft(runtime.db(), response_id, data, user))


@responses_router.post("/{response_id}/submit", summary="Submit the draft for approval")
async def submit_draft(response_id: Id, user: MediaOfficer, runtime: RuntimeDep) -> TaskResult:
    return await responses.submit_draft(runtime.db(), runtime.temporal, response_id, user)


@responses_router.post("/{response_id}/decisions", summary="Approve, or send back for changes")
async def decide_response(
    response_id: Id, data: ResponseDecision, user: Staff, runtime: RuntimeDep
) -> TaskResult:
    return await responses.decide(runtime.db(), runtime.temporal, response_id, data, user)


@responses_router.post("/{response_id}/cancel", summary="No response after all, with the reason")
async def cancel_response(
    response_id: Id, data: AccreditationRefusal, user: MediaOfficer, runtime: RuntimeDep
) -> ResponseWorkflowStatus:
    return await responses.cancel(runtime.db(), runtime.temporal, response_id, data.reason, user)


tasks_router = claim_router(
    tag="monitoring and responses",
    gate=MediaOfficer,
    temporal=lambda runtime: runtime.temporal,
    summaries=("Claim a response's draft or approval", "Release a claimed step"),
    owns=("media-response-", "information-request-"),
    not_ours="is not a media response's step",
)


def _response(response_id: Id) -> int:
    return response_id


class _ResponseCases:
    """What the media service does when a media response's workflow calls it."""

    async def case(self, runtime: Runtime, response_id: int) -> ResponseCase:
        return await responses.case_info(runtime.db(), settings_of(runtime), response_id)

    async def transition(
        self, runtime: Runtime, response_id: int, data: ResponseTransition, key: str | None
    ) -> ResponseCase:
        return await responses.record_transition(
            runtime.db(), outbox_of(runtime), settings_of(runtime), response_id, data, key
        )

    async def notice(
        self, runtime: Runtime, response_id: int, notice: TaskNotice, key: str | None
    ) -> None:
        await responses.task_notice(runtime.db(), outbox_of(runtime), response_id, notice, key)


response_workflow_router = case_router(
    prefix="/responses/{response_id}",
    ref=_response,
    side=_ResponseCases(),
    case=ResponseCase,
    transition=ResponseTransition,
    answer=ResponseCase,
    summaries={
        "case": "What the response workflow needs to run",
        "transitions": "Record a transition of the response",
        "notices": "A step's reminder or escalation",
    },
    names="response_",
)


@response_workflow_router.get(
    "/statement-draft",
    summary="The statement to publish",
    responses={409: {"description": "The response has no approved text"}},
)
async def statement_draft(response_id: Id, _: System, runtime: RuntimeDep) -> StatementDraft:
    return await responses.statement_draft(runtime.db(), settings_of(runtime), response_id)


@response_workflow_router.post(
    "/statement", status_code=status.HTTP_204_NO_CONTENT, summary="Record the statement's document"
)
async def record_statement(
    response_id: Id,
    data: StatementRecord,
    _: System,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKey = None,
) -> None:
    await responses.record_statement(runtime.db(), response_id, data.document_id, idempotency_key)


@response_workflow_router.post("/dispatch", summary="Email the approved answer to who asked (once)")
async def dispatch_response(response_id: Id, _: System, runtime: RuntimeDep) -> dict[str, int]:
    mailing = await responses.dispatch(
        runtime.db(), outbox_of(runtime), settings_of(runtime), response_id
    )
    return {"mailing_id": mailing.id}


# The media library.

library_router = APIRouter(prefix="/library", tags=["media library"])


def storage_of(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


@library_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a photo, video or file (location data is removed from photos)",
    responses=uploads.REFUSALS,
)
async def upload(
    request: Request,
    user: LibraryKeeper,
    runtime: RuntimeDep,
    file: UploadFile,
    caption_ka: Annotated[str, Form(min_length=1, max_length=1000)],
    author: Annotated[str, Form(min_length=1, max_length=200)],
    licence: Annotated[Licence, Form()],
    consent: Annotated[PeopleConsent, Form()],
    caption_en: Annotated[str | None, Form(max_length=1000)] = None,
    taken_on: Annotated[Day | None, Form()] = None,
    event_id: Annotated[Id | None, Form()] = None,
    visit_id: Annotated[Id | None, Form()] = None,
    consent_note: Annotated[str | None, Form(max_length=5000)] = None,
    kind: Annotated[LibraryKind | None, Form()] = None,
    title_ka: Annotated[str | None, Form(max_length=300)] = None,
    title_en: Annotated[str | None, Form(max_length=300)] = None,
    place: Annotated[str | None, Form(max_length=300)] = None,
    people: Annotated[
        list[str] | None, Form(description="A person shown; the field repeated for each")
    ] = None,
) -> LibraryItemPublic:
    item = await library.add(
        runtime.db(),
        storage_of(request),
        settings_of(runtime),
        file.file,
        file.filename or "",
        library.Details(
            caption_ka=caption_ka,
            caption_en=caption_en or None,
            author=author,
            taken_on=taken_on,
            event_id=event_id,
            visit_id=visit_id,
            licence=licence,
            consent=consent,
            consent_note=consent_note or None,
            kind=kind,
            title_ka=(title_ka or "").strip() or None,
            title_en=(title_en or "").strip() or None,
            place=(place or "").strip() or None,
            people=tuple(people or ()),
        ),
        user,
    )
    return library_view(item, settings_of(runtime))


@library_router.get("", summary="The library, newest first, filtered")
async def list_library(
    _: Staff,
    runtime: RuntimeDep,
    kind: LibraryKind | None = None,
    event_id: Id | None = None,
    visit_id: Id | None = None,
    text: Annotated[str | None, Query(max_length=200, description="Words, any form")] = None,
    taken_from: Annotated[Day | None, Query(description="Taken on or after")] = None,
    taken_to: Annotated[Day | None, Query(description="Taken on or before")] = None,
    place: Annotated[str | None, Query(max_length=200)] = None,
    person: Annotated[str | None, Query(max_length=200, description="A person shown")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[LibraryItemPublic]:
    filters = library.Filters(
        kind=kind, event_id=event_id, visit_id=visit_id, text=text, taken_from=taken_from,
        taken_to=taken_to, place=place, person=person,
    )  # fmt: skip
    found = await library.search(runtime.db(), filters, limit=limit, offset=offset)
    return [library_view(item, settings_of(runtime)) for item in found]


@library_router.get("/{item_id}", summary="A library item")
async def get_library_item(item_id: Id, _: Staff, runtime: RuntimeDep) -> LibraryItemPublic:
    return library_view(await library.load(runtime.db(), item_id), settings_of(runtime))


@library_router.patch(
    "/{item_id}", summary="Change a title, caption, credit, place, people, licence or consent"
)
async def update_library_item(
    item_id: Id, data: LibraryItemUpdate, user: LibraryKeeper, runtime: RuntimeDep
) -> LibraryItemPublic:
    item = await library.update(runtime.db(), item_id, data, user)
    return library_view(item, settings_of(runtime))


async def _stream(request: Request, name: str, media_type: str, filename: str) -> Response:
    storage = storage_of(request)
    if not await storage.exists(name):
        raise Problem(503, "File unavailable", "The file is missing from storage.")
    headers = uploads.served_headers(media_type, filename)
    return StreamingResponse(
        storage.read(name), media_type=headers["Content-Type"], headers=headers
    )


@library_router.get(
    "/{item_id}/file",
    summary="The file itself",
    response_class=StreamingResponse,
    responses=FILE_RESPONSE,
)
async def library_file(item_id: Id, request: Request, _: Staff, runtime: RuntimeDep) -> Response:
    item = await library.load(runtime.db(), item_id)
    response = await _stream(request, item.stored_name, item.media_type, item.filename)
    response.headers["X-Content-SHA256"] = item.sha256
    return response


@library_router.get(
    "/{item_id}/thumbnail",
    summary="A photo's thumbnail (JPEG)",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def library_thumbnail(
    item_id: Id, request: Request, _: Staff, runtime: RuntimeDep
) -> Response:
    item = await library.load(runtime.db(), item_id)
    if item.thumbnail_name is None:
        raise Problem(
            404, "No thumbnail", f"Item {item_id} is a {item.kind}; only photos have one."
        )
    return await _stream(request, item.thumbnail_name, "image/jpeg", f"{item.id}-thumbnail.jpg")


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
    responses={429: {"description": "Too many requests from this address (see Retry-After)"}},
)
async def public_request(
    event_id: Id, data: PublicAccreditationRequest, request: Request, runtime: RuntimeDep
) -> PublicAccreditationReceipt:
    wait = await public_form_wait(request, runtime)
    if wait:
        raise Problem(
            429, "Too many requests",
            f"Too many requests from this address; try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    found = await accreditation.request_by_form(runtime.db(), outbox_of(runtime), event_id, data)
    return PublicAccreditationReceipt(
        reference=f"A-{found.id}",
        event_id=event_id,
        status=found.status,
        message_ka=RECEIPT[0],
        message_en=RECEIPT[1],
    )


@public_router.get(
    "/public/photos/{item_id}/{width}.webp",
    summary="A library photo's public rendition (WebP, no metadata), while its licence and "
    "the consent of the people in it allow publication",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {"schema": {"type": "string", "format": "binary"}}}},
        404: {"description": "No such public photo: not a photo, or not publishable today"},
        503: {"description": "The photo cannot be read from storage just now"},
    },
)
async def public_photo(
    item_id: Id, width: RenditionWidth, request: Request, runtime: RuntimeDep
) -> Response:
    async with runtime.db().session() as session:
        item = await session.get(LibraryItem, item_id)
    data = await renditions.public_rendition(storage_of(request), item, width)
    return Response(
        data,
        media_type=renditions.MEDIA_TYPE,
        # Short: a consent withdrawn takes the photo off the site within the hour.
        headers={"Cache-Control": "public, max-age=3600"},
    )


@public_router.get(
    "/public/badges/{token}",
    summary="A journalist's badge, by the signed link in their confirmation email",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "The accreditation is not approved"},
    },
)
async def public_badge(token: str, request: Request, runtime: RuntimeDep) -> Response:
    found = await accreditation.badge_by_link(runtime.db(), settings_of(runtime), token)
    return await _badge(request, runtime, found)


@public_router.get(
    "/accreditation/{event_id}", response_class=HTMLResponse, include_in_schema=False
)
async def public_form(event_id: Id, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    async with runtime.db().session() as session:
        window = await accreditation.load_window(session, event_id)
    return templates.TemplateResponse(
        request,
        "accreditation_form.html",
        {"window": window, "accepting": accreditation.accepting(window), "errors": {}, "form": {}},
    )


async def public_form_wait(request: Request, runtime: RuntimeDep) -> int:
    """Seconds before this address may send the public form again (0: now); a request
    that may go is counted, valid or not, so a flood costs its sender, not the service."""
    settings = settings_of(runtime)
    rule = Rule.of("public-form", settings.public_form_limits)
    return await Throttle(runtime.db()).admit(
        rule, client_address(request, settings.trusted_proxies)
    )


@public_router.post(
    "/accreditation/{event_id}", response_class=HTMLResponse, include_in_schema=False
)
async def public_form_sent(event_id: Id, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    form = {key: str(value) for key, value in (await request.form()).items()}
    async with runtime.db().session() as session:
        window = await accreditation.load_window(session, event_id)
    context: dict[str, object] = {
        "window": window,
        "accepting": accreditation.accepting(window),
        "form": form,
        "errors": {},
    }
    wait = await public_form_wait(request, runtime)
    if wait:
        context["held_minutes"] = max(1, -(-wait // 60))
        return templates.TemplateResponse(
            request, "accreditation_form.html", context, status_code=429,
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
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
    distribution.JOURNALIST_LINKS.read(settings_of(runtime), token)
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
    monitoring_router,
    responses_router,
    tasks_router,
    response_workflow_router,
    library_router,
    public_router,
]
