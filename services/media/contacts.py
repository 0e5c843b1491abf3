"""Outlets, journalists and their consent, and each journalist's record.

Contact details are kept only on the grounds of a consent with its date and purpose
(Georgia's Law on Personal Data Protection); a release goes only to whoever consented to
press distribution, has not unsubscribed, and whose address has not bounced for good.
A journalist's e-mail and phone are read only by those who work with the press (see
`may_see_contacts`); other staff see who the journalist is, not how to reach them.
Every change that can move a journalist on or off a distribution list, or change whether
a release reaches them, brings their list rows along in its transaction (services.media.lists).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, delete, func, insert, or_, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.media.lists import batches, breathe, recount, refresh_journalists, refresh_outlet
from services.media.models import (
    ERASED_NAME,
    Consent,
    Delivery,
    Journalist,
    ListMember,
    Outlet,
    RecordEntry,
)
from services.media.schemas import (
    ConsentCreate,
    JournalistCreate,
    JournalistUpdate,
    OutletCreate,
    OutletUpdate,
)

# Who reads a journalist's e-mail and phone: the press officers who use them, the head of
# department who answers for them, and administrators. The consent was given for the
# press service's work, not for every member of staff.
CONTACT_ROLES = ("media_officer", "head_of_department", "admin")


def may_see_contacts(user: User) -> bool:
    return user.has_any(*CONTACT_ROLES)


def now() -> datetime:
    return datetime.now(UTC)


def note(
    session: AsyncSession,
    journalist_id: int | None,
    action: str,
    actor: str,
    *,
    note: str | None = None,
    accreditation_id: int | None = None,
    enquiry_id: int | None = None,
    response_id: int | None = None,
    details: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> RecordEntry:
    """Keep one fact on a journalist's record (or on a response's, with no journalist)."""
    entry = RecordEntry(
        journalist_id=journalist_id,
        at=now(),
        actor=actor,
        action=action,
        note=note,
        accreditation_id=accreditation_id,
        enquiry_id=enquiry_id,
        response_id=response_id,
        details=details or {},
        idempotency_key=idempotency_key,
    )
    session.add(entry)
    return entry


async def already_done(session: AsyncSession, key: str | None) -> bool:
    if key is None:
        return False
    found = await session.scalar(select(RecordEntry.id).where(RecordEntry.idempotency_key == key))
    return found is not None


# Outlets.


async def load_outlet(session: AsyncSession, outlet_id: int) -> Outlet:
    outlet = await session.get(Outlet, outlet_id)
    if outlet is None:
        raise Problem(404, "No such outlet", f"There is no outlet {outlet_id}.")
    return outlet


async def create_outlet(database: Database, data: OutletCreate, user: User) -> Outlet:
    async with database.transaction() as session:
        outlet = Outlet(
            **data.model_dump(mode="json"), verified=True, created_by=user.id, created_at=now()
        )
        session.add(outlet)
    return outlet


async def update_outlet(
    database: Database, outlet_id: int, data: OutletUpdate, user: User
) -> Outlet:
    async with database.transaction() as session:
        outlet = await load_outlet(session, outlet_id)
        before = (outlet.medium, outlet.region)
        for field, value in data.model_dump(mode="json", exclude_unset=True).items():
            if value is None and field in ("name_ka", "medium", "verified"):
                raise Problem(422, "Required", f"{field} cannot be emptied.")
            setattr(outlet, field, value)
        if (outlet.medium, outlet.region) != before:
            await refresh_outlet(session, outlet.id)
    return outlet


async def list_outlets(
    database: Database,
    *,
    medium: str | None = None,
    text: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[Outlet]:
    query = select(Outlet).order_by(Outlet.name_ka, Outlet.id).limit(limit).offset(offset)
    if medium:
        query = query.where(Outlet.medium == medium)
    if text:
        pattern = f"%{text}%"
        query = query.where(or_(Outlet.name_ka.ilike(pattern), Outlet.name_en.ilike(pattern)))
    async with database.session() as session:
        return list(await session.scalars(query))


async def outlet_by_name(session: AsyncSession, name: str) -> Outlet | None:
    """An outlet the public form names, matched on either name whatever the case."""
    wanted = name.strip().casefold()
    for outlet in await session.scalars(select(Outlet)):
        if wanted in {outlet.name_ka.casefold(), (outlet.name_en or "").casefold()}:
            return outlet
    return None


# Journalists.


async def load_journalist(session: AsyncSession, journalist_id: int) -> Journalist:
    journalist = await session.get(Journalist, journalist_id)
    if journalist is None:
        raise Problem(404, "No such journalist", f"There is no journalist {journalist_id}.")
    return journalist


def add_consents(
    session: AsyncSession,
    journalist: Journalist,
    consents: Iterable[ConsentCreate],
    actor: str,
) -> None:
    for consent in consents:
        journalist.consents.append(
            Consent(
                purpose=consent.purpose,
                given_on=consent.given_on,
                method=consent.method,
                wording=consent.wording,
                recorded_by=actor,
                recorded_at=now(),
            )
        )
        note(
            session,
            journalist.id,
            "consent_given",
            actor,
            details={"purpose": consent.purpose, "given_on": consent.given_on.isoformat()},
        )


def consented_purposes(journalist: Journalist) -> list[str]:
    return sorted({c.purpose for c in journalist.consents if c.withdrawn_at is None})


async def _check_outlets(session: AsyncSession, outlet_ids: Iterable[int | None]) -> None:
    wanted = {outlet_id for outlet_id in outlet_ids if outlet_id is not None}
    known = set(await session.scalars(select(Outlet.id).where(Outlet.id.in_(wanted))))
    missing = sorted(wanted - known)
    if missing:
        raise Problem(404, "No such outlet", f"There is no outlet {missing[0]}.")


def _normalised(email: str | None) -> str | None:
    return email.strip().lower() if email else None


async def _new_journalists(
    session: AsyncSession, entries: Sequence[JournalistCreate], actor: str
) -> list[int]:
    """Record journalists with their consents and the record's first entries, as plain
    rows: the ORM's bookkeeping for an import's thousands is the costly part."""
    await _check_outlets(session, (data.outlet_id for data in entries))
    moment = now()
    rows = [
        {
            **data.model_dump(mode="json", exclude={"consents"}),
            "email": _normalised(data.email),
            "created_by": actor,
            "created_at": moment,
            "updated_at": moment,
        }
        for data in entries
    ]
    journalists = cast(Table, Journalist.__table__)
    ids = list(
        await session.scalars(
            insert(journalists).returning(journalists.c.id, sort_by_parameter_order=True), rows
        )
    )
    consents: list[dict[str, Any]] = []
    entries_kept: list[dict[str, Any]] = []
    for journalist_id, data in zip(ids, entries, strict=True):
        entries_kept.append(_entry(journalist_id, "recorded", actor, moment))
        for consent in data.consents:
            consents.append(
                {
                    "journalist_id": journalist_id,
                    "purpose": consent.purpose,
                    "given_on": consent.given_on,
                    "method": consent.method,
                    "wording": consent.wording,
                    "recorded_by": actor,
                    "recorded_at": moment,
                }
            )
            entries_kept.append(
                _entry(
                    journalist_id, "consent_given", actor, moment,
                    {"purpose": consent.purpose, "given_on": consent.given_on.isoformat()},
                )
            )  # fmt: skip
    if consents:
        await session.execute(insert(cast(Table, Consent.__table__)), consents)
    await session.execute(insert(cast(Table, RecordEntry.__table__)), entries_kept)
    return ids


def _entry(
    journalist_id: int,
    action: str,
    actor: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A record entry as a row (what `note` adds as an object)."""
    return {
        "journalist_id": journalist_id, "at": at, "actor": actor, "action": action,
        "note": None, "accreditation_id": None, "enquiry_id": None, "response_id": None,
        "details": details or {}, "idempotency_key": None,
    }  # fmt: skip


