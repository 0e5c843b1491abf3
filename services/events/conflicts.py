"""Conflict detection: a booking that overlaps another event at the same venue, or with
the same official, while that event holds its time (a draft or a scheduled event).

Two index range reads per booking: the venue's events and each official's bookings that
start within the longest an event may last before the new one ends. The answer names
the conflicting events; a conflict is accepted only with a reason, which the history
keeps.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from meria.problems import Problem
from services.events.models import Event, EventOfficial
from services.events.schemas import Conflict
from services.events.states import HOLDS_TIME
from services.events.texts import tbilisi_time

HOLDING = [state.value for state in HOLDS_TIME]


@dataclass(frozen=True)
class Booking:
    """The time, venue and officials an event would hold."""

    starts_at: datetime
    ends_at: datetime
    venue_id: int | None
    officials: Sequence[str]


async def find_conflicts(
    session: AsyncSession,
    booking: Booking,
    *,
    max_event_days: int,
    exclude: Collection[int] = (),
) -> list[Conflict]:
    earliest = booking.starts_at - timedelta(days=max_event_days)
    found: list[Conflict] = []
    # Columns only: a conflict needs none of an event's relationships.
    shown = (Event.id, Event.title_ka, Event.title_en, Event.starts_at, Event.ends_at,
             Event.state)  # fmt: skip
    if booking.venue_id is not None:
        query = select(*shown).where(
            Event.venue_id == booking.venue_id,
            Event.starts_at >= earliest,
            Event.starts_at < booking.ends_at,
            Event.ends_at > booking.starts_at,
            Event.state.in_(HOLDING),
        )
        if exclude:
            query = query.where(Event.id.not_in(list(exclude)))
        for row in await session.execute(query.order_by(Event.starts_at)):
            found.append(_conflict(tuple(row), "venue", venue_id=booking.venue_id))
    if booking.officials:
        by_official = (
            select(*shown, EventOfficial.official_code)
            .join(Event, Event.id == EventOfficial.event_id)
            .where(
                EventOfficial.official_code.in_(list(booking.officials)),
                EventOfficial.starts_at >= earliest,
                EventOfficial.starts_at < booking.ends_at,
                EventOfficial.ends_at > booking.starts_at,
                EventOfficial.holds_time.is_(True),
            )
        )
        if exclude:
            by_official = by_official.where(EventOfficial.event_id.not_in(list(exclude)))
        ordered = by_official.order_by(EventOfficial.starts_at)
        for booked in await session.execute(ordered):
            *event, code = tuple(booked)
            found.append(_conflict(tuple(event), "official", official_code=code))
    return found


def _conflict(event: tuple[Any, ...], on: Literal["venue", "official"], **where: Any) -> Conflict:
    event_id, title_ka, title_en, starts_at, ends_at, state = event
    return Conflict(
        event_id=event_id,
        title_ka=title_ka,
        title_en=title_en,
        starts_at=starts_at,
        ends_at=ends_at,
        state=state,
        on=on,
        **where,
    )


def conflict_problem(conflicts: list[Conflict], names: dict[str, str]) -> Problem:
    """409 naming the first conflicting event (and counting the others); `names` gives
    officials' and venues' names for the message."""
    first = conflicts[0]
    what = (
        f"the venue {names.get(f'venue:{first.venue_id}', first.venue_id)}"
        if first.on == "venue"
        else names.get(f"official:{first.official_code}", first.official_code or "")
    )
    more = len({c.event_id for c in conflicts}) - 1
    return Problem(
        409,
        "Conflicts with another event",
        f"{what} is booked for «{first.title_ka}» (event {first.event_id}) from "
        f"{tbilisi_time(first.starts_at)} to {tbilisi_time(first.ends_at)}"
        + (f", and {more} more" if more > 0 else "")
        + "; give conflict_override_reason to book it anyway.",
        conflicts=[conflict.model_dump(mode="json") for conflict in conflicts],
    )
