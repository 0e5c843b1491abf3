"""The counts in the navigation: my open tasks and my unread notifications."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import func, select

from services.portal.accounts import Signed
from services.portal.inbox import count_my_tasks
from services.portal.models import Notification


async def counts(request: Request, signed: Signed) -> dict[str, int]:
    if "navigation" in request.state._state:
        cached: dict[str, int] = request.state.navigation
        return cached
    runtime = request.app.state.runtime
    found: dict[str, int] = {}
    try:
        found["tasks"] = await count_my_tasks(runtime.temporal, signed.user)
    except Exception:  # the page still renders while Temporal is away
        found["tasks"] = -1
    async with runtime.db().session() as session:
        found["unread"] = (
            await session.execute(
                select(func.count())
                .select_from(Notification)
                .where(Notification.username == signed.account.username)
                .where(Notification.read_at.is_(None))
            )
        ).scalar_one()
    request.state.navigation = found
    return found
