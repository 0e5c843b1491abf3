"""Preview links: a signed, expiring address that shows a draft to someone without an
account (a partner checking a joint statement, the mayor on the phone)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt

from meria.auth import User
from meria.cases.documents import RouteStep
from meria.problems import Problem
from services.publishing.models import Document, Edition
from services.publishing.schemas import LEGAL_ACT_TYPES
from services.publishing.settings import PublishingSettings

AUDIENCE = "meria-preview"


def refusal(user: User, document: Document, edition: Edition, route: list[RouteStep]) -> str | None:
    """Why this person may not show this edition to someone without an account, or None.

    A legal act before its publication is the mayor's office's word not yet given: a link
    to it is made only by its author and by those its route asks to decide on it (as
    the route stands: the legal reviewer, the head of department, the mayor, and the
    role of any step an administrator added). An administrator keeps the system, is on
    no route and has no reason to show an unsigned act outside; other staff read it in
    the portal. Press material and published editions: any staff role, as before.
    """
    if document.document_type not in LEGAL_ACT_TYPES or edition.state == "published":
        return None
    if user.has_any("editor") and user.id in (document.created_by, edition.created_by):
        return None
    deciders = sorted(
        {step.role for step in route} | {s.escalate_to for s in route if s.escalate_to}
    )
    if user.has_any(*deciders):
        return None
    return (
        "A preview link of a legal act before its publication is made by its author or by "
        f"those on its route ({', '.join(deciders)})."
    )


def issue(settings: PublishingSettings, document_id: int, edition: int) -> tuple[str, datetime]:
    expires = int(time.time()) + settings.preview_ttl_seconds
    token = jwt.encode(
        {"aud": AUDIENCE, "doc": document_id, "edition": edition, "exp": expires},
        settings.secret_key.get_secret_value(),
        algorithm="HS256",
    )
    return token, datetime.fromtimestamp(expires, UTC)


def read(settings: PublishingSettings, token: str) -> tuple[int, int]:
    try:
        claims = jwt.decode(
            token, settings.secret_key.get_secret_value(), algorithms=["HS256"], audience=AUDIENCE
        )
    except jwt.ExpiredSignatureError:
        raise Problem(
            410, "Preview expired", "This preview link has expired; ask for a new one."
        ) from None
    except jwt.PyJWTError:
        raise Problem(404, "No such preview", "This preview link is not valid.") from None
    return int(claims["doc"]), int(claims["edition"])
