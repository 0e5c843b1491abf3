"""Accreditation for press conferences and events: the windows the events service opens
and closes, requests by staff or by the public form, approval or refusal with a reason,
the badge's code, check-in at the door, and reminders to the accredited.

Every step is kept on the journalist's record; requests, approvals and refusals are
events on the bus (ids only: the journalist's name and contacts stay here).
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User
from meria.bus import Outbox
from meria.contracts import (
    AccreditationApproved,
    AccreditationRefused,
    AccreditationRequested,
    LocalizedText,
)
from meria.contracts.media import AccreditationEvent
from meria.db import Database
from meria.problems import Problem
from services.media import distribution
from services.media.contacts import (
    add_consents,
    consented_purposes,
    load_journalist,
    note,
    now,
    outlet_by_name,
)
from services.media.lists import refresh_journalists
from services.media.models import (
    Accreditation,
    AccreditationWindow,
    Delivery,
    Journalist,
    Mailing,
)
from services.media.schemas import (
    AccreditationCreate,
    ConsentCreate,
    PublicAccreditationRequest,
    WindowClose,
    WindowOpen,
)
from services.media.settings import MediaSettings
from services.media.states import AccreditationAction, AccreditationStatus, next_accreditation

TBILISI = ZoneInfo("Asia/Tbilisi")
CODE_PREFIX = "MERIA-ACC:"
PUBLIC_FORM_CONSENT = (
    "ვეთანხმები, რომ ჩემი სახელი, მედიასაშუალება და საკონტაქტო მონაცემები დამუშავდეს "
    "აკრედიტაციის განსახილველად. · I agree that my name, outlet and contact details are "
    "processed to handle my accreditation."
)


def badge_code(accreditation: Accreditation) -> str:
    """What the badge's QR code says: a prefix a scanner recognises, and the token."""
    return f"{CODE_PREFIX}{accreditation.badge_token}"


def typed_code(token: str) -> str:
    """The badge's token as printed under its QR code: in groups of four, to type at the door."""
    return " ".join(token[at : at + 4] for at in range(0, len(token), 4))


def accepting(window: AccreditationWindow) -> bool:
    return window.status == "open" and now() < window.closes_at


# Windows: the events service's side of the contract.


async def load_window(session: AsyncSession, event_id: int) -> AccreditationWindow:
    window = await session.get(AccreditationWindow, event_id)
    if window is None:
        raise Problem(
            404, "No accreditation window", f"Accreditation for event {event_id} was never opened."
        )
    return window


async def open_window(
    database: Database, event_id: int, data: WindowOpen, user: User
) -> tuple[AccreditationWindow, bool]:
    """Open (or re-open with new details) the window; (window, created). Asking again with
    the same details changes nothing."""
    async with database.transaction() as session:
        window = await session.get(AccreditationWindow, event_id)
        created = window is None
        if window is None:
            window = AccreditationWindow(
                event_id=event_id, opened_by=user.id, opened_at=now(), status="open"
            )
            session.add(window)
        same = (
            not created
            and window.status == "open"
            and (window.title_ka, window.title_en, window.starts_at, window.closes_at)
            == (data.title_ka, data.title_en, data.starts_at, data.closes_at)
        )
        if same:
            return window, False
        if not created and window.status == "closed":
            # A press conference put back on (new dates) takes requests again.
            window.opened_by, window.opened_at = user.id, now()
            window.closed_by = window.closed_at = window.close_reason = None
        window.status = "open"
        window.title_ka, window.title_en = data.title_ka, data.title_en
        window.starts_at, window.closes_at = data.starts_at, data.closes_at
    return window, created


async def close_window(
    database: Database, event_id: int, data: WindowClose, user: User
) -> AccreditationWindow:
    async with database.transaction() as session:
        window = await load_window(session, event_id)
        if window.status != "closed":
            window.status = "closed"
            window.close_reason = data.reason
            window.closed_by, window.closed_at = user.id, now()
    return window


