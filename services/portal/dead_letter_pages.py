"""Dead letters for administrators: what each service's consumers could not apply, with the
reason and the message, re-driven or discarded from here, each with a reason that is kept
(meria/dead_letters.py). The services that consume events answer for their own; the
portal, a consumer too, for its own."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from meria import dead_letters
from meria.inputs import Id
from meria.problems import Problem
from services.portal.accounts import Signed
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.i18n import N_, _
from services.portal.web import Admin, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

# The processes whose consumers can leave dead letters, the portal's own last.
CONSUMING = ("website", "events", "media", "portal")
SERVICE_NAMES = {
    "website": N_("Public website"),
    "events": N_("Events"),
    "media": N_("Media relations"),
    "portal": N_("Staff portal"),
}
KINDS = {
    "malformed": N_("Not an event at all"),
    "unknown_type": N_("An event type no one knows"),
    "unexpected_type": N_("An event of another subject"),
    "schema": N_("Its data does not fit the event"),
    "handler_failed": N_("Its handler kept failing"),
}
DONE = {"redrive": "redriven", "discard": "discarded"}
MIN_REASON = 3
MAX_REASON = 2000


async def _letters(request: Request, signed: Signed, service: str) -> dict[str, Any] | None:
    """The open dead letters of one service, or None when it does not answer."""
    if service == "portal":
        runtime = runtime_of(request)
        page = await dead_letters.page(
            runtime.db(), dead_letters.dead_letters_of(runtime),
            status="open", consumer=None, limit=100, offset=0,
        )  # fmt: skip
        found: dict[str, Any] = page.model_dump(mode="json")
    else:
        try:
            found = await services_of(runtime_of(request)).get(
                signed.user, service, "/dead-letters", params={"status": "open", "limit": 100}
            )
        except (ServiceUnavailable, ServiceRefused):
            return None
    for item in found["items"]:
        item["created_at"] = datetime.fromisoformat(item["created_at"])
    return found


@router.get("/dashboard/dead-letters")
async def dead_letters_page(request: Request, signed: Admin, done: str | None = None) -> Response:
    return await _page(request, signed, done=done)


async def _page(
    request: Request,
    signed: Signed,
    *,
    done: str | None = None,
    refused: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    sections = [
        {"service": service, "name": _(SERVICE_NAMES[service]),
         "letters": await _letters(request, signed, service)}
        for service in CONSUMING
    ]  # fmt: skip
    return await render(
        request,
        "dead_letters.html",
        status_code=status_code,
        sections=sections,
        kinds={key: _(value) for key, value in KINDS.items()},
        done={"redriven": _("Applied again."), "discarded": _("Discarded.")}.get(done or ""),
        refused=refused or {},
        typed=typed or {},
    )


@router.post("/dashboard/dead-letters/{service}/{letter_id}")
async def decide(
    request: Request,
    signed: Admin,
    service: str,
    letter_id: Id,
    action: Annotated[Literal["redrive", "discard"], Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    if service not in CONSUMING:
        raise Problem(404, "No such service", f"{service} keeps no dead letters.")
    key = f"{service}-{letter_id}"
    reason = reason.strip()
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        return await _page(
            request, signed, refused={key: _("Say why, in a few words: it is kept.")},
            typed={key: reason}, status_code=422,
        )  # fmt: skip
    try:
        await _decide(request, signed, service, letter_id, action, reason)
    except (ServiceRefused, Problem) as refusal:
        message = refusal.detail or refusal.title
        return await _page(
            request, signed, refused={key: str(message)}, typed={key: reason}, status_code=409
        )
    except ServiceUnavailable:
        return await _page(
            request, signed, typed={key: reason}, status_code=503,
            refused={key: _("The service does not answer; try again in a moment.")},
        )  # fmt: skip
    return redirect(f"/dashboard/dead-letters?done={DONE[action]}#{service}")


async def _decide(
    request: Request, signed: Signed, service: str, letter_id: int, action: str, reason: str
) -> None:
    if service != "portal":
        await services_of(runtime_of(request)).post(
            signed.user, service, f"/dead-letters/{letter_id}/{action}", json={"reason": reason}
        )
        return
    runtime = runtime_of(request)
    table = dead_letters.dead_letters_of(runtime)
    if action == "redrive":
        await dead_letters.redrive(
            runtime.db(), table, runtime.consumers, letter_id, signed.user, reason
        )
    else:
        await dead_letters.discard(runtime.db(), table, letter_id, signed.user, reason)