async def create_journalist(database: Database, data: JournalistCreate, user: User) -> Journalist:
    async with database.transaction() as session:
        [journalist_id] = await _new_journalists(session, [data], user.id)
        await refresh_journalists(session, [journalist_id])
        return await load_journalist(session, journalist_id)


# Journalists recorded per statement in an import: each batch holds the loop for a few
# milliseconds, and the loop answers others between batches.
IMPORT_BATCH = 50


async def import_journalists(
    database: Database, journalists: list[JournalistCreate], user: User
) -> int:
    """A newsroom's contact list in one go: all of it, or none if any entry is refused."""
    async with database.transaction() as session:
        ids: list[int] = []
        for chunk in batches(journalists, IMPORT_BATCH):
            ids.extend(await _new_journalists(session, chunk, user.id))
            await breathe()
        await refresh_journalists(session, ids)
    return len(journalists)


def erased(journalist: Journalist) -> bool:
    return journalist.full_name == ERASED_NAME


def _not_erased(journalist: Journalist) -> None:
    if erased(journalist):
        raise Problem(
            409, "Erased", f"Journalist {journalist.id} is erased: nothing of them is kept."
        )


async def update_journalist(
    database: Database, journalist_id: int, data: JournalistUpdate, user: User
) -> Journalist:
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        _not_erased(journalist)
        changes = data.model_dump(mode="json", exclude_unset=True)
        if "full_name" in changes and changes["full_name"] is None:
            raise Problem(422, "Required", "full_name cannot be emptied.")
        if "outlet_id" in changes:
            await _check_outlets(session, [changes["outlet_id"]])
        if (changes.get("email") or changes.get("phone")) and not consented_purposes(journalist):
            raise Problem(
                409,
                "No consent",
                "Contact details are kept only with a recorded consent; record one first.",
            )
        if "email" in changes:
            changes["email"] = _normalised(changes["email"])
            if changes["email"] != journalist.email:
                # A new address is a new chance: the old one's bounce does not follow it.
                journalist.email_bounced_at = None
        for field, value in changes.items():
            setattr(journalist, field, value)
        journalist.updated_at = now()
        note(session, journalist.id, "updated", user.id, details={"fields": sorted(changes)})
        await refresh_journalists(session, [journalist.id])
    return journalist


