"""Legal acts that change legal acts: when an act enters into force, what it amends,
repeals or suspends, which published acts change it, and what a consolidated text of it
applies.

The standing rules are `meria.legal_acts`'; here they meet the database. A change is
written only against a published legal act other than the act itself, and cites it as it
stood then (number, type, Georgian title). What changes an act is what the published
edition of a published act says: a draft, or an act withdrawn from currency, changes
nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from meria.legal_acts import Entry, effective_day
from meria.problems import Problem
from services.publishing.models import ActChange, Document, Edition
from services.publishing.schemas import (
    CONSOLIDATION,
    LEGAL_ACT_TYPES,
    ActChangeCreate,
    ActChangePublic,
    ChangedBy,
    DocumentUpdate,
    EntryIntoForceTerms,
)
from services.publishing.states import State

TBILISI = ZoneInfo("Asia/Tbilisi")
# Editions that were public once: a superseded edition was, until the next replaced it.
WERE_PUBLIC = (State.PUBLISHED.value, State.WITHDRAWN.value, State.SUPERSEDED.value)


def is_legal_act(document: Document) -> bool:
    return document.document_type in LEGAL_ACT_TYPES


def in_currency(document: Document) -> Edition | None:
    """The act's published edition, if it is published and not withdrawn."""
    return next((e for e in reversed(document.editions) if e.state == State.PUBLISHED), None)


# Entry into force.


def terms_of(document: Document, edition: Edition) -> EntryIntoForceTerms | None:
    """A legal act's entry into force as its edition states it (on publication when it
    states none: acts published before it was asked); None for other documents."""
    if not is_legal_act(document):
        return None
    return EntryIntoForceTerms(
        kind=edition.entry_into_force or "publication",
        on=edition.entry_into_force_on,
        condition_ka=edition.entry_condition_ka,
        condition_en=edition.entry_condition_en,
    )


def set_terms(edition: Edition, terms: EntryIntoForceTerms) -> None:
    edition.entry_into_force = terms.kind
    edition.entry_into_force_on = terms.on
    edition.entry_condition_ka = terms.condition_ka
    edition.entry_condition_en = terms.condition_en


def were_public(document: Document) -> list[Edition]:
    """The editions that were public once, oldest first (not one unpublished as an error)."""
    return [e for e in document.editions if e.state in WERE_PUBLIC]


def first_publication(document: Document) -> datetime | None:
    """When the act was first made public."""
    return min(filter(None, (e.published_at for e in were_public(document))), default=None)


def entry_day(
    kind: str | None, on: date | None, first_published: datetime | None, met_on: date | None
) -> date | None:
    """The day an act entered (or enters) into force: its first publication's day in
    Tbilisi, the day it names, or the day its condition was recorded as met."""
    if kind == "date":
        return on
    if kind == "condition":
        return met_on
    return first_published.astimezone(TBILISI).date() if first_published else None


def in_force_on(document: Document) -> date | None:
    published = were_public(document)
    if not is_legal_act(document) or not published:
        return None
    latest = published[-1]
    return entry_day(
        latest.entry_into_force,
        latest.entry_into_force_on,
        first_publication(document),
        document.condition_met_on,
    )


# What an act does to others.


async def checked_changes(
    session: AsyncSession, document_id: int | None, changes: Sequence[ActChangeCreate]
) -> list[ActChange]:
    """The rows of `changes`, each checked against the act it changes; a refusal names
    the row."""
    ids = {change.target_document_id for change in changes}
    targets: dict[int, Document] = {}
    if ids:
        found = await session.scalars(select(Document).where(Document.id.in_(ids)))
        targets = {target.id: target for target in found}
    rows = []
    for index, change in enumerate(changes):
        target = targets.get(change.target_document_id)
        row = f"changes[{index}]"
        if change.target_document_id == document_id:
            raise Problem(422, "Not a change", f"{row}: an act does not {change.kind[:-1]} itself.")
        if target is None:
            raise Problem(
                422, "No such act", f"{row}: there is no document {change.target_document_id}."
            )
        if not is_legal_act(target):
            raise Problem(
                422,
                "Not a legal act",
                f"{row}: document {target.id} is a {target.document_type}; only a legal act is "
                "amended, repealed or suspended.",
            )
        published = in_currency(target)
        if published is None:
            raise Problem(
                409,
                "Not a published act",
                f"{row}: document {target.id} has no published edition in force; only a "
                "published act is amended, repealed or suspended.",
            )
        rows.append(
            ActChange(
                position=index,
                kind=change.kind,
                target_document_id=target.id,
                target_register_number=target.register_number,
                target_document_type=target.document_type,
                target_title_ka=published.title_ka,
                articles=list(change.articles),
                effective_on=change.effective_on,
            )
        )
    return rows


def _facts(change: ActChange) -> tuple[Any, ...]:
    return (change.kind, change.target_document_id, list(change.articles), change.effective_on)


def copied(change: ActChange) -> ActChange:
    return ActChange(
        position=change.position,
        kind=change.kind,
        target_document_id=change.target_document_id,
        target_register_number=change.target_register_number,
        target_document_type=change.target_document_type,
        target_title_ka=change.target_title_ka,
        articles=list(change.articles),
        effective_on=change.effective_on,
    )


