"""Preview links: a signed, expiring address that shows a draft to someone without an
account (a partner checking a joint statement, the mayor on the phone)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt

from meria.problems import Problem
from services.publishing.settings import PublishingSettings

AUDIENCE = "meria-preview"


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