async def record_consent(
    database: Database, journalist_id: int, data: ConsentCreate, user: User
) -> Journalist:
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        _not_erased(journalist)
        add_consents(session, journalist, [data], user.id)
        journalist.updated_at = now()
        await refresh_journalists(session, [journalist.id])
    return journalist


async def withdraw_consent(
    database: Database, journalist_id: int, consent_id: int, user: User
) -> Journalist:
    """A withdrawn consent stays on record with its date; without any consent left, the
    contact details it covered go (the law's storage limitation)."""
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        consent = next((c for c in journalist.consents if c.id == consent_id), None)
        if consent is None:
            raise Problem(
                404, "No such consent", f"Journalist {journalist_id} has no {consent_id}."
            )
        if consent.withdrawn_at is None:
            consent.withdrawn_at = now()
            note(
                session,
                journalist.id,
                "consent_withdrawn",
                user.id,
                details={"purpose": consent.purpose},
            )
        if not consented_purposes(journalist) and (journalist.email or journalist.phone):
            journalist.email = None
            journalist.phone = None
            note(session, journalist.id, "contacts_erased", user.id)
        journalist.updated_at = now()
        await refresh_journalists(session, [journalist.id])
    return journalist


async def erase_journalist(
    database: Database, journalist_id: int, reason: str, user: User
) -> Journalist:
    """The journalist asked to be forgotten (the law's right to erasure): their name,
    details and contacts go, every consent is withdrawn, they leave every list, mail not
    yet sent to them is not sent, and the addresses on past deliveries and on the record
    go too. The row stays, nameless, where accreditations and deliveries point to it; the
    record keeps who erased it, when and why. Erasing again changes nothing."""
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        if erased(journalist):
            return journalist
        moment = now()
        for consent in journalist.consents:
            consent.withdrawn_at = consent.withdrawn_at or moment
        for field in ("outlet_id", "position", "email", "phone", "notes"):
            setattr(journalist, field, None)
        journalist.full_name, journalist.beats, journalist.languages = ERASED_NAME, [], []
        journalist.updated_at = moment
        await _forget_elsewhere(session, journalist_id)
        note(session, journalist.id, "erased", user.id, note=reason)
        await refresh_journalists(session, [journalist.id])
    return journalist


