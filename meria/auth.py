"""Signed bearer tokens carrying the user and their roles, and the FastAPI dependencies.

The portal issues a token after sign-in; `meria token` issues one for integrators and
scripts; the worker signs its own, in its own name, for the activities that call services.
Tokens are signed with Ed25519 keys whose ids (`kid`) name their issuer (meria/keys.py);
services verify the signature, the issuer's right to vouch for the subject, the expiry
and a lifetime no longer than MERIA_TOKEN_MAX_TTL_SECONDS, then read the roles; they never
look a user up. People's access ends with their portal session: its tokens live minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from meria import keys
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
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]

AUDIENCE = "meria"
ALGORITHM = "EdDSA"
# Clocks of two machines differ a little; a token is not refused for a few seconds of it.
LEEWAY_SECONDS = 30


class User(BaseModel):
    """Who is asking: a person (the id is their user name, with the roles they hold) or one
    of Meria's own processes acting in its own name (`service`, and no roles: no person's
    role implies a process's identity, and a process holds no person's role)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    name: str = ""
    roles: frozenset[Role] = frozenset()
    service: str | None = None

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def service_identity(name: str, display: str = "") -> User:
    """A Meria process as the caller: the worker, or a service."""
    return User(id=keys.service_subject(name), name=display or f"Meria {name}", service=name)


class InvalidToken(Exception):
    pass


def issue_token(settings: Settings, user: User, ttl_seconds: int | None = None) -> str:
    """A token for `user`, signed with this process's key. The portal and the operator's
    command line speak for people; any other process only for itself (`service_token`)."""
    key = keys.signing_key(settings)
    if user.service is not None and user.service != key.issuer:
        raise ValueError(f"{key.issuer} cannot speak for the process {user.service}")
    if user.service is None and key.issuer not in keys.PERSON_ISSUERS:
        raise ValueError(f"{key.issuer} speaks only for itself, not for a person")
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    if ttl > settings.token_max_ttl_seconds:
        raise ValueError(
            f"a token may live at most {settings.token_max_ttl_seconds} s "
            "(MERIA_TOKEN_MAX_TTL_SECONDS)"
        )
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": key.issuer,
        "aud": AUDIENCE,
        "sub": user.id,
        "name": user.name,
        "iat": now,
        "exp": now + ttl,
    }
    if user.service is None:
        claims["roles"] = sorted(user.roles)
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def service_token(settings: Settings, ttl_seconds: int = 300) -> str:
    """A short-lived token in this process's own name (the worker calling a service)."""
    issuer = keys.issuer_of(settings)
    return issue_token(settings, service_identity(issuer), ttl_seconds)


