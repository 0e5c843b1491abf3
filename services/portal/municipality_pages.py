"""The municipality's profile for administrators (`/admin/municipality`): the installed
profile as TOML, edited in a form and installed for every process at once
(meria/municipality.py: the portal is one of the two NATS users that may write it).
Every edit keeps who, when, what changed and why (`municipality_changes`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from meria import municipality
from meria.inputs import Offset
from meria.logging import get_logger
from services.portal.i18n import _
from services.portal.models import MunicipalityChange
from services.portal.web import Admin, redirect, render, runtime_of

log = get_logger(__name__)
router = APIRouter(include_in_schema=False)

PAGE = 20
MIN_REASON = 3
MAX_REASON = 2000
MAX_PROFILE = 128 * 1024


async def _page(
    request: Request,
    *,
    typed: str | None = None,
    reason: str = "",
    refused: dict[str, str] | None = None,
    done: bool = False,
    offset: int = 0,
    status_code: int = 200,
) -> Response:
    profile = municipality.current()
    async with runtime_of(request).db().session() as session:
        total = await session.scalar(select(func.count()).select_from(MunicipalityChange))
        changes = (
            await session.scalars(
                select(MunicipalityChange)
                .order_by(MunicipalityChange.id.desc())
                .offset(offset)
                .limit(PAGE)
            )
        ).all()
    return await render(
        request,
        "municipality.html",
        status_code=status_code,
        profile=profile,
        typed=typed if typed is not None else municipality.to_toml(profile),
        reason=reason,
        refused=refused or {},
        done=done,
        changes=changes,
        total=total or 0,
        offset=offset,
        page=PAGE,
    )


@router.get("/admin/municipality")
async def municipality_page(
    request: Request, signed: Admin, done: bool = False, offset: Offset = 0
) -> Response:
    return await _page(request, done=done, offset=offset)


@router.post("/admin/municipality")
async def change_municipality(
    request: Request,
    signed: Admin,
    profile: Annotated[str, Form(max_length=MAX_PROFILE)],
    reason: Annotated[str, Form()] = "",
) -> Response:
    reason = reason.strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        return await _page(
            request,
            typed=profile,
            reason=reason,
            status_code=422,
            refused={"reason": _("Say why, in a few words: it is kept.")},
        )
    try:
        changed = municipality.parse(profile, _("The profile"))
    except municipality.MunicipalityError as error:
        return await _page(
            request,
            typed=profile,
            reason=reason,
            status_code=422,
            refused={"profile": str(error)},
        )
    runtime = runtime_of(request)
    before = municipality.current()
    try:
        # The record of the edit commits only once the bus has the profile.
        async with runtime.db().transaction() as session:
            session.add(
                MunicipalityChange(
                    at=datetime.now(UTC),
                    actor=signed.user.id,
                    code=changed.code,
                    changes=municipality.differences(before, changed),
                    reason=reason,
                )
            )
            await municipality.write(runtime.bus.js, changed)
    except Exception as error:  # the bus is away: nothing changed, nothing recorded
        log.warning("municipality.not_written", error=str(error))
        return await _page(
            request,
            typed=profile,
            reason=reason,
            status_code=503,
            refused={"profile": _("The bus does not answer; try again in a moment.")},
        )
    # This process shows it at once; the others as their watch hears of it.
    municipality.install(changed)
    return redirect("/admin/municipality?done=true")
