"""Outlets, journalists and their consent, distribution lists, and each journalist's record.

Contact details are kept only on the grounds of a consent with its date and purpose
(Georgia's Law on Personal Data Protection); a release goes only to whoever consented to
press distribution, has not unsubscribed, and whose address has not bounced for good.
A journalist's e-mail and phone are read only by those who work with the press (see
`may_see_contacts`); other staff see who the journalist is, not how to reach them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.media.models import (
    Consent,
    DistributionList,
    Journalist,
    Outlet,
    RecordEntry,
)
from services.media.schemas import (
    ConsentCreate,
    DistributionListCreate,
    DistributionListUpdate,
    JournalistCreate,
    JournalistUpdate,
    ListRule,
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
        for field, value in data.model_dump(mode="json", exclude_unset=True).items():
            if value is None and field in ("name_ka", "medium", "verified"):
                raise Problem(422, "Required", f"{field} cannot be emptied.")
            setattr(outlet, field, value)
    return outlet


async def list_outlets(
    database: Database, *, medium: str | None = None, text: str | None = None
) -> list[Outlet]:
    query = select(Outlet).order_by(Outlet.name_ka)
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


async def _check_outlet(session: AsyncSession, outlet_id: int | None) -> None:
    if outlet_id is not None:
        await load_outlet(session, outlet_id)


def _normalised(email: str | None) -> str | None:
    return email.strip().lower() if email else None


async def _new_journalist(session: AsyncSession, data: JournalistCreate, actor: str) -> Journalist:
    await _check_outlet(session, data.outlet_id)
    moment = now()
    journalist = Journalist(
        **data.model_dump(mode="json", exclude={"consents"}),
        created_by=actor,
        created_at=moment,
        updated_at=moment,
        consents=[],
    )
    journalist.email = _normalised(journalist.email)
    session.add(journalist)
    await session.flush()
    note(session, journalist.id, "recorded", actor)
    add_consents(session, journalist, data.consents, actor)
    return journalist


async def create_journalist(database: Database, data: JournalistCreate, user: User) -> Journalist:
    async with database.transaction() as session:
        return await _new_journalist(session, data, user.id)


async def import_journalists(
    database: Database, journalists: list[JournalistCreate], user: User
) -> int:
    """A newsroom's contact list in one go: all of it, or none if any entry is refused."""
    async with database.transaction() as session:
        for data in journalists:
            await _new_journalist(session, data, user.id)
    return len(journalists)


async def update_journalist(
    database: Database, journalist_id: int, data: JournalistUpdate, user: User
) -> Journalist:
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        changes = data.model_dump(mode="json", exclude_unset=True)
        if "full_name" in changes and changes["full_name"] is None:
            raise Problem(422, "Required", "full_name cannot be emptied.")
        if "outlet_id" in changes:
            await _check_outlet(session, changes["outlet_id"])
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
    return journalist


async def record_consent(
    database: Database, journalist_id: int, data: ConsentCreate, user: User
) -> Journalist:
    async with database.transaction() as session:
        journalist = await load_journalist(session, journalist_id)
        add_consents(session, journalist, [data], user.id)
        journalist.updated_at = now()
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
    return journalist


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
    query = select(Journalist).order_by(Journalist.full_name, Journalist.id)
    if outlet_id:
        query = query.where(Journalist.outlet_id == outlet_id)
    if text:
        pattern = f"%{text}%"
        matching = [Journalist.full_name.ilike(pattern)]
        if by_email:
            matching.append(Journalist.email.ilike(pattern))
        query = query.where(or_(*matching))
    async with database.session() as session:
        found = list(await session.scalars(query))
    if beat:
        found = [j for j in found if beat in j.beats]
    return found[offset : offset + limit], len(found)


async def record_of(database: Database, journalist_id: int) -> list[RecordEntry]:
    async with database.session() as session:
        await load_journalist(session, journalist_id)
        entries = await session.scalars(
            select(RecordEntry)
            .where(RecordEntry.journalist_id == journalist_id)
            .order_by(RecordEntry.id)
        )
        return list(entries)


