"""The life of an event: its states and every transition allowed between them.

The states are those of a newsroom's planning desk: a draft is planned but not
announced; a scheduled event holds its venue and its officials; a postponed one waits
for a new date; a rescheduled one has moved, and keeps a link to the event at its new
date; a cancelled one keeps its reason; a completed one took place. A transition not in
the table is refused with the current state and what it allows.
"""

from __future__ import annotations

from enum import StrEnum


class EventState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class EventAction(StrEnum):
    EDIT = "edit"
    SCHEDULE = "schedule"
    POSTPONE = "postpone"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    COMPLETE = "complete"


S, A = EventState, EventAction

TRANSITIONS: dict[tuple[EventState, EventAction], EventState] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.SCHEDULED, A.EDIT): S.SCHEDULED,
    (S.POSTPONED, A.EDIT): S.POSTPONED,
    (S.DRAFT, A.SCHEDULE): S.SCHEDULED,
    (S.SCHEDULED, A.POSTPONE): S.POSTPONED,
    # A new date makes a new event; this one stays on record, pointing to it.
    (S.SCHEDULED, A.RESCHEDULE): S.RESCHEDULED,
    (S.POSTPONED, A.RESCHEDULE): S.RESCHEDULED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.SCHEDULED, A.CANCEL): S.CANCELLED,
    (S.POSTPONED, A.CANCEL): S.CANCELLED,
    (S.SCHEDULED, A.COMPLETE): S.COMPLETED,
}

OPEN_STATES = frozenset({S.DRAFT, S.SCHEDULED, S.POSTPONED})
"""States in which an event still changes; the others are history."""

HOLDS_TIME = frozenset({S.DRAFT, S.SCHEDULED})
"""States in which an event holds its venue and its officials: another booking that
overlaps it is a conflict. (A postponed event has no time to hold.)"""

ANNOUNCED = frozenset({S.SCHEDULED, S.POSTPONED, S.RESCHEDULED, S.CANCELLED, S.COMPLETED})
"""States the calendars and the bus know of: a draft is nobody's business yet."""


class TransitionRefused(Exception):
    def __init__(self, state: EventState, action: EventAction) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        super().__init__(
            f"an event that is {state.value} cannot {action.value}; allowed: "
            f"{', '.join(a.value for a in self.allowed) or 'nothing'}"
        )


def allowed_actions(state: EventState) -> list[EventAction]:
    return [action for (origin, action) in TRANSITIONS if origin is state]


def next_state(state: EventState, action: EventAction) -> EventState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionRefused(state, action) from None
