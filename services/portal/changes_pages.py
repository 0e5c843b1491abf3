"""Who changed what, for administrators: every change of a staff account (this portal's
record) and of an approval route (the publishing service's), each with who, when and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.portal import accounts
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.i18n import N_, _
from services.portal.labels import DOCUMENT_TYPES, ROLES, STEPS, label
from services.portal.web import Admin, render, runtime_of

router = APIRouter(include_in_schema=False)

# A route is a document type's, or consolidated texts' of legal acts (reviewed on their own).
ROUTE_KEYS = DOCUMENT_TYPES | {"consolidation": N_("Consolidated texts of legal acts")}


def account_change_lines(changes: dict[str, Any]) -> list[str]:
    """What changed, one line a field, in the reader's language; a password only as set."""
    lines = []
    for field, change in changes.items():
        if field == "password":
            lines.append(_("Password set"))
        elif field == "roles":
            before = ", ".join(label(ROLES, role) for role in change["before"] or []) or "—"
            after = ", ".join(label(ROLES, role) for role in change["after"] or []) or "—"
            lines.append(_("Roles: %(before)s → %(after)s") % {"before": before, "after": after})
        elif field == "active":
            lines.append(_("Switched on") if change["after"] else _("Switched off"))
        else:
            lines.append(f"{field}: {change['before'] or '—'} → {change['after'] or '—'}")
    return lines


def route_line(steps: list[dict[str, Any]]) -> str:
    return " → ".join(label(STEPS, step.get("key")) for step in steps)


@router.get("/dashboard/changes")
async def changes_page(request: Request, signed: Admin) -> Response:
    async with runtime_of(request).db().session() as session:
        found = await accounts.account_changes(session, limit=200)
    account_changes = [
        {"change": change, "lines": account_change_lines(change.changes)} for change in found
    ]
    route_changes: list[dict[str, Any]] | None
    try:
        answer = await services_of(runtime_of(request)).get(
            signed.user, "publishing", "/route-changes", params={"limit": 200}
        )
        route_changes = [
            {
                **change,
                "at": datetime.fromisoformat(change["at"]),
                "type_label": label(ROUTE_KEYS, change["document_type"]),
                "before": route_line(change["steps_before"]),
                "after": route_line(change["steps_after"]),
            }
            for change in answer
        ]
    except (ServiceUnavailable, ServiceRefused):
        route_changes = None
    return await render(
        request, "changes.html", account_changes=account_changes, route_changes=route_changes
    )
