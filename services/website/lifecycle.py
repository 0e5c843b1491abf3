"""A legal act's life as the website keeps it: when it entered into force, what later
acts amend, repeal or suspend in it, and the text of each of its editions.

The handlers write it from the publishing events (`record_publication`,
`record_condition_met`, `drop_changes_of`); the pages read it (`act_facts`, and
`standing_sql` for the registry). The rules are `meria.legal_acts`: the day an act
enters into force, a change's effective day, an act's standing on a day, and the text
that stood on it are decided there, the same way the portal decides them.

Each act's changes are written with the act's `act_entries` row locked (created first
if need be), so that the changing act's publication, withdrawal and the news of its
condition met, which arrive on consumers of their own and may be applied side by side,
each see what the others did. Every fact is kept whatever order the events come in: a
condition met before the act's publication is known waits in the row for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from meria.contracts import DocumentEnteredIntoForce, DocumentPublished
from meria.legal_acts import Change, Entry, Standing, Version, effective_day, standing, version_on
from meria.markup import clean_html
from services.website.models import ActChange, ActEntry, ActVersion, PublicDocument

TBILISI = ZoneInfo("Asia/Tbilisi")


def local_day(moment: datetime) -> date:
    """The municipality's calendar day at `moment`."""
    return moment.astimezone(TBILISI).date()


def today() -> date:
    return local_day(datetime.now(UTC))


# Writing: what the handlers do.


async def claim_entry(session: AsyncSession, document_id: int) -> ActEntry:
    """The act's entry row, made if it is not there yet, and locked until the transaction
    ends (PostgreSQL; SQLite has one writer at a time anyway)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(ActEntry).values(document_id=document_id).on_conflict_do_nothing())
    entry = await session.get(ActEntry, document_id, with_for_update=True, populate_existing=True)
    assert entry is not None
    return entry


async def record_publication(
    session: AsyncSession, event: DocumentPublished, *, current: bool
) -> None:
    """Keep the edition's text; when it is the act's current edition (`current`), its
    entry into force, consolidation day and changes replace those of the edition before."""
    entry = await claim_entry(session, event.document_id)
    await _keep_version(session, event)
    published_on = local_day(event.published_at)
    if entry.first_published_on is None or published_on < entry.first_published_on:
        entry.first_published_on = published_on
    touched: set[int] = set()
    if current:
        rule = event.entry_into_force
        entry.edition = event.edition
        entry.kind = rule.kind if rule else "publication"
        entry.named_on = rule.on if rule and rule.kind == "date" else None
        condition = rule.condition if rule and rule.kind == "condition" else None
        entry.condition_ka = condition.ka if condition else None
        entry.condition_en = condition.en if condition else None
        entry.consolidated_as_of = event.consolidated_as_of
        touched = await _drop_changes(session, event.document_id)
        session.add_all(_changes(event))
    await _resolve(session, entry, touched)


def _changes(event: DocumentPublished) -> list[ActChange]:
    return [
        ActChange(
            changing_document_id=event.document_id,
            changing_edition=event.edition,
            changing_document_type=event.document_type,
            changing_register_number=event.register_number,
            changing_title_ka=event.title.ka,
            changing_title_en=event.title.en,
            target_document_id=change.target_document_id,
            target_register_number=change.target_register_number,
            target_document_type=change.target_document_type,
            kind=change.kind,
            articles=list(change.articles),
            whole=not change.articles,
            named_on=change.effective_on,
            effective_on=None,  # resolved with the act's entry into force, below
        )
        for change in event.changes
    ]


async def _keep_version(session: AsyncSession, event: DocumentPublished) -> None:
    known = await session.scalar(
        select(ActVersion.id).where(
            ActVersion.document_id == event.document_id, ActVersion.edition == event.edition
        )
    )
    if known is not None:
        return
    body = event.body_html
    session.add(
        ActVersion(
            document_id=event.document_id,
            edition=event.edition,
            title_ka=event.title.ka,
            title_en=event.title.en,
            # Cleaned whatever the bus says, like the current text (handlers.py).
            body_html_ka=clean_html(body.ka) if body else None,
            body_html_en=clean_html(body.en) if body and body.en else None,
            published_at=event.published_at,
            consolidated_as_of=event.consolidated_as_of,
            incorporates=list(event.incorporates),
            valid_from=local_day(event.published_at),  # settled in _resolve
        )
    )


async def record_condition_met(session: AsyncSession, event: DocumentEnteredIntoForce) -> None:
    """The day the act's condition was met; the earliest recorded stands (a condition met
    stays met), so a repeated or late event changes nothing."""
    entry = await claim_entry(session, event.document_id)
    if entry.condition_met_on is not None and entry.condition_met_on <= event.in_force_on:
        return
    entry.condition_met_on = event.in_force_on
    await _resolve(session, entry, set())


async def drop_changes_of(session: AsyncSession, document_id: int) -> None:
    """The act was withdrawn or unpublished: what it did to other acts is undone."""
    await claim_entry(session, document_id)
    await _touch(session, await _drop_changes(session, document_id))


async def _drop_changes(session: AsyncSession, document_id: int) -> set[int]:
    """Removes the act's changes; returns the acts they targeted."""
    targets = set(
        await session.scalars(
            select(ActChange.target_document_id).where(
                ActChange.changing_document_id == document_id
            )
        )
    )
    await session.execute(delete(ActChange).where(ActChange.changing_document_id == document_id))
    return targets


