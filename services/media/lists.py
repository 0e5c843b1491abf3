"""Distribution lists and who is on them.

A list is static (the journalists it names) or a rule over outlets' media and regions,
journalists' beats and languages, and outlets (all TV, all who cover tourism). Who is on
each list is kept as rows (`ListMember`), each saying whether a release reaches that
journalist now (an address, consent to press distribution, not unsubscribed, not
bounced), and each list keeps its two counts. The rows follow what they depend on, in the
transaction that changes it: a list's rule or names go over the list (`refresh_list`), a
journalist's details, consents, bounce or unsubscribing go over that journalist's rows,
an outlet's medium or region over its journalists' (`refresh_journalists`).

So listing the lists, paging a list's recipients and addressing a release read rows
through indexes. Before, every list was matched against every journalist on each request:
with 10,000 journalists that held the media service's event loop for minutes. What still
goes over many rows (a new rule, an import) works in batches and lets the loop answer
others between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import User
from meria.db import Database
from meria.problems import Problem
from services.media.models import (
    ERASED_NAME,
    Consent,
    DistributionList,
    Journalist,
    ListMember,
    Outlet,
)
from services.media.schemas import DistributionListCreate, DistributionListUpdate, ListRule

# Journalists read, and member rows written, per statement: each batch holds the loop for
# a few milliseconds, and the loop answers others between batches.
BATCH = 250
# Rows are written as plain rows: the ORM's bookkeeping for thousands is the costly part.
MEMBERS = cast(Table, ListMember.__table__)

T = TypeVar("T")


def batches(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def breathe() -> None:
    """Let the event loop answer others: the SQLite driver never suspends on its own."""
    await asyncio.sleep(0)


@dataclass(frozen=True)
class Facts:
    """What list membership depends on, of one journalist."""

    id: int
    outlet_id: int | None
    medium: str | None
    region: str | None
    beats: frozenset[str]
    languages: frozenset[str]
    reached: bool


def reached_clause() -> ColumnElement[bool]:
    """A release reaches the journalist: an address, consent to press distribution (not
    withdrawn), not unsubscribed, not bounced for good."""
    consented = exists().where(
        Consent.journalist_id == Journalist.id,
        Consent.purpose == "press_distribution",
        Consent.withdrawn_at.is_(None),
    )
    return and_(
        Journalist.email.is_not(None),
        Journalist.email != "",
        Journalist.unsubscribed_at.is_(None),
        Journalist.email_bounced_at.is_(None),
        consented,
    )


async def facts(session: AsyncSession, *where: ColumnElement[bool], limit: int = 0) -> list[Facts]:
    query = (
        select(
            Journalist.id,
            Journalist.outlet_id,
            Outlet.medium,
            Outlet.region,
            Journalist.beats,
            Journalist.languages,
            reached_clause().label("reached"),
        )
        .outerjoin(Outlet, Outlet.id == Journalist.outlet_id)
        # An erased journalist is on no list.
        .where(Journalist.full_name != ERASED_NAME, *where)
        .order_by(Journalist.id)
    )
    if limit:
        query = query.limit(limit)
    return [
        Facts(
            row.id, row.outlet_id, row.medium, row.region,
            frozenset(row.beats or ()), frozenset(row.languages or ()), bool(row.reached),
        )
        for row in await session.execute(query)
    ]  # fmt: skip


def matches(rule: ListRule, journalist: Facts) -> bool:
    if rule.media and journalist.medium not in rule.media:
        return False
    if rule.beats and not journalist.beats.intersection(rule.beats):
        return False
    if rule.languages and not journalist.languages.intersection(rule.languages):
        return False
    if rule.regions and journalist.region not in rule.regions:
        return False
    return not (rule.outlet_ids and journalist.outlet_id not in rule.outlet_ids)


# Keeping the rows.

Key = tuple[int, int]  # (list, journalist)


async def _apply(
    session: AsyncSession, existing: dict[Key, bool], wanted: dict[Key, bool]
) -> set[int]:
    """Make the rows `existing` into `wanted`; the lists whose rows changed."""
    gone = [key for key in existing if key not in wanted]
    new = [key for key in wanted if key not in existing]
    moved = [key for key in wanted if key in existing and existing[key] != wanted[key]]
    for chunk in batches(gone):
        for list_id, journalist_ids in _by_list(chunk).items():
            await session.execute(
                delete(ListMember).where(
                    ListMember.list_id == list_id, ListMember.journalist_id.in_(journalist_ids)
                )
            )
        await breathe()
    for chunk in batches(new):
        await session.execute(
            insert(MEMBERS),
            [{"list_id": key[0], "journalist_id": key[1], "reached": wanted[key]} for key in chunk],
        )
        await breathe()
    for reached in (True, False):
        changed = [key for key in moved if wanted[key] is reached]
        for chunk in batches(changed):
            for list_id, journalist_ids in _by_list(chunk).items():
                await session.execute(
                    update(ListMember)
                    .where(
                        ListMember.list_id == list_id,
                        ListMember.journalist_id.in_(journalist_ids),
                    )
                    .values(reached=reached)
                )
            await breathe()
    return {key[0] for key in (*gone, *new, *moved)}


def _by_list(keys: Iterable[Key]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for list_id, journalist_id in keys:
        grouped.setdefault(list_id, []).append(journalist_id)
    return grouped


async def recount(session: AsyncSession, list_ids: Iterable[int]) -> None:
    """Count each list's members and recipients again, from the index."""
    ids = sorted(set(list_ids))
    if not ids:
        return
    members = select(func.count()).where(ListMember.list_id == DistributionList.id)
    await session.execute(
        update(DistributionList)
        .where(DistributionList.id.in_(ids))
        .values(
            member_count=members.scalar_subquery(),
            recipient_count=members.where(ListMember.reached.is_(True)).scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )


async def _rules(session: AsyncSession) -> list[tuple[int, ListRule]]:
    rows = await session.execute(
        select(DistributionList.id, DistributionList.rule).where(DistributionList.kind == "rule")
    )
    return [(list_id, ListRule.model_validate(rule)) for list_id, rule in rows]


async def refresh_journalists(session: AsyncSession, journalist_ids: Iterable[int]) -> None:
    """Bring these journalists' rows up to date with their details, consents and outlets:
    which rule lists they match, whether a release reaches them; then the lists' counts."""
    ids = sorted(set(journalist_ids))
    if not ids:
        return
    await session.flush()
    rules = await _rules(session)
    touched: set[int] = set()
    for chunk in batches(ids):
        found = await facts(session, Journalist.id.in_(chunk))
        rows = await session.execute(
            select(ListMember.list_id, ListMember.journalist_id, ListMember.reached)
            .join(DistributionList, DistributionList.id == ListMember.list_id)
            .where(ListMember.journalist_id.in_(chunk))
            .add_columns(DistributionList.kind)
        )
        existing: dict[Key, bool] = {}
        static: list[Key] = []
        for list_id, journalist_id, reached, kind in rows:
            existing[(list_id, journalist_id)] = reached
            if kind == "static":
                static.append((list_id, journalist_id))
        reach = {journalist.id: journalist.reached for journalist in found}
        # A static list keeps whom it names; a rule list takes whom its rule matches.
        wanted = {key: reach.get(key[1], False) for key in static}
        for journalist in found:
            for list_id, rule in rules:
                if matches(rule, journalist):
                    wanted[(list_id, journalist.id)] = journalist.reached
        touched |= await _apply(session, existing, wanted)
        await breathe()
    await recount(session, touched)


async def refresh_outlet(session: AsyncSession, outlet_id: int) -> None:
    """An outlet's medium or region changed: so may its journalists' rule lists."""
    await session.flush()
    ids = list(
        await session.scalars(select(Journalist.id).where(Journalist.outlet_id == outlet_id))
    )
    await refresh_journalists(session, ids)


async def refresh_list(
    session: AsyncSession, found: DistributionList, named: Sequence[int] | None = None
) -> None:
    """Bring one list's rows up to date: a rule list goes over every journalist in
    batches; a static list takes `named` (when given) as its members."""
    await session.flush()
    wanted: dict[Key, bool] = {}
    if found.kind == "rule":
        rule = ListRule.model_validate(found.rule)
        after = 0
        while True:
            page = await facts(session, Journalist.id > after, limit=BATCH)
            if not page:
                break
            wanted.update(
                ((found.id, journalist.id), journalist.reached)
                for journalist in page
                if matches(rule, journalist)
            )
            after = page[-1].id
            await breathe()
    else:
        if named is None:
            named = list(
                await session.scalars(
                    select(ListMember.journalist_id).where(ListMember.list_id == found.id)
                )
            )
        for chunk in batches(sorted(set(named))):
            wanted.update(
                ((found.id, journalist.id), journalist.reached)
                for journalist in await facts(session, Journalist.id.in_(chunk))
            )
            await breathe()
    rows = await session.execute(
        select(ListMember.journalist_id, ListMember.reached).where(ListMember.list_id == found.id)
    )
    existing = {(found.id, journalist_id): reached for journalist_id, reached in rows}
    await _apply(session, existing, wanted)
    await recount(session, [found.id])


# The lists themselves.


def now() -> datetime:
    return datetime.now(UTC)


async def load_list(session: AsyncSession, list_id: int) -> DistributionList:
    found = await session.get(DistributionList, list_id)
    if found is None:
        raise Problem(404, "No such list", f"There is no distribution list {list_id}.")
    return found


async def _check_members(session: AsyncSession, member_ids: Sequence[int]) -> None:
    known: set[int] = set()
    for chunk in batches(sorted(set(member_ids))):
        known.update(await session.scalars(select(Journalist.id).where(Journalist.id.in_(chunk))))
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
            document_types=list(data.document_types),
            member_count=0,
            recipient_count=0,
            created_by=user.id,
            created_at=moment,
            updated_at=moment,
        )
        session.add(found)
        await refresh_list(session, found, data.member_ids)
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
        named: list[int] | None = None
        if "member_ids" in changes:
            named = changes.pop("member_ids") or []
            await _check_members(session, named)
        for field, value in changes.items():
            if value is None and field in ("name_ka", "document_types", "rule"):
                raise Problem(422, "Required", f"{field} cannot be emptied.")
            setattr(found, field, value)
        found.updated_at = now()
        if named is not None or "rule" in changes:
            await refresh_list(session, found, named)
    return found


