"""The life of an accreditation and of a media response: their states and every
transition allowed between them. A transition not in a table is refused with the
current state and what it allows (409)."""

from __future__ import annotations

from enum import StrEnum

from meria.problems import Problem


class AccreditationStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"


class AccreditationAction(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"
    CHECK_IN = "check_in"


Ac, AA = AccreditationStatus, AccreditationAction
ACCREDITATION: dict[tuple[AccreditationStatus, AccreditationAction], AccreditationStatus] = {
    (Ac.REQUESTED, AA.APPROVE): Ac.APPROVED,
    (Ac.REQUESTED, AA.REFUSE): Ac.REFUSED,
    # An approval can be taken back (the outlet turned out not to exist), with a reason;
    # a refusal reconsidered is an approval.
    (Ac.APPROVED, AA.REFUSE): Ac.REFUSED,
    (Ac.REFUSED, AA.APPROVE): Ac.APPROVED,
    # Only an approved journalist passes the door.
    (Ac.APPROVED, AA.CHECK_IN): Ac.APPROVED,
}


class ResponseStatus(StrEnum):
    DRAFTING = "drafting"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    PUBLISHED = "published"
    SENT = "sent"
    CANCELLED = "cancelled"


class ResponseAction(StrEnum):
    WRITE_DRAFT = "write_draft"
    DRAFT_SUBMITTED = "draft_submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    PUBLISHED = "published"
    SENT = "sent"
    CANCELLED = "cancelled"


Rs, RA = ResponseStatus, ResponseAction
RESPONSE: dict[tuple[ResponseStatus, ResponseAction], ResponseStatus] = {
    (Rs.DRAFTING, RA.WRITE_DRAFT): Rs.DRAFTING,
    (Rs.DRAFTING, RA.DRAFT_SUBMITTED): Rs.AWAITING_APPROVAL,
    # Where no approval is required, the submitted draft is approved at once.
    (Rs.DRAFTING, RA.APPROVED): Rs.APPROVED,
    (Rs.AWAITING_APPROVAL, RA.CHANGES_REQUESTED): Rs.DRAFTING,
    (Rs.AWAITING_APPROVAL, RA.APPROVED): Rs.APPROVED,
    (Rs.APPROVED, RA.PUBLISHED): Rs.PUBLISHED,
    (Rs.APPROVED, RA.SENT): Rs.SENT,
    **{
        (status, RA.CANCELLED): Rs.CANCELLED
        for status in (Rs.DRAFTING, Rs.AWAITING_APPROVAL, Rs.APPROVED)
    },
}
RESPONSE_FINISHED = frozenset({Rs.PUBLISHED, Rs.SENT, Rs.CANCELLED})


def _refusal(what: str, state: str, action: str, allowed: list[str]) -> Problem:
    return Problem(
        409,
        "Not allowed in this state",
        f"A{'n' if what[0] in 'aeiou' else ''} {what} that is {state.replace('_', ' ')} cannot "
        f"{action.replace('_', ' ')}; allowed: {', '.join(allowed) or 'nothing'}.",
        status_now=state,
        allowed=allowed,
    )


def next_accreditation(status: str, action: AccreditationAction) -> AccreditationStatus:
    current = AccreditationStatus(status)
    try:
        return ACCREDITATION[(current, action)]
    except KeyError:
        allowed = [a.value for (origin, a) in ACCREDITATION if origin is current]
        raise _refusal("accreditation", status, action.value, allowed) from None


def next_response(status: str, action: ResponseAction) -> ResponseStatus:
    current = ResponseStatus(status)
    try:
        return RESPONSE[(current, action)]
    except KeyError:
        allowed = [a.value for (origin, a) in RESPONSE if origin is current]
        raise _refusal("response", status, action.value, allowed) from None
