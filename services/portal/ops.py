"""The gate in front of the administrators' tools: the Temporal UI and NATS monitoring.

Neither tool has a sign-in of its own, so neither faces the network. Caddy serves them
under the portal's host name (`/ops/temporal/`, `/ops/nats/`) and, before every request,
asks `GET /auth/admin-gate` here with the browser's own headers (its `forward_auth`):
a 2xx lets the request through, any other answer goes back to the browser as it is.

Who passes: a person signed in to the portal whose account holds the role `admin`.
Nobody signed in: a page is sent to sign in and back (303), a program is told 401; signed
in without the role: 403. A token is no way in: the tools are for people at a browser,
and the session behind the cookie is the one the database can end.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from meria.problems import Problem, problem_response
from services.portal.i18n import _
from services.portal.web import MaybeStaff, render, safe_next, sign_in_redirect

router = APIRouter(include_in_schema=False)

GATE_PATH = "/auth/admin-gate"
# What Caddy's forward_auth says of the request it asks about.
FORWARDED_METHOD = "x-forwarded-method"
FORWARDED_URI = "x-forwarded-uri"


@router.get(GATE_PATH)
async def admin_gate(request: Request, signed: MaybeStaff) -> Response:
    """200 for a signed-in administrator; 303 to the sign-in page (a page) or 401 (a
    program) for nobody signed in; 403 for a signed-in person without the role `admin`."""
    wants_page = _wants_page(request)
    if signed is None:
        if wants_page:
            return sign_in_redirect(safe_next(request.headers.get(FORWARDED_URI)))
        return problem_response(
            Problem(
                401, "Sign-in required",
                "Sign in to the portal as an administrator first.",
            ),
            request,
        )  # fmt: skip
    if "admin" not in signed.account.roles:
        if wants_page:
            return await render(
                request, "error.html", status_code=403, heading=_("Not allowed"),
                message=_("Only administrators may open the Temporal UI and NATS monitoring."),
            )  # fmt: skip
        return problem_response(
            Problem(403, "Not allowed", "Only administrators may use this tool."), request
        )
    return Response(status_code=200, headers={"X-Meria-User": signed.account.username})


def _wants_page(request: Request) -> bool:
    """A browser opening a page (GET or HEAD, asking for HTML), not a page's own fetch."""
    method = request.headers.get(FORWARDED_METHOD, request.method).upper()
    accepts = request.headers.get("accept", "")
    return method in ("GET", "HEAD") and "text/html" in accepts
