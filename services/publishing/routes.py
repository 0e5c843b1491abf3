"""Approval routes: the default route of each document type, reading the current one, and
the rules a route an administrator sets must keep."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from meria.cases.documents import RouteStep
from services.publishing.models import ApprovalRoute, Document, Edition
from services.publishing.schemas import CONSOLIDATION, LEGAL_ACT_TYPES

_PRESS_ROUTE = [
    RouteStep(
        key="department_review",
        role="head_of_department",
        deadline_hours=48,
        escalate_to="mayor",
        label_ka="განყოფილების უფროსის განხილვა",
        label_en="Head of department's review",
    )
]
_LEGAL_ACT_ROUTE = [
    RouteStep(
        key="legal_review",
        role="legal_reviewer",
        deadline_hours=72,
        escalate_to="head_of_department",
        label_ka="იურიდიული ექსპერტიზა",
        label_en="Legal review",
    ),
    RouteStep(
        key="department_review",
        role="head_of_department",
        deadline_hours=48,
        escalate_to="mayor",
        label_ka="განყოფილების უფროსის განხილვა",
        label_en="Head of department's review",
    ),
    RouteStep(
        key="signature",
        role="mayor",
        deadline_hours=48,
        label_ka="მერის ხელმოწერა",
        label_en="The mayor's signature",
    ),
]


# A consolidated text applies amendments already signed and published: a lawyer checks
# that it states them faithfully, and no one signs it again.
_CONSOLIDATION_ROUTE = [_LEGAL_ACT_ROUTE[0]]


def default_route(key: str) -> list[RouteStep]:
    if key == CONSOLIDATION:
        return list(_CONSOLIDATION_ROUTE)
    return list(_LEGAL_ACT_ROUTE if key in LEGAL_ACT_TYPES else _PRESS_ROUTE)


def route_key(document: Document, edition: Edition) -> str:
    """Which route an edition takes: its document type's, or a consolidated text's."""
    return CONSOLIDATION if edition.change_kind == CONSOLIDATION else document.document_type


async def current_route(session: AsyncSession, document_type: str) -> tuple[list[RouteStep], bool]:
    """The route administrators set for the type (or `consolidation`), else its default;
    and whether it is the default."""
    stored = await session.get(ApprovalRoute, document_type)
    if stored is None:
        return default_route(document_type), True
    return [RouteStep.model_validate(step) for step in stored.steps], False


@dataclass(frozen=True)
class MandatoryStep:
    """A step no legal act is published without, and whom a late one may be handed to."""

    key: str
    role: str
    escalate_to: frozenset[str | None]


# A lawyer checks the act, the head of department answers for it, the mayor signs it: in
# this order, each by its own role. An administrator may add steps around them, change
# their deadlines and name the people who decide, but not drop, reorder or reassign them;
# a late step may be handed up (escalated), never down to a role that could not decide it.
LEGAL_ACT_STEPS = (
    MandatoryStep(
        "legal_review", "legal_reviewer", frozenset({None, "head_of_department", "mayor"})
    ),
    MandatoryStep("department_review", "head_of_department", frozenset({None, "mayor"})),
    MandatoryStep("signature", "mayor", frozenset({None})),
)


def route_refusal(
    document_type: str, steps: list[RouteStep], *, min_hours: float, max_hours: float
) -> str | None:
    """Why a route may not be set for a document type (or `consolidation`), or None."""
    for step in steps:
        if not min_hours <= step.deadline_hours <= max_hours:
            return (
                f"Step {step.key!r}: a deadline is between {min_hours:g} and {max_hours:g} "
                f"hours, not {step.deadline_hours:g}."
            )
    if document_type == CONSOLIDATION:
        return _consolidation_refusal(steps)
    if document_type not in LEGAL_ACT_TYPES:
        return None
    return _legal_act_refusal(steps)


def _legal_act_refusal(steps: list[RouteStep]) -> str | None:
    by_key = {step.key: (index, step) for index, step in enumerate(steps)}
    positions = []
    for mandatory in LEGAL_ACT_STEPS:
        found = by_key.get(mandatory.key)
        if found is None or found[1].role != mandatory.role:
            return (
                f"A legal act's route keeps the step {mandatory.key!r} decided by "
                f"{mandatory.role}; its steps in order: {_mandatory_names()}."
            )
        if found[1].escalate_to not in mandatory.escalate_to:
            allowed = sorted(role for role in mandatory.escalate_to if role)
            to = f"only to {' or '.join(allowed)}" if allowed else "to no one"
            return f"Step {mandatory.key!r} of a legal act escalates {to}."
        positions.append(found[0])
    if positions != sorted(positions):
        return f"A legal act's mandatory steps keep their order: {_mandatory_names()}."
    return None


def _mandatory_names() -> str:
    return ", ".join(step.key for step in LEGAL_ACT_STEPS)


def _consolidation_refusal(steps: list[RouteStep]) -> str | None:
    """A consolidated text keeps its legal review; it has no signature step, because the
    workflow signs no consolidated text (its amendments were signed when enacted)."""
    legal_review = LEGAL_ACT_STEPS[0]
    found = next((step for step in steps if step.key == legal_review.key), None)
    if found is None or found.role != legal_review.role:
        return (
            f"A consolidated text's route keeps the step {legal_review.key!r} decided by "
            f"{legal_review.role}."
        )
    if found.escalate_to not in legal_review.escalate_to:
        allowed = sorted(role for role in legal_review.escalate_to if role)
        return f"Step {legal_review.key!r} escalates only to {' or '.join(allowed)}."
    if any(step.key == "signature" for step in steps):
        return (
            "A consolidated text is not signed: the acts it applies were signed when they were "
            "enacted, so its route has no signature step."
        )
    return None
