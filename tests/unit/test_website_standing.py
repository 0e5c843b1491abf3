"""The registry's standing of legal acts, worked out in SQL so that its filter pages
right, says what `meria.legal_acts.standing` says of the same acts on every day; and the
read model holds the same facts whatever order the events arrive in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from meria.bus import Bus, Consumer
from meria.contracts import (
    CloudEvent,
    DocumentEnteredIntoForce,
    DocumentPublished,
    DocumentWithdrawn,
    Event,
    LocalizedText,
)
from meria.contracts.publishing import ActChange, EntryIntoForce, Issuer
from meria.db import Database, migrate
from meria.legal_acts import STANDINGS
from services.website.app import PARTS
from services.website.handlers import subscriptions
from services.website.lifecycle import act_facts, standing_sql
from services.website.models import ActChange as ChangeRow
from services.website.models import ActEntry, ActVersion, PublicDocument, bus_tables
from tests.conftest import DatabaseFactory

pytestmark = pytest.mark.database

MAYOR = Issuer(code="mayor", name=LocalizedText(ka="ახმეტის მუნიციპალიტეტის მერი"))


def order(
    document_id: int,
    published: date,
    *,
    edition: int = 1,
    entry: EntryIntoForce | None = None,
    changes: tuple[ActChange, ...] = (),
    consolidated_as_of: date | None = None,
) -> DocumentPublished:
    return DocumentPublished(
        document_id=document_id,
        edition=edition,
        document_type="mayor_order",
        title=LocalizedText(ka=f"ახმეტის მუნიციპალიტეტის მერის ბრძანება № {document_id}"),
        body_html=LocalizedText(ka="<p>1. ბრძანება ამოქმედდეს.</p>"),
        # Eight in the morning in Tbilisi: the same calendar day there.
        published_at=datetime(published.year, published.month, published.day, 4, tzinfo=UTC),
        issuer=MAYOR,
        register_number=f"{document_id}/2026",
        entry_into_force=entry,
        changes=list(changes),
        consolidated_as_of=consolidated_as_of,
    )


def change(kind: str, target: int, *articles: str, on: date | None = None) -> ActChange:
    return ActChange(
        kind=kind,  # type: ignore[arg-type]
        target_document_id=target,
        target_register_number=f"{target}/2026",
        target_document_type="mayor_order",
        articles=list(articles),
        effective_on=on,
    )


def condition(text: str) -> EntryIntoForce:
    return EntryIntoForce(kind="condition", condition=LocalizedText(ka=text))


def met(document_id: int, day: date) -> DocumentEnteredIntoForce:
    return DocumentEnteredIntoForce(
        document_id=document_id,
        edition=1,
        document_type="mayor_order",
        in_force_on=day,
        recorded_by="levan.kapanadze",
    )


BRIDGE = "მატანის ხიდის რეაბილიტაციის დაფინანსების დამტკიცება"


@pytest.fixture
async def database(new_database: DatabaseFactory) -> AsyncIterator[Database]:
    database = Database(await new_database("website_standing"))
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(database, PARTS.migrations, PARTS.metadata)
    yield database
    await database.dispose()


async def apply(database: Database, event: Event) -> bool:
    """Apply an event as the website's consumer does: handler and inbox, one transaction."""
    subscription = next(item for item in subscriptions.items if item.event is type(event))
    consumer = Consumer(
        "website",
        subscription,
        database=database,
        tables=bus_tables,
        bus=Bus("nats://127.0.0.1:1", "meria-website-test"),
    )
    envelope = CloudEvent.wrap(event, about=f"document:{getattr(event, 'document_id', 0)}")
    return await consumer.apply_stored(event.subject, envelope.model_dump_json().encode(), {})