def carry_over(document: Document, base: Edition, edition: Edition) -> None:
    """A new edition of a legal act enters into force and changes other acts as the
    edition it starts from does, until its author changes that."""
    terms = terms_of(document, base)
    if terms is not None:
        set_terms(edition, terms)
    edition.changes = [copied(change) for change in base.changes]


async def edit_terms(
    session: AsyncSession, document: Document, edition: Edition, data: DocumentUpdate
) -> list[str]:
    """Write a changed entry into force or list of changes; return the fields changed."""
    if data.entry_into_force is None and data.changes is None:
        return []
    if not is_legal_act(document):
        raise Problem(
            422,
            "Not a legal act",
            f"Only a legal act enters into force and changes other acts; document "
            f"{document.id} is a {document.document_type}.",
        )
    if edition.change_kind == CONSOLIDATION:
        raise Problem(
            409,
            "A consolidated text",
            "A consolidated text states the act as amended; its entry into force and what "
            "it changes stay as the act has them.",
        )
    changed = []
    if data.entry_into_force is not None and data.entry_into_force != terms_of(document, edition):
        set_terms(edition, data.entry_into_force)
        changed.append("entry_into_force")
    if data.changes is not None:
        rows = await checked_changes(session, document.id, data.changes)
        if [_facts(row) for row in rows] != [_facts(row) for row in edition.changes]:
            edition.changes = rows
            changed.append("changes")
    return changed


def changes_view(edition: Edition) -> list[ActChangePublic]:
    return [
        ActChangePublic(
            kind=change.kind,
            target_document_id=change.target_document_id,
            target_register_number=change.target_register_number,
            target_document_type=change.target_document_type,
            target_title_ka=change.target_title_ka,
            articles=list(change.articles),
            effective_on=change.effective_on,
        )
        for change in edition.changes
    ]


# What changes an act.


async def changed_by(
    session: AsyncSession, document_ids: Iterable[int]
) -> dict[int, list[ChangedBy]]:
    """For each act, the changes the published editions of published acts make to it, in
    the order the changing acts were first published: one statement for any number of
    acts."""
    ids = sorted(set(document_ids))
    if not ids:
        return {}
    earlier = aliased(Edition)
    first = (
        select(func.min(earlier.published_at))
        .where(earlier.document_id == Edition.document_id, earlier.state.in_(WERE_PUBLIC))
        .correlate(Edition)
        .scalar_subquery()
        .label("first_published")
    )
    query = (
        select(
            ActChange.target_document_id,
            ActChange.kind,
            ActChange.articles,
            ActChange.effective_on,
            Document.id,
            Document.register_number,
            Document.document_type,
            Document.condition_met_on,
            Edition.title_ka,
            Edition.entry_into_force,
            Edition.entry_into_force_on,
            first,
        )
        .join(Edition, ActChange.edition_id == Edition.id)
        .join(Document, Edition.document_id == Document.id)
        .where(ActChange.target_document_id.in_(ids), Edition.state == State.PUBLISHED.value)
        .order_by(first, Document.id, ActChange.position)
    )
    found: dict[int, list[ChangedBy]] = {}
    for row in await session.execute(query):
        kind = row.entry_into_force or "publication"
        day = entry_day(kind, row.entry_into_force_on, row.first_published, row.condition_met_on)
        found.setdefault(row.target_document_id, []).append(
            ChangedBy(
                document_id=row.id,
                register_number=row.register_number,
                document_type=row.document_type,
                title_ka=row.title_ka,
                kind=row.kind,
                articles=list(row.articles),
                effective_on=row.effective_on,
                takes_effect_on=effective_day(row.effective_on, Entry(row.entry_into_force, day)),
            )
        )
    return found


# Consolidated texts.


def published_consolidations(document: Document) -> list[Edition]:
    return [e for e in were_public(document) if e.change_kind == CONSOLIDATION]


ChangeKey = tuple[int, str, tuple[str, ...]]


def change_key(change: ChangedBy) -> ChangeKey:
    return (change.document_id, change.kind, tuple(change.articles))


def applied_changes(consolidations: Iterable[Edition]) -> set[ChangeKey]:
    """The changes the published consolidated texts applied."""
    applied: set[ChangeKey] = set()
    for edition in consolidations:
        for act, kind, articles in edition.incorporated_changes or []:
            applied.add((int(act), str(kind), tuple(articles)))
    return applied


def to_incorporate(
    changes: Iterable[ChangedBy], applied: Collection[ChangeKey], as_of: date
) -> list[ChangedBy]:
    """The changes a consolidated text as of `as_of` applies: those in effect by that day
    that no published consolidated text applied already. An act that amends an article
    now and repeals another later is applied by two consolidated texts, each time for
    what took effect by its day; a change waiting on its act's condition, by none yet."""
    return [
        change
        for change in changes
        if change.takes_effect_on is not None
        and change.takes_effect_on <= as_of
        and change_key(change) not in applied
    ]