# Distribution lists.


def may_receive_releases(journalist: Journalist) -> bool:
    return (
        bool(journalist.email)
        and journalist.unsubscribed_at is None
        and journalist.email_bounced_at is None
        and "press_distribution" in consented_purposes(journalist)
    )


def matches(rule: ListRule, journalist: Journalist) -> bool:
    outlet = journalist.outlet
    if rule.media and (outlet is None or outlet.medium not in rule.media):
        return False
    if rule.beats and not set(rule.beats) & set(journalist.beats):
        return False
    if rule.languages and not set(rule.languages) & set(journalist.languages):
        return False
    if rule.regions and (outlet is None or outlet.region not in rule.regions):
        return False
    return not (rule.outlet_ids and journalist.outlet_id not in rule.outlet_ids)


async def members(session: AsyncSession, lists: Iterable[DistributionList]) -> list[Journalist]:
    """Everyone a release to these lists reaches, once each, in a stable order."""
    chosen: dict[int, Journalist] = {}
    everyone: list[Journalist] | None = None
    for distribution_list in lists:
        if distribution_list.kind == "static":
            if distribution_list.member_ids:
                found = await session.scalars(
                    select(Journalist).where(Journalist.id.in_(distribution_list.member_ids))
                )
                chosen.update((j.id, j) for j in found)
            continue
        if everyone is None:
            everyone = list(await session.scalars(select(Journalist)))
        rule = ListRule.model_validate(distribution_list.rule)
        chosen.update((j.id, j) for j in everyone if matches(rule, j))
    return [chosen[key] for key in sorted(chosen) if may_receive_releases(chosen[key])]


async def load_list(session: AsyncSession, list_id: int) -> DistributionList:
    found = await session.get(DistributionList, list_id)
    if found is None:
        raise Problem(404, "No such list", f"There is no distribution list {list_id}.")
    return found


async def _check_members(session: AsyncSession, member_ids: list[int]) -> None:
    if not member_ids:
        return
    known = set(await session.scalars(select(Journalist.id).where(Journalist.id.in_(member_ids))))
    missing = sorted(set(member_ids) - known)
    if missing:
        raise Problem(
            422, "Unknown journalists", f"No journalists {', '.join(map(str, missing[:20]))}."
        )


async def create_list(
    database: Database, data: DistributionListCreate, user: User
) -> DistributionList:
    async with database.transaction() as session:
        await _check_members(session, data.member_ids)
        moment = now()
        found = DistributionList(
            name_ka=data.name_ka,
            name_en=data.name_en,
            kind=data.kind,
            rule=data.rule.model_dump(mode="json"),
            member_ids=sorted(set(data.member_ids)),
            document_types=list(data.document_types),
            created_by=user.id,
            created_at=moment,
            updated_at=moment,
        )
        session.add(found)
    return found


async def update_list(
    database: Database, list_id: int, data: DistributionListUpdate, user: User
) -> DistributionList:
    async with database.transaction() as session:
        found = await load_list(session, list_id)
        changes = data.model_dump(mode="json", exclude_unset=True)
        if changes.get("member_ids") and found.kind != "static":
            raise Problem(409, "A rule list", "A rule list's members come from its rule.")
        if "rule" in changes and found.kind != "rule":
            raise Problem(409, "A static list", "A static list names its members.")
        if "member_ids" in changes:
            await _check_members(session, changes["member_ids"] or [])
            changes["member_ids"] = sorted(set(changes["member_ids"] or []))
        for field, value in changes.items():
            if value is None and field in ("name_ka", "document_types", "rule"):
                raise Problem(422, "Required", f"{field} cannot be emptied.")
            setattr(found, field, value)
        found.updated_at = now()
    return found


async def all_lists(database: Database) -> list[DistributionList]:
    async with database.session() as session:
        return list(await session.scalars(select(DistributionList).order_by(DistributionList.id)))


async def count_journalists(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Journalist)) or 0)
