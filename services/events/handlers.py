"""What the events service does with the visits service's events: the programme items of an
approved visit become linked events of the internal calendar, kept in step as the
programme changes, and postponed or cancelled with the visit.

The visit's approval and its programme arrive on different subjects, so in any order;
the mirror keeps the time of the newest fact of each kind and ignores older ones, and
each handler brings the linked events to what the mirror now says. All in the
delivering transaction, with the bus events the changes make.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import service_identity
from meria.bus import Delivery, Outbox, Subscriptions
from meria.contracts import (
    EventCancelled,
    EventPostponed,
    EventRescheduled,
    EventScheduled,
    EventUpdated,
    VisitApproved,
    VisitCancelled,
    VisitPostponed,
    VisitProgrammeChanged,
    VisitRescheduled,
)
from meria.contracts.visits import VisitEvent
from services.events.events import announce, apply, copy_for_new_date, note, now
from services.events.models import Event, VisitMirror
from services.events.states import OPEN_STATES, EventAction, EventState

subscriptions = Subscriptions()

MIRROR = service_identity("events", "Visits' programmes")
POSTPONED_REASON = "ვიზიტი გადაიდო / the visit is postponed"
CANCELLED_REASON = "ვიზიტი გაუქმდა / the visit is cancelled"
REMOVED_REASON = "ვიზიტის პროგრამიდან ამოღებულია / removed from the visit's programme"


async def _mirror(session: AsyncSession, event: VisitEvent, at: datetime) -> VisitMirror:
    mirror = await session.get(VisitMirror, event.visit_id, with_for_update=True)
    if mirror is None:
        mirror = VisitMirror(
            visit_id=event.visit_id,
            title_ka=event.title.ka,
            title_en=event.title.en,
            status="requested",
            status_as_of=at,
            programme=[],
        )
        session.add(mirror)
    if at >= mirror.status_as_of:
        mirror.title_ka, mirror.title_en = event.title.ka, event.title.en
    return mirror


def _outbox(delivery: Delivery) -> Outbox:
    assert delivery.outbox is not None
    return delivery.outbox


@subscriptions.handler
async def mirror_approved_visit(event: VisitApproved, delivery: Delivery) -> None:
    mirror = await _mirror(delivery.session, event, delivery.envelope.time)
    # Approval comes once; a postponement or cancellation seen first stays.
    if mirror.status == "requested":
        mirror.status = "approved"
        mirror.status_as_of = max(mirror.status_as_of, delivery.envelope.time)
    await keep_in_step(delivery.session, _outbox(delivery), mirror)


@subscriptions.handler
async def mirror_visit_programme(event: VisitProgrammeChanged, delivery: Delivery) -> None:
    session, at = delivery.session, delivery.envelope.time
    mirror = await _mirror(session, event, at)
    if mirror.programme_as_of is None or at > mirror.programme_as_of:
        mirror.programme = [entry.model_dump(mode="json") for entry in event.programme]
        mirror.programme_as_of = at
    await keep_in_step(session, _outbox(delivery), mirror)


@subscriptions.handler
async def mirror_postponed_visit(event: VisitPostponed, delivery: Delivery) -> None:
    session, at = delivery.session, delivery.envelope.time
    mirror = await _mirror(session, event, at)
    if mirror.status != "cancelled" and at >= mirror.status_as_of:
        mirror.status, mirror.status_as_of = "postponed", at
    await keep_in_step(session, _outbox(delivery), mirror)


@subscriptions.handler
async def mirror_rescheduled_visit(event: VisitRescheduled, delivery: Delivery) -> None:
    """New dates resume a postponed visit; its programme follows on its own subject."""
    session, at = delivery.session, delivery.envelope.time
    mirror = await _mirror(session, event, at)
    if mirror.status == "postponed" and at > mirror.status_as_of:
        mirror.status, mirror.status_as_of = "approved", at
    await keep_in_step(session, _outbox(delivery), mirror)


@subscriptions.handler
async def mirror_cancelled_visit(event: VisitCancelled, delivery: Delivery) -> None:
    mirror = await _mirror(delivery.session, event, delivery.envelope.time)
    mirror.status = "cancelled"
    mirror.status_as_of = max(mirror.status_as_of, delivery.envelope.time)
    await keep_in_step(delivery.session, _outbox(delivery), mirror)


async def keep_in_step(session: AsyncSession, outbox: Outbox, mirror: VisitMirror) -> None:
    """Bring the visit's linked events to what the mirror says."""
    await session.flush()
    linked: dict[int, Event] = {}
    # Only what is still open: a cancelled item is history, and its id may come back
    # for another item (SQLite gives a deleted row's id to the next one).
    for event in await session.scalars(
        select(Event).where(
            Event.visit_id == mirror.visit_id,
            Event.state.in_([state.value for state in OPEN_STATES]),
        )
    ):
        if event.visit_item_id is not None:
            linked[event.visit_item_id] = event
    if mirror.status == "cancelled":
        for event in linked.values():
            await _cancel(session, outbox, event, CANCELLED_REASON)
        return
    if mirror.status == "postponed":
        for event in linked.values():
            if event.state == EventState.SCHEDULED:
                apply(session, event, EventAction.POSTPONE, MIRROR.id, reason=POSTPONED_REASON)
                event.status_reason = POSTPONED_REASON
                await announce(session, outbox, event, EventPostponed, reason=POSTPONED_REASON)
        return
    if mirror.status != "approved":
        return
    for item in mirror.programme:
        found = linked.pop(int(item["id"]), None)
        if found is None:
            await _create(session, outbox, mirror, item)
        elif found.state == EventState.POSTPONED:
            await _resume(session, outbox, found, item)
        elif found.state == EventState.SCHEDULED:
            await _update(session, outbox, mirror, found, item)
    for event in linked.values():
        await _cancel(session, outbox, event, REMOVED_REASON)