def in_force_day(entry: ActEntry) -> date | None:
    """The day the act enters into force by its kind, or None while that is not known."""
    if entry.kind == "date":
        return entry.named_on
    if entry.kind == "condition":
        return entry.condition_met_on
    return entry.first_published_on


async def _resolve(session: AsyncSession, entry: ActEntry, touched: set[int]) -> None:
    """Settle what follows from the act's entry into force: the day itself, the effective
    day of its changes that name none, and the day each of its texts speaks from. The acts
    its changes target (and `touched`) are marked changed, so their pages are new."""
    await session.flush()
    entry.in_force_on = in_force_day(entry)
    rule = Entry(entry.kind or "publication", entry.in_force_on)
    changes = list(
        await session.scalars(
            select(ActChange).where(ActChange.changing_document_id == entry.document_id)
        )
    )
    for change in changes:
        change.effective_on = effective_day(change.named_on, rule)
    versions = await session.scalars(
        select(ActVersion).where(ActVersion.document_id == entry.document_id)
    )
    for version in versions:
        version.valid_from = _valid_from(version, entry)
    await _touch(session, touched | {change.target_document_id for change in changes})


def _valid_from(version: ActVersion, entry: ActEntry) -> date:
    if version.consolidated_as_of is not None:
        return version.consolidated_as_of
    return entry.in_force_on or local_day(version.published_at)


async def _touch(session: AsyncSession, document_ids: Iterable[int]) -> None:
    """What these acts' pages show has changed (their Last-Modified moves on; the pages
    kept in memory go with the read model's version, `read_model_changed`)."""
    ids = sorted(set(document_ids))
    if ids:
        await session.execute(
            update(PublicDocument)
            .where(PublicDocument.document_id.in_(ids))
            .values(updated_at=datetime.now(UTC))
        )


# Reading: what the pages show.


@dataclass(frozen=True)
class ActFacts:
    """Everything the website knows of one act's life."""

    entry: ActEntry | None
    received: list[ActChange]  # what later acts do to it
    made: list[ActChange]  # what it does to earlier acts
    versions: list[ActVersion]  # oldest edition first

    @property
    def rule(self) -> Entry:
        if self.entry is None:
            return Entry("publication", None)
        return Entry(self.entry.kind or "publication", self.entry.in_force_on)

    def standing_on(self, day: date) -> Standing:
        return standing(self.rule, [_as_change(change) for change in self.received], day)

    def version_on(self, day: date) -> ActVersion | None:
        """The text that stood on `day`; before the act entered into force, the latest
        text published by then (it stood published, not yet in force); None when nothing
        was published yet."""
        by_edition = {version.edition: version for version in self.versions}
        found = version_on((Version(v.edition, v.valid_from) for v in self.versions), day)
        if found is not None:
            return by_edition[found.edition]
        published = [v for v in self.versions if local_day(v.published_at) <= day]
        return max(published, key=lambda v: v.edition) if published else None


def _as_change(change: ActChange) -> Change:
    return Change(change.kind, tuple(change.articles), change.effective_on)


async def act_facts(session: AsyncSession, document_id: int) -> ActFacts:
    entry = await session.get(ActEntry, document_id)
    received = await session.scalars(
        select(ActChange)
        .where(ActChange.target_document_id == document_id)
        .order_by(ActChange.effective_on.is_(None), ActChange.effective_on, ActChange.id)
    )
    made = await session.scalars(
        select(ActChange)
        .where(ActChange.changing_document_id == document_id)
        .order_by(ActChange.id)
    )
    versions = await session.scalars(
        select(ActVersion).where(ActVersion.document_id == document_id).order_by(ActVersion.edition)
    )
    return ActFacts(entry, list(received), list(made), list(versions))


def standing_sql(on: date) -> ColumnElement[str]:
    """`meria.legal_acts.standing` of each act in the query, on `on`, in SQL: the
    registry filters by it, so its pages count right."""
    in_force_on = (
        select(ActEntry.in_force_on)
        .where(ActEntry.document_id == PublicDocument.document_id)
        .correlate(PublicDocument)
        .scalar_subquery()
    )

    def changed(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(
            ActChange.target_document_id == PublicDocument.document_id,
            ActChange.effective_on <= on,
            *conditions,
        )

    return case(
        (or_(in_force_on.is_(None), in_force_on > on), Standing.NOT_YET_IN_FORCE.value),
        (
            changed(ActChange.kind == "repeals", ActChange.whole.is_(True)),
            Standing.REPEALED.value,
        ),
        (
            changed(ActChange.kind == "suspends", ActChange.whole.is_(True)),
            Standing.SUSPENDED.value,
        ),
        (changed(), Standing.AMENDED.value),
        else_=Standing.IN_FORCE.value,
    )


async def standings(session: AsyncSession, document_ids: Sequence[int], on: date) -> dict[int, str]:
    """The standing on `on` of each of these acts, as the registry's filter sees it."""
    if not document_ids:
        return {}
    rows = await session.execute(
        select(PublicDocument.document_id, standing_sql(on)).where(
            PublicDocument.document_id.in_(document_ids)
        )
    )
    return {document_id: value for document_id, value in rows.tuples()}