async def lists_page(database: Database, *, limit: int, offset: int) -> list[DistributionList]:
    async with database.session() as session:
        query = select(DistributionList).order_by(DistributionList.id).limit(limit).offset(offset)
        return list(await session.scalars(query))


@dataclass(frozen=True)
class Member:
    journalist_id: int
    full_name: str
    email: str | None
    outlet: str | None
    reached: bool


async def members_page(
    database: Database, list_id: int, *, reached_only: bool, limit: int, offset: int
) -> tuple[list[Member], int]:
    """One page of a list's members (or of those a release reaches), in journalist order,
    with how many there are in all."""
    async with database.session() as session:
        found = await load_list(session, list_id)
        query = (
            select(
                Journalist.id, Journalist.full_name, Journalist.email, Outlet.name_ka,
                ListMember.reached,
            )
            .join(Journalist, Journalist.id == ListMember.journalist_id)
            .outerjoin(Outlet, Outlet.id == Journalist.outlet_id)
            .where(ListMember.list_id == list_id)
            .order_by(ListMember.journalist_id)
            .limit(limit)
            .offset(offset)
        )  # fmt: skip
        if reached_only:
            query = query.where(ListMember.reached.is_(True))
        rows = await session.execute(query)
        page = [Member(*row) for row in rows]
    return page, found.recipient_count if reached_only else found.member_count


@dataclass(frozen=True)
class Reachable:
    """Whom a release reaches: enough to address the message."""

    id: int
    email: str
    full_name: str
    languages: list[str]


async def reached_by(session: AsyncSession, list_ids: Sequence[int]) -> list[Reachable]:
    """Everyone a release to these lists reaches, once each, in journalist order: a range
    of journalist ids at a time, each read from the indexes on its own."""
    if not list_ids:
        return []
    on_lists = (ListMember.list_id.in_(list_ids), ListMember.reached.is_(True))
    last = await session.scalar(select(func.max(ListMember.journalist_id)).where(*on_lists))
    found: list[Reachable] = []
    for low in range(0, last or 0, BATCH):
        within = (ListMember.journalist_id > low, ListMember.journalist_id <= low + BATCH)
        rows = await session.execute(
            select(Journalist.id, Journalist.email, Journalist.full_name, Journalist.languages)
            .where(Journalist.id.in_(select(ListMember.journalist_id).where(*on_lists, *within)))
            .order_by(Journalist.id)
        )
        found.extend(
            Reachable(row.id, row.email, row.full_name, row.languages or []) for row in rows
        )
        await breathe()
    return found