def _fields(mirror: VisitMirror, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "title_ka": item["title"]["ka"],
        "title_en": item["title"].get("en"),
        "description_ka": mirror.title_ka,
        "description_en": mirror.title_en,
        "place_ka": item["place"]["ka"],
        "place_en": item["place"].get("en"),
        "starts_at": datetime.fromisoformat(item["starts_at"]),
        "ends_at": datetime.fromisoformat(item["ends_at"]),
    }


async def _create(
    session: AsyncSession, outbox: Outbox, mirror: VisitMirror, item: dict[str, Any]
) -> None:
    moment = now()
    event = Event(
        kind="visit_programme",
        state=EventState.SCHEDULED.value,
        **_fields(mirror, item),
        organiser_ka=None,
        public=False,
        revision=1,
        source="visit",
        detached=False,
        visit_id=mirror.visit_id,
        visit_item_id=int(item["id"]),
        created_by=MIRROR.id,
        created_at=moment,
        updated_at=moment,
    )
    session.add(event)
    await session.flush()
    event.case_id = event.id
    note(
        session, event, "mirror", MIRROR.id, origin="",
        details={"visit_id": mirror.visit_id, "item": item["id"], "kind": item.get("kind")},
    )  # fmt: skip
    await announce(session, outbox, event, EventScheduled)


async def _update(
    session: AsyncSession,
    outbox: Outbox,
    mirror: VisitMirror,
    event: Event,
    item: dict[str, Any],
) -> None:
    fields = _fields(mirror, item)
    changed = [name for name, value in fields.items() if getattr(event, name) != value]
    if not changed:
        return
    for name in changed:
        setattr(event, name, fields[name])
    event.revision += 1
    event.updated_at = now()
    note(session, event, "mirror", MIRROR.id, details={"fields": changed})
    words = {"title_ka": "title", "title_en": "title", "place_ka": "place", "place_en": "place",
             "starts_at": "time", "ends_at": "time", "description_ka": "description",
             "description_en": "description"}  # fmt: skip
    await announce(
        session, outbox, event, EventUpdated, changed=sorted({words[name] for name in changed})
    )


async def _resume(
    session: AsyncSession, outbox: Outbox, event: Event, item: dict[str, Any]
) -> None:
    """The visit has new dates: the postponed item moves to the programme's time."""
    starts_at = datetime.fromisoformat(item["starts_at"])
    ends_at = datetime.fromisoformat(item["ends_at"])
    copy = copy_for_new_date(event, starts_at, ends_at, MIRROR)
    copy.title_ka, copy.title_en = item["title"]["ka"], item["title"].get("en")
    copy.place_ka, copy.place_en = item["place"]["ka"], item["place"].get("en")
    session.add(copy)
    await session.flush()
    apply(session, event, EventAction.RESCHEDULE, MIRROR.id, details={"new_event_id": copy.id})
    event.rescheduled_to_id = copy.id
    note(session, copy, "mirror", MIRROR.id, origin="", details={"rescheduled_from": event.id})
    await announce(
        session, outbox, event, EventRescheduled, reason="new dates of the visit",
        new_event_id=copy.id, new_starts_at=starts_at, new_ends_at=ends_at,
    )  # fmt: skip
    await announce(session, outbox, copy, EventScheduled, rescheduled_from=event.id)


async def _cancel(session: AsyncSession, outbox: Outbox, event: Event, reason: str) -> None:
    if EventState(event.state) not in OPEN_STATES:
        return
    apply(session, event, EventAction.CANCEL, MIRROR.id, reason=reason)
    event.status_reason = reason
    await announce(session, outbox, event, EventCancelled, reason=reason)