async def window_counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Accreditation.status, func.count())
        .where(Accreditation.event_id == event_id)
        .group_by(Accreditation.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def list_windows(
    database: Database, *, open_only: bool = False, limit: int = 100, offset: int = 0
) -> list[AccreditationWindow]:
    query = (
        select(AccreditationWindow)
        .order_by(AccreditationWindow.starts_at.desc(), AccreditationWindow.event_id.desc())
        .limit(limit)
        .offset(offset)
    )
    if open_only:
        query = query.where(AccreditationWindow.status == "open")
    async with database.session() as session:
        return list(await session.scalars(query))


async def accredited(database: Database, event_id: int) -> list[Accreditation]:
    async with database.session() as session:
        await load_window(session, event_id)
        found = await session.scalars(
            select(Accreditation)
            .where(
                Accreditation.event_id == event_id,
                Accreditation.status == AccreditationStatus.APPROVED,
            )
            .order_by(Accreditation.id)
        )
        return list(found)


def _facts(accreditation: Accreditation) -> dict[str, Any]:
    outlet = accreditation.outlet
    return {
        "accreditation_id": accreditation.id,
        "event_id": accreditation.event_id,
        "journalist_id": accreditation.journalist_id,
        "outlet_id": accreditation.outlet_id,
        "outlet": LocalizedText(ka=outlet.name_ka, en=outlet.name_en) if outlet else None,
        "role": accreditation.role,
    }


# Requests.


async def _request(
    session: AsyncSession,
    outbox: Outbox,
    window: AccreditationWindow,
    journalist: Journalist,
    *,
    source: str,
    role: str,
    actor: str,
    outlet_name: str | None = None,
) -> Accreditation:
    existing = await session.scalar(
        select(Accreditation).where(
            Accreditation.event_id == window.event_id,
            Accreditation.journalist_id == journalist.id,
        )
    )
    if existing is not None:
        # Asking twice (a form sent again) is the same request, whatever became of it.
        return existing
    accreditation = Accreditation(
        event_id=window.event_id,
        journalist_id=journalist.id,
        outlet_id=journalist.outlet_id,
        outlet_name=outlet_name,
        status=AccreditationStatus.REQUESTED.value,
        source=source,
        role=role,
        requested_by=actor,
        requested_at=now(),
        badge_token=secrets.token_urlsafe(24),
    )
    session.add(accreditation)
    await session.flush()
    await session.refresh(accreditation, ["journalist", "outlet", "window"])
    note(
        session,
        journalist.id,
        "accreditation_requested",
        actor,
        accreditation_id=accreditation.id,
        details={"event_id": window.event_id, "source": source, "title": window.title_ka},
    )
    await outbox.add(
        session,
        AccreditationRequested(**_facts(accreditation), source=source),
        about=f"accreditation:{accreditation.id}",
    )
    return accreditation


def _require_accepting(window: AccreditationWindow) -> None:
    if not accepting(window):
        raise Problem(
            409,
            "Accreditation closed",
            f"Accreditation for “{window.title_ka}” is closed"
            + (f": {window.close_reason}" if window.close_reason else ".")
            if window.status == "closed"
            else f"Accreditation for “{window.title_ka}” closed at "
            f"{window.closes_at.astimezone(TBILISI):%Y-%m-%d %H:%M} (Tbilisi time).",
            status_now=window.status,
        )


async def request_by_staff(
    database: Database, outbox: Outbox, data: AccreditationCreate, user: User
) -> Accreditation:
    async with database.transaction() as session:
        window = await load_window(session, data.event_id)
        _require_accepting(window)
        journalist = await load_journalist(session, data.journalist_id)
        return await _request(
            session, outbox, window, journalist, source="staff", role=data.role, actor=user.id
        )


async def request_by_form(
    database: Database, outbox: Outbox, event_id: int, data: PublicAccreditationRequest
) -> Accreditation:
    """The public form: the journalist is found by address or recorded with the consent
    the form asks for. What we already hold is not overwritten by what anyone can type."""
    async with database.transaction() as session:
        window = await load_window(session, event_id)
        _require_accepting(window)
        email = data.email.strip().lower()
        journalist = await session.scalar(select(Journalist).where(Journalist.email == email))
        outlet = await outlet_by_name(session, data.outlet)
        consent = ConsentCreate(
            purpose="accreditation",
            given_on=date.today(),
            method="public_form",
            wording=PUBLIC_FORM_CONSENT,
        )
        if journalist is None:
            moment = now()
            journalist = Journalist(
                full_name=data.full_name,
                outlet_id=outlet.id if outlet else None,
                beats=[],
                languages=["ka"],
                email=email,
                phone=data.phone,
                created_by="public-form",
                created_at=moment,
                updated_at=moment,
                consents=[],
            )
            session.add(journalist)
            await session.flush()
            note(session, journalist.id, "recorded", "public-form")
        if "accreditation" not in consented_purposes(journalist):
            add_consents(session, journalist, [consent], "public-form")
        await refresh_journalists(session, [journalist.id])
        return await _request(
            session,
            outbox,
            window,
            journalist,
            source="public_form",
            role="journalist",
            actor="public-form",
            outlet_name=None if outlet else data.outlet,
        )


async def load_accreditation(session: AsyncSession, accreditation_id: int) -> Accreditation:
    found = await session.get(Accreditation, accreditation_id)
    if found is None:
        raise Problem(
            404, "No such accreditation", f"There is no accreditation {accreditation_id}."
        )
    return found


async def get_accreditation(database: Database, accreditation_id: int) -> Accreditation:
    async with database.session() as session:
        return await load_accreditation(session, accreditation_id)


async def list_accreditations(
    database: Database,
    *,
    event_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Accreditation]:
    query = select(Accreditation).order_by(Accreditation.id).limit(limit).offset(offset)
    if event_id:
        query = query.where(Accreditation.event_id == event_id)
    if status:
        query = query.where(Accreditation.status == status)
    async with database.session() as session:
        return list(await session.scalars(query))


def _badge_serializer(settings: MediaSettings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key.get_secret_value(), salt="media-badge")


def badge_link(settings: MediaSettings, accreditation: Accreditation) -> str:
    """The journalist's own link to their badge: signed, so only who got the email has it."""
    token = _badge_serializer(settings).dumps([accreditation.id, accreditation.badge_token])
    return f"{settings.public_base}/public/badges/{token}"


async def badge_by_link(database: Database, settings: MediaSettings, token: str) -> Accreditation:
    try:
        accreditation_id, badge_token = _badge_serializer(settings).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise Problem(404, "Unknown link", "This badge link is not one of ours.") from None
    async with database.session() as session:
        accreditation = await load_accreditation(session, int(accreditation_id))
    if accreditation.badge_token != badge_token:
        raise Problem(404, "Unknown link", "This badge link is not one of ours.")
    return accreditation


def _decision_mail(accreditation: Accreditation, settings: MediaSettings, approve: bool) -> Mailing:
    window = accreditation.window
    starts = window.starts_at.astimezone(TBILISI)
    moment = f"{starts:%d.%m.%Y %H:%M}"
    key = f"accreditation:{accreditation.id}:{accreditation.status}:{accreditation.decided_at}"
    if approve:
        link = badge_link(settings, accreditation)
        return Mailing(
            kind="accreditation_badge",
            key=key[:300],
            event_id=accreditation.event_id,
            subject_ka=f"აკრედიტაცია დადასტურებულია: {window.title_ka}"[:500],
            subject_en=f"Accreditation confirmed: {window.title_en}"[:500]
            if window.title_en
            else None,
            text_ka=f"თქვენი აკრედიტაცია დადასტურებულია ({moment}, თბილისის დროით). "
            f"ბეჯი QR-კოდით — დაბეჭდეთ ან აჩვენეთ ტელეფონით შესასვლელთან: {link}",
            text_en=f"Your accreditation is confirmed ({moment}, Tbilisi time). Your badge "
            f"with its QR code — print it or show it on your phone at the door: {link}"
            if window.title_en
            else None,
            unsubscribable=False,
        )
    reason = accreditation.refusal_reason or ""
    return Mailing(
        kind="accreditation_refused",
        key=key[:300],
        event_id=accreditation.event_id,
        subject_ka=f"აკრედიტაცია: {window.title_ka}"[:500],
        subject_en=f"Accreditation: {window.title_en}"[:500] if window.title_en else None,
        text_ka=f"სამწუხაროდ, აკრედიტაცია ვერ დადასტურდა. მიზეზი: {reason}",
        text_en=f"We regret that your accreditation could not be confirmed. The reason: {reason}"
        if window.title_en
        else None,
        unsubscribable=False,
    )


async def decide(
    database: Database,
    outbox: Outbox,
    settings: MediaSettings,
    accreditation_id: int,
    action: AccreditationAction,
    user: User,
    reason: str | None = None,
) -> Accreditation:
    async with database.transaction() as session:
        accreditation = await load_accreditation(session, accreditation_id)
        accreditation.status = next_accreditation(accreditation.status, action).value
        accreditation.decided_by, accreditation.decided_at = user.id, now()
        accreditation.refusal_reason = reason if action is AccreditationAction.REFUSE else None
        approve = action is AccreditationAction.APPROVE
        note(
            session,
            accreditation.journalist_id,
            "accreditation_approved" if approve else "accreditation_refused",
            user.id,
            note=reason,
            accreditation_id=accreditation.id,
            details={"event_id": accreditation.event_id},
        )
        facts = _facts(accreditation)
        event: AccreditationEvent = (
            AccreditationApproved(**facts, decided_by=user.id)
            if approve
            else AccreditationRefused(**facts, decided_by=user.id)
        )
        await outbox.add(session, event, about=f"accreditation:{accreditation.id}")
        # The journalist hears of the decision: the badge's link, or the reason.
        if accreditation.journalist.email:
            await distribution.create_mailing(
                session,
                outbox,
                settings,
                _decision_mail(accreditation, settings, approve),
                [distribution.addressee(accreditation.journalist)],
            )
    return accreditation


def token_of(code: str) -> str:
    code = code.strip()
    if code.startswith(CODE_PREFIX):
        return code[len(CODE_PREFIX) :]
    # A scanner that opened the code as a link, or a person typing the printed token (its
    # groups of four with or without their spaces).
    return "".join(code.rsplit("/", 1)[-1].split())


async def check_in(database: Database, code: str, user: User) -> tuple[Accreditation, bool]:
    """Let a journalist in by their badge's code; (accreditation, already checked in)."""
    token = token_of(code)
    async with database.transaction() as session:
        accreditation = await session.scalar(
            select(Accreditation).where(Accreditation.badge_token == token)
        )
        if accreditation is None:
            raise Problem(404, "Unknown badge", "No accreditation carries this code.")
        next_accreditation(accreditation.status, AccreditationAction.CHECK_IN)
        if accreditation.checked_in_at is not None:
            return accreditation, True
        accreditation.checked_in_at, accreditation.checked_in_by = now(), user.id
        note(
            session,
            accreditation.journalist_id,
            "checked_in",
            user.id,
            accreditation_id=accreditation.id,
            details={"event_id": accreditation.event_id},
        )
    return accreditation, False


async def send_reminders(
    database: Database,
    outbox: Outbox,
    settings: MediaSettings,
    event_id: int,
    key: str,
) -> tuple[Mailing, int, bool]:
    """Email every accredited journalist a reminder, once per key; (mailing, recipients,
    already sent)."""
    async with database.transaction() as session:
        window = await load_window(session, event_id)
        approved = list(
            await session.scalars(
                select(Accreditation).where(
                    Accreditation.event_id == event_id,
                    Accreditation.status == AccreditationStatus.APPROVED,
                )
            )
        )
        recipients = [distribution.addressee(a.journalist) for a in approved if a.journalist.email]
        starts = window.starts_at.astimezone(TBILISI)
        mailing, created = await distribution.create_mailing(
            session,
            outbox,
            settings,
            Mailing(
                kind="accreditation_reminder",
                key=f"reminder:{event_id}:{key}",
                event_id=event_id,
                subject_ka=f"შეხსენება: {window.title_ka}"[:500],
                subject_en=f"Reminder: {window.title_en}"[:500] if window.title_en else None,
                text_ka=f"თქვენ აკრედიტებული ხართ: {window.title_ka}. დაწყება: "
                f"{starts:%d.%m.%Y %H:%M} (თბილისის დროით). გთხოვთ, თან იქონიოთ ბეჯი QR-კოდით.",
                text_en=f"You are accredited for: {window.title_en}. It starts at "
                f"{starts:%d.%m.%Y %H:%M} (Tbilisi time). Please bring your badge with its QR "
                "code."
                if window.title_en
                else None,
                unsubscribable=False,
            ),
            recipients,
        )
        total = await session.scalar(
            select(func.count()).select_from(
                select(Delivery.id).where(Delivery.mailing_id == mailing.id).subquery()
            )
        )
        if created:
            for accreditation in approved:
                note(
                    session,
                    accreditation.journalist_id,
                    "accreditation_reminded",
                    "meria",
                    accreditation_id=accreditation.id,
                    details={"event_id": event_id, "mailing_id": mailing.id},
                )
    return mailing, int(total or 0), not created
