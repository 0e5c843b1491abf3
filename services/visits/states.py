"""The life of a visit and of its logistics tasks: their states and every transition allowed.

A visit is requested, approved by the mayor, prepared (its logistics tasks run in
parallel), ready once every required task is done or waived, under way from arrival,
waiting for its report after departure, and closed with the report and its press
release. Until it is under way it can be postponed (until further notice; new dates
resume it) or cancelled. A transition not in the table is refused with the current
state and what it allows.
"""

from __future__ import annotations

from enum import StrEnum


class VisitStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    IN_PREPARATION = "in_preparation"
    READY = "ready"
    UNDER_WAY = "under_way"
    REPORT_DUE = "report_due"
    CLOSED = "closed"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class VisitAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    START_PREPARATION = "start_preparation"
    BECOME_READY = "become_ready"
    REOPEN_PREPARATION = "reopen_preparation"
    BEGIN = "begin"
    END = "end"
    CLOSE = "close"
    POSTPONE = "postpone"
    RESUME = "resume"
    RESUME_REQUEST = "resume_request"
    CHANGE_DATES = "change_dates"
    CANCEL = "cancel"


V, A = VisitStatus, VisitAction
BEFORE_THE_VISIT = (V.REQUESTED, V.APPROVED, V.IN_PREPARATION, V.READY)

TRANSITIONS: dict[tuple[VisitStatus, VisitAction], VisitStatus] = {
    (V.REQUESTED, A.APPROVE): V.APPROVED,
    # The mayor's "no" ends the request; it stays on record with the reason.
    (V.REQUESTED, A.DECLINE): V.CANCELLED,
    (V.APPROVED, A.START_PREPARATION): V.IN_PREPARATION,
    (V.IN_PREPARATION, A.BECOME_READY): V.READY,
    # A required task added after the gate, or new dates, can take readiness away again.
    (V.READY, A.REOPEN_PREPARATION): V.IN_PREPARATION,
    # The delegation arrives whether or not everything is ready; what is late stays late.
    (V.IN_PREPARATION, A.BEGIN): V.UNDER_WAY,
    (V.READY, A.BEGIN): V.UNDER_WAY,
    (V.UNDER_WAY, A.END): V.REPORT_DUE,
    (V.REPORT_DUE, A.CLOSE): V.CLOSED,
    **{(status, A.POSTPONE): V.POSTPONED for status in BEFORE_THE_VISIT},
    # New dates for a postponed visit are what resumes it.
    **{(status, A.CHANGE_DATES): status for status in (*BEFORE_THE_VISIT, V.POSTPONED)},
    (V.POSTPONED, A.RESUME): V.IN_PREPARATION,
    (V.POSTPONED, A.RESUME_REQUEST): V.REQUESTED,
    **{(status, A.CANCEL): V.CANCELLED for status in (*BEFORE_THE_VISIT, V.POSTPONED)},
}

FINISHED = frozenset({V.CLOSED, V.CANCELLED})
"""A visit in these states changes no more (its members' data waits for purging)."""

DATES_MAY_CHANGE = frozenset(BEFORE_THE_VISIT) | {V.POSTPONED}


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WAIVED = "waived"
    CANCELLED = "cancelled"


TASK_CLOSED = frozenset({TaskStatus.DONE, TaskStatus.WAIVED, TaskStatus.CANCELLED})
TASK_SETTLED = frozenset({TaskStatus.DONE, TaskStatus.WAIVED})
"""A required task in these states no longer stands between the visit and readiness."""


class TransitionRefused(Exception):
    def __init__(self, status: VisitStatus, action: VisitAction) -> None:
        self.status = status
        self.action = action
        self.allowed = allowed_actions(status)
        super().__init__(
            f"a visit that is {status.value.replace('_', ' ')} cannot "
            f"{action.value.replace('_', ' ')}; allowed: "
            f"{', '.join(a.value for a in self.allowed) or 'nothing'}"
        )


def allowed_actions(status: VisitStatus) -> list[VisitAction]:
    return [action for (origin, action) in TRANSITIONS if origin is status]


def next_status(status: VisitStatus, action: VisitAction) -> VisitStatus:
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionRefused(status, action) from None
