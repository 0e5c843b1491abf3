"""Signed bearer tokens carrying the user and their roles, and the FastAPI dependencies.

The portal issues a token after sign-in; `meria token` issues one for integrators and
scripts; the worker signs its own for the activities that call services. Services verify
the signature and expiry and read the roles; they never look a user up.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from meria.config import Settings
from meria.problems import Problem

Role = Literal[
    "editor",
    "legal_reviewer",
    "head_of_department",
    "mayor",
    "protocol_officer",
    "media_officer",
    "requester",
    "admin",
    # Meria's own processes (the workflow worker) acting on a service's API.
    "system",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

ISSUER = "meria"
AUDIENCE = "meria"
ALGORITHM = "HS256"


class User(BaseModel):
    """Who is asking: the id (user name), a display name and the roles held."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    name: str = ""
    roles: frozenset[Role] = frozenset()

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class InvalidToken(Exception):
    pass


def issue_token(settings: Settings, user: User, ttl_seconds: int | None = None) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user.id,
        "name": user.name,
        "roles": sorted(user.roles),
        "iat": now,
        "exp": now + (ttl_seconds or settings.token_ttl_seconds),
    }
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def verify_token(settings: Settings, token: str) -> User:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    unknown = set(claims.get("roles", [])) - set(ROLES)
    if unknown:
        raise InvalidToken(f"the token names unknown roles: {', '.join(sorted(unknown))}")
    return User(id=claims["sub"], name=claims.get("name", ""), roles=frozenset(claims["roles"]))


_bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None:
        raise Problem(
            401,
            "Authentication required",
            "Send a bearer token in the Authorization header.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    settings: Settings = request.app.state.settings
    try:
        return verify_token(settings, credentials.credentials)
    except InvalidToken as error:
        raise Problem(
            401, "Invalid token", str(error), headers={"WWW-Authenticate": "Bearer"}
        ) from None


CurrentUser = Annotated[User, Depends(current_user)]


def optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The user when a token is sent (and valid), else None: for what is public once
    published and private before."""
    return None if credentials is None else current_user(request, credentials)


OptionalUser = Annotated[User | None, Depends(optional_user)]


def require_role(*roles: Role) -> object:
    """A dependency that admits a user holding any of `roles` (admins always)."""

    def check(user: CurrentUser) -> User:
        if not user.has_any(*roles, "admin"):
            raise Problem(
                403,
                "Not allowed",
                f"This needs one of the roles: {', '.join(roles)}.",
            )
        return user

    return Depends(check)
