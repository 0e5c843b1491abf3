"""The life of an edition: its states and every transition allowed between them.

The model follows GOV.UK's Whitehall publisher: at most one unpublished edition per
document, published editions never change, a newer edition supersedes the older one,
and what was published stays accountable (withdrawn keeps a public explanation,
unpublished answers 410 or redirects). A transition not in the table is refused with the
current state and what it allows.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    FAILED_TO_PUBLISH = "failed_to_publish"
    WITHDRAWN = "withdrawn"
    UNPUBLISHED = "unpublished"
    SUPERSEDED = "superseded"
    DELETED = "deleted"


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    DELETE = "delete"
    START_REVIEW = "start_review"
    APPROVE_STEP = "approve_step"
    RESTART_REVIEW = "restart_review"
    REQUEST_CHANGES = "request_changes"
    RESUBMIT = "resubmit"
    REJECT = "reject"
    APPROVE = "approve"
    FORCE_PUBLISH = "force_publish"
    SCHEDULE = "schedule"
    PUBLISH = "publish"
    PUBLICATION_FAILED = "publication_failed"
    RETRY = "retry"
    WITHDRAW = "withdraw"
    UNPUBLISH = "unpublish"
    SUPERSEDE = "supersede"


S, A = State, Action
# Before publication, withdrawing takes the edition off the route and back to its author.
_BEFORE_PUBLICATION = (
    S.SUBMITTED,
    S.IN_REVIEW,
    S.CHANGES_REQUESTED,
    S.APPROVED,
    S.SCHEDULED,
    S.FAILED_TO_PUBLISH,
)

TRANSITIONS: dict[tuple[State, Action], State] = {
    (S.DRAFT, A.EDIT): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.DRAFT, A.DELETE): S.DELETED,
    (S.SUBMITTED, A.START_REVIEW): S.IN_REVIEW,
    (S.SUBMITTED, A.EDIT): S.SUBMITTED,
    (S.IN_REVIEW, A.EDIT): S.IN_REVIEW,
    (S.IN_REVIEW, A.APPROVE_STEP): S.IN_REVIEW,
    (S.IN_REVIEW, A.RESTART_REVIEW): S.IN_REVIEW,
    (S.IN_REVIEW, A.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.IN_REVIEW, A.REJECT): S.DRAFT,
    (S.IN_REVIEW, A.APPROVE): S.APPROVED,
    (S.IN_REVIEW, A.FORCE_PUBLISH): S.APPROVED,
    (S.CHANGES_REQUESTED, A.EDIT): S.CHANGES_REQUESTED,
    (S.CHANGES_REQUESTED, A.RESUBMIT): S.IN_REVIEW,
    (S.CHANGES_REQUESTED, A.FORCE_PUBLISH): S.APPROVED,
    (S.APPROVED, A.SCHEDULE): S.SCHEDULED,
    (S.APPROVED, A.PUBLISH): S.PUBLISHED,
    (S.SCHEDULED, A.PUBLISH): S.PUBLISHED,
    (S.APPROVED, A.PUBLICATION_FAILED): S.FAILED_TO_PUBLISH,
    (S.SCHEDULED, A.PUBLICATION_FAILED): S.FAILED_TO_PUBLISH,
    (S.FAILED_TO_PUBLISH, A.RETRY): S.APPROVED,
    **{(state, A.WITHDRAW): S.DRAFT for state in _BEFORE_PUBLICATION},
    (S.PUBLISHED, A.WITHDRAW): S.WITHDRAWN,
    (S.PUBLISHED, A.UNPUBLISH): S.UNPUBLISHED,
    (S.WITHDRAWN, A.UNPUBLISH): S.UNPUBLISHED,
    (S.PUBLISHED, A.SUPERSEDE): S.SUPERSEDED,
    (S.WITHDRAWN, A.SUPERSEDE): S.SUPERSEDED,
}

UNPUBLISHED_STATES = frozenset(
    {S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.CHANGES_REQUESTED, S.APPROVED, S.SCHEDULED,
     S.FAILED_TO_PUBLISH}
)  # fmt: skip
"""States of an edition that is not (yet) public: a document has at most one."""

PUBLIC_STATES = frozenset({S.PUBLISHED, S.WITHDRAWN})
"""States in which the edition is what the public sees."""

EDITABLE_STATES = frozenset(state for (state, action) in TRANSITIONS if action is A.EDIT)


class TransitionRefused(Exception):
    def __init__(self, state: State, action: Action) -> None:
        self.state = state
        self.action = action
        self.allowed = allowed_actions(state)
        super().__init__(
            f"an edition that is {state.value} cannot {action.value.replace('_', ' ')}; "
            f"allowed: {', '.join(a.value for a in self.allowed) or 'nothing'}"
        )


def allowed_actions(state: State) -> list[Action]:
    return [action for (origin, action) in TRANSITIONS if origin is state]


def next_state(state: State, action: Action) -> State:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionRefused(state, action) from None
