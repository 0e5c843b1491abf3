"""Approval routes: the default route of each document type, and reading the current one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.publishing.models import ApprovalRoute
from services.publishing.schemas import LEGAL_ACT_TYPES, RouteStep

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


def default_route(document_type: str) -> list[RouteStep]:
    return list(_LEGAL_ACT_ROUTE if document_type in LEGAL_ACT_TYPES else _PRESS_ROUTE)


async def current_route(session: AsyncSession, document_type: str) -> tuple[list[RouteStep], bool]:
    """The route administrators set for the type, else its default; and whether default."""
    stored = await session.get(ApprovalRoute, document_type)
    if stored is None:
        return default_route(document_type), True
    return [RouteStep.model_validate(step) for step in stored.steps], False