async def _forget_elsewhere(session: AsyncSession, journalist_id: int) -> None:
    """The erased journalist's list rows, pending mail, past addresses and record details."""
    lists_of = list(
        await session.scalars(
            select(ListMember.list_id).where(ListMember.journalist_id == journalist_id)
        )
    )
    await session.execute(delete(ListMember).where(ListMember.journalist_id == journalist_id))
    await recount(session, lists_of)
    mine = Delivery.journalist_id == journalist_id
    await session.execute(
        update(Delivery)
        .where(mine, Delivery.status.in_(("pending", "deferred")))
        .values(status="suppressed", smtp_answer="erased at the journalist's request")
    )
    # One delivery per address and mailing: a placeholder of its own keeps that true.
    await session.execute(
        update(Delivery)
        .where(mine)
        .values(name=ERASED_NAME, email=f"erased-{journalist_id}", updated_at=now())
        .execution_options(synchronize_session=False)
    )
    entries = await session.scalars(
        select(RecordEntry).where(RecordEntry.journalist_id == journalist_id)
    )
    for entry in entries:
        if "email" in (entry.details or {}):
            entry.details = {k: v for k, v in entry.details.items() if k != "email"}


def holds(column: Any, value: str) -> ColumnElement[bool]:
    """A JSON list of strings holds `value`: its stored text holds the value's JSON, quotes
    and all (the same text on SQLite and PostgreSQL, whose `json` keeps what was written)."""
    needle = json.dumps(value).replace("/", "//").replace("%", "/%").replace("_", "/_")
    return sql_cast(column, String).like(f"%{needle}%", escape="/")


async def list_journalists(
    database: Database,
    *,
    outlet_id: int | None = None,
    beat: str | None = None,
    text: str | None = None,
    by_email: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Journalist], int]:
    """Journalists by name (and by address, for those who may see addresses: a search by
    address would tell the others whether one is on record)."""
    # The erased are no one to look for.
    query = select(Journalist).where(Journalist.full_name != ERASED_NAME)
    if outlet_id:
        query = query.where(Journalist.outlet_id == outlet_id)
    if beat:
        query = query.where(holds(Journalist.beats, beat))
    if text:
        pattern = f"%{text}%"
        matching = [Journalist.full_name.ilike(pattern)]
        if by_email:
            matching.append(Journalist.email.ilike(pattern))
        query = query.where(or_(*matching))
    async with database.session() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        page = query.order_by(Journalist.full_name, Journalist.id).limit(limit).offset(offset)
        found = list(await session.scalars(page))
    return found, int(total or 0)


async def record_of(
    database: Database, journalist_id: int, *, limit: int = 500, offset: int = 0
) -> list[RecordEntry]:
    async with database.session() as session:
        await load_journalist(session, journalist_id)
        entries = await session.scalars(
            select(RecordEntry)
            .where(RecordEntry.journalist_id == journalist_id)
            .order_by(RecordEntry.id)
            .limit(limit)
            .offset(offset)
        )
        return list(entries)


async def count_journalists(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Journalist)) or 0)