async def test_the_registry_s_sql_says_what_the_rules_say_on_every_day(
    database: Database,
) -> None:
    events: list[Event] = [
        order(1, date(2026, 3, 1)),  # in force on publication
        order(2, date(2026, 3, 1), entry=EntryIntoForce(kind="date", on=date(2027, 1, 1))),
        order(3, date(2026, 3, 1), entry=condition("სკოლის შენობის ექსპლუატაციაში მიღება")),
        order(4, date(2026, 3, 1), entry=condition("ხიდის მშენებლობის დასრულება")),
        met(4, date(2026, 6, 1)),
        order(5, date(2026, 3, 1)),
        order(6, date(2026, 3, 1)),
        # An amendment of article 2 from a day of its own, a repeal of article 3 from the
        # day the changing act entered into force (its publication).
        order(
            11, date(2026, 4, 1),
            changes=(change("amends", 1, "2", on=date(2026, 5, 1)), change("repeals", 1, "3")),
        ),
        order(12, date(2026, 6, 15), changes=(change("suspends", 1, on=date(2026, 7, 1)),)),
        order(13, date(2026, 8, 20), changes=(change("repeals", 1, on=date(2026, 9, 1)),)),
        # A repeal waiting on its act's condition, never met.
        order(14, date(2026, 4, 1), entry=condition(BRIDGE), changes=(change("repeals", 5),)),
        # An amendment that follows its act's condition, met in August.
        order(15, date(2026, 4, 1), entry=condition(BRIDGE), changes=(change("amends", 2),)),
        met(15, date(2026, 8, 1)),
        # Suspended whole, then some articles repealed: suspended outranks amended.
        order(
            16, date(2026, 4, 1),
            changes=(change("suspends", 6, on=date(2026, 5, 1)),
                     change("repeals", 6, "1", on=date(2026, 4, 10))),
        ),
    ]  # fmt: skip
    for event in events:
        assert await apply(database, event)

    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 450, 3)]
    days += [date(2026, 5, 1), date(2026, 7, 1), date(2026, 9, 1), date(2027, 1, 1)]
    async with database.session() as session:
        ids = list(await session.scalars(select(PublicDocument.document_id)))
        facts = {document_id: await act_facts(session, document_id) for document_id in ids}
        seen = set()
        for day in days:
            by_sql = dict(
                (await session.execute(select(PublicDocument.document_id, standing_sql(day))))
                .tuples()
                .all()
            )
            by_rules = {
                document_id: facts[document_id].standing_on(day).value for document_id in ids
            }
            assert by_sql == by_rules, day
            seen |= set(by_rules.values())
            # Filtering by a standing picks exactly the acts that have it.
            for standing in STANDINGS:
                picked = set(
                    await session.scalars(
                        select(PublicDocument.document_id).where(standing_sql(day) == standing)
                    )
                )
                assert picked == {i for i, s in by_rules.items() if s == standing}, (day, standing)
    # Every standing was met on some day.
    assert seen == set(STANDINGS)
    assert facts[1].standing_on(date(2026, 4, 15)).value == "amended"
    assert facts[1].standing_on(date(2026, 8, 1)).value == "suspended"
    assert facts[1].standing_on(date(2026, 9, 1)).value == "repealed"
    assert facts[5].standing_on(date(2030, 1, 1)).value == "in_force"
    assert facts[6].standing_on(date(2026, 6, 1)).value == "suspended"


async def test_the_same_facts_whatever_order_the_events_come_in(
    database: Database, new_database: DatabaseFactory
) -> None:
    conditional = order(
        2, date(2026, 4, 1), entry=condition(BRIDGE), changes=(change("amends", 1, "2"),)
    )
    first = order(1, date(2026, 3, 1))
    consolidated = order(1, date(2026, 9, 5), edition=2, consolidated_as_of=date(2026, 9, 1))
    in_order: list[Event] = [first, conditional, met(2, date(2026, 9, 1)), consolidated]
    # The condition met comes before the act's publication; the consolidated text before
    # the original; the original is delivered twice, as a new envelope.
    shuffled: list[Event] = [met(2, date(2026, 9, 1)), consolidated, conditional, first, first]

    other = Database(await new_database("website_standing_shuffled"))
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(other, PARTS.migrations, PARTS.metadata)
    try:
        for event in in_order:
            await apply(database, event)
        for event in shuffled:
            await apply(other, event)
        assert await facts_of(database) == await facts_of(other)
    finally:
        await other.dispose()
    async with database.session() as session:
        facts = await act_facts(session, 1)
    assert [change.effective_on for change in facts.received] == [date(2026, 9, 1)]
    assert [(v.edition, v.valid_from) for v in facts.versions] == [
        (1, date(2026, 3, 1)),
        (2, date(2026, 9, 1)),
    ]
    assert facts.version_on(date(2026, 8, 31)).edition == 1  # type: ignore[union-attr]
    assert facts.version_on(date(2026, 9, 1)).edition == 2  # type: ignore[union-attr]
    assert facts.version_on(date(2026, 2, 28)) is None

    # The changing act is withdrawn: its amendment is undone; told again, nothing changes.
    withdrawn = DocumentWithdrawn(
        document_id=2, edition=1, document_type="mayor_order", was_published=True,
        public_explanation="ბრძანება გაუქმდა სასამართლოს გადაწყვეტილებით.",
    )  # fmt: skip
    assert await apply(database, withdrawn)
    before = await facts_of(database)
    assert before[1] == []
    assert await apply(database, withdrawn)
    assert await apply(database, conditional)  # a repeat of the withdrawn edition
    assert await facts_of(database) == before


async def facts_of(database: Database) -> tuple[list[tuple[object, ...]], ...]:
    async with database.session() as session:
        entries = await session.scalars(select(ActEntry).order_by(ActEntry.document_id))
        changes = await session.scalars(select(ChangeRow).order_by(ChangeRow.target_document_id))
        versions = await session.scalars(
            select(ActVersion).order_by(ActVersion.document_id, ActVersion.edition)
        )
        return (
            [
                (e.document_id, e.edition, e.kind, e.named_on, e.condition_ka,
                 e.condition_met_on, e.first_published_on, e.in_force_on, e.consolidated_as_of)
                for e in entries
            ],
            [
                (c.changing_document_id, c.target_document_id, c.kind, tuple(c.articles),
                 c.named_on, c.effective_on)
                for c in changes
            ],
            [(v.document_id, v.edition, v.valid_from, v.consolidated_as_of) for v in versions],
        )  # fmt: skip