def verify_token(settings: Settings, token: str) -> User:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    key = keys.trusted_keys(settings).get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidToken("the token is not valid: it is signed with a key Meria does not know")
    try:
        claims = jwt.decode(
            token,
            key.public,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=key.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the token is not valid: {error}") from None
    if claims["exp"] - claims["iat"] > settings.token_max_ttl_seconds:
        raise InvalidToken(
            f"the token lives longer than the {settings.token_max_ttl_seconds} s allowed"
        )
    return _holder(key.issuer, claims)


def _holder(issuer: str, claims: dict[str, object]) -> User:
    """Whom the claims name, as far as the issuer may vouch for them."""
    subject = str(claims["sub"])
    roles = claims.get("roles", [])
    if not isinstance(roles, list):
        raise InvalidToken("the token's roles are not a list")
    if issuer in keys.SERVICE_ISSUERS:
        if subject != keys.service_subject(issuer) or roles:
            raise InvalidToken(f"{issuer} speaks only for itself, with no roles")
        return service_identity(issuer, str(claims.get("name") or ""))
    unknown = {str(role) for role in roles} - set(ROLES)
    if unknown:
        raise InvalidToken(f"the token names unknown roles: {', '.join(sorted(unknown))}")
    if subject in {keys.service_subject(name) for name in keys.SERVICE_ISSUERS}:
        raise InvalidToken("a person's token cannot name a Meria process")
    try:
        return User(id=subject, name=str(claims.get("name") or ""), roles=frozenset(roles))
    except ValueError as error:
        raise InvalidToken(f"the token's subject is not valid: {error}") from None


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
    except keys.KeysError as error:
        raise Problem(503, "Tokens cannot be verified", str(error)) from None


CurrentUser = Annotated[User, Depends(current_user)]


def optional_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The user when a token is sent (and valid), else None: for what is public once
    published and private before."""
    return None if credentials is None else current_user(request, credentials)


OptionalUser = Annotated[User | None, Depends(optional_user)]


@dataclass(frozen=True)
class Gate:
    """Who a route admits: people holding any of `roles` (and administrators), and the
    Meria processes in `services`. meria/access.py reads it off every route."""

    roles: tuple[str, ...]
    services: tuple[str, ...] = ()

    def admits(self, user: User) -> bool:
        if user.service is not None:
            return user.service in self.services
        return bool(self.roles) and user.has_any(*self.roles, "admin")


def require_role(*roles: Role, services: tuple[str, ...] = ()) -> object:
    """A dependency that admits a person holding any of `roles` (admins always), and the
    Meria processes named in `services` acting in their own name."""

    gate = Gate(roles=tuple(roles), services=services)

    def check(user: CurrentUser) -> User:
        if gate.admits(user):
            return user
        if user.service is not None:
            raise Problem(403, "Not allowed", f"The {user.service} process may not do this.")
        raise Problem(
            403,
            "Not allowed",
            f"This needs one of the roles: {', '.join(roles)}."
            if roles
            else "This is for Meria's own processes only.",
        )

    check.gate = gate  # type: ignore[attr-defined]
    return Depends(check)


def require_service(*services: str) -> object:
    """A dependency that admits only the named Meria processes, never a person: what
    only a workflow may do (record a transition, publish an approved edition) stays out
    of reach of every role, administrators included."""
    return require_role(services=services)


System = Annotated[User, require_service("worker")]
"""Only the workflow worker's own identity, which no person's role implies."""


# Receipts: what a person did, as the service that verified them signed it.

RECEIPT_AUDIENCE = "meria-receipt"


class Receipt(BaseModel):
    """Who did what to which case, as this service recorded it when they did it."""

    user: str
    roles: list[str]
    case: str
    act: str
    step: str | None = None


def sign_receipt(
    settings: Settings, user: User, case: str, act: str, step: str | None = None
) -> str:
    """A record signed by this service that `user` did `act` on `case` (the workflow's id).

    It travels with the person's Update into the workflow and comes back with the
    transition the workflow records, so the service names the person it verified itself,
    never whoever sent the transition. It does not expire (a decision stays true), and it
    is no bearer token: its audience is `meria-receipt`."""
    key = keys.signing_key(settings)
    claims: dict[str, object] = {
        "iss": key.issuer,
        "aud": RECEIPT_AUDIENCE,
        "sub": user.id,
        "roles": sorted(user.roles),
        "case": case,
        "act": act,
        "iat": int(time.time()),
    }
    if step is not None:
        claims["step"] = step
    return jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify_receipt(settings: Settings, receipt: str, *, case: str) -> Receipt:
    """The receipt's record if this very service signed it for `case`; else InvalidToken."""
    try:
        kid = jwt.get_unverified_header(receipt).get("kid")
    except jwt.PyJWTError as error:
        raise InvalidToken(f"the receipt is not valid: {error}") from None
    key = keys.trusted_keys(settings).get(kid) if isinstance(kid, str) else None
    own = keys.issuer_of(settings)
    if key is None or key.issuer != own:
        raise InvalidToken(f"the receipt is not one the {own} service signed")
    try:
        claims = jwt.decode(
            receipt,
            key.public,
            algorithms=[ALGORITHM],
            audience=RECEIPT_AUDIENCE,
            issuer=own,
            options={"require": ["iat", "sub", "iss", "aud"]},
        )
        record = Receipt(
            user=claims["sub"],
            roles=claims.get("roles", []),
            case=claims["case"],
            act=claims["act"],
            step=claims.get("step"),
        )
    except (jwt.PyJWTError, KeyError, ValueError) as error:
        raise InvalidToken(f"the receipt is not valid: {error}") from None
    if record.case != case:
        raise InvalidToken(f"the receipt is for {record.case}, not {case}")
    return record
